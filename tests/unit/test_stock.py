"""Stock arithmetic (products/stock.py) alone: no broker, no database."""

import pytest

from products.stock import Units, release, shortfall


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
    assert after.received == before.received == 9
