"""Retention: each service deletes the bookkeeping it no longer needs, a batch at a time.

Every service has `Retention` through `plumbing.mesh_service.MeshService`; it brings one timer,
`purge_bookkeeping`.

It deletes, per config RETENTION, from the tables the service has (an `outbox` provider, or
`handler_tables`):
- outbox rows published more than OUTBOX_DAYS ago (a row never published stays);
- processed-event marks older than DEDUP_DAYS, but never the mark of an event that also waits as
  a dead letter for that handler (its replay must still find it processed);
- dead letters discarded more than DISCARDED_DEAD_LETTER_DAYS ago.

Each statement deletes at most BATCH_SIZE rows that it could lock (`FOR UPDATE SKIP LOCKED`) and
commits, so instances purging at once take disjoint rows and never wait on each other or on the
outbox relay. A run stops after MAX_BATCHES per table; the next run goes on. The indexes that make
this cheap come with each service's migration (`retention_migration`)."""

import logging
from dataclasses import dataclass
from functools import lru_cache

from nameko.extensions import DependencyProvider
from nameko.timer import Timer
from sqlalchemy import TextClause, text

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0
DEFAULTS = {"OUTBOX_DAYS": 7, "DEDUP_DAYS": 14, "DISCARDED_DEAD_LETTER_DAYS": 30, "BATCH_SIZE": 1000}
MAX_BATCHES = 50  # per table and run: a backlog is worked off over several runs


@dataclass(frozen=True)
class Purge:
    table: str
    days_setting: str
    statement: TextClause


def _batched_delete(table: str, condition: str) -> TextClause:
    return text(
        f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {condition}"
        " LIMIT :batch FOR UPDATE SKIP LOCKED)"
    )


_CUTOFF = "now() - :days * interval '1 day'"


@lru_cache
def purges(service_cls) -> tuple[Purge, ...]:
    """What `service_cls`'s retention job deletes."""
    found = []
    outbox = getattr(getattr(service_cls, "outbox", None), "model", None)
    if outbox is not None:
        table = outbox.__table__.name
        found.append(Purge(table, "OUTBOX_DAYS", _batched_delete(table, f"sent_at < {_CUTOFF}")))
    tables = getattr(service_cls, "handler_tables", None)
    if tables is not None:
        marks, dead = tables.processed_events.__table__.name, tables.dead_letters.__table__.name
        waiting = (
            f"NOT EXISTS (SELECT 1 FROM {dead} d WHERE d.event_id = {marks}.event_id"
            f" AND d.handler = {marks}.handler AND d.discarded_at IS NULL)"
        )
        found.append(Purge(marks, "DEDUP_DAYS", _batched_delete(marks, f"processed_at < {_CUTOFF} AND {waiting}")))
        found.append(
            Purge(dead, "DISCARDED_DEAD_LETTER_DAYS", _batched_delete(dead, f"discarded_at < {_CUTOFF}"))
        )
    return tuple(found)


def purge(begin, service_cls, settings: dict) -> dict[str, int]:
    """Run every purge of `service_cls`, each batch a unit of work from `begin()`; rows deleted
    by table."""
    settings = {**DEFAULTS, **settings}
    batch = int(settings["BATCH_SIZE"])
    deleted = {}
    for each in purges(service_cls):
        params = {"days": float(settings[each.days_setting]), "batch": batch}
        total = 0
        for _ in range(MAX_BATCHES):
            with begin() as uow:
                count = uow.session.execute(each.statement, params).rowcount
                uow.commit()
            total += count
            if count < batch:
                break
        deleted[each.table] = total
    return deleted


class RetentionTimer(Timer):
    """A timer whose interval comes from config RETENTION.INTERVAL_SECONDS."""

    def setup(self):
        self.interval = float(self.container.config.get("RETENTION", {}).get("INTERVAL_SECONDS", self.interval))
        super().setup()


class RetentionSettings(DependencyProvider):
    """Config RETENTION (`purge` fills in the defaults)."""

    def get_dependency(self, worker_ctx) -> dict:
        return self.container.config.get("RETENTION", {})


class Retention:
    """Mixin for a service with `uow` (plumbing/unit_of_work.py). Adds the timer
    purge_bookkeeping; see the module docstring."""

    NEEDS = ("uow",)

    retention = RetentionSettings()

    @RetentionTimer.decorator(interval=INTERVAL_SECONDS)
    def purge_bookkeeping(self) -> None:
        """Delete published outbox rows, processed-event marks and discarded dead letters past
        their retention (config RETENTION), in batches. Safe with several instances."""
        deleted = purge(self.uow, type(self), self.retention)
        if any(deleted.values()):
            log.info("retention: deleted %s", ", ".join(f"{n} from {t}" for t, n in deleted.items() if n))


def retention_migration(outbox: bool, handler_tables: bool):
    """(upgrade, downgrade) for a service's Alembic migration: dead letters are discarded by a
    mark (kept DISCARDED_DEAD_LETTER_DAYS) instead of deleted, and each purge finds its rows by
    index. The indexes are built CONCURRENTLY: a live table keeps taking writes meanwhile.
    Frozen: change it with a new migration, never here."""
    import sqlalchemy as sa
    from alembic import op

    def upgrade() -> None:
        if handler_tables:
            op.add_column("dead_letters", sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True))
        with op.get_context().autocommit_block():
            if outbox:
                op.create_index(
                    "ix_outbox_sent_at", "outbox", ["sent_at"],
                    postgresql_where=sa.text("sent_at IS NOT NULL"), postgresql_concurrently=True,
                )
            if handler_tables:
                op.create_index(
                    "ix_processed_events_processed_at", "processed_events", ["processed_at"],
                    postgresql_concurrently=True,
                )
                op.create_index(
                    "ix_dead_letters_discarded_at", "dead_letters", ["discarded_at"],
                    postgresql_where=sa.text("discarded_at IS NOT NULL"), postgresql_concurrently=True,
                )

    def downgrade() -> None:
        if handler_tables:
            op.drop_index("ix_dead_letters_discarded_at", table_name="dead_letters")
            op.drop_index("ix_processed_events_processed_at", table_name="processed_events")
            op.drop_column("dead_letters", "discarded_at")
        if outbox:
            op.drop_index("ix_outbox_sent_at", table_name="outbox")

    return upgrade, downgrade
