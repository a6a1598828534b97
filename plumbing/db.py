"""The database provider every service declares: nameko-sqlalchemy's, made to read its engine
options from config and to survive a dead connection.

nameko-sqlalchemy 1.5 ignores config DB_ENGINE_OPTIONS (pool size, pre-ping), and its worker
teardown lets the error of closing a connection that died (a PostgreSQL restart) escape, which
kills the whole service container."""

import logging

import nameko_sqlalchemy

log = logging.getLogger(__name__)


class Database(nameko_sqlalchemy.Database):
    def setup(self):
        self.engine_options = {**self.container.config.get("DB_ENGINE_OPTIONS", {}), **self.engine_options}
        super().setup()

    def worker_teardown(self, worker_ctx):
        try:
            super().worker_teardown(worker_ctx)
        except Exception as exc:  # the pool drops the dead connection and opens a new one
            log.warning("closing a worker's database session failed: %r", exc)
