"""RPC payloads of the payments service: payments, invoices and credit notes."""

from marshmallow import Schema, fields, validate

from wire.money import Money, Price
from wire.pagination import PageQuerySchema
from wire.validation import UtcTime

TAX_RATE = {"pattern": r"^[0-9]{1,2}(\.[0-9]{1,4})?$", "example": "20", "description": "percent"}


class PaymentSchema(Schema):
    id = fields.String(required=True)
    order_id = fields.String(required=True)
    status = fields.String(required=True)
    amount = Price(required=True)
    currency = fields.String(required=True)
    created_at = fields.DateTime(required=True)


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


class DocumentQuerySchema(PageQuerySchema):
    issued_from = UtcTime(metadata={"description": "issued at or after (ISO 8601 with an offset)"})
    issued_to = UtcTime(metadata={"description": "issued before"})
    number = fields.String(validate=validate.Length(min=1, max=20))
    order_id = fields.String(validate=validate.Length(min=1, max=64))


class IssueDocumentSchema(Schema):
    order_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class PdfSchema(Schema):
    """A PDF over RPC: its download file name and its bytes in base64 (RPC payloads are JSON)."""

    filename = fields.String()
    content = fields.String()
