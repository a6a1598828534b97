"""Replies are private (issue 22, point 1): no principal reads a reply meant for another.

The attack: notifications' broker user takes a request off its own queue `rpc-notifications`,
notes its `reply_to`, hands the request back, declares a reply queue of its own and binds it to
the caller's reply key. With nameko's naming (a bare uuid key, which every principal allowed
replies could bind) it then received every reply meant for the gateway, tokens included."""

import uuid

import eventlet
import pytest
from kombu import Consumer, Exchange, Queue

from gateway.rpc import RpcPool
from notifications.service import NotificationsService
from operations.session import proxy
from plumbing.broker import RPC_EXCHANGE, amqp_uri_for
from scripts.system import SERVICES
from tests.integration.test_broker_permissions import REFUSED, connect_as
from tests.tokens import admin_token

ATTACKERS = [*SERVICES, "operator"]


def as_principal(config, principal: str) -> dict:
    return {**config, "AMQP_URI": amqp_uri_for(config, principal), "DECLARE_EVENT_EXCHANGES": False}


@pytest.fixture
def notifications(start_container, config, users_container):
    """notifications as `make run` runs it: as its own broker user (its ping asks users for its
    client token)."""
    return start_container(NotificationsService, as_principal(config, "notifications"))


@pytest.fixture
def gateway_pool(config):
    pool = RpcPool(as_principal(config, "gateway"), size=2, timeout=5)
    yield pool
    pool.close()


def learn_reply_key(config, pool: RpcPool) -> str:
    """As notifications: the `reply_to` of a request the gateway sent it, handed back unanswered."""
    learned: list[str] = []

    def take(body, message):
        learned.append(message.properties["reply_to"])
        message.reject(requeue=True)  # notifications itself answers it

    with connect_as(config, "notifications") as connection:
        queue = Queue("rpc-notifications", no_declare=True)
        with Consumer(connection.channel(), queues=[queue], callbacks=[take], prefetch_count=1):
            for _ in range(200):  # the container's consumer takes its share of them
                calling = eventlet.spawn(pool.call, "notifications", "ping")
                while not learned and not calling.dead:
                    try:
                        connection.drain_events(timeout=0.1)
                    except TimeoutError:
                        pass
                assert calling.wait() == "pong"
                if learned:
                    return learned[0]
    pytest.fail("no request reached the second consumer")


@pytest.mark.parametrize("attacker", ATTACKERS)
def test_no_principal_can_bind_the_gateways_reply_key_or_read_its_reply_queue(config, notifications, gateway_pool,
                                                                               attacker):
    reply_key = learn_reply_key(config, gateway_pool)
    prefix, principal, key_uuid = reply_key.split(".")
    assert (prefix, principal) == ("reply", "gateway")
    rpc = Exchange(RPC_EXCHANGE, no_declare=True)
    with connect_as(config, attacker) as connection, pytest.raises(REFUSED):
        Queue(f"rpc.reply-{attacker}-{uuid.uuid4()}", exchange=rpc, routing_key=reply_key,
              auto_delete=True)(connection.channel()).declare()
    with connect_as(config, attacker) as connection, pytest.raises(REFUSED):
        Queue(f"rpc.reply-gateway-{key_uuid}", no_declare=True)(connection.channel()).get()
    if attacker != "operator":  # bare uuids are the replies to operators' `nameko shell` proxy
        with connect_as(config, attacker) as connection, pytest.raises(REFUSED):
            Queue(f"rpc.reply-{attacker}-{uuid.uuid4()}", exchange=rpc, routing_key=str(uuid.uuid4()),
                  auto_delete=True)(connection.channel()).declare()
    assert gateway_pool.call("notifications", "ping") == "pong"


@pytest.mark.parametrize("caller", ["orders", "operator"])
def test_a_principal_binds_its_own_reply_key(config, caller):
    """The control of the test above: the same declaration with the principal's own key passes."""
    key = f"reply.{caller}.{uuid.uuid4()}"
    with connect_as(config, caller) as connection:
        Queue(f"rpc.reply-{caller}-{uuid.uuid4()}", exchange=Exchange(RPC_EXCHANGE, no_declare=True),
              routing_key=key, auto_delete=True)(connection.channel()).declare()


def test_the_gateway_and_operators_get_their_replies(config, notifications, gateway_pool):
    assert gateway_pool.call("notifications", "ping") == "pong"
    with proxy(as_principal(config, "operator"), admin_token()) as rpc:
        assert rpc.notifications.ping() == "pong"
        assert rpc.notifications.list_dead_letters() is not None


