"""An order view as order_queries answers it (queries.to_wire on a view row) is the GraphQL
`Order` the schema answers: after-sale parcels, returns, line quantities and the ledger."""

from datetime import UTC, datetime
from decimal import Decimal

from gateway.graphql.schema import Order
from order_queries.after_sale import SNAPSHOT
from order_queries.models import OrderView
from order_queries.queries import to_wire

LINE = {"product_id": "p-1", "sku": "SKU-1", "name": "Widget", "quantity": 3, "unit_price": "10.00",
        "line_total": "30.00"}
PARCEL = {**LINE, "quantity": 2, "line_total": "20.00"}


def view(**after_sale) -> OrderView:
    return OrderView(
        generation=1, order_id="o-1", user_id="u-1", status="partially_shipped", total=Decimal("30.00"),
        currency="EUR", shipping_address=None, lines=[LINE], history={}, sequence=5,
        created_at=datetime(2026, 12, 1, tzinfo=UTC), updated_at=None, payment_id="pay-1",
        payment_status="partially_refunded", payment_amount=Decimal("30.00"), payment_currency="EUR",
        payment_authorized=Decimal("30.00"), payment_captured=Decimal("20.00"), payment_refunded=Decimal("10.00"),
        payment_voided=Decimal("0.00"),
        payment_operations={"authorize:o-1": {"type": "authorize", "amount": "30.00", "status": "succeeded",
                                              "reference": "o-1", "failure_reason": None,
                                              "at": "2026-12-01T10:00:00+00:00"},
                            "refund:r-1": {"type": "refund", "amount": "10.00", "status": "succeeded",
                                           "reference": "r-1", "failure_reason": None,
                                           "at": "2026-12-04T10:00:00+00:00"}},
        **after_sale,
    )


def test_a_delivered_parcel_and_a_received_return_show_on_the_order_and_its_lines():
    shipments = {"s-1": {"id": "s-1", "items": [PARCEL], "amount": "20.00", "carrier": "DHL",
                         "tracking_number": "T-1", "status": "shipped", "shipped_at": "2026-12-02T10:00:00+00:00",
                         "delivered_at": "2026-12-03T10:00:00+00:00"}}
    returns = {"r-1": {"id": "r-1", "status": "received", "sequence": 5, "created_at": "2026-12-04T09:00:00+00:00",
                       "refund_amount": "10.00", "items": [{"product_id": "p-1", "quantity": 1, "reason": "damaged"}],
                       "received": {"p-1": {"quantity": 1, "restock": True}}}}
    order = Order.from_wire(to_wire(view(shipments=shipments, returns=returns, cancellations={}), None, None))

    assert order.status.value == "partially_shipped"
    [parcel] = order.shipments
    assert (parcel.status.value, parcel.carrier, parcel.tracking_number, parcel.amount) == (
        "delivered", "DHL", "T-1", "20.00")
    [ret] = order.returns
    assert (ret.status.value, ret.refund_amount, ret.items[0].received_quantity, ret.items[0].restock) == (
        "received", "10.00", 1, True)
    [line] = order.items
    assert (line.shipped_quantity, line.delivered_quantity, line.returned_quantity, line.cancelled_quantity) == (
        2, 2, 1, 0)
    payment = order.payment
    assert (payment.authorized, payment.captured, payment.refunded, payment.voided) == (
        "30.00", "20.00", "10.00", "0.00")
    assert [(op.type.value, op.reference) for op in payment.operations] == [("authorize", "o-1"), ("refund", "r-1")]


def test_a_cancellation_counts_on_top_of_a_snapshot_only_when_newer():
    cancellations = {SNAPSHOT: {"sequence": 4, "items": {"p-1": 1}},
                     "c-old": {"sequence": 3, "items": {"p-1": 1}},  # already in the snapshot
                     "c-new": {"sequence": 5, "items": {"p-1": 1}}}
    order = Order.from_wire(to_wire(view(shipments={}, returns={}, cancellations=cancellations), None, None))
    assert order.items[0].cancelled_quantity == 2
