"""Price and Currency fields: what an amount of money may look like on the wire; the bound of an order's total."""

from decimal import Decimal

import pytest
from marshmallow import Schema, ValidationError
from sqlalchemy import Numeric

import order_queries.models
import orders.models
import payments.models
import products.models
from wire.errors import Invalid
from wire.money import CENT, CURRENCIES, MAX_AMOUNT, Currency, Price, order_total


class PricedSchema(Schema):
    price = Price()
    currency = Currency()


schema = PricedSchema()


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("19.99", Decimal("19.99")),
        ("0.01", Decimal("0.01")),
        ("5", Decimal("5")),
        ("5.1", Decimal("5.1")),
        ("0.5", Decimal("0.5")),
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_price_accepts_positive_amounts_with_at_most_two_places(text, amount):
    assert schema.load({"price": text}) == {"price": amount}


@pytest.mark.parametrize(
    "text",
    ["0", "0.00", "-1", "-0.01", "1.999", "0.001", "NaN", "nan", "Infinity", "-Infinity", "sNaN", "abc", "",
     "1,50", "10000000000.00", True, None, ["1.00"]],
)
def test_price_rejects_zero_negative_overprecise_special_and_non_numbers(text):
    with pytest.raises(ValidationError) as raised:
        schema.load({"price": text})
    assert "price" in raised.value.messages


@pytest.mark.parametrize("text", [" 7.50 ", "07.50", "+7.50", "7.5e0", "1E1", ".5"])
def test_price_written_otherwise_than_the_documented_pattern_is_rejected(text):
    """What /openapi.json's pattern refuses, the service refuses too: a client or fuzzer
    building a price from the pattern is never surprised."""
    with pytest.raises(ValidationError) as raised:
        schema.load({"price": text})
    assert raised.value.messages == {"price": ['Write it plainly, such as "19.99": no sign, exponent or leading zero.']}


@pytest.mark.parametrize("number", [12, 19.99, 0.1 + 0.2])
def test_price_must_travel_as_a_string_not_a_json_number(number):
    with pytest.raises(ValidationError):
        schema.load({"price": number})


def test_price_with_three_places_is_rejected_even_when_the_last_is_zero():
    # "1.990" is treated as three decimal places; clients must send "1.99".
    with pytest.raises(ValidationError):
        schema.load({"price": "1.990"})


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Decimal("19.99"), "19.99"), (Decimal("5"), "5.00"), (Decimal("5.1"), "5.10"), (Decimal("1E+1"), "10.00")],
)
def test_price_dumps_as_a_string_with_two_places(amount, text):
    assert schema.dump({"price": amount}) == {"price": text}


def test_price_dumps_none_as_none():
    assert schema.dump({"price": None}) == {"price": None}


def test_price_round_trips_unchanged():
    assert schema.dump(schema.load({"price": "123.45"})) == {"price": "123.45"}


@pytest.mark.parametrize("code", ["USD", "EUR", "GBP", "JPY"])
def test_currency_accepts_iso_4217_codes(code):
    assert schema.load({"currency": code}) == {"currency": code}


@pytest.mark.parametrize("code", ["usd", "XXX", "US", "USDD", "", " USD", 840])
def test_currency_rejects_anything_but_an_upper_case_active_code(code):
    with pytest.raises(ValidationError):
        schema.load({"currency": code})


def test_currency_list_is_three_letter_upper_case_codes():
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in CURRENCIES)


# --- the bound of an order's total ----------------------------------------------------------------


def test_an_order_total_up_to_the_bound_is_their_sum():
    assert order_total({"a": MAX_AMOUNT - CENT, "b": CENT}) == MAX_AMOUNT
    assert order_total({"a": Decimal("19.98")}) == Decimal("19.98")


def test_the_bound_is_what_the_narrowest_money_column_holds():
    columns = [column for module in (orders.models, products.models, payments.models, order_queries.models)
               for table in module.Base.metadata.tables.values() for column in table.columns
               if isinstance(column.type, Numeric)]
    assert {column.type.scale for column in columns} == {2}
    narrowest = min(column.type.precision for column in columns)
    assert MAX_AMOUNT == Decimal(10) ** (narrowest - 2) - CENT


def test_a_total_one_cent_over_the_bound_is_invalid_naming_the_total():
    with pytest.raises(Invalid) as refused:
        order_total({"a": MAX_AMOUNT, "b": CENT})
    assert refused.value.errors == {"total": ["At most 9999999999.99; these items come to 10000000000.00."]}


def test_the_items_whose_own_total_is_over_the_bound_are_named():
    with pytest.raises(Invalid) as refused:
        order_total({"a": Decimal("100.00"), "b": MAX_AMOUNT * 1000, "c": MAX_AMOUNT + CENT})
    assert refused.value.errors["items"] == {"line_total": ["b", "c"]}
    assert list(refused.value.errors) == ["total", "items"]
