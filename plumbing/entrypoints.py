"""The Rpc entrypoint and the reply listener of our RPC proxies (plumbing.rpc) that survive a
broker outage, and cheap RPC messages. Services use them through `plumbing.callers.rpc`; the
event-handler entrypoint is in plumbing/event_batches.py.

nameko 2.14 kills the whole container when a worker's reply can't be published or a message
(a request, an event, a reply to one of our calls) can't be acked because the broker went away
meanwhile: the process exits and nothing restarts it. These classes log the loss instead. The message stays unacked on a
channel that is gone, so the broker requeues it and delivers it again once the queue consumer
has reconnected (it does so by itself), unless it was a transient RPC request and the broker
itself restarted. That is safe: event handlers are idempotent, every RPC can run twice (its
writes are idempotent per order, idempotency key or version), and an RPC's caller has given up
on the lost reply long before.

RPC requests and replies are transient (not written to disk), and replies are not confirmed: both
are worth nothing once the caller's deadline has passed, which is also when a lost one shows.
Requests keep their confirms, which is how a call to a service that isn't running fails at once
(UnknownService). Events, which must not be lost, go through the outbox: persistent, confirmed."""

import logging

import nameko.events
import nameko.rpc
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu import Queue
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)

from plumbing.broker import connection_user, reply_address

log = logging.getLogger(__name__)

# The worker context key of the broker user that published an RPC request: RabbitMQ's validated
# `user_id` property, set here for every request (any header of that name is overwritten).
PUBLISHER_KEY = "broker_user"

BROKER_GONE = (OperationalError, AmqpConnectionError, OSError)


def lost(what: str, message, error: Exception) -> None:
    log.warning(
        "%s %s lost, the broker is unreachable (%r); the broker will deliver the message again",
        what,
        message.delivery_info.get("routing_key"),
        error,
    )


def rpc_request_options(config: dict) -> dict:
    """Publishing options of an RPC request (plumbing.rpc.RpcProxy, plumbing.standalone): transient,
    and naming its publisher, which the broker checks."""
    return {"delivery_mode": NON_PERSISTENT, "user_id": connection_user(config)}


class ReplyPublisher(Publisher):
    use_confirms = False
    delivery_mode = NON_PERSISTENT


class Responder(nameko.rpc.Responder):
    publisher_cls = ReplyPublisher


class RpcConsumer(nameko.rpc.RpcConsumer):
    def handle_result(self, message, result, exc_info):
        # nameko's own, with our Responder, and a lost broker logged instead of fatal.
        if "reply_to" not in message.properties:
            # nameko would raise KeyError here and kill the container: one malformed message on
            # the queue, from anyone allowed to send requests, would stop the service.
            log.warning("dropped a message without reply_to on %s", message.delivery_info.get("routing_key"))
            self.queue_consumer.ack_message(message)
            return result, exc_info
        config = self.container.config
        responder = Responder(
            config[AMQP_URI_CONFIG_KEY],
            nameko.rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        try:
            result, exc_info = responder.send_response(result, exc_info)
            self.queue_consumer.ack_message(message)
        except BROKER_GONE as error:
            lost("reply to", message, error)
        return result, exc_info


class Rpc(nameko.rpc.Rpc):
    rpc_consumer = RpcConsumer()

    def unpack_message_headers(self, message):
        data = super().unpack_message_headers(message)
        data[PUBLISHER_KEY] = message.properties.get("user_id") or ""
        return data


class PrivateReplies:
    """A reply listener whose queue and routing key name its principal (plumbing.broker
    reply_address), so that only that principal may bind the key or read the queue. nameko names
    them by the service and a bare uuid, which any principal allowed replies could bind."""

    def setup(self):
        config = self.container.config
        queue_name, self.routing_key = reply_address(config)
        self.queue = Queue(
            queue_name,
            exchange=nameko.rpc.get_rpc_exchange(config),
            routing_key=self.routing_key,
            queue_arguments={"x-expires": nameko.rpc.RPC_REPLY_QUEUE_TTL},
        )
        self.queue_consumer.register_provider(self)


class ReplyListener(PrivateReplies, nameko.rpc.ReplyListener):
    def handle_message(self, body, message):
        # nameko's own, with a lost ack logged: the reply still reaches its caller.
        try:
            self.queue_consumer.ack_message(message)
        except BROKER_GONE as error:
            lost("ack of reply", message, error)
        client_event = self._reply_events.pop(message.properties.get("correlation_id"), None)
        if client_event is not None:
            client_event.send(body)
