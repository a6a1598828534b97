"""The database provider every service declares: nameko-sqlalchemy's, made to read its engine
options from config and to survive a dead connection.

nameko-sqlalchemy 1.5 ignores config DB_ENGINE_OPTIONS (pool size), and its worker teardown lets
the error of closing a connection that died (a PostgreSQL restart) escape, which kills the whole
service container.

A pooled connection is checked with a `SELECT 1` before use only when it has sat idle for a
while (`ping_after_idle`), not on every checkout as `pool_pre_ping` does: under load a ping per
checkout cost ~7% of the order saga's CPU, and a connection that served a moment ago is very
likely alive. One that died meanwhile (PostgreSQL restarted under load) fails its call once (a
503, or a handler retry), and SQLAlchemy then replaces every connection of the pool.

Statements that must commit on their own, outside the worker's transaction, go through a small
engine whose connections stay in autocommit (`autocommit_twin`; a unit of work's `commit_aside`
uses `autocommit_connection`)."""

import logging
import time

import nameko_sqlalchemy
from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PING_AFTER_IDLE_SECONDS = 1.0


def ping_after_idle(engine: Engine) -> None:
    """Check a connection before use when it was idle PING_AFTER_IDLE_SECONDS or longer; a dead
    one is replaced by a new one, and the caller never sees it."""

    @event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection, record, proxy):
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (a new one if need be).
            raise exc.DisconnectionError(f"a pooled connection died while idle: {error}") from error


def autocommit_twin(engine: Engine, pool_size: int = 1) -> Engine:
    """A small engine on `engine`'s database whose connections stay in autocommit, for
    statements that commit on their own. `engine.execution_options(isolation_level=
    "AUTOCOMMIT")` switches a pooled connection to autocommit at checkout and back at checkin, a
    round trip to the server each time (~0.15 ms of CPU per use here). The caller disposes it."""
    twin = create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_size=pool_size, max_overflow=2)
    ping_after_idle(twin)
    return twin


AUTOCOMMIT_ENGINE = "autocommit_engine"  # in a session's info: its database's autocommit_twin


def autocommit_connection(session: Session) -> Connection:
    """A connection of its own on the session's database, in autocommit: what it writes is
    committed at once, whatever becomes of the session's transaction."""
    twin = session.info.get(AUTOCOMMIT_ENGINE)
    if twin is None:  # a session not made by the Database provider (operator tools, tests)
        return session.get_bind().execution_options(isolation_level="AUTOCOMMIT").connect()
    return twin.connect()


class Database(nameko_sqlalchemy.Database):
    def setup(self):
        self.engine_options = {**self.container.config.get("DB_ENGINE_OPTIONS", {}), **self.engine_options}
        super().setup()
        ping_after_idle(self.engine)
        self.autocommit_engine = autocommit_twin(self.engine)
        # Objects stay readable after a commit, as committed: an answer is dumped after its unit
        # of work without a reload per object (plumbing/unit_of_work.py expires them when the
        # next unit of work on the session begins).
        self.Session.configure(expire_on_commit=False, info={AUTOCOMMIT_ENGINE: self.autocommit_engine})

    def stop(self):
        self.autocommit_engine.dispose()
        super().stop()

    def kill(self):
        self.autocommit_engine.dispose()
        super().kill()

    def worker_teardown(self, worker_ctx):
        try:
            super().worker_teardown(worker_ctx)
        except Exception as exc:  # the pool drops the dead connection and opens a new one
            log.warning("closing a worker's database session failed: %r", exc)
