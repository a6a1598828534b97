"""Rate limits, on an in-process gateway with tight limits talking to the running services."""

import copy
import uuid

import pytest

from gateway.app import create_app
from tests.e2e.conftest import PASSWORD


@pytest.fixture
def limited_client(system, config):
    settings = copy.deepcopy(config)
    settings["GATEWAY"]["RATE_LIMIT"] = "5/minute"
    settings["GATEWAY"]["LOGIN_RATE_LIMIT"] = "3/minute"
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


def test_failed_logins_are_limited_per_account(anonymous, limited_client):
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    anonymous.post("/auth/register", json={"email": email, "password": PASSWORD, "name": "Target"})
    client, _ = limited_client

    def login(password, ip):
        return client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
        )

    # Each guess from another address: the limit is per account, not per client.
    assert [login("wrong-password!", f"10.9.9.{i}").status_code for i in range(3)] == [401, 401, 401]
    blocked = login(PASSWORD, "10.9.9.200")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    other = anonymous.post("/auth/register", json={"email": "x" + email, "password": PASSWORD, "name": "Other"})
    assert other.status_code == 201
    other_login = client.post(
        "/api/v1/auth/login",
        json={"email": "x" + email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.9.201"},
    )
    assert other_login.status_code == 200
