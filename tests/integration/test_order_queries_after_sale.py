"""The order view's after-sale life on the real broker and database: shipments, returns, cancelled
units and the payment ledger, whatever order their events arrive in and however often, and a
rebuild's snapshot merged with them."""

import uuid

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from contracts.events import (
    ORDER_ITEMS_CANCELLED,
    PAYMENT_CAPTURED,
    PAYMENT_REFUNDED,
    RETURN_APPROVED,
    RETURN_RECEIVED,
    RETURN_REQUESTED,
    SHIPMENT_CREATED,
    SHIPMENT_DELIVERED,
)
from order_queries import projection
from order_queries.service import OrderQueriesService
from plumbing.migrations import database_urls
from tests.integration.eventing import deliver, purge_events
from tests.integration.test_order_queries_service import created, moved, paid, view

SHIPPED_LINE = {"product_id": "p-1", "sku": "SKU-1", "name": "Widget", "quantity": 1, "unit_price": "10.00",
                "line_total": "10.00"}


@pytest.fixture
def queries_container(start_container, config):
    purge_events(config, [OrderQueriesService])
    return start_container(OrderQueriesService)


def shipment(event_type, order_id, sequence, shipment_id, from_status, to_status):
    if event_type == SHIPMENT_DELIVERED:
        return moved(event_type, order_id, sequence, from_status, to_status, shipment_id=shipment_id,
                     delivered_at="2026-12-03T09:00:00+00:00")
    return moved(event_type, order_id, sequence, from_status, to_status, shipment_id=shipment_id,
                 items=[SHIPPED_LINE], amount="10.00", carrier="DHL", tracking_number=f"T-{shipment_id}",
                 shipped_at=f"2026-12-02T0{sequence}:00:00+00:00")


def test_shipments_delivered_before_created_and_repeated_show_the_parcels_and_the_lines(config, queries_container):
    order_id = str(uuid.uuid4())
    deliver(config, queries_container, "handle_order_created", created(order_id))
    first, second = "s-1-" + order_id[:8], "s-2-" + order_id[:8]
    # The first parcel's delivery before the parcel itself; the second parcel twice.
    deliver(config, queries_container, "handle_shipment_delivered",
            shipment(SHIPMENT_DELIVERED, order_id, 4, first, "shipped", "shipped"))
    deliver(config, queries_container, "handle_shipment_created",
            shipment(SHIPMENT_CREATED, order_id, 3, second, "partially_shipped", "shipped"))
    deliver(config, queries_container, "handle_shipment_created",
            shipment(SHIPMENT_CREATED, order_id, 2, first, "confirmed", "partially_shipped"))
    deliver(config, queries_container, "handle_shipment_created",
            shipment(SHIPMENT_CREATED, order_id, 3, second, "partially_shipped", "shipped"))

    shown = view(queries_container, order_id)
    assert shown["status"] == "shipped" and shown["sequence"] == 4
    assert [(s["id"], s["status"], s["carrier"], s["tracking_number"], s["amount"]) for s in shown["shipments"]] == [
        (first, "delivered", "DHL", f"T-{first}", "10.00"), (second, "shipped", "DHL", f"T-{second}", "10.00")]
    assert shown["shipments"][0]["delivered_at"].startswith("2026-12-03T09:00")
    assert shown["shipments"][0]["items"] == [SHIPPED_LINE]
    [line] = shown["items"]
    assert (line["shipped_quantity"], line["delivered_quantity"], line["cancelled_quantity"]) == (2, 1, 0)


def test_a_partially_shipped_order_shows_its_status_and_cancelled_units(config, queries_container):
    order_id = str(uuid.uuid4())
    deliver(config, queries_container, "handle_order_created", created(order_id))
    cancelled = moved(ORDER_ITEMS_CANCELLED, order_id, 3, "partially_shipped", "shipped",
                      cancellation_id=str(uuid.uuid4()), items=[{"product_id": "p-1", "quantity": 1,
                                                                   "amount": "10.00"}],
                      amount="10.00", reason="out of stock")
    deliver(config, queries_container, "handle_shipment_created",
            shipment(SHIPMENT_CREATED, order_id, 2, "s-" + order_id[:8], "confirmed", "partially_shipped"))
    assert view(queries_container, order_id)["status"] == "partially_shipped"
    deliver(config, queries_container, "handle_order_items_cancelled", cancelled)
    deliver(config, queries_container, "handle_order_items_cancelled", cancelled)  # redelivered: counted once

    shown = view(queries_container, order_id)
    [line] = shown["items"]
    assert shown["status"] == "shipped"
    assert (line["shipped_quantity"], line["cancelled_quantity"]) == (1, 1)


def test_a_return_keeps_its_newest_step_and_its_lines_whatever_order_they_come_in(config, queries_container):
    order_id, return_id = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(config, queries_container, "handle_order_created", created(order_id))
    requested = moved(RETURN_REQUESTED, order_id, 5, "delivered", "delivered", return_id=return_id,
                      items=[{"product_id": "p-1", "quantity": 2, "reason": "damaged"}])
    approved = moved(RETURN_APPROVED, order_id, 6, "delivered", "delivered", return_id=return_id, items=[])
    received = moved(RETURN_RECEIVED, order_id, 7, "delivered", "delivered", return_id=return_id,
                     items=[{"product_id": "p-1", "quantity": 1, "restock": True, "amount": "10.00"}],
                     refund_amount="10.00")
    deliver(config, queries_container, "handle_return_received", received)
    deliver(config, queries_container, "handle_return_approved", approved)  # older: the status stays received
    deliver(config, queries_container, "handle_return_requested", requested)

    [shown] = view(queries_container, order_id)["returns"]
    assert shown["id"] == return_id and shown["status"] == "received" and shown["refund_amount"] == "10.00"
    assert shown["items"] == [{"product_id": "p-1", "quantity": 2, "reason": "damaged", "received_quantity": 1,
                               "restock": True}]
    assert shown["created_at"] == requested["occurred_at"]
    assert view(queries_container, order_id)["items"][0]["returned_quantity"] == 1


def test_the_ledger_is_the_newest_versions_and_every_operation_is_listed(config, queries_container):
    order_id = str(uuid.uuid4())
    deliver(config, queries_container, "handle_order_created", created(order_id))
    captured = paid(order_id, PAYMENT_CAPTURED, version=2, status="captured", amount="20.00",
                    at="2026-12-02T10:00:00+00:00", captured="20.00", shipment_id="s-1")
    refunded = paid(order_id, PAYMENT_REFUNDED, version=3, status="partially_refunded", amount="5.00",
                    at="2026-12-05T10:00:00+00:00", captured="20.00", refunded="5.00", kind="goodwill",
                    reference="goodwill:k-1", reason="late")
    deliver(config, queries_container, "handle_payment_refunded", refunded)
    deliver(config, queries_container, "handle_payment_captured", captured)  # older: the ledger stays
    deliver(config, queries_container, "handle_payment_authorized", paid(order_id))

    payment = view(queries_container, order_id)["payment"]
    assert (payment["status"], payment["amount"], payment["authorized"], payment["captured"], payment["refunded"],
            payment["voided"]) == ("partially_refunded", "20.00", "20.00", "20.00", "5.00", "0.00")
    assert [(op["type"], op["reference"], op["amount"], op["status"]) for op in payment["operations"]] == [
        ("authorize", order_id, "20.00", "succeeded"), ("capture", "s-1", "20.00", "succeeded"),
        ("refund", "goodwill:k-1", "5.00", "succeeded")]


def snapshot(order_id: str, shipment_id: str) -> tuple[dict, dict]:
    """What orders.snapshot_orders and payments.get_payments answer for an order with one parcel
    delivered, a unit cancelled and one received return (sequence 6)."""
    order = {
        "id": order_id, "user_id": "user-ada", "status": "shipped", "total": "30.00", "currency": "EUR",
        "shipping_address": None, "created_at": "2026-12-01T10:00:00+00:00",
        "updated_at": "2026-12-04T10:00:00+00:00", "sequence": 6, "history": [],
        "items": [{**SHIPPED_LINE, "quantity": 3, "line_total": "30.00", "shipped_quantity": 2,
                   "cancelled_quantity": 1, "delivered_quantity": 2, "returned_quantity": 1}],
        "shipments": [{"id": shipment_id, "order_id": order_id, "items": [{**SHIPPED_LINE, "quantity": 2}],
                       "amount": "20.00", "carrier": "UPS", "tracking_number": "1Z", "status": "delivered",
                       "shipped_at": "2026-12-02T10:00:00+00:00", "delivered_at": "2026-12-03T10:00:00+00:00",
                       "invoice_number": "INV-1"}],
        "returns": [{"id": "r-1", "order_id": order_id, "status": "received", "note": None, "refund_amount": "10.00",
                     "created_at": "2026-12-04T09:00:00+00:00", "updated_at": "2026-12-04T10:00:00+00:00",
                     "items": [{"product_id": "p-1", "sku": "SKU-1", "name": "Widget", "quantity": 1,
                                "reason": "damaged", "received_quantity": 1, "restock": True,
                                "unit_price": "10.00"}]}],
    }
    operation = {"type": "authorize", "amount": "30.00", "status": "succeeded", "reference": order_id,
                 "failure_reason": None, "at": "2026-12-01T10:00:01+00:00"}
    payment = {"id": "pay-1", "order_id": order_id, "status": "partially_refunded", "amount": "30.00",
               "currency": "EUR", "authorized": "30.00", "captured": "20.00", "refunded": "10.00", "voided": "10.00",
               "operations": [operation], "created_at": "2026-12-01T10:00:01+00:00"}
    return order, payment


def test_a_rebuilds_snapshot_merges_with_the_events_already_applied(config, queries_container):
    order_id = str(uuid.uuid4())
    shipment_id = "s-" + order_id[:8]
    order, payment = snapshot(order_id, shipment_id)
    # An event newer than the snapshot (a goodwill refund) applied before it.
    newer = paid(order_id, PAYMENT_REFUNDED, version=9, status="refunded", amount="10.00",
                 at="2026-12-05T10:00:00+00:00", authorized="30.00", captured="20.00", refunded="20.00",
                 voided="10.00", kind="goodwill", reference="goodwill:k-2")
    deliver(config, queries_container, "handle_payment_refunded", newer)
    engine = create_engine(database_urls(config)["order_queries"])
    try:
        with Session(engine) as session:
            [generation] = projection.generations(session)
            projection.apply_snapshot(session, generation, order, payment, "2026-12-04T10:00:00+00:00")
            session.commit()
    finally:
        engine.dispose()

    shown = view(queries_container, order_id)
    [line] = shown["items"]
    assert {key: line[key] for key in line if key.endswith("_quantity")} == {
        "shipped_quantity": 2, "cancelled_quantity": 1, "delivered_quantity": 2, "returned_quantity": 1}
    [parcel] = shown["shipments"]
    assert (parcel["id"], parcel["status"], parcel["carrier"], parcel["amount"]) == (shipment_id, "delivered", "UPS",
                                                                                      "20.00")
    [ret] = shown["returns"]
    assert (ret["status"], ret["refund_amount"], ret["items"][0]["received_quantity"]) == ("received", "10.00", 1)
    # The ledger is the newer event's; the operations are the snapshot's and the event's.
    ledger = shown["payment"]
    assert (ledger["status"], ledger["refunded"], ledger["amount"]) == ("refunded", "20.00", "30.00")
    assert [op["reference"] for op in ledger["operations"]] == [order_id, "goodwill:k-2"]
