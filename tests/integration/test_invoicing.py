"""Invoices and credit notes in the payments service, on the real broker and databases: issued
once per confirmed order from its order_confirmed, the buyer's email from a real users service,
numbered without gaps, frozen by the database, credited on refund whichever comes first."""

import subprocess
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from contracts.events import (
    CREDIT_NOTE_ISSUED,
    INVOICE_ISSUED,
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    ORDER_CREATED,
    ORDERS,
    PAYMENT_REFUNDED,
    USER_REGISTERED,
)
from notifications.service import NotificationsService
from payments.service import PaymentsService
from plumbing.errors import Conflict, Invalid, NotFound
from plumbing.migrations import database_urls
from tests.integration.eventing import EventTap, call, deliver, event, purge_events, wait_until
from tests.tokens import ADMIN, Client, User

YEAR = datetime.now(UTC).year
ADDRESS = {"name": "Zoë Łukasz-Straße 日本", "line1": "3 Rue Éluard", "line2": None, "city": "Lyon",
           "postal_code": "69001", "country": "FR"}
LINES = [
    {"sku": "MUG-1", "name": "Mug crème", "quantity": 3, "unit_price": "33.33", "line_total": "99.99"},
    {"sku": "PEN-1", "name": "Pen", "quantity": 1, "unit_price": "0.01", "line_total": "0.01"},
]


@pytest.fixture(autouse=True)
def leave_no_events_behind(config):
    yield
    purge_events(config, (PaymentsService,), ORDERS)
    purge_events(config, (NotificationsService,))


@pytest.fixture
def payment_events(config):
    tap = EventTap(config, "payments")
    yield tap
    tap.close()


@pytest.fixture
def shop(config, users_container, payments_container):
    """A registered customer; orders it pays and confirms go through the payments container."""
    customer = call(users_container, "register", {"email": "zoe@example.com", "password": "long-enough-pw",
                                                  "name": "Zoë"})

    class Shop:
        user = User(customer["id"])

        def paid_order(self, lines=LINES, country="FR") -> dict:
            """An order charged by payments and confirmed: its order_confirmed, not yet delivered."""
            order_id = str(uuid.uuid4())
            total = str(sum(float(line["line_total"]) * 100 for line in lines) / 100)
            fields = dict(order_id=order_id, user_id=customer["id"], total=f"{float(total):.2f}", currency="EUR")
            deliver(config, payments_container, "handle_order_created", event(
                ORDER_CREATED, **fields, payment_token="tok_visa",
                items=[{"product_id": "p-1", "quantity": 1, "unit_price": fields["total"]}]))
            return event(ORDER_CONFIRMED, **fields, items=lines, shipping_address={**ADDRESS, "country": country},
                         placed_at="2026-11-30T09:15:00+00:00")

        def confirm(self, confirmed: dict) -> dict:
            return deliver(config, payments_container, "handle_order_confirmed", confirmed)

        def cancel(self, confirmed: dict, reason="customer request") -> dict:
            return deliver(config, payments_container, "handle_order_cancelled", event(
                ORDER_CANCELLED, order_id=confirmed["order_id"], user_id=confirmed["user_id"],
                total=confirmed["total"], currency="EUR", reason=reason))

    return Shop()


def test_a_confirmed_order_gets_its_invoice_frozen_with_buyer_tax_and_totals(
    config, shop, payments_container, payment_events
):
    confirmed = shop.confirm(shop.paid_order())

    invoice = call(payments_container, "get_invoice", confirmed["order_id"], as_=shop.user)
    assert invoice["number"] == f"INV-{YEAR}-000001"
    assert invoice["seller"] == {"name": "OMS Demo Shop SAS", "address": "12 rue de la Paix, 75002 Paris, France",
                                 "vat_id": "FR40123456789"}
    assert invoice["buyer"] == {**ADDRESS, "email": "zoe@example.com"}
    assert invoice["lines"] == [
        {**LINES[0], "tax_rate": "20", "net": "83.32", "tax": "16.67"},
        {**LINES[1], "tax_rate": "20", "net": "0.01", "tax": "0.00"},
    ]
    assert invoice["taxes"] == [{"rate": "20", "net": "83.33", "tax": "16.67", "gross": "100.00"}]
    assert (invoice["net_total"], invoice["tax_total"], invoice["gross_total"]) == ("83.33", "16.67", "100.00")
    assert invoice["gross_total"] == confirmed["total"] and invoice["currency"] == "EUR"
    payment = call(payments_container, "get_payment", confirmed["order_id"], as_=shop.user)
    assert invoice["payment_reference"].startswith("sim_ch_") and invoice["order_placed_at"].startswith("2026-11-30")
    assert payment["status"] == "succeeded"

    issued = payment_events.wait_for(1, INVOICE_ISSUED)[0]
    assert (issued["number"], issued["invoice_id"], issued["total"]) == (invoice["number"], invoice["id"], "100.00")
    assert issued["credit_note_number"] is None


def test_the_rate_is_the_destinations_and_the_default_for_others(shop, payments_container):
    german = shop.confirm(shop.paid_order(lines=[LINES[0]], country="DE"))
    japanese = shop.confirm(shop.paid_order(lines=[LINES[0]], country="JP"))
    us = shop.confirm(shop.paid_order(lines=[LINES[0]], country="US"))
    taxes = {order["shipping_address"]["country"]: call(payments_container, "get_invoice", order["order_id"],
                                                        as_=ADMIN)["taxes"] for order in (german, japanese, us)}
    assert taxes == {
        "DE": [{"rate": "19", "net": "84.03", "tax": "15.96", "gross": "99.99"}],
        "JP": [{"rate": "20", "net": "83.32", "tax": "16.67", "gross": "99.99"}],  # not listed: the default
        "US": [{"rate": "0", "net": "99.99", "tax": "0.00", "gross": "99.99"}],
    }


def test_an_order_is_invoiced_once_however_often_it_is_confirmed(shop, payments_container, payment_events):
    confirmed = shop.confirm(shop.paid_order())
    shop.confirm(confirmed)  # redelivered
    shop.confirm({**confirmed, "event_id": str(uuid.uuid4())})  # published anew
    second = shop.confirm(shop.paid_order())

    listed = call(payments_container, "list_invoices", {}, as_=ADMIN)
    assert [i["number"] for i in listed["items"]] == [f"INV-{YEAR}-000002", f"INV-{YEAR}-000001"]
    assert [i["order_id"] for i in listed["items"]] == [second["order_id"], confirmed["order_id"]]
    assert len(payment_events.drain_after_outbox("payments")) == 2 + 2  # 2 payment_succeeded, 2 invoice_issued


def test_the_database_refuses_to_change_an_issued_invoice_or_turn_a_counter_back(shop, payments_db):
    shop.cancel(shop.confirm(shop.paid_order()))  # an invoice and its credit note
    refused = [
        "UPDATE invoices SET gross_total = 1, net_total = 1, tax_total = 0",
        "UPDATE invoices SET buyer = '{}'",
        "DELETE FROM invoices",
        "UPDATE credit_notes SET reason = 'changed'",
        "DELETE FROM credit_notes",
        "UPDATE document_counters SET last_number = last_number - 1",
        "UPDATE document_counters SET last_number = last_number + 2",
        "DELETE FROM document_counters",
    ]
    for statement in refused:
        with pytest.raises(IntegrityError, match="never changed|only counts up"), payments_db.begin() as conn:
            conn.execute(text(statement))
    with payments_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM invoices")).scalar() == 1
        assert conn.execute(text("SELECT sum(last_number) FROM document_counters")).scalar() == 2


def test_a_refund_issues_the_credit_note_of_the_invoice(shop, payments_container, payment_events):
    confirmed = shop.confirm(shop.paid_order())
    shop.cancel(confirmed)
    shop.cancel(confirmed, reason="again")  # a second cancellation refunds and credits nothing more

    invoice = call(payments_container, "get_invoice", confirmed["order_id"], as_=shop.user)
    note = call(payments_container, "get_credit_note", confirmed["order_id"], as_=shop.user)
    assert note["number"] == f"CN-{YEAR}-000001" and note["invoice_number"] == invoice["number"]
    assert note["reason"] == "customer request" and note["refund_reference"].startswith("sim_re_")
    assert (note["lines"], note["taxes"], note["buyer"]) == (invoice["lines"], invoice["taxes"], invoice["buyer"])
    assert note["gross_total"] == invoice["gross_total"] == "100.00"
    sent = dict(payment_events.drain_after_outbox("payments"))
    assert sent[PAYMENT_REFUNDED]["credit_note_number"] == note["number"]
    assert sent[CREDIT_NOTE_ISSUED]["invoice_number"] == invoice["number"]


def test_a_refund_handled_before_the_invoice_is_credited_with_it(shop, payments_container, payment_events):
    confirmed = shop.paid_order()
    shop.cancel(confirmed)  # confirmed and at once cancelled: payments sees the cancellation first
    shop.confirm(confirmed)

    invoice = call(payments_container, "get_invoice", confirmed["order_id"], as_=ADMIN)
    note = call(payments_container, "get_credit_note", confirmed["order_id"], as_=ADMIN)
    assert note["invoice_number"] == invoice["number"] == f"INV-{YEAR}-000001"
    sent = dict(payment_events.drain_after_outbox("payments"))
    assert sent[PAYMENT_REFUNDED]["credit_note_number"] is None  # nothing to credit yet at the refund
    assert sent[INVOICE_ISSUED]["credit_note_number"] == note["number"]


def test_only_the_customer_an_admin_or_a_reader_client_sees_an_invoice(shop, payments_container):
    confirmed = shop.confirm(shop.paid_order())
    order_id = confirmed["order_id"]
    for who in (shop.user, ADMIN, Client("accounting", ("invoices:read",))):
        assert call(payments_container, "get_invoice", order_id, as_=who)["order_id"] == order_id
        assert call(payments_container, "get_invoice_pdf", order_id, as_=who)["filename"] == f"INV-{YEAR}-000001.pdf"
    for who, method, arg in [(User("someone-else"), "get_invoice", order_id), (ADMIN, "get_invoice", "no-such"),
                             (ADMIN, "get_invoice", 42), (shop.user, "get_credit_note", order_id),
                             (User("someone-else"), "get_invoice_pdf", order_id)]:
        with pytest.raises(NotFound):
            call(payments_container, method, arg, as_=who)


def test_lists_filter_by_period_number_and_order(shop, payments_container):
    first = shop.confirm(shop.paid_order())
    shop.confirm(shop.paid_order())

    def numbers(**query):
        return [i["number"] for i in call(payments_container, "list_invoices", query, as_=ADMIN)["items"]]

    assert numbers(number=f"INV-{YEAR}-000001") == [f"INV-{YEAR}-000001"]
    assert numbers(order_id=first["order_id"]) == [f"INV-{YEAR}-000001"]
    assert numbers(issued_from="2000-01-01T00:00:00+00:00", issued_to="2001-01-01T00:00:00Z") == []
    assert len(numbers(issued_from=f"{YEAR}-01-01T00:00:00+00:00")) == 2
    assert numbers(page_size=1, page=2) == [f"INV-{YEAR}-000001"]
    with pytest.raises(Invalid):
        numbers(issued_from="yesterday")
    assert call(payments_container, "list_credit_notes", {}, as_=ADMIN)["total"] == 0


def test_an_admin_issues_a_missing_invoice_from_the_order_in_orders(config, shop, payments_container,
                                                                   orders_container):
    """An order confirmed before invoicing existed: payments asks orders for it."""
    confirmed = shop.paid_order()  # charged, but its order_confirmed never reached payments
    orders_db = create_engine(database_urls(config)["orders"])
    try:
        with orders_db.begin() as conn:
            conn.execute(text(
                "INSERT INTO orders (id, user_id, status, total, currency, shipping_address, paid, idempotency_key,"
                " request_hash, reservation_expires_at) VALUES (:id, :user_id, 'delivered', :total, 'EUR',"
                " CAST(:address AS jsonb), true, :id, 'hash', now())"), dict(
                id=confirmed["order_id"], user_id=confirmed["user_id"], total=confirmed["total"],
                address='{"name": "Ada", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115",'
                        ' "country": "DE"}'))
            for position, line in enumerate(LINES):
                conn.execute(text(
                    "INSERT INTO order_items (order_id, position, product_id, sku, name, unit_price, quantity,"
                    " line_total) VALUES (:order_id, :position, 'p-1', :sku, :name, :unit_price, :quantity,"
                    " :line_total)"), {"order_id": confirmed["order_id"], "position": position, **line})
    finally:
        orders_db.dispose()

    issued = call(payments_container, "issue_invoice", {"order_id": confirmed["order_id"]}, as_=ADMIN)
    assert issued["created"] is True
    assert issued["invoice"]["buyer"]["city"] == "Berlin" and issued["invoice"]["taxes"][0]["rate"] == "19"
    again = call(payments_container, "issue_invoice", {"order_id": confirmed["order_id"]}, as_=ADMIN)
    assert again == {"invoice": issued["invoice"], "created": False}
    with pytest.raises(NotFound):
        call(payments_container, "issue_invoice", {"order_id": "no-such-order"}, as_=ADMIN)
    with pytest.raises(Invalid):
        call(payments_container, "issue_invoice", {"order": "x"}, as_=ADMIN)
    with pytest.raises(Conflict):  # known to payments, not refunded
        call(payments_container, "issue_credit_note", {"order_id": confirmed["order_id"]}, as_=ADMIN)
    with pytest.raises(NotFound):
        call(payments_container, "issue_credit_note", {"order_id": "no-such-order"}, as_=ADMIN)


# --- sent: the confirmation carries the invoice, the refund the credit note (SMTP) ---------------


@pytest.fixture
def mailing(config, container_factory, smtp_server, shop):
    """notifications mailing through SMTP, told the customer's address."""
    purge_events(config, (NotificationsService,))  # the user_registered users published, if queued
    settings = {**config["NOTIFICATIONS"], "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port}
    container = container_factory(NotificationsService, {**config, "NOTIFICATIONS": settings})
    container.start()
    deliver(config, container, "handle_user_registered",
            event(USER_REGISTERED, user_id=shop.user.id, email="zoe@example.com", name="Zoë"))
    wait_until(lambda: smtp_server.messages, what="the welcome mail")
    return container


def text_of(part) -> str:
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def pdf_text(part, tmp_path) -> str:
    path = tmp_path / part.get_filename()
    path.write_bytes(part.get_payload(decode=True))
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_the_confirmation_mail_carries_the_invoice_and_the_refund_mail_the_credit_note(
    shop, mailing, smtp_server, tmp_path
):
    confirmed = shop.confirm(shop.paid_order())
    order_id = confirmed["order_id"]

    def mails(subject: str) -> list:
        """By subject: users' own user_registered may add a second welcome."""
        return [message for message in smtp_server.messages if message["Subject"] == subject]

    [confirmation] = wait_until(lambda: mails(f"Order {order_id} confirmed"), what="the confirmation")
    assert confirmation["To"] == "zoe@example.com"
    [body, invoice] = confirmation.get_payload()
    assert f"invoice INV-{YEAR}-000001 is attached" in text_of(body)
    assert (invoice.get_content_type(), invoice.get_filename()) == ("application/pdf", f"INV-{YEAR}-000001.pdf")
    text = pdf_text(invoice, tmp_path)
    assert f"INV-{YEAR}-000001" in text and "Zoë Łukasz-Straße 日本" in text and "100.00 EUR" in text

    shop.cancel(confirmed)  # notifications is told of the cancellation too (no attachment)
    [refund] = wait_until(lambda: mails(f"Refund for order {order_id}"), what="the refund mail")
    [body, note] = refund.get_payload()
    assert f"credit note CN-{YEAR}-000001 is attached" in text_of(body)
    assert note.get_filename() == f"CN-{YEAR}-000001.pdf"
    assert f"Credits invoice: INV-{YEAR}-000001" in pdf_text(note, tmp_path)
    [cancellation] = wait_until(lambda: mails(f"Order {order_id} cancelled"), what="the cancellation mail")
    assert not cancellation.is_multipart()  # nothing attached
    assert len(mails(f"Order {order_id} confirmed")) == len(mails(f"Refund for order {order_id}")) == 1
