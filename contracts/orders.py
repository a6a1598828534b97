"""RPC payloads of the orders service, and the order statuses they carry."""

from enum import StrEnum

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from nameko.exceptions import deserialize_to_instance

from wire.errors import Conflict
from wire.money import Money, Price
from wire.pagination import PageQuerySchema
from wire.validation import JsonInteger, UtcTime


class OrderStatus(StrEnum):
    """An order's status as the API and the events show it; orders/lifecycle.py says which
    move is allowed."""

    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class ShipmentStatus(StrEnum):
    """A shipment's status; orders/lifecycle.py says which move is allowed. `capturing`: recorded,
    its payment being captured; `failed`: the capture failed, nothing shipped."""

    CAPTURING = "capturing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    FAILED = "failed"


class ReturnStatus(StrEnum):
    """A return's (RMA's) status; orders/lifecycle.py says which move is allowed."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    RECEIVED = "received"


class ReturnReason(StrEnum):
    DAMAGED = "damaged"
    WRONG_ITEM = "wrong_item"
    NOT_AS_DESCRIBED = "not_as_described"
    NO_LONGER_NEEDED = "no_longer_needed"
    OTHER = "other"


MAX_ITEMS = 50
MAX_QUANTITY = 1000


# The order domain's refusals (orders/domain/order.py): 409s whose `errors` name the lines concerned.
@deserialize_to_instance
class NotEnoughToShip(Conflict):
    """A shipment asks for more of a line than remains to ship (ordered − shipped − cancelled)."""


@deserialize_to_instance
class NotEnoughToCancel(Conflict):
    """A cancellation asks for more of a line than remains unshipped."""


@deserialize_to_instance
class ReturnNotAllowed(Conflict):
    """A return beyond what was delivered and not already returned, or past the return window."""


@deserialize_to_instance
class IllegalMove(Conflict):
    """A status change the life cycle doesn't allow (orders/lifecycle.py)."""


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


class _EachProductOnce(Schema):
    """A request whose `items` name each product once: one line per product."""

    @validates_schema
    def each_product_once(self, data, **kwargs):
        ids = [item["product_id"] for item in data.get("items", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError("Each product may appear once; raise its quantity instead.", "items")


class CreateOrderSchema(_EachProductOnce):
    items = fields.List(
        fields.Nested(OrderLineRequestSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
        metadata={"description": "One line per product: each `product_id` once, a product in the catalog (else 422)."},
    )
    shipping_address = fields.Nested(AddressSchema, required=True)
    payment_token = _text(200, required=True)
    quote_id = _text(36, metadata={
        "description": "A quote of yours (POST /quotes) for exactly these items: the order takes its prices."})


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
    shipped_quantity = fields.Integer(required=True)
    cancelled_quantity = fields.Integer(required=True)
    delivered_quantity = fields.Integer(required=True)
    returned_quantity = fields.Integer(required=True, metadata={"description": "Received back in returns."})


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


class LineQuantitySchema(Schema):
    product_id = _text(36, required=True)
    quantity = JsonInteger(required=True, validate=validate.Range(min=1, max=MAX_QUANTITY))


def _lines(item_schema, description: str) -> fields.List:
    return fields.List(
        fields.Nested(item_schema),
        required=True,
        validate=validate.Length(min=1, max=MAX_ITEMS),
        metadata={"description": description},
    )


class CreateShipmentSchema(_EachProductOnce):
    items = _lines(LineQuantitySchema, "The lines and quantities in the parcel; each at most what remains to ship.")
    carrier = _text(100, required=True)
    tracking_number = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=100))


class CancelItemsSchema(_EachProductOnce):
    items = _lines(LineQuantitySchema, "The lines and quantities to cancel; each at most what remains unshipped.")
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class ReturnLineRequestSchema(LineQuantitySchema):
    reason = fields.String(required=True, validate=validate.OneOf([reason.value for reason in ReturnReason]))


class RequestReturnSchema(_EachProductOnce):
    items = _lines(ReturnLineRequestSchema, "Delivered lines and quantities to send back, each with its reason.")
    note = fields.String(load_default="", validate=validate.Length(max=1000))


class ReceivedLineSchema(LineQuantitySchema):
    quantity = JsonInteger(required=True, validate=validate.Range(min=0, max=MAX_QUANTITY))
    restock = fields.Boolean(required=True, metadata={"description": "Put the units back on sale (false: damaged)."})


class ReceiveReturnSchema(_EachProductOnce):
    items = _lines(ReceivedLineSchema, "Per returned line, the units that arrived (at most those requested).")


class ShipmentItemSchema(Schema):
    product_id = fields.String(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = Price(required=True)
    line_total = Price(required=True)


class ShipmentSchema(Schema):
    id = fields.String(required=True)
    order_id = fields.String(required=True)
    items = fields.List(fields.Nested(ShipmentItemSchema), required=True)
    amount = Price(required=True, metadata={"description": "What its capture takes: the sum of its lines."})
    carrier = fields.String(required=True)
    tracking_number = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf([status.value for status in ShipmentStatus]))
    shipped_at = fields.DateTime(required=True, allow_none=True)
    delivered_at = fields.DateTime(required=True, allow_none=True)
    invoice_number = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)


class ReturnItemSchema(Schema):
    product_id = fields.String(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    quantity = fields.Integer(required=True)
    reason = fields.String(required=True)
    unit_price = Price(required=True)
    received_quantity = fields.Integer(required=True, allow_none=True)
    restock = fields.Boolean(required=True, allow_none=True)


class ReturnSchema(Schema):
    id = fields.String(required=True)
    order_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([status.value for status in ReturnStatus]))
    items = fields.List(fields.Nested(ReturnItemSchema), required=True)
    note = fields.String(required=True)
    # Money, not Price: a return received with no unit arrived refunds 0.00.
    refund_amount = Money(
        required=True,
        allow_none=True,
        metadata={"description": "Set once received: the units that arrived × their price."},
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class IdempotencyKeySchema(Schema):
    idempotency_key = fields.String(
        required=True, data_key="Idempotency-Key", validate=validate.Length(min=1, max=200)
    )
