"""Rate limits, on an in-process gateway with a tight limit talking to the running services as
the gateway's broker user (the users service believes the client addresses it sends), and on the
running gateway."""

import copy
import uuid

import pytest
import requests

from gateway.app import create_app
from plumbing.broker import amqp_uri_for
from tests.e2e.conftest import PASSWORD, assert_problem

# The running system's users service keeps config.yaml's limits.
PER_ADDRESS = 10


@pytest.fixture
def limited_client(system, config):
    settings = copy.deepcopy(config)
    settings["GATEWAY"]["RATE_LIMIT"] = "5/minute"
    settings["AMQP_URI"] = amqp_uri_for(config, "gateway")
    app = create_app(settings)
    client_ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    yield app.test_client(), client_ip
    app.extensions["oms"].rpc.close()


def test_a_client_over_the_general_limit_gets_429_with_retry_after(limited_client):
    client, ip = limited_client
    statuses = [client.get("/api/v1/products", environ_base={"REMOTE_ADDR": ip}).status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    limited = client.get("/api/v1/products", environ_base={"REMOTE_ADDR": ip})
    assert limited.content_type == "application/problem+json"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    other_client = client.get("/api/v1/products", environ_base={"REMOTE_ADDR": ip + "1"})
    assert other_client.status_code == 200


def register(anonymous) -> str:
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    response = anonymous.post("/auth/register", json={"email": email, "password": PASSWORD, "name": "Target"})
    assert response.status_code == 201, response.text
    return email


def test_failed_logins_are_limited_per_account_and_address_and_the_owner_logs_in_elsewhere(anonymous, config):
    assert config["LOGIN_LIMITS"]["PER_ADDRESS"] == f"{PER_ADDRESS}/hour"
    email = register(anonymous)
    settings = copy.deepcopy(config)
    settings["AMQP_URI"] = amqp_uri_for(config, "gateway")
    app = create_app(settings)  # the general limit off, as in the suite
    client = app.test_client()

    def login(password, ip):
        return client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
        )

    try:
        assert [login("wrong-password!", "10.9.9.1").status_code for _ in range(PER_ADDRESS)] == [401] * PER_ADDRESS
        blocked = login(PASSWORD, "10.9.9.1")  # the right password, not even checked
        assert blocked.status_code == 429 and blocked.content_type == "application/problem+json"
        assert 1 <= int(blocked.headers["Retry-After"]) <= 3600
        assert login(PASSWORD, "10.9.9.2").status_code == 200
    finally:
        app.extensions["oms"].rpc.close()


def test_the_running_gateway_limits_failed_logins_and_client_secrets(anonymous, admin):
    email = register(anonymous)
    wrong = [anonymous.post("/auth/login", json={"email": email, "password": "wrong-password!"}).status_code
             for _ in range(PER_ADDRESS)]
    assert wrong == [401] * PER_ADDRESS
    blocked = assert_problem(anonymous.post("/auth/login", json={"email": email, "password": PASSWORD}), 429)
    assert "Too many failed attempts" in blocked["detail"]

    created = admin.post("/clients", json={"name": "Guessed", "scopes": ["orders:read"]}).json()
    token_url = anonymous.base + "/oauth/token"

    def grant(secret):
        return requests.post(token_url, data={"grant_type": "client_credentials"},
                             auth=(created["client_id"], secret), timeout=15)

    assert [grant("not-the-secret").status_code for _ in range(PER_ADDRESS)] == [401] * PER_ADDRESS
    limited = grant(created["client_secret"])
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
