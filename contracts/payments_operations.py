"""The payments service's operations (contracts.operation): payments, invoices, credit notes."""

from contracts.operation import Binary, Http, Operation, page_of
from contracts.orders import IdempotencyKeySchema
from contracts.payments import (
    CapturePaymentSchema,
    CaptureResultSchema,
    CreditNoteSchema,
    DocumentQuerySchema,
    InvoiceSchema,
    IssueDocumentSchema,
    LedgerBreach,
    OrderDocumentQuerySchema,
    OrderDocumentsSchema,
    PaymentSchema,
    RefundExceedsCaptured,
    RefundRequestSchema,
)
from wire.access import (
    ADMIN_ONLY,
    INVOICES_LIST,
    INVOICES_READ,
    ORDERS_EXPORT,
    ORDERS_READ,
    PAYMENTS_CAPTURE,
    PAYMENTS_REFUND,
)
from wire.errors import Conflict, Invalid, NotFound, Unavailable

SERVICE = "payments"
INVOICES = "invoices"
PDF = Binary("application/pdf", "The document as a PDF download, named by its number.")

GET_PAYMENT = Operation(
    id="getOrderPayment",
    service=SERVICE,
    method="get_payment",
    access=ORDERS_READ,
    doc="The order's payment (404 until payments has handled the order, or if it isn't yours).",
    reply=PaymentSchema,
    errors=(NotFound,),
    http=Http("GET", "/orders/<order_id>/payment", "orders"),
)
GET_PAYMENTS = Operation(
    id="getPayments",
    service=SERVICE,
    method="get_payments",
    access=ORDERS_EXPORT,
    doc="The payments of several orders (the read side's rebuild).",
    errors=(Invalid,),
)
GET_INVOICE = Operation(
    id="getOrderInvoice",
    service=SERVICE,
    method="get_invoice",
    access=INVOICES_READ,
    doc="The order's first invoice, or its invoice of `number` (each shipment's capture issues one). 404"
    " until it is issued, for a number not the order's, or if the order isn't yours; /documents lists"
    " them all.",
    query=OrderDocumentQuerySchema,
    reply=InvoiceSchema,
    errors=(NotFound, Invalid),
    http=Http("GET", "/orders/<order_id>/invoice", INVOICES),
)
GET_INVOICE_PDF = Operation(
    id="getOrderInvoicePdf",
    service=SERVICE,
    method="get_invoice_pdf",
    access=INVOICES_READ,
    doc="The order's invoice as a PDF download named by its number: the first, or the one of `number`.",
    query=OrderDocumentQuerySchema,
    reply=PDF,
    errors=(NotFound, Invalid),
    http=Http("GET", "/orders/<order_id>/invoice.pdf", INVOICES),
)
LIST_INVOICES = Operation(
    id="listInvoices",
    service=SERVICE,
    method="list_invoices",
    access=INVOICES_LIST,
    doc="Every invoice, newest number first (admin). Filter by `issued_from` / `issued_to`"
    " (ISO 8601 with an offset), `number` and `order_id`.",
    query=DocumentQuerySchema,
    reply=page_of(InvoiceSchema),
    errors=(Invalid,),
    http=Http("GET", "/invoices", INVOICES),
)
ISSUE_INVOICE = Operation(
    id="issueInvoice",
    service=SERVICE,
    method="issue_invoice",
    access=ADMIN_ONLY,
    doc="Issue the invoice of a paid order now, if it has none (admin); 409 for an unpaid order.",
    body=IssueDocumentSchema,
    reply=InvoiceSchema,
    errors=(NotFound, Conflict),
    http=Http("POST", "/invoices", INVOICES, status=201),
)
GET_CREDIT_NOTE = Operation(
    id="getOrderCreditNote",
    service=SERVICE,
    method="get_credit_note",
    access=INVOICES_READ,
    doc="The order's latest credit note, or its credit note of `number` (each refund issues one). 404"
    " until the order is refunded, for a number not the order's, or if the order isn't yours.",
    query=OrderDocumentQuerySchema,
    reply=CreditNoteSchema,
    errors=(NotFound, Invalid),
    http=Http("GET", "/orders/<order_id>/credit-note", INVOICES),
)
GET_CREDIT_NOTE_PDF = Operation(
    id="getOrderCreditNotePdf",
    service=SERVICE,
    method="get_credit_note_pdf",
    access=INVOICES_READ,
    doc="The order's credit note as a PDF download named by its number: the latest, or the one of"
    " `number`.",
    query=OrderDocumentQuerySchema,
    reply=PDF,
    errors=(NotFound, Invalid),
    http=Http("GET", "/orders/<order_id>/credit-note.pdf", INVOICES),
)
LIST_CREDIT_NOTES = Operation(
    id="listCreditNotes",
    service=SERVICE,
    method="list_credit_notes",
    access=INVOICES_LIST,
    doc="Every credit note, newest number first (admin). Filter by `issued_from` / `issued_to`"
    " (ISO 8601 with an offset), `number` and `order_id`.",
    query=DocumentQuerySchema,
    reply=page_of(CreditNoteSchema),
    errors=(Invalid,),
    http=Http("GET", "/credit-notes", INVOICES),
)
ISSUE_CREDIT_NOTE = Operation(
    id="issueCreditNote",
    service=SERVICE,
    method="issue_credit_note",
    access=ADMIN_ONLY,
    doc="Issue the credit note of a refunded, invoiced order now, if it has none (admin); 409 for an"
    " order not refunded, or not invoiced yet.",
    body=IssueDocumentSchema,
    reply=CreditNoteSchema,
    errors=(NotFound, Conflict),
    http=Http("POST", "/credit-notes", INVOICES, status=201),
)

# --- after the sale: captures and refunds (issue 24) ----------------------------------------------

CAPTURE_PAYMENT = Operation(
    id="capturePayment",
    service=SERVICE,
    method="capture_payment",
    access=PAYMENTS_CAPTURE,
    doc="""Capture one shipment's amount from the order's authorization, re-authorizing first if it
    expired, and issue the shipment's invoice (the orders service, before a shipment counts as
    shipped). Idempotent per shipment: asked again, it answers the same.""",
    body=CapturePaymentSchema,
    reply=CaptureResultSchema,
    errors=(NotFound, LedgerBreach, Invalid),
)
REFUND_PAYMENT = Operation(
    id="refundOrderPayment",
    service=SERVICE,
    method="refund_payment",
    access=PAYMENTS_REFUND,
    doc="""Refund part of what the order's payment captured without a return, e.g. a goodwill
    gesture (admin). A credit note is issued for it. 409 beyond what was captured and not yet
    refunded. The same Idempotency-Key answers the same refund.""",
    headers=IdempotencyKeySchema,
    body=RefundRequestSchema,
    reply=PaymentSchema,
    errors=(NotFound, Conflict, RefundExceedsCaptured, Invalid, Unavailable),
    http=Http("POST", "/orders/<order_id>/refunds", "orders", status=201),
)
LIST_ORDER_DOCUMENTS = Operation(
    id="listOrderDocuments",
    service=SERVICE,
    method="list_order_documents",
    access=INVOICES_READ,
    doc="The order's invoices (one per capture) and credit notes (one per refund), oldest first.",
    reply=OrderDocumentsSchema,
    errors=(NotFound,),
    http=Http("GET", "/orders/<order_id>/documents", INVOICES),
)
