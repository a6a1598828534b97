"""payments' migration 0006 on a database of its own: the rows of "charge once" land on the ledger."""

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from plumbing.migrations import alembic_config, database_urls, drop_database, ensure_database
from tests.conftest import TEST_NAMESPACE

LEGACY = (
    "INSERT INTO payments (id, order_id, user_id, status, amount, currency, provider_reference, failure_reason,"
    " refund_reference) VALUES"
    " ('p-1', 'paid', 'u', 'succeeded', 40, 'EUR', 'sim_ch_1', NULL, NULL),"
    " ('p-2', 'refunded', 'u', 'refunded', 25, 'EUR', 'sim_ch_2', NULL, 'sim_re_2'),"
    " ('p-3', 'declined', 'u', 'failed', 10, 'EUR', NULL, 'card_declined', NULL)"
)


@pytest.fixture
def payments_url(config):
    url = database_urls(config)["payments"].rsplit("/", 1)[0] + f"/{TEST_NAMESPACE}_payments_migration"
    drop_database(url)
    ensure_database(url)
    yield url
    drop_database(url)


def test_legacy_payments_charge_requests_and_invoices_move_onto_the_ledger(payments_url):
    engine = create_engine(payments_url)
    try:
        command.upgrade(alembic_config("payments", payments_url), "0005")
        with engine.begin() as conn:
            conn.execute(text(LEGACY))
            conn.execute(text("INSERT INTO charge_requests (order_id) VALUES ('asked')"))
        command.upgrade(alembic_config("payments", payments_url), "head")
        with engine.begin() as conn:
            ledgers = conn.execute(text(
                "SELECT order_id, status, authorized, captured, refunded, voided FROM payments ORDER BY id")).all()
            assert [(o, s, str(a), str(c), str(r), str(v)) for o, s, a, c, r, v in ledgers] == [
                ("paid", "captured", "40.00", "40.00", "0.00", "0.00"),
                ("refunded", "refunded", "25.00", "25.00", "25.00", "0.00"),
                ("declined", "failed", "0.00", "0.00", "0.00", "0.00"),
            ]
            operations = conn.execute(text(
                "SELECT order_id, type, reference, status, provider_reference FROM payment_operations"
                " ORDER BY order_id, type")).all()
            assert [tuple(row) for row in operations] == [
                ("asked", "authorize", "asked", "requested", None),  # asked again by the next delivery
                ("declined", "authorize", "declined", "failed", None),
                ("paid", "authorize", "paid", "succeeded", "sim_ch_1"),
                ("paid", "capture", "charge", "succeeded", "sim_ch_1"),
                ("refunded", "authorize", "refunded", "succeeded", "sim_ch_2"),
                ("refunded", "capture", "charge", "succeeded", "sim_ch_2"),
                ("refunded", "refund", "cancellation", "succeeded", "sim_re_2"),
            ]
            with pytest.raises(IntegrityError):  # the ledger's invariants hold in the database too
                with conn.begin_nested():
                    conn.execute(text("UPDATE payments SET refunded = 41 WHERE order_id = 'paid'"))
        command.downgrade(alembic_config("payments", payments_url), "0005")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT order_id FROM charge_requests")).scalars().all() == ["asked"]
            assert conn.execute(text("SELECT status FROM payments ORDER BY id")).scalars().all() == [
                "succeeded", "refunded", "failed"]
        command.upgrade(alembic_config("payments", payments_url), "head")
    finally:
        engine.dispose()
