"""The payments service: authorizes orders when they are placed, captures each shipment (and
invoices it), voids what is cancelled, refunds returns and goodwill gestures (with their credit
notes); events in and out. How the money moves: payments/money.py; the ledger's rules:
payments/ledger.py."""

import base64
from datetime import UTC, datetime
from functools import partial

from contracts.events import (
    ORDER_ADDRESS_CHANGED,
    ORDER_CANCELLED,
    ORDER_CREATED,
    ORDER_ITEMS_CANCELLED,
    ORDERS,
    RETURN_RECEIVED,
    USER_REGISTERED,
    USER_UPDATED,
    USERS,
)
from contracts.payments import (
    CapturePaymentSchema,
    CreditNoteSchema,
    DocumentQuerySchema,
    InvoiceSchema,
    IssueDocumentSchema,
    OrderDocumentQuerySchema,
    PaymentSchema,
    RefundRequestSchema,
)
from contracts.payments_operations import (
    CAPTURE_PAYMENT,
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
    LIST_ORDER_DOCUMENTS,
    REFUND_PAYMENT,
)
from payments import invoicing, money, pdf, repository
from payments.invoicing_config import Invoicing
from payments.models import HANDLER_TABLES, Base, CreditNote, Invoice, OutboxEvent, Payment
from payments.provider import Provider
from plumbing.callers import rpc
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.handlers import idempotent_handler
from plumbing.mesh_service import MeshService
from plumbing.outbox import Outbox, OutboxRelay
from plumbing.rpc import RpcProxy
from plumbing.unit_of_work import UnitOfWork
from wire.access import INVOICES_READ_SCOPE, ORDERS_READ_SCOPE
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
        """order_created: authorize the order's total once (no capture: shipments capture),
        unless the order was cancelled first; record the payment (its ledger, the card's token to
        re-authorize, the lines and address its invoices will need) and dispatch
        payment_authorized {amount, ledger} or payment_failed {amount, reason: card_declined,
        insufficient_funds, reservation_expired} in the same transaction.

        An order_created delivered again after a delivery that asked the provider and died
        before its commit asks again (the provider answers with the authorization it made), even
        past the reservation or after a cancellation, which then voids it at once."""
        money.authorize_order(uow, self.provider, event)

    @idempotent_handler(ORDERS, ORDER_CANCELLED)
    def handle_order_cancelled(self, uow, event: dict) -> None:
        """order_cancelled: give the order's money back once. Void what the authorization leaves
        open (payment_voided {amount, reference "order", reason}, also of 0.00 when cancelled
        units voided it all), and refund what an order charged before authorize / capture had
        captured (payment_refunded {kind cancellation, reference "cancellation", credit note of
        its invoice}); orders moves the order to refunded on either. Remembered, so a later
        order_created does not authorize."""
        money.cancel_order(uow, self.provider, event, partial(invoicing.credit_refund, uow, self.invoicing))

    @idempotent_handler(ORDERS, ORDER_ITEMS_CANCELLED)
    def handle_order_items_cancelled(self, uow, event: dict) -> None:
        """order_items_cancelled: void the cancelled units' `amount` of the authorization once
        per cancellation_id (payment_voided {amount, reference cancellation_id, reason})."""
        money.void_items(uow, self.provider, event)

    @idempotent_handler(ORDERS, RETURN_RECEIVED)
    def handle_return_received(self, uow, event: dict) -> None:
        """return_received: refund its refund_amount once per return_id and issue the credit note
        of the returned lines (credit_note_issued; payment_refunded {kind return, reference
        return_id, credit_note_number})."""
        money.refund_return(uow, self.provider, event, partial(invoicing.credit_return, uow, self.invoicing))

    @idempotent_handler(ORDERS, ORDER_ADDRESS_CHANGED)
    def handle_order_address_changed(self, uow, event: dict) -> None:
        """order_address_changed: the shipping address the order's next invoices name (those
        issued stay as they were); an older change handled late changes nothing."""
        repository.change_address(uow.session, event["order_id"], event["shipping_address"], event["sequence"])

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
        """The order's payment (PaymentSchema): status, amount (the order's total), its ledger
        (authorized, captured, refunded, voided) and its operations, oldest first. For its owner,
        an admin or a client with orders:read; NotFound otherwise, and until payments handled the
        order."""
        with self.uow() as uow:
            payment = repository.get_payment(uow.session, order_id) if isinstance(order_id, str) else None
            if payment is None or not self.caller.actor.acts_for(payment.user_id, ORDERS_READ_SCOPE):
                raise NotFound("No payment for this order.")
            return self._dump(uow, [payment])[0]

    @rpc(GET_PAYMENTS)
    def get_payments(self, order_ids: list) -> list:
        """The payments of these orders (at most 1000; those handled), each as get_payment's
        (PaymentSchema with the ledger and operations). Admin, or a client with orders:read (the
        read side's rebuild)."""
        if not isinstance(order_ids, list) or len(order_ids) > 1000 or not all(isinstance(i, str) for i in order_ids):
            raise Invalid("order_ids must be a list of at most 1000 ids.", {"order_ids": ["Invalid."]})
        with self.uow() as uow:
            return self._dump(uow, repository.get_payments(uow.session, order_ids))

    @rpc(CAPTURE_PAYMENT)
    def capture_payment(self, order_id: str, payload: dict) -> dict:
        """Capture one shipment {shipment_id, amount, lines [{sku, name, quantity, unit_price,
        line_total}]} from the order's authorization (the orders service, scope payments:capture,
        before the shipment counts as shipped): {status captured|failed, reason, invoice_number}.
        Past the authorization's expiry it re-authorizes what is open first; a declined
        re-authorization (reauthorization_declined) or capture (capture_declined) answers failed,
        nothing taken. A capture issues the shipment's invoice (invoice_issued) and dispatches
        payment_captured {shipment_id, amount, invoice_number, ledger}. Idempotent per
        shipment_id, also after a crash between the provider and the commit; Invalid for the
        same shipment with another amount; NotFound without a payment; LedgerBreach beyond what
        the authorization leaves open."""
        data = load(CapturePaymentSchema(), payload)
        if not isinstance(order_id, str):
            raise NotFound("No payment for this order.")
        with self.uow() as uow:
            def invoice(payment: Payment, capture: str | None) -> Invoice | None:
                return invoicing.invoice_capture(uow, self.invoicing, self.users, payment, data["shipment_id"],
                                                 data["lines"], data["amount"], capture)

            answer = money.capture_shipment(uow, self.provider, order_id, data["shipment_id"], data["amount"],
                                            datetime.now(UTC), invoice)
            uow.commit()
        return answer

    @rpc(REFUND_PAYMENT)
    def refund_payment(self, order_id: str, payload: dict, idempotency_key: str) -> dict:
        """A goodwill refund {amount, reason} of what the order's payment captured (admin, or a
        client with payments:refund): the payment after it (PaymentSchema). Issues a credit note
        of one line per tax rate of the order's invoices (credit_note_issued) and dispatches
        payment_refunded {kind goodwill, reference "goodwill:<Idempotency-Key>", reason,
        credit_note_number, ledger}. The same key answers the same payment without refunding
        again (Invalid with another body). RefundExceedsCaptured beyond captured − refunded."""
        data = load(RefundRequestSchema(), payload)
        if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200:
            raise Invalid("An idempotency key of 1 to 200 characters is required.", {"idempotency_key": ["Required."]})
        if not isinstance(order_id, str):
            raise NotFound("No payment for this order.")
        with self.uow() as uow:
            credit = partial(invoicing.credit_goodwill, uow, self.invoicing, amount=data["amount"],
                             reason=data["reason"])
            payment = money.refund_goodwill(uow, self.provider, order_id, data["amount"], data["reason"],
                                            idempotency_key, credit)
            answer = self._dump(uow, [payment])[0]
            uow.commit()
        return answer

    @rpc(LIST_ORDER_DOCUMENTS)
    def list_order_documents(self, order_id: str) -> dict:
        """The order's invoices (one per capture) and credit notes (one per refund), oldest
        first: {invoices, credit_notes}. For its customer, an admin or a client with
        invoices:read; NotFound for anyone else, and for an order payments knows nothing of."""
        with self.uow() as uow:
            payment = repository.get_payment(uow.session, order_id) if isinstance(order_id, str) else None
            if payment is None or not self.caller.actor.acts_for(payment.user_id, INVOICES_READ_SCOPE):
                raise NotFound("No documents for this order.")
            return {
                "invoices": invoice_schema.dump(repository.invoices_of(uow.session, order_id), many=True),
                "credit_notes": credit_note_schema.dump(repository.credit_notes_of(uow.session, order_id), many=True),
            }

    # --- invoices ------------------------------------------------------------------------------

    @rpc(GET_INVOICE)
    def get_invoice(self, order_id: str, number: str | None = None) -> dict:
        """The order's first invoice (InvoiceSchema; each capture issues one: list_order_documents
        lists them), or the order's invoice of that `number` (a parcel's), for its customer, an
        admin or a client with invoices:read; NotFound for anyone else, until it is issued, and
        for a number that is not one of the order's; Invalid for a malformed number."""
        with self.uow() as uow:
            return invoice_schema.dump(self._invoice(uow, order_id, number))

    @rpc(GET_INVOICE_PDF)
    def get_invoice_pdf(self, order_id: str, number: str | None = None) -> dict:
        """The order's invoice as PDF: {filename ("INV-2026-000001.pdf"), content (base64)}; which
        one and who may, as get_invoice."""
        with self.uow() as uow:
            document = invoice_schema.dump(self._invoice(uow, order_id, number))
        return self._pdf(document, pdf.INVOICE_TITLE)

    @rpc(LIST_INVOICES)
    def list_invoices(self, query: dict | None = None) -> dict:
        """Every invoice, newest number first (admin, or a client with invoices:read). query:
        {issued_from, issued_to (ISO 8601 with offset), number, order_id, page, page_size}."""
        return self._list(Invoice, invoice_schema, query)

    @rpc(ISSUE_INVOICE)
    def issue_invoice(self, payload: dict) -> dict:
        """Issue the invoice of {order_id}, charged before invoicing existed, now if it has none
        (admin): {invoice, created}; created is false when it had one. NotFound for an unknown
        order, Conflict for one not charged that way (captures invoice the others)."""
        order_id = load(IssueDocumentSchema(), payload)["order_id"]
        with self.uow() as uow:
            invoice, created = invoicing.issue_invoice_now(uow, self.invoicing, self.users, self.orders, order_id)
            answer = {"invoice": invoice_schema.dump(invoice), "created": created}
            uow.commit()
        return answer

    # --- credit notes --------------------------------------------------------------------------

    @rpc(GET_CREDIT_NOTE)
    def get_credit_note(self, order_id: str, number: str | None = None) -> dict:
        """The order's latest credit note (CreditNoteSchema), or the order's credit note of that
        `number` (each refund issues one), for its customer, an admin or a client with
        invoices:read; NotFound for anyone else, until one is issued, and for a number that is not
        one of the order's; Invalid for a malformed number."""
        with self.uow() as uow:
            return credit_note_schema.dump(self._credit_note(uow, order_id, number))

    @rpc(GET_CREDIT_NOTE_PDF)
    def get_credit_note_pdf(self, order_id: str, number: str | None = None) -> dict:
        """The order's credit note as PDF: {filename ("CN-2026-000001.pdf"), content (base64)};
        which one and who may, as get_credit_note."""
        with self.uow() as uow:
            document = credit_note_schema.dump(self._credit_note(uow, order_id, number))
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

    def _dump(self, uow: UnitOfWork, payments: list[Payment]) -> list[dict]:
        operations = repository.operations_of(uow.session, [p.order_id for p in payments])
        return [payment_schema.dump({**_columns(p), "operations": operations[p.order_id]}) for p in payments]

    def _invoice(self, uow: UnitOfWork, order_id, number) -> Invoice:
        number = _document_number(number)
        found = repository.find_invoice(uow.session, order_id, number) if isinstance(order_id, str) else None
        return invoicing.visible(found, self.caller.actor, INVOICE)

    def _credit_note(self, uow: UnitOfWork, order_id, number) -> CreditNote:
        number = _document_number(number)
        found = repository.find_credit_note(uow.session, order_id, number) if isinstance(order_id, str) else None
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


def _document_number(number) -> str | None:
    """The `number` an order's document is asked by, checked as the gateway checks its query (RPC
    callers skip the gateway); None when none was given."""
    if number is None:
        return None
    return load(OrderDocumentQuerySchema(), {"number": number})["number"]


def _columns(payment: Payment) -> dict:
    return {name: getattr(payment, name) for name in (
        "id", "order_id", "status", "amount", "authorized", "captured", "refunded", "voided", "currency",
        "created_at")}
