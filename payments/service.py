"""The payments service: charges orders once, refunds cancelled paid orders, issues their invoices
and credit notes; events in and out."""

import base64
from functools import partial

from contracts.events import ORDER_CANCELLED, ORDER_CREATED, ORDERS, USER_REGISTERED, USER_UPDATED, USERS
from contracts.payments import (
    CreditNoteSchema,
    DocumentQuerySchema,
    InvoiceSchema,
    IssueDocumentSchema,
    PaymentSchema,
)
from contracts.payments_operations import (
    GET_CREDIT_NOTE,
    GET_CREDIT_NOTE_PDF,
    GET_INVOICE,
    GET_INVOICE_PDF,
    GET_PAYMENT,
    GET_PAYMENTS,
    ISSUE_CREDIT_NOTE,
    ISSUE_INVOICE,
    LIST_CREDIT_NOTES,
    LIST_INVOICES,
)
from payments import charges, invoicing, pdf, repository
from payments.invoicing_config import Invoicing
from payments.models import HANDLER_TABLES, Base, CreditNote, Invoice, OutboxEvent
from payments.provider import Provider
from plumbing.callers import rpc
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.handlers import idempotent_handler
from plumbing.mesh_service import MeshService
from plumbing.outbox import Outbox, OutboxRelay
from plumbing.rpc import RpcProxy
from plumbing.unit_of_work import UnitOfWork
from wire.access import ORDERS_READ_SCOPE
from wire.errors import Invalid, NotFound
from wire.pagination import PageRequest, paged
from wire.validation import load

payment_schema = PaymentSchema()
invoice_schema = InvoiceSchema()
credit_note_schema = CreditNoteSchema()
INVOICE, CREDIT_NOTE = "invoice", "credit note"


class PaymentsService(MeshService, OutboxRelay, DeadLetterOperations):
    """Entrypoints: those below, and from its bases (plumbing/): MeshService ping and
    purge_bookkeeping, OutboxRelay relay_outbox, DeadLetterOperations
    list_dead_letters/replay_dead_letter/discard_dead_letter."""

    name = "payments"

    db = Database(Base)
    outbox = Outbox(OutboxEvent)
    handler_tables = HANDLER_TABLES
    provider = Provider()
    invoicing = Invoicing()
    users = RpcProxy("users")
    orders = RpcProxy("orders")

    @idempotent_handler(ORDERS, ORDER_CREATED)
    def handle_order_created(self, uow, event: dict) -> None:
        """order_created: charge the order's total once through the provider, unless the order
        was cancelled first; record the Payment and dispatch payment_succeeded or payment_failed
        (reason `card_declined` or `insufficient_funds`) in the same transaction. A successful
        charge issues the order's invoice with it, numbered INV-<year>-<6 digits> without gaps,
        its content frozen (the event's lines and shipping address, the buyer's email, the seller
        and tax from config), dispatches invoice_issued, and payment_succeeded names it.

        An order_created delivered again after a delivery that asked the provider and died
        before its commit asks again (the provider answers with the charge it made), even past
        the reservation or after a cancellation, which it then refunds at once."""

        def invoice(payment):
            return invoicing.invoice_charge(uow, self.invoicing, self.users, event, payment)

        charges.charge_order(uow, self.provider, event, invoice, partial(invoicing.credit_refund, uow, self.invoicing))

    @idempotent_handler(ORDERS, ORDER_CANCELLED)
    def handle_order_cancelled(self, uow, event: dict) -> None:
        """order_cancelled: if the order was paid, refund it once (status refunded), issue the
        credit note of its invoice (if it has one yet) and dispatch credit_note_issued and
        payment_refunded (naming the credit note); otherwise remember the cancellation so a later
        order_created does not charge."""
        charges.cancel_order(uow, self.provider, event, partial(invoicing.credit_refund, uow, self.invoicing))

    @idempotent_handler(USERS, USER_REGISTERED)
    def handle_user_registered(self, uow, event: dict) -> None:
        """user_registered: remember the buyer's email for its invoices."""
        repository.remember_buyer(uow.session, event["user_id"], event["email"], event["occurred_at"])

    @idempotent_handler(USERS, USER_UPDATED)
    def handle_user_updated(self, uow, event: dict) -> None:
        """user_updated: the buyer's email as of its newest event, for its next invoices."""
        repository.remember_buyer(uow.session, event["user_id"], event["email"], event["occurred_at"])

    @rpc(GET_PAYMENT)
    def get_payment(self, order_id: str) -> dict:
        """The payment of an order: {id, order_id, status, amount, currency, created_at}, status
        succeeded | failed | refunded. For its owner, an admin or a client with orders:read;
        NotFound otherwise, and while the order has not been charged yet."""
        with self.uow() as uow:
            payment = repository.get_payment(uow.session, order_id) if isinstance(order_id, str) else None
            if payment is None or not self.caller.actor.acts_for(payment.user_id, ORDERS_READ_SCOPE):
                raise NotFound("No payment for this order.")
            return payment_schema.dump(payment)

    @rpc(GET_PAYMENTS)
    def get_payments(self, order_ids: list) -> list:
        """The payments of these orders (at most 1000; those charged): each {order_id, id, status,
        amount, currency}. Admin, or a client with orders:read (the read side's rebuild)."""
        if not isinstance(order_ids, list) or len(order_ids) > 1000 or not all(isinstance(i, str) for i in order_ids):
            raise Invalid("order_ids must be a list of at most 1000 ids.", {"order_ids": ["Invalid."]})
        with self.uow() as uow:
            return [
                {"order_id": p.order_id, "id": p.id, "status": str(p.status), "amount": str(p.amount),
                 "currency": p.currency}
                for p in repository.get_payments(uow.session, order_ids)
            ]

    # --- invoices ------------------------------------------------------------------------------

    @rpc(GET_INVOICE)
    def get_invoice(self, order_id: str) -> dict:
        """The order's invoice (payments/schemas.py InvoiceSchema), for its customer, an admin or a
        client with invoices:read; NotFound for anyone else, and until it is issued."""
        with self.uow() as uow:
            return invoice_schema.dump(self._invoice(uow, order_id))

    @rpc(GET_INVOICE_PDF)
    def get_invoice_pdf(self, order_id: str) -> dict:
        """The order's invoice as PDF: {filename ("INV-2026-000001.pdf"), content (base64)}; who
        may, as get_invoice."""
        with self.uow() as uow:
            document = invoice_schema.dump(self._invoice(uow, order_id))
        return self._pdf(document, pdf.INVOICE_TITLE)

    @rpc(LIST_INVOICES)
    def list_invoices(self, query: dict | None = None) -> dict:
        """Every invoice, newest number first (admin, or a client with invoices:read). query:
        {issued_from, issued_to (ISO 8601 with offset), number, order_id, page, page_size}."""
        return self._list(Invoice, invoice_schema, query)

    @rpc(ISSUE_INVOICE)
    def issue_invoice(self, payload: dict) -> dict:
        """Issue the invoice of {order_id} now if it has none (admin): {invoice, created}; created
        is false when it had one. NotFound for an unknown order, Conflict for an unpaid one."""
        order_id = load(IssueDocumentSchema(), payload)["order_id"]
        with self.uow() as uow:
            invoice, created = invoicing.issue_invoice_now(uow, self.invoicing, self.users, self.orders, order_id)
            answer = {"invoice": invoice_schema.dump(invoice), "created": created}
            uow.commit()
        return answer

    # --- credit notes --------------------------------------------------------------------------

    @rpc(GET_CREDIT_NOTE)
    def get_credit_note(self, order_id: str) -> dict:
        """The credit note of the order's refund (CreditNoteSchema), for its customer, an admin or
        a client with invoices:read; NotFound for anyone else, and until it is issued."""
        with self.uow() as uow:
            return credit_note_schema.dump(self._credit_note(uow, order_id))

    @rpc(GET_CREDIT_NOTE_PDF)
    def get_credit_note_pdf(self, order_id: str) -> dict:
        """The order's credit note as PDF: {filename ("CN-2026-000001.pdf"), content (base64)}."""
        with self.uow() as uow:
            document = credit_note_schema.dump(self._credit_note(uow, order_id))
        return self._pdf(document, pdf.CREDIT_NOTE_TITLE)

    @rpc(LIST_CREDIT_NOTES)
    def list_credit_notes(self, query: dict | None = None) -> dict:
        """Every credit note, newest number first (admin, or a client with invoices:read); query
        as list_invoices."""
        return self._list(CreditNote, credit_note_schema, query)

    @rpc(ISSUE_CREDIT_NOTE)
    def issue_credit_note(self, payload: dict) -> dict:
        """Issue the credit note of the refunded order {order_id} now if it has none (admin):
        {credit_note, created}. NotFound for an order payments knows nothing of, Conflict for one
        not refunded, or refunded but not invoiced yet."""
        order_id = load(IssueDocumentSchema(), payload)["order_id"]
        with self.uow() as uow:
            note, created = invoicing.issue_credit_note_now(uow, self.invoicing, order_id)
            answer = {"credit_note": credit_note_schema.dump(note), "created": created}
            uow.commit()
        return answer

    def _invoice(self, uow: UnitOfWork, order_id) -> Invoice:
        found = repository.find_invoice(uow.session, order_id) if isinstance(order_id, str) else None
        return invoicing.visible(found, self.caller.actor, INVOICE)

    def _credit_note(self, uow: UnitOfWork, order_id) -> CreditNote:
        found = repository.find_credit_note(uow.session, order_id) if isinstance(order_id, str) else None
        return invoicing.visible(found, self.caller.actor, CREDIT_NOTE)

    def _pdf(self, document: dict, title: str) -> dict:
        content = pdf.render(document, title, self.invoicing.fonts)
        return {"filename": f"{document['number']}.pdf", "content": base64.b64encode(content).decode("ascii")}

    def _list(self, model: type, schema, query: dict | None) -> dict:
        query = load(DocumentQuerySchema(), query or {})
        page = PageRequest(query.pop("page"), query.pop("page_size"))
        with self.uow() as uow:
            items, total = repository.list_documents(uow.session, model, query, page)
            return paged(schema.dump(items, many=True), page, total)
