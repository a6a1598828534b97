"""Bad input on every route is a 4xx problem+json, and the data is unchanged."""

import uuid

import pytest
import requests

from tests.e2e.conftest import PASSWORD, assert_problem
from tests.e2e.test_oauth import client_token, register_client
from tests.e2e.test_order_saga import ADDRESS, place

LONG = "x" * 5001


def test_malformed_json_is_a_400(admin, product):
    for response in (
        admin.post("/products", data="{not json", headers={"Content-Type": "application/json"}),
        admin.patch(f"/products/{product['id']}", data="[1,", headers={"Content-Type": "application/json"}),
        admin.post("/auth/login", data="{", headers={"Content-Type": "application/json"}),
    ):
        assert_problem(response, 400)
    assert admin.get(f"/products/{product['id']}").json() == product


@pytest.mark.parametrize(
    "body, field",
    [
        ({"price": "-1.00"}, "price"),
        ({"price": "0"}, "price"),
        ({"price": "1.999"}, "price"),
        ({"price": 12.5}, "price"),
        ({"price": "NaN"}, "price"),
        ({"currency": "EURO"}, "currency"),
        ({"name": ""}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"description": LONG}, "description"),
        ({"sku": "has spaces"}, "sku"),
        ({"stock": 5}, "stock"),
        ({"colour": "blue"}, "colour"),
        ({"name": ["a", "list"]}, "name"),
    ],
)
def test_invalid_product_changes_are_rejected_and_change_nothing(admin, product, body, field):
    problem = assert_problem(admin.patch(f"/products/{product['id']}", json=body), 422)
    assert field in problem["errors"]["json"]
    assert admin.get(f"/products/{product['id']}").json() == product


@pytest.mark.parametrize(
    "stock", [-1, "5", 1.5, None, True, 10**12],
)
def test_invalid_stock_is_rejected(admin, product, stock):
    problem = assert_problem(admin.put(f"/products/{product['id']}/stock", json={"stock": stock}), 422)
    assert "stock" in problem["errors"]["json"]
    assert admin.get(f"/products/{product['id']}").json()["stock"] == product["stock"]


def test_valid_stock_is_set(admin, product):
    response = admin.put(f"/products/{product['id']}/stock", json={"stock": 0})
    assert response.status_code == 200 and response.json()["stock"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"sku": "OK-1", "name": "n", "price": "1.00", "currency": "EUR"},
        {"sku": "OK-1", "name": "n", "price": "1.00", "currency": "EUR", "stock": -1},
        {"sku": "OK-1", "name": "n", "price": "1.00", "currency": "EUR", "stock": 1, "id": "mine"},
        [],
        "a string",
    ],
)
def test_invalid_new_products_are_rejected(admin, body):
    assert_problem(admin.post("/products", json=body), 422)
    assert admin.get("/products", params={"q": "OK-1"}).json()["total"] == 0


def test_duplicate_sku_is_a_conflict(admin, product):
    body = {"sku": product["sku"], "name": "Twin", "price": "1.00", "currency": "EUR", "stock": 1}
    problem = assert_problem(admin.post("/products", json=body), 409)
    assert "sku" in problem["errors"]


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page": "abc"},
        {"page_size": 101},
        {"page_size": 0},
        {"min_price": "-3"},
        {"in_stock": "maybe"},
        {"currency": "XX"},
        {"q": "q" * 201},
        {"sort": "name"},
    ],
)
def test_bad_list_parameters_are_rejected(anonymous, params):
    problem = assert_problem(anonymous.get("/products", params=params), 422)
    assert problem["errors"]["query"]


def test_bad_pagination_on_users_and_history(admin, product):
    assert_problem(admin.get("/users", params={"page_size": 1000}), 422)
    assert_problem(admin.get(f"/products/{product['id']}/price-history", params={"page": -1}), 422)
    assert_problem(admin.get(f"/orders/{product['id']}/history", params={"page_size": 0}), 422)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": "a-long-enough-password", "name": "A"},
        {"email": "ok@example.com", "password": "short", "name": "A"},
        {"email": "ok@example.com", "password": "p" * 129, "name": "A"},
        {"email": "ok@example.com", "password": "a-long-enough-password", "name": "n" * 201},
        {"email": "ok@example.com", "password": "a-long-enough-password", "name": "A", "role": "admin"},
        {"email": 42, "password": "a-long-enough-password", "name": "A"},
    ],
)
def test_invalid_registrations_are_rejected(anonymous, body):
    assert_problem(anonymous.post("/auth/register", json=body), 422)
    login = anonymous.post("/auth/login", json={"email": "ok@example.com", "password": "a-long-enough-password"})
    assert_problem(login, 401)


def test_unknown_ids_are_404(anonymous, admin):
    assert_problem(anonymous.get("/products/does-not-exist"), 404)
    assert_problem(anonymous.get(f"/products/{'x' * 300}"), 404)
    assert_problem(admin.patch("/products/does-not-exist", json={"name": "n"}), 404)
    assert_problem(admin.get("/users/does-not-exist"), 404)
    assert_problem(anonymous.get("/no/such/route"), 404)


def test_wrong_method_is_405(anonymous):
    assert_problem(anonymous.request("PUT", "/products"), 405)


def test_oversized_body_is_413(admin):
    body = '{"sku": "' + "x" * 70000 + '"}'
    assert_problem(admin.post("/products", data=body, headers={"Content-Type": "application/json"}), 413)


def test_empty_patch_is_rejected(admin, product):
    assert_problem(admin.patch(f"/products/{product['id']}", json={}), 422)


def test_nul_characters_are_refused_not_a_500(anonymous, admin, product):
    assert_problem(anonymous.get("/products/abc%00def"), 400)
    assert_problem(anonymous.get("/products", params={"q": "a\x00b"}), 400)
    assert_problem(admin.patch(f"/products/{product['id']}", json={"name": "a\u0000b"}), 422)
    body = {"email": "nul@example.com", "password": "a-long-enough-password", "name": "N\u0000"}
    assert_problem(anonymous.post("/auth/register", json=body), 422)
    assert admin.get(f"/products/{product['id']}").json() == product


def test_order_time_filters_take_any_iso_offset_and_refuse_what_utc_cannot_hold(customer):
    # Found by the API fuzz run: PostgreSQL refuses offsets past ±15:59, which ISO 8601 allows (a 500).
    far_offset = customer.get("/orders", params={"created_from": "0207-01-26T14:06:21+20:52"})
    assert far_offset.status_code == 200 and far_offset.json()["total"] == 0
    problem = assert_problem(customer.get("/orders", params={"created_to": "0001-01-01T00:00:00+01:00"}), 422)
    assert problem["errors"]["query"]["created_to"]


# Every route with a JSON body, with a body it would take (ids filled in by `json_routes`): each
# string in it in turn is made bad. A route added without an entry fails the coverage test.
VALID_BODIES = {
    ("POST", "/api/v1/auth/register"): {"email": "{email}", "password": PASSWORD, "name": "N"},
    ("POST", "/api/v1/auth/login"): {"email": "{email}", "password": PASSWORD},
    ("POST", "/api/v1/auth/refresh"): {"refresh_token": "r"},
    ("POST", "/api/v1/auth/logout"): {"refresh_token": "r"},
    ("POST", "/api/v1/clients"): {"name": "n", "scopes": ["stock:write"]},
    ("POST", "/api/v1/products"): {"sku": "{sku}", "name": "n", "description": "d", "price": "1.00",
                                   "currency": "EUR", "stock": 1},
    ("PATCH", "/api/v1/products/{product_id}"): {"name": "n", "description": "d", "price": "1.00", "currency": "EUR"},
    ("PUT", "/api/v1/products/{product_id}/stock"): {"stock": 1},
    ("POST", "/api/v1/orders"): {"items": [{"product_id": "{product_id}", "quantity": 1}],
                                 "shipping_address": {**ADDRESS, "line2": "l"}, "payment_token": "tok_visa"},
    ("PATCH", "/api/v1/orders/{order_id}"): {"shipping_address": {**ADDRESS, "line2": "l"}},
    ("POST", "/api/v1/quotes"): {"items": [{"product_id": "{product_id}", "quantity": 1}]},
    ("POST", "/api/v1/orders/{order_id}/cancel"): {"reason": "r"},
    ("PATCH", "/api/v1/users/{user_id}"): {"email": "{email}", "name": "n"},
    ("POST", "/api/v1/invoices"): {"order_id": "{order_id}"},
    ("POST", "/api/v1/credit-notes"): {"order_id": "{order_id}"},
    ("POST", "/api/v1/orders/{order_id}/shipments"): {"items": [{"product_id": "{product_id}", "quantity": 1}],
                                                      "carrier": "c", "tracking_number": "t"},
    ("POST", "/api/v1/orders/{order_id}/cancel-items"): {"items": [{"product_id": "{product_id}", "quantity": 1}],
                                                         "reason": "r"},
    ("POST", "/api/v1/orders/{order_id}/returns"): {
        "items": [{"product_id": "{product_id}", "quantity": 1, "reason": "damaged"}], "note": "n"},
    ("POST", "/api/v1/returns/{return_id}/reject"): {"reason": "r"},
    ("POST", "/api/v1/returns/{return_id}/receive"): {
        "items": [{"product_id": "{product_id}", "quantity": 1, "restock": True}]},
    ("POST", "/api/v1/orders/{order_id}/refunds"): {"amount": "1.00", "reason": "r"},
    ("POST", "/api/v1/webhooks"): {"url": "http://127.0.0.1:9/hook", "event_types": ["order.*"], "description": "d",
                                   "enabled": False},
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): {"url": "http://127.0.0.1:9/hook", "description": "d"},
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): {"grace_seconds": 60},
    ("POST", "/api/v1/webhooks/{webhook_id}/replay"): {"since": "2026-01-01T00:00:00+00:00"},
}
DEEP = "[" * 10_000 + "]" * 10_000


def json_operations(system) -> set[tuple[str, str]]:
    document = requests.get(f"{system.url}/openapi.json", timeout=10).json()
    return {(method.upper(), path) for path, methods in document["paths"].items() for method, operation in
            methods.items() if method != "parameters"
            and "application/json" in operation.get("requestBody", {}).get("content", {})}


def test_every_json_route_has_a_valid_body_here(system):
    assert json_operations(system) == set(VALID_BODIES)


@pytest.fixture
def json_routes(admin, new_customer, product):
    """Each route with a JSON body: (method, its URL path under /api/v1, a body it takes, headers)."""
    user, _, api = new_customer()
    order = place(api, product).json()
    # No return exists: a bad body is refused before its id is looked up.
    ids = {"product_id": product["id"], "order_id": order["id"], "user_id": user["id"], "return_id": "no-such-return",
           "webhook_id": "no-such-webhook"}

    def fill(value):
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, str):
            fresh = {"email": f"{uuid.uuid4().hex[:12]}@example.com", "sku": f"BAD-{uuid.uuid4().hex[:8]}"}
            return value.format(**ids, **fresh)
        return value

    return [(method, path.removeprefix("/api/v1").format(**ids), fill(body), {"Idempotency-Key": uuid.uuid4().hex})
            for (method, path), body in VALID_BODIES.items()]


def with_each_string(body, bad: str):
    """Copies of `body`, each with one of its strings (keys too) made `bad`: (where, the copy)."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield key + " (key)", {**{k: v for k, v in body.items() if k != key}, bad: value}
            for where, changed in with_each_string(value, bad):
                yield f"{key}.{where}" if where else key, {**body, key: changed}
    elif isinstance(body, list):
        for index, value in enumerate(body):
            for where, changed in with_each_string(value, bad):
                yield f"{index}.{where}" if where else str(index), [*body[:index], changed, *body[index + 1:]]
    elif isinstance(body, str):
        yield "", bad


@pytest.mark.parametrize("body", [DEEP, "[" * 33 + "]" * 33, '{"stock": NaN}', '{"stock": Infinity}',
                                  '{"stock": 1e400}', '{"stock": ' + "9" * 5000 + "}"])
def test_json_no_route_takes_is_a_400_on_every_route(admin, json_routes, body):
    for method, path, _, headers in json_routes:
        response = admin.request(method, path, data=body, headers={**headers, "Content-Type": "application/json"})
        assert_problem(response, 400)


@pytest.mark.parametrize("bad", ["a\x00b", "x" * 20_000], ids=["nul", "oversized"])
def test_a_nul_or_an_oversized_string_anywhere_in_a_body_is_a_4xx_problem(admin, json_routes, bad):
    for method, path, body, headers in json_routes:
        for where, changed in with_each_string(body, bad):
            response = admin.request(method, path, json=changed, headers=headers)
            assert 400 <= response.status_code < 500, (method, path, where, response.status_code, response.text)
            assert_problem(response, response.status_code)


@pytest.mark.parametrize("field", ["grant_type", "client_id", "client_secret", "scope"])
@pytest.mark.parametrize("bad", ["a\x00b", "x" * 5000], ids=["nul", "oversized"])
def test_a_nul_or_an_oversized_oauth_form_field_is_a_400_problem(system, admin, field, bad):
    client = register_client(admin, "stock:write")
    form = {"grant_type": "client_credentials", "client_id": client["client_id"],
            "client_secret": client["client_secret"], "scope": "stock:write", field: bad}
    for path in ("/oauth/token", "/oauth/introspect"):
        problem = assert_problem(requests.post(f"{system.url}{path}", data=form, timeout=10), 400)
        assert "form" in problem["detail"]
    assert client_token(system, client)  # the client still gets its token


@pytest.mark.parametrize("bad", ["a\x00b", "x" * 5000], ids=["nul", "oversized"])
def test_a_nul_or_an_oversized_query_value_is_a_400_problem(anonymous, admin, bad):
    for api, path in ((anonymous, "/products"), (admin, "/orders"), (admin, "/orders/export"), (admin, "/users")):
        assert_problem(api.get(path, params={"page_size": bad}), 400)
        assert_problem(api.get(path, params={bad: "1"}), 400)
