from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.attempt import Attempt


T = TypeVar("T", bound="DeliveryWithAttempts")


@_attrs_define
class DeliveryWithAttempts:
    """
    Attributes:
        attempt_log (list[Attempt]):
        attempts (int):
        body (str):
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

    attempt_log: list[Attempt]
    attempts: int
    body: str
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
        attempt_log = []
        for attempt_log_item_data in self.attempt_log:
            attempt_log_item = attempt_log_item_data.to_dict()
            attempt_log.append(attempt_log_item)

        attempts = self.attempts

        body = self.body

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
                "attempt_log": attempt_log,
                "attempts": attempts,
                "body": body,
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
        from ..models.attempt import Attempt  # noqa: PLC0415

        d = dict(src_dict)
        attempt_log = []
        _attempt_log = d.pop("attempt_log")
        for attempt_log_item_data in _attempt_log:
            attempt_log_item = Attempt.from_dict(attempt_log_item_data)

            attempt_log.append(attempt_log_item)

        attempts = d.pop("attempts")

        body = d.pop("body")

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

        delivery_with_attempts = cls(
            attempt_log=attempt_log,
            attempts=attempts,
            body=body,
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

        return delivery_with_attempts
