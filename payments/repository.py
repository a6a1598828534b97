"""The payments database: the one place that reads and writes payments (their ledgers), the
operations asked of the provider, cancellations seen, buyers, invoices and credit notes, and
their number counters.

Each aggregate comes back as its one type of models.py: a `Payment` (whose ledger
payments/ledger.py decides on: `ledger_of`, `save_ledger`), a `PaymentOperation`, an `Invoice`,
a `CreditNote`. An authorization runs for every order, so its statements are SQLAlchemy Core
built once from the tables of models.py, their rows loaded as ORM objects (an INSERT ...
RETURNING of the mapped class); the rarer paths use the ORM."""

from datetime import datetime

from sqlalchemy import Select, bindparam, exists, func, insert, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from contracts.payments import OperationStatus
from payments import lifecycle
from payments.ledger import Ledger
from payments.models import (
    Buyer,
    CreditNote,
    DocumentCounter,
    Invoice,
    OrderCancellation,
    Payment,
    PaymentOperation,
    new_id,
)
from plumbing.pagination import fetch_page
from plumbing.sql import compiled_once
from wire.pagination import PageRequest

_counters, _buyers, _operations = DocumentCounter.__table__, Buyer.__table__, PaymentOperation.__table__

# One order's steps (charge, cancellation, invoice, credit note) one after the other, whichever
# instance handles them: held until the transaction ends.
_LOCK_ORDER = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("order_id"), 0)))
_SETTLED = select(
    or_(
        exists().where(Payment.order_id == bindparam("order_id")),
        exists().where(OrderCancellation.order_id == bindparam("order_id")),
    )
)
_NOTE_OPERATION = compiled_once(
    upsert(_operations)
    .values(
        id=bindparam("id"), order_id=bindparam("order_id"), type=bindparam("type"),
        reference=bindparam("reference"), amount=bindparam("amount"), reason=bindparam("reason"),
        status=literal_column("'requested'"),
    )
    .on_conflict_do_nothing(constraint="uq_payment_operations_order_type_reference")
)
_OPERATION = select(PaymentOperation).where(
    PaymentOperation.order_id == bindparam("order_id"),
    PaymentOperation.type == bindparam("type"),
    PaymentOperation.reference == bindparam("reference"),
)
_FINISH_OPERATION = compiled_once(
    update(_operations)
    .where(
        _operations.c.order_id == bindparam("o_order_id"),
        _operations.c.type == bindparam("o_type"),
        _operations.c.reference == bindparam("o_reference"),
        _operations.c.status == literal_column("'requested'"),
    )
    .values(
        status=bindparam("status"), amount=bindparam("amount"), provider_reference=bindparam("provider_reference"),
        failure_reason=bindparam("failure_reason"), at=func.clock_timestamp(),
    )
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
    """Whether the order has its payment already, or was cancelled before it had one."""
    return session.execute(_SETTLED, {"order_id": order_id}).scalar()


def note_operation(connection: Connection, order_id: str, type_: str, reference: str, amount, reason=None) -> None:
    """Record that the provider is about to be asked for an operation (status requested), unless
    it was before; for `uow.commit_aside`: the record must outlive the caller's transaction if
    the process dies in it."""
    connection.execute(_NOTE_OPERATION, {"id": new_id(), "order_id": order_id, "type": type_,
                                         "reference": reference, "amount": amount, "reason": reason})


def find_operation(session: Session, order_id: str, type_: str, reference: str) -> PaymentOperation | None:
    return session.scalar(_OPERATION, {"order_id": order_id, "type": type_, "reference": reference})


def record_outcome(session: Session, order_id: str, type_: str, reference: str, status: str, amount,
                   provider_reference: str | None = None, failure_reason: str | None = None,
                   reason: str | None = None) -> None:
    """An operation's outcome: its requested row ends (payments/lifecycle.py: requested →
    succeeded | failed), or, for one decided without asking the provider, a row is added ended.
    `at` is when it ended (clock_timestamp: operations of one transaction keep their order)."""
    lifecycle.check_operation_move(OperationStatus.REQUESTED, status)
    outcome = {"status": status, "amount": amount, "provider_reference": provider_reference,
               "failure_reason": failure_reason}
    done = session.execute(_FINISH_OPERATION, {"o_order_id": order_id, "o_type": type_, "o_reference": reference,
                                               **outcome})
    if done.rowcount == 0:
        session.add(PaymentOperation(id=new_id(), order_id=order_id, type=type_, reference=reference, reason=reason,
                                     at=func.clock_timestamp(), **outcome))


def operations_of(session: Session, order_ids: list[str]) -> dict[str, list[PaymentOperation]]:
    """Each order's operations, oldest first."""
    found: dict[str, list[PaymentOperation]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        query = select(PaymentOperation).where(PaymentOperation.order_id.in_(order_ids))
        for operation in session.scalars(query.order_by(PaymentOperation.at, PaymentOperation.id)):
            found[operation.order_id].append(operation)
    return found


def add_payment(session: Session, **columns) -> Payment:
    return session.scalars(insert(Payment).returning(Payment), [columns]).one()


def get_payment(session: Session, order_id: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.order_id == order_id))


def get_payments(session: Session, order_ids: list[str]) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.order_id.in_(order_ids)))) if order_ids else []


def change_address(session: Session, order_id: str, address: dict, sequence: int | None) -> None:
    """The address the order's next invoices name, unless a newer order event set one already."""
    conditions = [Payment.order_id == order_id]
    if sequence is not None:
        conditions.append(or_(Payment.address_sequence.is_(None), Payment.address_sequence < sequence))
    session.execute(update(Payment).where(*conditions).values(shipping_address=address, address_sequence=sequence))


def ledger_of(payment: Payment | None) -> Ledger:
    """The payment's ledger; an empty one (status None) for an order without a payment yet."""
    if payment is None:
        return Ledger()
    return Ledger(
        authorized=payment.authorized, captured=payment.captured, refunded=payment.refunded,
        voided=payment.voided, status=payment.status, authorization_expires_at=payment.authorization_expires_at,
        version=payment.ledger_version,
    )


def save_ledger(payment: Payment, ledger: Ledger) -> None:
    """Write a ledger the aggregate decided on into the payment (flushed with the transaction)."""
    payment.authorized, payment.captured = ledger.authorized, ledger.captured
    payment.refunded, payment.voided = ledger.refunded, ledger.voided
    payment.status, payment.ledger_version = str(ledger.status), ledger.version
    payment.authorization_expires_at = ledger.authorization_expires_at


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


def find_invoice(session: Session, order_id: str, number: str | None = None) -> Invoice | None:
    """The order's invoice numbered `number`, or without one its first."""
    if number is not None:
        return session.scalar(select(Invoice).where(Invoice.order_id == order_id, Invoice.number == number))
    return next(iter(invoices_of(session, order_id)), None)


def invoices_of(session: Session, order_id: str) -> list[Invoice]:
    """The order's invoices, oldest first (one per capture)."""
    query = select(Invoice).where(Invoice.order_id == order_id)
    return list(session.scalars(query.order_by(Invoice.issued_at, Invoice.year, Invoice.sequence)))


def invoice_of_capture(session: Session, order_id: str, capture_reference: str) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.order_id == order_id,
                                                Invoice.capture_reference == capture_reference))


def find_credit_note(session: Session, order_id: str, number: str | None = None) -> CreditNote | None:
    """The order's credit note numbered `number`, or without one its latest."""
    if number is not None:
        return session.scalar(select(CreditNote).where(CreditNote.order_id == order_id, CreditNote.number == number))
    return next(iter(reversed(credit_notes_of(session, order_id))), None)


def credit_notes_of(session: Session, order_id: str) -> list[CreditNote]:
    """The order's credit notes, oldest first (one per refund)."""
    query = select(CreditNote).where(CreditNote.order_id == order_id)
    return list(session.scalars(query.order_by(CreditNote.issued_at, CreditNote.year, CreditNote.sequence)))


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

