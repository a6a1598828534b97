"""Failed logins and client-secret checks are limited by users itself (issue 22, point 2), over
the broker as the gateway and the services call it: a standalone proxy per broker user."""

import eventlet
import pytest

from gateway.rpc import RpcPool
from tests.integration.test_reply_privacy import as_principal
from users.service import UsersService
from wire.errors import Forbidden, TooManyAttempts, Unauthenticated

PASSWORD = "correct-horse-battery"
WRONG = "wrong-password-1"
PER_ADDRESS, PER_ACCOUNT = 3, 5
SVC_ORDERS = "svc-orders"


@pytest.fixture
def users(start_container, config):
    limits = {"PER_ADDRESS": f"{PER_ADDRESS}/hour", "PER_ACCOUNT": f"{PER_ACCOUNT}/hour"}
    return start_container(UsersService, {**config, "LOGIN_LIMITS": limits})


@pytest.fixture
def as_broker_user(config):
    """RPC pools connected as broker users: `as_broker_user("gateway").call(...)`."""
    pools = []

    def pool(principal: str, size: int = 2) -> RpcPool:
        pools.append(RpcPool(as_principal(config, principal), size=size, timeout=5))
        return pools[-1]

    yield pool
    for each in pools:
        each.close()


@pytest.fixture
def gateway(users, as_broker_user):
    return as_broker_user("gateway")


@pytest.fixture
def ada(gateway):
    return gateway.call("users", "register", {"email": "ada@example.com", "password": PASSWORD, "name": "Ada"})


def login(pool: RpcPool, password: str, address: str | None = None, email: str = "ada@example.com") -> dict:
    return pool.call("users", "login", {"email": email, "password": password}, client_address=address)


def fail(attempt, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            attempt()


def test_a_burst_from_one_address_is_refused_there_while_the_owner_logs_in_from_another(gateway, ada):
    fail(lambda: login(gateway, WRONG, "203.0.113.7"), PER_ADDRESS)
    with pytest.raises(TooManyAttempts) as limited:
        login(gateway, PASSWORD, "203.0.113.7")  # the right password: not even checked
    assert 1 <= limited.value.retry_after <= 3600
    assert login(gateway, PASSWORD, "198.51.100.1")["access_token"]


def test_guesses_sent_at_once_are_checked_no_more_than_the_limit(users, as_broker_user, ada):
    gateway = as_broker_user("gateway", size=10)

    def guess():
        try:
            login(gateway, WRONG, "203.0.113.8")
        except (Unauthenticated, TooManyAttempts) as exc:
            return type(exc)

    outcomes = [thread.wait() for thread in [eventlet.spawn(guess) for _ in range(10)]]
    assert sorted(outcome.__name__ for outcome in outcomes) == ["TooManyAttempts"] * 7 + ["Unauthenticated"] * 3


def test_guesses_spread_over_addresses_meet_the_slower_per_account_limit(gateway, ada):
    for i in range(PER_ACCOUNT):
        fail(lambda i=i: login(gateway, WRONG, f"203.0.113.{i}"), 1)
    with pytest.raises(TooManyAttempts):
        login(gateway, PASSWORD, "198.51.100.1")
    # Other accounts are not concerned.
    gateway.call("users", "register", {"email": "bob@example.com", "password": PASSWORD, "name": "Bob"})
    assert login(gateway, PASSWORD, "203.0.113.0", email="bob@example.com")["access_token"]


def test_a_direct_caller_is_limited_as_its_broker_user_whatever_address_it_claims(gateway, as_broker_user, ada):
    orders = as_broker_user("orders")
    for i in range(PER_ADDRESS):
        fail(lambda i=i: login(orders, WRONG, f"203.0.113.{i}"), 1)
    with pytest.raises(TooManyAttempts):
        login(orders, PASSWORD, "203.0.113.200")
    # Only the gateway's requests count per account: the owner logs in through it.
    assert login(gateway, PASSWORD, "198.51.100.1")["access_token"]


def test_failed_client_secrets_are_limited_at_the_grant_and_at_introspection(gateway, as_broker_user, config):
    secret = config["SERVICE_CLIENTS"]["orders"]["SECRET"]

    def grant(secret_tried: str):
        return gateway.call("users", "issue_client_token", SVC_ORDERS, secret_tried, client_address="203.0.113.9")

    fail(lambda: grant("not-the-secret"), PER_ADDRESS - 1)
    fail(lambda: gateway.call("users", "introspect_token", "some-token", SVC_ORDERS, "not-the-secret",
                              client_address="203.0.113.9"), 1)
    with pytest.raises(TooManyAttempts):
        grant(secret)
    # The service itself, asking as its own broker user, still gets its token.
    assert as_broker_user("orders").call("users", "issue_client_token", SVC_ORDERS, secret)["access_token"]


def test_introspection_without_credentials_is_refused_and_blocks_no_one(gateway):
    """No client secret was tried, so nothing counts: past the limits it is still a 401, never
    a shared 429 for every caller without credentials."""
    for _ in range(PER_ACCOUNT + 1):
        with pytest.raises(Unauthenticated):
            gateway.call("users", "introspect_token", "some-token", client_address="203.0.113.20")


def test_wrong_current_passwords_count_as_failed_logins(gateway, ada):
    token = login(gateway, PASSWORD, "198.51.100.1")["access_token"]

    def change(current: str):
        changes = {"password": "a-new-password", "current_password": current}
        return gateway.call("users", "update_user", ada["id"], changes, auth_token=token, client_address="203.0.113.5")

    for _ in range(PER_ADDRESS):
        with pytest.raises(Forbidden) as wrong:
            change(WRONG)
        assert wrong.value.errors == {"current_password": ["Wrong password."]}
    with pytest.raises(TooManyAttempts):
        change(PASSWORD)
    with pytest.raises(TooManyAttempts):
        login(gateway, PASSWORD, "203.0.113.5")
