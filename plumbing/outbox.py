"""The transactional outbox: events are rows written in the same transaction as the change
they announce, then published by a relay.

A service uses it in four steps:

    # models.py
    OutboxEvent = outbox_model(Base)
    # migrations/versions/000N_...py
    def upgrade(): create_outbox_table(op)
    # service.py
    class OrdersService(OutboxRelay, ...):
        outbox = Outbox(OutboxEvent)
        uow = UnitOfWorkProvider()
        ...
        with self.uow() as uow:
            uow.add_event(ORDER_CREATED, order_id=..., ...)
            uow.commit()            # and it is published right away

Rows a unit of work adds (plumbing/unit_of_work.py) go, once its transaction commits, to the
container's sender, which publishes each to `<service>.events` with the event type as routing
key, as nameko's EventDispatcher would, waits once for the broker's confirms of the whole burst
(plumbing/publishing.py), then marks the rows sent, all in the background. A rolled-back
transaction sends nothing. A crash between commit and publish loses nothing: the row stays
unsent and the relay timer publishes it once it is RELAY_GRACE_SECONDS old. A crash between
publish and marking publishes it again, which handlers tolerate (they are idempotent). Several
timer relays (instances) share the rows with `SELECT ... FOR UPDATE SKIP LOCKED`.

The sender touches the database once per burst of commits (one UPDATE, no transaction): the
SELECT ... FOR UPDATE relay after every commit cost four round trips per event.

Publishing is not `mandatory`: an event nobody consumes (e.g. order_delivered) must still be
marked sent. Consumers' durable queues exist from their first start, so start consumers before
producers on a fresh broker (`make run` starts them all before the gateway takes traffic)."""

import json
import logging
from datetime import timedelta
from functools import lru_cache
from typing import NamedTuple

from nameko.constants import AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, LOGIN_METHOD_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.serialization import setup as setup_serialization
from nameko.standalone.events import get_event_exchange
from nameko.timer import Timer
from nameko_sqlalchemy.database import DB_URIS_KEY
from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    Integer,
    Interval,
    String,
    Text,
    bindparam,
    cast,
    create_engine,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, mapped_column

from contracts.events import make_event
from plumbing.broker import publisher_id
from plumbing.db import autocommit_twin, ping_after_idle
from plumbing.entrypoints import BROKER_GONE
from plumbing.logs import REQUEST_ID_KEY, current_request_id
from plumbing.publishing import ConfirmedPublisher
from plumbing.sql import unnested
from plumbing.tracing import event_headers, publish_span

log = logging.getLogger(__name__)

TABLE = "outbox"
BATCH_SIZE = 100
RELAY_INTERVAL_SECONDS = 1.0  # config OUTBOX_RELAY_INTERVAL_SECONDS overrides it
RELAY_GRACE_SECONDS = 2.0  # the relay timer leaves younger rows to the sender of their commit
HEADER_PREFIX = "nameko."  # nameko turns headers with this prefix into the handler's context data


def outbox_model(base) -> type:
    """Add the `outbox` table to a service's DeclarativeBase; returns the mapped class."""
    return type(
        "OutboxEvent",
        (base,),
        {
            "__tablename__": TABLE,
            # A sequence, so rows are published in the order they were written.
            "id": mapped_column(BigInteger, primary_key=True, autoincrement=True),
            "event_id": mapped_column(String(36), nullable=False, unique=True),
            "event_type": mapped_column(String(64), nullable=False),
            "payload": mapped_column(JSONB, nullable=False),
            "headers": mapped_column(JSONB, nullable=False, default=dict),
            "created_at": mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now()),
            "sent_at": mapped_column(DateTime(timezone=True), nullable=True),
            "attempts": mapped_column(Integer, nullable=False, default=0),
            "last_error": mapped_column(Text, nullable=True),
            "__table_args__": (
                Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
                # plumbing/retention.py's purge (created by its migration helper)
                Index("ix_outbox_sent_at", "sent_at", postgresql_where=text("sent_at IS NOT NULL")),
            ),
        },
    )


def create_outbox_table(op) -> None:
    """The DDL of `outbox_model`, for a service's Alembic migration. Frozen: change it with a
    new migration, never here."""
    import sqlalchemy as sa

    op.create_table(
        TABLE,
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_outbox_unsent", TABLE, ["id"], postgresql_where=sa.text("sent_at IS NULL"))


class OutboxRow(NamedTuple):
    id: int
    event_id: str
    event_type: str
    payload: dict
    headers: dict


class NewEvent(NamedTuple):
    """An event as a unit of work holds it until its commit writes it (`insert_events`)."""

    event_id: str
    event_type: str
    payload: dict
    headers: dict


def new_event(event_type: str, fields: dict) -> NewEvent:
    """The event's payload, and its headers: this worker's request id and current span."""
    payload = make_event(event_type, **fields)
    request_id = current_request_id()
    headers = event_headers({} if request_id == "-" else {HEADER_PREFIX + REQUEST_ID_KEY: request_id})
    return NewEvent(payload["event_id"], event_type, payload, headers)


def insert_event(session: Session, model: type, event_type: str, fields: dict) -> OutboxRow:
    """Write an event into the outbox in the caller's transaction; the row as written."""
    return insert_events(session, model, [new_event(event_type, fields)])[0]


def insert_events(session: Session, model: type, events: list[NewEvent]) -> list[OutboxRow]:
    """Write events into the outbox in the caller's transaction, in one statement (a Core
    insert: no ORM object to flush); the rows as written. Their ids, the publishing order,
    follow the order of `events`."""
    if len(events) == 1:
        [event] = events
        ids = [session.execute(_insert_statement(model), event._asdict()).scalar_one()]
    else:
        # Sorted: the rows were inserted, so numbered, in the order given, whatever order
        # RETURNING lists them in.
        ids = sorted(session.execute(
            _insert_many_statement(model),
            {
                "new_event_ids": [event.event_id for event in events],
                "new_event_types": [event.event_type for event in events],
                "new_payloads": [json.dumps(event.payload) for event in events],
                "new_headers": [json.dumps(event.headers) for event in events],
            },
        ).scalars())
    return [OutboxRow(row_id, *event) for row_id, event in zip(ids, events, strict=True)]


_NEW_EVENT_COLUMNS = {
    "event_id": ("new_event_ids", Text),
    "event_type": ("new_event_types", Text),
    "payload": ("new_payloads", Text),
    "headers": ("new_headers", Text),
}


@lru_cache
def _insert_statement(model: type):
    # Built once: constructing and coercing an insert per event cost more than executing it.
    table = model.__table__
    return insert(table).returning(table.c.id)


@lru_cache
def _insert_many_statement(model: type):
    # Rows numbered as given and inserted in that order, so the sequence numbers them alike.
    table = model.__table__
    new = unnested("new", _NEW_EVENT_COLUMNS, ordinality="n")
    rows = select(new.c.event_id, new.c.event_type, cast(new.c.payload, JSONB), cast(new.c.headers, JSONB))
    return (
        insert(table)
        .from_select(["event_id", "event_type", "payload", "headers"], rows.order_by(new.c.n))
        .returning(table.c.id)
    )


class Relay:
    """Publishes a service's outbox rows and marks them sent. Usable without nameko.

    It commits on connections of its own, not through a unit of work (plumbing/unit_of_work.py):
    it runs in the background, in no worker, after the transactions that wrote the rows
    committed, and writes nothing but the rows' sent marks and publishing errors."""

    def __init__(self, engine: Engine, model: type, service_name: str, config: dict):
        self.engine = engine
        self.service_name = service_name
        self._autocommit = autocommit_twin(engine)
        self.model = model
        # Its own exchange, which it declares whatever DECLARE_EVENT_EXCHANGES says (that setting
        # keeps consumers from declaring other services' exchanges).
        self.exchange = get_event_exchange(service_name, {**config, "DECLARE_EVENT_EXCHANGES": True})
        serializer, _ = setup_serialization(config)
        self.publisher = ConfirmedPublisher(
            config[AMQP_URI_CONFIG_KEY],
            self.exchange,
            serializer,
            publisher_id(config, service_name),
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        table = model.__table__
        self._mark_sent = text(
            f"UPDATE {table.name} SET sent_at = now(), attempts = attempts + 1"
            " WHERE id = ANY(:ids) AND sent_at IS NULL"
        )
        self._mark_failed = text(
            f"UPDATE {table.name} SET attempts = attempts + 1, last_error = :error WHERE id = :id"
        )
        self._unsent = (
            select(table.c.id, table.c.event_id, table.c.event_type, table.c.payload, table.c.headers)
            .where(table.c.sent_at.is_(None), table.c.created_at <= func.now() - bindparam("min_age", type_=Interval))
            .order_by(table.c.id)
            .limit(BATCH_SIZE)
            .with_for_update(skip_locked=True)
        )

    def send(self, rows: list[OutboxRow]) -> int:
        """Publish rows just committed, in order, and mark them sent; returns how many were sent.

        Each statement commits on its own (no transaction to begin and end): this runs for every
        commit that wrote an event. Rows not sent stay for `relay`."""
        with self._autocommit.connect() as conn:
            return self._publish_and_mark(conn, rows)

    def relay(self, min_age: float = 0) -> int:
        """Publish every unsent row written at least `min_age` seconds ago and not locked by
        another relay; returns how many were sent."""
        sent = 0
        while True:
            published, more = self._relay_batch(timedelta(seconds=min_age))
            sent += published
            if not more:
                return sent

    def _relay_batch(self, min_age: timedelta) -> tuple[int, bool]:
        with self.engine.begin() as conn:
            rows = [OutboxRow(*row) for row in conn.execute(self._unsent, {"min_age": min_age})]
            sent = self._publish_and_mark(conn, rows)
            return sent, sent == BATCH_SIZE

    def _publish_and_mark(self, conn, rows: list[OutboxRow]) -> int:
        """Publish in order, wait once for the broker's confirms, and mark the rows it confirmed
        sent; a failure is recorded on the first row not confirmed (the rest go with a later
        relay, in order). Returns how many were sent. A burst that fails on a dropped connection
        (the broker restarted) is tried once more on a new one."""
        sent, error = 0, None
        for _ in range(2):
            confirmed, error = self._publish(rows[sent:])
            sent += confirmed
            if error is None or sent == len(rows) or not isinstance(error, BROKER_GONE):
                break
        if sent:
            conn.execute(self._mark_sent, {"ids": [row.id for row in rows[:sent]]})
        if error is not None and sent < len(rows):
            row = rows[sent]
            log.warning("outbox: publishing %s %s failed: %s", row.event_type, row.event_id, error)
            conn.execute(self._mark_failed, {"id": row.id, "error": f"{type(error).__name__}: {error}"[:2000]})
        return sent

    def _publish(self, rows: list[OutboxRow]) -> tuple[int, Exception | None]:
        """How many of `rows`, from the first, the broker confirmed, and the error if not all."""
        burst = None
        try:
            with self.publisher.burst() as burst:
                for row in rows:
                    with publish_span(self.service_name, row.event_type, row.headers) as headers:
                        burst.send(row.payload, row.event_type, headers)
        except Exception as exc:
            return (burst.confirmed if burst is not None else 0), exc
        return burst.confirmed, None

    def close(self) -> None:
        self.publisher.close()
        self._autocommit.dispose()


def _engine(container) -> Engine:
    """A small engine of its own on the service's database: the relay works outside any worker's
    transaction, and a big pool per service would multiply connections."""
    uris = container.config[DB_URIS_KEY]
    uri = next(url for key, url in uris.items() if key.split(":")[0] == container.service_name)
    engine = create_engine(uri, pool_size=2, max_overflow=2)
    ping_after_idle(engine)
    return engine


class OutboxHandle:
    """What a worker gets as `self.outbox`."""

    def __init__(self, provider: "Outbox"):
        self._provider = provider

    def relay(self, min_age: float = 0) -> int:
        """Publish unsent rows written at least `min_age` seconds ago now, in this worker;
        returns how many were sent."""
        return self._provider.relay.relay(min_age)


class Outbox(DependencyProvider):
    """Declare on a service as `outbox = Outbox(OutboxEvent)`; see the module docstring."""

    def __init__(self, model: type):
        self.model = model

    def setup(self):
        self.engine = _engine(self.container)
        self.relay = Relay(self.engine, self.model, self.container.service_name, self.container.config)
        self._queue: list[OutboxRow] = []
        self._runner = None

    def stop(self):
        self.relay.close()
        self.engine.dispose()

    kill = stop

    def get_dependency(self, worker_ctx) -> OutboxHandle:
        return OutboxHandle(self)

    def enqueue(self, rows: list[OutboxRow]) -> None:
        """Rows a worker's transaction just committed: published in the background, right away.
        One sender per container at a time: a burst of commits is sent in one go."""
        self._queue.extend(rows)
        if self._runner is None:
            self._runner = self.container.spawn_managed_thread(self._drain)

    def _drain(self) -> None:
        try:
            while self._queue:
                rows, self._queue = self._queue, []
                try:
                    self.relay.send(rows)
                except Exception:
                    # The rows stay unsent; the relay timer publishes them. An exception here
                    # would kill the container.
                    log.exception("outbox: sending %d committed event(s) failed", len(rows))
        finally:
            self._runner = None


class RelayTimer(Timer):
    """A timer whose interval comes from config OUTBOX_RELAY_INTERVAL_SECONDS."""

    def setup(self):
        self.interval = float(self.container.config.get("OUTBOX_RELAY_INTERVAL_SECONDS", self.interval))
        super().setup()


class OutboxRelay:
    """Mixin for a service that declares `outbox = Outbox(...)`. Adds the timer relay_outbox.

    The timer fires in every instance; SKIP LOCKED shares the rows among them."""

    NEEDS = ("outbox",)

    @RelayTimer.decorator(interval=RELAY_INTERVAL_SECONDS)
    def relay_outbox(self) -> None:
        """Publish outbox rows left unsent (after a crash, or a broker outage): the safety net.
        Rows younger than RELAY_GRACE_SECONDS are left to the sender of the commit that wrote
        them, so the two rarely publish one row twice."""
        self.outbox.relay(min_age=RELAY_GRACE_SECONDS)
