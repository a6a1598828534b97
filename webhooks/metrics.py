"""The webhooks' own series: deliveries by outcome, attempt latency by outcome, and, read at
scrape time, the pending deliveries and the age of the oldest per endpoint."""

import logging

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

from webhooks.sender import ATTEMPT_OUTCOMES, Result

log = logging.getLogger(__name__)

SUCCEEDED, FAILED = "succeeded", "failed"

DELIVERIES = Counter("oms_webhook_deliveries", "Deliveries finished, by outcome (failed: given up).", ["outcome"])
DELIVERY_SECONDS = Histogram(
    "oms_webhook_delivery_seconds", "From a delivery's creation to its success or its giving up.", ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 600.0, 3600.0, 86400.0),
)
ATTEMPT_SECONDS = Histogram(
    "oms_webhook_attempt_duration_seconds", "HTTP attempts, by outcome.", ["outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ENDPOINTS_DISABLED = Counter("oms_webhook_endpoints_disabled", "Endpoints disabled for failing too long.")
for _outcome in ATTEMPT_OUTCOMES:
    ATTEMPT_SECONDS.labels(_outcome)
for _outcome in (SUCCEEDED, FAILED):
    DELIVERIES.labels(_outcome)

_QUEUES = text(
    "SELECT endpoint_id, count(*) AS pending, extract(epoch FROM now() - min(created_at)) AS oldest"
    " FROM deliveries WHERE status = 'pending' GROUP BY endpoint_id"
)


def observe_attempt(result: Result) -> None:
    ATTEMPT_SECONDS.labels(result.outcome).observe(result.duration)


def observe_delivery(outcome: str, seconds: float) -> None:
    DELIVERIES.labels(outcome).inc()
    DELIVERY_SECONDS.labels(outcome).observe(seconds)


class QueueCollector(Collector):
    """Pending deliveries per endpoint and how long the oldest has waited (one statement per scrape)."""

    def __init__(self):
        self.database = None

    def collect(self):
        pending = GaugeMetricFamily("oms_webhook_pending_deliveries", "Deliveries not finished.", labels=["endpoint"])
        age = GaugeMetricFamily("oms_webhook_queue_age_seconds", "Age of the oldest pending delivery.",
                                labels=["endpoint"])
        if self.database is not None:
            try:
                with self.database.engine.connect() as connection:
                    for row in connection.execute(_QUEUES):
                        pending.add_metric([row.endpoint_id], row.pending)
                        age.add_metric([row.endpoint_id], float(row.oldest))
            except Exception as exc:  # a scrape never fails on the database
                log.warning("webhook queue metrics: %r", exc)
        yield pending
        yield age


_COLLECTOR = QueueCollector()
REGISTRY.register(_COLLECTOR)


def watch_queues(database) -> None:
    """The process's collector reads this database (the last dispatcher started)."""
    _COLLECTOR.database = database
