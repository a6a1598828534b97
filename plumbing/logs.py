"""Request ids in every log line.

The gateway puts `request_id` into the RPC context data; `RequestIdLogging` copies it
into a greenlet-local for the worker, and `RequestIdFilter` stamps it on records."""

import logging
import threading

from nameko.extensions import DependencyProvider

REQUEST_ID_KEY = "request_id"
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
    """Declare on a service to tag its workers' log lines with the caller's request id."""

    def worker_setup(self, worker_ctx):
        set_request_id(worker_ctx.data.get(REQUEST_ID_KEY))

    def worker_teardown(self, worker_ctx):
        set_request_id(None)
