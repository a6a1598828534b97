"""RPC payloads of the payments service: payments, invoices and credit notes."""

from enum import StrEnum

from marshmallow import Schema, fields, validate
from nameko.exceptions import deserialize_to_instance

from wire.errors import Conflict
from wire.money import Money, Price
from wire.pagination import PageQuerySchema
from wire.validation import UtcTime

TAX_RATE = {"pattern": r"^[0-9]{1,2}(\.[0-9]{1,4})?$", "example": "20", "description": "percent"}


class PaymentStatus(StrEnum):
    """A payment's status, following its ledger (payments/lifecycle.py says which move is allowed).
    `succeeded` is the charge of an order paid before authorize/capture existed."""

    AUTHORIZED = "authorized"
    FAILED = "failed"
    PARTIALLY_CAPTURED = "partially_captured"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class OperationType(StrEnum):
    AUTHORIZE = "authorize"
    REAUTHORIZE = "reauthorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class OperationStatus(StrEnum):
    REQUESTED = "requested"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundKind(StrEnum):
    CANCELLATION = "cancellation"
    RETURN = "return"
    GOODWILL = "goodwill"


# The payment domain's refusals (payments/ledger.py).
@deserialize_to_instance
class CaptureFailed(Conflict):
    """The provider refused the capture (or the re-authorization before it): nothing was taken."""


@deserialize_to_instance
class RefundExceedsCaptured(Conflict):
    """A refund beyond what was captured and not yet refunded."""


@deserialize_to_instance
class LedgerBreach(Conflict):
    """A capture or void beyond what the authorization leaves open."""


class PaymentOperationSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf([t.value for t in OperationType]))
    amount = Price(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in OperationStatus]))
    reference = fields.String(
        required=True, metadata={"description": "What it was for: the order, a shipment, a return, a refund's key."}
    )
    failure_reason = fields.String(required=True, allow_none=True)
    at = fields.DateTime(required=True)


class PaymentSchema(Schema):
    id = fields.String(required=True)
    order_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in PaymentStatus] + ["succeeded"]))
    amount = Price(required=True, metadata={"description": "The order's total, as authorized when it was placed."})
    # Money, not Price: each is 0.00 until its first operation.
    authorized = Money(required=True)
    captured = Money(required=True)
    refunded = Money(required=True)
    voided = Money(required=True)
    currency = fields.String(required=True)
    operations = fields.List(
        fields.Nested(PaymentOperationSchema), required=True, metadata={"description": "oldest first"}
    )
    created_at = fields.DateTime(required=True)


class CaptureLineSchema(Schema):
    sku = fields.String(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    unit_price = Price(required=True)
    line_total = Price(required=True)


class CapturePaymentSchema(Schema):
    """What orders asks payments to capture for one shipment (the lines go on its invoice)."""

    shipment_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount = Price(required=True)
    lines = fields.List(fields.Nested(CaptureLineSchema), required=True, validate=validate.Length(min=1))


class CaptureResultSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["captured", "failed"]))
    reason = fields.String(required=True, allow_none=True)
    invoice_number = fields.String(required=True, allow_none=True)


class RefundRequestSchema(Schema):
    # Price, not Money (answers only): a positive amount a client writes plainly, within MAX_AMOUNT.
    amount = Price(required=True, metadata={"description": "At most what was captured and not yet refunded."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class SellerSchema(Schema):
    name = fields.String(required=True)
    address = fields.String(required=True)
    vat_id = fields.String(required=True)


class BuyerSchema(Schema):
    """The order's shipping address and the customer's email at issue (null if the account was gone)."""

    name = fields.String(required=True)
    line1 = fields.String(required=True)
    line2 = fields.String(required=True, allow_none=True)
    city = fields.String(required=True)
    postal_code = fields.String(required=True)
    country = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)


class DocumentLineSchema(Schema):
    sku = fields.String(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = Money(required=True, metadata={"description": "tax included"})
    line_total = Money(required=True, metadata={"description": "quantity × unit price, tax included"})
    tax_rate = fields.String(required=True, metadata=TAX_RATE)
    net = Money(required=True)
    tax = Money(required=True)


class TaxBreakdownSchema(Schema):
    rate = fields.String(required=True, metadata=TAX_RATE)
    net = Money(required=True)
    tax = Money(required=True)
    gross = Money(required=True)


class DocumentSchema(Schema):
    """What an invoice and a credit note both show, as frozen at issue."""

    id = fields.String(required=True)
    number = fields.String(required=True, metadata={"example": "INV-2026-000001"})
    order_id = fields.String(required=True)
    user_id = fields.String(required=True)
    currency = fields.String(required=True)
    issued_at = fields.DateTime(required=True)
    seller = fields.Nested(SellerSchema, required=True)
    buyer = fields.Nested(BuyerSchema, required=True)
    lines = fields.List(fields.Nested(DocumentLineSchema), required=True)
    taxes = fields.List(
        fields.Nested(TaxBreakdownSchema), required=True, metadata={"description": "per rate, highest first"}
    )
    net_total = Money(required=True)
    tax_total = Money(required=True)
    gross_total = Money(required=True, metadata={"description": "the order's total"})


class InvoiceSchema(DocumentSchema):
    payment_reference = fields.String(required=True, allow_none=True)
    order_placed_at = fields.DateTime(required=True)


class CreditNoteSchema(DocumentSchema):
    invoice_number = fields.String(required=True, metadata={"example": "INV-2026-000001"})
    refund_reference = fields.String(required=True)
    reason = fields.String(required=True)


# A document's number, INV-2026-000001 or CN-2026-000001: as long as its column (String(20)) holds.
DOCUMENT_NUMBER = validate.Length(min=1, max=20)


class DocumentQuerySchema(PageQuerySchema):
    issued_from = UtcTime(metadata={"description": "issued at or after (ISO 8601 with an offset)"})
    issued_to = UtcTime(metadata={"description": "issued before"})
    number = fields.String(validate=DOCUMENT_NUMBER)
    order_id = fields.String(validate=validate.Length(min=1, max=64))


class OrderDocumentQuerySchema(Schema):
    """Which of the order's documents: the one of this number (each parcel has its invoice, each
    refund its credit note)."""

    number = fields.String(validate=DOCUMENT_NUMBER, metadata={
        "description": "the document's number, e.g. INV-2026-000002; without it, the order's first invoice"
                       " or latest credit note"})


class OrderDocumentsSchema(Schema):
    invoices = fields.List(
        fields.Nested(InvoiceSchema), required=True, metadata={"description": "one per capture, oldest first"}
    )
    credit_notes = fields.List(
        fields.Nested(CreditNoteSchema), required=True, metadata={"description": "one per refund, oldest first"}
    )


class IssueDocumentSchema(Schema):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class PdfSchema(Schema):
    """A PDF over RPC: its download file name and its bytes in base64 (RPC payloads are JSON)."""

    filename = fields.String()
    content = fields.String()
