"""Alembic, one history per service: create the service's database if missing and upgrade.

`python -m plumbing.migrations [service ...]` upgrades every service named in DB_URIS
(or only those given). Each service's migrations/env.py calls `run_migrations`."""

import sys

from alembic import command, context
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from plumbing.config import PROJECT_ROOT, load_config


def database_urls(config: dict) -> dict[str, str]:
    """{service: url} from DB_URIS keys of the form "service:Base"."""
    return {key.split(":")[0]: url for key, url in config["DB_URIS"].items()}


def ensure_database(url: str) -> None:
    url = make_url(url)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with server.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        ).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()


def drop_database(url: str) -> None:
    url = make_url(url)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    server.dispose()


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / service / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(service: str, url: str) -> None:
    ensure_database(url)
    command.upgrade(alembic_config(service, url), "head")


def upgrade_all(config: dict, services: list[str] | None = None) -> None:
    for service, url in database_urls(config).items():
        if not services or service in services:
            upgrade(service, url)


def run_migrations(target_metadata) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if __name__ == "__main__":
    upgrade_all(load_config(), sys.argv[1:])
