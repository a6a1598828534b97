"""What tests do to the stores directly, behind the system's back."""

import time

from sqlalchemy import create_engine, text

from plumbing.migrations import database_urls
from plumbing.tokens import client_cutoff_key
from scripts.provision import register_service_clients
from users.passwords import hash_password


def empty_stores(config, redis_client) -> None:
    """Every table of every service emptied (but the services' own clients, provisioned again) and
    the suite's Redis db flushed."""
    for url in database_urls(config).values():
        engine = create_engine(url)
        with engine.begin() as conn:
            tables = conn.execute(
                text(
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).scalars().all()
            if tables:
                conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        engine.dispose()
    register_service_clients(config)
    redis_client.flushdb()


def revoke_behind_the_apis_back(config, redis_client, client_id: str) -> None:
    """Revoke a client as someone with write access to users' database and the token store would
    (the API refuses for a service's own client): revoked, no scopes, another secret, unmanaged,
    and every token it holds void."""
    engine = create_engine(database_urls(config)["users"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE clients SET revoked_at = now(), scopes = '{}', secret_hash = :other,"
                          " managed = false WHERE id = :id"), {"id": client_id, "other": hash_password("x", 4)})
    engine.dispose()
    redis_client.set(client_cutoff_key(client_id), repr(time.time()))


def backdate_deliveries(config, order_id: str, days: int) -> None:
    """Move the order's deliveries `days` into the past, as if that long had gone by since: its
    shipments' and its lines' (the return window counts from a line's last delivery)."""
    engine = create_engine(database_urls(config)["orders"])
    moved = {"id": order_id, "days": days}
    with engine.begin() as conn:
        conn.execute(text("UPDATE shipments SET delivered_at = delivered_at - make_interval(days => :days)"
                          " WHERE order_id = :id AND delivered_at IS NOT NULL"), moved)
        conn.execute(text("UPDATE order_items SET last_delivered_at = last_delivered_at - make_interval(days => :days)"
                          " WHERE order_id = :id AND last_delivered_at IS NOT NULL"), moved)
    engine.dispose()


def expire_authorization(config, order_id: str) -> None:
    """Let the order's card authorization lapse now, as PAYMENTS_AUTHORIZATION_TTL would: the next
    capture must re-authorize first."""
    engine = create_engine(database_urls(config)["payments"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE payments SET authorization_expires_at = now() - interval '1 second'"
                          " WHERE order_id = :id"), {"id": order_id})
    engine.dispose()
