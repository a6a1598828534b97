"""RPC plumbing: an `@rpc` entrypoint that survives a broker outage, and calls with a deadline.

nameko 2.14 kills the whole container when a reply can't be published (the broker went away
while a worker ran): the process exits and nothing restarts it. Our `rpc` logs the lost reply
and leaves the request unacked instead; its channel is gone, so the broker requeues it and
delivers it again once the queue consumer has reconnected. Every RPC is safe to run twice (the
writes are idempotent per order, idempotency key or version), and the caller has long given up.

nameko 2.14's in-service RpcProxy waits forever for a reply; a stopped peer would hang the
worker. `call_with_timeout` waits at most RPC_TIMEOUT seconds and then raises Unavailable, as it
does when the peer lost its database: the caller's own caller then sees a 503, not a RemoteError
nested in a RemoteError."""

import logging

import eventlet
import nameko.rpc
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, UnknownService

from plumbing.errors import STORE_OUTAGE_ERRORS, Unavailable

log = logging.getLogger(__name__)
BROKER_GONE = (OperationalError, AmqpConnectionError, OSError)


class RpcConsumer(nameko.rpc.RpcConsumer):
    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_GONE as error:
            log.warning(
                "reply to %s lost, the broker is unreachable (%s); the request will be redelivered",
                message.delivery_info.get("routing_key"),
                error,
            )
            return result, exc_info


class Rpc(nameko.rpc.Rpc):
    rpc_consumer = RpcConsumer()


rpc = Rpc.decorator


def call_with_timeout(proxy, method: str, *args, timeout: float, **kwargs):
    timer = eventlet.Timeout(timeout)
    try:
        return getattr(proxy, method).call_async(*args, **kwargs).result()
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        raise Unavailable(f"{proxy.service_name}.{method} did not answer within {timeout} s.") from None
    except UnknownService as exc:
        raise Unavailable(f"{proxy.service_name} is not running.") from exc
    except RemoteError as exc:
        if exc.exc_type in STORE_OUTAGE_ERRORS:
            raise Unavailable(f"{proxy.service_name} cannot reach its database; try again shortly.") from exc
        raise
    finally:
        timer.cancel()
