"""Request ids in every log line.

The gateway puts `request_id` into the RPC context data; `RequestIdLogging` copies it
into a greenlet-local for the worker, and `RequestIdFilter` stamps it on records."""

import logging
import threading
import time

from nameko.extensions import DependencyProvider
from nameko.timer import Timer

REQUEST_ID_KEY = "request_id"
calls_log = logging.getLogger("oms.calls")
_local = threading.local()  # greenlet-local once eventlet has patched threading


def current_request_id() -> str:
    return getattr(_local, "request_id", None) or "-"


def set_request_id(request_id: str | None) -> None:
    _local.request_id = request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class RequestIdLogging(DependencyProvider):
    """Declare on a service to tag its workers' log lines with the caller's request id,
    and to log one line per handled call (logger `oms.calls`) with outcome and duration."""

    def setup(self):
        self.started = {}

    def worker_setup(self, worker_ctx):
        set_request_id(worker_ctx.data.get(REQUEST_ID_KEY))
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if isinstance(worker_ctx.entrypoint, Timer) and not exc_info:
            self.started.pop(worker_ctx, None)
            return  # periodic jobs would fill the log with a line a second
        elapsed = (time.perf_counter() - self.started.pop(worker_ctx, time.perf_counter())) * 1000
        outcome = exc_info[0].__name__ if exc_info else "ok"
        calls_log.info("%s %s %.1fms", worker_ctx.call_id, outcome, elapsed)

    def worker_teardown(self, worker_ctx):
        set_request_id(None)
