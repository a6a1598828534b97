"""Every process of the running system reaches Redis as its own user, and a refresh token planted
in Redis gets nobody a token (issue 22)."""

import hashlib
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
import redis

from plumbing.redis_store import connect
from plumbing.redis_users import redis_uri_for, user_name
from scripts.system import GATEWAY, SERVICES
from tests.e2e.conftest import assert_problem
from tests.polling import wait_until

# A signed-in request that makes each process check a token or use its cache.
TOUCHES = {"users": "/users", "orders": "/orders", "payments": "/invoices", "notifications": "/notifications",
           "order_queries": "/orders/export", "webhooks": "/webhooks"}


def redis_user_of(process) -> str:
    environment = dict(
        line.split("=", 1) for line in Path(f"/proc/{process.pid}/environ").read_text().split("\0") if "=" in line
    )
    return urlsplit(environment["REDIS_URI"]).username


def test_every_process_reaches_redis_as_its_own_user(system, config, admin, product, redis_client):
    for name in [*SERVICES, GATEWAY]:
        assert redis_user_of(system.processes[name]) == user_name(config, name), name
    for path in TOUCHES.values():
        assert admin.get(path).status_code == 200, path
    assert admin.get(f"/products/{product['id']}").status_code == 200
    expected = {user_name(config, name) for name in [*SERVICES, GATEWAY]}
    wait_until(lambda: expected <= {client["user"] for client in redis_client.client_list()},
               what="every process connected to Redis as its own user")


def test_a_refresh_token_planted_in_redis_gets_no_token(system, anonymous, admin, config, redis_client):
    """The attack of issue 22: a record for the admin's id under the hash of a token the attacker
    chose. The gateway's Redis user may not write it; one written by Redis's administrator is
    refused by users, who did not seal it."""
    admin_id = jwt.decode(admin.token, options={"verify_signature": False})["sub"]
    token = "planted-" + hashlib.sha256(str(time.time()).encode()).hexdigest()
    key = "oms:auth:refresh:" + hashlib.sha256(token.encode()).hexdigest()
    record = json.dumps({"user_id": admin_id, "sid": "planted", "iat": time.time() + 60})
    gateway = connect(redis_uri_for(config, GATEWAY))
    with pytest.raises(redis.exceptions.NoPermissionError):
        gateway.set(key, record)
    gateway.close()
    assert_problem(anonymous.post("/auth/refresh", json={"refresh_token": token}), 401)

    redis_client.set(key, record)
    assert_problem(anonymous.post("/auth/refresh", json={"refresh_token": token}), 401)
