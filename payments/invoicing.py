"""Issuing invoices and credit notes.

- An order's invoice is issued in the transaction of its successful charge (`invoice_charge`):
  payments knows then that the order is paid, and the order_created it charges carries the
  order's lines, shipping address and placement time. Placing an order doesn't wait for it, and
  no event more is handled for it. payment_succeeded names the invoice, and so does the
  order_confirmed that follows it: the confirmation mail attaches it.
- The buyer's email is the one payments last heard of from users' events
  (repository.buyer_email), or asked of users (an RPC with payments' client token, scope
  users:read) for an account whose user_registered hasn't reached payments yet; none if users
  can't answer then, so a charge never depends on users.
- An admin may issue a missing one at once (`issue_invoice_now`), e.g. for an order paid before
  invoicing existed; the order then comes from orders.get_order.
- A refund issues its credit note in the refund's own transaction (`credit_refund`). An order
  refunded before it had an invoice (charged before invoicing existed) gets its credit note with
  the invoice issued by hand.

Everything runs under the order's advisory lock (repository.lock_order), so these steps are
applied one after the other for one order, whichever instance handles them. An order has at most
one invoice (found first; the unique order_id is the last guard) and a refund at most one credit
note (unique refund_reference). Numbers come from payments/numbering.py, taken last, just before
the insert: the RPC to users runs before the counter is locked."""

import logging
from datetime import datetime

from contracts.clients import OrdersRpc, UsersRpc
from contracts.events import CREDIT_NOTE_ISSUED, INVOICE_ISSUED
from payments import repository
from payments.documents import (
    OrderFacts,
    TotalsMismatch,
    credit_note_content,
    facts_from_event,
    facts_from_order,
    invoice_content,
)
from payments.invoicing_config import InvoicingConfig
from payments.models import CreditNote, Invoice, Payment, PaymentStatus, new_id
from payments.numbering import CREDIT_NOTE, INVOICE, allocate
from plumbing.unit_of_work import UnitOfWork
from wire.access import INVOICES_READ_SCOPE, Actor
from wire.errors import Conflict, NotFound, Unavailable

log = logging.getLogger(__name__)

CHARGED = (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)
FULL_REFUND = "refund"


def invoice_charge(
    uow: UnitOfWork, settings: InvoicingConfig, users: UsersRpc, event: dict, payment: Payment
) -> Invoice | None:
    """In a successful charge's transaction, under the order's lock: the order's invoice, from
    its order_created. None, with an error logged for the invariants and an admin to see, for an
    order_created without the order's lines (published before it carried them) or whose lines
    don't add up to its total: the charge stands, and an admin issues the invoice by hand."""
    facts = facts_from_event(event)
    try:
        if facts is None:
            raise TotalsMismatch(f"order {event['order_id']}: its order_created carries no lines")
        return _issue_invoice(uow, settings, facts, payment, _buyer_email(uow, users, facts.user_id))
    except TotalsMismatch:
        log.exception("order %s charged but not invoiced", event["order_id"])
        return None


def issue_invoice_now(uow: UnitOfWork, settings: InvoicingConfig, users: UsersRpc, orders: OrdersRpc,
                      order_id: str) -> tuple[Invoice, bool]:
    """The order's invoice and whether it was issued just now: NotFound for an order orders
    doesn't know, Conflict for one that is not paid."""
    session = uow.session
    repository.lock_order(session, order_id)
    existing = repository.find_invoice(session, order_id)
    if existing is not None:
        return existing, False
    order = orders.get_order(order_id)
    payment = repository.get_payment(session, order_id)
    if not order.get("paid") or payment is None or payment.status not in CHARGED:
        raise Conflict("The order is not paid: it gets its invoice once it is.", {"order_id": ["Not paid."]})
    facts = facts_from_order(order)
    return _issue_invoice(uow, settings, facts, payment, _buyer_email(uow, users, facts.user_id)), True


def _buyer_email(uow: UnitOfWork, users: UsersRpc, user_id: str) -> str | None:
    """The customer's email. None for an account deleted before payments heard of it, and while
    users can't answer for one payments hasn't heard of yet: a charge never waits for users (an
    invoice needs the buyer's name and address; the email is a courtesy)."""
    email = repository.buyer_email(uow.session, user_id)
    if email is not None:
        return email
    try:
        return users.get_user(user_id)["email"]
    except NotFound:
        return None
    except Unavailable as exc:
        log.warning("invoicing user %s without an email: %s", user_id, exc)
        return None


def _issue_invoice(uow: UnitOfWork, settings: InvoicingConfig, facts: OrderFacts, payment: Payment,
                   email: str | None) -> Invoice:
    session = uow.session
    content = invoice_content(facts, email, settings.seller, settings.rates)
    number = allocate(session, INVOICE, settings.pause_after_numbering)
    invoice = repository.add_invoice(
        session,
        id=new_id(),
        **number.columns(),
        payment_id=payment.id,
        payment_reference=payment.provider_reference,
        order_placed_at=datetime.fromisoformat(facts.placed_at),
        **content,
    )
    credit_note = None
    if payment.status == PaymentStatus.REFUNDED:  # refunded before it was invoiced: credit it at once
        reason = repository.cancellation_reason(session, facts.order_id) or FULL_REFUND
        credit_note = _credit(uow, settings, invoice, payment, reason)
    uow.add_event(INVOICE_ISSUED, **_announced(invoice), invoice_id=invoice.id,
                  credit_note_number=credit_note.number if credit_note else None)
    return invoice


def credit_refund(uow: UnitOfWork, settings: InvoicingConfig, payment: Payment,
                  reason: str) -> CreditNote | None:
    """In a refund's transaction, under the order's lock: the refund's credit note, if the order
    has one (None for an order charged before invoicing existed: its credit note comes with the
    invoice issued by hand)."""
    session = uow.session
    invoice = repository.find_invoice(session, payment.order_id)
    if invoice is None:
        return None
    existing = repository.credit_note_of_refund(session, payment.refund_reference)
    return existing or _credit(uow, settings, invoice, payment, reason)


def issue_credit_note_now(uow: UnitOfWork, settings: InvoicingConfig, order_id: str) -> tuple[CreditNote,
                                                                                                      bool]:
    """The credit note of a refunded order and whether it was issued just now: NotFound for an
    order payments knows nothing of, Conflict for one not refunded or not invoiced yet."""
    session = uow.session
    repository.lock_order(session, order_id)
    payment = repository.get_payment(session, order_id)
    invoice = repository.find_invoice(session, order_id)
    if payment is None and invoice is None:
        raise NotFound("No payment or invoice for this order.")
    if payment is None or payment.status != PaymentStatus.REFUNDED:
        raise Conflict("The order is not refunded: no credit note for it.", {"order_id": ["Not refunded."]})
    if invoice is None:
        raise Conflict("The order has no invoice to credit yet: issue it first.", {"order_id": ["Not invoiced."]})
    existing = repository.credit_note_of_refund(session, payment.refund_reference)
    if existing is not None:
        return existing, False
    reason = repository.cancellation_reason(session, order_id) or FULL_REFUND
    return _credit(uow, settings, invoice, payment, reason), True


def _credit(uow: UnitOfWork, settings: InvoicingConfig, invoice: Invoice, payment: Payment,
            reason: str) -> CreditNote:
    content = credit_note_content(invoice)
    number = allocate(uow.session, CREDIT_NOTE, settings.pause_after_numbering)
    note = repository.add_credit_note(
        uow.session,
        id=new_id(),
        **number.columns(),
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        refund_reference=payment.refund_reference,
        reason=reason[:500],
        **content,
    )
    uow.add_event(CREDIT_NOTE_ISSUED, **_announced(note), credit_note_id=note.id,
                  invoice_number=note.invoice_number)
    return note


def _announced(document: Invoice | CreditNote) -> dict:
    """The fields invoice_issued and credit_note_issued share."""
    return {"order_id": document.order_id, "user_id": document.user_id, "number": document.number,
            "total": str(document.gross_total), "currency": document.currency,
            "issued_at": document.issued_at.isoformat()}


def visible(document: Invoice | CreditNote | None, actor: Actor, what: str):
    """The document if the actor may read it: its customer, an admin, a client with invoices:read;
    NotFound otherwise, as when there is none (yet)."""
    if document is None or not actor.acts_for(document.user_id, INVOICES_READ_SCOPE):
        raise NotFound(f"No {what} for this order.")
    return document
