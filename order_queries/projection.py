"""Applying events to the views: each one a single upsert that is right whatever order events
arrive in and however often.

- Order events carry the order's sequence: the status (and the address) is that of the newest
  event applied; history entries are merged by sequence, so a late one still finds its place.
- A view created by an early payment event or a late order_created gets the order's lines,
  total, placement time and address when order_created arrives (they never change after).
- Payment fields follow payments' own stages: a refund is never undone by a late success.
- Customers keep the newest email and name (by the event's time).
Events are written to every generation being kept current: the served one and, during a
rebuild, the one being built (order_queries/rebuild.py)."""

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session
from sqlalchemy.types import Integer

FIRST_GENERATION = 1  # served until a rebuild has switched over (the state row may be missing)
# Payments' stages: a payment is first settled (succeeded or failed), then maybe refunded.
PAYMENT_STAGES = {"succeeded": 1, "failed": 1, "refunded": 2}

_JSON = JSONB(none_as_null=True)  # None is SQL NULL, not the JSON null
_GENERATIONS = text(
    "SELECT current_generation, building_generation FROM projection_state WHERE id = 1"
)

_APPLY_ORDER = text(
    "INSERT INTO order_views AS v (generation, order_id, user_id, total, currency, status, sequence, history,"
    " shipping_address, address_sequence, lines, created_at, updated_at, deleted)"
    " SELECT g, :order_id, :user_id, :total, :currency, :status, :sequence, :history, :address,"
    " CASE WHEN CAST(:address AS jsonb) IS NULL THEN 0 ELSE :sequence END, :lines, :created_at, :occurred_at, :deleted"
    " FROM unnest(CAST(:generations AS integer[])) AS g"
    " ON CONFLICT (generation, order_id) DO UPDATE SET"
    " user_id = EXCLUDED.user_id, total = EXCLUDED.total, currency = EXCLUDED.currency,"
    " status = CASE WHEN EXCLUDED.sequence > v.sequence THEN EXCLUDED.status ELSE v.status END,"
    " sequence = GREATEST(v.sequence, EXCLUDED.sequence),"
    " history = v.history || EXCLUDED.history,"
    " shipping_address = CASE WHEN EXCLUDED.address_sequence > v.address_sequence"
    " THEN EXCLUDED.shipping_address ELSE v.shipping_address END,"
    " address_sequence = GREATEST(v.address_sequence, EXCLUDED.address_sequence),"
    " lines = COALESCE(v.lines, EXCLUDED.lines),"
    " created_at = COALESCE(v.created_at, EXCLUDED.created_at),"
    " updated_at = GREATEST(v.updated_at, EXCLUDED.updated_at),"
    " deleted = v.deleted OR EXCLUDED.deleted"
).bindparams(
    bindparam("history", type_=JSONB),
    bindparam("address", type_=_JSON),
    bindparam("lines", type_=_JSON),
    bindparam("generations", type_=ARRAY(Integer)),
)

_APPLY_PAYMENT = text(
    "INSERT INTO order_views AS v (generation, order_id, user_id, payment_id, payment_status, payment_amount,"
    " payment_currency, payment_stage, updated_at)"
    " SELECT g, :order_id, :user_id, :payment_id, :status, :amount, :currency, :stage, :occurred_at"
    " FROM unnest(CAST(:generations AS integer[])) AS g"
    " ON CONFLICT (generation, order_id) DO UPDATE SET"
    " payment_id = CASE WHEN EXCLUDED.payment_stage > v.payment_stage"
    " THEN COALESCE(EXCLUDED.payment_id, v.payment_id) ELSE v.payment_id END,"
    " payment_status = CASE WHEN EXCLUDED.payment_stage > v.payment_stage"
    " THEN EXCLUDED.payment_status ELSE v.payment_status END,"
    " payment_amount = CASE WHEN EXCLUDED.payment_stage > v.payment_stage"
    " THEN COALESCE(EXCLUDED.payment_amount, v.payment_amount) ELSE v.payment_amount END,"
    " payment_currency = CASE WHEN EXCLUDED.payment_stage > v.payment_stage"
    " THEN COALESCE(EXCLUDED.payment_currency, v.payment_currency) ELSE v.payment_currency END,"
    " payment_stage = GREATEST(v.payment_stage, EXCLUDED.payment_stage),"
    " updated_at = GREATEST(v.updated_at, EXCLUDED.updated_at)"
).bindparams(bindparam("generations", type_=ARRAY(Integer)))

_APPLY_CUSTOMER = text(
    "INSERT INTO customers AS c (user_id, email, name, changed_at) VALUES (:user_id, :email, :name, :changed_at)"
    " ON CONFLICT (user_id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name,"
    " changed_at = EXCLUDED.changed_at WHERE c.changed_at <= EXCLUDED.changed_at"
)


def generations(session: Session) -> list[int]:
    """The generations events go to: the served one and the one being built, if any."""
    state = session.execute(_GENERATIONS).first()
    current, building = state if state is not None else (FIRST_GENERATION, None)
    return [current] if building is None else [current, building]


def apply_order_event(session: Session, event: dict, deleted: bool = False) -> None:
    """Any order event (contracts/events.py OrderEventSchema and its extensions)."""
    sequence = event.get("sequence") or 0  # events from before sequences existed change no status
    entry = event.get("history_entry")
    session.execute(
        _APPLY_ORDER,
        {
            "order_id": event["order_id"],
            "user_id": event["user_id"],
            "total": event["total"],
            "currency": event["currency"],
            "status": event.get("status"),
            "sequence": sequence,
            "history": {str(sequence): entry} if entry else {},
            "address": _address(event.get("shipping_address")),
            "lines": _lines(event.get("lines")),
            "created_at": event.get("placed_at"),
            "occurred_at": event["occurred_at"],
            "deleted": deleted,
            "generations": generations(session),
        },
    )


def apply_snapshot(session: Session, generation: int, order: dict, payment: dict | None, read_at: str) -> None:
    """An order as the command side holds it now (orders.snapshot_orders, payments.get_payments)
    into `generation`, merged with what events already wrote there by the same rules."""
    history = {str(h["sequence"]): {k: v for k, v in h.items() if k != "sequence"} for h in order["history"]}
    session.execute(
        _APPLY_ORDER,
        {
            "order_id": order["id"],
            "user_id": order["user_id"],
            "total": order["total"],
            "currency": order["currency"],
            "status": order["status"],
            "sequence": order["sequence"],
            "history": history,
            "address": _address(order["shipping_address"]),
            "lines": order["items"],
            "created_at": order["created_at"],
            "occurred_at": order["updated_at"],
            "deleted": False,
            "generations": [generation],
        },
    )
    if payment is not None:
        session.execute(
            _APPLY_PAYMENT,
            {
                "order_id": order["id"],
                "user_id": order["user_id"],
                "payment_id": payment["id"],
                "status": payment["status"],
                "amount": payment["amount"],
                "currency": payment["currency"],
                "stage": PAYMENT_STAGES[payment["status"]],
                "occurred_at": read_at,
                "generations": [generation],
            },
        )


def apply_payment_event(session: Session, event: dict, status: str) -> None:
    session.execute(
        _APPLY_PAYMENT,
        {
            "order_id": event["order_id"],
            "user_id": event["user_id"],
            "payment_id": event.get("payment_id"),
            "status": status,
            "amount": event.get("amount"),
            "currency": event.get("currency"),
            "stage": PAYMENT_STAGES[status],
            "occurred_at": event["occurred_at"],
            "generations": generations(session),
        },
    )


def apply_customer(session: Session, user_id: str, email: str, name: str, changed_at) -> None:
    session.execute(_APPLY_CUSTOMER, {"user_id": user_id, "email": email, "name": name, "changed_at": changed_at})


def _address(address: dict | None) -> dict | None:
    """As events carry it (every field, line2 None when absent), whichever side it came from."""
    return None if address is None else {"line2": None, **address}


def _lines(lines: list | None) -> list | None:
    """Money as strings in JSON, never as numbers."""
    if lines is None:
        return None
    return [{**line, "unit_price": str(line["unit_price"]), "line_total": str(line["line_total"])} for line in lines]
