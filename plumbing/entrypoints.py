"""`rpc` and `event_handler` entrypoints that survive a broker outage.

nameko 2.14 kills the whole container when a worker's reply can't be published or its message
can't be acked because the broker went away while the worker ran: the process exits and
nothing restarts it. These entrypoints log the loss instead. The message stays unacked on a
channel that is gone, so the broker requeues it and delivers it again once the queue consumer
has reconnected (it does so by itself). That is safe: event handlers are idempotent, every RPC
can run twice (its writes are idempotent per order, idempotency key or version), and an RPC's
caller has given up on the lost reply long before."""

import logging

import nameko.events
import nameko.rpc
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError

log = logging.getLogger(__name__)

BROKER_GONE = (OperationalError, AmqpConnectionError, OSError)


def _lost(what: str, message, error: Exception) -> None:
    log.warning(
        "%s %s lost, the broker is unreachable (%r); the message will be redelivered",
        what,
        message.delivery_info.get("routing_key"),
        error,
    )


class RpcConsumer(nameko.rpc.RpcConsumer):
    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_GONE as error:
            _lost("reply to", message, error)
            return result, exc_info


class Rpc(nameko.rpc.Rpc):
    rpc_consumer = RpcConsumer()


class EventHandler(nameko.events.EventHandler):
    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_GONE as error:
            _lost("ack of event", message, error)
            return result, exc_info


rpc = Rpc.decorator
event_handler = EventHandler.decorator
