"""RPC payloads of the payments service: payments, invoices and credit notes."""

from marshmallow import Schema, fields, validate

from wire.money import Money, Price
from wire.pagination import PageQuerySchema
from wire.validation import UtcTime

TAX_RATE = {"pattern": r"^[0-9]{1,2}(\.[0-9]{1,4})?$", "example": "20", "description": "percent"}


class PaymentSchema(Schema):
    id = fields.String()
    order_id = fields.String()
    status = fields.String()
    amount = Price()
    currency = fields.String()
    created_at = fields.DateTime()


class SellerSchema(Schema):
    name = fields.String()
    address = fields.String()
    vat_id = fields.String()


class BuyerSchema(Schema):
    """The order's shipping address and the customer's email at issue (null if the account was gone)."""

    name = fields.String()
    line1 = fields.String()
    line2 = fields.String(allow_none=True)
    city = fields.String()
    postal_code = fields.String()
    country = fields.String()
    email = fields.String(allow_none=True)


class DocumentLineSchema(Schema):
    sku = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    unit_price = Money(metadata={"description": "tax included"})
    line_total = Money(metadata={"description": "quantity × unit price, tax included"})
    tax_rate = fields.String(metadata=TAX_RATE)
    net = Money()
    tax = Money()


class TaxBreakdownSchema(Schema):
    rate = fields.String(metadata=TAX_RATE)
    net = Money()
    tax = Money()
    gross = Money()


class DocumentSchema(Schema):
    """What an invoice and a credit note both show, as frozen at issue."""

    id = fields.String()
    number = fields.String(metadata={"example": "INV-2026-000001"})
    order_id = fields.String()
    user_id = fields.String()
    currency = fields.String()
    issued_at = fields.DateTime()
    seller = fields.Nested(SellerSchema)
    buyer = fields.Nested(BuyerSchema)
    lines = fields.List(fields.Nested(DocumentLineSchema))
    taxes = fields.List(fields.Nested(TaxBreakdownSchema), metadata={"description": "per rate, highest first"})
    net_total = Money()
    tax_total = Money()
    gross_total = Money(metadata={"description": "the order's total"})


class InvoiceSchema(DocumentSchema):
    payment_reference = fields.String(allow_none=True)
    order_placed_at = fields.DateTime()


class CreditNoteSchema(DocumentSchema):
    invoice_number = fields.String(metadata={"example": "INV-2026-000001"})
    refund_reference = fields.String()
    reason = fields.String()


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
