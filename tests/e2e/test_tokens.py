"""Every protected route rejects a bad token with 401 and a customer on an admin route with 403."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.e2e.conftest import PASSWORD, assert_problem, login


@pytest.fixture(scope="module")
def signing_key(config):
    with open(config["AUTH"]["PRIVATE_KEY_PATH"], "rb") as pem:
        return serialization.load_pem_private_key(pem.read(), password=None)


def claims(config, **overrides):
    now = time.time()
    base = {
        "iss": config["AUTH"]["ISSUER"],
        "aud": config["AUTH"]["AUDIENCE"],
        "sub": "someone",
        "role": "admin",
        "sid": "session-1",
        "iat": now,
        "exp": int(now) + 300,
    }
    return {**base, **overrides}


def test_a_well_formed_token_signed_by_users_key_is_accepted(anonymous, config, signing_key):
    token = jwt.encode(claims(config), signing_key, algorithm="EdDSA")
    assert anonymous.as_user(token).get("/users").status_code == 200


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda config, key: None, id="missing"),
        pytest.param(lambda config, key: "not.a.jwt", id="garbage"),
        pytest.param(
            lambda config, key: jwt.encode(claims(config, exp=int(time.time()) - 10), key, algorithm="EdDSA"),
            id="expired",
        ),
        pytest.param(
            lambda config, key: jwt.encode(claims(config, aud="another-api"), key, algorithm="EdDSA"),
            id="wrong-audience",
        ),
        pytest.param(
            lambda config, key: jwt.encode(claims(config, iss="someone-else"), key, algorithm="EdDSA"),
            id="wrong-issuer",
        ),
        pytest.param(
            lambda config, key: jwt.encode(claims(config), Ed25519PrivateKey.generate(), algorithm="EdDSA"),
            id="signed-by-another-key",
        ),
        pytest.param(
            lambda config, key: jwt.encode(claims(config), "a-shared-secret-of-32-bytes-long!", algorithm="HS256"),
            id="wrong-algorithm",
        ),
        pytest.param(
            lambda config, key: jwt.encode(claims(config), None, algorithm="none"),
            id="unsigned",
        ),
        pytest.param(
            lambda config, key: _tampered(jwt.encode(claims(config, role="customer"), key, algorithm="EdDSA")),
            id="tampered",
        ),
    ],
)
def test_bad_tokens_are_unauthorized(anonymous, config, signing_key, make_token):
    token = make_token(config, signing_key)
    api = anonymous.as_user(token) if token else anonymous
    for response in (api.get("/users/me"), api.get("/users"), api.post("/products", json={})):
        body = assert_problem(response, 401)
        assert body["detail"]


def _tampered(token: str) -> str:
    """Swap the payload for one claiming the admin role, keeping the original signature."""
    header, _, signature = token.split(".")
    payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(token.split(".")[1]).replace(b'"customer"', b'"admin"')
    ).decode()
    return f"{header}.{payload}.{signature}"


def test_a_customer_on_an_admin_route_is_forbidden(customer, product):
    assert_problem(customer.get("/users"), 403)
    assert_problem(customer.post("/products", json={"sku": "X"}), 403)
    assert_problem(customer.patch(f"/products/{product['id']}", json={"price": "1.00"}), 403)
    assert_problem(customer.put(f"/products/{product['id']}/stock", json={"stock": 0}), 403)
    assert_problem(customer.delete(f"/products/{product['id']}"), 403)


def test_a_customer_reads_only_its_own_account(new_customer):
    ada, _, as_ada = new_customer("Ada")
    bob, _, _ = new_customer("Bob")
    assert as_ada.get(f"/users/{ada['id']}").status_code == 200
    assert_problem(as_ada.get(f"/users/{bob['id']}"), 404)
    assert_problem(as_ada.patch(f"/users/{bob['id']}", json={"name": "Mallory"}), 404)


def test_a_role_change_voids_the_old_token(admin, new_customer):
    user, _, as_user = new_customer()
    assert as_user.get("/users/me").status_code == 200
    assert admin.patch(f"/users/{user['id']}", json={"role": "admin"}).json()["role"] == "admin"
    assert_problem(as_user.get("/users/me"), 401)


def test_a_deleted_user_is_locked_out(admin, new_customer):
    user, tokens, as_user = new_customer()
    assert admin.delete(f"/users/{user['id']}").status_code == 204
    assert_problem(as_user.get("/users/me"), 401)
    assert_problem(admin.get(f"/users/{user['id']}"), 404)


def test_a_password_change_asks_for_the_current_one_and_signs_out_the_users_other_sessions(anonymous, new_customer):
    user, this, as_user = new_customer()
    other = login(anonymous, user["email"], PASSWORD)
    me = f"/users/{user['id']}"
    missing = assert_problem(as_user.patch(me, json={"password": "a-new-password"}), 422)
    assert "current_password" in missing["errors"]["json"]
    wrong = assert_problem(as_user.patch(me, json={"password": "a-new-password", "current_password": "not-it"}), 403)
    assert wrong["errors"] == {"current_password": ["Wrong password."]}
    changed = as_user.patch(me, json={"password": "a-new-password", "current_password": PASSWORD})
    assert changed.status_code == 200, changed.text
    assert_problem(anonymous.as_user(other["access_token"]).get("/users/me"), 401)
    assert_problem(anonymous.post("/auth/refresh", json={"refresh_token": other["refresh_token"]}), 401)
    assert as_user.get("/users/me").status_code == 200  # the session that made the change
    assert anonymous.post("/auth/refresh", json={"refresh_token": this["refresh_token"]}).status_code == 200
    login(anonymous, user["email"], "a-new-password")


def test_an_admin_changes_a_users_email_with_its_own_password(admin, new_customer, config):
    user, _, as_user = new_customer()
    new_email = {"email": f"moved-{user['email']}"}
    assert_problem(admin.patch(f"/users/{user['id']}", json={**new_email, "current_password": PASSWORD}), 403)
    changed = admin.patch(f"/users/{user['id']}", json={**new_email, "current_password": config["ADMIN"]["PASSWORD"]})
    assert changed.status_code == 200 and changed.json()["email"] == new_email["email"], changed.text
    assert_problem(as_user.get("/users/me"), 401)  # the user's sessions are signed out
    assert admin.get("/users/me").status_code == 200
