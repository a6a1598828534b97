"""No N+1: the RPCs one GraphQL query makes do not grow with the orders it returns.

The query runs through a gateway app in this process (the system's services behind it), whose
RPC pool records every call it makes."""

import uuid

import pytest

from gateway.app import create_app
from plumbing.product_cache import ProductCache
from tests.e2e.test_order_saga import ADDRESS
from tests.polling import wait_until

EVERYTHING = """
query($first: Int!) { me { orders(first: $first) { totalCount edges { node {
  id status total createdAt
  items { sku quantity unitPrice lineTotal product { id name price stock } }
  payment { status amount } customer { id email name } history { toStatus at }
} } } } }"""


@pytest.fixture
def counting_gateway(config):
    app = create_app(config)
    context = app.extensions["oms"]
    calls = []
    call = context.rpc.call

    def counted(service, method, *args, **kwargs):
        calls.append((service, method))
        return call(service, method, *args, **kwargs)

    context.rpc.call = counted
    yield app.test_client(), calls
    context.rpc.close()


def test_fifty_orders_with_lines_payment_customer_and_products_cost_as_many_rpcs_as_five(
    system, admin, new_customer, counting_gateway, redis_client
):
    products = [
        admin.post("/products", json={"sku": f"SKU-{uuid.uuid4().hex[:10]}", "name": f"Part {n}", "price": "2.50",
                                      "currency": "EUR", "stock": 500}).json()
        for n in range(3)
    ]
    _, tokens, api = new_customer()
    for n in range(50):
        items = [{"product_id": products[n % 3]["id"], "quantity": 1}, {"product_id": products[(n + 1) % 3]["id"],
                                                                         "quantity": 2}]
        body = {"items": items, "shipping_address": ADDRESS, "payment_token": "tok_visa"}
        assert api.post("/orders", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}).status_code == 201
    client, calls = counting_gateway
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    def rpcs(first: int) -> list:
        calls.clear()
        response = client.post("/graphql", json={"query": EVERYTHING, "variables": {"first": first}}, headers=headers)
        body = response.get_json()
        assert response.status_code == 200 and "errors" not in body, body
        edges = body["data"]["me"]["orders"]["edges"]
        assert len(edges) == first and all(len(e["node"]["items"]) == 2 for e in edges)
        assert all(item["product"]["name"].startswith("Part") for e in edges for item in e["node"]["items"])
        return list(calls)

    wait_until(lambda: client.post("/graphql", json={"query": "{ me { orders { totalCount } } }"}, headers=headers)
               .get_json()["data"]["me"]["orders"]["totalCount"] == 50, what="50 orders in the read model")
    # Products in the cache (products writes each one there): one RPC, to the read model.
    assert rpcs(5) == rpcs(50) == [("order_queries", "list_orders")]
    # Not in the cache: one more, for every product of the page at once.
    redis_client.delete(*[ProductCache.key(p["id"]) for p in products])
    cold = rpcs(50)
    assert cold == [("order_queries", "list_orders"), ("products", "get_products")]
