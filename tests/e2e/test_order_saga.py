"""The order saga end to end: orders, products, payments and notifications as processes."""

import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import TEST_VHOST
from tests.e2e.conftest import assert_problem
from tests.events import publish_event
from tests.polling import wait_until

ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH",
           "country": "GB"}


def place(api, product, quantity=1, token="tok_visa", key=None):
    body = {"items": [{"product_id": product["id"], "quantity": quantity}], "shipping_address": ADDRESS,
            "payment_token": token}
    return api.post("/orders", json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex})


def wait_for_status(api, order_id, *statuses):
    def current():
        order = api.get(f"/orders/{order_id}").json()
        return order if order["status"] in statuses else None

    return wait_until(current, what=f"order {order_id} to reach {statuses}")


def stock_of(api, product):
    return api.get(f"/products/{product['id']}").json()["stock"]


def test_happy_path_to_confirmed_shipped_and_delivered(customer, admin, product):
    response = place(customer, product, quantity=3)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending_payment"
    assert order["total"] == "59.97" and order["currency"] == "EUR"
    assert order["items"] == [{"product_id": product["id"], "sku": product["sku"], "name": product["name"],
                               "unit_price": "19.99", "quantity": 3, "line_total": "59.97", "shipped_quantity": 0,
                               "cancelled_quantity": 0, "delivered_quantity": 0, "returned_quantity": 0}]
    assert stock_of(customer, product) == 7

    wait_for_status(customer, order["id"], "confirmed")
    payment = customer.get(f"/orders/{order['id']}/payment").json()
    assert (payment["status"], payment["amount"], payment["authorized"], payment["captured"]) == (
        "authorized", "59.97", "59.97", "0.00")
    assert_problem(customer.post(f"/orders/{order['id']}/ship"), 403)
    assert admin.post(f"/orders/{order['id']}/ship").json()["status"] == "shipped"
    payment = customer.get(f"/orders/{order['id']}/payment").json()
    assert (payment["status"], payment["captured"]) == ("captured", "59.97")  # as the parcel shipped
    assert_problem(customer.patch(f"/orders/{order['id']}", json={"shipping_address": ADDRESS}), 409)
    assert_problem(customer.post(f"/orders/{order['id']}/cancel"), 409)
    assert admin.post(f"/orders/{order['id']}/deliver").json()["status"] == "delivered"

    history = customer.get(f"/orders/{order['id']}/history").json()["items"]
    # One entry per step: the parcel that ships everything is the move to shipped, its delivery
    # the move to delivered.
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "pending_payment"), ("pending_payment", "confirmed"), ("confirmed", "shipped"),
        ("shipped", "delivered"),
    ]
    second = customer.get(f"/orders/{order['id']}/history", params={"page": 2, "page_size": 3}).json()
    assert [h["to_status"] for h in second["items"]] == ["delivered"]
    assert (second["page"], second["page_size"], second["total"]) == (2, 3, 4)
    assert stock_of(customer, product) == 7
    notified = wait_until(
        lambda: {n["event"] for n in customer.get("/notifications").json()["items"]} >= {"order_confirmed",
                                                                                         "order_shipped"},
        what="notifications",
    )
    assert notified
    # 409 until products has committed the stock (its order_confirmed may still be on its way).
    wait_until(lambda: admin.delete(f"/orders/{order['id']}").status_code == 204, what="deletion")
    assert_problem(admin.get(f"/orders/{order['id']}"), 404)


def test_a_declined_card_cancels_the_order_and_returns_the_stock(customer, product):
    order = place(customer, product, quantity=4, token="tok_declined").json()
    cancelled = wait_for_status(customer, order["id"], "cancelled")
    assert cancelled["status"] == "cancelled"
    wait_until(lambda: stock_of(customer, product) == 10, what="the stock back, right after the cancel's commit")
    assert customer.get(f"/orders/{order['id']}/payment").json()["status"] == "failed"
    history = customer.get(f"/orders/{order['id']}/history").json()["items"]
    assert history[-1]["reason"].startswith("payment failed")


def test_cancelling_a_confirmed_order_voids_its_authorization_and_returns_the_stock(customer, product):
    order = place(customer, product, quantity=2).json()
    wait_for_status(customer, order["id"], "confirmed")
    assert stock_of(customer, product) == 8
    assert customer.post(f"/orders/{order['id']}/cancel", json={"reason": "changed my mind"}).status_code == 200
    wait_for_status(customer, order["id"], "refunded")  # the customer's money free again
    assert stock_of(customer, product) == 10
    payment = customer.get(f"/orders/{order['id']}/payment").json()
    assert (payment["status"], payment["voided"], payment["captured"]) == ("voided", "39.98", "0.00")


def test_out_of_stock_and_unknown_products_are_rejected(customer, product):
    short = assert_problem(place(customer, product, quantity=11), 409)
    assert product["id"] in short["detail"] or product["sku"] in short["detail"]
    unknown = {"id": str(uuid.uuid4())}
    assert_problem(place(customer, unknown), 422)
    assert stock_of(customer, product) == 10
    assert customer.get("/orders").json()["total"] == 0


def test_twenty_concurrent_orders_for_the_last_five_units(new_customer, admin, product):
    admin.put(f"/products/{product['id']}/stock", json={"stock": 5})
    shoppers = [new_customer()[2] for _ in range(4)]
    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(lambda i: place(shoppers[i % 4], product), range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 5 + [409] * 15, statuses
    assert stock_of(admin, product) == 0
    for response in responses:
        if response.status_code == 201:
            wait_for_status(admin, response.json()["id"], "confirmed")
    assert stock_of(admin, product) == 0


def test_the_same_idempotency_key_returns_the_same_order(customer, product):
    key = uuid.uuid4().hex
    first = place(customer, product, key=key)
    again = place(customer, product, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert_problem(place(customer, product, quantity=2, key=key), 422)
    assert stock_of(customer, product) == 9
    missing_key = customer.post("/orders", json={"items": [{"product_id": product["id"], "quantity": 1}],
                                                "shipping_address": ADDRESS, "payment_token": "tok_visa"})
    assert_problem(missing_key, 422)


def test_a_customer_cannot_see_or_change_another_customers_order(new_customer, product):
    _, _, alice = new_customer("Alice")
    _, _, mallory = new_customer("Mallory")
    order = place(alice, product).json()
    assert alice.get(f"/orders/{order['id']}").status_code == 200
    for response in (
        mallory.get(f"/orders/{order['id']}"),
        mallory.patch(f"/orders/{order['id']}", json={"shipping_address": ADDRESS}),
        mallory.post(f"/orders/{order['id']}/cancel"),
        mallory.get(f"/orders/{order['id']}/history"),
        mallory.get(f"/orders/{order['id']}/payment"),
    ):
        body = assert_problem(response, 404)
        assert order["id"] not in str(body.get("errors", ""))
    assert mallory.get("/orders").json()["total"] == 0
    assert alice.get(f"/orders/{order['id']}").json()["status"] in ("pending_payment", "confirmed")


def test_the_same_event_delivered_twice_changes_nothing(system, customer, product, config):
    from sqlalchemy import create_engine, text

    from plumbing.migrations import database_urls

    order = place(customer, product).json()
    wait_for_status(customer, order["id"], "confirmed")
    engine = create_engine(database_urls(config)["orders"])
    with engine.connect() as conn:
        created = conn.execute(
            text("SELECT payload FROM outbox WHERE event_type = 'order_created' AND payload->>'order_id' = :id"),
            {"id": order["id"]},
        ).scalar_one()
    engine.dispose()
    publish_event(config, "orders", "order_created", created)
    wait_until(lambda: _queues_drained("order_created"), what="the duplicate to be consumed")
    payment = customer.get(f"/orders/{order['id']}/payment").json()
    assert payment["status"] == "authorized" and [op["type"] for op in payment["operations"]] == ["authorize"]
    assert len(customer.get(f"/orders/{order['id']}/history").json()["items"]) == 2
    assert stock_of(customer, product) == 9


def _queues_drained(routing_key: str) -> bool:
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", TEST_VHOST, "name", "messages"],
        check=True, capture_output=True, text=True,
    ).stdout.split("\n")
    rows = [line.split() for line in listed if routing_key in line]
    return bool(rows) and all(int(row[1]) == 0 for row in rows)


@pytest.mark.usefixtures("system")
def test_an_order_whose_reservation_expires_is_cancelled_and_its_stock_returns(system, customer, product):
    system.stop("payments")
    try:
        order = place(customer, product, quantity=3).json()
        assert stock_of(customer, product) == 7
        cancelled = wait_for_status(customer, order["id"], "cancelled")
        assert customer.get(f"/orders/{order['id']}/history").json()["items"][-1]["reason"] == "reservation expired"
        assert cancelled["status"] == "cancelled"
        wait_until(lambda: stock_of(customer, product) == 10, what="the stock back, right after the cancel's commit")
    finally:
        system.start_service("payments")
        system.wait_ready(60)
    # The late order_created carries the reservation's expiry: payments doesn't authorize at all,
    # whether it sees the cancellation first (no payment) or the order (a failed payment).
    wait_until(lambda: _queues_drained("order_created") and _queues_drained("order_cancelled"),
               what="payments to catch up")
    payment = customer.get(f"/orders/{order['id']}/payment")
    assert payment.status_code == 404 or payment.json()["status"] == "failed", payment.json()
    assert customer.get(f"/orders/{order['id']}").json()["status"] == "cancelled"
    assert stock_of(customer, product) == 10


def test_a_product_in_an_open_order_cannot_be_deleted(customer, admin, product):
    order = place(customer, product).json()
    assert_problem(admin.delete(f"/products/{product['id']}"), 409)
    wait_for_status(customer, order["id"], "confirmed")
    assert_problem(admin.delete(f"/products/{product['id']}"), 409)
    customer.post(f"/orders/{order['id']}/cancel")
    wait_for_status(customer, order["id"], "refunded")
    assert admin.delete(f"/products/{product['id']}").status_code == 204
    assert_problem(customer.get(f"/products/{product['id']}"), 404)


def test_reads_served_from_the_gateway_caches_are_never_stale(customer, admin):
    """Product reads and searches come from caches in the gateway: each change, by an admin or by
    an order taking stock, is seen by the very next read."""
    name = f"Lamp{uuid.uuid4().hex[:12]}"
    lamp = admin.post("/products", json={"sku": f"SKU-{uuid.uuid4().hex[:10]}", "name": name, "price": "10.00",
                                         "currency": "EUR", "stock": 10}).json()

    def seen():
        [found] = customer.get("/products", params={"q": name}).json()["items"]
        read = customer.get(f"/products/{lamp['id']}").json()
        assert (found["price"], found["stock"]) == (read["price"], read["stock"])
        return read["price"], read["stock"]

    for _ in range(3):  # the second and third reads are cache hits
        assert seen() == ("10.00", 10)
    assert admin.patch(f"/products/{lamp['id']}", json={"price": "12.50"}).status_code == 200
    assert seen() == ("12.50", 10)
    assert place(customer, lamp, quantity=3).status_code == 201
    assert seen() == ("12.50", 7)
    assert admin.put(f"/products/{lamp['id']}/stock", json={"stock": 4}).status_code == 200
    assert seen() == ("12.50", 4)
    assert admin.delete(f"/products/{lamp['id']}").status_code == 409  # in an open order
