"""How far behind the views are: the time since the newest event applied (while events wait),
and the events waiting in the service's queues.

The newest event is remembered per process, after its transaction committed; a fresh process
starts from the newest change in the views. The queues are counted with a passive declare on
the service's own queues (its broker user may configure only those).

Prometheus reads the same report at scrape time (`oms_read_model_lag_seconds`,
`oms_read_model_queued_events`): one short broker connection per scrape."""

import logging
import threading
from datetime import UTC, datetime

from kombu import Connection
from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from plumbing.handlers import handler_spec

log = logging.getLogger(__name__)


def handler_queues(service_cls) -> list[str]:
    """The queue nameko's EventHandler consumes for each of the class's idempotent handlers."""
    names = []
    for attr in sorted(dir(service_cls)):
        spec = handler_spec(service_cls, attr)
        if spec is not None:
            names.append(f"evt-{spec.source_service}-{spec.event_type}--{service_cls.name}.{attr}")
    return names


class LagTracker:
    def __init__(self, config: dict, queues: list[str]):
        self._config = config
        self._queues = queues
        self._lock = threading.Lock()
        self.occurred_at: datetime | None = None  # of the newest event applied
        self.applied_at: datetime | None = None  # when it was applied

    def applied(self, occurred_at: str) -> None:
        when = datetime.fromisoformat(occurred_at)
        with self._lock:
            if self.occurred_at is None or when > self.occurred_at:
                self.occurred_at, self.applied_at = when, datetime.now(UTC)

    def remember_if_unknown(self, occurred_at: datetime | None) -> None:
        with self._lock:
            if self.occurred_at is None and occurred_at is not None:
                self.occurred_at = self.applied_at = occurred_at

    def waiting(self) -> int:
        """Messages ready in the service's event queues now."""
        with Connection(self._config[AMQP_URI_CONFIG_KEY], ssl=self._config.get(AMQP_SSL_CONFIG_KEY)) as conn:
            channel = conn.channel()
            try:
                return sum(channel.queue_declare(queue=name, passive=True).message_count for name in self._queues)
            finally:
                channel.close()

    def report(self) -> dict:
        """{lag_ms, queued, last_event_at}. With events waiting, lag is now minus the newest applied
        event's time; with none, how late that event was applied (an idle view is not behind)."""
        queued = self.waiting()
        with self._lock:
            occurred_at, applied_at = self.occurred_at, self.applied_at
        if occurred_at is None:
            return {"lag_ms": 0, "queued": queued, "last_event_at": None}
        until = datetime.now(UTC) if queued else applied_at
        return {
            "lag_ms": max(0, round((until - occurred_at).total_seconds() * 1000)),
            "queued": queued,
            "last_event_at": occurred_at.isoformat(),
        }


class Lag(DependencyProvider):
    def setup(self):
        self.tracker = LagTracker(self.container.config, handler_queues(self.container.service_cls))

    def start(self):
        _SCRAPED.trackers.add(self.tracker)

    def stop(self):
        _SCRAPED.trackers.discard(self.tracker)

    kill = stop

    def get_dependency(self, worker_ctx) -> LagTracker:
        return self.tracker


class LagCollector(Collector):
    """The running trackers' reports, at scrape time (one per process, but for tests)."""

    def __init__(self):
        self.trackers: set[LagTracker] = set()

    def describe(self):
        return list(self._families())  # names only: no broker connection at registration

    def collect(self):
        lag, queued = self._families()
        for tracker in list(self.trackers):
            try:
                report = tracker.report()
            except Exception as exc:  # the broker is down: these series are missing from this scrape
                log.warning("metrics: reading the read model's lag failed: %r", exc)
                continue
            lag.add_metric([], report["lag_ms"] / 1000)
            queued.add_metric([], report["queued"])
        return [lag, queued]

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily("oms_read_model_lag_seconds", "How far the order views are behind the events."),
            GaugeMetricFamily("oms_read_model_queued_events", "Events waiting in order_queries' queues."),
        )


_SCRAPED = LagCollector()
REGISTRY.register(_SCRAPED)
