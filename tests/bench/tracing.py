"""What tracing costs per call: plumbing/tracing.py's hooks, timed without a TracerProvider (the
default: tracing off) and with the SDK's (each span ended and handed to an exporter that drops
it: the cost of making spans, not of sending them).

    .venv/bin/python -m tests.bench.tracing

Each mode runs in a process of its own (a TracerProvider is global and set once). Prints the
microseconds per call of each hook: what one handled RPC, one RPC made, one outbox event written
and published, one gateway request add."""

import json
import subprocess
import sys
import timeit
from types import SimpleNamespace

from plumbing.config import PROJECT_ROOT

CALLS = 20_000


def _hooks() -> dict:
    from opentelemetry.trace import SpanKind

    from plumbing import tracing

    provider = tracing.Tracing()
    provider.container = SimpleNamespace(service_name="orders")
    provider.handles = {}
    entrypoint = SimpleNamespace(method_name="get_order", expected_exceptions=())

    class WorkerContext:  # what the provider reads of nameko's, hashable like it
        def __init__(self):
            self.entrypoint, self.data = entrypoint, {"request_id": "r"}

    worker_ctx = WorkerContext()

    def rpc_handled():
        provider.worker_setup(worker_ctx)
        provider.worker_result(worker_ctx, None, None)
        provider.worker_teardown(worker_ctx)

    def rpc_made():
        with tracing.rpc_span({"request_id": "r"}, "products", "reserve_stock"):
            pass

    def event_written_and_published():
        headers = tracing.event_headers({"nameko.request_id": "r"})
        with tracing.publish_span("orders", "order_created", headers):
            pass

    def gateway_request():
        tracing.end(tracing.begin("GET /api/v1/orders/<order_id>", SpanKind.SERVER, None, {"http.route": "x"}))

    return {
        "RPC handled (worker_setup/result/teardown)": rpc_handled,
        "RPC made (rpc_span)": rpc_made,
        "event written and published": event_written_and_published,
        "gateway request (begin/end)": gateway_request,
    }


def measure(with_sdk: bool) -> dict:
    from opentelemetry import trace

    if with_sdk:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

        class Drop(SpanExporter):
            def export(self, spans):
                return SpanExportResult.SUCCESS

        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(Drop()))
        trace.set_tracer_provider(provider)
    from opentelemetry.trace import SpanKind

    from plumbing import tracing

    tracing.begin("worker", SpanKind.SERVER)  # the hooks run inside a worker's span, as they do in a service
    results = {}
    for name, hook in _hooks().items():
        hook()  # warm up
        best = min(timeit.repeat(hook, number=CALLS, repeat=5))
        results[name] = best / CALLS * 1e6
    return results


def main() -> None:
    runs = {}
    for mode in ("off", "sdk"):
        code = f"import json; from tests.bench.tracing import measure; print(json.dumps(measure({mode == 'sdk'})))"
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        )
        runs[mode] = json.loads(done.stdout)
    print(f"{'hook':48} {'off µs':>8} {'SDK µs':>8}")
    for name in runs["off"]:
        print(f"{name:48} {runs['off'][name]:8.2f} {runs['sdk'][name]:8.2f}")


if __name__ == "__main__":
    main()
