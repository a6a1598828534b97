"""Reading the views: by ids, and newest first with filters and keyset cursors.

Keyset, never OFFSET: a page costs the same at the start and at the end of 200,000 orders,
which is what lets an export stream in constant memory. Only the served generation is read,
and only complete rows (order_created applied) that are not deleted."""

import base64
import binascii
import json
from datetime import datetime

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from order_queries.models import Customer, OrderView, ProjectionState
from order_queries.projection import FIRST_GENERATION
from wire.access import ORDERS_READ_SCOPE, Actor
from wire.errors import Forbidden, Invalid

_COLUMNS = (OrderView, Customer.email, Customer.name)


def current_generation(session: Session) -> int:
    served = session.scalar(select(ProjectionState.current_generation).where(ProjectionState.id == 1))
    return FIRST_GENERATION if served is None else served


def _shown(session: Session, actor: Actor, mine: bool = False) -> list:
    """The conditions every read has: served generation, complete, not deleted, and, for a
    customer, its own orders only (whatever the caller asked)."""
    conditions = [
        OrderView.generation == current_generation(session),
        OrderView.created_at.is_not(None),
        OrderView.deleted.is_(False),
    ]
    if mine or not actor.sees_all(ORDERS_READ_SCOPE):
        conditions.append(OrderView.user_id == actor.id)
    return conditions


def _select(conditions: list) -> Select:
    return (
        select(*_COLUMNS)
        .outerjoin(Customer, Customer.user_id == OrderView.user_id)
        .where(*conditions)
    )


def get_orders(session: Session, actor: Actor, order_ids: list[str]) -> list[dict]:
    """The visible orders among `order_ids`, in no particular order."""
    rows = session.execute(_select([*_shown(session, actor), OrderView.order_id.in_(order_ids)]))
    return [to_wire(*row) for row in rows]


def filter_conditions(actor: Actor, query: dict) -> list:
    conditions = []
    if "status" in query:
        conditions.append(OrderView.status == query["status"])
    if "created_from" in query:
        conditions.append(OrderView.created_at >= query["created_from"])
    if "created_to" in query:
        conditions.append(OrderView.created_at < query["created_to"])
    if "min_total" in query:
        conditions.append(OrderView.total >= query["min_total"])
    if "max_total" in query:
        conditions.append(OrderView.total <= query["max_total"])
    if "customer_email" in query:
        if not actor.sees_all(ORDERS_READ_SCOPE):
            raise Forbidden("Only an admin can filter orders by customer email.")
        conditions.append(Customer.email == query["customer_email"].lower())
    return conditions


def list_orders(
    session: Session, actor: Actor, query: dict, limit: int, after: str | None, with_total: bool, mine: bool = False
) -> dict:
    """{items, end_cursor, has_next_page, total_count (None unless asked)}: newest first."""
    conditions = [*_shown(session, actor, mine), *filter_conditions(actor, query)]
    total = None
    if with_total:
        total = session.scalar(
            select(func.count())
            .select_from(OrderView)
            .outerjoin(Customer, Customer.user_id == OrderView.user_id)
            .where(*conditions)
        )
    page_conditions = list(conditions)
    if after:
        created_at, order_id = decode_cursor(after)
        page_conditions.append(tuple_(OrderView.created_at, OrderView.order_id) < (created_at, order_id))
    rows = session.execute(
        _select(page_conditions).order_by(OrderView.created_at.desc(), OrderView.order_id.desc()).limit(limit + 1)
    ).all()
    items = [to_wire(*row) for row in rows[:limit]]
    return {
        "items": items,
        "end_cursor": items[-1]["cursor"] if items else None,
        "has_next_page": len(rows) > limit,
        "total_count": total,
    }


def encode_cursor(created_at: datetime, order_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created_at.isoformat(), order_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created_at, order_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if "\x00" in str(order_id):  # PostgreSQL text cannot hold it: psycopg2 would raise ValueError
            raise ValueError("NUL in a cursor")
        return datetime.fromisoformat(created_at), str(order_id)
    except (ValueError, TypeError, binascii.Error, UnicodeError) as exc:
        raise Invalid("Not a cursor from this API.", {"after": ["Invalid cursor."]}) from exc


def to_wire(view: OrderView, email: str | None, name: str | None) -> dict:
    """A view as the RPCs answer it: JSON types only, money as strings, times in ISO 8601."""
    payment = None
    if view.payment_status is not None:
        payment = {
            "id": view.payment_id,
            "status": view.payment_status,
            "amount": _money(view.payment_amount),
            "currency": view.payment_currency,
        }
    history = [view.history[key] for key in sorted(view.history, key=int)]
    return {
        "id": view.order_id,
        "cursor": encode_cursor(view.created_at, view.order_id),
        "user_id": view.user_id,
        "status": view.status,
        "items": view.lines or [],
        "total": _money(view.total),
        "currency": view.currency,
        "shipping_address": view.shipping_address,
        "created_at": view.created_at.isoformat(),
        "updated_at": view.updated_at.isoformat() if view.updated_at else None,
        "sequence": view.sequence,
        "history": history,
        "payment": payment,
        "customer": {"id": view.user_id, "email": email, "name": name},
    }


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"

