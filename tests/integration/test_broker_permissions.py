"""Broker users with least privilege (plumbing/broker.py): each principal may do its own job on
the broker and nothing else. These connect as the principals `make run` and the tests create."""

import uuid

import amqp.exceptions
import pytest
from kombu import Connection, Exchange, Producer, Queue
from nameko.standalone.rpc import ClusterRpcProxy

from plumbing.broker import RPC_EXCHANGE, amqp_uri_for, vhost_of

REFUSED = (amqp.exceptions.AccessRefused, amqp.exceptions.NotAllowed)


def connect_as(config, principal: str) -> Connection:
    # Publisher confirms: a refused publish then fails the publish itself, not a later call.
    return Connection(amqp_uri_for(config, principal), transport_options={"confirm_publish": True})


def publish(connection: Connection, exchange: str, routing_key: str) -> None:
    producer = Producer(connection.channel())
    producer.publish({"probe": True}, exchange=Exchange(exchange, type="topic", no_declare=True),
                     routing_key=routing_key, retry=False)


def reply_queue(exchange: str, routing_key: str) -> Queue:
    """A queue with the name of a gateway's reply queue, which the gateway may declare."""
    return Queue(f"rpc.reply-gateway-{uuid.uuid4()}", exchange=Exchange(exchange, no_declare=True),
                 routing_key=routing_key, auto_delete=True)


def test_notifications_may_not_publish_an_order_event(config):
    with connect_as(config, "notifications") as connection, pytest.raises(REFUSED):
        publish(connection, "orders.events", "order_cancelled")


def test_only_the_owner_publishes_on_its_exchange_and_only_its_own_event_types(config):
    with connect_as(config, "orders") as connection:
        publish(connection, "orders.events", "order_delivered")  # nobody consumes it: harmless
    with connect_as(config, "orders") as connection, pytest.raises(REFUSED):
        publish(connection, "orders.events", "payment_succeeded")
    with connect_as(config, "payments") as connection, pytest.raises(REFUSED):
        publish(connection, "orders.events", "order_delivered")


def test_the_gateway_may_not_bind_a_queue_to_an_event_exchange(config):
    with connect_as(config, "gateway") as connection, pytest.raises(REFUSED):
        reply_queue("payments.events", "payment_succeeded")(connection.channel()).declare()


def test_the_gateway_may_not_listen_to_other_services_rpc_requests(config):
    """Binding `orders.*` would hand it every request to orders, tokens included."""
    with connect_as(config, "gateway") as connection, pytest.raises(REFUSED):
        reply_queue(RPC_EXCHANGE, "orders.*")(connection.channel()).declare()
    with connect_as(config, "gateway") as connection, pytest.raises(REFUSED):
        Queue("rpc-orders", no_declare=True)(connection.channel()).get()


def test_the_gateway_may_bind_its_own_reply_queue_and_send_requests(config):
    with connect_as(config, "gateway") as connection:
        reply_queue(RPC_EXCHANGE, f"reply.gateway.{uuid.uuid4()}")(connection.channel()).declare()
        publish(connection, RPC_EXCHANGE, "orders.ping")
    with Connection(config["AMQP_URI"]) as connection:  # the suite's own user: it may
        try:
            Queue("rpc-orders", no_declare=True)(connection.channel()).purge()  # no later orders gets it
        except connection.channel_errors:
            pass  # no orders ever ran on this vhost: the request went nowhere
    with connect_as(config, "gateway") as connection, pytest.raises(REFUSED):
        publish(connection, RPC_EXCHANGE, f"reply.orders.{uuid.uuid4()}")  # a reply: only services send those


def test_a_service_may_not_call_a_service_it_does_not_need(config):
    with connect_as(config, "users") as connection, pytest.raises(REFUSED):  # users calls nobody
        publish(connection, RPC_EXCHANGE, "orders.cancel_order")


def test_guest_is_refused_on_the_systems_vhost(config):
    guest = {**config, "AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:5672/{vhost_of(config['AMQP_URI'])}"}
    with pytest.raises(REFUSED):
        with ClusterRpcProxy(guest, timeout=5) as rpc:
            rpc.orders.list_orders({"id": "nobody", "role": "admin"}, {})
