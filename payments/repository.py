"""The payments database: the one place that reads and writes payments, charges asked for, cancellations seen,
buyers, invoices and credit notes, and their number counters.

Each aggregate comes back as its one type of models.py: a `Payment`, an `Invoice`, a
`CreditNote`. A charge (with its invoice) runs for every order, so its statements are SQLAlchemy
Core built once from the tables of models.py, their rows loaded as ORM objects (an
INSERT ... RETURNING of the mapped class); the rarer paths use the ORM."""

from datetime import datetime

from sqlalchemy import Select, bindparam, delete, exists, func, insert, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from payments.models import Buyer, ChargeRequest, CreditNote, DocumentCounter, Invoice, OrderCancellation, Payment
from plumbing.pagination import fetch_page
from plumbing.sql import compiled_once
from wire.pagination import PageRequest

_counters, _buyers = DocumentCounter.__table__, Buyer.__table__

# One order's steps (charge, cancellation, invoice, credit note) one after the other, whichever
# instance handles them: held until the transaction ends.
_LOCK_ORDER = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("order_id"), 0)))
_SETTLED = select(
    or_(
        exists().where(Payment.order_id == bindparam("order_id")),
        exists().where(OrderCancellation.order_id == bindparam("order_id")),
    )
)
_NOTE_CHARGE_REQUEST = compiled_once(
    upsert(ChargeRequest.__table__).values(order_id=bindparam("order_id")).on_conflict_do_nothing()
)
_DROP_CHARGE_REQUEST = compiled_once(
    delete(ChargeRequest.__table__).where(ChargeRequest.order_id == bindparam("order_id"))
)
# The year's counter moved on by one (created by the first document of the year), locked until
# the transaction ends. RETURNING runs once the row is locked: clock_timestamp() there is the
# issue time, so numbers and issue times rise together.
_NEXT_NUMBER = compiled_once(
    upsert(_counters)
    .values(kind=bindparam("kind"), year=bindparam("year"), last_number=literal_column("1"))
    .on_conflict_do_update(
        index_elements=[_counters.c.kind, _counters.c.year],
        set_={"last_number": _counters.c.last_number + literal_column("1")},
    )
    .returning(_counters.c.last_number, func.clock_timestamp().label("issued_at"))
)
# A buyer's email as of its newest user event: an older event handled later changes nothing.
_REMEMBER_BUYER = compiled_once(
    upsert(_buyers)
    .values(user_id=bindparam("user_id"), email=bindparam("email"), changed_at=bindparam("changed_at"))
    .on_conflict_do_update(
        index_elements=[_buyers.c.user_id],
        set_={"email": literal_column("EXCLUDED.email"), "changed_at": literal_column("EXCLUDED.changed_at")},
        where=_buyers.c.changed_at <= literal_column("EXCLUDED.changed_at"),
    )
)
_BUYER_EMAIL = select(_buyers.c.email).where(_buyers.c.user_id == bindparam("user_id"))


def lock_order(session: Session, order_id: str) -> None:
    session.execute(_LOCK_ORDER, {"order_id": order_id})


# --- payments ------------------------------------------------------------------------------------


def settled(session: Session, order_id: str) -> bool:
    """Whether the order was charged already, or cancelled before it was."""
    return session.execute(_SETTLED, {"order_id": order_id}).scalar()


def note_charge_request(connection: Connection, order_id: str) -> None:
    """Record that the provider is about to be asked to charge `order_id`; for
    `uow.commit_aside`: the record must outlive the caller's transaction if the process dies in
    it."""
    connection.execute(_NOTE_CHARGE_REQUEST, {"order_id": order_id})


def charge_requested(session: Session, order_id: str) -> bool:
    """Whether the provider was asked to charge the order (by this delivery or an earlier one)."""
    return session.get(ChargeRequest, order_id) is not None


def add_payment(session: Session, **columns) -> Payment:
    """The order's payment; its charge request goes in the same transaction (the payment says it all now)."""
    session.execute(_DROP_CHARGE_REQUEST, {"order_id": columns["order_id"]})
    return session.scalars(insert(Payment).returning(Payment), [columns]).one()


def get_payment(session: Session, order_id: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.order_id == order_id))


def get_payments(session: Session, order_ids: list[str]) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.order_id.in_(order_ids)))) if order_ids else []


def record_cancellation(session: Session, order_id: str, reason: str) -> None:
    """Remember an order_cancelled (the first one's reason), so a later order_created doesn't charge."""
    if session.get(OrderCancellation, order_id) is None:
        session.add(OrderCancellation(order_id=order_id, reason=reason))


def cancellation_reason(session: Session, order_id: str) -> str | None:
    cancellation = session.get(OrderCancellation, order_id)
    return cancellation.reason if cancellation is not None else None


# --- buyers --------------------------------------------------------------------------------------


def remember_buyer(session: Session, user_id: str, email: str, changed_at: str) -> None:
    session.execute(_REMEMBER_BUYER, {"user_id": user_id, "email": email, "changed_at": changed_at})


def buyer_email(session: Session, user_id: str) -> str | None:
    """The email of a user payments has heard of (user_registered, user_updated); None otherwise."""
    return session.execute(_BUYER_EMAIL, {"user_id": user_id}).scalar()


# --- documents -----------------------------------------------------------------------------------


def next_number(session: Session, kind: str, year: int) -> tuple[int, datetime]:
    """The next sequence of `kind` in `year` and the issue time, with the counter locked until the
    transaction ends (payments/numbering.py)."""
    return tuple(session.execute(_NEXT_NUMBER, {"kind": kind, "year": year}).one())


def add_invoice(session: Session, **columns) -> Invoice:
    return session.scalars(insert(Invoice).returning(Invoice), [columns]).one()


def add_credit_note(session: Session, **columns) -> CreditNote:
    return session.scalars(insert(CreditNote).returning(CreditNote), [columns]).one()


def find_invoice(session: Session, order_id: str) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.order_id == order_id))


def find_credit_note(session: Session, order_id: str) -> CreditNote | None:
    """The order's latest credit note (today an order has at most one: one refund per order)."""
    query = select(CreditNote).where(CreditNote.order_id == order_id)
    return session.scalar(query.order_by(CreditNote.year.desc(), CreditNote.sequence.desc()).limit(1))


def credit_note_of_refund(session: Session, refund_reference: str) -> CreditNote | None:
    return session.scalar(select(CreditNote).where(CreditNote.refund_reference == refund_reference))


def list_documents(session: Session, model: type, query: dict, page: PageRequest) -> tuple[list, int]:
    """Invoices or credit notes, newest number first, filtered by issued_from / issued_to (UTC),
    number and order_id."""
    return fetch_page(session, _filtered(model, query), page)


def _filtered(model: type, query: dict) -> Select:
    conditions = []
    if "issued_from" in query:
        conditions.append(model.issued_at >= query["issued_from"])
    if "issued_to" in query:
        conditions.append(model.issued_at < query["issued_to"])
    if "number" in query:
        conditions.append(model.number == query["number"])
    if "order_id" in query:
        conditions.append(model.order_id == query["order_id"])
    return select(model).where(*conditions).order_by(model.year.desc(), model.sequence.desc())

