"""The unit of work: one object owns a transaction, from its session to what follows the commit.

    class OrdersService(...):
        db = Database(Base)
        outbox = Outbox(OutboxEvent)        # optional: services that publish events
        uow = UnitOfWorkProvider()          # finds the two above in the container
        ...
        with self.uow() as uow:
            order = repository.get(uow.session, order_id, lock=True)
            lifecycle.move(...)
            uow.add_event(ORDER_SHIPPED, **fields)   # an outbox row in this transaction
            uow.after_commit(lambda: cache.store(...))
            uow.commit()                             # the block's last statement
        return order_schema.dump(order)              # as committed, without reloading it

`commit` commits the session, then hands the transaction's outbox rows to the container's sender
(published at once, in the background) and runs the after-commit work in the order it was added.
A failure there is logged, never raised: the commit stands, the relay timer publishes rows the
sender missed, and after-commit work is a cache update that the next write repeats. Leaving the
block without `commit` rolls back and forgets the rows and the work; nothing is published.

What a unit of work loaded stays readable after its commit, as committed: services' sessions
don't expire their objects at a commit (`expire_on_commit=False`, plumbing/db.py), so an answer
is dumped after the block without reloading each object. A unit of work expires what an earlier
one left on its session when it begins instead, so every transaction reads what the database
holds (a timer that works through several transactions on one session sees other writers'
changes).

RPCs work on the worker's session (nameko-sqlalchemy closes it after the worker); an event
handler's attempt gets a session of its own (`own_session=True`), closed when its block ends, so
no attempt sees what a failed one left behind.

This is the only place that commits a service's transaction: RPCs, timers, event handlers
(plumbing/handlers.py), dead-letter replays (plumbing/dead_letters.py) and retention
(plumbing/retention.py) all end their block with `uow.commit()`. A write that must commit on its
own, whatever becomes of the transaction, says so where it is made: `uow.commit_aside(...)`
(payments' note of a charge request, which must outlive a handler that dies while the provider
is asked). The one writer outside: the outbox's sender and relay (plumbing/outbox.py) mark rows
sent on connections of their own, after the transactions that wrote the rows committed: that is
bookkeeping of published events, no service's state, and it runs in the background, in no
worker. tests/unit/test_one_place_commits.py keeps it so."""

import logging
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import nameko_sqlalchemy
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from plumbing.db import autocommit_connection
from plumbing.outbox import NewEvent, Outbox, insert_events, new_event

log = logging.getLogger(__name__)

T = TypeVar("T")


class UnitOfWork:
    def __init__(self, session: Session, outbox: Outbox | None = None, close: bool = False):
        self.session = session
        self._outbox = outbox
        self._close = close
        self._events: list[NewEvent] = []
        self._after_commit: list[Callable[[], object]] = []
        # Objects an earlier unit of work left on this session (not expired at its commit) are
        # read again from the database when next used.
        session.expire_all()

    def __enter__(self) -> "UnitOfWork":
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.rollback()  # whatever was not committed; after a commit there is nothing left
        finally:
            if self._close:
                self.session.close()

    def add_event(self, event_type: str, **fields) -> dict:
        """Write an event into the outbox in this transaction; returns its payload. It is
        published as soon as the transaction commits, and never if it rolls back. The rows are
        written at the commit, all in one statement (a batch of events handled in one
        transaction adds many)."""
        if self._outbox is None:
            raise RuntimeError("This service declares no outbox: it cannot publish events.")
        event = new_event(event_type, fields)
        self._events.append(event)
        return event.payload

    def after_commit(self, work: Callable[[], object]) -> None:
        """Run `work` once this transaction has committed (a cache update); dropped on rollback."""
        self._after_commit.append(work)

    def commit_aside(self, write: Callable[..., T], *args) -> T:
        """`write(connection, *args)` on a connection of its own, in autocommit: what it writes is
        committed at once and stays, whatever becomes of this unit of work. For a record that
        must outlive this transaction if the process dies in it. It sees only what is committed,
        and must not touch rows this transaction has locked (it would wait on them forever)."""
        with autocommit_connection(self.session) as connection:
            return write(connection, *args)

    def commit(self) -> None:
        """Commit this transaction (see the module doc); call it as the block's last statement."""
        events, self._events = self._events, []
        if events:
            events = insert_events(self.session, self._outbox.model, events)
        self.session.commit()
        work, self._after_commit = self._after_commit, []
        if events:
            try:
                self._outbox.enqueue(events)
            except Exception:
                # The commit stands; the relay timer publishes these rows.
                log.exception("outbox: handing %d committed event(s) to the sender failed", len(events))
        for each in work:
            try:
                each()
            except Exception:
                log.exception("after-commit work %r failed; the commit stands", each)

    def rollback(self) -> None:
        self.session.rollback()
        self._events.clear()
        self._after_commit.clear()


class UnitOfWorkProvider(DependencyProvider):
    """What a worker gets as `self.uow`: `self.uow()` begins a unit of work on the worker's
    session of the service's Database, with its Outbox if it declares one (see the module doc)."""

    def setup(self):
        databases = [dep for dep in self.container.dependencies if isinstance(dep, nameko_sqlalchemy.Database)]
        if len(databases) != 1:
            raise TypeError(f"{self.container.service_name}: a unit of work needs exactly one Database")
        self.database = databases[0]
        self.outbox = next((dep for dep in self.container.dependencies if isinstance(dep, Outbox)), None)

    def get_dependency(self, worker_ctx) -> Callable[..., UnitOfWork]:
        return partial(self.begin, worker_ctx)

    def begin(self, worker_ctx, own_session: bool = False) -> UnitOfWork:
        # The Database's wrapper for this worker exists by now: every dependency is injected
        # before the entrypoint runs.
        db = self.database.dbs[worker_ctx]
        if own_session:
            return UnitOfWork(db.get_session(), self.outbox, close=True)
        return UnitOfWork(db.session, self.outbox)
