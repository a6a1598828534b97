"""What each process may do in Redis, read off its code (plumbing/redis_users.py)."""

from urllib.parse import urlsplit

import redis

from plumbing.redis_users import RedisGrant, acl_rules, grant, redis_uri_for
from plumbing.tokens import VERIFIER_GRANT
from scripts.provision import redis_grants


def test_services_that_only_check_tokens_only_read_revocations():
    grants = redis_grants()
    for service in ("orders", "payments", "notifications", "order_queries"):
        assert grants[service] == VERIFIER_GRANT, service
    assert VERIFIER_GRANT.write == frozenset() and VERIFIER_GRANT.commands == {"mget"}


def test_only_users_writes_the_keys_of_tokens():
    grants = redis_grants()
    for name, allowed in grants.items():
        writes_auth = any(pattern.startswith("oms:auth:") for pattern in allowed.write)
        assert writes_auth == (name == "users"), name
        assert all(pattern.startswith(f"oms:{'auth' if name == 'users' else name}:") for pattern in allowed.write)


def test_rules_start_from_nothing_and_mark_keys_it_only_reads():
    rules = acl_rules(grant(read=["a:*", "b:*"], write=["b:*"], commands=["get"]), "pw")
    assert rules[:3] == ["reset", "on", ">pw"]
    assert rules[3:] == ["%R~a:*", "~b:*", "resetchannels", "-@all", "+get", "+select"]


def test_a_process_uri_carries_its_user_and_password_quoted(config):
    odd = {**config, "REDIS_URI": "rediss://redis.internal:6380/2",
           "REDIS": {**config["REDIS"], "USER_PREFIX": "oms", "PASSWORDS": {"orders": "p@ss:/word"}}}
    uri = redis_uri_for(odd, "orders")
    assert urlsplit(uri).netloc.endswith("@redis.internal:6380") and uri.startswith("rediss://oms-orders:")
    kwargs = redis.connection.parse_url(uri)
    assert (kwargs["username"], kwargs["password"], kwargs["db"]) == ("oms-orders", "p@ss:/word", 2)


def test_grants_combine():
    assert grant(read=["a"]) | grant(write=["b"], commands=["get"]) == RedisGrant(
        frozenset({"a"}), frozenset({"b"}), frozenset({"get"}))
