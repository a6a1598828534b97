"""Event names and their payloads: the contract between the services that dispatch and handle them.

Every payload carries `event_id` (uuid), `event_type`, `version` and `occurred_at` (ISO 8601).
Money travels as decimal strings (kombu's JSON would wrap a Decimal in a type envelope).
Producers build payloads with `make_event`; handlers read them with `parse_event`.
A breaking change to a payload is a new version, never an edit of version 1."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from wire.money import MAX_AMOUNT, Currency

VERSION = 1

# Source services: an event is published on the `<service>.events` exchange of its source.
ORDERS = "orders"
PAYMENTS = "payments"
USERS = "users"

ORDER_CREATED = "order_created"
ORDER_CONFIRMED = "order_confirmed"
ORDER_CANCELLED = "order_cancelled"
ORDER_SHIPPED = "order_shipped"
ORDER_DELIVERED = "order_delivered"
ORDER_REFUNDED = "order_refunded"
ORDER_ADDRESS_CHANGED = "order_address_changed"
ORDER_DELETED = "order_deleted"
ORDER_ITEMS_CANCELLED = "order_items_cancelled"
ORDER_REFUND_RECORDED = "order_refund_recorded"
SHIPMENT_CREATED = "shipment_created"
SHIPMENT_DELIVERED = "shipment_delivered"
RETURN_REQUESTED = "return_requested"
RETURN_APPROVED = "return_approved"
RETURN_REJECTED = "return_rejected"
RETURN_RECEIVED = "return_received"
PAYMENT_AUTHORIZED = "payment_authorized"
PAYMENT_FAILED = "payment_failed"
PAYMENT_CAPTURED = "payment_captured"
PAYMENT_VOIDED = "payment_voided"
PAYMENT_REFUNDED = "payment_refunded"
INVOICE_ISSUED = "invoice_issued"
CREDIT_NOTE_ISSUED = "credit_note_issued"
USER_REGISTERED = "user_registered"
USER_UPDATED = "user_updated"


class Amount(fields.Decimal):
    """A non-negative amount with two decimal places, carried as a string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", "load_default" not in kwargs)  # optional only with a default
        super().__init__(
            places=2,
            as_string=True,
            allow_nan=False,
            validate=validate.Range(min=Decimal("0"), max=MAX_AMOUNT),
            **kwargs,
        )


class Timestamp(fields.String):
    """An ISO 8601 time with its UTC offset, kept as the string it arrived as."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValidationError("Not an ISO 8601 time.") from exc
        if parsed.tzinfo is None:
            raise ValidationError("The time needs a UTC offset.")
        return text


def _id(**kwargs) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=64), **kwargs)


class EventSchema(Schema):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    version = fields.Integer(required=True, validate=validate.Equal(VERSION))
    occurred_at = Timestamp(required=True)

    class Meta:
        # Handlers ignore fields added later to a version: adding one is not a breaking change.
        unknown = EXCLUDE


class OrderItemSchema(Schema):
    product_id = _id()
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    unit_price = Amount()


class HistoryEntrySchema(Schema):
    """The transition an order event announces, as orders recorded it."""

    from_status = fields.String(required=True, allow_none=True)
    to_status = fields.String(required=True)
    at = Timestamp(required=True)
    actor = fields.String(required=True)
    reason = fields.String(required=True)


class OrderEventSchema(EventSchema):
    order_id = _id()
    user_id = _id()
    total = Amount()
    currency = Currency(required=True)
    # The order's version after this change: orders counts every event about an order, in the
    # transaction that writes it, so a consumer can tell a late event from a newer one. With the
    # status it left the order in and the transition it recorded (all None in events published
    # before they existed).
    sequence = fields.Integer(load_default=None, validate=validate.Range(min=1))
    status = fields.String(load_default=None)
    history_entry = fields.Nested(HistoryEntrySchema, load_default=None)


class OrderLineSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    unit_price = Amount()
    line_total = Amount()


class PlacedLineSchema(OrderLineSchema):
    product_id = _id()


class AddressSchema(Schema):
    name = fields.String(required=True)
    line1 = fields.String(required=True)
    line2 = fields.String(load_default=None, allow_none=True)
    city = fields.String(required=True)
    postal_code = fields.String(required=True)
    country = fields.String(required=True, validate=validate.Length(equal=2))


class OrderCreatedSchema(OrderEventSchema):
    payment_token = fields.String(required=True, validate=validate.Length(min=1, max=200))
    # When the stock reservation lapses: payments won't charge after it (None in events
    # published before the field existed).
    pay_before = Timestamp(load_default=None)
    items = fields.List(fields.Nested(OrderItemSchema), required=True, validate=validate.Length(min=1))
    # What the read side shows (None in events published before they existed).
    lines = fields.List(fields.Nested(PlacedLineSchema), load_default=None)
    shipping_address = fields.Nested(AddressSchema, load_default=None)
    placed_at = Timestamp(load_default=None)


class OrderConfirmedSchema(OrderEventSchema):
    """The order as it was confirmed (the three fields are None in events published before they
    existed). `invoice_number`: the invoice issued with the charge of an order confirmed before
    authorize/capture existed; None since (invoices follow captures: shipment_created's)."""

    items = fields.List(fields.Nested(OrderLineSchema), load_default=None, validate=validate.Length(min=1))
    shipping_address = fields.Nested(AddressSchema, load_default=None)
    placed_at = Timestamp(load_default=None)
    invoice_number = fields.String(load_default=None, allow_none=True)


class OrderCancelledSchema(OrderEventSchema):
    reason = fields.String(required=True, validate=validate.Length(max=500))


class OrderAddressChangedSchema(OrderEventSchema):
    shipping_address = fields.Nested(AddressSchema, required=True)


class OrderRefundRecordedSchema(OrderEventSchema):
    """A return's or a goodwill refund, as the order's history records it (status unchanged):
    payment_refunded's amount, kind and reference under the order's next sequence."""

    amount = Amount()
    kind = fields.String(required=True, validate=validate.OneOf(["return", "goodwill"]))
    reference = fields.String(load_default=None, allow_none=True)


class QuantityLineSchema(Schema):
    """A line's units that an after-sale step moved, and their amount at the order's price."""

    product_id = _id()
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    amount = Amount()


class OrderItemsCancelledSchema(OrderEventSchema):
    """Units of lines cancelled before shipping: products releases them, payments voids `amount`."""

    cancellation_id = _id()
    items = fields.List(fields.Nested(QuantityLineSchema), required=True, validate=validate.Length(min=1))
    amount = Amount()
    reason = fields.String(required=True, validate=validate.Length(max=500))


class ShipmentEventSchema(OrderEventSchema):
    shipment_id = _id()


class ShipmentCreatedSchema(ShipmentEventSchema):
    """A parcel left, its amount captured (payment_captured came first; the invoice is its)."""

    items = fields.List(fields.Nested(PlacedLineSchema), required=True, validate=validate.Length(min=1))
    amount = Amount()
    carrier = fields.String(required=True)
    tracking_number = fields.String(required=True, allow_none=True)
    shipped_at = Timestamp(required=True)
    invoice_number = fields.String(load_default=None, allow_none=True)


class ShipmentDeliveredSchema(ShipmentEventSchema):
    delivered_at = Timestamp(required=True)


class ReturnLineSchema(Schema):
    product_id = _id()
    quantity = fields.Integer(required=True, validate=validate.Range(min=0))
    reason = fields.String(load_default=None, allow_none=True)
    restock = fields.Boolean(load_default=None, allow_none=True)
    amount = Amount(load_default=None, allow_none=True)


class ReturnEventSchema(OrderEventSchema):
    """A return's step: its lines as requested (return_requested) or as received (return_received:
    quantity received, restock, amount)."""

    return_id = _id()
    items = fields.List(fields.Nested(ReturnLineSchema), required=True)
    reason = fields.String(load_default=None, allow_none=True)  # a rejection's
    created_at = Timestamp(load_default=None)  # return_requested's: when orders recorded the return


class ReturnReceivedSchema(ReturnEventSchema):
    refund_amount = Amount()


class PaymentEventSchema(EventSchema):
    """Every payment event carries the ledger as the operation left it; `ledger_version` counts the
    payment's changes, so a consumer can tell a late event from a newer one."""

    order_id = _id()
    user_id = _id()
    payment_id = _id()
    amount = Amount()
    currency = Currency(required=True)
    status = fields.String(load_default=None)
    authorized = Amount(load_default=None)
    captured = Amount(load_default=None)
    refunded = Amount(load_default=None)
    voided = Amount(load_default=None)
    ledger_version = fields.Integer(load_default=None, validate=validate.Range(min=1))


class PaymentAuthorizedSchema(PaymentEventSchema):
    """The order's total is authorized (`amount`): orders confirms the order."""


class PaymentCapturedSchema(PaymentEventSchema):
    """One shipment's `amount` captured, and the invoice issued for it."""

    shipment_id = _id()
    invoice_number = fields.String(load_default=None, allow_none=True)


class PaymentVoidedSchema(PaymentEventSchema):
    """`amount` of the authorization released: units cancelled, or the whole order (reference
    "order": the order's money is back)."""

    reference = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)


class PaymentRefundedSchema(PaymentEventSchema):
    """`amount` refunded: a cancelled order's capture (legacy), a received return, or a goodwill
    refund. The credit note issued with it (None when the order had no invoice)."""

    kind = fields.String(load_default="cancellation", validate=validate.OneOf(["cancellation", "return", "goodwill"]))
    reference = fields.String(load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True)
    credit_note_number = fields.String(load_default=None, allow_none=True)


class DocumentIssuedSchema(EventSchema):
    order_id = _id()
    user_id = _id()
    number = fields.String(required=True)
    total = Amount()
    currency = Currency(required=True)
    issued_at = Timestamp(required=True)


class InvoiceIssuedSchema(DocumentIssuedSchema):
    invoice_id = _id()
    # Set when the order was refunded before its invoice was issued: its credit note was issued
    # in the same transaction.
    credit_note_number = fields.String(load_default=None, allow_none=True)


class CreditNoteIssuedSchema(DocumentIssuedSchema):
    credit_note_id = _id()
    invoice_number = fields.String(required=True)


class PaymentFailedSchema(EventSchema):
    order_id = _id()
    user_id = _id()
    reason = fields.String(required=True, validate=validate.Length(max=500))
    # The declined payment (None in events published before they existed).
    payment_id = fields.String(load_default=None)
    amount = Amount(load_default=None)
    currency = Currency(load_default=None)


class UserRegisteredSchema(EventSchema):
    user_id = _id()
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class UserUpdatedSchema(UserRegisteredSchema):
    """The account's email and name after a change of either."""


SCHEMAS: dict[str, type[EventSchema]] = {
    ORDER_CREATED: OrderCreatedSchema,
    ORDER_CONFIRMED: OrderConfirmedSchema,
    ORDER_CANCELLED: OrderCancelledSchema,
    ORDER_SHIPPED: OrderEventSchema,
    ORDER_DELIVERED: OrderEventSchema,
    ORDER_REFUNDED: OrderEventSchema,
    ORDER_ADDRESS_CHANGED: OrderAddressChangedSchema,
    ORDER_DELETED: OrderEventSchema,
    ORDER_ITEMS_CANCELLED: OrderItemsCancelledSchema,
    ORDER_REFUND_RECORDED: OrderRefundRecordedSchema,
    SHIPMENT_CREATED: ShipmentCreatedSchema,
    SHIPMENT_DELIVERED: ShipmentDeliveredSchema,
    RETURN_REQUESTED: ReturnEventSchema,
    RETURN_APPROVED: ReturnEventSchema,
    RETURN_REJECTED: ReturnEventSchema,
    RETURN_RECEIVED: ReturnReceivedSchema,
    PAYMENT_AUTHORIZED: PaymentAuthorizedSchema,
    PAYMENT_FAILED: PaymentFailedSchema,
    PAYMENT_CAPTURED: PaymentCapturedSchema,
    PAYMENT_VOIDED: PaymentVoidedSchema,
    PAYMENT_REFUNDED: PaymentRefundedSchema,
    INVOICE_ISSUED: InvoiceIssuedSchema,
    CREDIT_NOTE_ISSUED: CreditNoteIssuedSchema,
    USER_REGISTERED: UserRegisteredSchema,
    USER_UPDATED: UserUpdatedSchema,
}

SOURCES: dict[str, str] = {
    **{name: ORDERS for name in SCHEMAS if name.startswith(("order_", "shipment_", "return_"))},
    **{name: PAYMENTS for name in SCHEMAS if name.startswith("payment_")},
    INVOICE_ISSUED: PAYMENTS,
    CREDIT_NOTE_ISSUED: PAYMENTS,
    USER_REGISTERED: USERS,
    USER_UPDATED: USERS,
}


# One instance each: building a marshmallow schema costs more than using it, and an instance
# keeps no state between loads and dumps.
_INSTANCES: dict[str, EventSchema] = {name: schema() for name, schema in SCHEMAS.items()}


def _schema(event_type: str) -> EventSchema:
    if event_type not in _INSTANCES:
        raise ValueError(f"Unknown event type {event_type!r}.")
    return _INSTANCES[event_type]


def make_event(event_type: str, **fields) -> dict:
    """A complete, validated payload ready to publish: JSON types only, money as strings.

    `event_id` and `occurred_at` are generated unless given. Raises marshmallow's
    ValidationError on a missing, unknown or invalid field: that is a bug in the producer."""
    schema = _schema(event_type)
    data = {
        "event_id": str(uuid.uuid4()),
        "occurred_at": datetime.now(UTC).isoformat(),
        **fields,
        "event_type": event_type,
        "version": VERSION,
    }
    payload = schema.dump(schema.load(data, unknown=RAISE))
    payload["event_id"] = str(payload["event_id"])
    return payload


def parse_event(event_type: str, payload) -> dict:
    """A received payload, validated: money as Decimal, `event_id` as a string.

    Raises ValidationError when it does not match the schema of `event_type`."""
    if not isinstance(payload, dict):
        raise ValidationError("An event payload must be an object.")
    if payload.get("event_type") != event_type:
        raise ValidationError({"event_type": [f"Expected {event_type!r}."]})
    event = _schema(event_type).load(payload)
    event["event_id"] = str(event["event_id"])
    return event
