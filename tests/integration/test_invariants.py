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
    "orphan_reservations", "order_lines", "payment_ledger", "shipment_captures", "invoices", "invoice_totals",
    "document_numbers", "credit_notes", "charge_requests", "outbox", "notifications",
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

    def order(self, status: str, paid: bool, reservation: tuple[str, ...], quantity: int = 1,
              shipped: int = 0) -> str:
        """An order of `quantity` units at 10.00 (`shipped` of them shipped), its reservation taken
        through `reservation` (reserve, commit, release)."""
        order_id = str(uuid.uuid4())
        expires_at = self.reserve(order_id, quantity)
        for step in reservation:
            call(self.products, f"{step}_reservation", order_id, as_=ADMIN)
        self.db.run(
            "orders",
            "INSERT INTO orders (id, user_id, status, total, currency, shipping_address, paid, idempotency_key,"
            " request_hash, reservation_expires_at) VALUES (:id, 'user-1', :status, 10 * :quantity, 'EUR', '{}',"
            " :paid, :id, 'hash', :expires_at)",
            id=order_id, status=status, paid=paid, expires_at=datetime.fromisoformat(expires_at), quantity=quantity,
        )
        self.db.run(
            "orders",
            "INSERT INTO order_items (order_id, position, product_id, sku, name, unit_price, quantity, line_total,"
            " shipped_quantity) VALUES (:id, 0, :product, 'INV', 'Ledger widget', 10, :quantity, 10 * :quantity,"
            " :shipped)",
            id=order_id, product=self.product, quantity=quantity, shipped=shipped,
        )
        return order_id

    def pay(self, order_id: str, status: str, amount: int = 10, authorized: int = 0, captured: int = 0,
            refunded: int = 0, voided: int = 0) -> None:
        self.db.run(
            "payments",
            "INSERT INTO payments (id, order_id, user_id, status, amount, currency, authorized, captured, refunded,"
            " voided) VALUES (:id, :order_id, 'user-1', :status, :amount, 'EUR', :authorized, :captured, :refunded,"
            " :voided)",
            id=str(uuid.uuid4()), order_id=order_id, status=status, amount=amount, authorized=authorized,
            captured=captured, refunded=refunded, voided=voided,
        )

    def ship(self, order_id: str, status: str = "shipped", captured: bool = True) -> str:
        """A parcel of 10.00 and, if `captured`, its capture and that capture's invoice."""
        shipment_id = str(uuid.uuid4())
        self.db.run(
            "orders",
            "INSERT INTO shipments (id, order_id, idempotency_key, request_hash, status, carrier, amount, shipped_at)"
            " VALUES (:id, :order_id, :id, 'hash', :status, 'UPS', 10, now())",
            id=shipment_id, order_id=order_id, status=status,
        )
        if captured:
            self.capture(order_id, shipment_id)
        return shipment_id

    def capture(self, order_id: str, reference: str, invoiced: bool = True) -> str | None:
        """A succeeded capture of 10.00 (reference: a shipment's id, or a legacy order's "charge"),
        and its invoice's id."""
        self.db.run(
            "payments",
            "INSERT INTO payment_operations (id, order_id, type, reference, amount, status)"
            " VALUES (:id, :order_id, 'capture', :reference, 10, 'succeeded')",
            id=str(uuid.uuid4()), order_id=order_id, reference=reference,
        )
        if invoiced:
            return self.document("invoice", "INV", order_id, ", payment_id, order_placed_at, capture_reference",
                                 f", 'pay', now(), '{reference}'")
        return None

    def credit(self, order_id: str, invoice_id: str) -> str:
        return self.document("credit_note", "CN", order_id, ", invoice_id, invoice_number, refund_reference, reason",
                             f", '{invoice_id}', 'INV', 'cancellation', 'refund'")

    def legacy_refunded(self, credited: bool = True) -> str:
        """An order charged and invoiced before authorize/capture existed, then cancelled and
        refunded in full (as payments' migration left it)."""
        order_id = self.order("refunded", True, ("commit", "release"))
        self.pay(order_id, "refunded", authorized=10, captured=10, refunded=10)
        invoice_id = self.capture(order_id, "charge")
        if credited:
            self.credit(order_id, invoice_id)
        return order_id

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
    orders = SimpleNamespace(shop=shop, product=shop.product)
    orders.confirmed = shop.order("confirmed", True, ("commit",))
    shop.pay(orders.confirmed, "authorized", authorized=10)
    # One of two units shipped and captured (invoice INV-2026-000001).
    orders.partially_shipped = shop.order("partially_shipped", True, ("commit",), quantity=2, shipped=1)
    shop.pay(orders.partially_shipped, "partially_captured", amount=20, authorized=20, captured=10)
    orders.first_parcel = shop.ship(orders.partially_shipped)
    orders.shipped = shop.order("shipped", True, ("commit",), shipped=1)  # INV-2026-000002
    shop.pay(orders.shipped, "captured", authorized=10, captured=10)
    orders.parcel = shop.ship(orders.shipped)
    # Charged before authorize/capture: its capture is the legacy "charge", no shipment (INV-2026-000003).
    orders.delivered = shop.order("delivered", True, ("commit",), shipped=1)
    shop.pay(orders.delivered, "captured", authorized=10, captured=10)
    shop.capture(orders.delivered, "charge")
    orders.refunded = shop.legacy_refunded()  # INV-2026-000004, CN-2026-000001
    orders.voided = shop.order("refunded", True, ("commit", "release"))  # cancelled once authorized
    shop.pay(orders.voided, "voided", authorized=10, voided=10)
    orders.declined = shop.order("cancelled", False, ("release",))
    shop.pay(orders.declined, "failed")
    orders.never_charged = shop.order("cancelled", False, ("release",))
    orders.pending = shop.order("pending_payment", False, ())
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
    assert report.counts == {"products": 1, "reservations": 9, "orders": 9, "shipments": 2, "payments": 7,
                             "invoices": 4, "credit_notes": 1}
    assert product_row(shop.shop.db, shop.product) == (16, 1, 5, 22)

    assert main(["--grace", "0"], config) == 0
    assert capsys.readouterr().out.strip().endswith("ALL INVARIANTS HOLD")
    assert main(["--grace", "0", "--json"], config) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and [c["name"] for c in data["checks"]] == CHECKS
    assert all(c["ok"] and c["breaches"] == 0 and c["examples"] == [] for c in data["checks"])


def _stock_behind_the_ledger(shop):
    shop.shop.db.run("products", "UPDATE products SET stock = stock + 1 WHERE id = :id", id=shop.product)
    return shop.product


def _restocked_units_that_never_reached_stock(shop):
    shop.shop.db.run("products", "UPDATE products SET restocked = restocked + 2 WHERE id = :id", id=shop.product)
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


def _sold_units_released_twice(shop):
    """A committed item gave back a unit its product's sold still counts."""
    shop.shop.db.run("products", "UPDATE reservation_items SET released_quantity = 1 WHERE order_id = :id",
                     id=shop.shipped)
    return shop.product


def _pending_past_its_expiry(shop):
    shop.shop.db.run(
        "orders", "UPDATE orders SET reservation_expires_at = now() - interval '1 hour' WHERE id = :id",
        id=shop.pending,
    )
    return shop.pending


def _cancelled_after_authorization_never_voided(shop):
    shop.shop.db.run("orders", "UPDATE orders SET status = 'cancelled' WHERE id = :id", id=shop.voided)
    shop.shop.db.run("payments", "UPDATE payments SET status = 'authorized', voided = 0 WHERE order_id = :id",
                     id=shop.voided)
    return shop.voided


def _confirmed_with_its_stock_released(shop):
    order_id = shop.shop.order("confirmed", True, ("release",))
    shop.shop.pay(order_id, "authorized", authorized=10)
    return order_id


def _cancelled_still_holding_stock(shop):
    return shop.shop.order("cancelled", False, ())


def _delivered_never_committed(shop):
    order_id = shop.shop.order("delivered", True, ())
    shop.shop.pay(order_id, "authorized", authorized=10)
    return order_id


def _on_payments(shop, order_id: str, statement: str) -> str:
    """Run `statement` on the payments of `order_id` (its :id); that order is the offender."""
    shop.shop.db.run("payments", statement, id=order_id)
    return order_id


def _confirmed_without_an_authorization(shop):
    return _on_payments(shop, shop.confirmed,
                        "UPDATE payments SET status = 'failed', authorized = 0 WHERE order_id = :id")


def _confirmed_without_a_payment(shop):
    return _on_payments(shop, shop.confirmed, "DELETE FROM payments WHERE order_id = :id")


def _authorized_after_cancellation_never_voided(shop):
    return _on_payments(shop, shop.declined,
                        "UPDATE payments SET status = 'authorized', authorized = 10 WHERE order_id = :id")


def _refunded_with_its_authorization_still_open(shop):
    return _on_payments(shop, shop.voided, "UPDATE payments SET status = 'authorized', voided = 0 WHERE order_id = :id")


def _pending_although_authorized(shop):
    shop.shop.pay(shop.pending, "authorized", authorized=10)
    return shop.pending


def _orphan_reservation_past_expiry(shop):
    orphan = str(uuid.uuid4())
    shop.shop.reserve(orphan, 2)
    shop.shop.db.run(
        "products", "UPDATE reservations SET expires_at = now() - interval '1 hour' WHERE order_id = :id", id=orphan
    )
    return orphan


def _more_shipped_and_cancelled_than_ordered(shop):
    shop.shop.db.run("orders", "UPDATE order_items SET cancelled_quantity = 2 WHERE order_id = :id",
                     id=shop.partially_shipped)
    return f"{shop.partially_shipped} line 0"


def _more_returned_than_shipped(shop):
    shop.shop.db.run("orders", "UPDATE order_items SET returned_quantity = 1 WHERE order_id = :id", id=shop.confirmed)
    return f"{shop.confirmed} line 0"


def _a_shipment_shipped_never_captured(shop):
    return shop.shop.ship(shop.confirmed, captured=False)


def _a_shipment_captured_for_another_amount(shop):
    shop.shop.db.run("orders", "UPDATE shipments SET amount = 9 WHERE id = :id", id=shop.parcel)
    return shop.parcel


def _a_capture_without_its_shipment(shop):
    reference = str(uuid.uuid4())
    shop.shop.capture(shop.confirmed, reference, invoiced=False)
    shop.shop.db.run("payments", "UPDATE payment_operations SET at = now() - interval '1 hour' WHERE reference = :r",
                     r=reference)
    return reference


def _a_capture_whose_shipment_failed(shop):
    shop.shop.db.run("orders", "UPDATE shipments SET status = 'failed' WHERE id = :id", id=shop.parcel)
    return shop.parcel


def _captured_beyond_its_invoices(shop):
    return _on_payments(shop, shop.shipped, "UPDATE payments SET authorized = 20, captured = 20 WHERE order_id = :id")


def _an_invoice_for_nothing_captured(shop):
    shop.shop.capture(shop.declined, "charge")
    return shop.declined


def _invoice_total_not_its_captures(shop):
    shop.shop.db.run("payments", "UPDATE payment_operations SET amount = 9 WHERE order_id = :id AND type = 'capture'",
                     id=shop.delivered)
    return "INV-2026-000003"


def _a_number_allocated_but_never_used(shop):
    shop.shop.db.run("payments", "UPDATE document_counters SET last_number = last_number + 1 WHERE kind = 'invoice'")
    return "INV-2026: 4 numbers, counter at 5, missing [5]"


def _a_refund_without_its_credit_note(shop):
    return shop.shop.legacy_refunded(credited=False)


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
        (_restocked_units_that_never_reached_stock, "product_ledger"),
        (_reserved_without_a_reservation, "product_reserved"),
        (_sold_without_a_reservation, "product_sold"),
        (_sold_units_released_twice, "product_sold"),
        (_pending_past_its_expiry, "order_states"),
        (_cancelled_after_authorization_never_voided, "order_states"),
        (_confirmed_with_its_stock_released, "order_reservations"),
        (_cancelled_still_holding_stock, "order_reservations"),
        (_delivered_never_committed, "order_reservations"),
        (_confirmed_without_an_authorization, "payments"),
        (_confirmed_without_a_payment, "payments"),
        (_authorized_after_cancellation_never_voided, "payments"),
        (_refunded_with_its_authorization_still_open, "payments"),
        (_pending_although_authorized, "payments"),
        (_orphan_reservation_past_expiry, "orphan_reservations"),
        (_more_shipped_and_cancelled_than_ordered, "order_lines"),
        (_more_returned_than_shipped, "order_lines"),
        (_a_shipment_shipped_never_captured, "shipment_captures"),
        (_a_shipment_captured_for_another_amount, "shipment_captures"),
        (_a_capture_without_its_shipment, "shipment_captures"),
        (_a_capture_whose_shipment_failed, "shipment_captures"),
        (_captured_beyond_its_invoices, "invoices"),
        (_an_invoice_for_nothing_captured, "invoices"),
        (_invoice_total_not_its_captures, "invoice_totals"),
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
    in_flight = shop.shop.order("confirmed", True, ())  # its reservation not committed yet
    shop.shop.pay(in_flight, "authorized", authorized=10)

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
                     " SELECT gen_random_uuid()::text, order_id, user_id, 'captured', amount, currency"
                     " FROM payments WHERE status = 'captured'"),
        ("payments", f"INSERT INTO invoices ({COPIED}) SELECT 'i-x', 'INV-2026-000099', 2026, 99, order_id,"
                     f" {COPIED.split('order_id, ', 1)[1]} FROM invoices WHERE capture_reference = 'charge' LIMIT 1"),
        ("payments", f"INSERT INTO invoices ({COPIED}) SELECT 'i-y', number, year, sequence, 'order-new',"
                     f" {COPIED.split('order_id, ', 1)[1]} FROM invoices LIMIT 1"),
        ("payments", "UPDATE invoices SET gross_total = 20, net_total = 18.33"),
        ("payments", "UPDATE payments SET captured = authorized + 1"),
        ("payments", "INSERT INTO payment_operations (id, order_id, type, reference, amount, status)"
                     " SELECT gen_random_uuid()::text, order_id, type, reference, amount, status"
                     " FROM payment_operations WHERE type = 'capture'"),
        ("products", "UPDATE products SET restocked = -1"),
        ("products", "UPDATE reservation_items SET released_quantity = quantity + 1"),
    ],
    ids=["negative stock", "negative received", "negative reserved", "a second payment for an order",
         "a second invoice for one capture", "an invoice's number given twice", "an issued invoice changed",
         "more captured than authorized", "a shipment captured twice", "negative restocked",
         "more released than reserved"],
)
def test_the_databases_refuse_some_breaches_outright(config, shop, db, service, statement):
    with pytest.raises(IntegrityError):
        db.run(service, statement)
    assert check(config, grace=0).ok


@pytest.mark.parametrize(
    ("order", "change", "shown"),
    [
        ("shipped", "authorized = 5", "authorized 5.00, captured 10.00"),
        ("shipped", "refunded = 11", "captured 10.00, refunded 11.00"),
        ("shipped", "voided = 1", "authorized 10.00, captured 10.00, refunded 0.00, voided 1.00"),
        ("voided", "voided = -1", "voided -1.00"),
    ],
    ids=["captured beyond authorized", "refunded beyond captured", "voided and captured beyond authorized",
         "negative voided"],
)
def test_a_payment_ledger_out_of_balance_is_a_breach(config, shop, db, order, change, shown):
    """The database refuses these (ck_payments_ledger, above); to see the check itself catch one,
    the constraint is taken away for a moment."""
    order_id = getattr(shop, order)
    db.run("payments", "ALTER TABLE payments DROP CONSTRAINT ck_payments_ledger")
    try:
        db.run("payments", f"UPDATE payments SET {change} WHERE order_id = :id", id=order_id)
        report = check(config, grace=0)
        assert "payment_ledger" in report.breached, report
        [ledger] = [c for c in report.checks if c.name == "payment_ledger"]
        assert len(ledger.breaches) == 1 and order_id in ledger.breaches[0] and shown in ledger.breaches[0]
    finally:
        db.run("payments", "DELETE FROM payments WHERE order_id = :id", id=order_id)
        db.run(
            "payments",
            "ALTER TABLE payments ADD CONSTRAINT ck_payments_ledger CHECK (captured <= authorized AND refunded <="
            " captured AND voided + captured <= authorized AND authorized >= 0 AND refunded >= 0 AND voided >= 0)",
        )


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


def test_the_captures_of_a_deleted_order_are_no_breach(config, shop, db):
    # An admin deletes a finished order: its shipments go with it, payments keeps its captures.
    db.run("orders", "DELETE FROM orders WHERE id = :id", id=shop.shipped)
    report = check(config, grace=0)
    assert report.ok, report
