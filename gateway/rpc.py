"""RPC from the gateway: a thread-safe pool of started standalone proxies.

Starting a ClusterRpcProxy costs ~25 ms and a reply queue, and one proxy shared by
threads corrupts AMQP frames, so each request borrows a started proxy for its call.
A proxy that timed out or lost its connection is discarded (a late reply would sit on
its queue); one that carried a business error is fine and goes back to the pool.
The pool is created lazily, so each gunicorn worker builds its own after the fork.

A call has one deadline, its timeout from when it was asked for: the wait for a slot, the way to
the broker and the wait for the reply all come out of it, so a request can't hang for the sum
of their worst cases while the broker restarts.

A broker restart kills every idle proxy's connection at once, and one drawn dead would publish
its request and then lose the reply (its queue went with the broker). So a proxy is checked
before it is lent (a frame-level poll: a closed socket or the broker's close shows at once), idle
proxies keep heartbeats with the broker from a keeper thread, which also drops those found dead,
and a call whose request could not be sent at all is tried once more on a fresh proxy."""

import logging
import queue
import threading
import time
from contextlib import contextmanager

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.exceptions import RpcTimeout, UnknownService
from nameko.standalone.rpc import PollingQueueConsumer

from plumbing.callers import AUTH_TOKEN_KEY, CLIENT_ADDRESS_KEY
from plumbing.logs import REQUEST_ID_KEY
from plumbing.standalone import PrivateReplyListener, StandaloneRpcProxy
from plumbing.tracing import rpc_span
from wire.errors import Unavailable

log = logging.getLogger(__name__)

# Broker trouble surfaces as any of these from kombu/amqp/socket.
CONNECTION_ERRORS = (
    OSError, ConnectionError, AmqpConnectionError, EOFError, OperationalError, RpcTimeout, UnknownService
)
# Once the request is out, its reply gets at least this long, however long the way there took.
MIN_REPLY_SECONDS = 0.5
# One quick retry, for a publish (a stale pooled connection is revived by it) and for a proxy's
# connect: nameko's publish default, three retries a second apart, and kombu's connect default,
# a second try after 2 s, held a request for that long with the broker down.
QUICK_RETRY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0, "interval_max": 0.2}
# A reply connection's heartbeat with the broker; the keeper looks at idle proxies twice as often.
HEARTBEAT_SECONDS = 20
KEEP_INTERVAL_SECONDS = HEARTBEAT_SECONDS / 2


class _NotSent(Exception):
    """The request could not be published on a borrowed proxy: nothing reached a service."""


class _FailFastReplyConsumer(PollingQueueConsumer):
    """nameko 2.14's reply consumer, without its reconnect after a reply timeout or a lost
    connection: nameko reconnects (with kombu's retries) before it raises, which held a request
    for seconds past RPC_TIMEOUT while the broker was down, and the pool discards such a proxy
    anyway. `provider._reply_events` is nameko 2.14's private map of waiting calls. It waits until
    the call's `deadline` (set by the pool per call) rather than for a fixed timeout."""

    deadline = 0.0  # time.monotonic() by which the reply must have come

    def _setup_consumer(self):
        self.connection.heartbeat = HEARTBEAT_SECONDS  # read when it connects, just below
        self.connection.ensure_connection(**QUICK_RETRY)
        super()._setup_consumer()

    def alive(self) -> bool:
        """Whether the connection still works: sends a heartbeat when one is due, and reads what
        the broker sent (heartbeats, its close), without waiting."""
        try:
            self.connection.heartbeat_check()
            self.connection.drain_events(timeout=0)
        except TimeoutError:  # nothing to read: before OSError, its base class
            return True
        except (OSError, AmqpConnectionError, OperationalError):
            return False
        return True

    def get_message(self, correlation_id):
        wait = max(self.deadline - time.monotonic(), MIN_REPLY_SECONDS)
        try:
            while correlation_id not in self.replies:
                self.consumer.connection.drain_events(timeout=wait)
        except TimeoutError:  # before OSError, its base class
            self.provider._reply_events.pop(correlation_id).send_exception(RpcTimeout(self.timeout))
            return
        except (OSError, AmqpConnectionError) as exc:
            self.provider._reply_events.pop(correlation_id).send_exception(exc)
            return
        body, message = self.replies.pop(correlation_id)
        self.provider.handle_message(body, message)


class _FailFastReplyListener(PrivateReplyListener):
    def __init__(self, timeout=None):
        super().__init__(timeout)
        self.queue_consumer = _FailFastReplyConsumer(timeout=timeout)


class RpcPool:
    def __init__(self, config: dict, size: int, timeout: float):
        self.config = config
        self.timeout = timeout
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = threading.Event()
        threading.Thread(target=self._keep, name="rpc-pool-keeper", daemon=True).start()

    def call(
        self,
        service: str,
        method: str,
        *args,
        request_id: str | None = None,
        auth_token: str | None = None,
        client_address: str | None = None,
        timeout=None,
        **kwargs,
    ):
        """Call service.method(*args, **kwargs) as the holder of `auth_token` (none: anonymous),
        for the HTTP client at `client_address`; Unavailable (503) if it can't answer within
        `timeout` (default: the pool's)."""
        budget = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        if not self._slots.acquire(timeout=budget):
            raise Unavailable("The gateway is at capacity; try again shortly.")
        context = {REQUEST_ID_KEY: request_id or "", AUTH_TOKEN_KEY: auth_token or "",
                   CLIENT_ADDRESS_KEY: client_address or ""}
        try:
            try:
                return self._call(service, method, args, kwargs, context, deadline, last_try=False)
            except _NotSent as exc:
                log.warning("the request was not sent (%r): once more on a fresh proxy", exc.__cause__)
                return self._call(service, method, args, kwargs, context, deadline, last_try=True)
        finally:
            self._slots.release()

    def _call(self, service: str, method: str, args, kwargs, context: dict, deadline: float, last_try: bool):
        with self._borrowed() as standalone:
            # nameko 2.14's ClusterRpcProxy sends its `_worker_ctx.data` as every call's context
            # and has no public way to change it per call; a borrowed proxy serves one call at a
            # time. None would be dropped from the headers with a warning on every call.
            standalone._worker_ctx.data.update(context)
            # nameko 2.14: the reply listener is private; its consumer is ours (above).
            standalone._reply_listener.queue_consumer.deadline = deadline
            with rpc_span(standalone._worker_ctx.data, service, method):
                try:
                    reply = getattr(standalone._proxy[service], method).call_async(*args, **kwargs)
                except UnknownService:
                    raise
                except CONNECTION_ERRORS as exc:
                    if last_try or time.monotonic() >= deadline:
                        raise
                    raise _NotSent() from exc
                return reply.result()

    @contextmanager
    def _borrowed(self):
        standalone = self._take()
        try:
            yield standalone
        except _NotSent:
            _discard(standalone)
            raise
        except CONNECTION_ERRORS as exc:
            log.warning("RPC failed, discarding its proxy: %r", exc)
            _discard(standalone)
            raise Unavailable(_unavailable_detail(exc)) from exc
        except BaseException:
            # An answer came back (a typed or remote error): the proxy itself is fine.
            self._idle.put(standalone)
            raise
        self._idle.put(standalone)

    def _take(self) -> StandaloneRpcProxy:
        """An idle proxy whose connection works, else a new one."""
        while True:
            try:
                standalone = self._idle.get_nowait()
            except queue.Empty:
                return self._start()
            if _usable(standalone):
                return standalone

    def _keep(self) -> None:
        """Every few seconds, each idle proxy: its heartbeat sent, and dropped if found dead."""
        while not self._closed.wait(KEEP_INTERVAL_SECONDS):
            taken = []
            while True:
                try:
                    taken.append(self._idle.get_nowait())
                except queue.Empty:
                    break
            for standalone in reversed(taken):  # back in the order they were in
                if _usable(standalone):
                    self._idle.put(standalone)

    def _start(self) -> StandaloneRpcProxy:
        standalone = StandaloneRpcProxy(
            self.config, context_data={}, timeout=self.timeout, reply_listener_cls=_FailFastReplyListener,
            retry_policy=QUICK_RETRY,
        )
        try:
            standalone.start()
        except CONNECTION_ERRORS as exc:
            log.warning("cannot reach the broker: %r", exc)
            raise Unavailable("The message broker is unreachable.") from exc
        return standalone

    def close(self) -> None:
        self._closed.set()
        while True:
            try:
                _stop_quietly(self._idle.get_nowait())
            except queue.Empty:
                return


def _unavailable_detail(exc: Exception) -> str:
    if isinstance(exc, RpcTimeout):
        return "A service did not answer in time."
    if isinstance(exc, UnknownService):
        return "A service is not running."
    return "The message broker is unreachable."


def _usable(standalone: StandaloneRpcProxy) -> bool:
    """Whether an idle proxy's connection works; one whose connection is gone is discarded."""
    if standalone._reply_listener.queue_consumer.alive():
        return True
    log.info("an idle proxy's connection is gone: discarded")
    _discard(standalone)
    return False


def _discard(standalone: StandaloneRpcProxy) -> None:
    # Closing a broken connection can block for a socket timeout: not on a request's time.
    threading.Thread(target=_stop_quietly, args=(standalone,), daemon=True).start()


def _stop_quietly(standalone: StandaloneRpcProxy) -> None:
    try:
        standalone.stop()
    except Exception as exc:  # a dead connection may fail to close; it is gone either way
        log.debug("closing a discarded proxy failed: %r", exc)
