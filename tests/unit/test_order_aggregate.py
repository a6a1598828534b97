"""The order's after-sale rules (orders/domain/) alone: no broker, no
database. Each test builds an order as the repository would load it and checks what a decision
changed: statuses, line quantities, the events and history entries under their sequences."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from contracts.events import (
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    ORDER_DELIVERED,
    ORDER_ITEMS_CANCELLED,
    ORDER_REFUND_RECORDED,
    ORDER_REFUNDED,
    ORDER_SHIPPED,
    RETURN_APPROVED,
    RETURN_RECEIVED,
    RETURN_REJECTED,
    RETURN_REQUESTED,
    SHIPMENT_CREATED,
    SHIPMENT_DELIVERED,
)
from contracts.orders import (
    IllegalMove,
    NotEnoughToCancel,
    NotEnoughToShip,
    OrderStatus,
    ReturnNotAllowed,
    ReturnStatus,
    ShipmentStatus,
)
from orders.domain.line import Line
from orders.domain.order import Order

S = OrderStatus
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)
ADMIN = "admin-1"


def order(status=S.CONFIRMED, lamps=2, mugs=1, sequence=2) -> Order:
    lines = [Line(0, "lamp", "LAMP-1", "Lamp", Decimal("20.00"), lamps),
             Line(1, "mug", "MUG-1", "Mug", Decimal("7.50"), mugs)]
    return Order("order-1", "user-7", status, sequence, paid=status != S.PENDING_PAYMENT, lines=lines)


def line(an_order: Order, product_id: str) -> Line:
    return next(each for each in an_order.lines if each.product_id == product_id)


def shipped(an_order: Order, items: list[dict], shipment_id="ship-1"):
    shipment, _ = an_order.ship(items, shipment_id, "DHL", "TRACK-1")
    return shipment, an_order.complete_shipment(shipment, "INV-1", ADMIN, NOW)


def events(change) -> list[tuple]:
    return [(record.event_type, record.sequence, record.status) for record in change.records]


def moves(change) -> list[tuple]:
    return [(entry["from_status"], entry["to_status"]) for entry in change.entries]


# --- payment and the whole order -----------------------------------------------------------------


def test_an_authorized_payment_confirms_a_pending_order_under_its_next_sequence():
    change = order(S.PENDING_PAYMENT, sequence=1).confirm("payments", "payment authorized", NOW)
    assert events(change) == [(ORDER_CONFIRMED, 2, S.CONFIRMED)]
    assert moves(change) == [(S.PENDING_PAYMENT, S.CONFIRMED)] and change.paid


def test_a_confirmed_order_cannot_be_confirmed_again():
    with pytest.raises(IllegalMove):
        order(S.CONFIRMED).confirm("payments", "payment authorized", NOW)


def test_an_order_with_nothing_shipped_is_cancelled_whole():
    change = order().cancel("user-7", "changed my mind", NOW)
    assert events(change) == [(ORDER_CANCELLED, 3, S.CANCELLED)]
    assert change.records[0].fields == {"reason": "changed my mind"}


def test_an_order_with_a_parcel_being_captured_cannot_be_cancelled_whole():
    an_order = order()
    an_order.ship([{"product_id": "mug", "quantity": 1}], "ship-1", "DHL", None)
    with pytest.raises(IllegalMove, match="cancel its remaining items instead"):
        an_order.cancel("user-7", "too late", NOW)


def test_a_partially_shipped_order_cannot_be_cancelled_whole():
    an_order = order()
    shipped(an_order, [{"product_id": "mug", "quantity": 1}])
    with pytest.raises(IllegalMove):
        an_order.cancel(ADMIN, "no", NOW)


def test_a_cancelled_order_becomes_refunded_once_and_only_then():
    an_order = order(S.CANCELLED)
    assert events(an_order.mark_refunded("payments", "authorization voided", NOW)) == [(ORDER_REFUNDED, 3, S.REFUNDED)]
    assert an_order.mark_refunded("payments", "again", NOW) is None
    assert order(S.CONFIRMED).mark_refunded("payments", "voided part", NOW) is None


def test_a_refund_is_a_history_entry_without_a_move_announced_by_its_own_event():
    refund = {"amount": "20.00", "kind": "return", "reference": "r-1"}
    change = order(S.DELIVERED).record_refund(refund, "payments", "refunded 20.00 (return r-1)", NOW)
    assert events(change) == [(ORDER_REFUND_RECORDED, 3, S.DELIVERED)] and moves(change) == [(S.DELIVERED, S.DELIVERED)]
    assert change.records[0].fields == refund


def test_the_address_changes_until_a_parcel_leaves_and_the_change_takes_a_sequence():
    assert events(order().change_address({"city": "Lyon"})) == [("order_address_changed", 3, S.CONFIRMED)]
    with pytest.raises(IllegalMove):
        order(S.PARTIALLY_SHIPPED).change_address({"city": "Lyon"})


def test_only_a_finished_order_is_deleted():
    assert [r.event_type for r in order(S.DELIVERED).delete(paid=True).records] == ["order_deleted"]
    with pytest.raises(IllegalMove):
        order(S.CANCELLED).delete(paid=True)  # its refund is still to come


# --- shipments -----------------------------------------------------------------------------------


def test_a_shipment_takes_its_units_at_once_and_emits_nothing_until_captured():
    an_order = order()
    shipment, change = an_order.ship([{"product_id": "lamp", "quantity": 1}], "ship-1", "DHL", "TRACK-1")
    assert shipment.status == ShipmentStatus.CAPTURING and shipment.amount == Decimal("20.00")
    assert change.records == [] and change.lines == [line(an_order, "lamp")]
    assert line(an_order, "lamp").shipped == 1 and line(an_order, "lamp").remaining == 1
    assert shipment.capture_request() == {
        "shipment_id": "ship-1", "amount": "20.00",
        "lines": [{"sku": "LAMP-1", "name": "Lamp", "quantity": 1, "unit_price": "20.00", "line_total": "20.00"}]}


def test_shipping_more_than_remains_is_refused_naming_the_line():
    an_order = order()
    an_order.ship([{"product_id": "lamp", "quantity": 2}], "ship-1", "DHL", None)
    with pytest.raises(NotEnoughToShip) as refused:
        an_order.ship([{"product_id": "lamp", "quantity": 1}, {"product_id": "mug", "quantity": 1}], "ship-2",
                      "DHL", None)
    assert refused.value.errors == {"items": {"lamp": ["Asked 1; 0 to ship."]}}
    assert line(an_order, "mug").shipped == 0  # all or nothing


def test_a_product_not_in_the_order_is_named():
    with pytest.raises(NotEnoughToShip) as refused:
        order().ship([{"product_id": "chair", "quantity": 1}], "ship-1", "DHL", None)
    assert refused.value.errors == {"items": {"chair": ["Not in this order."]}}


@pytest.mark.parametrize("status", [S.PENDING_PAYMENT, S.SHIPPED, S.CANCELLED, S.DELIVERED])
def test_only_a_confirmed_or_partially_shipped_order_ships(status):
    with pytest.raises(IllegalMove):
        order(status).ship([{"product_id": "mug", "quantity": 1}], "ship-1", "DHL", None)


def test_a_first_parcel_makes_the_order_partially_shipped_and_the_next_ones_record_an_entry():
    an_order = order()
    first, change = shipped(an_order, [{"product_id": "lamp", "quantity": 1}])
    assert first.status == ShipmentStatus.SHIPPED and first.invoice_number == "INV-1" and first.shipped_at == NOW
    assert events(change) == [(SHIPMENT_CREATED, 3, S.PARTIALLY_SHIPPED)]
    assert moves(change) == [(S.CONFIRMED, S.PARTIALLY_SHIPPED)]
    assert change.records[0].fields["items"] == [
        {"product_id": "lamp", "sku": "LAMP-1", "name": "Lamp", "quantity": 1, "unit_price": "20.00",
         "line_total": "20.00"}]
    _, change = shipped(an_order, [{"product_id": "mug", "quantity": 1}], "ship-2")
    assert moves(change) == [(S.PARTIALLY_SHIPPED, S.PARTIALLY_SHIPPED)]


def test_the_parcel_with_the_last_units_ships_the_order():
    an_order = order()
    shipped(an_order, [{"product_id": "lamp", "quantity": 2}])
    _, change = shipped(an_order, [{"product_id": "mug", "quantity": 1}], "ship-2")
    # One entry for the step, the move it made; order_shipped announces the status.
    assert events(change) == [(SHIPMENT_CREATED, 4, S.SHIPPED), (ORDER_SHIPPED, 5, S.SHIPPED)]
    assert moves(change) == [(S.PARTIALLY_SHIPPED, S.SHIPPED)] and change.records[1].entry is None


def test_one_parcel_with_everything_ships_a_confirmed_order():
    an_order = order()
    _, change = shipped(an_order, an_order.everything_left())
    assert moves(change) == [(S.CONFIRMED, S.SHIPPED)]
    with pytest.raises(IllegalMove):
        an_order.everything_left()


def test_nothing_left_to_ship_is_refused():
    an_order = order()
    an_order.ship(an_order.everything_left(), "ship-1", "DHL", None)  # still capturing
    with pytest.raises(NotEnoughToShip, match="Nothing remains"):
        an_order.everything_left()


def test_the_last_units_ship_the_order_only_once_no_other_parcel_is_being_captured():
    an_order = order()
    capturing, _ = an_order.ship([{"product_id": "lamp", "quantity": 2}], "ship-1", "DHL", None)
    _, change = shipped(an_order, [{"product_id": "mug", "quantity": 1}], "ship-2")
    assert an_order.status == S.PARTIALLY_SHIPPED  # the lamps' capture may still fail
    change = an_order.complete_shipment(capturing, None, ADMIN, NOW)
    assert an_order.status == S.SHIPPED and events(change)[-1][0] == ORDER_SHIPPED


def test_a_failed_capture_gives_the_units_back_and_changes_no_status():
    an_order = order()
    shipment, _ = an_order.ship([{"product_id": "lamp", "quantity": 2}], "ship-1", "DHL", None)
    change = an_order.fail_shipment(shipment, "capture_declined")
    assert shipment.status == ShipmentStatus.FAILED and shipment.failure_reason == "capture_declined"
    assert change.records == [] and line(an_order, "lamp").shipped == 0 and an_order.status == S.CONFIRMED
    with pytest.raises(IllegalMove):
        an_order.complete_shipment(shipment, None, ADMIN, NOW)  # a failed shipment never ships


def test_the_order_is_delivered_when_its_last_parcel_is():
    an_order = order()
    first, _ = shipped(an_order, [{"product_id": "lamp", "quantity": 2}])
    second, _ = shipped(an_order, [{"product_id": "mug", "quantity": 1}], "ship-2")
    change = an_order.deliver(first, ADMIN, NOW)
    assert events(change) == [(SHIPMENT_DELIVERED, 6, S.SHIPPED)]
    assert change.records[0].fields == {"shipment_id": "ship-1", "delivered_at": NOW.isoformat()}
    assert line(an_order, "lamp").delivered == 2 and line(an_order, "lamp").last_delivered_at == NOW
    change = an_order.deliver(second, ADMIN, NOW)
    assert events(change) == [(SHIPMENT_DELIVERED, 7, S.DELIVERED), (ORDER_DELIVERED, 8, S.DELIVERED)]
    assert moves(change) == [(S.SHIPPED, S.DELIVERED)]
    with pytest.raises(IllegalMove):
        an_order.deliver(second, ADMIN, NOW)


def test_a_delivered_parcel_of_a_partially_shipped_order_leaves_it_partially_shipped():
    an_order = order()
    first, _ = shipped(an_order, [{"product_id": "lamp", "quantity": 1}])
    an_order.deliver(first, ADMIN, NOW)
    assert an_order.status == S.PARTIALLY_SHIPPED


# --- line cancellation ---------------------------------------------------------------------------


def test_cancelling_some_units_voids_their_amount_and_keeps_the_status():
    an_order = order()
    change = an_order.cancel_items([{"product_id": "lamp", "quantity": 1}], "c-1", "out of stock", ADMIN, NOW)
    assert events(change) == [(ORDER_ITEMS_CANCELLED, 3, S.CONFIRMED)]
    assert change.records[0].fields == {"cancellation_id": "c-1", "amount": "20.00", "reason": "out of stock",
                                        "items": [{"product_id": "lamp", "quantity": 1, "amount": "20.00"}]}
    assert line(an_order, "lamp").cancelled == 1 and change.lines == [line(an_order, "lamp")]


def test_cancelling_more_than_remains_unshipped_is_refused_naming_the_line():
    an_order = order()
    shipped(an_order, [{"product_id": "lamp", "quantity": 1}])
    with pytest.raises(NotEnoughToCancel) as refused:
        an_order.cancel_items([{"product_id": "lamp", "quantity": 2}], "c-1", "", ADMIN, NOW)
    assert refused.value.errors == {"items": {"lamp": ["Asked 2; 1 unshipped."]}}


def test_cancelling_every_unit_of_an_unshipped_order_cancels_the_order():
    an_order = order()
    change = an_order.cancel_items(an_order.everything_left(), "c-1", "", "user-7", NOW)
    assert events(change) == [(ORDER_CANCELLED, 3, S.CANCELLED)]  # products and payments take it whole
    assert line(an_order, "lamp").cancelled == 2 and line(an_order, "mug").cancelled == 1


def test_cancelling_the_last_unshipped_units_ships_the_order():
    an_order = order()
    shipped(an_order, [{"product_id": "lamp", "quantity": 2}])
    change = an_order.cancel_items([{"product_id": "mug", "quantity": 1}], "c-1", "", ADMIN, NOW)
    assert events(change) == [(ORDER_ITEMS_CANCELLED, 4, S.SHIPPED), (ORDER_SHIPPED, 5, S.SHIPPED)]
    assert moves(change) == [(S.PARTIALLY_SHIPPED, S.SHIPPED)]


def test_cancelling_the_last_units_when_every_parcel_arrived_delivers_the_order():
    an_order = order()
    first, _ = shipped(an_order, [{"product_id": "lamp", "quantity": 2}])
    an_order.deliver(first, ADMIN, NOW)
    change = an_order.cancel_items([{"product_id": "mug", "quantity": 1}], "c-1", "", ADMIN, NOW)
    assert [e[0] for e in events(change)] == [ORDER_ITEMS_CANCELLED, ORDER_SHIPPED, ORDER_DELIVERED]
    assert moves(change) == [(S.PARTIALLY_SHIPPED, S.SHIPPED), (S.SHIPPED, S.DELIVERED)]


def test_items_of_an_order_pending_payment_are_not_cancelled_alone():
    with pytest.raises(IllegalMove, match="cancel the order instead"):
        order(S.PENDING_PAYMENT).cancel_items([{"product_id": "mug", "quantity": 1}], "c-1", "", "user-7", NOW)


# --- returns -------------------------------------------------------------------------------------


def delivered_order() -> Order:
    an_order = order()
    shipment, _ = shipped(an_order, an_order.everything_left())
    an_order.deliver(shipment, ADMIN, NOW)
    return an_order


def test_a_return_of_delivered_units_is_requested_within_the_window():
    an_order = delivered_order()
    ret, change = an_order.request_return([{"product_id": "lamp", "quantity": 1, "reason": "damaged"}], "r-1",
                                          "broken", "user-7", NOW + WINDOW, WINDOW)
    assert ret.status == ReturnStatus.REQUESTED and [item.quantity for item in ret.items] == [1]
    assert events(change) == [(RETURN_REQUESTED, 7, S.DELIVERED)] and moves(change) == [(S.DELIVERED, S.DELIVERED)]
    assert change.records[0].fields == {"return_id": "r-1",
                                        "items": [{"product_id": "lamp", "quantity": 1, "reason": "damaged"}],
                                        "created_at": (NOW + WINDOW).isoformat()}
    assert ret.created_at == NOW + WINDOW  # the row and the event hold the same time


def test_a_return_past_the_window_is_refused_naming_the_line():
    with pytest.raises(ReturnNotAllowed) as refused:
        delivered_order().request_return([{"product_id": "lamp", "quantity": 1, "reason": "other"}], "r-1", "",
                                         "user-7", NOW + WINDOW + timedelta(seconds=1), WINDOW)
    assert refused.value.errors == {"items": {"lamp": ["Delivered more than 30 days ago."]}}


def test_a_return_beyond_what_was_delivered_and_not_already_asked_back_is_refused():
    an_order = delivered_order()
    an_order.request_return([{"product_id": "lamp", "quantity": 1, "reason": "other"}], "r-1", "", "u", NOW, WINDOW)
    with pytest.raises(ReturnNotAllowed) as refused:
        an_order.request_return([{"product_id": "lamp", "quantity": 2, "reason": "other"}], "r-2", "", "u", NOW,
                                WINDOW)
    assert refused.value.errors == {"items": {"lamp": ["Asked 2; 1 delivered and not already returned."]}}


def test_undelivered_units_are_not_returned():
    an_order = order()
    shipped(an_order, [{"product_id": "lamp", "quantity": 2}])
    with pytest.raises(ReturnNotAllowed):
        an_order.request_return([{"product_id": "lamp", "quantity": 1, "reason": "other"}], "r-1", "", "u", NOW,
                                WINDOW)


def test_an_approved_return_is_received_and_refunds_the_units_that_arrived():
    an_order = delivered_order()
    ret, _ = an_order.request_return([{"product_id": "lamp", "quantity": 2, "reason": "damaged"},
                                      {"product_id": "mug", "quantity": 1, "reason": "other"}], "r-1", "", "u", NOW,
                                     WINDOW)
    assert events(an_order.record_return(ret.approve(), ADMIN, NOW)) == [(RETURN_APPROVED, 8, S.DELIVERED)]
    change = an_order.record_return(ret.receive([{"product_id": "lamp", "quantity": 1, "restock": True}]), ADMIN, NOW)
    assert ret.status == ReturnStatus.RECEIVED and ret.refund_amount == Decimal("20.00")
    assert events(change) == [(RETURN_RECEIVED, 9, S.DELIVERED)]
    assert change.records[0].fields == {"return_id": "r-1", "refund_amount": "20.00",
                                        "items": [{"product_id": "lamp", "quantity": 1, "restock": True,
                                                   "amount": "20.00"}]}
    assert [(item.received_quantity, item.restock) for item in ret.items] == [(1, True), (0, False)]
    assert line(an_order, "lamp").returned == 1 and change.lines == [line(an_order, "lamp")]


def test_receiving_more_than_was_asked_back_is_refused():
    an_order = delivered_order()
    ret, _ = an_order.request_return([{"product_id": "lamp", "quantity": 1, "reason": "other"}], "r-1", "", "u",
                                     NOW, WINDOW)
    ret.approve()
    with pytest.raises(ReturnNotAllowed):
        ret.receive([{"product_id": "lamp", "quantity": 2, "restock": True}])


def test_a_return_moves_only_as_its_table_says():
    an_order = delivered_order()
    ret, _ = an_order.request_return([{"product_id": "lamp", "quantity": 1, "reason": "other"}], "r-1", "", "u",
                                     NOW, WINDOW)
    with pytest.raises(IllegalMove):
        ret.receive([{"product_id": "lamp", "quantity": 1, "restock": True}])  # not approved yet
    step = ret.reject("")
    assert (step.event_type, step.fields["reason"]) == (RETURN_REJECTED, "rejected")
    with pytest.raises(IllegalMove):
        ret.approve()


def test_delivering_everything_delivers_every_parcel_on_its_way():
    an_order = order()
    first, _ = shipped(an_order, [{"product_id": "lamp", "quantity": 2}])
    second, _ = shipped(an_order, [{"product_id": "mug", "quantity": 1}], "ship-2")
    change = an_order.deliver_everything([first, second], ADMIN, NOW)
    assert [e[0] for e in events(change)] == [SHIPMENT_DELIVERED, SHIPMENT_DELIVERED, ORDER_DELIVERED]
    assert moves(change) == [(S.SHIPPED, S.SHIPPED), (S.SHIPPED, S.DELIVERED)]


def test_an_order_shipped_before_shipments_existed_is_delivered_whole_and_may_then_be_returned():
    an_order = order(S.SHIPPED)
    for each in an_order.lines:  # as migration 0004 leaves it
        each.shipped = each.quantity
    change = an_order.deliver_everything([], ADMIN, NOW)
    assert events(change) == [(ORDER_DELIVERED, 3, S.DELIVERED)]
    assert [(each.delivered, each.last_delivered_at) for each in change.lines] == [(2, NOW), (1, NOW)]
    an_order.request_return([{"product_id": "lamp", "quantity": 2, "reason": "other"}], "r-1", "", "u", NOW, WINDOW)


@pytest.mark.parametrize("status", [S.CONFIRMED, S.PARTIALLY_SHIPPED, S.DELIVERED])
def test_delivering_everything_with_nothing_on_its_way_is_refused(status):
    with pytest.raises(IllegalMove):
        order(status).deliver_everything([], ADMIN, NOW)
