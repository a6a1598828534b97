from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.attempt_request_headers import AttemptRequestHeaders


T = TypeVar("T", bound="Attempt")


@_attrs_define
class Attempt:
    """
    Attributes:
        duration_ms (int):
        error (None | str):
        number (int):
        request_body (str):
        request_headers (AttemptRequestHeaders):
        response_body (None | str):
        response_status (int | None):
        started_at (datetime.datetime):
    """

    duration_ms: int
    error: None | str
    number: int
    request_body: str
    request_headers: AttemptRequestHeaders
    response_body: None | str
    response_status: int | None
    started_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        duration_ms = self.duration_ms

        error: None | str
        error = self.error

        number = self.number

        request_body = self.request_body

        request_headers = self.request_headers.to_dict()

        response_body: None | str
        response_body = self.response_body

        response_status: int | None
        response_status = self.response_status

        started_at = self.started_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "duration_ms": duration_ms,
                "error": error,
                "number": number,
                "request_body": request_body,
                "request_headers": request_headers,
                "response_body": response_body,
                "response_status": response_status,
                "started_at": started_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.attempt_request_headers import AttemptRequestHeaders  # noqa: PLC0415

        d = dict(src_dict)
        duration_ms = d.pop("duration_ms")

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        number = d.pop("number")

        request_body = d.pop("request_body")

        request_headers = AttemptRequestHeaders.from_dict(d.pop("request_headers"))

        def _parse_response_body(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        response_body = _parse_response_body(d.pop("response_body"))

        def _parse_response_status(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        response_status = _parse_response_status(d.pop("response_status"))

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        attempt = cls(
            duration_ms=duration_ms,
            error=error,
            number=number,
            request_body=request_body,
            request_headers=request_headers,
            response_body=response_body,
            response_status=response_status,
            started_at=started_at,
        )

        return attempt
