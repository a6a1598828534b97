"""What `plumbing.metrics.ServiceMetrics` adds to every call, in µs: its worker_setup and
worker_result hooks for an RPC (outcome ok, a bound series) and for an event handler (an outcome
from plumbing.handlers), timed against the same loop without them. Under eventlet's monkey patch,
as in a service (its locks are green locks).

    .venv/bin/python -m tests.bench.metrics_cost [calls]"""

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402
import time  # noqa: E402

from plumbing.handlers import PROCESSED  # noqa: E402
from plumbing.metrics import EVENT_SECONDS, OK, RPC_SECONDS, ServiceMetrics, _Series  # noqa: E402


class WorkerContext:
    """Hashable by identity, as nameko's is."""

    def __init__(self, entrypoint):
        self.entrypoint = entrypoint


def provider_with(entrypoint, histogram, outcomes) -> ServiceMetrics:
    provider = ServiceMetrics()
    provider.setup()
    bound = {outcome: histogram.labels("bench", "method", outcome) for outcome in outcomes}
    provider._series[entrypoint] = _Series(histogram, "bench", "method", bound)
    return provider


def per_call_us(provider: ServiceMetrics | None, entrypoint, result, calls: int) -> float:
    contexts = [WorkerContext(entrypoint) for _ in range(1000)]
    started = time.perf_counter()
    for n in range(calls):
        worker_ctx = contexts[n % 1000]
        if provider is not None:
            provider.worker_setup(worker_ctx)
            provider.worker_result(worker_ctx, result, None)
    return (time.perf_counter() - started) / calls * 1e6


def main(calls: int = 200_000) -> None:
    for kind, histogram, outcomes, result in (
        ("rpc", RPC_SECONDS, (OK,), {"id": "x"}),
        ("event", EVENT_SECONDS, (OK, PROCESSED), PROCESSED),
    ):
        entrypoint = object()
        provider = provider_with(entrypoint, histogram, outcomes)
        runs = [per_call_us(provider, entrypoint, result, calls) - per_call_us(None, entrypoint, result, calls)
                for _ in range(5)]
        print(f"{kind}: {min(runs):.2f} µs per call (best of 5, {calls} calls each; median {sorted(runs)[2]:.2f})")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
