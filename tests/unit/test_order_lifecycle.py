"""The life cycles of orders, shipments and returns (orders/lifecycle.py) alone: no broker, no
database."""

import itertools

import pytest

from contracts.orders import IllegalMove, ReturnStatus, ShipmentStatus
from orders.lifecycle import (
    ADDRESS_CHANGEABLE,
    FULFILLING,
    OPEN,
    RESERVING,
    OrderStatus,
    can_move,
    check_move,
    is_terminal,
    reservation_in_use,
)
from wire.errors import Conflict

S = OrderStatus
# The whole table, written out: every move not listed here must be refused.
ALLOWED_MOVES = {
    (S.PENDING_PAYMENT, S.CONFIRMED),
    (S.PENDING_PAYMENT, S.CANCELLED),
    (S.CONFIRMED, S.PARTIALLY_SHIPPED),
    (S.CONFIRMED, S.SHIPPED),
    (S.CONFIRMED, S.CANCELLED),
    (S.PARTIALLY_SHIPPED, S.SHIPPED),
    (S.SHIPPED, S.DELIVERED),
    (S.CANCELLED, S.REFUNDED),
}
EVERY_PAIR = list(itertools.product(OrderStatus, repeat=2))


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED_MOVES))
def test_an_allowed_move_passes(current, target):
    assert can_move(current, target)
    check_move(current, target)


@pytest.mark.parametrize(("current", "target"), [pair for pair in EVERY_PAIR if pair not in ALLOWED_MOVES])
def test_every_other_move_is_a_conflict_that_names_it(current, target):
    assert not can_move(current, target)
    with pytest.raises(IllegalMove) as refused:
        check_move(current, target)
    assert isinstance(refused.value, Conflict)  # a 409, as before the domain had its own error
    assert refused.value.errors == {"status": [f"{current} → {target} is not allowed."]}


def test_statuses_arrive_as_plain_strings_too():
    assert can_move("pending_payment", "confirmed") and not can_move("delivered", "cancelled")


def test_no_status_moves_to_itself_and_delivered_and_refunded_are_final():
    assert not any(can_move(status, status) for status in OrderStatus)
    assert not any(can_move(final, target) for final in (S.DELIVERED, S.REFUNDED) for target in OrderStatus)


def test_an_order_can_be_cancelled_whole_and_readdressed_exactly_until_a_parcel_leaves():
    assert {current for current, target in ALLOWED_MOVES if target == S.CANCELLED} == {
        S.PENDING_PAYMENT, S.CONFIRMED}
    assert set(ADDRESS_CHANGEABLE) == {S.PENDING_PAYMENT, S.CONFIRMED}


def test_parcels_leave_and_items_are_cancelled_while_confirmed_or_partially_shipped():
    assert set(FULFILLING) == {S.CONFIRMED, S.PARTIALLY_SHIPPED}


def test_an_order_is_open_until_delivered_or_cancelled():
    assert set(OPEN) == {S.PENDING_PAYMENT, S.CONFIRMED, S.PARTIALLY_SHIPPED, S.SHIPPED}


SHIPMENT_MOVES = {
    (ShipmentStatus.CAPTURING, ShipmentStatus.SHIPPED),
    (ShipmentStatus.CAPTURING, ShipmentStatus.FAILED),
    (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED),
}
RETURN_MOVES = {
    (ReturnStatus.REQUESTED, ReturnStatus.APPROVED),
    (ReturnStatus.REQUESTED, ReturnStatus.REJECTED),
    (ReturnStatus.APPROVED, ReturnStatus.RECEIVED),
}


@pytest.mark.parametrize(
    ("kind", "current", "target"),
    [(ShipmentStatus, *pair) for pair in itertools.product(ShipmentStatus, repeat=2)]
    + [(ReturnStatus, *pair) for pair in itertools.product(ReturnStatus, repeat=2)],
)
def test_shipments_and_returns_move_only_as_their_tables_say(kind, current, target):
    allowed = (current, target) in (SHIPMENT_MOVES if kind is ShipmentStatus else RETURN_MOVES)
    assert can_move(current, target, kind) is allowed
    if allowed:
        check_move(current, target, kind)
    else:
        with pytest.raises(IllegalMove) as refused:
            check_move(current, target, kind)
        assert refused.value.errors == {"status": [f"{current} → {target} is not allowed."]}


@pytest.mark.parametrize(
    ("status", "paid", "terminal"),
    [
        (S.PENDING_PAYMENT, False, False),
        (S.CONFIRMED, True, False),
        (S.PARTIALLY_SHIPPED, True, False),
        (S.SHIPPED, True, False),
        (S.DELIVERED, True, True),
        (S.CANCELLED, False, True),
        (S.CANCELLED, True, False),  # its refund is still to come
        (S.REFUNDED, True, True),
    ],
)
def test_an_order_is_finished_when_nothing_more_can_happen_to_it(status, paid, terminal):
    assert is_terminal(status, paid) is terminal


@pytest.mark.parametrize(
    ("status", "in_use"),
    [
        (S.PENDING_PAYMENT, True),
        (S.CONFIRMED, True),
        (S.PARTIALLY_SHIPPED, True),
        (S.SHIPPED, True),
        (S.DELIVERED, True),  # committed: its units are sold
        (S.CANCELLED, False),
        (S.REFUNDED, False),
    ],
)
def test_a_reservation_stays_in_use_unless_its_order_was_cancelled_or_refunded(status, in_use):
    assert reservation_in_use(status) is in_use
    assert (status in RESERVING) is in_use
