"""What a typed client (e.g. `gql` with an introspected schema) relies on: a lookup of one thing is
nullable, so an unknown or foreign id is null beside an error and the rest of `data` stays; one
`OrderStatus` enum and one `Money` scalar in answers and filters; `totalCount` non-null and
`first`/`after`, `last`/`before` on every connection; cursors opaque and tied to their list."""

import random
import string
import uuid

import pytest
from graphql import get_introspection_query

from tests.e2e.test_graphql import codes, graphql, visible_orders
from tests.e2e.test_order_saga import place, wait_for_status
from tests.polling import wait_until

CONNECTIONS = {"OrderConnection", "ProductConnection", "NotificationConnection"}
PAGED_FIELDS = [("Query", "orders"), ("Query", "products"), ("Me", "orders"), ("Me", "notifications")]
MY_ORDERS = """
query($first: Int, $after: String, $last: Int, $before: String) {
  me { orders(first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }
  } }
}"""
PRODUCTS = """
query($search: String, $first: Int, $after: String, $last: Int, $before: String) {
  products(search: $search, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }
  }
}"""


def _types(system) -> dict:
    schema = graphql(system, get_introspection_query()).json()["data"]["__schema"]
    return {t["name"]: t for t in schema["types"]}


def _field(types: dict, type_name: str, field_name: str) -> dict:
    return next(f for f in types[type_name]["fields"] if f["name"] == field_name)


def _named(type_ref: dict) -> str:
    while type_ref["ofType"]:
        type_ref = type_ref["ofType"]
    return type_ref["name"]


def test_the_introspected_schema_has_one_money_one_status_nullable_lookups_and_relay_connections(system):
    types = _types(system)
    for lookup in ("order", "product"):
        assert _field(types, "Query", lookup)["type"]["kind"] == "OBJECT"  # not NON_NULL
    for type_name, field_name in [("Order", "total"), ("OrderItem", "unitPrice"), ("OrderItem", "lineTotal"),
                                  ("Payment", "amount"), ("Product", "price"), ("PriceHistoryEntry", "price")]:
        assert _named(_field(types, type_name, field_name)["type"]) == "Money", (type_name, field_name)
    filters = {f"{t}.{f['name']}": _named(f["type"]) for t in ("OrderFilter", "ProductFilter")
               for f in types[t]["inputFields"]}
    assert {filters[name] for name in ("OrderFilter.minTotal", "OrderFilter.maxTotal", "ProductFilter.minPrice",
                                       "ProductFilter.maxPrice")} == {"Money"}
    assert "Decimal" not in types
    assert _named(_field(types, "Order", "status")["type"]) == filters["OrderFilter.status"] == "OrderStatus"
    assert _named(_field(types, "HistoryEntry", "toStatus")["type"]) == "OrderStatus"
    for connection in CONNECTIONS:
        assert _field(types, connection, "totalCount")["type"]["kind"] == "NON_NULL", connection
    assert {f["name"] for f in types["PageInfo"]["fields"]} == {"hasNextPage", "hasPreviousPage", "startCursor",
                                                               "endCursor"}
    for type_name, field_name in PAGED_FIELDS:
        arguments = {a["name"] for a in _field(types, type_name, field_name)["args"]}
        assert {"first", "after", "last", "before"} <= arguments, (type_name, field_name)


def test_an_unknown_or_foreign_id_is_null_with_an_error_and_the_rest_of_the_data_stays(
    system, new_customer, product
):
    _, tokens, api = new_customer()
    _, other_tokens, other_api = new_customer()
    mine, foreign = place(api, product).json(), place(other_api, product).json()
    token = tokens["access_token"]
    visible_orders(system, token, 1)
    visible_orders(system, other_tokens["access_token"], 1)
    query = """query($mine: ID!, $unknown: ID!, $foreign: ID!) {
      mine: order(id: $mine) { id }
      unknown: order(id: $unknown) { id }
      foreign: order(id: $foreign) { id }
      tooLong: order(id: "not-an-order-id-and-longer-than-any-uuid") { id }
      product(id: "no-such-product") { id }
      meta { queued }
    }"""
    body = graphql(system, query, {"mine": mine["id"], "unknown": str(uuid.uuid4()), "foreign": foreign["id"]},
                   token).json()
    data = body["data"]
    assert data["mine"] == {"id": mine["id"]} and data["meta"]["queued"] >= 0
    assert data["unknown"] is data["foreign"] is data["tooLong"] is data["product"] is None
    errors = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert errors == {("unknown",): "NOT_FOUND", ("foreign",): "NOT_FOUND", ("tooLong",): "NOT_FOUND",
                      ("product",): "NOT_FOUND"}


def test_a_status_read_from_an_order_filters_orders_by_the_same_enum(system, new_customer, product):
    _, tokens, api = new_customer()
    order = place(api, product).json()
    wait_for_status(api, order["id"], "confirmed")
    token = tokens["access_token"]
    query = "query($id: ID!) { order(id: $id) { status history { toStatus } } }"

    def confirmed():
        read = (graphql(system, query, {"id": order["id"]}, token).json().get("data") or {}).get("order")
        return read if read and read["status"] == "CONFIRMED" else None

    read = wait_until(confirmed, what="the order confirmed in the read model")
    assert read["status"] == "CONFIRMED" and read["history"][-1]["toStatus"] == "CONFIRMED"
    by_status = "query($s: OrderStatus) { me { orders(filter: {status: $s}) { edges { node { id status } } } } }"
    same = graphql(system, by_status, {"s": read["status"]}, token).json()["data"]["me"]["orders"]["edges"]
    assert [e["node"] for e in same] == [{"id": order["id"], "status": "CONFIRMED"}]
    other = graphql(system, by_status, {"s": "CANCELLED"}, token).json()["data"]["me"]["orders"]["edges"]
    assert other == []
    lowercase = graphql(system, by_status, {"s": "confirmed"}, token)
    assert codes(lowercase) == ["GRAPHQL_VALIDATION_FAILED"]


@pytest.mark.parametrize("amount", ["abc", "1.234", "-1", "1e3", "99999999999.00", " 5", 5, 5.5, True, ""])
def test_money_filters_take_only_decimal_strings_within_the_bounds_of_prices(system, admin, amount):
    query = "query($f: OrderFilter) { orders(filter: $f) { totalCount } }"
    response = graphql(system, query, {"f": {"minTotal": amount}}, admin.token)
    assert response.status_code == 200 and codes(response) == ["BAD_USER_INPUT"] and "data" not in response.json()


def test_a_money_literal_out_of_bounds_is_refused_too(system):
    for amount in ('"10.001"', '"10000000000"', "10"):
        literal = graphql(system, f"{{ products(filter: {{maxPrice: {amount}}}) {{ totalCount }} }}")
        assert codes(literal) == ["BAD_USER_INPUT"], amount


def test_money_read_from_an_answer_filters_by_the_same_scalar(system, new_customer, product):
    _, tokens, api = new_customer()
    place(api, product, quantity=2)
    token = tokens["access_token"]
    [edge] = visible_orders(system, token, 1)["edges"]
    total = edge["node"]["total"]
    assert total == "39.98"
    query = ("query($low: Money, $high: Money) { me { orders(filter: {minTotal: $low, maxTotal: $high}) "
             "{ totalCount } } }")

    def count(low, high) -> int:
        answer = graphql(system, query, {"low": low, "high": high}, token).json()
        assert "data" in answer, answer
        return answer["data"]["me"]["orders"]["totalCount"]

    assert count(total, total) == 1 and count("0", "9999999999.99") == 1 and count("39.99", None) == 0


def _walk(system, query: str, variables: dict, token: str | None, connection) -> tuple[list, list]:
    """Every page forwards (first 2 after endCursor) and backwards (last 2 before startCursor)."""
    walks = []
    for size, cursor, more, next_cursor in (("first", "after", "hasNextPage", "endCursor"),
                                            ("last", "before", "hasPreviousPage", "startCursor")):
        pages, position = [], None
        while True:
            body = graphql(system, query, {**variables, size: 2, cursor: position}, token).json()
            assert "errors" not in body, body
            page = connection(body["data"])
            pages.append([edge["node"]["id"] for edge in page["edges"]])
            assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
            if not page["pageInfo"][more]:
                break
            position = page["pageInfo"][next_cursor]
        walks.append(pages)
    return walks[0], walks[1]


def test_paging_backwards_meets_the_forward_pages_in_reverse_for_orders_and_products(system, admin, new_customer):
    word = "".join(random.choices(string.ascii_lowercase, k=12))
    products = [admin.post("/products", json={"sku": f"SKU-{uuid.uuid4().hex[:10]}", "name": f"Pager {word}",
                                              "price": "1.00", "currency": "EUR", "stock": 10}).json()
                for _ in range(5)]
    _, tokens, api = new_customer()
    for each in products:
        place(api, each)
    token = tokens["access_token"]
    visible_orders(system, token, 5)
    for query, variables, connection in (
        (MY_ORDERS, {}, lambda data: data["me"]["orders"]),
        (PRODUCTS, {"search": word}, lambda data: data["products"]),
    ):
        forward, backward = _walk(system, query, variables, token, connection)
        assert [len(page) for page in forward] == [2, 2, 1] and [len(page) for page in backward] == [2, 2, 1]
        assert sum(backward[::-1], []) == sum(forward, []), query
        assert len(set(sum(forward, []))) == 5
    assert set(sum(forward, [])) == {p["id"] for p in products}


def test_a_cursor_of_one_connection_is_refused_by_another(system, new_customer, product):
    _, tokens, api = new_customer()
    place(api, product)
    token = tokens["access_token"]
    wait_until(lambda: graphql(system, "{ me { notifications(first: 1) { totalCount } } }", token=token)
               .json()["data"]["me"]["notifications"]["totalCount"] >= 1, what="a notification")
    order_cursor = visible_orders(system, token, 1)["edges"][0]["cursor"]
    products = graphql(system, "{ products(first: 1) { edges { cursor } } }").json()["data"]["products"]
    product_cursor = products["edges"][0]["cursor"]
    mine = graphql(system, "{ me { notifications(first: 1) { edges { cursor } } } }", token=token).json()["data"]["me"]
    notification_cursor = mine["notifications"]["edges"][0]["cursor"]
    refusals = [
        ("query($c: String) { orders(after: $c) { totalCount } }", product_cursor),
        ("query($c: String) { me { orders(before: $c) { totalCount } } }", notification_cursor),
        ("query($c: String) { products(after: $c) { totalCount } }", order_cursor),
        ("query($c: String) { products(before: $c) { totalCount } }", notification_cursor),
        ("query($c: String) { me { notifications(after: $c) { totalCount } } }", product_cursor),
        ("query($c: String) { me { notifications(before: $c) { totalCount } } }", order_cursor),
    ]
    for query, cursor in refusals:
        assert codes(graphql(system, query, {"c": cursor}, token)) == ["BAD_USER_INPUT"], query
    accepted = graphql(system, "query($c: String) { products(after: $c) { totalCount } }", {"c": product_cursor})
    assert "errors" not in accepted.json()
