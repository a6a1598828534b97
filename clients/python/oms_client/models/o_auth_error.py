from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="OAuthError")


@_attrs_define
class OAuthError:
    """
    Attributes:
        error (str): invalid_request, invalid_client, invalid_scope, ...
        error_description (str):
        request_id (str):
    """

    error: str
    error_description: str
    request_id: str

    def to_dict(self) -> dict[str, Any]:
        error = self.error

        error_description = self.error_description

        request_id = self.request_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "error": error,
                "error_description": error_description,
                "request_id": request_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        error = d.pop("error")

        error_description = d.pop("error_description")

        request_id = d.pop("request_id")

        o_auth_error = cls(
            error=error,
            error_description=error_description,
            request_id=request_id,
        )

        return o_auth_error
