"""The transactional outbox: events are rows written in the same transaction as the change
they announce, then published by a relay.

A service uses it in four steps:

    # models.py
    OutboxEvent = outbox_model(Base)
    # migrations/versions/000N_...py
    def upgrade(): create_outbox_table(op)
    # service.py
    class OrdersService(Pingable, OutboxRelay):
        outbox = Outbox(OutboxEvent)
        ...
        self.outbox.add(self.db.session, ORDER_CREATED, order_id=..., ...)
        self.db.session.commit()
        self.outbox.relay_soon()   # low latency; the relay timer is the safety net

The relay publishes each unsent row to `<service>.events` with the event type as routing key,
exactly as nameko's EventDispatcher does, waits for the broker's confirm, then marks the row
sent. A crash between commit and publish loses nothing: the row stays unsent and the next
relay publishes it. A crash between publish and marking publishes it again, which handlers
tolerate (they are idempotent). Several relays (instances, timer and post-commit) share the
rows with `SELECT ... FOR UPDATE SKIP LOCKED`, so no row is published by two at once.

Publishing is not `mandatory`: an event nobody consumes (e.g. order_delivered) must still be
marked sent. Consumers' durable queues exist from their first start, so start consumers before
producers on a fresh broker (`make run` starts them all before the gateway takes traffic)."""

import logging
from datetime import UTC, datetime

from nameko.amqp.publish import Publisher
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
    String,
    Text,
    create_engine,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, mapped_column

from plumbing.db import ping_after_idle
from plumbing.events import make_event
from plumbing.logs import REQUEST_ID_KEY, current_request_id

log = logging.getLogger(__name__)

TABLE = "outbox"
BATCH_SIZE = 100
RELAY_INTERVAL_SECONDS = 1.0  # config OUTBOX_RELAY_INTERVAL_SECONDS overrides it
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


def add_event(session: Session, model: type, event_type: str, **fields) -> dict:
    """Write an event into the outbox in the caller's transaction; returns its payload.

    Nothing is published until the caller commits and a relay runs."""
    payload = make_event(event_type, **fields)
    request_id = current_request_id()
    headers = {} if request_id == "-" else {HEADER_PREFIX + REQUEST_ID_KEY: request_id}
    # A Core insert, written at once: no ORM object to flush, and the row's id (the publishing
    # order) follows the order of the calls.
    session.execute(
        insert(model.__table__).values(
            event_id=payload["event_id"], event_type=event_type, payload=payload, headers=headers
        )
    )
    return payload


class Relay:
    """Publishes a service's unsent outbox rows and marks them sent. Usable without nameko."""

    def __init__(self, engine: Engine, model: type, service_name: str, config: dict):
        self.engine = engine
        self.model = model
        self.exchange = get_event_exchange(service_name, config)
        serializer, _ = setup_serialization(config)
        self.publisher = Publisher(
            config[AMQP_URI_CONFIG_KEY],
            use_confirms=True,
            serializer=serializer,
            declare=[self.exchange],
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )

    def relay(self) -> int:
        """Publish every unsent row not locked by another relay; returns how many were sent."""
        sent = 0
        while True:
            published, more = self._relay_batch()
            sent += published
            if not more:
                return sent

    def _relay_batch(self) -> tuple[int, bool]:
        # Core, not the ORM: this runs after every commit that wrote an event.
        table = self.model.__table__
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(table.c.id, table.c.event_id, table.c.event_type, table.c.payload, table.c.headers)
                .where(table.c.sent_at.is_(None))
                .order_by(table.c.id)
                .limit(BATCH_SIZE)
                .with_for_update(skip_locked=True)
            ).all()
            sent = []
            for row in rows:
                try:
                    self.publisher.publish(
                        row.payload, exchange=self.exchange, routing_key=row.event_type, headers=row.headers
                    )
                except Exception as exc:
                    # Keep the order: stop here, the rows left unsent go with a later relay.
                    log.warning("outbox: publishing %s %s failed: %s", row.event_type, row.event_id, exc)
                    conn.execute(
                        update(table)
                        .where(table.c.id == row.id)
                        .values(attempts=table.c.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000])
                    )
                    break
                sent.append(row.id)
            if sent:
                conn.execute(
                    update(table)
                    .where(table.c.id.in_(sent))
                    .values(sent_at=datetime.now(UTC), attempts=table.c.attempts + 1)
                )
            return len(sent), len(sent) == BATCH_SIZE


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

    def add(self, session: Session, event_type: str, **fields) -> dict:
        """Write an event in the caller's transaction (see `add_event`); returns its payload."""
        return add_event(session, self._provider.model, event_type, **fields)

    def relay(self) -> int:
        """Publish unsent rows now, in this worker; returns how many were sent."""
        return self._provider.relay.relay()

    def relay_soon(self) -> None:
        """Publish unsent rows in the background, right away: call it after a commit."""
        self._provider.relay_soon()


class Outbox(DependencyProvider):
    """Declare on a service as `outbox = Outbox(OutboxEvent)`; see the module docstring."""

    def __init__(self, model: type):
        self.model = model

    def setup(self):
        self.engine = _engine(self.container)
        self.relay = Relay(self.engine, self.model, self.container.service_name, self.container.config)
        self._again = False
        self._runner = None

    def stop(self):
        self.engine.dispose()

    def kill(self):
        self.engine.dispose()

    def get_dependency(self, worker_ctx) -> OutboxHandle:
        return OutboxHandle(self)

    def relay_soon(self) -> None:
        # One background relay per container at a time: a burst of commits costs one drain.
        self._again = True
        if self._runner is None:
            self._runner = self.container.spawn_managed_thread(self._drain)

    def _drain(self) -> None:
        try:
            while self._again:
                self._again = False
                try:
                    self.relay.relay()
                except Exception:
                    # The rows stay unsent; the relay timer retries them. An exception here
                    # would kill the container.
                    log.exception("outbox: relay failed")
                    return
        finally:
            self._runner = None


class RelayTimer(Timer):
    """A timer whose interval comes from config OUTBOX_RELAY_INTERVAL_SECONDS."""

    def setup(self):
        self.interval = float(self.container.config.get("OUTBOX_RELAY_INTERVAL_SECONDS", self.interval))
        super().setup()


class OutboxRelay:
    """Mixin: a periodic relay for a service that declares `outbox = Outbox(...)`.

    The timer fires in every instance; SKIP LOCKED shares the rows among them."""

    @RelayTimer.decorator(interval=RELAY_INTERVAL_SECONDS)
    def relay_outbox(self) -> None:
        """Publish outbox rows left unsent (after a crash, or a broker outage): the safety net."""
        self.outbox.relay()
