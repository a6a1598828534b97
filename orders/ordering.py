"""Orders in the database: placing, finding, listing, moving through the life cycle.

Placing an order and confirming a paid one happen for every order, so they are SQL statements
working on rows (`place_order`, `lock_order`, `move_paid`); the rarer paths use the ORM."""

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Row, bindparam, exists, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from orders.lifecycle import OPEN, RESERVING, OrderStatus, check_move
from orders.models import Order, OrderHistory, OrderItem
from plumbing.access import ORDERS_READ_SCOPE, Actor
from plumbing.errors import NotFound
from plumbing.pagination import PageRequest, fetch_page


def request_hash(payload: dict) -> str:
    """Identifies a create-order body: the same key with another body is refused."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# SQL text, built once: these run for every order, and building and coercing Core constructs per
# call cost more than executing them.
_FIND_BY_KEY = text("SELECT id, request_hash FROM orders WHERE user_id = :user_id AND idempotency_key = :key")
# The order, its items and its first history entry in one round trip (foreign keys are checked at
# the end of the statement).
_PLACE = text(
    "WITH placed AS ("
    " INSERT INTO orders (id, user_id, status, total, currency, shipping_address, paid, idempotency_key,"
    " request_hash, reservation_expires_at)"
    " VALUES (:order_id, :user_id, :status, :total, :currency, :address, false, :key, :hash, :expires_at)"
    " RETURNING *),"
    " items AS (INSERT INTO order_items (order_id, position, product_id, sku, name, unit_price, quantity, line_total)"
    " SELECT :order_id, line.n - 1, line.product_id, line.sku, line.name, line.unit_price, line.quantity,"
    " line.unit_price * line.quantity"
    " FROM unnest(CAST(:product_ids AS text[]), CAST(:skus AS text[]), CAST(:names AS text[]),"
    " CAST(:unit_prices AS numeric[]), CAST(:quantities AS integer[]))"
    " WITH ORDINALITY AS line(product_id, sku, name, unit_price, quantity, n)),"
    " history AS (INSERT INTO order_history (order_id, from_status, to_status, actor, reason, sequence)"
    " VALUES (:order_id, NULL, :status, :user_id, :placed_reason, 1))"
    " SELECT * FROM placed"
).bindparams(bindparam("address", type_=JSONB))
# _PLACE's array parameters, from the items' keys.
_ITEM_ARRAYS = {
    "product_ids": "product_id",
    "skus": "sku",
    "names": "name",
    "unit_prices": "unit_price",
    "quantities": "quantity",
}
_LOCK = text("SELECT * FROM orders WHERE id = :order_id FOR UPDATE")
# The same, with the lines that payments freezes into the invoice (order_confirmed carries them),
# in the same round trip; money as text, never as a JSON number.
_LOCK_WITH_LINES = text(
    "SELECT o.*, (SELECT json_agg(json_build_object('sku', i.sku, 'name', i.name, 'quantity', i.quantity,"
    " 'unit_price', i.unit_price::text, 'line_total', i.line_total::text) ORDER BY i.position)"
    " FROM order_items i WHERE i.order_id = o.id) AS lines"
    " FROM orders o WHERE o.id = :order_id FOR UPDATE OF o"
)
_MOVE_PAID = text(
    "WITH history AS (INSERT INTO order_history (order_id, from_status, to_status, actor, reason, at, sequence)"
    " VALUES (:order_id, :from_status, :to_status, :actor, :reason, :at, :sequence))"
    " UPDATE orders SET status = :to_status, paid = true, sequence = :sequence, updated_at = now()"
    " WHERE id = :order_id"
)
PLACED_REASON = "order placed"


def find_by_idempotency_key(session: Session, user_id: str, key: str) -> Row | None:
    """(id, request_hash) of the customer's order placed with this key, if any."""
    return session.execute(_FIND_BY_KEY, {"user_id": user_id, "key": key}).first()


def place_order(
    session: Session, order_id: str, user_id: str, key: str, body_hash: str, reservation: dict, address: dict
) -> tuple[Row, list[dict]]:
    """A pending order from a stock reservation's price snapshot, totals computed here: the
    order's row and its items. IntegrityError if the customer's idempotency key is taken."""
    items = []
    for position, line in enumerate(reservation["items"]):
        unit_price = Decimal(line["unit_price"])
        items.append(
            {
                "order_id": order_id,
                "position": position,
                "product_id": line["product_id"],
                "sku": line["sku"],
                "name": line["name"],
                "unit_price": unit_price,
                "quantity": line["quantity"],
                "line_total": unit_price * line["quantity"],
            }
        )
    order = session.execute(
        _PLACE,
        {
            "order_id": order_id,
            "user_id": user_id,
            "status": OrderStatus.PENDING_PAYMENT,
            "total": sum((item["line_total"] for item in items), Decimal("0.00")),
            "currency": reservation["currency"],
            "address": address,
            "key": key,
            "hash": body_hash,
            "placed_reason": PLACED_REASON,
            "expires_at": datetime.fromisoformat(reservation["expires_at"]),
            **{column: [item[key] for item in items] for column, key in _ITEM_ARRAYS.items()},
        },
    ).one()
    return order, items


def lock_order(session: Session, order_id: str, with_lines: bool = False) -> Row | None:
    """The order's row, locked for the rest of the transaction; `with_lines`: and its lines as
    `lines`, a list of {sku, name, quantity, unit_price, line_total}."""
    return session.execute(_LOCK_WITH_LINES if with_lines else _LOCK, {"order_id": order_id}).first()


def move(session: Session, order: Order, target: OrderStatus, actor: str, reason: str) -> dict:
    """The one way an order changes status: checked, and recorded in its history under the
    order's next sequence (the event announcing it carries both). The history entry."""
    check_move(order.status, target)
    order.sequence += 1
    entry = _history(order, order.status, target, actor, reason, order.sequence)
    session.add(OrderHistory(**entry))
    order.status = target
    return entry


def move_paid(session: Session, order: Row, target: OrderStatus, actor: str, reason: str) -> dict:
    """`move` for a row from `lock_order` that was paid: written at once, one round trip."""
    check_move(order.status, target)
    entry = _history(order, order.status, target, actor, reason, order.sequence + 1)
    session.execute(_MOVE_PAID, entry)
    return entry


def placed_entry(order: Row) -> dict:
    """The history entry `place_order` wrote (its time is the order's creation time: one statement)."""
    return _history(order, None, order.status, order.user_id, PLACED_REASON, 1) | {"at": order.created_at}


def _history(order, from_status: str | None, to_status: str, actor: str, reason: str, sequence: int) -> dict:
    # The time is set here, not by the database, so the event can carry the entry as recorded.
    return {
        "order_id": order.id,
        "from_status": from_status,
        "to_status": to_status,
        "actor": actor,
        "reason": reason,
        "at": datetime.now(UTC),
        "sequence": sequence,
    }


def get_visible_order(
    session: Session, order_id, actor: Actor, lock: bool = False, scope: str = ORDERS_READ_SCOPE
) -> Order:
    """The order if the actor owns it, is an admin or a client with `scope`; NotFound otherwise
    (never its data)."""
    order = session.get(Order, order_id, with_for_update=lock) if isinstance(order_id, str) else None
    if order is None or not actor.acts_for(order.user_id, scope):
        raise NotFound("No such order.")
    return order


def list_orders(session: Session, actor: Actor, query: dict, page: PageRequest) -> tuple[list[Order], int]:
    """Newest first; a customer's own orders, or everyone's for an admin or a client with orders:read."""
    conditions = []
    if not actor.sees_all(ORDERS_READ_SCOPE):
        conditions.append(Order.user_id == actor.id)
    if "status" in query:
        conditions.append(Order.status == query["status"])
    if "created_from" in query:
        conditions.append(Order.created_at >= query["created_from"])
    if "created_to" in query:
        conditions.append(Order.created_at < query["created_to"])
    query = select(Order).where(*conditions).order_by(Order.created_at.desc(), Order.id.desc())
    return fetch_page(session, query, page)


def snapshot_orders(session: Session, after: str | None, limit: int) -> list[dict]:
    """Orders by id with their lines and history, as JSON types (orders.snapshot_orders)."""
    conditions = [Order.id > after] if after else []
    orders = list(session.scalars(select(Order).where(*conditions).order_by(Order.id).limit(limit)))
    histories: dict[str, list] = {order.id: [] for order in orders}
    if orders:
        query = select(OrderHistory).where(OrderHistory.order_id.in_(histories)).order_by(OrderHistory.id)
        for entry in session.scalars(query):
            histories[entry.order_id].append(entry)
    return [_snapshot(order, histories[order.id]) for order in orders]


def _snapshot(order: Order, history: list[OrderHistory]) -> dict:
    return {
        "id": order.id,
        "user_id": order.user_id,
        "status": str(order.status),
        "total": str(order.total),
        "currency": order.currency,
        "shipping_address": order.shipping_address,
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
        "sequence": order.sequence,
        "items": [
            {"product_id": i.product_id, "sku": i.sku, "name": i.name, "quantity": i.quantity,
             "unit_price": str(i.unit_price), "line_total": str(i.line_total)}
            for i in order.items
        ],
        # Entries written before sequences existed are numbered by their place.
        "history": [
            {"sequence": h.sequence or n, "from_status": h.from_status, "to_status": h.to_status,
             "at": h.at.astimezone(UTC).isoformat(), "actor": h.actor, "reason": h.reason}
            for n, h in enumerate(history, 1)
        ],
    }


def order_history(session: Session, order_id: str) -> list[OrderHistory]:
    query = select(OrderHistory).where(OrderHistory.order_id == order_id).order_by(OrderHistory.id)
    return list(session.scalars(query))


def next_expired_order(session: Session, now: datetime) -> Order | None:
    """A pending order past its reservation, locked; orders another instance holds are skipped."""
    return session.scalar(
        select(Order)
        .where(Order.status == OrderStatus.PENDING_PAYMENT, Order.reservation_expires_at < now)
        .order_by(Order.reservation_expires_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def reservations_in_use(session: Session, order_ids: list[str]) -> list[str]:
    """The orders among `order_ids` that are neither cancelled nor refunded."""
    if not order_ids:
        return []
    return list(session.scalars(select(Order.id).where(Order.id.in_(order_ids), Order.status.in_(RESERVING))))


def has_open_orders(session: Session, product_id: str) -> bool:
    return session.scalar(
        select(
            exists().where(
                OrderItem.product_id == product_id, OrderItem.order_id == Order.id, Order.status.in_(OPEN)
            )
        )
    )
