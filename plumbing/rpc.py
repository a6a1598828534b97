"""Service-to-service RPC with a deadline.

nameko 2.14's in-service RpcProxy waits forever for a reply; a stopped peer would hang the
worker. `call_with_timeout` waits at most RPC_TIMEOUT seconds and then raises Unavailable, as it
does when the peer lost its database: the caller's own caller then sees a 503, not a RemoteError
nested in a RemoteError."""

import eventlet
from nameko.exceptions import RemoteError, UnknownService

from plumbing.errors import STORE_OUTAGE_ERRORS, Unavailable
from plumbing.tracing import rpc_span


def call_with_timeout(proxy, method: str, *args, timeout: float, **kwargs):
    timer = eventlet.Timeout(timeout)
    try:
        with rpc_span(proxy.worker_ctx.data, proxy.service_name, method):
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
