"""register → login → refresh → admin creates a product → customer finds it → price change
shows at once → logout revokes."""

import uuid

from tests.e2e.conftest import PASSWORD, assert_problem, login


def test_a_shopper_journey_through_the_gateway(anonymous, admin):
    email = f"journey-{uuid.uuid4().hex[:8]}@example.com"
    registered = anonymous.post("/auth/register", json={"email": email, "password": PASSWORD, "name": "Jo"})
    assert registered.status_code == 201
    user = registered.json()
    assert user["role"] == "customer" and "password" not in user

    tokens = login(anonymous, email.upper(), PASSWORD)
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
    refreshed = anonymous.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    assert_problem(anonymous.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    tokens = refreshed.json()
    me = anonymous.as_user(tokens["access_token"])
    assert me.get("/users/me").json()["id"] == user["id"]

    word = uuid.uuid4().hex[:10]
    created = admin.post(
        "/products",
        json={"sku": f"J-{word}", "name": f"Lantern {word}", "description": "Bright camping lanterns",
              "price": "24.50", "currency": "EUR", "stock": 7},
    )
    assert created.status_code == 201
    product = created.json()

    found = me.get("/products", params={"q": f"{word} lantern"}).json()
    assert [item["id"] for item in found["items"]] == [product["id"]] and found["total"] == 1
    assert me.get(f"/products/{product['id']}").json()["price"] == "24.50"

    changed = admin.patch(f"/products/{product['id']}", json={"price": "21.00"})
    assert changed.status_code == 200 and changed.json()["price"] == "21.00"
    assert me.get(f"/products/{product['id']}").json()["price"] == "21.00"
    history = me.get(f"/products/{product['id']}/price-history").json()
    assert [entry["price"] for entry in history["items"]] == ["21.00", "24.50"]

    assert anonymous.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert_problem(anonymous.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    assert_problem(me.get("/users/me"), 401)
