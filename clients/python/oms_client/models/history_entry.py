from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="HistoryEntry")


@_attrs_define
class HistoryEntry:
    """
    Attributes:
        actor (str):
        at (datetime.datetime):
        from_status (None | str):
        reason (str):
        to_status (str):
    """

    actor: str
    at: datetime.datetime
    from_status: None | str
    reason: str
    to_status: str

    def to_dict(self) -> dict[str, Any]:
        actor = self.actor

        at = self.at.isoformat()

        from_status: None | str
        from_status = self.from_status

        reason = self.reason

        to_status = self.to_status

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "actor": actor,
                "at": at,
                "from_status": from_status,
                "reason": reason,
                "to_status": to_status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        actor = d.pop("actor")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        def _parse_from_status(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        from_status = _parse_from_status(d.pop("from_status"))

        reason = d.pop("reason")

        to_status = d.pop("to_status")

        history_entry = cls(
            actor=actor,
            at=at,
            from_status=from_status,
            reason=reason,
            to_status=to_status,
        )

        return history_entry
