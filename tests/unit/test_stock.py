"""Stock arithmetic and the reservation rules (products/stock.py) alone: no broker, no database."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from contracts.products import MAX_STOCK
from products.stock import (
    COMMITTED,
    HELD,
    RELEASED,
    Units,
    adjusted,
    check_not_released,
    check_repeat,
    check_reservable,
    releasable,
    release,
    restock,
    shortfall,
)
from wire.errors import Conflict, Invalid


@pytest.mark.parametrize(
    ("available", "requested", "missing"), [(5, 1, 0), (5, 5, 0), (5, 6, 1), (0, 3, 3), (10, 0, 0)]
)
def test_shortfall_is_what_is_missing_never_negative(available, requested, missing):
    assert shortfall(available, requested) == missing


def test_releasing_a_held_reservation_puts_its_units_back_from_reserved():
    assert release(Units(stock=3, reserved=2, sold=5), 2, committed=False) == Units(stock=5, reserved=0, sold=5)


def test_releasing_a_committed_reservation_puts_its_units_back_from_sold():
    assert release(Units(stock=3, reserved=2, sold=5), 4, committed=True) == Units(stock=7, reserved=2, sold=1)


@pytest.mark.parametrize("committed", [False, True])
def test_a_release_never_changes_what_was_received(committed):
    before = Units(stock=1, reserved=4, sold=4)
    after = release(before, 4, committed=committed)
    assert after.accounted == before.accounted == 9


def test_a_restock_puts_returned_units_on_sale_and_leaves_their_sale_counted():
    assert restock(Units(stock=1, reserved=2, sold=4), 3) == Units(stock=4, reserved=2, sold=4)


@pytest.mark.parametrize(
    ("held", "released", "asked", "given_back"), [(5, 0, 2, 2), (5, 3, 2, 2), (5, 4, 2, 1), (5, 5, 2, 0)]
)
def test_an_item_gives_back_at_most_what_it_still_holds(held, released, asked, given_back):
    assert releasable(held, released, asked) == given_back


# --- the rules of a reservation -------------------------------------------------------------------


def offer(sku, stock, currency="EUR", price="1.00"):
    return SimpleNamespace(sku=sku, stock=stock, currency=currency, price=Decimal(price))


def test_a_reservable_request_gives_its_one_currency():
    assert check_reservable({"a": 2, "b": 5}, {"a": offer("A", 2), "b": offer("B", 9)}) == "EUR"


def test_a_total_no_money_column_holds_is_refused_even_when_stock_is_short():
    found = {"a": offer("A", 5, price="20.00"), "b": offer("B", 1, price="9999999999.99")}
    with pytest.raises(Invalid) as refused:
        check_reservable({"a": 5, "b": 2}, found)
    assert refused.value.errors == {"total": ["At most 9999999999.99; these items come to 20000000099.98."],
                                    "items": {"line_total": ["b"]}}


def test_unknown_products_are_named():
    with pytest.raises(Invalid) as refused:
        check_reservable({"a": 1, "x": 1, "y": 2}, {"a": offer("A", 5)})
    assert refused.value.errors == {"items": {"unknown": ["x", "y"]}}


def test_mixed_currencies_are_refused_before_stock_is_looked_at():
    with pytest.raises(Invalid) as refused:
        check_reservable({"a": 9, "b": 1}, {"a": offer("A", 0, "USD"), "b": offer("B", 5)})
    assert "EUR, USD" in refused.value.detail


def test_every_short_item_is_named_with_what_is_left():
    with pytest.raises(Conflict) as refused:
        check_reservable({"a": 3, "b": 1, "c": 7}, {"a": offer("A", 2), "b": offer("B", 1), "c": offer("C", 0)})
    assert refused.value.errors == {"items": {"short": [
        {"product_id": "a", "sku": "A", "requested": 3, "available": 2},
        {"product_id": "c", "sku": "C", "requested": 7, "available": 0},
    ]}}


@pytest.mark.parametrize("status", [HELD, COMMITTED])
def test_the_same_items_again_are_a_repeat(status):
    check_repeat({"a": 2, "b": 1}, {"b": 1, "a": 2}, status, None)


@pytest.mark.parametrize("wanted", [{"a": 3}, {"a": 2, "b": 1}, {}])
def test_other_items_for_the_same_order_conflict(wanted):
    with pytest.raises(Conflict, match="other items"):
        check_repeat({"a": 2}, wanted, HELD, None)


def test_a_released_reservation_is_never_repeated_nor_committed():
    with pytest.raises(Conflict, match=r"already released \(expired\)"):
        check_repeat({"a": 2}, {"a": 2}, RELEASED, "expired")
    with pytest.raises(Conflict, match=r"already released \(released\)"):
        check_not_released(RELEASED, "released")
    check_not_released(COMMITTED, None)


@pytest.mark.parametrize(("stock", "delta", "after"), [(5, 3, 8), (5, -5, 0), (0, 0, 0)])
def test_adjusting_stock(stock, delta, after):
    assert adjusted(stock, delta) == after


def test_stock_never_goes_above_what_a_product_may_have():
    adjusted(MAX_STOCK - 1, 1)
    with pytest.raises(Invalid) as refused:
        adjusted(MAX_STOCK, 1)
    assert refused.value.errors == {"delta": [f"Would make stock more than {MAX_STOCK}."]}


def test_stock_never_goes_below_zero():
    with pytest.raises(Invalid, match=r"5 available, adjustment -6"):
        adjusted(5, -6)
