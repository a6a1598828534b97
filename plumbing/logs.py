"""Request ids, trace ids and event ids in every log line; LOG_FORMAT=json for JSON lines.

The gateway puts `request_id` into the RPC context data; `RequestIdLogging` copies it into a
greenlet-local for the worker, the event handler wrapper (plumbing/handlers.py) puts each event's
request id and event id there while it handles that event of its batch, and `ContextFilter`
stamps them, the service's name and the current trace id (plumbing/tracing.py) on every record.
`JsonFormatter` writes a record as one JSON object. `LineCounter` counts the lines by level and
logger (`oms_log_lines_total`), so errors show on /metrics without reading any log."""

import logging
import threading
import time
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider
from nameko.timer import Timer
from prometheus_client import Counter
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from plumbing.event_batches import EventHandler
from plumbing.tracing import current_trace_id

REQUEST_ID_KEY = "request_id"
calls_log = logging.getLogger("oms.calls")
_local = threading.local()  # greenlet-local once eventlet has patched threading
_process = {"service": "-"}  # this process's service (or "gateway"), once it is known

# The gateway's workers write it to their multiprocess files (gateway/metrics.py): this module is
# imported after gunicorn.conf.py has set PROMETHEUS_MULTIPROC_DIR.
LOG_LINES = Counter("oms_log_lines", "Log lines written, by level and logger.", ["level", "logger"])


def current_request_id() -> str:
    return getattr(_local, "request_id", None) or "-"


def set_request_id(request_id: str | None) -> None:
    _local.request_id = request_id


def set_event_id(event_id: str | None) -> None:
    """The id of the event this worker handles, until its teardown."""
    _local.event_id = event_id


def set_service_name(name: str) -> None:
    _process["service"] = name


def log_call(call: str, outcome: str, started: float) -> None:
    """The `oms.calls` line of a call or an event handled since `started` (perf_counter)."""
    calls_log.info("%s %s %.1fms", call, outcome, (time.perf_counter() - started) * 1000)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.event_id = getattr(_local, "event_id", None)
        record.trace_id = current_trace_id()
        record.service = _process["service"]
        return True


class LineCounter(logging.Handler):
    """A handler beside the console's (config.yaml's LOGGING, read by every service and the
    gateway): it counts each line the console writes. Logger names are the modules', a bounded set."""

    def emit(self, record: logging.LogRecord) -> None:
        LOG_LINES.labels(record.levelname, record.name).inc()


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: time (ISO 8601, UTC), level, service, logger, message,
    request_id, trace_id, event_id (null where there is none), and exc_info when there is one."""

    def __init__(self):
        super().__init__(
            "%(asctime)s %(levelname)s %(service)s %(name)s %(message)s %(request_id)s %(trace_id)s %(event_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class RequestIdLogging(DependencyProvider):
    """Declare on a service to tag its workers' log lines with the caller's request id,
    and to log one line per handled call (logger `oms.calls`) with outcome and duration."""

    def setup(self):
        set_service_name(self.container.service_name)
        self.started = {}

    def worker_setup(self, worker_ctx):
        set_request_id(worker_ctx.data.get(REQUEST_ID_KEY))
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, time.perf_counter())
        if isinstance(worker_ctx.entrypoint, Timer) and not exc_info:
            return  # periodic jobs would fill the log with a line a second
        if isinstance(worker_ctx.entrypoint, EventHandler) and not exc_info:
            return  # plumbing.handlers logs a line per event of the batch
        log_call(worker_ctx.call_id, exc_info[0].__name__ if exc_info else "ok", started)

    def worker_teardown(self, worker_ctx):
        set_request_id(None)
        set_event_id(None)
