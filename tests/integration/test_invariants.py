"""The invariant check (operations/invariants.py) on real databases: consistent data passes, and
each invariant broken on its own is reported as exactly that breach, with a non-zero exit.

Stock moves through a real products container; orders, payments, outbox and notification rows
are written directly (the checker only reads databases)."""

import json
import uuid
from datetime import datetime
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from operations.invariants import check, main
from plumbing.migrations import alembic_config, database_urls, drop_database, ensure_database
from tests.conftest import TEST_NAMESPACE
from tests.integration.conftest import call
from tests.tokens import ADMIN, ORDERS_CLIENT

CHECKS = [
    "product_ledger", "product_reserved", "product_sold", "order_states", "order_reservations", "payments",
    "orphan_reservations", "invoices", "invoice_totals", "document_numbers", "credit_notes", "charge_requests",
    "outbox", "notifications",
]
# As payments/numbering.py allocates (the test writes documents directly: the checker only reads).
NUMBER = text(
    "INSERT INTO document_counters (kind, year, last_number) VALUES (:kind, 2026, 1)"
    " ON CONFLICT (kind, year) DO UPDATE SET last_number = document_counters.last_number + 1 RETURNING last_number"
)
COPIED = ("id, number, year, sequence, order_id, user_id, currency, issued_at, seller, buyer, lines, taxes,"
          " net_total, tax_total, gross_total, payment_id, order_placed_at")
DOCUMENT = (
    " (id, number, year, sequence, order_id, user_id, currency, issued_at, seller, buyer, lines, taxes, net_total,"
    " tax_total, gross_total{extra}) VALUES (:id, :number, 2026, :sequence, :order_id, 'user-1', 'EUR', now(),"
    " '{{}}', '{{}}', '[]', '[]', 8.33, 1.67, 10{values})"
)


class Databases:
    def __init__(self, config):
        self.engines = {service: create_engine(url) for service, url in database_urls(config).items()}

    def run(self, service: str, statement: str, **params):
        with self.engines[service].begin() as conn:
            return conn.execute(text(statement), params)

    def dispose(self):
        for engine in self.engines.values():
            engine.dispose()


@pytest.fixture
def db(config):
    databases = Databases(config)
    yield databases
    databases.dispose()


class Shop:
    """Orders in every state, consistent across products, orders, payments and notifications."""

    def __init__(self, products, db):
        self.products, self.db = products, db
        self.product = call(products, "create_product", {
            "sku": f"INV-{uuid.uuid4().hex[:8]}", "name": "Ledger widget", "price": "10.00", "currency": "EUR",
            "stock": 20,
        }, as_=ADMIN)["id"]
        call(products, "set_stock", self.product, {"stock": 25}, as_=ADMIN)
        call(products, "adjust_stock", self.product, {"delta": -3}, as_=ADMIN)  # received 22

    def reserve(self, order_id: str, quantity: int = 1) -> str:
        items = [{"product_id": self.product, "quantity": quantity}]
        return call(self.products, "reserve_stock", order_id, items, 600, as_=ORDERS_CLIENT)["expires_at"]

    def order(self, status: str, paid: bool, payment: str | None, reservation: tuple[str, ...],
              invoiced: bool | None = None) -> str:
        """An order with its reservation taken through `reservation` (reserve, commit, release),
        its payment row (None: never charged) and, if paid (or `invoiced`), its invoice, and the
        credit note of a refund."""
        order_id = str(uuid.uuid4())
        expires_at = self.reserve(order_id)
        for step in reservation:
            call(self.products, f"{step}_reservation", order_id, as_=ADMIN)
        self.db.run(
            "orders",
            "INSERT INTO orders (id, user_id, status, total, currency, shipping_address, paid, idempotency_key,"
            " request_hash, reservation_expires_at) VALUES (:id, 'user-1', :status, 10, 'EUR', '{}', :paid,"
            " :id, 'hash', :expires_at)",
            id=order_id, status=status, paid=paid, expires_at=datetime.fromisoformat(expires_at),
        )
        if payment is not None:
            self.pay(order_id, payment)
        if paid if invoiced is None else invoiced:
            invoice_id = self.document("invoice", "INV", order_id, ", payment_id, order_placed_at", ", 'pay', now()")
            if payment == "refunded":
                self.document("credit_note", "CN", order_id, ", invoice_id, invoice_number, refund_reference, reason",
                              f", '{invoice_id}', 'INV', 're-{order_id}', 'refund'")
        return order_id

    def pay(self, order_id: str, status: str) -> None:
        self.db.run(
            "payments",
            "INSERT INTO payments (id, order_id, user_id, status, amount, currency, refund_reference)"
            " VALUES (:id, :order_id, 'user-1', :status, 10, 'EUR', 're-' || :order_id)",
            id=str(uuid.uuid4()), order_id=order_id, status=status,
        )

    def document(self, kind: str, prefix: str, order_id: str, extra: str, values: str) -> str:
        """An invoice or credit note of 10.00 EUR, numbered next."""
        document_id = str(uuid.uuid4())
        table = "invoices" if kind == "invoice" else "credit_notes"
        with self.db.engines["payments"].begin() as conn:
            sequence = conn.execute(NUMBER, {"kind": kind}).scalar_one()
            conn.execute(text(f"INSERT INTO {table}" + DOCUMENT.format(extra=extra, values=values)), {
                "id": document_id, "number": f"{prefix}-2026-{sequence:06d}", "sequence": sequence,
                "order_id": order_id})
        return document_id


def outbox_row(db, service: str, sent: bool, age_seconds: float = 0) -> None:
    event_id = str(uuid.uuid4())
    db.run(
        service,
        "INSERT INTO outbox (event_id, event_type, payload, created_at, sent_at, attempts)"
        " VALUES (:event_id, 'order_created', '{}', now() - make_interval(secs => :age),"
        " CASE WHEN :sent THEN now() END, 0)",
        event_id=event_id, age=age_seconds, sent=sent,
    )


def notification(db, event_id: str, user_id: str = "user-1") -> None:
    db.run(
        "notifications",
        "INSERT INTO notifications (id, event_id, user_id, event, channel, subject, body)"
        " VALUES (:id, :event_id, :user_id, 'order_confirmed', 'log', 's', 'b')",
        id=str(uuid.uuid4()), event_id=event_id, user_id=user_id,
    )


@pytest.fixture
def shop(products_container, db) -> SimpleNamespace:
    shop = Shop(products_container, db)
    orders = SimpleNamespace(
        shop=shop,
        product=shop.product,
        confirmed=shop.order("confirmed", True, "succeeded", ("commit",)),
        shipped=shop.order("shipped", True, "succeeded", ("commit",)),
        delivered=shop.order("delivered", True, "succeeded", ("commit",)),
        refunded=shop.order("refunded", True, "refunded", ("commit", "release")),
        declined=shop.order("cancelled", False, "failed", ("release",)),
        never_charged=shop.order("cancelled", False, None, ("release",)),
        pending=shop.order("pending_payment", False, None, ()),
    )
    for service in ("users", "orders", "payments"):
        outbox_row(db, service, sent=True, age_seconds=3600)
    notification(db, str(uuid.uuid4()))
    return orders


def product_row(db, product_id):
    return db.run(
        "products", "SELECT stock, reserved, sold, received FROM products WHERE id = :id", id=product_id
    ).one()


def test_consistent_data_passes_every_check(config, shop, capsys):
    report = check(config, grace=0)
    assert report.ok, report
    assert [c.name for c in report.checks] == CHECKS
    assert report.counts == {"products": 1, "reservations": 7, "orders": 7, "payments": 5, "invoices": 4,
                             "credit_notes": 1}
    assert product_row(shop.shop.db, shop.product) == (18, 1, 3, 22)

    assert main(["--grace", "0"], config) == 0
    assert capsys.readouterr().out.strip().endswith("ALL INVARIANTS HOLD")
    assert main(["--grace", "0", "--json"], config) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and [c["name"] for c in data["checks"]] == CHECKS
    assert all(c["ok"] and c["breaches"] == 0 and c["examples"] == [] for c in data["checks"])


def _stock_behind_the_ledger(shop):
    shop.shop.db.run("products", "UPDATE products SET stock = stock + 1 WHERE id = :id", id=shop.product)
    return shop.product


def _reserved_without_a_reservation(shop):
    shop.shop.db.run(
        "products", "UPDATE products SET stock = stock - 1, reserved = reserved + 1 WHERE id = :id", id=shop.product
    )
    return shop.product


def _sold_without_a_reservation(shop):
    shop.shop.db.run(
        "products", "UPDATE products SET stock = stock - 1, sold = sold + 1 WHERE id = :id", id=shop.product
    )
    return shop.product


def _pending_past_its_expiry(shop):
    shop.shop.db.run(
        "orders", "UPDATE orders SET reservation_expires_at = now() - interval '1 hour' WHERE id = :id",
        id=shop.pending,
    )
    return shop.pending


def _cancelled_after_payment_never_refunded(shop):
    shop.shop.db.run("orders", "UPDATE orders SET status = 'cancelled' WHERE id = :id", id=shop.refunded)
    shop.shop.db.run("payments", "UPDATE payments SET status = 'succeeded' WHERE order_id = :id", id=shop.refunded)
    return shop.refunded


def _confirmed_with_its_stock_released(shop):
    return shop.shop.order("confirmed", True, "succeeded", ("release",))


def _cancelled_still_holding_stock(shop):
    return shop.shop.order("cancelled", False, None, ())


def _delivered_never_committed(shop):
    return shop.shop.order("delivered", True, "succeeded", ())


def _on_payments(shop, order_id: str, statement: str) -> str:
    """Run `statement` on the payments of `order_id` (its :id); that order is the offender."""
    shop.shop.db.run("payments", statement, id=order_id)
    return order_id


def _confirmed_without_a_successful_charge(shop):
    return _on_payments(shop, shop.confirmed, "UPDATE payments SET status = 'failed' WHERE order_id = :id")


def _shipped_never_charged(shop):
    return _on_payments(shop, shop.shipped, "DELETE FROM payments WHERE order_id = :id")


def _charged_after_cancellation_never_refunded(shop):
    return _on_payments(shop, shop.declined, "UPDATE payments SET status = 'succeeded' WHERE order_id = :id")


def _refunded_without_a_refund(shop):
    return _on_payments(shop, shop.refunded, "UPDATE payments SET status = 'succeeded' WHERE order_id = :id")


def _pending_although_charged(shop):
    shop.shop.pay(shop.pending, "succeeded")
    return shop.pending


def _orphan_reservation_past_expiry(shop):
    orphan = str(uuid.uuid4())
    shop.shop.reserve(orphan, 2)
    shop.shop.db.run(
        "products", "UPDATE reservations SET expires_at = now() - interval '1 hour' WHERE order_id = :id", id=orphan
    )
    return orphan


def _paid_order_without_an_invoice(shop):
    return shop.shop.order("confirmed", True, "succeeded", ("commit",), invoiced=False)


def _unpaid_order_with_an_invoice(shop):
    return shop.shop.order("cancelled", False, "failed", ("release",), invoiced=True)


def _invoice_total_not_the_orders(shop):
    shop.shop.db.run("orders", "UPDATE orders SET total = 10.01 WHERE id = :id", id=shop.shipped)
    return "INV-2026-000002"


def _a_number_allocated_but_never_used(shop):
    shop.shop.db.run("payments", "UPDATE document_counters SET last_number = last_number + 1 WHERE kind = 'invoice'")
    return "INV-2026: 4 numbers, counter at 5, missing [5]"


def _a_refund_without_its_credit_note(shop):
    order_id = shop.shop.order("refunded", True, "refunded", ("commit", "release"))
    shop.shop.db.run("payments", "UPDATE payments SET refund_reference = 'other' WHERE order_id = :id", id=order_id)
    return order_id


def _a_charge_asked_of_the_provider_never_recorded(shop):
    order_id = str(uuid.uuid4())
    return _on_payments(
        shop, order_id, "INSERT INTO payment_operations (id, order_id, type, reference, amount, status, at)"
        " VALUES (:id, :id, 'authorize', :id, 1, 'requested', now() - interval '1 hour')"
    )


def _unsent_outbox_row(shop):
    outbox_row(shop.shop.db, "payments", sent=False, age_seconds=3600)
    return "payments outbox"


@pytest.mark.parametrize(
    ("breach", "check_name"),
    [
        (_stock_behind_the_ledger, "product_ledger"),
        (_reserved_without_a_reservation, "product_reserved"),
        (_sold_without_a_reservation, "product_sold"),
        (_pending_past_its_expiry, "order_states"),
        (_cancelled_after_payment_never_refunded, "order_states"),
        (_confirmed_with_its_stock_released, "order_reservations"),
        (_cancelled_still_holding_stock, "order_reservations"),
        (_delivered_never_committed, "order_reservations"),
        (_confirmed_without_a_successful_charge, "payments"),
        (_shipped_never_charged, "payments"),
        (_charged_after_cancellation_never_refunded, "payments"),
        (_refunded_without_a_refund, "payments"),
        (_pending_although_charged, "payments"),
        (_orphan_reservation_past_expiry, "orphan_reservations"),
        (_paid_order_without_an_invoice, "invoices"),
        (_unpaid_order_with_an_invoice, "invoices"),
        (_invoice_total_not_the_orders, "invoice_totals"),
        (_a_number_allocated_but_never_used, "document_numbers"),
        (_a_refund_without_its_credit_note, "credit_notes"),
        (_a_charge_asked_of_the_provider_never_recorded, "charge_requests"),
        (_unsent_outbox_row, "outbox"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else value,
)
def test_each_breach_is_reported_alone_with_a_non_zero_exit(config, shop, breach, check_name, capsys):
    offender = breach(shop)

    report = check(config, grace=0)
    assert report.breached == [check_name], report
    [failed] = [c for c in report.checks if c.name == check_name]
    assert len(failed.breaches) == 1 and offender in failed.breaches[0], failed.breaches

    assert main(["--grace", "0"], config) == 1
    out = capsys.readouterr().out
    assert f"{check_name}" in out and "BREACH (1)" in out and offender in out
    assert out.strip().endswith(f"BREACHED: {check_name}")
    assert main(["--grace", "0", "--json"], config) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    assert [c["name"] for c in data["checks"] if not c["ok"]] == [check_name]


def test_steps_in_flight_are_no_breach_within_the_grace_period(config, shop, db):
    outbox_row(db, "orders", sent=False, age_seconds=5)
    db.run(
        "orders", "UPDATE orders SET reservation_expires_at = now() - interval '5 seconds' WHERE id = :id",
        id=shop.pending,
    )
    shop.shop.order("confirmed", True, "succeeded", ())  # its reservation not committed yet

    assert check(config, grace=30).ok
    assert check(config, grace=0).breached == ["order_states", "order_reservations", "outbox"]


def test_the_report_shows_the_first_offenders_only(config, shop, db):
    for _ in range(4):
        outbox_row(db, "orders", sent=False, age_seconds=60)
    report = check(config, grace=0, limit=2)
    assert report.breached == ["outbox"] and len(report.checks[-2].breaches) == 4
    assert "... and 2 more" in str(report)
    assert len(report.as_dict()["checks"][-2]["examples"]) == 2


@pytest.mark.parametrize(
    ("service", "statement"),
    [
        ("products", "UPDATE products SET stock = -1"),
        ("products", "UPDATE products SET received = -1, stock = 0, reserved = 0, sold = 0"),
        ("products", "UPDATE products SET reserved = -1"),
        ("payments", "INSERT INTO payments (id, order_id, user_id, status, amount, currency)"
                     " SELECT gen_random_uuid()::text, order_id, user_id, 'succeeded', amount, currency"
                     " FROM payments WHERE status = 'succeeded'"),
        ("payments", f"INSERT INTO invoices ({COPIED}) SELECT 'i-x', 'INV-2026-000099', 2026, 99, order_id,"
                     f" {COPIED.split('order_id, ', 1)[1]} FROM invoices LIMIT 1"),
        ("payments", f"INSERT INTO invoices ({COPIED}) SELECT 'i-y', number, year, sequence, 'order-new',"
                     f" {COPIED.split('order_id, ', 1)[1]} FROM invoices LIMIT 1"),
        ("payments", "UPDATE invoices SET gross_total = 20, net_total = 18.33"),
    ],
    ids=["negative stock", "negative received", "negative reserved", "a second charge for an order",
         "a second invoice for an order", "an invoice's number given twice", "an issued invoice changed"],
)
def test_the_databases_refuse_some_breaches_outright(config, shop, db, service, statement):
    with pytest.raises(IntegrityError):
        db.run(service, statement)
    assert check(config, grace=0).ok


def test_a_notification_recorded_twice_is_a_breach(config, shop, db):
    event_id = str(uuid.uuid4())
    notification(db, event_id)
    with pytest.raises(IntegrityError):  # the unique constraint refuses it ...
        notification(db, event_id)
    notification(db, event_id, user_id="user-2")  # another recipient of the same event is fine
    assert check(config, grace=0).ok
    # ... so, to see the check itself catch one, take the constraint away for a moment.
    db.run("notifications", "ALTER TABLE notifications DROP CONSTRAINT uq_notifications_event_user")
    try:
        notification(db, event_id)
        report = check(config, grace=0)
        assert report.breached == ["notifications"]
        assert f"event {event_id}, user user-1: 2 notifications" in report.checks[-1].breaches
    finally:
        db.run("notifications", "DELETE FROM notifications WHERE event_id = :id", id=event_id)
        db.run(
            "notifications",
            "ALTER TABLE notifications ADD CONSTRAINT uq_notifications_event_user UNIQUE (event_id, user_id)",
        )


def test_received_moves_with_every_stock_change_and_stays_out_of_the_payloads(config, products_container, db):
    product = call(products_container, "create_product", {
        "sku": "LEDGER-1", "name": "Ledger", "price": "1.00", "currency": "EUR", "stock": 5,
    }, as_=ADMIN)
    assert "received" not in product and "reserved" not in product
    pid = product["id"]
    assert product_row(db, pid) == (5, 0, 0, 5)
    assert "received" not in call(products_container, "set_stock", pid, {"stock": 8}, as_=ADMIN)
    assert product_row(db, pid) == (8, 0, 0, 8)
    call(products_container, "reserve_stock", "order-1", [{"product_id": pid, "quantity": 3}], 600, as_=ORDERS_CLIENT)
    call(products_container, "reserve_stock", "order-2", [{"product_id": pid, "quantity": 1}], 600, as_=ORDERS_CLIENT)
    assert product_row(db, pid) == (4, 4, 0, 8)
    call(products_container, "set_stock", pid, {"stock": 1}, as_=ADMIN)  # 3 units taken out of sale
    assert product_row(db, pid) == (1, 4, 0, 5)
    call(products_container, "adjust_stock", pid, {"delta": 4}, as_=ADMIN)
    call(products_container, "adjust_stock", pid, {"delta": -2}, as_=ADMIN)
    assert product_row(db, pid) == (3, 4, 0, 7)
    call(products_container, "commit_reservation", "order-1", as_=ADMIN)
    call(products_container, "release_reservation", "order-2", as_=ORDERS_CLIENT)
    assert product_row(db, pid) == (4, 0, 3, 7)
    call(products_container, "release_reservation", "order-1", as_=ORDERS_CLIENT)  # a refund puts sold units back
    assert product_row(db, pid) == (7, 0, 0, 7)
    assert "received" not in call(products_container, "get_product", pid)
    report = check(config, grace=0)
    assert report.ok, report  # the orders are unknown to orders, but their reservations are released


def test_the_migration_backfills_received_from_the_counters(config):
    url = database_urls(config)["products"].rsplit("/", 1)[0] + f"/{TEST_NAMESPACE}_products_migration"
    drop_database(url)
    ensure_database(url)
    engine = create_engine(url)
    try:
        command.upgrade(alembic_config("products", url), "0002")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO products (id, sku, name, description, price, currency, stock, reserved, sold, version)"
                " VALUES ('p-1', 'P-1', 'P', '', 1, 'EUR', 4, 2, 3, 1), ('p-2', 'P-2', 'P', '', 1, 'EUR', 0, 0, 0, 1)"
            ))
        command.upgrade(alembic_config("products", url), "head")
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT id, received FROM products ORDER BY id")).all()
            assert rows == [("p-1", 9), ("p-2", 0)]
            with pytest.raises(IntegrityError):
                conn.execute(text("INSERT INTO products (id, sku, name, description, price, currency, stock,"
                                  " version) VALUES ('p-3', 'P-3', 'P', '', 1, 'EUR', 1, 1)"))
        command.downgrade(alembic_config("products", url), "0002")
        command.upgrade(alembic_config("products", url), "head")
    finally:
        engine.dispose()
        drop_database(url)
