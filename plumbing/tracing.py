"""OpenTelemetry traces: a span per gateway request, per RPC made and handled, per event handled
and per event published from an outbox, joined into one trace by W3C `traceparent`.

The context travels as `traceparent` in nameko's worker context data, which nameko sends as the
AMQP header `nameko.traceparent` with every RPC request and turns back into context data for the
worker that handles it; an outbox row stores it in its headers, so an event published later (by
the sender or the relay timer) continues the trace of the transaction that wrote it.

Tracing is on when the process has an SDK TracerProvider: `configure_tracing` installs one when
OTEL_EXPORTER_OTLP_ENDPOINT is set (OTLP over HTTP, batched; the exporter reads the other
OTEL_EXPORTER_OTLP_* variables itself) or OTEL_TRACES_FILE (every span as a JSON line appended
to that file: for tests, whose services are separate processes). Otherwise every hook here
returns after one check of a module global, and nothing is sent or stored: whether tracing is
on is settled at the first use (asking the API each time cost ~2 µs, an os.environ lookup), so
a provider must be installed before the first span, as `configure_tracing` is in every process."""

import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext

from nameko.extensions import DependencyProvider
from nameko.timer import Timer
from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from plumbing.event_batches import EventHandler

TRACEPARENT_KEY = "traceparent"  # in worker context data; the AMQP header is nameko.traceparent
HEADER = "nameko." + TRACEPARENT_KEY  # in the headers an outbox row is published with
_NO_TRACING = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
_propagator = TraceContextTextMapPropagator()
_UNSETTLED = object()
_tracer = _UNSETTLED
_NO_SPAN = nullcontext()


def tracer() -> trace.Tracer | None:
    """The tracer, or None when no SDK TracerProvider was installed before the first use (off)."""
    global _tracer
    if _tracer is _UNSETTLED:
        provider = trace.get_tracer_provider()
        _tracer = None if isinstance(provider, _NO_TRACING) else provider.get_tracer("oms")
    return _tracer


def configure_tracing(service_name: str) -> None:
    """Install the SDK's TracerProvider for this process if the environment asks for traces."""
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    path = os.environ.get("OTEL_TRACES_FILE")
    global _tracer
    if not (endpoint or path) or not isinstance(trace.get_tracer_provider(), _NO_TRACING):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if endpoint:
        # Imported only when used: it brings protobuf and the generated OTLP messages with it.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if path:
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    trace.set_tracer_provider(provider)
    _tracer = _UNSETTLED


class JsonLinesSpanExporter(SpanExporter):
    """Appends each span as one JSON object per line (the SDK's `to_json`) to a file that several
    processes share: one O_APPEND write per batch, so lines never interleave."""

    def __init__(self, path: str):
        self.path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(span.to_json(indent=None) + "\n" for span in spans).encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, lines)
        finally:
            os.close(fd)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, or None without one."""
    if tracer() is None:
        return None
    carrier: dict = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT_KEY)


def current_trace_id() -> str | None:
    """The current trace id as 32 hex digits, or None outside a trace."""
    if tracer() is None:
        return None
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


def begin(name: str, kind: SpanKind, traceparent: str | None = None, attributes: dict | None = None):
    """Start a span, child of `traceparent` (or of no one), and make it current until `end`.
    Returns the handle `end` takes, or None when tracing is off."""
    active = tracer()
    if active is None:
        return None
    parent = _propagator.extract({TRACEPARENT_KEY: traceparent}) if traceparent else context.Context()
    span = active.start_span(name, context=parent, kind=kind, attributes=attributes)
    return span, context.attach(trace.set_span_in_context(span))


def finish(handle, error: BaseException | None = None, attributes: dict | None = None) -> None:
    """End the span of `begin`; an error marks it failed. It stays current until `release`."""
    if handle is None:
        return
    span, _ = handle
    if attributes:
        span.set_attributes(attributes)
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.end()


def release(handle) -> None:
    """Stop the span of `begin` being the current one."""
    if handle is not None:
        context.detach(handle[1])


@contextmanager
def resumed(handle) -> Iterator[None]:
    """The span of `begin` current again for the block, after `release` (a log line about it)."""
    if handle is None:
        yield
        return
    token = context.attach(trace.set_span_in_context(handle[0]))
    try:
        yield
    finally:
        context.detach(token)


def end(handle, error: BaseException | None = None, attributes: dict | None = None) -> None:
    finish(handle, error, attributes)
    release(handle)


@contextmanager
def span(name: str, kind: SpanKind, traceparent: str | None = None, attributes: dict | None = None) -> Iterator:
    """A span around a block, child of `traceparent` if given, else of the current span; yields
    the traceparent to send on (None when tracing is off)."""
    if tracer() is None:
        yield None
        return
    if traceparent is None:
        traceparent = current_traceparent()
    handle = begin(name, kind, traceparent, attributes)
    error = None
    try:
        yield current_traceparent()
    except BaseException as exc:
        error = exc
        raise
    finally:
        end(handle, error)


def rpc_span(context_data: dict, service: str, method: str) -> AbstractContextManager[None]:
    """The span of an RPC this process makes, its traceparent in the call's context data (which
    nameko sends as a header) for the duration of the call; what was there before is put back."""
    return _NO_SPAN if tracer() is None else _rpc_span(context_data, service, method)


@contextmanager
def _rpc_span(context_data: dict, service: str, method: str) -> Iterator[None]:
    attributes = {"rpc.service": service, "rpc.method": method}
    previous = context_data.get(TRACEPARENT_KEY)
    with span(f"{service}.{method}", SpanKind.CLIENT, attributes=attributes) as traceparent:
        carry(context_data, traceparent)
        try:
            yield
        finally:
            carry(context_data, previous)


def carry(context_data: dict, traceparent: str | None) -> None:
    """Set (or clear) the traceparent nameko sends with the messages of this context data."""
    if traceparent:
        context_data[TRACEPARENT_KEY] = traceparent
    else:
        context_data.pop(TRACEPARENT_KEY, None)


def event_headers(headers: dict) -> dict:
    """An outbox row's headers with the current traceparent, so its publication joins this trace."""
    traceparent = current_traceparent()
    return {**headers, HEADER: traceparent} if traceparent else headers


def publish_span(service: str, event_type: str, headers: dict) -> AbstractContextManager[dict]:
    """The span of publishing an outbox row, child of the span that wrote it; yields the headers
    to publish with, carrying this span on to the handlers."""
    if tracer() is None or HEADER not in headers:
        return nullcontext(headers)
    return _publish_span(service, event_type, headers)


@contextmanager
def _publish_span(service: str, event_type: str, headers: dict) -> Iterator[dict]:
    attributes = {"messaging.system": "rabbitmq", "messaging.destination.name": f"{service}.events"}
    with span(f"{service}.{event_type} publish", SpanKind.PRODUCER, headers[HEADER], attributes) as traceparent:
        yield {**headers, HEADER: traceparent}


def begin_handling(service: str, source_service: str, event_type: str, traceparent: str | None):
    """`begin` the span of handling one event (consumer), child of the span that published it.
    plumbing.handlers makes one per event of a batch, as the batch's worker handles it."""
    attributes = {"messaging.system": "rabbitmq", "messaging.operation.type": "process"}
    return begin(f"{service} handles {source_service}.{event_type}", SpanKind.CONSUMER, traceparent, attributes)


class Tracing(DependencyProvider):
    """Declare on a service: a span per RPC handled (server), child of the caller's span,
    current while the worker runs; what the worker calls or publishes continues it. An event
    handler's worker handles a batch: its spans, one per event, are plumbing.handlers' (see
    `begin_handling`). Periodic jobs get none (the relay runs every second)."""

    def setup(self):
        configure_tracing(self.container.service_name)
        self.handles = {}

    def worker_setup(self, worker_ctx):
        entrypoint = worker_ctx.entrypoint
        if tracer() is None or isinstance(entrypoint, (Timer, EventHandler)):
            return
        service = self.container.service_name
        attributes = {"rpc.service": service, "rpc.method": entrypoint.method_name}
        handle = begin(f"{service}.{entrypoint.method_name}", SpanKind.SERVER, worker_ctx.data.get(TRACEPARENT_KEY),
                       attributes)
        self.handles[worker_ctx] = handle
        carry(worker_ctx.data, current_traceparent())

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        handle = self.handles.get(worker_ctx)
        if handle is None:
            return
        error = exc_info[1] if exc_info else None
        expected = getattr(worker_ctx.entrypoint, "expected_exceptions", ())
        if error is not None and expected and isinstance(error, expected):
            finish(handle, attributes={"oms.outcome": type(error).__name__})  # a 4xx: the caller's doing
        else:
            finish(handle, error)

    def worker_teardown(self, worker_ctx):
        # Current until now, so the worker's last log lines (oms.calls) still carry the trace id.
        release(self.handles.pop(worker_ctx, None))
