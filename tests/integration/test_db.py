"""Pooled connections that die while idle (a PostgreSQL restart) are replaced before use."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from plumbing import db
from plumbing.migrations import database_urls


@pytest.fixture
def url(config) -> str:
    return database_urls(config)["orders"]


def pooled_connection_killed_while_idle(engine, url) -> None:
    """Use one pooled connection, then end its backend from outside, as a restart would."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(url)
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(url, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0)
    engine = create_engine(url, pool_size=1, max_overflow=0)
    db.ping_after_idle(engine)
    pooled_connection_killed_while_idle(engine, url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


def test_without_the_ping_the_first_call_on_it_fails(url):
    engine = create_engine(url, pool_size=1, max_overflow=0)
    pooled_connection_killed_while_idle(engine, url)
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(url):
    engine = create_engine(url, pool_size=1, max_overflow=0)
    db.ping_after_idle(engine)
    statements = []
    engine.dialect.do_ping = lambda dbapi_connection: statements.append("SELECT 1")  # counts pings only
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    assert statements == []
    engine.dispose()
