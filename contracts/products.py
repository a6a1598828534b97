"""RPC payloads of the products service."""

from datetime import UTC

from marshmallow import Schema, ValidationError, fields, post_load, validate

from wire.money import Currency, Price
from wire.pagination import PageQuerySchema
from wire.validation import JsonInteger

MAX_STOCK = 1_000_000_000
# \Z, not $: $ also matches before a trailing newline, which let "WID-1\n" in beside "WID-1".
SKU = dict(validate=[validate.Length(min=1, max=64), validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z")])


def _no_nul(value: str) -> None:
    # PostgreSQL text cannot hold NUL: psycopg2 would raise ValueError, an unexpected error.
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")


NAME = dict(validate=[validate.Length(min=1, max=200), _no_nul])
DESCRIPTION = dict(validate=[validate.Length(max=5000), _no_nul])
STOCK = dict(validate=validate.Range(min=0, max=MAX_STOCK))


class ProductCreateSchema(Schema):
    sku = fields.String(required=True, **SKU)
    name = fields.String(required=True, **NAME)
    description = fields.String(load_default="", **DESCRIPTION)
    price = Price(required=True)
    currency = Currency(required=True)
    stock = JsonInteger(required=True, **STOCK)


class ProductUpdateSchema(Schema):
    class Meta:
        json_schema_keywords = {"minProperties": 1}  # an empty change is refused: "Nothing to change."

    sku = fields.String(**SKU)
    name = fields.String(**NAME)
    description = fields.String(**DESCRIPTION)
    price = Price()
    currency = Currency()


class StockSchema(Schema):
    stock = JsonInteger(required=True, **STOCK)


class StockAdjustmentSchema(Schema):
    delta = JsonInteger(required=True, validate=validate.Range(min=-MAX_STOCK, max=MAX_STOCK))


class ProductQuerySchema(PageQuerySchema):
    q = fields.String(validate=[validate.Length(min=1, max=200), _no_nul])
    min_price = Price()
    max_price = Price()
    in_stock = fields.Boolean()
    currency = Currency()


class ProductSchema(Schema):
    id = fields.String(required=True)
    sku = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    price = Price(required=True)
    currency = fields.String(required=True)
    stock = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class PriceChangeSchema(Schema):
    price = Price(required=True)
    currency = fields.String(required=True)
    effective_at = fields.DateTime(required=True)


# --- stock reservations -------------------------------------------------------------------------

MAX_RESERVATION_ITEMS = 50
MAX_RESERVED_QUANTITY = 1000
MAX_RESERVATION_TTL_SECONDS = 86_400


class StrictInteger(fields.Integer):
    """An integer that must arrive as one: no strings, floats or booleans."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class ReserveItemSchema(Schema):
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_RESERVED_QUANTITY))


class ReserveSchema(Schema):
    """reserve_stock's arguments. Items naming one product twice are merged into one item (first
    position kept, quantities added); the merged quantity is held to the same limit."""

    order_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    items = fields.List(
        fields.Nested(ReserveItemSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_RESERVATION_ITEMS),
    )
    ttl_seconds = StrictInteger(required=True, validate=validate.Range(min=1, max=MAX_RESERVATION_TTL_SECONDS))

    @post_load
    def merge_duplicates(self, data, **kwargs):
        merged: dict[str, int] = {}
        for item in data["items"]:
            merged[item["product_id"]] = merged.get(item["product_id"], 0) + item["quantity"]
        over = sorted(product_id for product_id, quantity in merged.items() if quantity > MAX_RESERVED_QUANTITY)
        if over:
            raise ValidationError(
                {"items": {"quantity": [f"At most {MAX_RESERVED_QUANTITY} units of one product: {', '.join(over)}."]}}
            )
        data["items"] = [{"product_id": product_id, "quantity": quantity} for product_id, quantity in merged.items()]
        return data


class UtcDateTime(fields.DateTime):
    """ISO 8601 in UTC, whatever time zone the database session hands back."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.astimezone(UTC).isoformat()


class ReservedItemSchema(Schema):
    product_id = fields.String()
    sku = fields.String()
    name = fields.String()
    unit_price = Price()
    quantity = fields.Integer()


class ReservationSchema(Schema):
    order_id = fields.String()
    status = fields.String()
    expires_at = UtcDateTime()
    currency = fields.String()
    items = fields.List(fields.Nested(ReservedItemSchema))
