"""Reading the views: by ids, and newest first with filters and keyset cursors.

Keyset, never OFFSET: a page costs the same at the start and at the end of 200,000 orders,
which is what lets an export stream in constant memory. Only the served generation is read,
and only complete rows (order_created applied) that are not deleted."""

from datetime import datetime

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from contracts.order_queries import ORDER_CURSOR_KIND
from order_queries import after_sale
from order_queries.models import Customer, OrderView, ProjectionState
from order_queries.projection import FIRST_GENERATION
from wire import cursors
from wire.access import ORDERS_READ_SCOPE, Actor
from wire.errors import Forbidden, Invalid

_COLUMNS = (OrderView, Customer.email, Customer.name)
_KEY = tuple_(OrderView.created_at, OrderView.order_id)  # the order of every page: newest first, by key


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
    session: Session, actor: Actor, query: dict, page: dict, with_total: bool = False, mine: bool = False
) -> dict:
    """Newest first: the `page["first"]` views after the cursor `page["after"]`, or the
    `page["last"]` before the cursor `page["before"]` (either cursor may bound either way).
    {items, start_cursor, end_cursor, has_next_page, has_previous_page, total_count (None unless
    asked)}; "next" is older."""
    conditions = [*_shown(session, actor, mine), *filter_conditions(actor, query)]
    total = None
    if with_total:
        total = session.scalar(
            select(func.count())
            .select_from(OrderView)
            .outerjoin(Customer, Customer.user_id == OrderView.user_id)
            .where(*conditions)
        )
    after = decode_cursor(page["after"], "after") if page.get("after") else None
    before = decode_cursor(page["before"], "before") if page.get("before") else None
    window = list(conditions)
    if after:
        window.append(_KEY < after)
    if before:
        window.append(_KEY > before)
    backward = page.get("last") is not None
    limit = page["last"] if backward else page["first"]
    # Backwards is a keyset walk the other way (oldest first from `before`), turned round.
    order = (OrderView.created_at, OrderView.order_id) if backward else (
        OrderView.created_at.desc(), OrderView.order_id.desc())
    rows = session.execute(_select(window).order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit][::-1] if backward else rows[:limit]
    items = [to_wire(*row) for row in rows]
    # Behind the cursor travelled from: its own row and the rows past it (a client that turns
    # round at the cursor finds them there).
    beyond_before = bool(before) and _exists(session, [*conditions, _KEY <= before])
    beyond_after = bool(after) and _exists(session, [*conditions, _KEY >= after])
    return {
        "items": items,
        "start_cursor": items[0]["cursor"] if items else None,
        "end_cursor": items[-1]["cursor"] if items else None,
        "has_next_page": more if not backward else beyond_before,
        "has_previous_page": more if backward else beyond_after,
        "total_count": total,
    }


def _exists(session: Session, conditions: list) -> bool:
    return session.scalar(select(_select(conditions).limit(1).exists()))


def encode_cursor(created_at: datetime, order_id: str) -> str:
    return cursors.encode_cursor(ORDER_CURSOR_KIND, created_at.isoformat(), order_id)


def decode_cursor(cursor: str, argument: str) -> tuple[datetime, str]:
    """(created_at, order_id) of an order's cursor; Invalid, naming `argument`, for any other."""
    position = cursors.decode_cursor(ORDER_CURSOR_KIND, cursor, argument)
    try:
        created_at, order_id = position
        if not isinstance(order_id, str) or "\x00" in order_id:  # PostgreSQL text cannot hold a NUL
            raise ValueError("not an order id")
        return datetime.fromisoformat(created_at), order_id
    except (ValueError, TypeError) as exc:
        raise Invalid("Not a cursor of this list (order).", {argument: ["Invalid cursor."]}) from exc


def to_wire(view: OrderView, email: str | None, name: str | None) -> dict:
    """A view as the RPCs answer it: JSON types only, money as strings, times in ISO 8601."""
    payment = None
    if view.payment_status is not None:
        payment = {
            "id": view.payment_id,
            "status": view.payment_status,
            "amount": _money(view.payment_amount),
            "currency": view.payment_currency,
            "authorized": _money(view.payment_authorized),
            "captured": _money(view.payment_captured),
            "refunded": _money(view.payment_refunded),
            "voided": _money(view.payment_voided),
            "operations": sorted(view.payment_operations.values(), key=lambda op: (op["at"] or "", op["type"])),
        }
    history = [view.history[key] for key in sorted(view.history, key=int)]
    shipments = after_sale.shown_shipments(view.shipments or {})
    returns = after_sale.shown_returns(view.returns or {})
    items = after_sale.line_quantities(view.status, view.lines or [], shipments, returns, view.cancellations or {})
    return {
        "id": view.order_id,
        "cursor": encode_cursor(view.created_at, view.order_id),
        "user_id": view.user_id,
        "status": view.status,
        "items": items,
        "total": _money(view.total),
        "currency": view.currency,
        "shipping_address": view.shipping_address,
        "created_at": view.created_at.isoformat(),
        "updated_at": view.updated_at.isoformat() if view.updated_at else None,
        "sequence": view.sequence,
        "history": history,
        "payment": payment,
        "shipments": shipments,
        "returns": returns,
        "customer": {"id": view.user_id, "email": email, "name": name},
    }


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"

