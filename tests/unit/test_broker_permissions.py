"""The RabbitMQ permissions each principal gets (plumbing/broker.py), as the patterns match names
and routing keys; the broker itself enforces them in tests/integration/test_broker_permissions.py."""

import re
import uuid

from orders.service import OrdersService
from plumbing.broker import Grant, grant_of, permissions

UUID = str(uuid.uuid4())
REPLY = f"reply.orders.{UUID}"  # the routing key of a reply to orders
GATEWAY_REPLY = f"reply.gateway.{UUID}"
orders = permissions(Grant("orders", serves_rpc=True, calls=("products", "users"), publishes=("order_created",),
                           consumes={"payments": ("payment_succeeded",)}))
gateway = permissions(Grant("gateway", calls=("orders", "users")))


def matches(pattern: str, *names: str) -> bool:
    return all(re.fullmatch(pattern, name) for name in names)


def test_a_service_declares_and_reads_only_its_own_queues():
    own = ["rpc-orders", f"rpc.reply-orders-{UUID}", "evt-payments-payment_succeeded--orders.handle_payment"]
    assert matches(orders["configure"], *own, "nameko-rpc", "orders.events")
    assert not any(re.fullmatch(orders["configure"], name) for name in
                   ["rpc-products", f"rpc.reply-products-{UUID}", f"rpc.reply-gateway-{UUID}", "payments.events",
                    "evt-orders-x--payments.y"])
    assert matches(orders["read"], "payments.events") and not re.fullmatch(orders["read"], "users.events")


def test_a_service_sends_requests_only_to_the_services_it_calls_and_replies():
    rpc = orders["topics"]["nameko-rpc"]
    assert matches(rpc["write"], "products.reserve_stock", "users.issue_client_token", REPLY, GATEWAY_REPLY)
    assert not re.fullmatch(rpc["write"], "payments.get_payment")
    assert matches(rpc["read"], "orders.*", REPLY) and not re.fullmatch(rpc["read"], "products.*")


def test_a_principal_binds_only_its_own_reply_keys():
    """Another principal's reply key (or nameko's bare uuid) would hand it that principal's replies."""
    rpc = orders["topics"]["nameko-rpc"]
    assert not any(re.fullmatch(rpc["read"], key) for key in [GATEWAY_REPLY, f"reply.products.{UUID}", UUID])
    assert not any(re.fullmatch(gateway["topics"]["nameko-rpc"]["read"], key) for key in [REPLY, UUID])


def test_only_operators_bind_bare_uuids_the_replies_to_nameko_shells_own_proxy():
    operator = permissions(Grant("operator", calls=("orders",), nameko_shell=True))
    assert matches(operator["topics"]["nameko-rpc"]["read"], UUID, f"reply.operator.{UUID}")
    assert matches(operator["read"], f"rpc.reply-standalone_rpc_proxy-{UUID}")
    assert not re.fullmatch(gateway["read"], f"rpc.reply-standalone_rpc_proxy-{UUID}")


def test_a_publisher_sends_only_its_own_event_types_and_a_consumer_binds_only_its_own():
    assert matches(orders["topics"]["orders.events"]["write"], "order_created")
    assert not re.fullmatch(orders["topics"]["orders.events"]["write"], "order_cancelled")
    consumed = orders["topics"]["payments.events"]
    assert matches(consumed["read"], "payment_succeeded") and not re.fullmatch(consumed["read"], "payment_failed")
    assert not re.fullmatch(consumed["write"], "payment_succeeded")


def test_the_gateway_only_sends_requests_and_reads_its_own_replies():
    rpc = gateway["topics"]["nameko-rpc"]
    assert matches(rpc["write"], "orders.get_order") and not re.fullmatch(rpc["write"], GATEWAY_REPLY)
    assert matches(rpc["read"], GATEWAY_REPLY) and not re.fullmatch(rpc["read"], "orders.*")
    assert matches(gateway["read"], f"rpc.reply-gateway-{UUID}")
    assert not any(re.fullmatch(gateway["read"], name) for name in
                   ["rpc-orders", "orders.events", f"rpc.reply-operator-{UUID}", f"rpc.reply-orders-{UUID}"])
    assert set(gateway["topics"]) == {"nameko-rpc"}


def test_orders_sends_requests_to_payments_to_capture_a_shipment_and_nothing_else_new(config):
    grant = grant_of(OrdersService, config)
    assert grant.calls == ("payments", "products", "users")
    rpc = permissions(grant)["topics"]["nameko-rpc"]
    assert matches(rpc["write"], "payments.capture_payment", "products.reserve_stock")
    assert not re.fullmatch(rpc["write"], "notifications.send_mail")
