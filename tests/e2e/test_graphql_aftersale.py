"""GraphQL and the export show an order's after-sale life end to end (issue 24): its parcels, the
units shipped, cancelled, delivered and returned per line, its returns, and the payment's ledger
with every operation, once the read side has the events of orders and payments."""

import csv
import io

from tests.e2e.test_after_sale import confirmed_order, delivered_order, key, request_return, shipped
from tests.e2e.test_graphql import graphql
from tests.polling import wait_until

ORDER_QUERY = """
query One($id: ID!) {
  order(id: $id) {
    id status
    items { productId quantity shippedQuantity cancelledQuantity deliveredQuantity returnedQuantity }
    shipments { id amount carrier trackingNumber status shippedAt deliveredAt items { productId quantity } }
    returns { id status refundAmount createdAt items { productId quantity reason receivedQuantity restock } }
    payment { status amount authorized captured refunded voided operations { type amount status reference at } }
  }
}"""


def order_in_read_side(system, token: str, order_id: str, ready) -> dict:
    """The order as GraphQL answers it, once `ready(order)` holds."""
    def answered():
        body = graphql(system, ORDER_QUERY, {"id": order_id}, token).json()
        order = (body.get("data") or {}).get("order")
        return order if order and ready(order) else None

    return wait_until(answered, what=f"order {order_id} in the read side as expected")


def line(order: dict, product: dict) -> dict:
    [found] = [item for item in order["items"] if item["productId"] == product["id"]]
    return found


def test_parcels_a_cancelled_unit_and_the_captures_show_on_the_order(system, customer, admin, product, gadget):
    order = confirmed_order(customer, (product, 2), (gadget, 2))
    first = shipped(admin, order["id"], (product, 1), tracking="GQL-1")
    partial = order_in_read_side(
        system, customer.token, order["id"],
        lambda o: o["status"] == "PARTIALLY_SHIPPED" and o["payment"]["captured"] == "19.99")
    [parcel] = partial["shipments"]
    assert (parcel["id"], parcel["status"], parcel["carrier"], parcel["trackingNumber"], parcel["amount"]) == (
        first["id"], "SHIPPED", "DHL", "GQL-1", "19.99")
    assert parcel["items"] == [{"productId": product["id"], "quantity": 1}] and parcel["deliveredAt"] is None
    assert line(partial, product)["shippedQuantity"] == 1 and line(partial, gadget)["shippedQuantity"] == 0

    cancelled = admin.post(f"/orders/{order['id']}/cancel-items", headers=key(),
                           json={"items": [{"product_id": gadget["id"], "quantity": 1}], "reason": "out of stock"})
    assert cancelled.status_code == 200, cancelled.text
    second = shipped(admin, order["id"], (product, 1), (gadget, 1), tracking="GQL-2")
    assert admin.post(f"/orders/{order['id']}/shipments/{first['id']}/deliver", headers=key()).status_code == 200

    after = order_in_read_side(
        system, customer.token, order["id"],
        lambda o: o["status"] == "SHIPPED" and o["payment"]["voided"] == "5.00"
        and [s["status"] for s in o["shipments"]] == ["DELIVERED", "SHIPPED"])
    assert [s["id"] for s in after["shipments"]] == [first["id"], second["id"]]
    assert after["shipments"][0]["deliveredAt"] is not None
    assert [(item["shippedQuantity"], item["cancelledQuantity"], item["deliveredQuantity"])
            for item in (line(after, product), line(after, gadget))] == [(2, 0, 1), (1, 1, 0)]
    payment = after["payment"]
    assert (payment["authorized"], payment["captured"], payment["refunded"], payment["voided"]) == (
        "49.98", "44.98", "0.00", "5.00")
    operations = [(op["type"], op["reference"], op["amount"]) for op in payment["operations"]
                  if op["status"] == "SUCCEEDED"]
    assert ("AUTHORIZE", order["id"], "49.98") in operations
    assert {("CAPTURE", first["id"], "19.99"), ("CAPTURE", second["id"], "24.99")} <= set(operations)
    assert any(kind == "VOID" and amount == "5.00" for kind, _, amount in operations)


def test_a_received_return_shows_on_the_order_and_in_the_export(system, customer, admin, product):
    order = delivered_order(customer, admin, (product, 2))
    rma = request_return(customer, order["id"], (product, 1)).json()
    assert admin.post(f"/returns/{rma['id']}/approve", headers=key()).status_code == 200
    received = admin.post(f"/returns/{rma['id']}/receive", headers=key(),
                          json={"items": [{"product_id": product["id"], "quantity": 1, "restock": True}]})
    assert received.status_code == 200, received.text

    shown = order_in_read_side(
        system, customer.token, order["id"],
        lambda o: [r["status"] for r in o["returns"]] == ["RECEIVED"] and o["payment"]["refunded"] == "19.99")
    [ret] = shown["returns"]
    assert (ret["id"], ret["refundAmount"]) == (rma["id"], "19.99")
    assert ret["items"] == [{"productId": product["id"], "quantity": 1, "reason": "damaged", "receivedQuantity": 1,
                             "restock": True}]
    assert shown["status"] == "DELIVERED" and line(shown, product)["returnedQuantity"] == 1
    assert shown["payment"]["status"] == "partially_refunded"
    assert ("REFUND", rma["id"], "19.99") in {(op["type"], op["reference"], op["amount"])
                                              for op in shown["payment"]["operations"]}

    response = admin.get("/orders/export", params={"format": "csv", "status": "delivered"})
    assert response.status_code == 200, response.text
    rows = [row for row in csv.DictReader(io.StringIO(response.text, newline="")) if row["order_id"] == order["id"]]
    assert [(row["shipped_amount"], row["returned_amount"], row["order_refunded"]) for row in rows] == [
        ("39.98", "19.99", "19.99")]
