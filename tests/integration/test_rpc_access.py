"""Who may call every RPC of every service, and that everyone else is refused before anything
changes (issue 10). Who may call each is its declaration in contracts (issue 23), which
tests/unit/test_operations.py checks each RPC serves; ARGUMENTS below says what to call it with.
Calls go over the real broker, from a standalone proxy, with the token in the RPC context as the
gateway and operators send it."""

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
from wire.access import CUSTOMER as CUSTOMER_ROLE
from wire.access import SCOPES
from wire.errors import Forbidden, Unauthenticated

PUBLIC = "public"  # anyone; a token that is sent must verify


# (service, method): the arguments each RPC is called with. Ids in <...> are those of `shop` below.
ARGUMENTS = {
    ("users", "ping"): [],
    ("users", "register"): [{"email": "x@example.com", "password": "long-enough-pw", "name": "X"}],
    ("users", "login"): [{"email": "x@example.com", "password": "long-enough-pw"}],
    ("users", "refresh"): ["not-a-refresh-token"],
    ("users", "logout"): ["not-a-refresh-token"],
    ("users", "issue_client_token"): ["<client>", "wrong-secret"],
    ("users", "introspect_token"): ["some-token"],
    ("users", "get_user"): ["<user>"],
    ("users", "update_user"): ["<user>", {"role": "admin"}],
    ("users", "list_users"): [],
    ("users", "get_users"): [["<user>"]],
    ("users", "delete_user"): ["<user>"],
    ("users", "create_client"): [{"name": "erp", "scopes": ["stock:write"]}],
    ("users", "list_clients"): [],
    ("users", "get_client"): ["<client>"],
    ("users", "rotate_client_secret"): ["<client>"],
    ("users", "revoke_client"): ["<client>"],
    ("products", "ping"): [],
    ("products", "get_product"): ["<product>"],
    ("products", "list_products"): [{}],
    ("products", "get_products"): [["<product>"]],
    ("products", "get_price_history"): ["<product>"],
    ("products", "create_product"): [{"sku": "NEW-1", "name": "New", "price": "1.00", "currency": "EUR", "stock": 1}],
    ("products", "update_product"): ["<product>", {"price": "99.00"}],
    ("products", "delete_product"): ["<product>"],
    ("products", "set_stock"): ["<product>", {"stock": 0}],
    ("products", "adjust_stock"): ["<product>", {"delta": -1}],
    ("products", "reserve_stock"): ["<new order>", [{"product_id": "<product>", "quantity": 1}], 60],
    ("products", "get_reservation"): ["<order>"],
    ("products", "release_reservation"): ["<order>"],
    ("products", "commit_reservation"): ["<order>"],
    ("products", "list_dead_letters"): [],
    ("products", "replay_dead_letter"): ["<dead letter>"],
    ("products", "discard_dead_letter"): ["<dead letter>"],
    ("orders", "ping"): [],
    ("orders", "create_order"): [{"items": [{"product_id": "<product>", "quantity": 1}],
                                              "shipping_address": {"name": "A", "line1": "1 St", "city": "C",
                                                                   "postal_code": "1", "country": "FR"},
                                              "payment_token": "tok_visa"}, "key-1"],
    ("orders", "get_order"): ["<order>"],
    ("orders", "create_quote"): [{"items": [{"product_id": "<product>", "quantity": 1}]}],
    ("orders", "get_quote"): ["no-such-quote"],
    ("orders", "list_orders"): [{}],
    ("orders", "get_order_history"): ["<order>"],
    ("orders", "update_order"): ["<order>", {"shipping_address": {
        "name": "B", "line1": "2 St", "city": "D", "postal_code": "2", "country": "DE"}}],
    ("orders", "cancel_order"): ["<order>"],
    ("orders", "ship_order"): ["<order>"],
    ("orders", "deliver_order"): ["<order>"],
    ("orders", "delete_order"): ["<order>"],
    ("orders", "snapshot_orders"): [],
    ("orders", "reservations_in_use"): [["<order>"]],
    ("orders", "has_open_orders"): ["<product>"],
    ("orders", "create_shipment"): ["<order>", {"items": [{"product_id": "<product>", "quantity": 1}],
                                                "carrier": "DHL", "tracking_number": "T-1"}, "key-1"],
    ("orders", "list_shipments"): ["<order>"],
    ("orders", "deliver_shipment"): ["<order>", "<new order>", "key-1"],
    ("orders", "cancel_items"): ["<order>", {"items": [{"product_id": "<product>", "quantity": 1}]}, "key-1"],
    ("orders", "request_return"): ["<order>", {"items": [{"product_id": "<product>", "quantity": 1,
                                                          "reason": "damaged"}]}, "key-1"],
    ("orders", "list_returns"): ["<order>"],
    ("orders", "approve_return"): ["<new order>", "key-1"],
    ("orders", "reject_return"): ["<new order>", {}, "key-1"],
    ("orders", "receive_return"): ["<new order>", {"items": [{"product_id": "<product>", "quantity": 1,
                                                              "restock": True}]}, "key-1"],
    ("orders", "list_dead_letters"): [],
    ("orders", "replay_dead_letter"): ["<dead letter>"],
    ("orders", "discard_dead_letter"): ["<dead letter>"],
    ("payments", "ping"): [],
    ("payments", "get_payment"): ["<order>"],
    ("payments", "get_payments"): [["<order>"]],
    ("payments", "get_invoice"): ["<order>"],
    ("payments", "get_invoice_pdf"): ["<order>"],
    ("payments", "list_invoices"): [{}],
    ("payments", "issue_invoice"): [{"order_id": "<order>"}],
    ("payments", "get_credit_note"): ["<order>"],
    ("payments", "get_credit_note_pdf"): ["<order>"],
    ("payments", "list_credit_notes"): [{}],
    ("payments", "issue_credit_note"): [{"order_id": "<order>"}],
    ("payments", "capture_payment"): ["<order>", {"shipment_id": "s-1", "amount": "10.00", "lines": [
        {"sku": "P-1", "name": "P", "quantity": 1, "unit_price": "10.00", "line_total": "10.00"}]}],
    ("payments", "refund_payment"): ["<order>", {"amount": "1.00", "reason": "goodwill"}, "refund-1"],
    ("payments", "list_order_documents"): ["<order>"],
    ("payments", "list_dead_letters"): [],
    ("payments", "replay_dead_letter"): ["<dead letter>"],
    ("payments", "discard_dead_letter"): ["<dead letter>"],
    ("notifications", "ping"): [],
    ("notifications", "list_notifications"): ["<user>"],
    ("notifications", "list_dead_letters"): [],
    ("notifications", "replay_dead_letter"): ["<dead letter>"],
    ("notifications", "discard_dead_letter"): ["<dead letter>"],
    ("order_queries", "ping"): [],
    ("order_queries", "lag"): [],
    ("order_queries", "get_orders"): [["<order>"]],
    ("order_queries", "list_orders"): [{}],
    ("order_queries", "export_orders"): [{}],
    ("order_queries", "list_dead_letters"): [],
    ("order_queries", "replay_dead_letter"): ["<dead letter>"],
    ("order_queries", "discard_dead_letter"): ["<dead letter>"],
    ("webhooks", "ping"): [],
    ("webhooks", "create_endpoint"): [{"url": "http://127.0.0.1:9/hook", "event_types": ["order.*"]}],
    ("webhooks", "list_endpoints"): [],
    ("webhooks", "get_endpoint"): ["<new order>"],
    ("webhooks", "update_endpoint"): ["<new order>", {"enabled": False}],
    ("webhooks", "delete_endpoint"): ["<new order>"],
    ("webhooks", "rotate_secret"): ["<new order>"],
    ("webhooks", "send_test_event"): ["<new order>"],
    ("webhooks", "list_deliveries"): ["<new order>"],
    ("webhooks", "get_delivery"): ["<new order>", "<new order>"],
    ("webhooks", "retry_delivery"): ["<new order>", "<new order>"],
    ("webhooks", "replay_failed"): ["<new order>", {"since": "2026-01-01T00:00:00+00:00"}],
    ("webhooks", "list_dead_letters"): [],
    ("webhooks", "replay_dead_letter"): ["<dead letter>"],
    ("webhooks", "discard_dead_letter"): ["<dead letter>"],
}


def declared_rpcs() -> dict:
    """(service, method): the access policy its declaration in contracts gives it."""
    return {
        (cls.name, name): getattr(cls, name).operation.access
        for cls in service_classes()
        for name in dir(cls)
        if hasattr(getattr(cls, name), "operation")
    }


def allowed(access) -> str | tuple[frozenset, frozenset]:
    return PUBLIC if access.public else (access.roles, access.scopes)


# (service, method): (who may call, as its declaration says; arguments).
TABLE = {key: (allowed(access), ARGUMENTS[key]) for key, access in declared_rpcs().items() if key in ARGUMENTS}


def test_every_rpc_of_every_service_has_arguments_here_and_nothing_else():
    declared = set(declared_rpcs())
    assert declared - set(ARGUMENTS) == set(), "RPCs missing from ARGUMENTS"
    assert set(ARGUMENTS) - declared == set(), "ARGUMENTS names RPCs that don't exist"


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
    order = call(containers["orders"], "create_order", ARGUMENTS[("orders", "create_order")][0] | {
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
    with proxy(config, ADMIN.token, timeout=10) as rpc:
        wait_until(lambda: rpc.payments.get_payments([shop["<order>"]]), what="the seeded order's authorization")
    with proxy(config, ORDERS_CLIENT.token, timeout=10) as rpc:  # a shipment's capture issues its invoice
        assert rpc.payments.capture_payment(*resolve(ARGUMENTS[("payments", "capture_payment")], shop))[
            "status"] == "captured"
    with proxy(config, client_token("cl-accounting", "invoices:read"), timeout=10) as rpc:
        invoiced = rpc.payments.list_invoices({})["items"]
        assert invoiced[0]["order_id"] == shop["<order>"]
    with proxy(config, client_token("cl-billing", "users:read"), timeout=10) as rpc:
        assert rpc.users.get_user(shop["<user>"])["id"] == shop["<user>"]
