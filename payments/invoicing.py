"""Issuing invoices and credit notes.

- Invoices follow captures: each capture (a shipment) issues the invoice of the shipped lines in
  its own transaction (`invoice_capture`), so what is invoiced is what was captured. An invoice
  states what was delivered and charged; a shop that ships in parcels invoices each. The
  buyer's address and the placement time are those payments kept from the order_created.
- Credit notes follow refunds: each refund issues one in its transaction: of the returned
  lines (`credit_return`), of a goodwill amount (`credit_goodwill`), or of the whole invoice (a
  cancelled order charged before authorize / capture existed: `credit_refund`). So what is
  credited is what was refunded. An order without an invoice gets none.
- The buyer's email is the one payments last heard of from users' events
  (repository.buyer_email), or asked of users (an RPC with payments' client token, scope
  users:read) for an account whose user_registered hasn't reached payments yet; none if users
  can't answer then, so a capture never depends on users.
- An admin may issue a missing one at once (`issue_invoice_now`): an order charged before
  invoicing existed; the order then comes from orders.get_order.

Everything runs under the order's advisory lock (repository.lock_order), so these steps are
applied one after the other for one order, whichever instance handles them. A capture has at
most one invoice (unique order_id, capture_reference) and a refund at most one credit note
(unique refund_reference). Numbers come from payments/numbering.py, taken last, just before the
insert: the RPC to users runs before the counter is locked."""

import logging
from datetime import datetime

from contracts.clients import OrdersRpc, UsersRpc
from contracts.events import CREDIT_NOTE_ISSUED, INVOICE_ISSUED
from contracts.payments import PaymentStatus
from payments import repository
from payments.documents import (
    OrderFacts,
    TotalsMismatch,
    credit_note_content,
    facts_from_order,
    goodwill_lines,
    invoice_content,
    refund_content,
)
from payments.invoicing_config import InvoicingConfig
from payments.models import CreditNote, Invoice, Payment, new_id
from payments.numbering import CREDIT_NOTE, INVOICE, allocate
from plumbing.unit_of_work import UnitOfWork
from wire.access import INVOICES_READ_SCOPE, Actor
from wire.errors import Conflict, NotFound, Unavailable

log = logging.getLogger(__name__)

FULL_REFUND = "refund"
# The capture reference of the invoice of an order charged once, before authorize / capture.
LEGACY_CHARGE = "charge"


def invoice_capture(uow: UnitOfWork, settings: InvoicingConfig, users: UsersRpc, payment: Payment,
                    shipment_id: str, lines: list[dict], amount, capture: str | None) -> Invoice | None:
    """In a capture's transaction, under the order's lock: the invoice of the shipment's
    `lines` (adding up to `amount`), `capture` being the provider's reference. None, with an
    error logged for the invariants and an admin to see, for a payment that kept no address (its
    order_created came before it carried one) or lines that don't add up: the capture stands."""
    try:
        if payment.shipping_address is None or payment.placed_at is None:
            raise TotalsMismatch(f"order {payment.order_id}: payments kept no address to invoice")
        facts = OrderFacts(order_id=payment.order_id, user_id=payment.user_id, total=amount,
                           currency=payment.currency, placed_at=payment.placed_at.isoformat(),
                           shipping_address=payment.shipping_address, lines=lines)
        return _issue_invoice(uow, settings, facts, payment, _buyer_email(uow, users, facts.user_id),
                              shipment_id, capture)
    except TotalsMismatch:
        log.exception("order %s: shipment %s captured but not invoiced", payment.order_id, shipment_id)
        return None


def issue_invoice_now(uow: UnitOfWork, settings: InvoicingConfig, users: UsersRpc, orders: OrdersRpc,
                      order_id: str) -> tuple[Invoice, bool]:
    """The invoice of an order charged before invoicing existed, and whether it was issued just
    now: NotFound for an order orders doesn't know, Conflict for one not charged that way (an
    order authorized since is invoiced at each capture)."""
    session = uow.session
    repository.lock_order(session, order_id)
    existing = repository.find_invoice(session, order_id)
    if existing is not None:
        return existing, False
    payment = repository.get_payment(session, order_id)
    charged = payment is not None and repository.find_operation(session, order_id, "capture", LEGACY_CHARGE)
    order = orders.get_order(order_id) if charged or payment is None else None  # NotFound for one unknown
    if not charged:
        raise Conflict("The order was not charged: it gets its invoices with its captures.",
                       {"order_id": ["Not paid."]})
    facts = facts_from_order(order)
    invoice = _issue_invoice(uow, settings, facts, payment, _buyer_email(uow, users, facts.user_id),
                             LEGACY_CHARGE, payment.provider_reference)
    return invoice, True


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
                   email: str | None, capture_reference: str, payment_reference: str | None) -> Invoice:
    session = uow.session
    content = invoice_content(facts, email, settings.seller, settings.rates)
    number = allocate(session, INVOICE, settings.pause_after_numbering)
    invoice = repository.add_invoice(
        session,
        id=new_id(),
        **number.columns(),
        payment_id=payment.id,
        payment_reference=payment_reference,
        order_placed_at=datetime.fromisoformat(facts.placed_at),
        capture_reference=capture_reference,
        **content,
    )
    credit_note = None
    if capture_reference == LEGACY_CHARGE and payment.refund_reference is not None:
        # A legacy order refunded before it was invoiced: credit it at once.
        reason = repository.cancellation_reason(session, facts.order_id) or FULL_REFUND
        credit_note = _credit(uow, settings, invoice, payment.refund_reference, reason, credit_note_content(invoice))
    uow.add_event(INVOICE_ISSUED, **_announced(invoice), invoice_id=invoice.id,
                  credit_note_number=credit_note.number if credit_note else None)
    return invoice


def credit_refund(uow: UnitOfWork, settings: InvoicingConfig, payment: Payment, refund_reference: str,
                  reason: str) -> CreditNote | None:
    """In the refund of a cancelled legacy order: the credit note of its whole invoice (None
    while it has none: it comes with the invoice issued by hand)."""
    invoices = repository.invoices_of(uow.session, payment.order_id)
    if not invoices:
        return None
    existing = repository.credit_note_of_refund(uow.session, refund_reference)
    return existing or _credit(uow, settings, invoices[-1], refund_reference, reason, credit_note_content(invoices[-1]))


def credit_return(uow: UnitOfWork, settings: InvoicingConfig, payment: Payment, refund_reference: str,
                  returned: list[dict]) -> CreditNote | None:
    """In a return's refund: the credit note of the returned lines (return_received's items:
    {product_id, quantity, amount}), at the rate of the invoice that billed each; against the
    latest invoice that billed the first. A line payments doesn't know the product of (a legacy
    order) is credited as an amount over the order's rates."""
    invoices = repository.invoices_of(uow.session, payment.order_id)
    if not invoices:
        return None
    existing = repository.credit_note_of_refund(uow.session, refund_reference)
    if existing is not None:
        return existing
    placed = {line["product_id"]: line for line in payment.lines or []}
    lines, against = [], invoices[-1]
    for item in returned:
        line = placed.get(item["product_id"])
        billing = _invoice_billing(invoices, line["sku"]) if line else None
        if billing is None:
            lines += goodwill_lines(item["amount"], "return", invoices)
            continue
        invoice, rate = billing
        against = invoice if not lines else against
        lines.append({"sku": line["sku"], "name": line["name"], "quantity": item["quantity"],
                      "unit_price": line["unit_price"], "line_total": item["amount"], "tax_rate": rate})
    return _credit(uow, settings, against, refund_reference, "return", refund_content(against, lines))


def credit_goodwill(uow: UnitOfWork, settings: InvoicingConfig, payment: Payment, refund_reference: str,
                    amount, reason: str) -> CreditNote | None:
    """In a goodwill refund: a credit note of one line per tax rate of the order's invoices."""
    invoices = repository.invoices_of(uow.session, payment.order_id)
    if not invoices:
        return None
    existing = repository.credit_note_of_refund(uow.session, refund_reference)
    if existing is not None:
        return existing
    content = refund_content(invoices[-1], goodwill_lines(amount, reason, invoices))
    return _credit(uow, settings, invoices[-1], refund_reference, reason, content)


def _invoice_billing(invoices: list[Invoice], sku: str) -> tuple[Invoice, str] | None:
    """The latest invoice with a line of `sku`, and that line's tax rate."""
    for invoice in reversed(invoices):
        for line in invoice.lines:
            if line["sku"] == sku:
                return invoice, line["tax_rate"]
    return None


def issue_credit_note_now(uow: UnitOfWork, settings: InvoicingConfig, order_id: str) -> tuple[CreditNote,
                                                                                                      bool]:
    """The credit note of a legacy order refunded before it was invoiced, and whether it was
    issued just now: NotFound for an order payments knows nothing of, Conflict for one not
    refunded that way, or not invoiced yet."""
    session = uow.session
    repository.lock_order(session, order_id)
    payment = repository.get_payment(session, order_id)
    invoice = repository.find_invoice(session, order_id)
    if payment is None and invoice is None:
        raise NotFound("No payment or invoice for this order.")
    if payment is None or payment.refund_reference is None or payment.status != PaymentStatus.REFUNDED:
        raise Conflict("The order is not refunded: no credit note for it.", {"order_id": ["Not refunded."]})
    if invoice is None:
        raise Conflict("The order has no invoice to credit yet: issue it first.", {"order_id": ["Not invoiced."]})
    existing = repository.credit_note_of_refund(session, payment.refund_reference)
    if existing is not None:
        return existing, False
    reason = repository.cancellation_reason(session, order_id) or FULL_REFUND
    return _credit(uow, settings, invoice, payment.refund_reference, reason, credit_note_content(invoice)), True


def _credit(uow: UnitOfWork, settings: InvoicingConfig, invoice: Invoice, refund_reference: str, reason: str,
            content: dict) -> CreditNote:
    number = allocate(uow.session, CREDIT_NOTE, settings.pause_after_numbering)
    note = repository.add_credit_note(
        uow.session,
        id=new_id(),
        **number.columns(),
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        refund_reference=refund_reference,
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
