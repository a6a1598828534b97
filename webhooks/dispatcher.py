"""The delivery loop: deliveries are rows (models.Delivery), so a crash loses none.

Each instance runs one loop. It claims due deliveries with `FOR UPDATE SKIP LOCKED` (instances take
disjoint rows) and leases them for an attempt's timeout plus a margin: a process killed mid-attempt
leaves its deliveries to be taken again when the lease passes. Each attempt runs in a green thread
of a bounded pool, so a slow endpoint holds only its own deliveries, never the loop or other
endpoints: at most PER_ENDPOINT_CONCURRENCY attempts to one endpoint are under way at once, across
instances. An endpoint whose last attempt failed (`failing_since`) gets one attempt at a time, after
the healthy endpoints' due deliveries, and the failing endpoints together at most half of an
instance's pool: however many hang, the other half is the healthy ones'. A delivery is not claimed
while an earlier one (by the event's time) to the same endpoint for the same order is still pending:
per order, a later event waits until the earlier one succeeded or was given up. An event handler
wakes the loop after its commit; without it the loop looks every POLL_INTERVAL_SECONDS."""

import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import eventlet
import nameko_sqlalchemy
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider
from sqlalchemy import String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY

from plumbing.unit_of_work import UnitOfWork
from webhooks import metrics
from webhooks.endpoints import signing_secrets
from webhooks.models import Attempt, new_id
from webhooks.sender import Result, attempt, http_session
from webhooks.settings import Settings

log = logging.getLogger(__name__)

# Database connections the loop and its attempts hold at once, whatever the number of attempts
# under way: an attempt holds none while it waits on the receiver, and the service's pool is
# shared with its RPCs and handlers (PostgreSQL's connections are few).
DATABASE_SESSIONS = 3

_IN_FLIGHT = text(
    "SELECT endpoint_id, count(*) FROM deliveries WHERE status = 'pending' AND leased_until > now()"
    " GROUP BY endpoint_id"
)
_DUE = text(
    "SELECT d.id, d.endpoint_id, e.failing_since IS NOT NULL AS failing"
    " FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id"
    " WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.enabled"
    " AND d.created_at <= now() - make_interval(secs => :grace)"
    " AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint_id = d.endpoint_id"
    " AND p.order_id = d.order_id AND p.status = 'pending' AND (p.occurred_at, p.seq) < (d.occurred_at, d.seq))"
    " ORDER BY e.failing_since IS NOT NULL, d.next_attempt_at, d.seq LIMIT :limit FOR UPDATE OF d SKIP LOCKED"
)
_LEASE = text(
    "UPDATE deliveries d SET leased_until = now() + make_interval(secs => :lease),"
    " next_attempt_at = now() + make_interval(secs => :lease)"
    " FROM endpoints e WHERE e.id = d.endpoint_id AND d.id = ANY(:ids)"
    " RETURNING d.id, d.event_id, d.body, d.attempts, d.attempts_before_requeue, d.endpoint_id, d.created_at,"
    " e.url, e.secret, e.previous_secret, e.previous_secret_until, e.failing_since IS NOT NULL AS failing"
).bindparams(bindparam("ids", type_=ARRAY(String)))
_SUCCEEDED = text(
    "UPDATE deliveries SET status = 'succeeded', attempts = :number, leased_until = NULL, last_error = NULL,"
    " finished_at = now() WHERE id = :id"
)
_RETRY = text(
    "UPDATE deliveries SET attempts = :number, leased_until = NULL, last_error = :error,"
    " next_attempt_at = now() + make_interval(secs => :wait) WHERE id = :id"
)
_GIVE_UP = text(
    "UPDATE deliveries SET status = 'failed', attempts = :number, leased_until = NULL, last_error = :error,"
    " finished_at = now() WHERE id = :id"
)
_HEALTHY = text("UPDATE endpoints SET failing_since = NULL WHERE id = :id AND failing_since IS NOT NULL")
_FAILING = text(
    "UPDATE endpoints SET failing_since = coalesce(failing_since, now()) WHERE id = :id"
    " RETURNING enabled, failing_since < now() - make_interval(secs => :disable_after) AS failing_too_long"
)
_DISABLE = text(
    "UPDATE endpoints SET enabled = false, disabled_reason = :reason, updated_at = now() WHERE id = :id"
)


@dataclass(frozen=True)
class Claim:
    id: str
    event_id: str
    body: str
    attempts: int
    attempts_before_requeue: int
    endpoint_id: str
    created_at: datetime
    url: str
    secrets: list[str]
    failing: bool  # its endpoint's last attempt failed


def next_wait(settings: Settings, number: int) -> float | None:
    """Seconds before the next attempt after attempt `number` (counted from the first, or from a
    retry by hand) failed; None: give up."""
    if number > len(settings.retry_schedule):
        return None
    base = settings.retry_schedule[number - 1]
    return base * random.uniform(1 - settings.jitter, 1 + settings.jitter)  # noqa: S311 - jitter, not a secret


class Dispatcher(DependencyProvider):
    """The loop above, for a service with a Database; `self.dispatcher.wake()` after a commit
    that queued deliveries."""

    def setup(self):
        [self.database] = [dep for dep in self.container.dependencies if isinstance(dep, nameko_sqlalchemy.Database)]
        self.settings = Settings.from_config(self.container.config)
        self.pool = eventlet.GreenPool(self.settings.concurrency)
        self.failing_share = max(self.settings.concurrency // 2, 1)  # of the pool, for failing endpoints
        self.failing_running = 0
        self.http = http_session(self.settings.concurrency, self.settings.production)
        self.signal = LightQueue(maxsize=1)
        self.sessions = eventlet.Semaphore(DATABASE_SESSIONS)
        self.running = False

    def start(self):
        self.running = True
        metrics.watch_queues(self.database)
        self.container.spawn_managed_thread(self._loop)

    def stop(self):
        self.running = False
        self.wake()
        self.pool.waitall()
        self.http.close()

    def kill(self):
        self.running = False

    def get_dependency(self, worker_ctx) -> "Dispatcher":
        return self

    def wake(self) -> None:
        try:
            self.signal.put_nowait(True)
        except eventlet.queue.Full:
            pass  # already woken

    def _loop(self) -> None:
        while self.running:
            claimed = 0
            try:
                if self.pool.free():
                    claimed = self.dispatch()
            except Exception:
                log.exception("webhooks: claiming deliveries failed; trying again")
            if not claimed or not self.pool.free():
                try:
                    self.signal.get(timeout=self.settings.poll_interval)
                except Empty:
                    pass

    @contextmanager
    def _unit_of_work(self) -> Iterator[UnitOfWork]:
        with self.sessions, UnitOfWork(self.database.Session(), close=True) as uow:
            yield uow

    def dispatch(self) -> int:
        """Claim what is due, up to the free green threads, and start its attempts; how many."""
        free = self.pool.free()
        with self._unit_of_work() as uow:
            in_flight = dict(uow.session.execute(_IN_FLIGHT).all())
            chosen = []
            due = uow.session.execute(_DUE, {"grace": self.settings.ordering_grace, "limit": free * 4}).all()
            failing_free = self.failing_share - self.failing_running
            for delivery_id, endpoint_id, failing in due:
                if len(chosen) == free:
                    break
                if in_flight.get(endpoint_id, 0) >= (1 if failing else self.settings.per_endpoint_concurrency):
                    continue
                if failing:
                    if failing_free <= 0:
                        continue
                    failing_free -= 1
                in_flight[endpoint_id] = in_flight.get(endpoint_id, 0) + 1
                chosen.append(delivery_id)
            rows = uow.session.execute(_LEASE, {"ids": chosen, "lease": self.settings.lease}).all() if chosen else []
            uow.commit()
        for row in rows:
            claim = Claim(row.id, row.event_id, row.body, row.attempts, row.attempts_before_requeue, row.endpoint_id,
                          row.created_at, row.url,
                          signing_secrets(row.secret, row.previous_secret, row.previous_secret_until), row.failing)
            self.failing_running += claim.failing
            self.pool.spawn_n(self._deliver, claim)
        return len(rows)

    def _deliver(self, claim: Claim) -> None:
        try:
            settings = self.settings
            result = attempt(self.http, claim.url, claim.event_id, claim.body, claim.secrets,
                             settings.attempt_timeout, settings.response_body_cap, settings.production)
            metrics.observe_attempt(result)
            self._record(claim, result)
        except Exception:
            # The lease runs out and the delivery is attempted again.
            log.exception("webhooks: delivery %s could not be attempted or recorded", claim.id)
        finally:
            self.failing_running -= claim.failing
            self.wake()

    def _record(self, claim: Claim, result: Result) -> None:
        """The attempt, and what it makes of the delivery and its endpoint. Locks are taken endpoint
        first, then the delivery, as deleting an endpoint (its deliveries by cascade) takes them."""
        number = claim.attempts + 1
        wait = None if result.ok else next_wait(self.settings, number - claim.attempts_before_requeue)
        with self._unit_of_work() as uow:
            session = uow.session
            if result.ok:
                session.execute(_HEALTHY, {"id": claim.endpoint_id})
            else:
                failing = session.execute(_FAILING, {"id": claim.endpoint_id,
                                                     "disable_after": self.settings.disable_after}).first()
                if failing is not None and failing.enabled and failing.failing_too_long:
                    self._disable(session, claim)
            session.add(Attempt(
                id=new_id(), delivery_id=claim.id, number=number, started_at=result.started_at,
                request_headers=result.headers, request_body=claim.body, response_status=result.status,
                response_body=result.body, duration_ms=round(result.duration * 1000), error=result.error,
            ))
            if result.ok:
                session.execute(_SUCCEEDED, {"id": claim.id, "number": number})
            elif wait is None:
                session.execute(_GIVE_UP, {"id": claim.id, "number": number, "error": result.error})
            else:
                session.execute(_RETRY, {"id": claim.id, "number": number, "error": result.error, "wait": wait})
            uow.commit()
        if result.ok or wait is None:
            outcome = metrics.SUCCEEDED if result.ok else metrics.FAILED
            metrics.observe_delivery(outcome, (datetime.now(UTC) - claim.created_at).total_seconds())

    def _disable(self, session, claim: Claim) -> None:
        hours = timedelta(seconds=self.settings.disable_after)
        reason = f"every attempt failed for {hours}; last: {claim.url}"
        session.execute(_DISABLE, {"id": claim.endpoint_id, "reason": reason[:500]})
        metrics.ENDPOINTS_DISABLED.inc()
        # The admin's notice: an ERROR line (alerting reads the logs and this counter).
        log.error("webhooks: endpoint %s (%s) disabled: %s", claim.endpoint_id, claim.url, reason)
