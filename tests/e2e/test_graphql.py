"""GraphQL at /graphql end to end: orders from the read side as each caller may see them, the
limits, errors as the GraphQL-over-HTTP spec says, GraphiQL without a CDN, and no N+1."""

import base64
import copy
import json
import re
import uuid

import pytest
import requests
from graphql import get_introspection_query

from gateway.app import create_app
from tests.e2e.test_order_saga import place, wait_for_status
from tests.polling import wait_until

GRAPHQL_RESPONSE = "application/graphql-response+json"
ORDERS_QUERY = """
query Mine($first: Int!, $after: String) {
  me { orders(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id status total currency createdAt
      items { sku quantity unitPrice lineTotal product { id name price } }
      shippingAddress { city country }
      history { fromStatus toStatus actor reason }
      payment { status amount }
      customer { id email name }
    } }
  } }
}"""


def graphql(system, query, variables=None, token=None, accept="application/json", **kwargs):
    headers = {"Accept": accept, **({"Authorization": f"Bearer {token}"} if token else {})}
    return requests.post(f"{system.url}/graphql", json={"query": query, "variables": variables}, headers=headers,
                         timeout=15, **kwargs)


def codes(response) -> list[str]:
    return codes_of(response.json())


def codes_of(body: dict) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def visible_orders(system, token, count):
    def enough():
        data = graphql(system, ORDERS_QUERY, {"first": 50}, token).json()["data"]
        orders = data["me"]["orders"]
        return orders if orders["totalCount"] >= count else None

    return wait_until(enough, what=f"{count} orders in the read model")


def test_a_customer_reads_its_orders_with_lines_payment_history_customer_and_products(
    system, new_customer, product
):
    user, tokens, api = new_customer("Grace")
    order = place(api, product, quantity=2).json()
    wait_for_status(api, order["id"], "confirmed")

    def confirmed():
        orders = visible_orders(system, tokens["access_token"], 1)
        node = orders["edges"][0]["node"]
        return orders if node["status"] == "CONFIRMED" and node["payment"] else None

    orders = wait_until(confirmed, what="the view to be confirmed and paid")
    node = orders["edges"][0]["node"]
    assert node["id"] == order["id"] and node["total"] == "39.98" and node["currency"] == "EUR"
    assert node["items"] == [{"sku": product["sku"], "quantity": 2, "unitPrice": "19.99", "lineTotal": "39.98",
                              "product": {"id": product["id"], "name": product["name"], "price": "19.99"}}]
    assert node["shippingAddress"] == {"city": "London", "country": "GB"}
    assert [(h["fromStatus"], h["toStatus"]) for h in node["history"]] == [
        (None, "PENDING_PAYMENT"), ("PENDING_PAYMENT", "CONFIRMED")]
    assert node["payment"] == {"status": "authorized", "amount": "39.98"}
    assert node["customer"] == {"id": user["id"], "email": user["email"], "name": "Grace"}
    rest_history = api.get(f"/orders/{order['id']}/history").json()["items"]
    assert [h["reason"] for h in node["history"]] == [h["reason"] for h in rest_history]


def test_a_customer_never_sees_another_customers_order(system, new_customer, admin, product):
    owner, owner_tokens, owner_api = new_customer()
    _, other_tokens, _ = new_customer()
    order = place(owner_api, product).json()
    visible_orders(system, owner_tokens["access_token"], 1)

    other = other_tokens["access_token"]
    response = graphql(system, "query($id: ID!) { order(id: $id) { id } }", {"id": order["id"]}, other)
    assert response.status_code == 200 and codes(response) == ["NOT_FOUND"]
    assert response.json()["data"] == {"order": None}
    listed = graphql(system, "{ orders(first: 100) { edges { node { id customer { id } } } } }", token=other).json()
    assert all(edge["node"]["customer"]["id"] != owner["id"] for edge in listed["data"]["orders"]["edges"])
    by_email = graphql(system, "query($e: String) { orders(filter: {customerEmail: $e}) { totalCount } }",
                       {"e": owner["email"]}, other)
    assert codes(by_email) == ["FORBIDDEN"]

    admin_view = graphql(system, "query($e: String) { orders(filter: {customerEmail: $e}) { totalCount "
                                 "edges { node { id } } } }", {"e": owner["email"]}, admin.token).json()
    assert [e["node"]["id"] for e in admin_view["data"]["orders"]["edges"]] == [order["id"]]
    anonymous = graphql(system, "{ orders { totalCount } }")
    assert codes(anonymous) == ["UNAUTHENTICATED"]


def test_me_lists_notifications_and_meta_reports_the_lag(system, new_customer):
    _, tokens, _ = new_customer("Linus")
    token = tokens["access_token"]
    welcome = wait_until(
        lambda: graphql(system, "{ me { notifications(first: 5) { totalCount edges { node { event subject } } } } }",
                        token=token).json()["data"]["me"]["notifications"]["edges"],
        what="the welcome notification",
    )
    assert welcome[0]["node"]["event"] == "user_registered"
    meta = graphql(system, "{ meta { lagMs queued lastEventAt } }", token=token).json()["data"]["meta"]
    assert meta["lagMs"] >= 0 and meta["queued"] >= 0
    ready = requests.get(f"{system.url}/readyz", timeout=10).json()
    assert ready["services"]["order_queries"] == "ok" and ready["read_model"]["lag_ms"] >= 0


def test_products_come_from_the_catalog_with_search_and_price_history(system, product):
    found = graphql(system, "query($id: ID!) { product(id: $id) { sku priceHistory { price } } }",
                    {"id": product["id"]}).json()
    assert found["data"]["product"] == {"sku": product["sku"], "priceHistory": [{"price": "19.99"}]}
    listed = graphql(system, "{ products(first: 100, filter: {inStock: true}) { totalCount edges { node { id } } } }")
    assert product["id"] in {e["node"]["id"] for e in listed.json()["data"]["products"]["edges"]}
    missing = graphql(system, '{ product(id: "no-such-product") { id } }')
    assert codes(missing) == ["NOT_FOUND"] and missing.json()["data"] == {"product": None}


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ orders(first: 101) { totalCount } }", None, "BAD_USER_INPUT"),
        ("query($n: Int!) { orders(first: $n) { totalCount } }", {"n": 0}, "BAD_USER_INPUT"),
        ("{ orders(last: 101) { totalCount } }", None, "BAD_USER_INPUT"),
        ("{ me { notifications(first: 5, last: 5) { totalCount } } }", None, "BAD_USER_INPUT"),
        # `last` costs what `first` does.
        ("{ orders(last: 100) { edges { node { items { product { priceHistory(first: 100) { price } } } } } } }",
         None, "QUERY_TOO_COSTLY"),
        ("{ orders(first: 100) { edges { node { items { product { priceHistory(first: 100) { price } } } } } } }",
         None, "QUERY_TOO_COSTLY"),
        # As reported: `first` from a variable's default, and 61 aliases (1,830 priceHistory RPCs).
        ("query Q($n: Int = 100) { orders(first: $n) { edges { node { items { product { priceHistory(first: $n) {"
         " price } } } } } } }", None, "QUERY_TOO_COSTLY"),
        ("query Q($n: Int = 30) { " + " ".join(
            f"p{n}: products(first: $n) {{ edges {{ node {{ priceHistory(first: 1) {{ price }} }} }} }}"
            for n in range(61)) + " }", None, "QUERY_TOO_COSTLY"),
        ('query($id: ID! = "a\\u0000b") { order(id: $id) { id } }', None, "BAD_USER_INPUT"),
        ('{ product(id: "a\\u0000b") { id } }', None, "BAD_USER_INPUT"),
        ("query($id: ID!) { product(id: $id) { id } }", {"id": "a\x00b"}, "BAD_USER_INPUT"),
        ("query($f: OrderFilter) { orders(filter: $f) { totalCount } }", {"f": {"customerEmail": "\x00"}},
         "BAD_USER_INPUT"),
        ("query($a: String) { products(after: $a) { totalCount } }", {"a": "x" * 5000}, "BAD_USER_INPUT"),
    ],
)
def test_limits_refuse_a_query_before_it_runs(system, admin, query, variables, code):
    response = graphql(system, query, variables, admin.token)
    assert response.status_code == 200
    assert codes(response) == [code] and "data" not in response.json()
    strict = graphql(system, query, variables, admin.token, accept=GRAPHQL_RESPONSE)
    assert strict.status_code == 400 and codes(strict) == [code]


def test_a_nul_in_get_variables_or_in_the_query_is_refused_not_a_500(system):
    for params in ({"query": "query($id: ID!) { product(id: $id) { id } }", "variables": '{"id": "\\u0000"}'},
                   {"query": '{ order(id: "\\u0000") { id } }'}):
        response = requests.get(f"{system.url}/graphql", params=params, headers={"Accept": GRAPHQL_RESPONSE},
                                timeout=15)
        assert response.status_code == 400 and codes(response) == ["BAD_USER_INPUT"], response.text
    deep = requests.get(f"{system.url}/graphql", params={"query": "{ __typename }", "variables": "[" * 40 + "]" * 40},
                        timeout=15)
    assert deep.status_code == 400 and codes(deep) == ["BAD_REQUEST"]


@pytest.mark.parametrize("after", [["order", "2024-01-01T00:00:00", "a\x00"], ["order", "not a time", "a"]])
def test_a_cursor_this_api_never_made_is_bad_user_input(system, admin, after):
    """Its NUL is inside the base64, where the gateway's checks of arguments don't look: order_queries
    refuses it (it was an INTERNAL_SERVER_ERROR from psycopg2)."""
    cursor = base64.urlsafe_b64encode(json.dumps(after).encode()).decode()
    response = graphql(system, "query($a: String) { orders(after: $a) { totalCount } }", {"a": cursor}, admin.token)
    assert codes(response) == ["BAD_USER_INPUT"], response.text


def test_anonymous_callers_get_the_lower_ceiling(system, admin, product):
    # 1 + 100 x (edges, node, id, priceHistory and 20 prices) = 2,401: over 2,000, under 5,000.
    query = "{ products(first: 100) { edges { node { id priceHistory(first: 20) { price } } } } }"
    assert codes(graphql(system, query)) == ["QUERY_TOO_COSTLY"]
    signed_in = graphql(system, query, token=admin.token)
    assert signed_in.status_code == 200 and "errors" not in signed_in.json()


def test_the_deepest_query_the_schema_allows_runs(system, admin):
    deepest = ("{ me { orders(first: 5) { edges { node { items { product { priceHistory(first: 5) { price } } } } } } }"
               " }")
    response = graphql(system, deepest, token=admin.token)
    assert response.status_code == 200 and "errors" not in response.json()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{ orders { "}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ nosuchfield }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "{ " + "a: __typename " * 700 + "}"}, "GRAPHQL_PARSE_FAILED"),  # over 2,000 tokens
        ({"query": "query($n: Int!) { products(first: $n) { totalCount } }", "variables": {"n": "ten"}},
         "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_a_bad_query_is_a_graphql_error_200_for_json_and_400_for_graphql_response_json(system, body, code):
    plain = requests.post(f"{system.url}/graphql", json=body, timeout=15)
    assert plain.status_code == 200 and plain.headers["Content-Type"].startswith("application/json")
    assert codes(plain) == [code] and "data" not in plain.json()
    strict = requests.post(f"{system.url}/graphql", json=body, headers={"Accept": GRAPHQL_RESPONSE}, timeout=15)
    assert strict.status_code == 400 and strict.headers["Content-Type"].startswith(GRAPHQL_RESPONSE)
    assert codes(strict) == [code]


def test_a_request_that_is_not_graphql_is_a_400_and_a_bad_token_a_401(system):
    for data in ("not json", "[1, 2]", '{"query": 3}'):
        response = requests.post(f"{system.url}/graphql", data=data, headers={"Content-Type": "application/json"},
                                 timeout=15)
        assert response.status_code == 400 and codes(response) == ["BAD_REQUEST"]
    bad_token = graphql(system, "{ __typename }", token="not-a-token")
    assert bad_token.status_code == 401 and codes(bad_token) == ["UNAUTHENTICATED"]


def test_introspection_is_on_and_graphiqls_query_runs_anonymously_but_copies_of_it_are_refused(system):
    standard = get_introspection_query(descriptions=True, specified_by_url=True, directive_is_repeatable=True,
                                       schema_description=True, input_value_deprecation=True)
    response = graphql(system, standard)
    assert response.status_code == 200 and "errors" not in response.json()
    assert {"Order", "OrderItem", "Payment", "HistoryEntry", "Customer", "Product", "PriceHistoryEntry",
            "Notification"} <= {t["name"] for t in response.json()["data"]["__schema"]["types"]}
    full = standard[standard.index("fragment FullType"):]
    copies = "{ " + " ".join(f"s{n}: __schema {{ types {{ ...FullType }} }}" for n in range(4)) + " } " + full
    assert codes(graphql(system, copies)) == ["QUERY_TOO_COSTLY"]
    chain = '{ __type(name: "Order") { ' + "ofType { " * 16 + "name" + " }" * 16 + " } }"
    assert codes(graphql(system, chain)) == ["QUERY_TOO_DEEP"]


def test_introspection_switched_off_is_refused_and_typename_still_answers(system, config):
    settings = copy.deepcopy(config)
    settings["GATEWAY"]["GRAPHQL"]["INTROSPECTION"] = "false"
    app = create_app(settings)
    try:
        client = app.test_client()
        off = client.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        assert off.status_code == 200 and codes_of(off.get_json()) == ["INTROSPECTION_DISABLED"]
        assert client.post("/graphql", json={"query": "{ __typename }"}).get_json() == {"data": {"__typename": "Query"}}
    finally:
        app.extensions["oms"].rpc.close()


def test_graphiql_is_served_with_its_assets_from_here(system):
    page = requests.get(f"{system.url}/graphql", headers={"Accept": "text/html"}, timeout=15)
    assert page.status_code == 200 and "GraphiQL" in page.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/graphql/assets/") for source in sources)
    for source in sources:
        asset = requests.get(f"{system.url}{source}", timeout=15)
        assert asset.status_code == 200 and len(asset.content) > 1000, source
        assert "unpkg.com" not in asset.text[:2000] and "cdn.jsdelivr" not in asset.text[:2000]


def test_the_read_side_follows_a_cancellation_an_address_change_and_a_deletion(system, new_customer, admin, product):
    _, tokens, api = new_customer()
    order = place(api, product, token="tok_declined").json()
    wait_for_status(api, order["id"], "cancelled")
    query = "query($id: ID!) { order(id: $id) { status payment { status } history { toStatus } } }"

    def cancelled():
        data = graphql(system, query, {"id": order["id"]}, tokens["access_token"]).json().get("data")
        node = data and data["order"]
        return node if node and node["status"] == "CANCELLED" and node["payment"] else None

    node = wait_until(cancelled, what="the cancellation in the read model")
    assert node["payment"] == {"status": "failed"}
    assert admin.delete(f"/orders/{order['id']}").status_code == 204
    wait_until(lambda: codes(graphql(system, query, {"id": order["id"]}, admin.token)) == ["NOT_FOUND"],
               what="the deletion in the read model")

    second = place(api, product).json()
    moved = {"name": "Ada", "line1": "1 Rue", "city": "Lyon", "postal_code": "69001", "country": "FR"}
    assert api.patch(f"/orders/{second['id']}", json={"shipping_address": moved}).status_code == 200
    wait_until(
        lambda: (graphql(system, "query($id: ID!) { order(id: $id) { shippingAddress { city } } }",
                         {"id": second["id"]}, tokens["access_token"]).json().get("data") or {}).get("order")
        == {"shippingAddress": {"city": "Lyon"}},
        what="the address change in the read model",
    )


def test_pages_have_cursors(system, new_customer, admin):
    _, tokens, api = new_customer()
    product = admin.post("/products", json={"sku": f"SKU-{uuid.uuid4().hex[:10]}", "name": "Pager", "price": "1.00",
                                            "currency": "EUR", "stock": 10}).json()
    for _ in range(3):
        place(api, product)
    visible_orders(system, tokens["access_token"], 3)
    seen, after = [], None
    for _ in range(3):
        page = graphql(system, ORDERS_QUERY, {"first": 1, "after": after}, tokens["access_token"]).json()
        orders = page["data"]["me"]["orders"]
        seen += [e["node"]["id"] for e in orders["edges"]]
        after = orders["pageInfo"]["endCursor"]
    assert len(set(seen)) == 3 and orders["pageInfo"]["hasNextPage"] is False
