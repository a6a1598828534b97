"""The orders service after the sale (issue 24), with a real products service, on the real broker
and databases: line cancellation, returns, the end of a cancellation, and a shipment whose
capture can't be asked. Payments' events are delivered as payments would publish them; its
capture_payment is exercised end to end (tests/e2e)."""

import uuid

import pytest
from sqlalchemy import create_engine, text

from contracts.events import (
    ORDER_CANCELLED,
    ORDER_ITEMS_CANCELLED,
    ORDER_REFUND_RECORDED,
    ORDER_REFUNDED,
    ORDERS,
    PAYMENT_REFUNDED,
    PAYMENT_VOIDED,
    RETURN_RECEIVED,
)
from contracts.orders import IllegalMove, NotEnoughToCancel, NotEnoughToShip, ReturnNotAllowed
from notifications.service import NotificationsService
from payments.service import PaymentsService
from plumbing.migrations import database_urls
from products.service import ProductsService
from tests.integration.conftest import spawn_call
from tests.integration.eventing import EventTap, call, deliver, event, purge_events, wait_until
from tests.integration.test_orders_service import CUSTOMER, paid, place, update_order
from tests.tokens import ADMIN
from wire.errors import Invalid, Unavailable


@pytest.fixture(autouse=True)
def leave_no_events_behind(config):
    """The events orders publishes here wait in the other services' handler queues: purged."""
    yield
    purge_events(config, (PaymentsService, NotificationsService, ProductsService), ORDERS)


@pytest.fixture
def confirmed(config, orders_container, products_container):
    """(product, order): two lamps at 20.00, their payment authorized."""
    product, order = place(orders_container, products_container)
    deliver(config, orders_container, "handle_payment_authorized", paid(order))
    return product, order


@pytest.fixture
def orders_tap(config):
    tap = EventTap(config, "orders")
    yield tap
    tap.close()


def key() -> str:
    return uuid.uuid4().hex


def lamps(product: dict, quantity: int) -> list[dict]:
    return [{"product_id": product["id"], "quantity": quantity}]


def payment_event(event_type: str, order: dict, **fields) -> dict:
    return event(event_type, order_id=order["id"], user_id=CUSTOMER.id, payment_id="pay-1",
                 currency=order["currency"], ledger_version=2, **fields)


def history(orders_container, order: dict) -> list[tuple]:
    entries = call(orders_container, "get_order_history", order["id"], as_=ADMIN)["items"]
    return [(h["from_status"], h["to_status"], h["reason"]) for h in entries]


def test_cancelling_some_units_announces_their_amount_and_a_replay_changes_nothing(
    orders_container, confirmed, orders_tap
):
    product, order = confirmed
    body = {"items": lamps(product, 1), "reason": "one is enough"}
    request_key = key()

    answer = call(orders_container, "cancel_items", order["id"], body, request_key, as_=CUSTOMER)
    assert answer["status"] == "confirmed"
    assert [(i["quantity"], i["cancelled_quantity"], i["shipped_quantity"]) for i in answer["items"]] == [(2, 1, 0)]
    [cancelled] = orders_tap.wait_for(1, ORDER_ITEMS_CANCELLED, order_id=order["id"])
    assert cancelled["items"] == [{"product_id": product["id"], "quantity": 1, "amount": "20.00"}]
    assert (cancelled["amount"], cancelled["reason"], cancelled["sequence"]) == ("20.00", "one is enough", 3)
    assert cancelled["history_entry"]["from_status"] == cancelled["history_entry"]["to_status"] == "confirmed"

    # The same key answers the same, and cancels nothing more; with another body, 422.
    assert call(orders_container, "cancel_items", order["id"], body, request_key, as_=CUSTOMER) == answer
    assert call(orders_container, "get_order", order["id"], as_=CUSTOMER)["items"][0]["cancelled_quantity"] == 1
    with pytest.raises(Invalid):
        call(orders_container, "cancel_items", order["id"], {"items": lamps(product, 1)}, request_key, as_=CUSTOMER)
    with pytest.raises(NotEnoughToCancel) as refused:
        call(orders_container, "cancel_items", order["id"], {"items": lamps(product, 2)}, key(), as_=CUSTOMER)
    assert refused.value.errors == {"items": {product["id"]: ["Asked 2; 1 unshipped."]}}


def test_cancelling_the_last_units_cancels_the_order_and_gives_its_stock_back(
    orders_container, products_container, confirmed, orders_tap
):
    product, order = confirmed
    call(orders_container, "cancel_items", order["id"], {"items": lamps(product, 1)}, key(), as_=ADMIN)
    answer = call(orders_container, "cancel_items", order["id"], {"items": lamps(product, 1)}, key(), as_=ADMIN)

    assert answer["status"] == "cancelled" and answer["items"][0]["cancelled_quantity"] == 2
    [cancelled] = orders_tap.wait_for(1, ORDER_CANCELLED, order_id=order["id"])  # payments voids the rest
    assert cancelled["sequence"] == 4
    wait_until(lambda: call(products_container, "get_product", product["id"])["stock"] == 5)


def test_items_of_an_order_pending_payment_are_not_cancelled_alone(orders_container, products_container):
    product, order = place(orders_container, products_container)
    with pytest.raises(IllegalMove):
        call(orders_container, "cancel_items", order["id"], {"items": lamps(product, 1)}, key(), as_=CUSTOMER)


def test_a_cancelled_order_is_refunded_once_its_whole_authorization_is_voided(
    config, orders_container, products_container, confirmed, orders_tap
):
    _, order = confirmed
    _, other = place(orders_container, products_container)
    deliver(config, orders_container, "handle_payment_authorized", paid(other))
    for each in (order, other):
        call(orders_container, "cancel_order", each["id"], as_=CUSTOMER)

    # A void that leaves money authorized (the ledger says so) doesn't end the cancellation.
    deliver(config, orders_container, "handle_payment_voided",
            payment_event(PAYMENT_VOIDED, other, amount="20.00", reference="cancellation-1", status="authorized",
                          authorized="40.00", captured="0.00", refunded="0.00", voided="20.00"))
    deliver(config, orders_container, "handle_payment_voided",
            payment_event(PAYMENT_VOIDED, order, amount="40.00", reference="order", status="voided",
                          authorized="40.00", captured="0.00", refunded="0.00", voided="40.00"))

    assert call(orders_container, "get_order", order["id"], as_=CUSTOMER)["status"] == "refunded"
    assert call(orders_container, "get_order", other["id"], as_=CUSTOMER)["status"] == "cancelled"
    [refunded] = orders_tap.wait_for(1, ORDER_REFUNDED, order_id=order["id"])
    assert refunded["history_entry"]["reason"] == "authorization voided"


def test_a_shipment_whose_capture_cant_be_asked_is_a_503_and_keeps_its_units_taken(orders_container, confirmed):
    """Payments isn't running: step 2 of the shipment can't happen. The shipment stays capturing,
    its units taken (another shipment can't have them), and a replay of its key asks again."""
    product, order = confirmed
    body = {"items": lamps(product, 2), "carrier": "DHL", "tracking_number": "JD0001"}
    request_key = key()

    with pytest.raises(Unavailable):
        call(orders_container, "create_shipment", order["id"], body, request_key, as_=ADMIN)
    [shipment] = call(orders_container, "list_shipments", order["id"], as_=CUSTOMER)
    assert {k: shipment[k] for k in ("status", "amount", "carrier", "tracking_number", "shipped_at")} == {
        "status": "capturing", "amount": "40.00", "carrier": "DHL", "tracking_number": "JD0001", "shipped_at": None}
    assert [(i["sku"], i["quantity"], i["line_total"]) for i in shipment["items"]] == [
        (order["items"][0]["sku"], 2, "40.00")]
    current = call(orders_container, "get_order", order["id"], as_=CUSTOMER)
    assert current["status"] == "confirmed" and current["items"][0]["shipped_quantity"] == 2

    with pytest.raises(NotEnoughToShip) as refused:
        call(orders_container, "create_shipment", order["id"], {**body, "items": lamps(product, 1)}, key(), as_=ADMIN)
    assert refused.value.errors == {"items": {product["id"]: ["Asked 1; 0 to ship."]}}
    with pytest.raises(IllegalMove):  # a parcel is on its way to being captured
        call(orders_container, "cancel_order", order["id"], as_=CUSTOMER)
    with pytest.raises(Unavailable):  # the replay resumes it: still no payments
        call(orders_container, "create_shipment", order["id"], body, request_key, as_=ADMIN)
    with pytest.raises(Invalid):
        call(orders_container, "create_shipment", order["id"], {**body, "carrier": "UPS"}, request_key, as_=ADMIN)
    assert len(call(orders_container, "list_shipments", order["id"], as_=ADMIN)) == 1


def test_concurrent_shipments_for_the_last_units_take_them_once(orders_container, confirmed):
    """Both ask for the two lamps at once: the order's lock lets one take them (its capture then
    can't be asked here: 503), and the other finds nothing left."""
    product, order = confirmed
    body = {"items": lamps(product, 2), "carrier": "DHL", "tracking_number": None}
    calls = [spawn_call(orders_container, "create_shipment", order["id"], body, key(), as_=ADMIN) for _ in range(2)]
    outcomes = []
    for each in calls:
        try:
            each.wait()
        except (Unavailable, NotEnoughToShip) as refused:
            outcomes.append(type(refused))
    assert sorted(outcome.__name__ for outcome in outcomes) == ["NotEnoughToShip", "Unavailable"]
    assert len(call(orders_container, "list_shipments", order["id"], as_=ADMIN)) == 1
    assert call(orders_container, "get_order", order["id"], as_=ADMIN)["items"][0]["shipped_quantity"] == 2


def shipped_before_shipments(orders_container, order: dict) -> None:
    """The order as migration 0004 leaves one shipped before shipments existed."""
    update_order(orders_container, order, "status = 'shipped'")
    set_lines(orders_container, order, "shipped_quantity = quantity")


def run_sql(orders_container, statement: str, **parameters) -> None:
    """Write orders' tables directly: a state the test can't reach through the API."""
    engine = create_engine(database_urls(orders_container.config)["orders"])
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), parameters)
    finally:
        engine.dispose()


def set_lines(orders_container, order: dict, assignments: str) -> None:
    run_sql(orders_container, f"UPDATE order_items SET {assignments} WHERE order_id = :id", id=order["id"])


def test_a_return_is_requested_approved_received_and_its_refund_recorded(
    config, orders_container, confirmed, orders_tap
):
    product, order = confirmed
    shipped_before_shipments(orders_container, order)
    assert call(orders_container, "deliver_order", order["id"], as_=ADMIN)["status"] == "delivered"

    with pytest.raises(ReturnNotAllowed) as refused:
        call(orders_container, "request_return", order["id"],
             {"items": [{"product_id": product["id"], "quantity": 3, "reason": "damaged"}]}, key(), as_=CUSTOMER)
    assert refused.value.errors == {"items": {product["id"]: ["Asked 3; 2 delivered and not already returned."]}}
    ret = call(orders_container, "request_return", order["id"],
               {"items": [{"product_id": product["id"], "quantity": 2, "reason": "damaged"}], "note": "cracked"},
               key(), as_=CUSTOMER)
    assert (ret["status"], ret["note"], ret["refund_amount"]) == ("requested", "cracked", None)
    assert [(i["quantity"], i["reason"], i["received_quantity"]) for i in ret["items"]] == [(2, "damaged", None)]
    with pytest.raises(ReturnNotAllowed):  # both are already asked back
        call(orders_container, "request_return", order["id"],
             {"items": [{"product_id": product["id"], "quantity": 1, "reason": "other"}]}, key(), as_=CUSTOMER)

    approve_key = key()
    approved = call(orders_container, "approve_return", ret["id"], approve_key, as_=ADMIN)
    assert approved["status"] == "approved"
    assert call(orders_container, "approve_return", ret["id"], approve_key, as_=ADMIN) == approved
    with pytest.raises(IllegalMove):
        call(orders_container, "approve_return", ret["id"], key(), as_=ADMIN)
    received = call(orders_container, "receive_return", ret["id"],
                    {"items": [{"product_id": product["id"], "quantity": 1, "restock": True}]}, key(), as_=ADMIN)
    assert (received["status"], received["refund_amount"]) == ("received", "20.00")
    assert [(i["received_quantity"], i["restock"]) for i in received["items"]] == [(1, True)]
    [announced] = orders_tap.wait_for(1, RETURN_RECEIVED, order_id=order["id"])  # payments refunds on it
    assert announced["items"] == [{"product_id": product["id"], "quantity": 1, "restock": True, "amount": "20.00",
                                   "reason": None}]
    assert announced["refund_amount"] == "20.00" and announced["return_id"] == ret["id"]

    deliver(config, orders_container, "handle_payment_refunded",
            payment_event(PAYMENT_REFUNDED, order, amount="20.00", kind="return", reference=ret["id"],
                          status="partially_refunded", authorized="40.00", captured="40.00", refunded="20.00",
                          voided="0.00"))
    current = call(orders_container, "get_order", order["id"], as_=CUSTOMER)
    assert current["status"] == "delivered" and current["items"][0]["returned_quantity"] == 1
    assert history(orders_container, order)[-4:] == [
        ("delivered", "delivered", f"return {ret['id']} requested"),
        ("delivered", "delivered", f"return {ret['id']} approved"),
        ("delivered", "delivered", f"return {ret['id']} received: 20.00 to refund"),
        ("delivered", "delivered", f"refunded 20.00 (return {ret['id']})"),
    ]
    # Its sequence is announced too: the read side's history has every entry orders has.
    [noted] = orders_tap.wait_for(1, ORDER_REFUND_RECORDED, order_id=order["id"])
    assert (noted["amount"], noted["kind"], noted["reference"]) == ("20.00", "return", ret["id"])
    assert noted["status"] == "delivered"
    assert noted["history_entry"]["reason"] == f"refunded 20.00 (return {ret['id']})"
    assert call(orders_container, "list_returns", order["id"], as_=CUSTOMER) == [received]
    [snapshot] = [o for o in call(orders_container, "snapshot_orders", as_=ADMIN) if o["id"] == order["id"]]
    assert snapshot["returns"] == [received] and snapshot["shipments"] == []
    assert snapshot["sequence"] == noted["sequence"]  # the newest sequence, announced
    assert {k: snapshot["items"][0][k] for k in ("shipped_quantity", "delivered_quantity", "returned_quantity")} == {
        "shipped_quantity": 2, "delivered_quantity": 2, "returned_quantity": 1}


def test_a_return_past_the_window_is_refused(orders_container, confirmed):
    product, order = confirmed
    shipped_before_shipments(orders_container, order)
    call(orders_container, "deliver_order", order["id"], as_=ADMIN)
    set_lines(orders_container, order, "last_delivered_at = now() - interval '31 days'")

    with pytest.raises(ReturnNotAllowed) as refused:
        call(orders_container, "request_return", order["id"],
             {"items": [{"product_id": product["id"], "quantity": 1, "reason": "no_longer_needed"}]}, key(),
             as_=CUSTOMER)
    assert refused.value.errors == {"items": {product["id"]: ["Delivered more than 30 days ago."]}}


def shipment_row(orders_container, shipment_id: str) -> dict:
    engine = create_engine(database_urls(orders_container.config)["orders"])
    try:
        with engine.connect() as conn:
            return dict(conn.execute(
                text("SELECT status, attempted_at < now() - interval '30 seconds' AS stale FROM shipments"
                     " WHERE id = :id"), {"id": shipment_id}).mappings().one())
    finally:
        engine.dispose()


def test_the_timer_asks_again_for_a_capture_left_unanswered(orders_container, confirmed):
    """finish_pending_shipments claims a shipment capturing for more than 30 s and asks payments
    again; payments still isn't running here, so it stays capturing, claimed anew."""
    product, order = confirmed
    with pytest.raises(Unavailable):
        call(orders_container, "create_shipment", order["id"],
             {"items": lamps(product, 1), "carrier": "DHL", "tracking_number": None}, key(), as_=ADMIN)
    [shipment] = call(orders_container, "list_shipments", order["id"], as_=ADMIN)
    run_sql(orders_container, "UPDATE shipments SET attempted_at = now() - interval '1 minute' WHERE id = :id",
            id=shipment["id"])
    assert shipment_row(orders_container, shipment["id"]) == {"status": "capturing", "stale": True}

    wait_until(lambda: shipment_row(orders_container, shipment["id"]) == {"status": "capturing", "stale": False},
               timeout=20)
