"""Who may call every RPC of every service, and that everyone else is refused before anything
changes: the table below is the contract (issue 10). Calls go over the real broker, from a
standalone proxy, with the token in the RPC context as the gateway and operators send it."""

import time
import uuid

import jwt
import pytest
from sqlalchemy import create_engine, text

from operations.session import proxy
from plumbing.migrations import database_urls
from plumbing.tokens import ALGORITHM, revoked_session_key
from scripts.system import service_classes
from tests.integration.conftest import call
from tests.integration.eventing import purge_events
from tests.polling import wait_until
from tests.tokens import (
    ADMIN,
    ORDERS_CLIENT,
    User,
    client_token,
    expired_token,
    forged_token,
    token_issuer,
    user_token,
)
from wire.access import ADMIN as ADMIN_ROLE
from wire.access import CUSTOMER as CUSTOMER_ROLE
from wire.access import SCOPES
from wire.errors import Forbidden, Unauthenticated

PUBLIC = "public"  # anyone; a token that is sent must verify
USERS = (CUSTOMER_ROLE, ADMIN_ROLE)  # the method decides whose data a customer may touch
ADMINS = (ADMIN_ROLE,)


def who(roles=(), scopes=()) -> tuple[frozenset, frozenset]:
    return frozenset(roles), frozenset(scopes)


# (service, method): (who may call, arguments). Ids in <...> are those of `shop` below.
TABLE = {
    ("users", "ping"): (PUBLIC, []),
    ("users", "register"): (PUBLIC, [{"email": "x@example.com", "password": "long-enough-pw", "name": "X"}]),
    ("users", "login"): (PUBLIC, [{"email": "x@example.com", "password": "long-enough-pw"}]),
    ("users", "refresh"): (PUBLIC, ["not-a-refresh-token"]),
    ("users", "logout"): (PUBLIC, ["not-a-refresh-token"]),
    ("users", "issue_client_token"): (PUBLIC, ["<client>", "wrong-secret"]),
    ("users", "introspect_token"): (PUBLIC, ["some-token"]),
    ("users", "get_user"): (who(USERS, ["users:read"]), ["<user>"]),
    ("users", "update_user"): (who(USERS), ["<user>", {"role": "admin"}]),
    ("users", "list_users"): (who(ADMINS), []),
    ("users", "get_users"): (who(ADMINS, ["users:read"]), [["<user>"]]),
    ("users", "delete_user"): (who(ADMINS), ["<user>"]),
    ("users", "create_client"): (who(ADMINS), [{"name": "erp", "scopes": ["stock:write"]}]),
    ("users", "list_clients"): (who(ADMINS), []),
    ("users", "get_client"): (who(ADMINS), ["<client>"]),
    ("users", "rotate_client_secret"): (who(ADMINS), ["<client>"]),
    ("users", "revoke_client"): (who(ADMINS), ["<client>"]),
    ("products", "ping"): (PUBLIC, []),
    ("products", "get_product"): (PUBLIC, ["<product>"]),
    ("products", "list_products"): (PUBLIC, [{}]),
    ("products", "get_products"): (PUBLIC, [["<product>"]]),
    ("products", "get_price_history"): (PUBLIC, ["<product>"]),
    ("products", "create_product"): (
        who(ADMINS, ["catalog:write"]),
        [{"sku": "NEW-1", "name": "New", "price": "1.00", "currency": "EUR", "stock": 1}],
    ),
    ("products", "update_product"): (who(ADMINS, ["catalog:write"]), ["<product>", {"price": "99.00"}]),
    ("products", "delete_product"): (who(ADMINS, ["catalog:write"]), ["<product>"]),
    ("products", "set_stock"): (who(ADMINS, ["stock:write"]), ["<product>", {"stock": 0}]),
    ("products", "adjust_stock"): (who(ADMINS, ["stock:write"]), ["<product>", {"delta": -1}]),
    ("products", "reserve_stock"): (who((), ["stock:reserve"]), ["<new order>", [{"product_id": "<product>",
                                                                                  "quantity": 1}], 60]),
    ("products", "get_reservation"): (who(ADMINS, ["stock:reserve"]), ["<order>"]),
    ("products", "release_reservation"): (who(ADMINS, ["stock:release"]), ["<order>"]),
    ("products", "commit_reservation"): (who(ADMINS), ["<order>"]),
    ("products", "list_dead_letters"): (who(ADMINS), []),
    ("products", "replay_dead_letter"): (who(ADMINS), ["<dead letter>"]),
    ("products", "discard_dead_letter"): (who(ADMINS), ["<dead letter>"]),
    ("orders", "ping"): (PUBLIC, []),
    ("orders", "create_order"): (who(USERS), [{"items": [{"product_id": "<product>", "quantity": 1}],
                                              "shipping_address": {"name": "A", "line1": "1 St", "city": "C",
                                                                   "postal_code": "1", "country": "FR"},
                                              "payment_token": "tok_visa"}, "key-1"]),
    ("orders", "get_order"): (who(USERS, ["orders:read"]), ["<order>"]),
    ("orders", "list_orders"): (who(USERS, ["orders:read"]), [{}]),
    ("orders", "get_order_history"): (who(USERS, ["orders:read"]), ["<order>"]),
    ("orders", "update_order"): (who(USERS), ["<order>", {"shipping_address": {
        "name": "B", "line1": "2 St", "city": "D", "postal_code": "2", "country": "DE"}}]),
    ("orders", "cancel_order"): (who(USERS, ["orders:fulfil"]), ["<order>"]),
    ("orders", "ship_order"): (who(ADMINS, ["orders:fulfil"]), ["<order>"]),
    ("orders", "deliver_order"): (who(ADMINS, ["orders:fulfil"]), ["<order>"]),
    ("orders", "delete_order"): (who(ADMINS), ["<order>"]),
    ("orders", "snapshot_orders"): (who(ADMINS, ["orders:read"]), []),
    ("orders", "reservations_in_use"): (who((), ["orders:reservations"]), [["<order>"]]),
    ("orders", "has_open_orders"): (who((), ["orders:reservations"]), ["<product>"]),
    ("orders", "list_dead_letters"): (who(ADMINS), []),
    ("orders", "replay_dead_letter"): (who(ADMINS), ["<dead letter>"]),
    ("orders", "discard_dead_letter"): (who(ADMINS), ["<dead letter>"]),
    ("payments", "ping"): (PUBLIC, []),
    ("payments", "get_payment"): (who(USERS, ["orders:read"]), ["<order>"]),
    ("payments", "get_payments"): (who(ADMINS, ["orders:read"]), [["<order>"]]),
    ("payments", "get_invoice"): (who(USERS, ["invoices:read"]), ["<order>"]),
    ("payments", "get_invoice_pdf"): (who(USERS, ["invoices:read"]), ["<order>"]),
    ("payments", "list_invoices"): (who(ADMINS, ["invoices:read"]), [{}]),
    ("payments", "issue_invoice"): (who(ADMINS), [{"order_id": "<order>"}]),
    ("payments", "get_credit_note"): (who(USERS, ["invoices:read"]), ["<order>"]),
    ("payments", "get_credit_note_pdf"): (who(USERS, ["invoices:read"]), ["<order>"]),
    ("payments", "list_credit_notes"): (who(ADMINS, ["invoices:read"]), [{}]),
    ("payments", "issue_credit_note"): (who(ADMINS), [{"order_id": "<order>"}]),
    ("payments", "list_dead_letters"): (who(ADMINS), []),
    ("payments", "replay_dead_letter"): (who(ADMINS), ["<dead letter>"]),
    ("payments", "discard_dead_letter"): (who(ADMINS), ["<dead letter>"]),
    ("notifications", "ping"): (PUBLIC, []),
    ("notifications", "list_notifications"): (who(USERS), ["<user>"]),
    ("notifications", "list_dead_letters"): (who(ADMINS), []),
    ("notifications", "replay_dead_letter"): (who(ADMINS), ["<dead letter>"]),
    ("notifications", "discard_dead_letter"): (who(ADMINS), ["<dead letter>"]),
    ("order_queries", "ping"): (PUBLIC, []),
    ("order_queries", "lag"): (PUBLIC, []),
    ("order_queries", "get_orders"): (who(USERS, ["orders:read"]), [["<order>"]]),
    ("order_queries", "list_orders"): (who(USERS, ["orders:read"]), [{}]),
    ("order_queries", "export_orders"): (who(ADMINS, ["orders:read"]), [{}]),
    ("order_queries", "list_dead_letters"): (who(ADMINS), []),
    ("order_queries", "replay_dead_letter"): (who(ADMINS), ["<dead letter>"]),
    ("order_queries", "discard_dead_letter"): (who(ADMINS), ["<dead letter>"]),
}


def declared_rpcs() -> dict:
    return {
        (cls.name, name): getattr(cls, name).access
        for cls in service_classes()
        for name in dir(cls)
        if hasattr(getattr(cls, name), "access")
    }


def test_every_rpc_of_every_service_is_in_the_table_and_nothing_else():
    declared = set(declared_rpcs())
    assert declared - set(TABLE) == set(), "RPCs missing from the table"
    assert set(TABLE) - declared == set(), "the table names RPCs that don't exist"


def test_every_rpc_declares_the_access_the_table_gives_it():
    for key, access in declared_rpcs().items():
        expected, _ = TABLE[key]
        assert (access.public, access.roles, access.scopes) == (
            (True, frozenset(), frozenset()) if expected == PUBLIC else (False, *expected)
        ), key


# --- every caller who may not, refused, and nothing changed ----------------------------------------


@pytest.fixture
def shop(start_container, users_container, config):
    """All five services, and something of everything for the refused calls to aim at; the
    events of its saga don't outlive the test."""
    containers = {"users": users_container}
    for cls in service_classes():
        if cls.name != "users":
            containers[cls.name] = start_container(cls)
    customer = call(users_container, "register", {"email": "c@example.com", "password": "long-enough-pw",
                                                  "name": "C"})
    client = call(users_container, "create_client", {"name": "erp", "scopes": ["stock:write"]}, as_=ADMIN)
    product = call(containers["products"], "create_product",
                   {"sku": "P-1", "name": "P", "price": "10.00", "currency": "EUR", "stock": 5}, as_=ADMIN)
    order = call(containers["orders"], "create_order", TABLE[("orders", "create_order")][1][0] | {
        "items": [{"product_id": product["id"], "quantity": 1}]}, "seed", as_=User(customer["id"]))
    yield {"<user>": customer["id"], "<client>": client["client_id"], "<product>": product["id"],
           "<order>": order["id"], "<new order>": str(uuid.uuid4()), "<dead letter>": str(uuid.uuid4())}
    purge_events(config, service_classes())


def resolve(value, ids: dict):
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [resolve(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, ids) for key, item in value.items()}
    return value


def snapshot(config, redis_client) -> dict:
    """Every row of every table of every service, and every Redis key, as one comparable value."""
    state = {}
    for service, url in database_urls(config).items():
        engine = create_engine(url)
        with engine.connect() as conn:
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
            for table in sorted(tables):
                state[f"{service}.{table}"] = conn.execute(
                    text(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t")
                ).scalar()
        engine.dispose()
    state["redis"] = sorted((key, redis_client.dump(key)) for key in redis_client.keys("*"))
    return state


def settled(config, redis_client, timeout: float = 30) -> dict:
    """The snapshot once the seeded order's saga has run its course: alike 1.5 s apart, longer
    than a handler's backoff between attempts."""
    deadline = time.monotonic() + timeout
    last = snapshot(config, redis_client)
    while time.monotonic() < deadline:
        time.sleep(1.5)
        now = snapshot(config, redis_client)
        if now == last:
            return now
        last = now
    raise AssertionError("the services did not settle")


def refused_calls(config, token: str | None, expected_error, applies) -> list:
    """Call every method of the table `applies` to as the holder of `token`; the calls that
    were not refused with `expected_error`."""
    wrong = []
    context = proxy(config, token, timeout=10) if token else proxy(config, "", timeout=10)
    with context as rpc:
        for (service, method), (allowed, args) in TABLE.items():
            if not applies(allowed, service, method):
                continue
            try:
                getattr(getattr(rpc, service), method)(*resolve(args, applies.ids))
            except expected_error:
                continue
            except Exception as exc:  # noqa: BLE001 - reported below, with what it was
                wrong.append((service, method, f"{type(exc).__name__}: {exc}"))
                continue
            wrong.append((service, method, "not refused"))
    return wrong


def scope_it_lacks(allowed) -> str:
    return next(scope for scope in sorted(SCOPES) if allowed == PUBLIC or scope not in allowed[1])


def wrong_audience_token() -> str:
    issuer = token_issuer()
    now = time.time()
    claims = {"iss": issuer.issuer, "aud": "another-api", "sub": "admin-1", "role": "admin", "sid": "s",
              "iat": now, "exp": int(now) + 600}
    return jwt.encode(claims, issuer.private_key, algorithm=ALGORITHM)


def revoked_admin_token(redis_client) -> str:
    token = ADMIN.token
    redis_client.set(revoked_session_key(jwt.decode(token, options={"verify_signature": False})["sid"]), 1)
    return token


BAD_TOKENS = {
    "garbage": lambda redis: "not-a-jwt",
    "forged": lambda redis: forged_token(),
    "expired": lambda redis: expired_token(),
    "wrong audience": lambda redis: wrong_audience_token(),
    "revoked": revoked_admin_token,
}


@pytest.mark.parametrize("kind", ["none", *BAD_TOKENS])
def test_without_a_valid_token_every_call_is_unauthenticated_and_changes_nothing(
    config, shop, redis_client, kind
):
    token = None if kind == "none" else BAD_TOKENS[kind](redis_client)

    def applies(allowed, service, method):
        return kind != "none" or allowed != PUBLIC  # a public method needs no token

    applies.ids = shop
    before = settled(config, redis_client)
    assert refused_calls(config, token, Unauthenticated, applies) == []
    assert snapshot(config, redis_client) == before


def test_a_customer_is_forbidden_every_method_it_is_not_allowed_and_nothing_changes(config, shop, redis_client):
    def applies(allowed, service, method):
        return allowed != PUBLIC and CUSTOMER_ROLE not in allowed[0]

    applies.ids = shop
    before = settled(config, redis_client)
    assert refused_calls(config, user_token(shop["<user>"]), Forbidden, applies) == []
    assert snapshot(config, redis_client) == before


def test_a_client_without_the_scope_is_forbidden_and_nothing_changes(config, shop, redis_client):
    before = settled(config, redis_client)
    wrong = []
    for key, (allowed, _) in TABLE.items():
        if allowed == PUBLIC:
            continue

        def applies(each_allowed, service, method, key=key):
            return (service, method) == key

        applies.ids = shop
        wrong += refused_calls(config, client_token("cl-wrong", scope_it_lacks(allowed)), Forbidden, applies)
    assert wrong == []
    assert snapshot(config, redis_client) == before


def test_the_attack_of_issue_10_gets_nothing(config, shop):
    """A caller-written actor, as before the fix: no token, so nothing comes back."""
    with proxy(config, "", timeout=10) as rpc, pytest.raises(Unauthenticated):
        rpc.orders.list_orders({"id": "nobody", "role": "admin"})


def test_the_allowed_callers_get_through(config, shop):
    """The other side of the table, for one method of each kind of policy."""
    with proxy(config, user_token(shop["<user>"]), timeout=10) as rpc:
        assert rpc.orders.get_order(shop["<order>"])["id"] == shop["<order>"]
    with proxy(config, client_token("cl-reader", "orders:read"), timeout=10) as rpc:
        assert rpc.orders.list_orders({})["total"] == 1
    with proxy(config, ORDERS_CLIENT.token, timeout=10) as rpc:
        assert rpc.products.get_reservation(shop["<order>"])["order_id"] == shop["<order>"]
    with proxy(config, ADMIN.token, timeout=10) as rpc:
        assert rpc.users.get_client(shop["<client>"])["scopes"] == ["stock:write"]
    with proxy(config, client_token("cl-accounting", "invoices:read"), timeout=10) as rpc:
        invoiced = wait_until(lambda: rpc.payments.list_invoices({})["items"], what="the seeded order's invoice")
        assert invoiced[0]["order_id"] == shop["<order>"]
    with proxy(config, client_token("cl-billing", "users:read"), timeout=10) as rpc:
        assert rpc.users.get_user(shop["<user>"])["id"] == shop["<user>"]
