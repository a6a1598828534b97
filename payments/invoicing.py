"""Issuing invoices and credit notes, and finding them, in the payments database.

- An invoice is issued when order_confirmed reaches payments (`invoice_confirmed_order`), after
  the order is confirmed, so neither placing nor confirming an order waits for it. The event
  carries the order's lines, shipping address and placement time; the buyer's email comes from
  users (an RPC with payments' client token, scope users:read): the account's address at issue.
- An admin may issue a missing one at once (`issue_invoice_now`), e.g. for an order confirmed
  before invoicing existed; the order then comes from orders.get_order.
- A refund issues its credit note in the refund's own transaction (`credit_refund`), when the
  order has an invoice; if the refund came first (a cancellation right after confirmation, its
  event handled first), the credit note is issued with the invoice.

Everything runs under the order's advisory lock (charges.lock_order), so these steps are applied
one after the other for one order, whichever instance handles them. An order has at most one
invoice (found first; the unique order_id is the last guard) and a refund at most one credit note
(unique refund_reference). Numbers come from payments/numbering.py, taken last, just before the
insert: the RPC to users runs before the counter is locked."""

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from contracts.events import CREDIT_NOTE_ISSUED, INVOICE_ISSUED
from payments.charges import get_payment, lock_order
from payments.documents import OrderFacts, credit_note_content, facts_from_event, facts_from_order, invoice_content
from payments.invoicing_config import InvoicingConfig
from payments.models import CreditNote, Invoice, OrderCancellation, Payment, PaymentStatus, new_id
from payments.numbering import CREDIT_NOTE, INVOICE, allocate
from plumbing.access import INVOICES_READ_SCOPE, Actor
from plumbing.errors import Conflict, NotFound
from plumbing.pagination import PageRequest, fetch_page
from plumbing.unit_of_work import UnitOfWork

CHARGED = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
FULL_REFUND = "refund"


def find_invoice(session: Session, order_id: str) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.order_id == order_id))


def find_credit_note(session: Session, order_id: str) -> CreditNote | None:
    """The order's latest credit note (today an order has at most one: one refund per order)."""
    query = select(CreditNote).where(CreditNote.order_id == order_id)
    return session.scalar(query.order_by(CreditNote.year.desc(), CreditNote.sequence.desc()).limit(1))


def invoice_confirmed_order(uow: UnitOfWork, settings: InvoicingConfig, users, orders,
                            event: dict) -> Invoice | None:
    """order_confirmed: the order's invoice, issued in the handler's transaction; None if it
    already had one. LookupError when payments holds no charge for the order (a bug: orders
    confirms only on payment_succeeded)."""
    session = uow.session
    order_id = event["order_id"]
    lock_order(session, order_id)
    if find_invoice(session, order_id) is not None:
        return None
    payment = get_payment(session, order_id)
    if payment is None or payment.status not in CHARGED:
        raise LookupError(f"order {order_id} was confirmed, but payments holds no charge for it")
    facts = facts_from_event(event) or facts_from_order(orders.call("get_order", order_id))
    return _issue_invoice(uow, settings, facts, payment, buyer_email(users, facts.user_id))


def issue_invoice_now(uow: UnitOfWork, settings: InvoicingConfig, users, orders,
                      order_id: str) -> tuple[Invoice, bool]:
    """The order's invoice and whether it was issued just now: NotFound for an order orders
    doesn't know, Conflict for one that is not paid."""
    session = uow.session
    lock_order(session, order_id)
    existing = find_invoice(session, order_id)
    if existing is not None:
        return existing, False
    order = orders.call("get_order", order_id)
    payment = get_payment(session, order_id)
    if not order.get("paid") or payment is None or payment.status not in CHARGED:
        raise Conflict("The order is not paid: it gets its invoice once it is.", {"order_id": ["Not paid."]})
    facts = facts_from_order(order)
    return _issue_invoice(uow, settings, facts, payment, buyer_email(users, facts.user_id)), True


def buyer_email(users, user_id: str) -> str | None:
    """The customer's email, from users; None for an account deleted since it ordered."""
    try:
        return users.call("get_user", user_id)["email"]
    except NotFound:
        return None


def _issue_invoice(uow: UnitOfWork, settings: InvoicingConfig, facts: OrderFacts, payment: Payment,
                   email: str | None) -> Invoice:
    session = uow.session
    content = invoice_content(facts, email, settings.seller, settings.rates)
    number = allocate(session, INVOICE, settings.pause_after_numbering)
    invoice = Invoice(
        id=new_id(),
        **number.columns(),
        payment_id=payment.id,
        payment_reference=payment.provider_reference,
        order_placed_at=datetime.fromisoformat(facts.placed_at),
        **content,
    )
    session.add(invoice)
    session.flush()
    credit_note = None
    if payment.status == PaymentStatus.REFUNDED:  # the refund came first: credit it at once
        credit_note = _credit(uow, settings, invoice, payment, _refund_reason(session, facts.order_id))
    uow.add_event(INVOICE_ISSUED, **_announced(invoice), invoice_id=invoice.id,
               credit_note_number=credit_note.number if credit_note else None)
    return invoice


def credit_refund(uow: UnitOfWork, settings: InvoicingConfig, payment: Payment,
                  reason: str) -> CreditNote | None:
    """In a refund's transaction, under the order's lock: the refund's credit note, if the order
    has an invoice (None otherwise: the credit note then comes with the invoice)."""
    session = uow.session
    invoice = find_invoice(session, payment.order_id)
    if invoice is None:
        return None
    existing = session.scalar(select(CreditNote).where(CreditNote.refund_reference == payment.refund_reference))
    return existing or _credit(uow, settings, invoice, payment, reason)


def issue_credit_note_now(uow: UnitOfWork, settings: InvoicingConfig, order_id: str) -> tuple[CreditNote,
                                                                                                      bool]:
    """The credit note of a refunded order and whether it was issued just now: NotFound for an
    order payments knows nothing of, Conflict for one not refunded or not invoiced yet."""
    session = uow.session
    lock_order(session, order_id)
    payment = get_payment(session, order_id)
    invoice = find_invoice(session, order_id)
    if payment is None and invoice is None:
        raise NotFound("No payment or invoice for this order.")
    if payment is None or payment.status != PaymentStatus.REFUNDED:
        raise Conflict("The order is not refunded: no credit note for it.", {"order_id": ["Not refunded."]})
    if invoice is None:
        raise Conflict("The order has no invoice to credit yet: issue it first.", {"order_id": ["Not invoiced."]})
    existing = session.scalar(select(CreditNote).where(CreditNote.refund_reference == payment.refund_reference))
    if existing is not None:
        return existing, False
    return _credit(uow, settings, invoice, payment, _refund_reason(session, order_id)), True


def _refund_reason(session: Session, order_id: str) -> str:
    cancellation = session.get(OrderCancellation, order_id)
    return cancellation.reason if cancellation is not None else FULL_REFUND


def _credit(uow: UnitOfWork, settings: InvoicingConfig, invoice: Invoice, payment: Payment,
            reason: str) -> CreditNote:
    session = uow.session
    content = credit_note_content(invoice)
    number = allocate(session, CREDIT_NOTE, settings.pause_after_numbering)
    note = CreditNote(
        id=new_id(),
        **number.columns(),
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        refund_reference=payment.refund_reference,
        reason=reason[:500],
        **content,
    )
    session.add(note)
    session.flush()
    uow.add_event(CREDIT_NOTE_ISSUED, **_announced(note), credit_note_id=note.id,
               invoice_number=note.invoice_number)
    return note


def _announced(document: Invoice | CreditNote) -> dict:
    """The fields invoice_issued and credit_note_issued share."""
    return {"order_id": document.order_id, "user_id": document.user_id, "number": document.number,
            "total": str(document.gross_total), "currency": document.currency,
            "issued_at": document.issued_at.isoformat()}


# --- reading ---------------------------------------------------------------------------------------


def visible(document: Invoice | CreditNote | None, actor: Actor, what: str):
    """The document if the actor may read it: its customer, an admin, a client with invoices:read;
    NotFound otherwise, as when there is none (yet)."""
    if document is None or not actor.acts_for(document.user_id, INVOICES_READ_SCOPE):
        raise NotFound(f"No {what} for this order.")
    return document


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
