"""Bad input on every route is a 4xx problem+json, and the data is unchanged."""

import pytest

from tests.e2e.conftest import assert_problem

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
        {"min_price": "10.00", "max_price": "5.00"},
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
