"""RPC payloads of the orders service, and the order statuses they carry."""

from enum import StrEnum

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from wire.money import Price
from wire.pagination import PageQuerySchema
from wire.validation import JsonInteger, UtcTime


class OrderStatus(StrEnum):
    """An order's status as the API and the events show it; orders/lifecycle.py says which
    move is allowed."""

    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


MAX_ITEMS = 50
MAX_QUANTITY = 1000


def _text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class AddressSchema(Schema):
    name = _text(200, required=True)
    line1 = _text(200, required=True)
    line2 = fields.String(validate=validate.Length(max=200))
    city = _text(100, required=True)
    postal_code = _text(20, required=True)
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="An ISO 3166 code."))


class OrderLineRequestSchema(Schema):
    product_id = _text(36, required=True)
    quantity = JsonInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


class CreateOrderSchema(Schema):
    items = fields.List(
        fields.Nested(OrderLineRequestSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
        metadata={"description": "One line per product: each `product_id` once, a product in the catalog (else 422)."},
    )
    shipping_address = fields.Nested(AddressSchema, required=True)
    payment_token = _text(200, required=True)

    @validates_schema
    def each_product_once(self, data, **kwargs):
        ids = [item["product_id"] for item in data.get("items", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("Each product may appear once; raise its quantity instead.", "items")


class UpdateOrderSchema(Schema):
    shipping_address = fields.Nested(AddressSchema, required=True)


class ReasonSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class OrderQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf([status.value for status in OrderStatus]))
    created_from = UtcTime()
    created_to = UtcTime()


class OrderItemSchema(Schema):
    product_id = fields.String(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    unit_price = Price(required=True)
    quantity = fields.Integer(required=True)
    line_total = Price(required=True)


class OrderSchema(Schema):
    id = fields.String(required=True)
    user_id = fields.String(required=True)
    status = fields.String(required=True)
    items = fields.List(fields.Nested(OrderItemSchema), required=True)
    total = Price(required=True)
    currency = fields.String(required=True)
    shipping_address = fields.Nested(AddressSchema, required=True)
    paid = fields.Boolean(
        required=True,
        metadata={"description": "Whether its payment was taken: true from confirmation on, refunded or not."}
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class HistoryEntrySchema(Schema):
    from_status = fields.String(required=True, allow_none=True)
    to_status = fields.String(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    reason = fields.String(required=True)


class IdempotencyKeySchema(Schema):
    idempotency_key = fields.String(
        required=True, data_key="Idempotency-Key", validate=validate.Length(min=1, max=200)
    )
