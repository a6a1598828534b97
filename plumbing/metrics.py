"""Prometheus metrics of a service, served on its own port (config METRICS.PORTS[<service>]).

Declare on a service as `metrics = ServiceMetrics()`. It brings:

- per call, timed between nameko's worker_setup and worker_result hooks (one perf_counter each
  and one histogram observation; the labelled series are bound once, at start):
  `oms_rpc_duration_seconds`, `oms_event_duration_seconds`, `oms_timer_duration_seconds`, by
  service, method and outcome. An RPC's outcome is `ok` or its exception's class name; an event
  handler's is what `plumbing.handlers` made of the event (processed, duplicate, dead_letter,
  requeued); a handler's worker takes a batch of events, each counted with the batch's time.
  Their `_count` is the number of calls (of events, for handlers).
- at scrape time only, read by one collector for every service of the process: outbox rows
  unsent and the age of the oldest (`oms_outbox_unsent`, `oms_outbox_oldest_unsent_age_seconds`),
  dead letters not discarded (`oms_dead_letters`), how long past its deadline the oldest saga step
  still waiting is (`oms_saga_step_overdue_seconds`, for a service's `deadlines`), and per
  SQLAlchemy pool the connections in use and its size (`oms_db_pool_in_use`, `oms_db_pool_size`;
  in use may pass size by the pool's overflow). One statement per scrape, on the service's own pool.
- prometheus-client's process metrics (CPU, memory, open files) of the default registry.

Several instances on one host need a port each (0: any free port, which the log names; empty:
no metrics endpoint)."""

import logging
import time
from dataclasses import dataclass

import nameko.events
import nameko.rpc
from nameko.extensions import DependencyProvider
from nameko.timer import Timer
from prometheus_client import REGISTRY, Histogram, disable_created_metrics, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Engine

from plumbing.handlers import HANDLER_OUTCOMES

log = logging.getLogger(__name__)

disable_created_metrics()  # a `_created` series per labelled child doubles what is stored

# From a trivial RPC (~2 ms) to a handler that waits on a peer's timeout.
CALL_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LABELS = ("service", "method", "outcome")
OK = "ok"

RPC_SECONDS = Histogram("oms_rpc_duration_seconds", "RPC calls handled, by outcome.", LABELS, buckets=CALL_BUCKETS)
EVENT_SECONDS = Histogram(
    "oms_event_duration_seconds", "Events handled (retries included), by outcome.", LABELS, buckets=CALL_BUCKETS
)
TIMER_SECONDS = Histogram(
    "oms_timer_duration_seconds", "Periodic jobs run, by outcome.", LABELS, buckets=CALL_BUCKETS
)


@dataclass(frozen=True)
class _Series:
    """An entrypoint's histogram and its children bound in advance, by outcome."""

    histogram: Histogram
    service: str
    method: str
    bound: dict  # outcome -> child

    def child(self, outcome: str):
        child = self.bound.get(outcome)
        return child if child is not None else self.histogram.labels(self.service, self.method, outcome)


def _histogram_of(entrypoint) -> tuple[Histogram, tuple[str, ...]] | None:
    if isinstance(entrypoint, nameko.rpc.Rpc):
        return RPC_SECONDS, (OK,)
    if isinstance(entrypoint, nameko.events.EventHandler):
        return EVENT_SECONDS, (OK, *HANDLER_OUTCOMES)
    if isinstance(entrypoint, Timer):
        return TIMER_SECONDS, (OK,)
    return None


class ServiceMetrics(DependencyProvider):
    """See the module docstring."""

    def setup(self):
        self._started: dict = {}
        self._series: dict = {}
        self._server = None

    def start(self):
        service = self.container.service_name
        for entrypoint in self.container.entrypoints:
            found = _histogram_of(entrypoint)
            if found is not None:
                histogram, outcomes = found
                method = entrypoint.method_name
                bound = {outcome: histogram.labels(service, method, outcome) for outcome in outcomes}
                self._series[entrypoint] = _Series(histogram, service, method, bound)
        _SCRAPED.add(self)
        settings = self.container.config.get("METRICS", {})
        port = settings.get("PORTS", {}).get(service)
        if port not in (None, ""):
            self._server, _ = start_http_server(int(port), settings.get("HOST", "127.0.0.1"))
            log.info("metrics of %s on http://%s:%d/metrics", service, *self._server.server_address[:2])

    def stop(self):
        _SCRAPED.discard(self)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    kill = stop

    @property
    def port(self) -> int | None:
        """The port metrics are served on (the one chosen when config said 0)."""
        return None if self._server is None else self._server.server_port

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        series = self._series.get(worker_ctx.entrypoint)
        if started is None or series is None:
            return
        elapsed = time.perf_counter() - started
        if exc_info is not None:
            series.child(exc_info[0].__name__).observe(elapsed)
        elif series.histogram is EVENT_SECONDS:
            # A batch of events (plumbing/event_batches.py): a count per event, each taking as
            # long as its batch's worker did.
            for outcome in result:
                series.child(outcome if outcome in HANDLER_OUTCOMES else OK).observe(elapsed)
        else:
            series.child(OK).observe(elapsed)


def _engines(container) -> dict[str, Engine]:
    """The container's SQLAlchemy engines, by the attribute of the provider holding each."""
    return {
        ext.attr_name: ext.engine
        for ext in container.extensions
        if isinstance(getattr(ext, "engine", None), Engine)
    }


@dataclass(frozen=True)
class Deadline:
    """A saga step that waits in the service's database until a time in one of its columns: rows
    matching `waiting` whose `column` has passed are overdue (`oms_saga_step_overdue_seconds`).
    Declare on a service as `deadlines = {step: Deadline(...)}`; an index on the column where
    `waiting` holds keeps the scrape cheap."""

    column: ColumnElement
    waiting: ColumnElement


def _age_of_oldest(column: ColumnElement, *where: ColumnElement):
    """Seconds since the smallest `column` among the rows `where` selects, 0 when there is none."""
    age = func.extract("epoch", func.now() - func.min(column))
    return select(func.coalesce(age, 0)).where(*where).scalar_subquery()


def _bookkeeping_query(container):
    """One statement reading the outbox backlog, the dead letters and the overdue saga steps of the
    service, or None when it has none of them (built once per container)."""
    service_cls = container.service_cls
    columns = []
    outbox = getattr(getattr(service_cls, "outbox", None), "model", None)
    if outbox is not None:
        unsent = outbox.__table__.c.sent_at.is_(None)
        columns += [
            select(func.count()).select_from(outbox.__table__).where(unsent).scalar_subquery().label("outbox_unsent"),
            _age_of_oldest(outbox.__table__.c.created_at, unsent).label("outbox_oldest_age"),
        ]
    tables = getattr(service_cls, "handler_tables", None)
    if tables is not None:
        dead = tables.dead_letters.__table__
        waiting = select(func.count()).select_from(dead).where(dead.c.discarded_at.is_(None))
        columns.append(waiting.scalar_subquery().label("dead_letters"))
    for step, deadline in getattr(service_cls, "deadlines", {}).items():
        overdue = _age_of_oldest(deadline.column, deadline.waiting, deadline.column < func.now())
        columns.append(overdue.label(f"overdue:{step}"))
    return select(*columns) if columns else None


class BookkeepingCollector(Collector):
    """Read at scrape time for every running container of the process (one in production, several
    in a test process), so each family appears once."""

    def __init__(self):
        self._containers: dict = {}  # a started ServiceMetrics -> (its container, its statement or None)

    def add(self, provider: "ServiceMetrics") -> None:
        self._containers[provider] = (provider.container, _bookkeeping_query(provider.container))

    def discard(self, provider: "ServiceMetrics") -> None:
        self._containers.pop(provider, None)

    def describe(self):
        # Names only, without reading any database (the registry calls this at registration).
        return list(self._families().values())

    def collect(self):
        families = self._families()
        for container, query in list(self._containers.values()):
            service = container.service_name
            engines = _engines(container)
            for pool_name, engine in engines.items():
                pool = engine.pool
                if hasattr(pool, "checkedout"):
                    families["pool_in_use"].add_metric([service, pool_name], pool.checkedout())
                    families["pool_size"].add_metric([service, pool_name], pool.size())
            if query is None or "db" not in engines:
                continue
            try:
                with engines["db"].connect() as conn:
                    row = conn.execute(query).mappings().one()
            except Exception as exc:  # the database is down: these series are missing from this scrape
                log.warning("metrics: reading %s's outbox and dead letters failed: %r", service, exc)
                continue
            if "outbox_unsent" in row:
                families["outbox_unsent"].add_metric([service], row["outbox_unsent"])
                families["outbox_age"].add_metric([service], float(row["outbox_oldest_age"] or 0))
            if "dead_letters" in row:
                families["dead_letters"].add_metric([service], row["dead_letters"])
            for column, seconds in row.items():
                if column.startswith("overdue:"):
                    families["overdue"].add_metric([service, column.removeprefix("overdue:")], float(seconds))
        return list(families.values())

    @staticmethod
    def _families() -> dict[str, GaugeMetricFamily]:
        return {
            "outbox_unsent": GaugeMetricFamily(
                "oms_outbox_unsent", "Outbox rows not yet published.", labels=["service"]
            ),
            "outbox_age": GaugeMetricFamily(
                "oms_outbox_oldest_unsent_age_seconds",
                "Age of the oldest outbox row not yet published (0 when none is).",
                labels=["service"],
            ),
            "dead_letters": GaugeMetricFamily(
                "oms_dead_letters", "Dead letters waiting for an operator (not discarded).", labels=["service"]
            ),
            "overdue": GaugeMetricFamily(
                "oms_saga_step_overdue_seconds",
                "How long past its deadline the oldest saga step still waiting is (0 when none is).",
                labels=["service", "step"],
            ),
            "pool_in_use": GaugeMetricFamily(
                "oms_db_pool_in_use", "Database connections checked out of the pool.", labels=["service", "pool"]
            ),
            "pool_size": GaugeMetricFamily(
                "oms_db_pool_size", "Connections the pool keeps (it may open overflow ones beyond).",
                labels=["service", "pool"],
            ),
        }


_SCRAPED = BookkeepingCollector()
REGISTRY.register(_SCRAPED)
