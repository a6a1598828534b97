"""What the query RPCs accept (the gateway's GraphQL and export routes validate the same)."""

from marshmallow import Schema, fields, validate

from contracts.orders import OrderStatus
from wire.money import MAX_AMOUNT
from wire.validation import UtcTime

MAX_FIRST = 100  # a GraphQL page
MAX_EXPORT_PAGE = 1000  # an export page


class OrderFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in OrderStatus]))
    created_from = UtcTime()
    created_to = UtcTime()
    min_total = fields.Decimal(places=2, allow_nan=False, validate=validate.Range(min=0, max=MAX_AMOUNT))
    max_total = fields.Decimal(places=2, allow_nan=False, validate=validate.Range(min=0, max=MAX_AMOUNT))
    customer_email = fields.Email()


class OrderPageSchema(Schema):
    filter = fields.Nested(OrderFilterSchema, load_default=dict)
    first = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_FIRST))
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    with_total = fields.Boolean(load_default=False)
    mine = fields.Boolean(load_default=False)  # the caller's own orders, even for an admin


class ExportPageSchema(OrderPageSchema):
    first = fields.Integer(load_default=500, validate=validate.Range(min=1, max=MAX_EXPORT_PAGE))
