"""Invoices and credit notes in the payments service, on the real broker and databases: issued
with each capture of an authorized order_created, the buyer's email from users' events (or a real
users service), numbered without gaps, frozen by the database, credited on refund."""

import subprocess
import uuid
from datetime import UTC, datetime, timedelta

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
    PAYMENT_CAPTURED,
    PAYMENT_REFUNDED,
    SHIPMENT_CREATED,
    USER_REGISTERED,
    USER_UPDATED,
    USERS,
)
from notifications.service import NotificationsService
from payments.service import PaymentsService
from plumbing.migrations import database_urls
from tests.integration.eventing import EventTap, call, deliver, event, purge_events, wait_until
from tests.tokens import ADMIN, Client, User
from wire.errors import Conflict, Invalid, NotFound

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
    purge_events(config, (PaymentsService,), USERS)
    purge_events(config, (NotificationsService,))


@pytest.fixture
def payment_events(config):
    tap = EventTap(config, "payments")
    yield tap
    tap.close()


ORDERS_CLIENT = Client("orders", ("payments:capture",))


@pytest.fixture
def shop(config, users_container, payments_container):
    """A registered customer; the orders it places are authorized by the payments container, and
    shipped whole in one capture."""
    customer = call(users_container, "register", {"email": "zoe@example.com", "password": "long-enough-pw",
                                                  "name": "Zoë"})

    class Shop:
        user = User(customer["id"])

        def paid_order(self, lines=LINES, country="FR", user_id=customer["id"]) -> dict:
            """An order_created, authorized by payments, then captured (and so invoiced) in one
            shipment: the order_created, with the capture's `shipment` payload."""
            created = self.placed_order(lines, country, user_id)
            self.ship(created)
            return created

        def placed_order(self, lines=LINES, country="FR", user_id=customer["id"]) -> dict:
            total = sum(int(line["line_total"].replace(".", "")) for line in lines)
            return deliver(config, payments_container, "handle_order_created", event(
                ORDER_CREATED, order_id=str(uuid.uuid4()), user_id=user_id, total=f"{total / 100:.2f}",
                currency="EUR", payment_token="tok_visa",
                items=[{"product_id": f"p-{n}", "quantity": 1, "unit_price": f"{total / 100:.2f}"}
                       for n, _ in enumerate(lines)],
                lines=[{**line, "product_id": f"p-{n}"} for n, line in enumerate(lines)],
                shipping_address={**ADDRESS, "country": country}, placed_at="2026-11-30T09:15:00+00:00"))

        def ship(self, order: dict, shipment_id="s-1") -> dict:
            """capture_payment of all the order's lines, as orders asks it."""
            return call(payments_container, "capture_payment", order["order_id"], self.shipment(order, shipment_id),
                        as_=ORDERS_CLIENT)

        @staticmethod
        def shipment(order: dict, shipment_id: str) -> dict:
            lines = [{key: value for key, value in line.items() if key != "product_id"} for line in order["lines"]]
            return {"shipment_id": shipment_id, "amount": order["total"], "lines": lines}

        def cancel(self, order: dict, reason="customer request") -> dict:
            return deliver(config, payments_container, "handle_order_cancelled", event(
                ORDER_CANCELLED, order_id=order["order_id"], user_id=order["user_id"],
                total=order["total"], currency="EUR", reason=reason))

    return Shop()


def test_a_capture_gets_its_invoice_frozen_with_buyer_tax_and_totals(
    config, shop, payments_container, payment_events
):
    order = shop.paid_order()

    invoice = call(payments_container, "get_invoice", order["order_id"], as_=shop.user)
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
    assert invoice["gross_total"] == order["total"] and invoice["currency"] == "EUR"
    payment = call(payments_container, "get_payment", order["order_id"], as_=shop.user)
    assert invoice["payment_reference"].startswith("sim_ca_") and invoice["order_placed_at"].startswith("2026-11-30")
    assert payment["status"] == "captured"

    issued = payment_events.wait_for(1, INVOICE_ISSUED)[0]
    assert (issued["number"], issued["invoice_id"], issued["total"]) == (invoice["number"], invoice["id"], "100.00")
    assert issued["credit_note_number"] is None
    assert payment_events.wait_for(1, PAYMENT_CAPTURED)[0]["invoice_number"] == invoice["number"]


def test_the_rate_is_the_destinations_and_the_default_for_others(shop, payments_container):
    german = shop.paid_order(lines=[LINES[0]], country="DE")
    japanese = shop.paid_order(lines=[LINES[0]], country="JP")
    us = shop.paid_order(lines=[LINES[0]], country="US")
    taxes = {order["shipping_address"]["country"]: call(payments_container, "get_invoice", order["order_id"],
                                                        as_=ADMIN)["taxes"] for order in (german, japanese, us)}
    assert taxes == {
        "DE": [{"rate": "19", "net": "84.03", "tax": "15.96", "gross": "99.99"}],
        "JP": [{"rate": "20", "net": "83.32", "tax": "16.67", "gross": "99.99"}],  # not listed: the default
        "US": [{"rate": "0", "net": "99.99", "tax": "0.00", "gross": "99.99"}],
    }


def test_a_shipment_is_invoiced_once_however_often_its_capture_is_asked(config, shop, payments_container,
                                                                        payment_events):
    order = shop.paid_order()
    deliver(config, payments_container, "handle_order_created", order)  # redelivered
    assert shop.ship(order)["invoice_number"] == f"INV-{YEAR}-000001"  # asked again
    second = shop.paid_order()

    listed = call(payments_container, "list_invoices", {}, as_=ADMIN)
    assert [i["number"] for i in listed["items"]] == [f"INV-{YEAR}-000002", f"INV-{YEAR}-000001"]
    assert [i["order_id"] for i in listed["items"]] == [second["order_id"], order["order_id"]]
    # 2 payment_authorized, 2 payment_captured, 2 invoice_issued
    assert len(payment_events.drain_after_outbox("payments")) == 2 + 2 + 2


def test_each_shipment_of_an_order_gets_its_own_invoice(shop, payments_container):
    order = shop.placed_order()
    first = {**shop.shipment(order, "s-1"), "amount": "99.99", "lines": [LINES[0]]}
    second = {**shop.shipment(order, "s-2"), "amount": "0.01", "lines": [LINES[1]]}
    numbers = [call(payments_container, "capture_payment", order["order_id"], payload, as_=ORDERS_CLIENT)
               ["invoice_number"] for payload in (first, second)]

    invoices = call(payments_container, "list_order_documents", order["order_id"], as_=shop.user)["invoices"]
    assert [i["number"] for i in invoices] == numbers == [f"INV-{YEAR}-000001", f"INV-{YEAR}-000002"]
    assert [(i["gross_total"], [line["sku"] for line in i["lines"]]) for i in invoices] == [
        ("99.99", ["MUG-1"]), ("0.01", ["PEN-1"])]
    assert call(payments_container, "get_invoice", order["order_id"], as_=shop.user)["number"] == numbers[0]


def test_each_invoice_and_credit_note_of_an_order_is_fetched_by_its_number(shop, payments_container):
    """A parcel's invoice, not only the first; an earlier credit note, not only the latest; a
    number that is another order's (or nobody's) is not found, a malformed one refused."""
    order = shop.placed_order()
    first = {**shop.shipment(order, "s-1"), "amount": "99.99", "lines": [LINES[0]]}
    second = {**shop.shipment(order, "s-2"), "amount": "0.01", "lines": [LINES[1]]}
    numbers = [call(payments_container, "capture_payment", order["order_id"], payload, as_=ORDERS_CLIENT)
               ["invoice_number"] for payload in (first, second)]
    assert numbers == [f"INV-{YEAR}-000001", f"INV-{YEAR}-000002"]

    for number, gross in zip(numbers, ("99.99", "0.01"), strict=True):
        invoice = call(payments_container, "get_invoice", order["order_id"], number, as_=shop.user)
        assert (invoice["number"], invoice["gross_total"]) == (number, gross)
        pdf = call(payments_container, "get_invoice_pdf", order["order_id"], number, as_=shop.user)
        assert pdf["filename"] == f"{number}.pdf"
    assert call(payments_container, "get_invoice", order["order_id"], None, as_=shop.user)["number"] == numbers[0]

    other = shop.paid_order()  # INV-…-000003, someone's other order
    for who, order_id, number in [(User("someone-else"), order["order_id"], numbers[1]),
                                  (shop.user, order["order_id"], f"INV-{YEAR}-000003"),
                                  (shop.user, other["order_id"], numbers[1]),
                                  (ADMIN, order["order_id"], f"INV-{YEAR}-999999"),
                                  (ADMIN, order["order_id"], f"CN-{YEAR}-000001")]:
        for method in ("get_invoice", "get_invoice_pdf"):
            with pytest.raises(NotFound):
                call(payments_container, method, order_id, number, as_=who)
    for malformed in ("", "INV-" + "0" * 20, 42):
        with pytest.raises(Invalid):
            call(payments_container, "get_invoice", order["order_id"], malformed, as_=shop.user)

    for amount in ("10.00", "5.00"):  # two goodwill refunds, a credit note each
        call(payments_container, "refund_payment", order["order_id"], {"amount": amount, "reason": "sorry"},
             uuid.uuid4().hex, as_=ADMIN)
    notes = call(payments_container, "list_order_documents", order["order_id"], as_=shop.user)["credit_notes"]
    assert [n["gross_total"] for n in notes] == ["10.00", "5.00"]
    earlier = call(payments_container, "get_credit_note", order["order_id"], notes[0]["number"], as_=shop.user)
    assert earlier == notes[0]
    assert call(payments_container, "get_credit_note", order["order_id"], as_=shop.user) == notes[1]  # the latest
    pdf = call(payments_container, "get_credit_note_pdf", order["order_id"], notes[0]["number"], as_=shop.user)
    assert pdf["filename"] == f"{notes[0]['number']}.pdf"
    for who, number in [(User("someone-else"), notes[0]["number"]), (shop.user, numbers[0])]:
        with pytest.raises(NotFound):
            call(payments_container, "get_credit_note", order["order_id"], number, as_=who)
    with pytest.raises(Invalid):
        call(payments_container, "get_credit_note_pdf", order["order_id"], "x" * 21, as_=shop.user)


def test_the_buyers_email_is_the_newest_that_users_announced(config, shop, payments_container):
    """payments keeps the email of users' events: a change counts for the next invoice, an older
    event handled late changes nothing, and users isn't asked (it still says zoe@)."""
    now = datetime.now(UTC)
    deliver(config, payments_container, "handle_user_updated", event(
        USER_UPDATED, user_id=shop.user.id, email="zoe.new@example.com", name="Zoë", occurred_at=now.isoformat()))
    deliver(config, payments_container, "handle_user_registered", event(
        USER_REGISTERED, user_id=shop.user.id, email="zoe@example.com", name="Zoë",
        occurred_at=(now - timedelta(seconds=5)).isoformat()))  # the registration, late

    order = shop.paid_order()
    assert call(payments_container, "get_invoice", order["order_id"], as_=ADMIN)["buyer"]["email"] == \
        "zoe.new@example.com"
    unknown = shop.paid_order(user_id="deleted-before-payments-heard-of-it")  # users answers NotFound
    assert call(payments_container, "get_invoice", unknown["order_id"], as_=ADMIN)["buyer"]["email"] is None


def test_the_database_refuses_to_change_an_issued_invoice_or_turn_a_counter_back(shop, payments_db):
    shop.cancel(shop.paid_order())  # an invoice and its credit note
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
    order = shop.paid_order()
    shop.cancel(order)
    shop.cancel(order, reason="again")  # a second cancellation refunds and credits nothing more

    invoice = call(payments_container, "get_invoice", order["order_id"], as_=shop.user)
    note = call(payments_container, "get_credit_note", order["order_id"], as_=shop.user)
    assert note["number"] == f"CN-{YEAR}-000001" and note["invoice_number"] == invoice["number"]
    assert note["reason"] == "customer request" and note["refund_reference"].startswith("sim_re_")
    assert (note["lines"], note["taxes"], note["buyer"]) == (invoice["lines"], invoice["taxes"], invoice["buyer"])
    assert note["gross_total"] == invoice["gross_total"] == "100.00"
    sent = dict(payment_events.drain_after_outbox("payments"))
    assert sent[PAYMENT_REFUNDED]["credit_note_number"] == note["number"]
    assert sent[CREDIT_NOTE_ISSUED]["invoice_number"] == invoice["number"]


def test_an_order_created_without_its_address_is_captured_and_left_uninvoiced(
    config, shop, payments_container, payment_events
):
    """An order_created published before it carried the order: the capture stands, uninvoiced."""
    order = shop.paid_order()
    bare = {key: value for key, value in order.items() if key not in ("lines", "shipping_address", "placed_at")}
    bare.update(order_id=str(uuid.uuid4()), event_id=str(uuid.uuid4()))
    deliver(config, payments_container, "handle_order_created", bare)
    assert shop.ship({**bare, "lines": order["lines"]})["invoice_number"] is None
    assert call(payments_container, "get_payment", bare["order_id"], as_=ADMIN)["status"] == "captured"
    with pytest.raises(NotFound):
        call(payments_container, "get_invoice", bare["order_id"], as_=ADMIN)
    sent = dict(payment_events.drain_after_outbox("payments"))
    assert sum(1 for key, _ in payment_events.received if key == INVOICE_ISSUED) == 1  # the first order's only
    assert sent[PAYMENT_CAPTURED]["invoice_number"] is None  # the last one dispatched: the bare order's


def test_only_the_customer_an_admin_or_a_reader_client_sees_an_invoice(shop, payments_container):
    order_id = shop.paid_order()["order_id"]
    for who in (shop.user, ADMIN, Client("accounting", ("invoices:read",))):
        assert call(payments_container, "get_invoice", order_id, as_=who)["order_id"] == order_id
        assert call(payments_container, "get_invoice_pdf", order_id, as_=who)["filename"] == f"INV-{YEAR}-000001.pdf"
    for who, method, arg in [(User("someone-else"), "get_invoice", order_id), (ADMIN, "get_invoice", "no-such"),
                             (ADMIN, "get_invoice", 42), (shop.user, "get_credit_note", order_id),
                             (User("someone-else"), "get_invoice_pdf", order_id)]:
        with pytest.raises(NotFound):
            call(payments_container, method, arg, as_=who)


def test_lists_filter_by_period_number_and_order(shop, payments_container):
    first = shop.paid_order()
    shop.paid_order()

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


def legacy_order(config, payments_db, user_id: str, status: str) -> str:
    """An order charged before invoicing existed: in orders (delivered, or refunded), and its
    payment (captured, or refunded, as migration 0006 left them) without an invoice. Its id."""
    order_id = str(uuid.uuid4())
    orders_db = create_engine(database_urls(config)["orders"])
    try:
        with orders_db.begin() as conn:
            conn.execute(text(
                "INSERT INTO orders (id, user_id, status, total, currency, shipping_address, paid, idempotency_key,"
                " request_hash, reservation_expires_at) VALUES (:id, :user_id, :status, '100.00', 'EUR',"
                " CAST(:address AS jsonb), true, :id, 'hash', now())"), dict(
                id=order_id, user_id=user_id, status="refunded" if status == "refunded" else "delivered",
                address='{"name": "Ada", "line1": "1 Main St", "city": "Berlin", "postal_code": "10115",'
                        ' "country": "DE"}'))
            for position, line in enumerate(LINES):
                conn.execute(text(
                    "INSERT INTO order_items (order_id, position, product_id, sku, name, unit_price, quantity,"
                    " line_total) VALUES (:order_id, :position, 'p-1', :sku, :name, :unit_price, :quantity,"
                    " :line_total)"), {"order_id": order_id, "position": position, **line})
    finally:
        orders_db.dispose()
    refunded = "100.00" if status == "refunded" else "0.00"
    with payments_db.begin() as conn:
        conn.execute(text(
            "INSERT INTO payments (id, order_id, user_id, status, amount, currency, provider_reference,"
            " refund_reference, authorized, captured, refunded) VALUES (:id, :order_id, :user_id, :status, '100.00',"
            " 'EUR', 'sim_ch_legacy', :refund, '100.00', '100.00', :refunded)"), dict(
                id=str(uuid.uuid4()), order_id=order_id, user_id=user_id, status=status, refunded=refunded,
                refund=f"sim_re_{order_id}" if status == "refunded" else None))
        conn.execute(text(
            "INSERT INTO payment_operations (id, order_id, type, reference, amount, status, provider_reference)"
            " VALUES (:id, :order_id, 'capture', 'charge', '100.00', 'succeeded', 'sim_ch_legacy')"),
            {"id": str(uuid.uuid4()), "order_id": order_id})
    return order_id


def test_an_admin_issues_a_missing_invoice_from_the_order_in_orders(config, shop, payments_container,
                                                                   orders_container, payments_db):
    """An order paid before invoicing existed: payments asks orders for it."""
    order_id = legacy_order(config, payments_db, shop.user.id, "captured")

    issued = call(payments_container, "issue_invoice", {"order_id": order_id}, as_=ADMIN)
    assert issued["created"] is True
    assert issued["invoice"]["buyer"]["city"] == "Berlin" and issued["invoice"]["taxes"][0]["rate"] == "19"
    again = call(payments_container, "issue_invoice", {"order_id": order_id}, as_=ADMIN)
    assert again == {"invoice": issued["invoice"], "created": False}
    with pytest.raises(NotFound):
        call(payments_container, "issue_invoice", {"order_id": "no-such-order"}, as_=ADMIN)
    with pytest.raises(Invalid):
        call(payments_container, "issue_invoice", {"order": "x"}, as_=ADMIN)
    with pytest.raises(Conflict):  # known to payments, not refunded
        call(payments_container, "issue_credit_note", {"order_id": order_id}, as_=ADMIN)
    with pytest.raises(Conflict):  # authorized since authorize / capture: its captures invoice it
        call(payments_container, "issue_invoice", {"order_id": shop.placed_order()["order_id"]}, as_=ADMIN)
    with pytest.raises(NotFound):
        call(payments_container, "issue_credit_note", {"order_id": "no-such-order"}, as_=ADMIN)


def test_an_order_refunded_before_it_had_an_invoice_is_credited_with_it(config, shop, payments_container,
                                                                        orders_container, payments_db,
                                                                        payment_events):
    order_id = legacy_order(config, payments_db, shop.user.id, "refunded")
    with pytest.raises(Conflict):  # nothing to credit yet
        call(payments_container, "issue_credit_note", {"order_id": order_id}, as_=ADMIN)

    invoice = call(payments_container, "issue_invoice", {"order_id": order_id}, as_=ADMIN)["invoice"]
    note = call(payments_container, "get_credit_note", order_id, as_=ADMIN)
    assert note["invoice_number"] == invoice["number"] and note["gross_total"] == invoice["gross_total"]
    assert call(payments_container, "issue_credit_note", {"order_id": order_id}, as_=ADMIN) == {
        "credit_note": note, "created": False}
    sent = dict(payment_events.drain_after_outbox("payments"))
    assert sent[INVOICE_ISSUED]["credit_note_number"] == note["number"]


# --- sent: a parcel's mail carries its invoice, the refund's the credit note (SMTP) -----------------


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


def test_the_shipment_mail_carries_its_invoice_and_the_refund_mail_the_credit_note(
    config, shop, payments_container, mailing, smtp_server, tmp_path
):
    order = shop.paid_order()
    order_id = order["order_id"]
    number = call(payments_container, "get_invoice", order_id, as_=ADMIN)["number"]
    deliver(config, mailing, "handle_order_confirmed", event(  # as orders would, on payment_authorized
        ORDER_CONFIRMED, order_id=order_id, user_id=order["user_id"], total=order["total"], currency="EUR"))
    deliver(config, mailing, "handle_shipment_created", event(  # as orders would, once captured
        SHIPMENT_CREATED, order_id=order_id, user_id=order["user_id"], total=order["total"], currency="EUR",
        shipment_id="s-1", items=order["lines"], amount=order["total"], carrier="DHL", tracking_number="JD0001",
        shipped_at="2026-12-04T10:00:00+00:00", invoice_number=number))

    def mails(subject: str) -> list:
        """By subject: users' own user_registered may add a second welcome."""
        return [message for message in smtp_server.messages if message["Subject"] == subject]

    [confirmation] = wait_until(lambda: mails(f"Order {order_id} confirmed"), what="the confirmation")
    assert confirmation["To"] == "zoe@example.com"
    assert not confirmation.is_multipart()  # authorized only: no invoice yet
    [parcel] = wait_until(lambda: mails(f"A parcel of order {order_id} is on its way"), what="the shipment mail")
    [body, invoice] = parcel.get_payload()
    assert f"Invoice INV-{YEAR}-000001 is for this parcel" in text_of(body) and "JD0001" in text_of(body)
    assert (invoice.get_content_type(), invoice.get_filename()) == ("application/pdf", f"INV-{YEAR}-000001.pdf")
    text = pdf_text(invoice, tmp_path)
    assert f"INV-{YEAR}-000001" in text and "Zoë Łukasz-Straße 日本" in text and "100.00 EUR" in text

    shop.cancel(order)  # notifications is told of the cancellation too (no attachment)
    [refund] = wait_until(lambda: mails(f"Refund for order {order_id}"), what="the refund mail")
    [body, note] = refund.get_payload()
    assert f"Credit note CN-{YEAR}-000001 records the refund" in text_of(body)
    assert note.get_filename() == f"CN-{YEAR}-000001.pdf"
    assert f"Credits invoice: INV-{YEAR}-000001" in pdf_text(note, tmp_path)
    [cancellation] = wait_until(lambda: mails(f"Order {order_id} cancelled"), what="the cancellation mail")
    assert not cancellation.is_multipart()  # nothing attached
    assert len(mails(f"Order {order_id} confirmed")) == len(mails(f"Refund for order {order_id}")) == 1
    assert len(mails(f"A parcel of order {order_id} is on its way")) == 1

    # A parcel naming an invoice payments doesn't have is mailed all the same, without a PDF.
    deliver(config, mailing, "handle_shipment_created", event(
        SHIPMENT_CREATED, order_id=order_id, user_id=order["user_id"], total=order["total"], currency="EUR",
        shipment_id="s-2", items=order["lines"], amount=order["total"], carrier="DHL", tracking_number="JD0002",
        shipped_at="2026-12-04T11:00:00+00:00", invoice_number=f"INV-{YEAR}-000999"))
    parcels = wait_until(lambda: (found := mails(f"A parcel of order {order_id} is on its way"))[1:] and found,
                         what="the second parcel's mail")
    second = parcels[1]
    assert not second.is_multipart() and "JD0002" in text_of(second)


def test_each_parcel_mail_carries_its_own_invoice(config, shop, payments_container, mailing, smtp_server, tmp_path):
    order = shop.placed_order()
    order_id = order["order_id"]
    answers = []
    for n, line in enumerate(order["lines"], 1):  # one parcel per line
        parcel = {"shipment_id": f"s-{n}", "amount": line["line_total"],
                  "lines": [{key: value for key, value in line.items() if key != "product_id"}]}
        answers.append(call(payments_container, "capture_payment", order_id, parcel, as_=ORDERS_CLIENT))
    first, second = (answer["invoice_number"] for answer in answers)
    deliver(config, mailing, "handle_shipment_created", event(
        SHIPMENT_CREATED, order_id=order_id, user_id=order["user_id"], total=order["total"], currency="EUR",
        shipment_id="s-2", items=order["lines"][1:], amount="0.01", carrier="DHL", tracking_number="JD0002",
        shipped_at="2026-12-04T11:00:00+00:00", invoice_number=second))
    [mail] = wait_until(lambda: [m for m in smtp_server.messages
                                 if m["Subject"] == f"A parcel of order {order_id} is on its way"], what="the mail")
    [_, invoice] = mail.get_payload()
    assert first != second and invoice.get_filename() == f"{second}.pdf"  # the second parcel's, not the first
    assert second in pdf_text(invoice, tmp_path) and first not in pdf_text(invoice, tmp_path)
