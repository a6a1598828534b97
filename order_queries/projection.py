"""Applying events to the views: each one a single upsert that is right whatever order events
arrive in and however often.

- Order events carry the order's sequence: the status (and the address) is that of the newest
  event applied; history entries are merged by sequence, so a late one still finds its place.
- A view created by an early payment event or a late order_created gets the order's lines,
  total, placement time and address when order_created arrives (they never change after).
- Payment fields follow payments' ledger_version: only a newer ledger replaces the one shown.
- Shipments, returns and cancelled units are maps patched by key (order_queries/after_sale.py).
  A rebuild shows what events would have: parcels that left, operations that an event announces.
- Customers keep the newest email and name (by the event's time).
Events are written to every generation being kept current: the served one and, during a
rebuild, the one being built (order_queries/rebuild.py)."""

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Session
from sqlalchemy.types import Integer

from contracts.payments import OperationStatus, OperationType
from order_queries import after_sale

FIRST_GENERATION = 1  # served until a rebuild has switched over (the state row may be missing)

# What a view keeps of a line: its quantities are counted from the after-sale maps when read.
_LINE_FIELDS = ("product_id", "sku", "name", "quantity", "unit_price", "line_total")
_MOVING_MONEY = (OperationType.CAPTURE, OperationType.VOID, OperationType.REFUND)
_NOTHING_MOVED = {"authorized": "0.00", "captured": "0.00", "refunded": "0.00", "voided": "0.00"}
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

# The ledger (amounts, status) is that of the newest ledger_version applied; a row without one
# takes any (events published before ledger versions existed). Operations merge by their key:
# an event's outcome wins over a snapshot's (which may have read it still requested).
_APPLY_PAYMENT = """
INSERT INTO order_views AS v (generation, order_id, user_id, payment_id, payment_status, payment_amount,
 payment_currency, payment_authorized, payment_captured, payment_refunded, payment_voided,
 payment_ledger_version, payment_operations, updated_at)
 SELECT g, :order_id, :user_id, :payment_id, :status, :amount, :currency, :authorized, :captured, :refunded,
 :voided, :version, :operations, :occurred_at
 FROM unnest(CAST(:generations AS integer[])) AS g
 ON CONFLICT (generation, order_id) DO UPDATE SET
 payment_id = COALESCE(v.payment_id, EXCLUDED.payment_id),
 payment_amount = COALESCE(v.payment_amount, EXCLUDED.payment_amount),
 payment_currency = COALESCE(v.payment_currency, EXCLUDED.payment_currency),
 {ledger},
 payment_ledger_version = CASE WHEN {newer} THEN EXCLUDED.payment_ledger_version ELSE v.payment_ledger_version END,
 payment_operations = {operations},
 updated_at = GREATEST(v.updated_at, EXCLUDED.updated_at)
"""
_NEWER_LEDGER = "(EXCLUDED.payment_ledger_version > v.payment_ledger_version OR v.payment_status IS NULL)"
_LEDGER = ",\n".join(
    f" {column} = CASE WHEN {_NEWER_LEDGER} THEN COALESCE(EXCLUDED.{column}, v.{column}) ELSE v.{column} END"
    for column in ("payment_status", "payment_authorized", "payment_captured", "payment_refunded", "payment_voided")
)
_PAYMENT_PARAMS = (bindparam("operations", type_=JSONB), bindparam("generations", type_=ARRAY(Integer)))
_APPLY_PAYMENT_EVENT = text(_APPLY_PAYMENT.format(
    ledger=_LEDGER, newer=_NEWER_LEDGER, operations="v.payment_operations || EXCLUDED.payment_operations",
)).bindparams(*_PAYMENT_PARAMS)
_APPLY_PAYMENT_SNAPSHOT = text(_APPLY_PAYMENT.format(
    ledger=_LEDGER, newer=_NEWER_LEDGER, operations="EXCLUDED.payment_operations || v.payment_operations",
)).bindparams(*_PAYMENT_PARAMS)

# One entry of an after-sale map patched; its status and sequence stay when the entry's sequence is
# newer than the patch's (a return's late step). The order's row exists: its event was applied first.
_PATCH_ENTRY = """
UPDATE order_views SET {column} = jsonb_set({column}, ARRAY[CAST(:key AS text)],
 COALESCE({column} -> :key, '{{}}'::jsonb) || :patch
 || CASE WHEN COALESCE(CAST({column} -> :key ->> 'sequence' AS integer), 0) > :sequence
    THEN jsonb_build_object('status', {column} -> :key -> 'status', 'sequence', {column} -> :key -> 'sequence')
    ELSE '{{}}'::jsonb END)
 WHERE order_id = :order_id AND generation = ANY(CAST(:generations AS integer[]))
"""
_PATCH = {
    column: text(_PATCH_ENTRY.format(column=column)).bindparams(
        bindparam("patch", type_=JSONB), bindparam("generations", type_=ARRAY(Integer)))
    for column in ("shipments", "returns", "cancellations")
}

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


def apply_after_sale_event(session: Session, column: str, key: str, patch: dict, event: dict) -> None:
    """An after-sale order event: the order's fields as any order event, then its entry in
    `column` (shipments, returns or cancellations) patched (order_queries/after_sale.py)."""
    apply_order_event(session, event)
    _patch(session, column, event["order_id"], key, patch, event.get("sequence") or 0, generations(session))


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
            "lines": [{key: item[key] for key in _LINE_FIELDS} for item in order["items"]],
            "created_at": order["created_at"],
            "occurred_at": order["updated_at"],
            "deleted": False,
            "generations": [generation],
        },
    )
    for column, entries in zip(("shipments", "returns", "cancellations"), after_sale.snapshot_patches(order),
                               strict=True):
        for key, patch in entries.items():
            _patch(session, column, order["id"], key, patch, order["sequence"], [generation])
    if payment is not None:
        operations = {f"{op['type']}:{op['reference']}": op for op in payment["operations"] if _announced(op)}
        session.execute(_APPLY_PAYMENT_SNAPSHOT, _payment_row(
            order["id"], order["user_id"], payment, payment.get("ledger_version") or 0, operations, read_at,
            [generation]))


def apply_payment_event(session: Session, event: dict, operation: dict) -> None:
    """A payment event: its ledger (if newer than the one shown) and its operation."""
    # payment_failed carries no ledger: it is the payment's first and last change, and leaves
    # nothing authorized (as payments' ledger shows it, so a rebuild finds the same).
    failed = operation["status"] == "failed"
    version = event.get("ledger_version") or (1 if failed else 0)
    ledger = {**(_NOTHING_MOVED if failed else {}), **event, "status": event.get("status") or operation["status"]}
    if operation["type"] != "authorize":
        ledger["amount"] = None  # the operation's amount, not the order's total the payment shows
    row = _payment_row(event["order_id"], event["user_id"], ledger, version,
                       {f"{operation['type']}:{operation['reference']}": operation}, event["occurred_at"],
                       generations(session))
    session.execute(_APPLY_PAYMENT_EVENT, row)


def _announced(operation: dict) -> bool:
    """Whether an event tells of this operation, so that a rebuild shows what events show: every
    authorization (payment_authorized, payment_failed), and the captures, voids and refunds that
    moved money. A declined capture or re-authorization and one still in flight are payments'
    own (GET /orders/{id}/payment)."""
    if operation["type"] == OperationType.AUTHORIZE:
        return operation["status"] != OperationStatus.REQUESTED
    return operation["type"] in _MOVING_MONEY and operation["status"] == OperationStatus.SUCCEEDED


def _payment_row(order_id, user_id, ledger: dict, version: int, operations: dict, at, generation_list) -> dict:
    return {
        "order_id": order_id, "user_id": user_id, "payment_id": ledger.get("payment_id", ledger.get("id")),
        "status": ledger["status"], "amount": ledger.get("amount"), "currency": ledger.get("currency"),
        "authorized": ledger.get("authorized"), "captured": ledger.get("captured"),
        "refunded": ledger.get("refunded"), "voided": ledger.get("voided"), "version": version,
        "operations": operations, "occurred_at": at, "generations": generation_list,
    }


def _patch(session: Session, column: str, order_id: str, key: str, patch: dict, sequence: int,
           generation_list: list[int]) -> None:
    session.execute(_PATCH[column], {"order_id": order_id, "key": key, "patch": patch, "sequence": sequence,
                                     "generations": generation_list})


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
