"""The rules of price quotes (orders/quotes.py) alone: pricing a cart, and whether an order may
take a quote's prices. No broker, no database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from contracts.quotes import QuoteExpired, QuoteMismatch, QuoteUnknown, QuoteUsed
from orders import quotes
from orders.models import Quote
from wire.errors import Conflict, Invalid

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
WIDGET = {"id": "p-widget", "sku": "W-1", "name": "Widget", "price": "19.99", "currency": "EUR"}
GADGET = {"id": "p-gadget", "sku": "G-1", "name": "Gadget", "price": "5.00", "currency": "EUR"}


def quote(**changes) -> Quote:
    fields = {"id": "q-1", "user_id": "u-1", "currency": "EUR", "total": Decimal("44.98"),
              "lines": [{"product_id": "p-widget", "sku": "W-1", "name": "Widget", "unit_price": "19.99",
                         "quantity": 2, "line_total": "39.98"},
                        {"product_id": "p-gadget", "sku": "G-1", "name": "Gadget", "unit_price": "5.00",
                         "quantity": 1, "line_total": "5.00"}],
              "created_at": NOW - timedelta(minutes=5), "expires_at": NOW + timedelta(minutes=10), "order_id": None}
    return Quote(**fields | changes)


ITEMS = [{"product_id": "p-widget", "quantity": 2}, {"product_id": "p-gadget", "quantity": 1}]


def test_a_cart_is_priced_line_by_line_at_the_catalogs_prices():
    priced = quotes.price(ITEMS, [GADGET, WIDGET])
    assert priced.currency == "EUR"
    assert priced.total == Decimal("44.98")
    assert [(line["product_id"], line["unit_price"], line["line_total"]) for line in priced.lines] == [
        ("p-widget", Decimal("19.99"), Decimal("39.98")), ("p-gadget", Decimal("5.00"), Decimal("5.00"))]


def test_unknown_products_are_named():
    with pytest.raises(Invalid) as refused:
        quotes.price(ITEMS + [{"product_id": "p-none", "quantity": 1}], [WIDGET, GADGET])
    assert refused.value.errors == {"items": {"unknown": ["p-none"]}}


def test_a_cart_in_two_currencies_is_refused():
    with pytest.raises(Invalid) as refused:
        quotes.price(ITEMS, [WIDGET, GADGET | {"currency": "USD"}])
    assert refused.value.errors == {"items": {"currency": ["Mixed currencies: EUR, USD."]}}


def test_a_total_beyond_a_money_column_is_refused():
    with pytest.raises(Invalid) as refused:
        quotes.price([{"product_id": "p-widget", "quantity": 2}], [WIDGET | {"price": "9999999999.99"}])
    assert "total" in refused.value.errors


def test_the_owner_may_use_a_fresh_unused_quote_for_its_items():
    quotes.check_usable(quote(), "u-1", list(reversed(ITEMS)), NOW)


@pytest.mark.parametrize(
    ("found", "user_id", "refusal", "status"),
    [
        (None, "u-1", QuoteUnknown, 422),
        (quote(), "u-2", QuoteUnknown, 422),  # another customer's: not told it exists
        (quote(order_id="o-9"), "u-1", QuoteUsed, 409),
        (quote(expires_at=NOW), "u-1", QuoteExpired, 409),
    ],
)
def test_a_quote_that_cant_be_used_says_why(found, user_id, refusal, status):
    with pytest.raises(refusal) as refused:
        quotes.check_usable(found, user_id, ITEMS, NOW)
    assert refused.value.status == status
    assert list(refused.value.errors) == ["quote_id"]


def test_other_items_or_quantities_are_named():
    ordered = [{"product_id": "p-widget", "quantity": 3}, {"product_id": "p-other", "quantity": 1}]
    with pytest.raises(QuoteMismatch) as refused:
        quotes.check_usable(quote(), "u-1", ordered, NOW)
    assert refused.value.errors == {"items": {
        "not_quoted": ["p-other"], "missing": ["p-gadget"],
        "quantity": [{"product_id": "p-widget", "quoted": 2, "ordered": 3}],
    }}


def test_the_order_takes_the_quotes_prices_over_the_reservations():
    reservation = {"order_id": "o-1", "currency": "EUR", "expires_at": "2026-12-05T12:15:00+00:00", "items": [
        {"product_id": "p-gadget", "sku": "G-1", "name": "Gadget", "unit_price": "7.50", "quantity": 1},
        {"product_id": "p-widget", "sku": "W-1", "name": "Widget", "unit_price": "24.99", "quantity": 2},
    ]}
    priced = quotes.at_quoted_prices(reservation, quote())
    assert [(item["product_id"], item["unit_price"]) for item in priced["items"]] == [
        ("p-gadget", "5.00"), ("p-widget", "19.99")]
    assert reservation["items"][0]["unit_price"] == "7.50"  # the reservation itself is left as it was


def test_a_currency_changed_since_the_quote_is_a_conflict():
    reservation = {"currency": "USD", "items": []}
    with pytest.raises(Conflict) as refused:
        quotes.at_quoted_prices(reservation, quote())
    assert refused.value.errors == {"quote_id": ["Currency changed."]}
