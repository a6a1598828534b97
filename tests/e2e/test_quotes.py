"""Price quotes through the HTTP API (issue 27): a quote holds its prices for the order that cites
it, however the catalog changes; it is used once, by its customer, for its own items, before it
expires, and an order it refuses leaves the stock as it was."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from orders import quotes
from plumbing.migrations import database_urls
from tests.e2e.conftest import assert_problem
from tests.e2e.test_after_sale import documents_of, key, lines, shipped
from tests.e2e.test_order_saga import ADDRESS, stock_of, wait_for_status


@pytest.fixture
def orders_db(config):
    engine = create_engine(database_urls(config)["orders"])
    yield engine
    engine.dispose()


def quote_for(api, *quantities) -> dict:
    response = api.post("/quotes", json={"items": lines(*quantities)})
    assert response.status_code == 201, response.text
    return response.json()


def order_with(api, quote_id: str | None, *quantities):
    body = {"items": lines(*quantities), "shipping_address": ADDRESS, "payment_token": "tok_visa"}
    if quote_id:
        body["quote_id"] = quote_id
    return api.post("/orders", json=body, headers=key())


def test_an_order_citing_a_quote_pays_the_quoted_prices_after_a_price_change(customer, admin, product, gadget):
    quote = quote_for(customer, (product, 2), (gadget, 1))
    assert (quote["total"], quote["currency"], quote["order_id"]) == ("44.98", "EUR", None)
    assert [(line["sku"], line["unit_price"], line["quantity"], line["line_total"]) for line in quote["items"]] == [
        (product["sku"], "19.99", 2, "39.98"), (gadget["sku"], "5.00", 1, "5.00")]
    assert datetime.fromisoformat(quote["expires_at"]) - datetime.fromisoformat(quote["created_at"]) == timedelta(
        minutes=15)
    assert customer.get(f"/quotes/{quote['id']}").json() == quote

    assert admin.patch(f"/products/{product['id']}", json={"price": "24.99"}).status_code == 200
    assert admin.patch(f"/products/{gadget['id']}", json={"price": "4.00"}).status_code == 200

    response = order_with(customer, quote["id"], (gadget, 1), (product, 2))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["total"] == "44.98"
    assert sorted((item["sku"], item["unit_price"]) for item in order["items"]) == sorted(
        [(product["sku"], "19.99"), (gadget["sku"], "5.00")])
    history = customer.get(f"/orders/{order['id']}/history").json()["items"]
    assert history[0]["reason"] == f"order placed at the prices of quote {quote['id']}"
    assert customer.get(f"/quotes/{quote['id']}").json()["order_id"] == order["id"]

    # The payment and the invoice are for what the customer was quoted.
    wait_for_status(customer, order["id"], "confirmed")
    parcel = shipped(admin, order["id"], (product, 2), (gadget, 1))
    assert parcel["amount"] == "44.98"
    [invoice] = documents_of(customer, order["id"])["invoices"]
    assert invoice["gross_total"] == "44.98"
    assert sorted((line["sku"], line["unit_price"]) for line in invoice["lines"]) == sorted(
        [(product["sku"], "19.99"), (gadget["sku"], "5.00")])

    # Without a quote, the catalog's new prices.
    plain = order_with(customer, None, (product, 1))
    assert plain.status_code == 201 and plain.json()["total"] == "24.99"


def test_a_quote_is_used_by_one_order_at_most(customer, product):
    quote = quote_for(customer, (product, 1))
    assert order_with(customer, quote["id"], (product, 1)).status_code == 201
    before = stock_of(customer, product)
    problem = assert_problem(order_with(customer, quote["id"], (product, 1)), 409)
    assert problem["errors"] == {"quote_id": ["Used."]}
    assert stock_of(customer, product) == before


def test_two_orders_racing_for_one_quote_place_one(customer, product):
    quote = quote_for(customer, (product, 1))
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: order_with(customer, quote["id"], (product, 1)), range(4)))
    assert sorted(answer.status_code for answer in answers) == [201, 409, 409, 409]
    assert stock_of(customer, product) == product["stock"] - 1


def test_another_customers_quote_is_unknown_to_you(customer, new_customer, admin, product):
    quote = quote_for(customer, (product, 1))
    stranger = new_customer("Stranger")[2]
    assert_problem(stranger.get(f"/quotes/{quote['id']}"), 404)
    assert admin.get(f"/quotes/{quote['id']}").json()["id"] == quote["id"]
    problem = assert_problem(order_with(stranger, quote["id"], (product, 1)), 422)
    assert problem["errors"] == {"quote_id": ["Unknown."]}
    assert_problem(order_with(customer, str(uuid.uuid4()), (product, 1)), 422)
    assert stock_of(customer, product) == product["stock"]
    # The owner can still use it.
    assert order_with(customer, quote["id"], (product, 1)).status_code == 201


def test_an_expired_quote_is_refused_and_holds_no_stock(customer, product, orders_db):
    quote = quote_for(customer, (product, 3))
    assert stock_of(customer, product) == product["stock"]  # a quote holds prices, not stock
    with orders_db.begin() as conn:
        conn.execute(text("UPDATE quotes SET expires_at = now() - interval '1 second' WHERE id = :id"),
                     {"id": quote["id"]})
    problem = assert_problem(order_with(customer, quote["id"], (product, 3)), 409)
    assert problem["errors"] == {"quote_id": ["Expired."]} and "expired" in problem["detail"]
    assert stock_of(customer, product) == product["stock"]


def test_an_order_for_other_items_or_quantities_than_the_quote_names_them(customer, product, gadget):
    quote = quote_for(customer, (product, 2))
    problem = assert_problem(order_with(customer, quote["id"], (product, 1), (gadget, 1)), 422)
    assert problem["errors"] == {"items": {  # numbers in errors cross the RPC as strings
        "not_quoted": [gadget["id"]], "quantity": [{"product_id": product["id"], "quoted": "2", "ordered": "1"}]}}
    assert (stock_of(customer, product), stock_of(customer, gadget)) == (product["stock"], gadget["stock"])
    assert customer.get(f"/quotes/{quote['id']}").json()["order_id"] is None


def test_a_quote_for_unknown_products_or_two_currencies_is_refused(customer, admin, product):
    unknown = str(uuid.uuid4())
    problem = assert_problem(customer.post("/quotes", json={"items": [{"product_id": unknown, "quantity": 1}]}), 422)
    assert problem["errors"] == {"items": {"unknown": [unknown]}}
    dollars = admin.post("/products", json={"sku": f"SKU-{uuid.uuid4().hex[:10]}", "name": "Dollar thing",
                                            "price": "3.00", "currency": "USD", "stock": 5}).json()
    problem = assert_problem(customer.post("/quotes", json={"items": lines((product, 1), (dollars, 1))}), 422)
    assert problem["errors"] == {"items": {"currency": ["Mixed currencies: EUR, USD."]}}
    assert_problem(customer.post("/quotes", json={"items": lines((product, 1), (product, 1))}), 422)
    assert_problem(customer.post("/quotes", json={"items": []}), 422)


def test_quotes_need_a_signed_in_customer(anonymous, product):
    assert_problem(anonymous.post("/quotes", json={"items": lines((product, 1))}), 401)


def test_quotes_that_expired_unused_a_day_ago_are_purged(customer, product, orders_db):
    stale, recent, used = (quote_for(customer, (product, 1)) for _ in range(3))
    assert order_with(customer, used["id"], (product, 1)).status_code == 201
    with orders_db.begin() as conn:
        conn.execute(text("UPDATE quotes SET expires_at = now() - interval '25 hours' WHERE id IN (:a, :b)"),
                     {"a": stale["id"], "b": used["id"]})
        conn.execute(text("UPDATE quotes SET expires_at = now() - interval '23 hours' WHERE id = :id"),
                     {"id": recent["id"]})
    with Session(orders_db) as session:
        quotes.purge_expired(session, datetime.now(UTC) - timedelta(days=1), 1000)
        session.commit()
    assert_problem(customer.get(f"/quotes/{stale['id']}"), 404)
    assert customer.get(f"/quotes/{recent['id']}").status_code == 200
    assert customer.get(f"/quotes/{used['id']}").json()["order_id"]
