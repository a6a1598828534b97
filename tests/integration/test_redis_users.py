"""Each process reaches Redis as its own ACL user (plumbing/redis_users.py), created by the
provisioning: it can do what its code does there and is refused the rest.

The code that uses Redis fails open on a Redis error (a cache miss, no limit, no revocation check),
so what a user may do is proved by outcomes, never by the absence of an exception."""

import hashlib
import json
import secrets
import time

import pytest
import redis

from gateway.ratelimit import RateLimiter
from plumbing.product_cache import DELETED, GENERATION_KEY, ProductCache, SearchCache
from plumbing.ratelimit import Counter, Limit, count
from plumbing.redis_store import connect
from plumbing.redis_users import redis_uri_for
from plumbing.tokens import TokenVerifier, client_cutoff_key, revoked_session_key, user_cutoff_key
from scripts.provision import redis_grants
from users.throttle import KEY_PREFIX as LOGIN_FAILURES
from users.tokens import TokenIssuer
from wire.errors import Unauthenticated

PRINCIPALS = sorted(redis_grants())
SERVICES_BUT_USERS = [p for p in PRINCIPALS if p != "users"]


@pytest.fixture
def as_user(config):
    """A Redis client connected as a process's user."""
    clients = []

    def connect_as(principal: str) -> redis.Redis:
        clients.append(connect(redis_uri_for(config, principal)))
        return clients[-1]

    yield connect_as
    for client in clients:
        client.close()


@pytest.fixture
def issuer(config, as_user) -> TokenIssuer:
    return TokenIssuer(config["AUTH"], as_user("users"))


def test_every_process_that_uses_redis_has_a_user(config):
    assert PRINCIPALS == sorted(["gateway", "users", "products", "orders", "payments", "notifications",
                                 "order_queries", "webhooks"])
    assert set(PRINCIPALS) <= set(config["REDIS"]["PASSWORDS"])


def test_users_keeps_refresh_tokens_and_revokes_as_its_own_user(issuer):
    tokens = issuer.issue("user-1", "customer")
    assert tokens["refresh_token"]
    assert issuer.consume_refresh(tokens["refresh_token"])["user_id"] == "user-1"
    assert issuer.consume_refresh(tokens["refresh_token"]) is None  # used up

    later = issuer.issue("user-1", "customer")
    issuer.revoke_user("user-1")
    assert issuer.consume_refresh(later["refresh_token"]) is None
    with pytest.raises(Unauthenticated, match="revoked"):
        issuer.verifier.verify(later["access_token"])


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_every_process_sees_revocations(config, issuer, as_user, principal):
    verifier = TokenVerifier(config["AUTH"], as_user(principal))
    logged_out = issuer.issue("user-2", "customer")["access_token"]
    client = issuer.issue_client("svc-x", ["orders:read"])["access_token"]
    assert verifier.verify(logged_out).id == "user-2"
    issuer.revoke_session(verifier.claims(logged_out)["sid"])
    issuer.revoke_client("svc-x")
    for token in (logged_out, client):
        with pytest.raises(Unauthenticated, match="revoked"):
            verifier.verify(token)


def test_products_writes_the_cache_and_the_gateway_reads_it(config, as_user):
    ttl = int(config["PRODUCT_CACHE_TTL_SECONDS"])
    writer, reader = ProductCache(as_user("products"), ttl), ProductCache(as_user("gateway"), ttl)
    writer.store("p-1", 1, {"id": "p-1", "price": "1.00"})
    writer.store("p-2", 1, None)
    assert writer.get("p-1") == reader.get("p-1") == {"id": "p-1", "price": "1.00"}
    assert reader.get_many(["p-1", "p-2", "p-3"]) == {"p-1": {"id": "p-1", "price": "1.00"}, "p-2": DELETED}

    searches = SearchCache(as_user("gateway"), int(config["SEARCH_CACHE_TTL_SECONDS"]))
    generation, page = searches.get({"q": "tea"})
    assert generation is not None and page is None
    searches.store({"q": "tea"}, generation, {"items": []})
    assert searches.get({"q": "tea"}) == (generation, {"items": []})


def test_the_gateway_counts_its_rate_limits(as_user):
    limiter = RateLimiter(as_user("gateway"), Limit(1, 60))
    client = secrets.token_hex(4)
    assert limiter.hit(client) is None
    assert limiter.hit(client) is not None  # counted: the second is over the limit


def test_only_users_counts_failed_logins(as_user):
    counter = [Counter(f"{LOGIN_FAILURES}password:{secrets.token_hex(4)}", Limit(1, 60))]
    assert count(as_user("users"), counter, time.time()) == [1]
    assert count(as_user("gateway"), counter, time.time()) is None  # NOPERM: the limiter can't count


def _planted_refresh(user_id: str) -> tuple[str, str, str]:
    """(the token, its key, a record for it) as an attacker would write them."""
    token = secrets.token_urlsafe(32)
    record = json.dumps({"user_id": user_id, "sid": "planted", "iat": time.time()})
    return token, "oms:auth:refresh:" + hashlib.sha256(token.encode()).hexdigest(), record


# What a process must not do, whatever it is: another owner's keys, or the server's administration.
FORBIDDEN_TO_ALL = {
    "flush the db": lambda r: r.flushdb(),
    "list every key": lambda r: r.keys("*"),
    "reconfigure the server": lambda r: r.config_set("maxmemory", "1"),
    "create a user": lambda r: r.execute_command("ACL", "SETUSER", "intruder", "on", ">x", "~*", "+@all"),
    "run a script": lambda r: r.eval("return 1", 0),
}
FORBIDDEN_TO_ALL_BUT_USERS = {
    "plant a refresh token": lambda r: r.set(*_planted_refresh("admin-id")[1:]),
    "read a refresh token": lambda r: r.get(_planted_refresh("x")[1]),
    "clear a session's revocation": lambda r: r.delete(revoked_session_key("sid")),
    "move a user's cutoff back": lambda r: r.set(user_cutoff_key("admin-id"), "0"),
    "move a client's cutoff back": lambda r: r.set(client_cutoff_key("svc-orders"), "0"),
}
FORBIDDEN = {
    **{(p, what): act for p in PRINCIPALS for what, act in FORBIDDEN_TO_ALL.items()},
    **{(p, what): act for p in SERVICES_BUT_USERS for what, act in FORBIDDEN_TO_ALL_BUT_USERS.items()},
    ("gateway", "write a product entry"): lambda r: r.set(ProductCache.key("p-1"), "9|{}"),
    ("gateway", "move the catalog's generation"): lambda r: r.set(GENERATION_KEY, "1"),
    ("users", "write a product entry"): lambda r: r.set(ProductCache.key("p-1"), "9|{}"),
    ("products", "write a rate limit counter"): lambda r: r.set("oms:gateway:ratelimit:client:x:1", "0"),
    **{(p, "read a product entry"): (lambda r: r.get(ProductCache.key("p-1")))
       for p in ["users", "orders", "payments", "notifications", "order_queries"]},
}


@pytest.mark.parametrize(("principal", "what"), sorted(FORBIDDEN))
def test_what_a_process_must_not_do_is_refused(as_user, principal, what):
    with pytest.raises(redis.exceptions.NoPermissionError):
        FORBIDDEN[principal, what](as_user(principal))


@pytest.mark.parametrize("principal", SERVICES_BUT_USERS)
def test_a_refresh_token_planted_by_another_process_gives_nothing(issuer, as_user, redis_client, principal):
    token, key, record = _planted_refresh("admin-id")
    with pytest.raises(redis.exceptions.NoPermissionError):
        as_user(principal).set(key, record)
    assert not redis_client.exists(key)
    assert issuer.consume_refresh(token) is None


def test_a_refresh_token_planted_by_the_redis_administrator_gives_nothing(issuer, redis_client):
    token, key, record = _planted_refresh("admin-id")
    redis_client.set(key, record)  # the bare record users wrote before records were sealed
    assert issuer.consume_refresh(token) is None
    genuine = issuer.issue("user-3", "customer")["refresh_token"]
    sealed = redis_client.get("oms:auth:refresh:" + hashlib.sha256(genuine.encode()).hexdigest())
    redis_client.set(key, sealed)  # a genuine record, moved to a token the attacker knows
    assert issuer.consume_refresh(token) is None
    assert issuer.consume_refresh(genuine)["user_id"] == "user-3"


def test_a_wrong_password_is_refused(config):
    client = connect(redis_uri_for({**config, "REDIS": {**config["REDIS"], "PASSWORDS": {"orders": "wrong"}}},
                                   "orders"))
    with pytest.raises(redis.exceptions.AuthenticationError):
        client.get("x")
    client.close()
