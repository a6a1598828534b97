"""What the query RPCs accept (the gateway's GraphQL and export routes validate the same)."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from contracts.orders import OrderStatus
from wire.money import MAX_AMOUNT
from wire.validation import UtcTime

MAX_FIRST = 100  # a GraphQL page
MAX_EXPORT_PAGE = 1000  # an export page
# The tag of an order cursor (wire/cursors.py): order_queries makes them, the gateway hands them on.
ORDER_CURSOR_KIND = "order"


class OrderFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf([status.value for status in OrderStatus]))
    created_from = UtcTime()
    created_to = UtcTime()
    min_total = fields.Decimal(places=2, allow_nan=False, validate=validate.Range(min=0, max=MAX_AMOUNT))
    max_total = fields.Decimal(places=2, allow_nan=False, validate=validate.Range(min=0, max=MAX_AMOUNT))
    customer_email = fields.Email()


class OrderPageSchema(Schema):
    """A page forwards (`first`, after the cursor `after`) or backwards (`last`, before the
    cursor `before`); both cursors may narrow either. Neither size: the first DEFAULT_FIRST."""

    DEFAULT_FIRST = 20

    filter = fields.Nested(OrderFilterSchema, load_default=dict)
    first = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_FIRST))
    last = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_FIRST))
    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    before = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    with_total = fields.Boolean(load_default=False)
    mine = fields.Boolean(load_default=False)  # the caller's own orders, even for an admin

    @validates_schema
    def _one_size(self, data, **kwargs):
        if data.get("first") is not None and data.get("last") is not None:
            raise ValidationError("Give `first` or `last`, not both.", "last")

    @post_load
    def _default_size(self, data, **kwargs):
        if data["first"] is None and data["last"] is None:
            data["first"] = self.DEFAULT_FIRST
        return data


class ExportPageSchema(OrderPageSchema):
    DEFAULT_FIRST = 500

    first = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=MAX_EXPORT_PAGE))
