"""plumbing/tracing.py on its own: a no-op without configuration, OTLP over HTTP with it.

The OTLP case runs in a subprocess: a TracerProvider is global to a process and set only once."""

import http.server
import subprocess
import sys
import threading

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from plumbing import tracing
from plumbing.config import PROJECT_ROOT

EMIT_ONE_SPAN = """
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from plumbing import tracing
tracing.configure_tracing("probe")
with tracing.span("probe.work", SpanKind.INTERNAL):
    pass
trace.get_tracer_provider().shutdown()  # flushes the batch
"""


def test_without_configuration_nothing_is_traced_or_carried(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_TRACES_FILE", raising=False)
    tracing.configure_tracing("test")
    assert tracing.tracer() is None and tracing.current_traceparent() is None
    context_data = {"request_id": "r"}
    with tracing.rpc_span(context_data, "orders", "get_order"):
        assert context_data == {"request_id": "r"}
    assert tracing.event_headers({"nameko.request_id": "r"}) == {"nameko.request_id": "r"}


def test_spans_are_exported_over_otlp_http_when_an_endpoint_is_set():
    received = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}", "PATH": "/usr/bin:/bin"}
        done = subprocess.run([sys.executable, "-c", EMIT_ONE_SPAN], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        server.shutdown()
        server.server_close()
    [(path, content_type, body)] = received
    assert path == "/v1/traces" and content_type == "application/x-protobuf"
    export = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = export.resource_spans
    service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
    assert service == "probe"
    assert [span.name for scope in resource_spans.scope_spans for span in scope.spans] == ["probe.work"]
