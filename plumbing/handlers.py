"""Idempotent event handlers with bounded retries and dead letters.

A service uses it in four steps:

    # models.py
    HANDLER_TABLES = handler_tables(Base)          # processed_events + dead_letters
    # migrations/versions/000N_...py
    def upgrade(): create_handler_tables(op)
    # service.py
    class PaymentsService(MeshService, DeadLetterOperations):
        db = Database(Base)                      # MeshService's uow: each attempt is a unit of work of its own
        handler_tables = HANDLER_TABLES

        @idempotent_handler(ORDERS, ORDER_CREATED)
        def handle_order_created(self, uow, event): ...

The handler gets a unit of work with a session of its own (plumbing/unit_of_work.py) and the
parsed event (money as Decimal). In that one transaction, a row (event_id, handler) is inserted
into `processed_events` first: a redelivered event finds it and changes nothing, and two
instances racing on one event are serialised by the unique constraint. The decorator commits
the unit of work; the handler must not. Events the handler adds with `uow.add_event` are
published right after that commit, and work it registers with `uow.after_commit` (a cache
update) runs then.

A worker takes every event already waiting in the handler's queue (plumbing/event_batches.py):
two or more are handled in one transaction (their marks in one statement, one commit), and the
messages are acked after it. If that transaction fails, each event is handled again on its own,
as a lone one always is: a handler that raises is retried (`attempts` in all, short backoff,
each attempt a fresh transaction); then the message is stored in `dead_letters` and acked, for
an operator to list, replay or discard (`plumbing.dead_letters`). A payload that fails its
schema goes there at once: retrying cannot fix it. While the service's database is down (an
attempt fails on its connection and a fresh one fails too), or when the dead letter itself
cannot be stored, the message goes back to the queue and no attempt is spent, so an outage
neither drops nor dead-letters events. A crash mid-batch commits nothing and acks nothing: the
broker delivers the batch again."""

import logging
import time
import traceback
import uuid
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass

import eventlet
from marshmallow import ValidationError
from nameko.events import SERVICE_POOL
from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import mapped_column

from contracts.events import parse_event
from plumbing.event_batches import REQUEUED, Batch, Delivery, event_handler
from plumbing.logs import REQUEST_ID_KEY, log_call, set_event_id, set_request_id
from plumbing.tracing import (
    TRACEPARENT_KEY,
    begin_handling,
    carry,
    current_traceparent,
    end,
    finish,
    release,
    resumed,
)
from plumbing.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

ATTEMPTS = 3
BACKOFF_SECONDS = (0.2, 1.0)  # before the 2nd and the 3rd attempt
REQUEUE_DELAY_SECONDS = 1.0  # when the database is down
# SQLAlchemy's errors for a database connection that failed or was lost.
STORE_ERRORS = (OperationalError, InterfaceError, DisconnectionError)
MAX_ERROR_CHARS = 8000
# What became of a delivered event: the worker's result (plumbing.metrics counts them).
PROCESSED, DUPLICATE, DEAD_LETTER = "processed", "duplicate", "dead_letter"
HANDLER_OUTCOMES = (PROCESSED, DUPLICATE, DEAD_LETTER, REQUEUED)


# SQL text, not a construct: SQLAlchemy 2.0 never caches the compiled form of a PostgreSQL
# INSERT ... ON CONFLICT (postgresql.Insert sets inherit_cache = False), so the construct was
# compiled anew for every event handled.
_MARK_PROCESSED = text(
    "INSERT INTO processed_events (id, event_id, handler) VALUES (:id, :event_id, :handler)"
    " ON CONFLICT ON CONSTRAINT uq_processed_events_event_handler DO NOTHING RETURNING id"
)
# A batch's marks in one statement; the event ids it returns are those not processed before.
_MARK_MANY_PROCESSED = text(
    "INSERT INTO processed_events (id, event_id, handler)"
    " SELECT id, event_id, :handler FROM unnest(CAST(:ids AS text[]), CAST(:event_ids AS text[])) AS m(id, event_id)"
    " ON CONFLICT ON CONSTRAINT uq_processed_events_event_handler DO NOTHING RETURNING event_id"
)


def new_id() -> str:
    return str(uuid.uuid4())


HandlerTables = namedtuple("HandlerTables", "processed_events dead_letters")


def handler_tables(base) -> HandlerTables:
    """Add `processed_events` and `dead_letters` to a service's DeclarativeBase (as migrated by
    `create_handler_tables`, then `plumbing.retention.retention_migration`)."""
    processed = type(
        "ProcessedEvent",
        (base,),
        {
            "__tablename__": "processed_events",
            "id": mapped_column(String(36), primary_key=True, default=new_id),
            "event_id": mapped_column(String(64), nullable=False),
            "handler": mapped_column(String(100), nullable=False),
            "processed_at": mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now()),
            "__table_args__": (
                UniqueConstraint("event_id", "handler", name="uq_processed_events_event_handler"),
                Index("ix_processed_events_processed_at", "processed_at"),  # plumbing/retention.py
            ),
        },
    )
    dead_letters = type(
        "DeadLetter",
        (base,),
        {
            "__tablename__": "dead_letters",
            "id": mapped_column(String(36), primary_key=True, default=new_id),
            "event_id": mapped_column(String(64), nullable=True),
            "event_type": mapped_column(String(64), nullable=False),
            "source_service": mapped_column(String(64), nullable=False),
            "handler": mapped_column(String(100), nullable=False),
            "payload": mapped_column(JSONB, nullable=False),
            "error": mapped_column(Text, nullable=False),
            "attempts": mapped_column(Integer, nullable=False),
            "created_at": mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now()),
            "updated_at": mapped_column(
                DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
            ),
            # Set by discard_dead_letter; plumbing/retention.py deletes the row some days later.
            "discarded_at": mapped_column(DateTime(timezone=True), nullable=True),
            "__table_args__": (
                Index(
                    "ix_dead_letters_discarded_at", "discarded_at", postgresql_where=text("discarded_at IS NOT NULL")
                ),
            ),
        },
    )
    return HandlerTables(processed, dead_letters)


def create_handler_tables(op) -> None:
    """The DDL of `handler_tables`, for a service's Alembic migration. Frozen: change it with a
    new migration, never here."""
    import sqlalchemy as sa

    op.create_table(
        "processed_events",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("handler", sa.String(100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("event_id", "handler", name="uq_processed_events_event_handler"),
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("source_service", sa.String(64), nullable=False),
        sa.Column("handler", sa.String(100), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


@dataclass(frozen=True)
class HandlerSpec:
    source_service: str
    event_type: str
    fn: object
    attempts: int
    lock_batch: Callable[[UnitOfWork, list[dict]], None] | None = None

    @property
    def name(self) -> str:
        return self.fn.__name__


def idempotent_handler(source_service: str, event_type: str, attempts: int = ATTEMPTS,
                       lock_batch: Callable[[UnitOfWork, list[dict]], None] | None = None):
    """Decorate `def handler(self, uow, event)` as a SERVICE_POOL handler of
    `source_service`'s `event_type` events: instances of the service compete for them. Its
    worker gets a batch of events (plumbing/event_batches.py): see `handle_batch`.

    A batch handles its events by aggregate (order id, else user id): so two batches lock
    their orders in one order. A handler that locks other rows too (products: an order's
    reservation, then its products by id) passes `lock_batch(uow, events)`, which takes the
    locks of a whole batch first, in the order every other path takes them."""

    def decorator(fn):
        spec = HandlerSpec(source_service, event_type, fn, attempts, lock_batch)

        def entry(self, batch: Batch) -> list[str]:
            return handle_batch(self, spec, batch)

        entry.__name__ = fn.__name__
        entry.__qualname__ = fn.__qualname__
        entry.__doc__ = fn.__doc__
        entry.handler_spec = spec
        return event_handler(source_service, event_type, handler_type=SERVICE_POOL)(entry)

    return decorator


def handler_spec(service_cls, handler: str) -> HandlerSpec | None:
    return getattr(getattr(service_cls, handler, None), "handler_spec", None)


def handle_batch(service, spec: HandlerSpec, batch: Batch) -> list[str]:
    """Each delivery's outcome: PROCESSED, DUPLICATE, DEAD_LETTER or REQUEUED (back to the queue).

    Two events or more are handled in one transaction: their marks in one statement, the
    handler on each, one commit (`run_batch`). If that fails, each event is handled again on its
    own (`handle_with_retries`), so a poison event ends as a dead letter and the others go
    through; while the database is down, the whole batch goes back to the queue instead. Each
    event gets its `oms.calls` log line and its span. An event its source's broker user did not
    publish is not handled: it is stored as a dead letter at once."""
    deliveries = batch.deliveries
    outcomes: dict[int, str] = {}
    for index, delivery in enumerate(deliveries):
        if delivery.publisher != batch.source_publisher:
            outcomes[index] = _refuse_forged(service, spec, delivery)
    events = {}
    for index, delivery in enumerate(deliveries if len(deliveries) > 1 else ()):
        if index in outcomes:
            continue
        try:
            events[index] = parse_event(spec.event_type, delivery.payload)
        except ValidationError:
            pass  # handle_with_retries, below, stores it as a dead letter
    if len(events) > 1:
        try:
            outcomes.update(run_batch(service, spec, batch, events))
        except Exception as exc:
            if _store_down(service, exc):
                log.warning("%s: the database is unreachable (%r); %d messages go back to the queue",
                            spec.name, exc, len(deliveries))
                eventlet.sleep(REQUEUE_DELAY_SECONDS)
                return [outcomes.get(index, REQUEUED) for index in range(len(deliveries))]
            log.warning("%s: a batch of %d events failed (%r); each is handled on its own", spec.name, len(events), exc)
    for index, delivery in enumerate(deliveries):
        if index not in outcomes:
            started = time.perf_counter()
            handle = _begin_event(service, spec, batch, delivery)
            try:
                outcomes[index] = handle_with_retries(service, spec, delivery.payload)
                log_call(_call(service, spec, delivery), outcomes[index], started)
            finally:
                end(handle)
    return [outcomes[index] for index in range(len(deliveries))]


def _refuse_forged(service, spec: HandlerSpec, delivery: Delivery) -> str:
    """DEAD_LETTER for an event published by another broker user than its source's (REQUEUED if
    the dead letter can't be stored)."""
    started = time.perf_counter()
    set_event_id(_event_id(delivery.payload))
    error = f"Refused: published by broker user {delivery.publisher!r}, not by {spec.source_service}"
    outcome = _dead_letter(service, spec, delivery.payload, error, 0, because=error)
    if outcome == DEAD_LETTER:
        log_call(_call(service, spec, delivery), DEAD_LETTER, started)
    return outcome


def _identify(batch: Batch, delivery: Delivery) -> None:
    """Make `delivery` the event being handled: its request id and event id on the log lines, and
    its request id carried by the RPCs the handler makes."""
    request_id = delivery.context.get(REQUEST_ID_KEY)
    set_request_id(request_id)
    set_event_id(_event_id(delivery.payload))
    if request_id:
        batch.worker_data[REQUEST_ID_KEY] = request_id
    else:
        batch.worker_data.pop(REQUEST_ID_KEY, None)


def _begin_event(service, spec: HandlerSpec, batch: Batch, delivery: Delivery):
    """`_identify` the delivery and begin its span, current and carried by the RPCs the handler
    makes; the span's handle."""
    _identify(batch, delivery)
    handle = begin_handling(service.name, spec.source_service, spec.event_type, delivery.context.get(TRACEPARENT_KEY))
    carry(batch.worker_data, current_traceparent())
    return handle


def _aggregate(indexed_event: tuple[int, dict]) -> str:
    event = indexed_event[1]
    return str(event.get("order_id") or event.get("user_id") or "")


def _call(service, spec: HandlerSpec, delivery: Delivery) -> str:
    """What the event's `oms.calls` line calls it: service.handler.event_id."""
    return f"{service.name}.{spec.name}.{_event_id(delivery.payload)}"


def _event_id(payload) -> str | None:
    return str(payload.get("event_id"))[:64] if isinstance(payload, dict) else None


def run_batch(service, spec: HandlerSpec, batch: Batch, events: dict[int, dict]) -> dict[int, str]:
    """Events from `parse_event` (by their place in the batch) in one transaction: their marks
    inserted in one statement, the spec's `lock_batch` on those not processed before, then the
    handler on each, by aggregate (an aggregate's events keep their order), one commit. Each
    one's outcome, PROCESSED or DUPLICATE; raises, having committed nothing, if any fails."""
    started = time.perf_counter()
    outcomes, spans, error = {}, {}, None
    try:
        with service.uow(own_session=True) as uow:
            event_ids = [str(event["event_id"]) for event in events.values()]
            fresh = set(
                uow.session.execute(
                    _MARK_MANY_PROCESSED,
                    {"ids": [new_id() for _ in event_ids], "event_ids": event_ids, "handler": spec.name},
                ).scalars()
            )
            todo = []
            for index, event in sorted(events.items(), key=_aggregate):  # a stable sort
                event_id = str(event["event_id"])
                if event_id not in fresh:
                    outcomes[index] = DUPLICATE
                    continue
                fresh.discard(event_id)  # a second copy in this batch is a duplicate too
                todo.append((index, event))
            if spec.lock_batch is not None and todo:
                spec.lock_batch(uow, [event for _, event in todo])
            for index, event in todo:
                spans[index] = _begin_event(service, spec, batch, batch.deliveries[index])
                try:
                    spec.fn(service, uow, dict(event))  # a copy: a failed batch's changes don't carry over
                finally:
                    release(spans[index])
                outcomes[index] = PROCESSED
            uow.commit()
        for index, outcome in outcomes.items():
            with resumed(spans.get(index)):
                _identify(batch, batch.deliveries[index])
                log_call(_call(service, spec, batch.deliveries[index]), outcome, started)
    except BaseException as exc:
        error = exc
        raise
    finally:
        for handle in spans.values():
            finish(handle, error)
    return outcomes


def handle_with_retries(service, spec: HandlerSpec, payload) -> str:
    """One event on its own: PROCESSED, DUPLICATE, DEAD_LETTER, or REQUEUED when its database is
    down or the dead letter can't be stored."""
    set_event_id(_event_id(payload))  # for the log lines
    try:
        event = parse_event(spec.event_type, payload)
        attempts = spec.attempts
    except ValidationError as exc:
        error, attempts = f"Invalid payload: {exc.messages}", 0  # retrying cannot fix it
    attempt = 1
    for attempt in range(1, attempts + 1):
        try:
            # A copy: an attempt's changes don't carry over.
            return PROCESSED if run_handler(service, spec, dict(event)) else DUPLICATE
        except Exception as exc:
            if _store_down(service, exc):
                # Not this event's fault, and an outage outlasts the backoff: back to the queue,
                # with no attempt spent (a restarting database answers "starting up" for seconds).
                log.warning("%s: the database is unreachable (%r); the message goes back to the queue", spec.name, exc)
                eventlet.sleep(REQUEUE_DELAY_SECONDS)
                return REQUEUED
            error = "".join(traceback.format_exception(exc))
            log.warning("%s failed (attempt %d of %d): %r", spec.name, attempt, spec.attempts, exc)
            if attempt < spec.attempts:
                eventlet.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1])
    return _dead_letter(service, spec, payload, error, attempt, because=f"gave up after {attempt} attempt(s)")


def _dead_letter(service, spec: HandlerSpec, payload, error: str, attempts: int, because: str) -> str:
    """DEAD_LETTER once `payload` is stored as a dead letter (logged with `because`); REQUEUED if
    it can't be stored."""
    try:
        store_dead_letter(service, spec, payload, error, attempts)
    except Exception:
        log.exception("%s: could not store the dead letter; the message goes back to the queue", spec.name)
        eventlet.sleep(REQUEUE_DELAY_SECONDS)  # not a hot loop while the database is down
        return REQUEUED
    log.error("%s: %s; stored as a dead letter", spec.name, because)
    return DEAD_LETTER


def _store_down(service, exc: Exception) -> bool:
    """A connection error of the service's database that a fresh connection gets too."""
    if not isinstance(exc, STORE_ERRORS):
        return False
    try:
        with service.uow(own_session=True) as uow:
            uow.session.execute(text("SELECT 1"))
    except STORE_ERRORS:
        return True
    return False


def run_handler(service, spec: HandlerSpec, event: dict, dead_letter_id: str | None = None) -> bool:
    """One attempt on an event from `parse_event`, in one transaction; False when the event
    had already been processed.

    With `dead_letter_id`, that dead letter is deleted in the same transaction."""
    tables = service.handler_tables
    with service.uow(own_session=True) as uow:
        marked = uow.session.execute(
            _MARK_PROCESSED, {"id": new_id(), "event_id": str(event["event_id"]), "handler": spec.name}
        ).first()
        if marked is not None:
            spec.fn(service, uow, event)
        if dead_letter_id is not None:
            dead = uow.session.get(tables.dead_letters, dead_letter_id)
            if dead is not None:
                uow.session.delete(dead)
        uow.commit()
    return marked is not None


def store_dead_letter(service, spec: HandlerSpec, payload, error: str, attempts: int) -> None:
    event_id = payload.get("event_id") if isinstance(payload, dict) else None
    with service.uow(own_session=True) as uow:
        uow.session.add(
            service.handler_tables.dead_letters(
                event_id=str(event_id)[:64] if event_id is not None else None,
                event_type=spec.event_type,
                source_service=spec.source_service,
                handler=spec.name,
                payload=payload if isinstance(payload, dict) else {"body": payload},
                error=error[-MAX_ERROR_CHARS:],
                attempts=attempts,
            )
        )
        uow.commit()
