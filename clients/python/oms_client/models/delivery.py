from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="Delivery")


@_attrs_define
class Delivery:
    """
    Attributes:
        attempts (int):
        created_at (datetime.datetime):
        endpoint_id (str):
        event_id (str):
        event_type (str):
        finished_at (datetime.datetime | None):
        id (str):
        last_error (None | str):
        next_attempt_at (datetime.datetime):
        order_id (None | str):
        status (str):
    """

    attempts: int
    created_at: datetime.datetime
    endpoint_id: str
    event_id: str
    event_type: str
    finished_at: datetime.datetime | None
    id: str
    last_error: None | str
    next_attempt_at: datetime.datetime
    order_id: None | str
    status: str

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        created_at = self.created_at.isoformat()

        endpoint_id = self.endpoint_id

        event_id = self.event_id

        event_type = self.event_type

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        id = self.id

        last_error: None | str
        last_error = self.last_error

        next_attempt_at = self.next_attempt_at.isoformat()

        order_id: None | str
        order_id = self.order_id

        status = self.status

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "attempts": attempts,
                "created_at": created_at,
                "endpoint_id": endpoint_id,
                "event_id": event_id,
                "event_type": event_type,
                "finished_at": finished_at,
                "id": id,
                "last_error": last_error,
                "next_attempt_at": next_attempt_at,
                "order_id": order_id,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        endpoint_id = d.pop("endpoint_id")

        event_id = d.pop("event_id")

        event_type = d.pop("event_type")

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        id = d.pop("id")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        next_attempt_at = datetime.datetime.fromisoformat(d.pop("next_attempt_at"))

        def _parse_order_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        order_id = _parse_order_id(d.pop("order_id"))

        status = d.pop("status")

        delivery = cls(
            attempts=attempts,
            created_at=created_at,
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=event_type,
            finished_at=finished_at,
            id=id,
            last_error=last_error,
            next_attempt_at=next_attempt_at,
            order_id=order_id,
            status=status,
        )

        return delivery
