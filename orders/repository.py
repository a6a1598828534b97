"""Orders in the database: the one place that finds, places, locks and moves an order.

Everything here returns `Order` (models.py), the one type of an order on every path, and builds
the aggregate the rules work on (`aggregate_of`, orders/domain/). Placing an order and
confirming a paid one happen for every order, so they are single statements (SQLAlchemy Core,
built once from the tables of models.py) whose rows are loaded as Orders; the rarer paths use
the ORM. An order changes only through `apply`, which writes what an aggregate decided (its
status, sequence, history entries and line quantities) in one statement."""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    Numeric,
    Text,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from contracts.orders import ReturnSchema, ShipmentSchema
from orders.domain.change import Change
from orders.domain.line import Line
from orders.domain.order import Order as OrderAggregate
from orders.lifecycle import OPEN, RESERVING, OrderStatus
from orders.models import Order, OrderHistory, OrderItem, Return, ReturnItem, Shipment
from plumbing.pagination import fetch_page
from plumbing.sql import unnested
from wire.access import ORDERS_READ_SCOPE, Actor
from wire.errors import NotFound
from wire.money import order_total
from wire.pagination import PageRequest

_orders, _items, _history = Order.__table__, OrderItem.__table__, OrderHistory.__table__

PLACED_REASON = "order placed"
_shipment_schema, _return_schema = ShipmentSchema(), ReturnSchema()


def _history_entry(order_id, from_status, to_status, actor, reason, at, sequence):
    """The order_history row of a status change, as a CTE of the statement that makes it."""
    return (
        insert(_history)
        .values(
            order_id=order_id, from_status=from_status, to_status=to_status, actor=actor, reason=reason, at=at,
            sequence=sequence,
        )
        .cte("history")
    )


_ITEM_COLUMNS = {"product_id": ("product_ids", Text), "sku": ("skus", Text), "name": ("names", Text),
                 "unit_price": ("unit_prices", Numeric), "quantity": ("quantities", Integer)}
_line = unnested("line", _ITEM_COLUMNS, ordinality="n")
# The order, its items and its first history entry in one round trip (foreign keys are checked at
# the end of the statement).
_PLACE = select(
    insert(_orders)
    .values(
        id=bindparam("new_id"),
        user_id=bindparam("customer"),
        status=bindparam("first_status"),
        total=bindparam("order_total"),
        currency=bindparam("order_currency"),
        shipping_address=bindparam("address", type_=JSONB),
        paid=False,
        idempotency_key=bindparam("key"),
        request_hash=bindparam("body_hash"),
        reservation_expires_at=bindparam("expires_at"),
    )
    .returning(*_orders.c)
    .cte("placed")
).add_cte(
    insert(_items)
    .from_select(
        ["order_id", "position", "product_id", "sku", "name", "unit_price", "quantity", "line_total"],
        select(
            bindparam("new_id"),
            _line.c.n - 1,
            _line.c.product_id,
            _line.c.sku,
            _line.c.name,
            _line.c.unit_price,
            _line.c.quantity,
            _line.c.unit_price * _line.c.quantity,
        ),
    )
    .cte("items"),
    # At the order's creation time (now() is the transaction's start) and as its first sequence.
    _history_entry(
        bindparam("new_id"), null(), bindparam("first_status"), bindparam("customer"), bindparam("placed_reason"),
        func.now(), 1
    ),
)
# An order's lines as payments freezes them into the invoice (order_confirmed carries them);
# money as text, never as a JSON number.
_LINES = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_object(
                    "sku", _items.c.sku,
                    "name", _items.c.name,
                    "quantity", _items.c.quantity,
                    "unit_price", cast(_items.c.unit_price, Text),
                    "line_total", cast(_items.c.line_total, Text),
                ),
                _items.c.position,
            )
        )
    )
    .where(_items.c.order_id == Order.id)
    .scalar_subquery()
)
_LOCK_WITH_LINES = (
    select(Order, _LINES.label("lines"))
    .where(Order.id == bindparam("wanted"))
    .with_for_update(of=Order)
    .options(lazyload(Order.items))  # the lines stand in for them
)
_ENTRY_COLUMNS = {"from_status": ("from_statuses", Text), "to_status": ("to_statuses", Text),
                  "actor": ("actors", Text), "reason": ("reasons", Text),
                  "at": ("times", DateTime(timezone=True)), "sequence": ("sequences", Integer)}
_entry = unnested("entry", _ENTRY_COLUMNS)
_QUANTITIES = ("shipped_quantity", "cancelled_quantity", "delivered_quantity", "returned_quantity")
# The order_items columns an after-sale change writes, and the Line attributes (domain) holding them.
_LINE_COLUMNS = {**dict(zip(_QUANTITIES, ("shipped", "cancelled", "delivered", "returned"), strict=True)),
                 "last_delivered_at": "last_delivered_at"}
_changed = unnested(
    "changed",
    {"at_position": ("positions", Integer), **{f"now_{name}": (f"{name}_values", Integer) for name in _QUANTITIES},
     "now_last_delivered_at": ("last_deliveries", DateTime(timezone=True))},
)
_SET_ORDER = (
    update(_orders)
    .where(_orders.c.id == bindparam("changing"))
    .values(
        status=bindparam("target"),
        paid=or_(_orders.c.paid, bindparam("now_paid", type_=Boolean)),
        sequence=bindparam("next_sequence"),
        updated_at=func.now(),
    )
    .returning(_orders.c.updated_at)
)
# A single move (a confirmation, a cancellation: every order has them) in one round trip: the
# order's status, sequence and `paid` (only ever set), and its history entry.
_APPLY_MOVE = _SET_ORDER.add_cte(
    _history_entry(*(bindparam(name) for name in ("changing", "current", "target", "who", "why", "moved_at",
                                                  "next_sequence")))
)
# Any other decision, in one round trip too: the order, its history entries and its lines' new
# quantities (from arrays, empty when there are none).
_APPLY = (
    _SET_ORDER
    .add_cte(
        insert(_history)
        .from_select(
            ["order_id", "from_status", "to_status", "actor", "reason", "at", "sequence"],
            select(bindparam("changing"), *_entry.c),
        )
        .cte("history")
    )
    .add_cte(
        update(_items)
        .where(_items.c.order_id == bindparam("changing"), _items.c.position == _changed.c.at_position)
        .values(
            **{name: _changed.c[f"now_{name}"] for name in _QUANTITIES},
            last_delivered_at=_changed.c.now_last_delivered_at,
        )
        .cte("lines")
    )
)
_SHIPMENT_COUNTS = (
    select(Shipment.status, func.count()).where(Shipment.order_id == bindparam("counted")).group_by(Shipment.status)
)
# Per line, the units asked back in returns not rejected (a received return's: those that came).
_IN_RETURNS = (
    select(
        ReturnItem.position,
        func.sum(case((Return.status == "received", ReturnItem.received_quantity), else_=ReturnItem.quantity)),
    )
    .join(Return, Return.id == ReturnItem.return_id)
    .where(Return.order_id == bindparam("counted"), Return.status != "rejected")
    .group_by(ReturnItem.position)
)


def find_by_idempotency_key(session: Session, user_id: str, key: str) -> Order | None:
    """The customer's order placed with this key, if any."""
    return session.scalar(select(Order).where(Order.user_id == user_id, Order.idempotency_key == key))


def place_order(
    session: Session, order_id: str, user_id: str, key: str, body_hash: str, reservation: dict, address: dict,
    reason: str = PLACED_REASON,
) -> tuple[Order, list[dict]]:
    """A pending order from a stock reservation's price snapshot, totals computed here: the
    order and its items. IntegrityError if the customer's idempotency key is taken; Invalid if
    the total is beyond what a money column holds (wire/money.py)."""
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
                **dict.fromkeys(_QUANTITIES, 0),
            }
        )
    total = order_total({item["product_id"]: item["line_total"] for item in items})
    order = session.scalars(
        select(Order).options(lazyload(Order.items)).from_statement(_PLACE),
        {
            "new_id": order_id,
            "customer": user_id,
            "first_status": OrderStatus.PENDING_PAYMENT,
            "order_total": total,
            "order_currency": reservation["currency"],
            "address": address,
            "key": key,
            "body_hash": body_hash,
            "placed_reason": reason,
            "expires_at": datetime.fromisoformat(reservation["expires_at"]),
            **{parameter: [item[column] for item in items] for column, (parameter, _) in _ITEM_COLUMNS.items()},
        },
    ).one()
    return order, items


def lock_with_lines(session: Session, order_id: str) -> tuple[Order, list[dict]] | None:
    """The order, locked for the rest of the transaction, and its lines: a list of {sku, name,
    quantity, unit_price, line_total}. None if there is no such order."""
    found = session.execute(_LOCK_WITH_LINES, {"wanted": order_id}).first()
    return None if found is None else (found[0], found[1])


def get(session: Session, order_id, lock: bool = False) -> Order | None:
    return session.get(Order, order_id, with_for_update=lock) if isinstance(order_id, str) else None


def get_visible_order(
    session: Session, order_id, actor: Actor, lock: bool = False, scope: str = ORDERS_READ_SCOPE
) -> Order:
    """The order if the actor owns it, is an admin or a client with `scope`; NotFound otherwise
    (never its data)."""
    order = get(session, order_id, lock)
    if order is None or not actor.acts_for(order.user_id, scope):
        raise NotFound("No such order.")
    return order


def aggregate_of(session: Session, order: Order, lines: bool = True, returns: bool = False) -> OrderAggregate:
    """The order as its rules see it (orders/domain/order.py): without `lines`, its status and
    sequence only (confirming and cancelling a pending order need no more); with them, its lines
    and shipment counts, and with `returns` what each line has in returns."""
    found = OrderAggregate(order.id, order.user_id, order.status, order.sequence, order.paid)
    if not lines:
        return found
    in_returns = dict(session.execute(_IN_RETURNS, {"counted": order.id}).all()) if returns else {}
    found.lines = [
        Line(item.position, item.product_id, item.sku, item.name, item.unit_price, item.quantity,
             item.shipped_quantity, item.cancelled_quantity, item.delivered_quantity, item.returned_quantity,
             item.last_delivered_at, in_returns.get(item.position, 0))
        for item in order.items
    ]
    counts = dict(session.execute(_SHIPMENT_COUNTS, {"counted": order.id}).all())
    found.capturing, found.in_transit, found.delivered_shipments = (
        counts.get(status, 0) for status in ("capturing", "shipped", "delivered"))
    return found


def apply(session: Session, order: Order, change: Change) -> None:
    """Write what the aggregate decided in one statement (_APPLY_MOVE for a single move, as cheap
    as before aggregates; _APPLY for the rest); `order` then holds it too."""
    if not change.records and not change.lines:
        return
    status = change.records[-1].status if change.records else order.status
    sequence = change.records[-1].sequence if change.records else order.sequence
    entries, lines = change.entries, change.lines
    order_values = {"changing": order.id, "target": status, "now_paid": change.paid, "next_sequence": sequence}
    if len(change.records) == 1 and len(entries) == 1 and not lines:
        [entry] = entries
        updated_at = session.execute(_APPLY_MOVE, order_values | {
            "current": entry["from_status"], "who": entry["actor"], "why": entry["reason"], "moved_at": entry["at"],
        }).scalar_one()
    else:
        updated_at = _apply_any(session, order_values, entries, lines)
    # The rows are written; the Order (and its items, when loaded) say what they now hold.
    set_committed_value(order, "status", status)
    set_committed_value(order, "paid", order.paid or change.paid)
    set_committed_value(order, "sequence", sequence)
    set_committed_value(order, "updated_at", updated_at)
    if lines and "items" in order.__dict__:
        by_position = {item.position: item for item in order.items}
        for line in lines:
            item = by_position[line.position]
            for column, attribute in _LINE_COLUMNS.items():
                set_committed_value(item, column, getattr(line, attribute))


def _apply_any(session: Session, order_values: dict, entries: list[dict], lines: list[Line]):
    return session.execute(
        _APPLY,
        {
            **order_values,
            **{parameter: [entry[column] for entry in entries] for column, (parameter, _) in _ENTRY_COLUMNS.items()},
            "positions": [line.position for line in lines],
            **{f"{column}_values": [getattr(line, _LINE_COLUMNS[column]) for line in lines] for column in _QUANTITIES},
            "last_deliveries": [line.last_delivered_at for line in lines],
        },
    ).scalar_one()


def placed_reason(quote_id: str | None) -> str:
    """The first history entry's reason: an order placed at a quote's prices names it."""
    return f"order placed at the prices of quote {quote_id}" if quote_id else PLACED_REASON


def placed_entry(order: Order, reason: str) -> dict:
    """The history entry `place_order` wrote, as `move` returns one."""
    return {"from_status": None, "to_status": order.status, "actor": order.user_id, "reason": reason,
            "at": order.created_at, "sequence": 1}


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
    """Orders by id with their lines (and their quantities), history, shipments and returns, as
    JSON types (orders.snapshot_orders; shipments and returns as the RPCs answer them)."""
    conditions = [Order.id > after] if after else []
    orders = list(session.scalars(select(Order).where(*conditions).order_by(Order.id).limit(limit)))
    histories: dict[str, list] = {order.id: [] for order in orders}
    shipments: dict[str, list] = {order.id: [] for order in orders}
    returns: dict[str, list] = {order.id: [] for order in orders}
    if orders:
        query = select(OrderHistory).where(OrderHistory.order_id.in_(histories)).order_by(OrderHistory.id)
        for entry in session.scalars(query):
            histories[entry.order_id].append(entry)
        query = select(Shipment).where(Shipment.order_id.in_(histories)).order_by(Shipment.created_at, Shipment.id)
        for shipment in session.scalars(query):
            shipments[shipment.order_id].append(shipment)
        query = select(Return).where(Return.order_id.in_(histories)).order_by(Return.created_at, Return.id)
        for ret in session.scalars(query):
            returns[ret.order_id].append(ret)
    return [
        _snapshot(order, histories[order.id])
        | {"shipments": _shipment_schema.dump(shipments[order.id], many=True),
           "returns": _return_schema.dump(returns[order.id], many=True)}
        for order in orders
    ]


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
             "unit_price": str(i.unit_price), "line_total": str(i.line_total),
             **{name: getattr(i, name) for name in _QUANTITIES}}
            for i in order.items
        ],
        # Entries written before sequences existed are numbered by their place.
        "history": [
            {"sequence": h.sequence or n, "from_status": h.from_status, "to_status": h.to_status,
             "at": h.at.astimezone(UTC).isoformat(), "actor": h.actor, "reason": h.reason}
            for n, h in enumerate(history, 1)
        ],
    }


def order_history(session: Session, order_id: str, page: PageRequest) -> tuple[list[OrderHistory], int]:
    """One page of the order's status changes, oldest first, and their total."""
    query = select(OrderHistory).where(OrderHistory.order_id == order_id).order_by(OrderHistory.id)
    return fetch_page(session, query, page)


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
    """The orders among `order_ids` whose reservation is still in use (lifecycle.RESERVING)."""
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
