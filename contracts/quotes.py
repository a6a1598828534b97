"""Price quotes (issue 27): a cart priced for a customer, its prices held until `expires_at`.
An order that cites the quote takes these prices, whatever the catalog says by then; stock is not
held by a quote (the order reserves it when placed)."""

from marshmallow import Schema, fields
from nameko.exceptions import deserialize_to_instance

from contracts.orders import OrderLineRequestSchema, ShipmentItemSchema, _EachProductOnce, _lines
from wire.errors import Conflict, Invalid
from wire.money import Price


class CreateQuoteSchema(_EachProductOnce):
    items = _lines(OrderLineRequestSchema, "One line per product: each `product_id` once, a product in the catalog.")


class QuoteLineSchema(ShipmentItemSchema):
    """A line priced as a parcel's is: unit price, quantity, line total."""


class QuoteSchema(Schema):
    id = fields.String(required=True)
    user_id = fields.String(required=True)
    items = fields.List(fields.Nested(QuoteLineSchema), required=True)
    total = Price(required=True)
    currency = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True, metadata={"description": "Its prices hold until then."})
    order_id = fields.String(
        required=True, allow_none=True, metadata={"description": "The order that used it; null while unused."}
    )


# An order's quote refused (orders/quotes.py): `errors` names what is wrong with it.
@deserialize_to_instance
class QuoteUnknown(Invalid):
    """No such quote for this customer (it may exist for another: that isn't told)."""


@deserialize_to_instance
class QuoteMismatch(Invalid):
    """The order's items or quantities are not the quote's."""


@deserialize_to_instance
class QuoteExpired(Conflict):
    """The quote's prices no longer hold: ask for a new quote."""


@deserialize_to_instance
class QuoteUsed(Conflict):
    """Another order took this quote: a quote prices one order at most."""
