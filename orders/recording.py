"""What an aggregate decided (orders/domain/order.py Change), made to last: written by the repository
and its records published as events, in the caller's unit of work (the outbox commits them
together)."""

from datetime import UTC

from orders import repository
from orders.domain.change import Change, Record
from orders.models import Order
from plumbing.unit_of_work import UnitOfWork


def order_fields(order: Order, sequence: int, status: str, entry: dict | None = None) -> dict:
    """The fields of every order event: the order, its sequence and status after the change, and
    the history entry it recorded (if any)."""
    fields = {"order_id": order.id, "user_id": order.user_id, "total": str(order.total), "currency": order.currency,
              "sequence": sequence, "status": status}
    if entry is None:
        return fields
    history_entry = {key: entry[key] for key in ("from_status", "to_status", "actor", "reason")}
    return fields | {"history_entry": history_entry | {"at": entry["at"].astimezone(UTC).isoformat()}}


def record_fields(order: Order, record: Record) -> dict:
    return order_fields(order, record.sequence, record.status, record.entry) | record.fields


def write(uow: UnitOfWork, order: Order, change: Change, **extra) -> None:
    """Write `change` and add its events; `extra`: fields the service adds to every one of them
    (an order_confirmed's lines, say)."""
    repository.apply(uow.session, order, change)
    publish(uow, order, change, **extra)


def publish(uow: UnitOfWork, order: Order, change: Change, **extra) -> None:
    for record in change.records:
        uow.add_event(record.event_type, **record_fields(order, record), **extra)
