"""Retention (plumbing/retention.py) on real databases: rows aged past their window go, in
batches; younger ones, unsent ones and those a dead letter still needs stay."""

import threading
import uuid

import pytest
from sqlalchemy import text

from notifications.service import NotificationsService
from orders.service import OrdersService
from payments.service import PaymentsService
from plumbing.retention import RetentionTimer, purges
from products.service import ProductsService
from tests.integration.conftest import call
from users.service import UsersService


def run(engine, statement: str, **params):
    with engine.begin() as conn:
        return conn.execute(text(statement), params)


def outbox_row(engine, sent_days_ago: float | None, created_days_ago: float = 0) -> int:
    """An outbox row published `sent_days_ago` (None: never), aged by UPDATE as time would."""
    row_id = run(
        engine,
        "INSERT INTO outbox (event_id, event_type, payload, headers) VALUES (:e, 'payment_succeeded', '{}', '{}')"
        " RETURNING id",
        e=str(uuid.uuid4()),
    ).scalar_one()
    run(
        engine,
        "UPDATE outbox SET created_at = now() - :c * interval '1 day',"
        " sent_at = now() - :s * interval '1 day' WHERE id = :id",
        c=created_days_ago, s=sent_days_ago, id=row_id,
    )
    return row_id


def processed_mark(engine, days_ago: float, event_id: str | None = None, handler: str = "handle_order_created") -> str:
    mark_id = str(uuid.uuid4())
    run(engine, "INSERT INTO processed_events (id, event_id, handler) VALUES (:id, :e, :h)",
        id=mark_id, e=event_id or str(uuid.uuid4()), h=handler)
    run(engine, "UPDATE processed_events SET processed_at = now() - :d * interval '1 day' WHERE id = :id",
        d=days_ago, id=mark_id)
    return mark_id


def dead_letter(engine, discarded_days_ago: float | None, event_id: str | None = None,
                handler: str = "handle_order_created") -> str:
    dead_id = str(uuid.uuid4())
    run(
        engine,
        "INSERT INTO dead_letters (id, event_id, event_type, source_service, handler, payload, error, attempts)"
        " VALUES (:id, :e, 'order_created', 'orders', :h, '{}', 'boom', 3)",
        id=dead_id, e=event_id or str(uuid.uuid4()), h=handler,
    )
    run(engine, "UPDATE dead_letters SET created_at = now() - interval '90 days',"
        " discarded_at = now() - :d * interval '1 day' WHERE id = :id", d=discarded_days_ago, id=dead_id)
    return dead_id


def ids(engine, table: str) -> set:
    return set(run(engine, f"SELECT id FROM {table}").scalars())


def test_the_retention_job_deletes_what_is_past_its_window_and_keeps_the_rest(payments_container, payments_db):
    db = payments_db
    old_sent, recent_sent = outbox_row(db, sent_days_ago=8), outbox_row(db, sent_days_ago=6)
    old_unsent = outbox_row(db, sent_days_ago=None, created_days_ago=30)
    old_mark, recent_mark = processed_mark(db, 15), processed_mark(db, 13)
    # An event both processed (a copy got through) and dead-lettered: a replay must find its mark.
    needed_event = str(uuid.uuid4())
    needed_mark = processed_mark(db, 40, needed_event)
    waiting = dead_letter(db, discarded_days_ago=None, event_id=needed_event)
    # Once that dead letter is discarded, the mark is no longer needed.
    released_event = str(uuid.uuid4())
    released_mark = processed_mark(db, 40, released_event)
    discarded_recently = dead_letter(db, discarded_days_ago=29, event_id=released_event)
    discarded_long_ago = dead_letter(db, discarded_days_ago=31)

    call(payments_container, "purge_bookkeeping")

    assert ids(db, "outbox") == {recent_sent, old_unsent}
    assert old_sent not in ids(db, "outbox")
    assert ids(db, "processed_events") == {recent_mark, needed_mark}
    assert {old_mark, released_mark}.isdisjoint(ids(db, "processed_events"))
    assert ids(db, "dead_letters") == {waiting, discarded_recently}
    assert discarded_long_ago not in ids(db, "dead_letters")


def test_a_backlog_is_deleted_in_batches(config, payments_db, start_container):
    marks = {processed_mark(payments_db, 20) for _ in range(7)}
    keep = processed_mark(payments_db, 1)
    container = start_container_with(start_container, config, BATCH_SIZE=3)

    call(container, "purge_bookkeeping")

    assert ids(payments_db, "processed_events") == {keep}
    assert marks.isdisjoint(ids(payments_db, "processed_events"))


def test_rows_another_instance_holds_are_skipped_without_waiting(config, payments_db, start_container):
    locked, free = outbox_row(payments_db, sent_days_ago=10), outbox_row(payments_db, sent_days_ago=10)
    container = start_container_with(start_container, config)
    holder = payments_db.connect()
    transaction = holder.begin()
    holder.execute(text("SELECT id FROM outbox WHERE id = :id FOR UPDATE"), {"id": locked})
    try:
        purged = threading.Thread(target=call, args=(container, "purge_bookkeeping"))
        purged.start()
        purged.join(15)
        assert not purged.is_alive(), "the purge waited on a row another transaction holds"
        assert ids(payments_db, "outbox") == {locked}
        assert free not in ids(payments_db, "outbox")
    finally:
        transaction.rollback()
        holder.close()
    call(container, "purge_bookkeeping")  # the next run takes it
    assert ids(payments_db, "outbox") == set()


def start_container_with(start_container, config, **retention):
    """A payments container whose RETENTION settings are overridden."""
    overridden = {**config, "RETENTION": {**config["RETENTION"], **retention}}
    return start_container(PaymentsService, overridden)


@pytest.mark.parametrize(
    ("service_cls", "tables"),
    [
        (UsersService, {"outbox"}),
        (ProductsService, {"processed_events", "dead_letters"}),
        (OrdersService, {"outbox", "processed_events", "dead_letters"}),
        (PaymentsService, {"outbox", "processed_events", "dead_letters"}),
        (NotificationsService, {"processed_events", "dead_letters"}),
    ],
)
def test_every_service_purges_each_bookkeeping_table_it_has(service_cls, tables):
    assert {purge.table for purge in purges(service_cls)} == tables
    entrypoints = service_cls.purge_bookkeeping.nameko_entrypoints
    assert any(isinstance(entrypoint, RetentionTimer) for entrypoint in entrypoints)
