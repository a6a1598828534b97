from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ReadModel")


@_attrs_define
class ReadModel:
    """
    Attributes:
        lag_ms (int): How far the read side (GraphQL, exports) is behind.
        last_event_at (None | str): When its newest event happened.
        queued (int): Events waiting in its queues.
    """

    lag_ms: int
    last_event_at: None | str
    queued: int

    def to_dict(self) -> dict[str, Any]:
        lag_ms = self.lag_ms

        last_event_at: None | str
        last_event_at = self.last_event_at

        queued = self.queued

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "lag_ms": lag_ms,
                "last_event_at": last_event_at,
                "queued": queued,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        lag_ms = d.pop("lag_ms")

        def _parse_last_event_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_event_at = _parse_last_event_at(d.pop("last_event_at"))

        queued = d.pop("queued")

        read_model = cls(
            lag_ms=lag_ms,
            last_event_at=last_event_at,
            queued=queued,
        )

        return read_model
