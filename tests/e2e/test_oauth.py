"""OAuth2 for service clients and integrators, end to end: client management, the
client-credentials grant (RFC 6749 §4.4), introspection (RFC 7662) and what a client's scopes
let it do through the gateway and over RPC."""

import uuid

import pytest
import requests

from operations.session import proxy
from tests.e2e.conftest import assert_problem
from wire.errors import Unauthenticated


def register_client(admin, *scopes: str) -> dict:
    response = admin.post("/clients", json={"name": f"erp {uuid.uuid4().hex[:6]}", "scopes": list(scopes)})
    assert response.status_code == 201, response.text
    return response.json()


def token_request(system, data: dict, auth=None) -> requests.Response:
    return requests.post(f"{system.url}/oauth/token", data=data, auth=auth, timeout=15)


def client_token(system, client: dict, **extra) -> str:
    response = token_request(system, {"grant_type": "client_credentials", **extra},
                             auth=(client["client_id"], client["client_secret"]))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def oauth_error(response: requests.Response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] == error and body["error_description"], body
    return body


def test_a_client_is_registered_its_secret_shown_once(admin):
    client = register_client(admin, "stock:write")
    assert client["client_id"].startswith("cl_") and len(client["client_secret"]) >= 32
    assert client["scopes"] == ["stock:write"] and client["revoked_at"] is None
    listed = admin.get("/clients", params={"page_size": 100}).json()
    mine = [each for each in listed["items"] if each["client_id"] == client["client_id"]]
    assert mine and "client_secret" not in mine[0]
    assert "client_secret" not in admin.get(f"/clients/{client['client_id']}").json()
    assert {"svc-orders", "svc-products"} <= {each["client_id"] for each in listed["items"]}


def test_only_an_admin_manages_clients(customer, admin):
    assert_problem(customer.post("/clients", json={"name": "x", "scopes": ["stock:write"]}), 403)
    assert_problem(customer.get("/clients"), 403)
    bad = admin.post("/clients", json={"name": "x", "scopes": ["everything"]})
    assert_problem(bad, 422)
    assert_problem(admin.post("/clients", json={"name": "x", "scopes": []}), 422)
    assert_problem(admin.get("/clients/no-such-client"), 404)


def test_the_token_endpoint_issues_a_short_lived_bearer_token(system, admin):
    client = register_client(admin, "stock:write", "orders:read")
    by_basic = token_request(system, {"grant_type": "client_credentials"},
                             auth=(client["client_id"], client["client_secret"]))
    assert by_basic.status_code == 200, by_basic.text
    assert by_basic.headers["Cache-Control"] == "no-store" and by_basic.headers["Pragma"] == "no-cache"
    body = by_basic.json()
    assert body["token_type"] == "Bearer" and 0 < body["expires_in"] <= 3600
    assert body["scope"] == "orders:read stock:write"
    by_form = token_request(system, {"grant_type": "client_credentials", "client_id": client["client_id"],
                                     "client_secret": client["client_secret"], "scope": "orders:read"})
    assert by_form.status_code == 200 and by_form.json()["scope"] == "orders:read"


def test_the_token_endpoint_refuses_as_rfc_6749_says(system, admin):
    client = register_client(admin, "stock:write")
    credentials = (client["client_id"], client["client_secret"])
    wrong = oauth_error(token_request(system, {"grant_type": "client_credentials"},
                                      auth=(client["client_id"], "wrong")), 401, "invalid_client")
    assert wrong["request_id"]
    unknown = token_request(system, {"grant_type": "client_credentials"}, auth=("cl_nobody", "x"))
    assert oauth_error(unknown, 401, "invalid_client") and unknown.headers["WWW-Authenticate"].startswith("Basic")
    oauth_error(token_request(system, {"grant_type": "password"}, auth=credentials), 400, "unsupported_grant_type")
    oauth_error(token_request(system, {}, auth=credentials), 400, "invalid_request")
    oauth_error(token_request(system, {"grant_type": "client_credentials", "scope": "catalog:write"},
                              auth=credentials), 400, "invalid_scope")
    oauth_error(token_request(system, {"grant_type": "client_credentials"}), 401, "invalid_client")
    as_json = requests.post(f"{system.url}/oauth/token", json={"grant_type": "client_credentials"},
                            auth=credentials, timeout=15)
    oauth_error(as_json, 400, "invalid_request")
    twice = token_request(system, {"grant_type": "client_credentials", "client_secret": "x"}, auth=credentials)
    oauth_error(twice, 400, "invalid_request")


def test_an_integrator_may_do_what_its_scopes_allow_and_nothing_else(system, admin, anonymous, product):
    erp = anonymous.as_user(client_token(system, register_client(admin, "stock:write")))
    changed = erp.put(f"/products/{product['id']}/stock", json={"stock": 42})
    assert changed.status_code == 200 and changed.json()["stock"] == 42
    assert_problem(erp.patch(f"/products/{product['id']}", json={"price": "1.00"}), 403)
    assert_problem(erp.get("/orders"), 403)
    assert_problem(erp.get("/users/me"), 403)
    assert_problem(erp.post("/orders", json={}, headers={"Idempotency-Key": "k"}), 403)


def test_a_reader_client_sees_every_order(system, admin, anonymous, new_customer, product):
    _, _, shopper = new_customer()
    placed = shopper.post("/orders", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
        "items": [{"product_id": product["id"], "quantity": 1}], "payment_token": "tok_visa",
        "shipping_address": {"name": "A", "line1": "1 St", "city": "C", "postal_code": "1", "country": "FR"}})
    assert placed.status_code == 201, placed.text
    reader = anonymous.as_user(client_token(system, register_client(admin, "orders:read")))
    assert reader.get(f"/orders/{placed.json()['id']}").status_code == 200
    assert reader.get("/orders").json()["total"] >= 1
    assert_problem(reader.post(f"/orders/{placed.json()['id']}/cancel"), 403)


def introspect(system, token: str, auth) -> requests.Response:
    return requests.post(f"{system.url}/oauth/introspect", data={"token": token}, auth=auth, timeout=15)


def test_introspection_tells_an_integrator_whether_a_token_is_active(system, admin):
    asker = register_client(admin, "orders:read")
    auth = (asker["client_id"], asker["client_secret"])
    subject = register_client(admin, "stock:write")
    token = client_token(system, subject)
    active = introspect(system, token, auth)
    assert active.status_code == 200, active.text
    body = active.json()
    assert body["active"] is True and body["sub"] == subject["client_id"] == body["client_id"]
    assert body["scope"] == "stock:write" and body["exp"] > body["iat"] and body["token_type"] == "Bearer"
    spring = requests.post(f"{system.url}/oauth/check_token", data={"token": token}, auth=auth, timeout=15)
    assert spring.json() == body
    assert introspect(system, "not-a-token", auth).json() == {"active": False}
    user_token = admin.token
    as_admin = requests.post(f"{system.url}/oauth/introspect", data={"token": user_token},
                             headers={"Authorization": f"Bearer {user_token}"}, timeout=15)
    assert as_admin.json()["active"] is True and as_admin.json()["role"] == "admin"
    oauth_error(introspect(system, token, None), 401, "invalid_client")
    oauth_error(introspect(system, token, (asker["client_id"], "wrong")), 401, "invalid_client")


def test_a_rotated_secret_replaces_the_old_one(system, admin):
    client = register_client(admin, "stock:write")
    rotated = admin.post(f"/clients/{client['client_id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["client_secret"] != client["client_secret"]
    oauth_error(token_request(system, {"grant_type": "client_credentials"},
                              auth=(client["client_id"], client["client_secret"])), 401, "invalid_client")
    assert client_token(system, {**client, "client_secret": rotated.json()["client_secret"]})


def test_revoking_a_client_stops_its_tokens_at_once_everywhere(system, admin, anonymous, product, config):
    client = register_client(admin, "stock:write", "orders:read")
    token = client_token(system, client)
    erp = anonymous.as_user(token)
    assert erp.put(f"/products/{product['id']}/stock", json={"stock": 7}).status_code == 200
    with proxy(config, token) as rpc:
        rpc.orders.list_orders({})  # a service takes it too

    revoked = admin.post(f"/clients/{client['client_id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert admin.post(f"/clients/{client['client_id']}/revoke").json() == revoked.json()  # idempotent

    assert_problem(erp.put(f"/products/{product['id']}/stock", json={"stock": 8}), 401)
    with proxy(config, token) as rpc, pytest.raises(Unauthenticated):
        rpc.orders.list_orders({})
    oauth_error(token_request(system, {"grant_type": "client_credentials"},
                              auth=(client["client_id"], client["client_secret"])), 401, "invalid_client")
    assert introspect(system, token, None).status_code == 401
    assert_problem(admin.post(f"/clients/{client['client_id']}/rotate-secret"), 409)
