"""The payments service on the real broker and database: events in, one authorization per order,
captures per shipment, voids and refunds, events out."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from contracts.events import (
    CREDIT_NOTE_ISSUED,
    INVOICE_ISSUED,
    ORDER_ADDRESS_CHANGED,
    ORDER_CANCELLED,
    ORDER_CREATED,
    ORDER_ITEMS_CANCELLED,
    PAYMENT_AUTHORIZED,
    PAYMENT_CAPTURED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENT_VOIDED,
    RETURN_RECEIVED,
)
from contracts.payments import LedgerBreach, RefundExceedsCaptured
from payments.provider import Provider
from tests.integration.eventing import EventTap, call, deliver, event
from tests.tokens import ADMIN, Client, User
from wire.errors import Forbidden, Invalid, NotFound

OWNER = User("user-1")
ORDERS_CLIENT = Client("orders", ("payments:capture",))


@pytest.fixture
def payment_events(config):
    tap = EventTap(config, "payments")
    yield tap
    tap.close()


ADDRESS = {"name": "Ada", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001", "country": "FR"}


def order_created(token="tok_visa", total="42.50", order_id=None, pay_before=None) -> dict:
    return event(
        ORDER_CREATED,
        order_id=order_id or str(uuid.uuid4()),
        user_id=OWNER.id,
        total=total,
        currency="EUR",
        payment_token=token,
        items=[{"product_id": "p-1", "quantity": 1, "unit_price": total}],
        lines=[{"product_id": "p-1", "sku": "MUG-1", "name": "Mug", "quantity": 1, "unit_price": total,
                "line_total": total}],
        shipping_address={"name": "Ada", "line1": "1 Main St", "city": "Lyon", "postal_code": "69001",
                          "country": "FR"},
        placed_at=datetime.now(UTC).isoformat(),
        pay_before=pay_before,
    )


def two_line_order(token="tok_visa") -> dict:
    """An order of 3 mugs at 10.00 and 1 pen at 12.50 (42.50)."""
    return event(
        ORDER_CREATED,
        order_id=str(uuid.uuid4()),
        user_id=OWNER.id,
        total="42.50",
        currency="EUR",
        payment_token=token,
        items=[{"product_id": "mug", "quantity": 3, "unit_price": "10.00"},
               {"product_id": "pen", "quantity": 1, "unit_price": "12.50"}],
        lines=[MUGS, PEN],
        shipping_address=ADDRESS,
        placed_at=datetime.now(UTC).isoformat(),
    )


MUGS = {"product_id": "mug", "sku": "MUG-1", "name": "Mug", "quantity": 3, "unit_price": "10.00",
        "line_total": "30.00"}
PEN = {"product_id": "pen", "sku": "PEN-1", "name": "Pen", "quantity": 1, "unit_price": "12.50",
       "line_total": "12.50"}


def shipment(lines, shipment_id=None) -> dict:
    """capture_payment's payload for `lines` (placed lines, product ids dropped)."""
    amount = sum(int(line["line_total"].replace(".", "")) for line in lines)
    return {"shipment_id": shipment_id or str(uuid.uuid4()), "amount": f"{amount / 100:.2f}",
            "lines": [{key: value for key, value in line.items() if key != "product_id"} for line in lines]}


def capture(container, order_id, payload) -> dict:
    return call(container, "capture_payment", order_id, payload, as_=ORDERS_CLIENT)


def order_cancelled(order_id: str, reason="customer request") -> dict:
    return event(
        ORDER_CANCELLED, order_id=order_id, user_id=OWNER.id, total="42.50", currency="EUR", reason=reason
    )


def create(config, container, payload):
    return deliver(config, container, "handle_order_created", payload)


def cancel(config, container, payload):
    return deliver(config, container, "handle_order_cancelled", payload)



def ledger(payment: dict) -> tuple:
    return payment["status"], payment["authorized"], payment["captured"], payment["refunded"], payment["voided"]


def operations(payment: dict) -> list[tuple]:
    return [(o["type"], o["reference"], o["amount"], o["status"]) for o in payment["operations"]]


def call_until_quiet(tap: EventTap) -> list:
    """Every event payments dispatched, once its outbox has nothing left to send."""
    return tap.drain_after_outbox("payments")


@pytest.mark.parametrize(
    ("token", "total", "status", "event_type", "reason"),
    [
        ("tok_visa", "42.50", "authorized", PAYMENT_AUTHORIZED, None),
        ("tok_declined", "42.50", "failed", PAYMENT_FAILED, "card_declined"),
        ("tok_insufficient_funds", "100.00", "authorized", PAYMENT_AUTHORIZED, None),
        ("tok_insufficient_funds", "100.01", "failed", PAYMENT_FAILED, "insufficient_funds"),
        ("tok_capture_fails", "42.50", "authorized", PAYMENT_AUTHORIZED, None),
        ("tok_reauthorization_declined", "42.50", "authorized", PAYMENT_AUTHORIZED, None),
        ("tok_unknown", "42.50", "failed", PAYMENT_FAILED, "card_declined"),
    ],
)
def test_each_token_authorizes_or_fails_the_order(config, payments_container, payment_events, token, total,
                                                  status, event_type, reason):
    created = create(config, payments_container, order_created(token, total))
    payment = call(payments_container, "get_payment", created["order_id"], as_=OWNER)

    held = total if status == "authorized" else "0.00"
    assert ledger(payment) == (status, held, "0.00", "0.00", "0.00")
    assert (payment["amount"], payment["currency"], payment["order_id"]) == (total, "EUR", created["order_id"])
    assert operations(payment) == [("authorize", created["order_id"], total,
                                    "succeeded" if status == "authorized" else "failed")]
    assert payment["operations"][0]["failure_reason"] == reason
    dispatched, *again = payment_events.wait_for(1, event_type, order_id=created["order_id"])
    assert all(each["event_id"] == dispatched["event_id"] for each in again)
    assert (dispatched["payment_id"], dispatched["amount"], dispatched["user_id"]) == (payment["id"], total, OWNER.id)
    if status == "authorized":
        assert (dispatched["authorized"], dispatched["captured"], dispatched["status"]) == (total, "0.00", status)
        assert dispatched["ledger_version"] == 1
    else:
        assert dispatched["reason"] == reason


def test_the_same_order_created_twice_authorizes_once(config, payments_container, payment_events):
    created = create(config, payments_container, order_created())
    create(config, payments_container, created)  # redelivered: same event id
    create(config, payments_container, {**created, "event_id": str(uuid.uuid4())})  # republished anew

    payment = call(payments_container, "get_payment", created["order_id"], as_=ADMIN)
    assert len(payment["operations"]) == 1
    assert [key for key, _ in call_until_quiet(payment_events)] == [PAYMENT_AUTHORIZED]


def test_cancelling_an_authorized_order_voids_it_once(config, payments_container, payment_events):
    created = create(config, payments_container, order_created())
    cancelled = cancel(config, payments_container, order_cancelled(created["order_id"]))
    cancel(config, payments_container, cancelled)
    cancel(config, payments_container, order_cancelled(created["order_id"], "again"))

    payment = call(payments_container, "get_payment", created["order_id"], as_=OWNER)
    assert ledger(payment) == ("voided", "42.50", "0.00", "0.00", "42.50")
    assert operations(payment)[1] == ("void", "order", "42.50", "succeeded")
    sent = call_until_quiet(payment_events)
    assert [key for key, _ in sent] == [PAYMENT_AUTHORIZED, PAYMENT_VOIDED]
    voided = sent[1][1]
    assert (voided["amount"], voided["reference"], voided["reason"]) == ("42.50", "order", "customer request")
    assert (voided["voided"], voided["status"], voided["ledger_version"]) == ("42.50", "voided", 2)


def test_cancel_of_a_failed_payment_voids_nothing(config, payments_container, payment_events):
    created = create(config, payments_container, order_created("tok_declined"))
    cancel(config, payments_container, order_cancelled(created["order_id"], "payment failed"))

    assert call(payments_container, "get_payment", created["order_id"], as_=OWNER)["status"] == "failed"
    payment_events.wait_for(1)
    assert [key for key, _ in call_until_quiet(payment_events)] == [PAYMENT_FAILED]


def test_an_order_cancelled_before_it_was_authorized_is_never_authorized(
    config, payments_container, payment_events
):
    order_id = str(uuid.uuid4())
    cancel(config, payments_container, order_cancelled(order_id, "reservation expired"))
    create(config, payments_container, order_created(order_id=order_id))

    with pytest.raises(NotFound):
        call(payments_container, "get_payment", order_id, as_=ADMIN)
    assert call_until_quiet(payment_events) == []


def test_only_the_owner_or_an_admin_sees_a_payment(config, payments_container):
    created = create(config, payments_container, order_created())
    assert call(payments_container, "get_payment", created["order_id"], as_=OWNER)["status"] == "authorized"
    assert call(payments_container, "get_payment", created["order_id"], as_=ADMIN)["status"] == "authorized"
    with pytest.raises(NotFound):
        call(payments_container, "get_payment", created["order_id"], as_=User("user-2"))
    with pytest.raises(NotFound):
        call(payments_container, "get_payment", "no-such-order", as_=ADMIN)
    [listed] = call(payments_container, "get_payments", [created["order_id"]], as_=ADMIN)
    assert ledger(listed) == ("authorized", "42.50", "0.00", "0.00", "0.00") and len(listed["operations"]) == 1


@pytest.mark.parametrize(("seconds_left", "status", "reason"), [
    (-5, "failed", "reservation_expired"),  # the reservation has lapsed
    (0.5, "failed", "reservation_expired"),  # too close: orders couldn't confirm in time
    (60, "authorized", None),
])
def test_an_order_is_not_authorized_once_its_reservation_lapses(config, payments_container, payment_events,
                                                                seconds_left, status, reason):
    pay_before = (datetime.now(UTC) + timedelta(seconds=seconds_left)).isoformat()
    created = create(config, payments_container, order_created(pay_before=pay_before))

    assert call(payments_container, "get_payment", created["order_id"], as_=OWNER)["status"] == status
    [dispatched] = payment_events.wait_for(1, PAYMENT_FAILED if reason else PAYMENT_AUTHORIZED,
                                           order_id=created["order_id"])[:1]
    assert dispatched.get("reason") == reason


# --- captures ------------------------------------------------------------------------------------


def test_each_shipment_captures_its_lines_and_gets_its_invoice(config, payments_container, payment_events):
    created = create(config, payments_container, two_line_order())
    order_id = created["order_id"]
    first, second = shipment([MUGS]), shipment([PEN])

    captured = capture(payments_container, order_id, first)
    assert captured["status"] == "captured" and captured["reason"] is None
    partly = call(payments_container, "get_payment", order_id, as_=OWNER)
    assert ledger(partly) == ("partially_captured", "42.50", "30.00", "0.00", "0.00")
    assert capture(payments_container, order_id, second)["status"] == "captured"

    payment = call(payments_container, "get_payment", order_id, as_=OWNER)
    assert ledger(payment) == ("captured", "42.50", "42.50", "0.00", "0.00")
    assert operations(payment)[1:] == [("capture", first["shipment_id"], "30.00", "succeeded"),
                                       ("capture", second["shipment_id"], "12.50", "succeeded")]
    documents = call(payments_container, "list_order_documents", order_id, as_=OWNER)
    assert [i["gross_total"] for i in documents["invoices"]] == ["30.00", "12.50"]
    assert documents["invoices"][0]["number"] == captured["invoice_number"]
    assert [line["sku"] for line in documents["invoices"][1]["lines"]] == ["PEN-1"]
    assert documents["invoices"][0]["buyer"]["city"] == "Lyon" and documents["credit_notes"] == []
    sent = call_until_quiet(payment_events)
    captures = [body for key, body in sent if key == PAYMENT_CAPTURED]
    assert [(c["shipment_id"], c["amount"], c["captured"], c["ledger_version"]) for c in captures] == [
        (first["shipment_id"], "30.00", "30.00", 2), (second["shipment_id"], "12.50", "42.50", 3)]
    assert [body["number"] for key, body in sent if key == INVOICE_ISSUED] == [
        i["number"] for i in documents["invoices"]]


def test_a_capture_asked_again_answers_the_same_and_captures_once(config, payments_container, payment_events):
    order_id = create(config, payments_container, two_line_order())["order_id"]
    payload = shipment([MUGS, PEN])

    first = capture(payments_container, order_id, payload)
    assert capture(payments_container, order_id, payload) == first
    with pytest.raises(Invalid):  # the same shipment for another amount
        capture(payments_container, order_id, {**payload, "amount": "1.00"})

    payment = call(payments_container, "get_payment", order_id, as_=ADMIN)
    assert ledger(payment) == ("captured", "42.50", "42.50", "0.00", "0.00") and len(payment["operations"]) == 2
    assert len(call(payments_container, "list_order_documents", order_id, as_=ADMIN)["invoices"]) == 1
    assert [key for key, _ in call_until_quiet(payment_events)].count(PAYMENT_CAPTURED) == 1


def test_a_capture_beyond_what_the_authorization_leaves_open_is_refused(config, payments_container):
    order_id = create(config, payments_container, two_line_order())["order_id"]
    capture(payments_container, order_id, shipment([MUGS, PEN]))
    with pytest.raises(LedgerBreach):
        capture(payments_container, order_id, shipment([PEN]))
    with pytest.raises(NotFound):
        capture(payments_container, "no-such-order", shipment([PEN]))
    with pytest.raises(Forbidden):  # only the orders service's scope captures
        call(payments_container, "capture_payment", order_id, shipment([PEN]), as_=ADMIN)


def test_a_capture_the_provider_declines_fails_and_takes_nothing(config, payments_container, payment_events):
    order_id = create(config, payments_container, two_line_order("tok_capture_fails"))["order_id"]
    payload = shipment([MUGS])

    failed = capture(payments_container, order_id, payload)
    assert failed == {"status": "failed", "reason": "capture_declined", "invoice_number": None}
    assert capture(payments_container, order_id, payload) == failed  # replayed: the same answer
    payment = call(payments_container, "get_payment", order_id, as_=ADMIN)
    assert ledger(payment) == ("authorized", "42.50", "0.00", "0.00", "0.00")
    assert operations(payment)[1] == ("capture", payload["shipment_id"], "30.00", "failed")
    assert [key for key, _ in call_until_quiet(payment_events)] == [PAYMENT_AUTHORIZED]


def expire_authorization(payments_db, order_id: str) -> None:
    """The authorization as if it had been placed past PAYMENTS_AUTHORIZATION_TTL ago."""
    with payments_db.begin() as conn:
        conn.execute(text("UPDATE payments SET authorization_expires_at = now() - interval '1 second'"
                          " WHERE order_id = :order_id"), {"order_id": order_id})


def test_a_capture_past_expiry_reauthorizes_what_is_open_first(config, payments_container, payments_db):
    order_id = create(config, payments_container, two_line_order())["order_id"]
    capture(payments_container, order_id, shipment([MUGS]))
    before = call(payments_container, "get_payment", order_id, as_=ADMIN)
    expire_authorization(payments_db, order_id)
    payload = shipment([PEN])

    assert capture(payments_container, order_id, payload)["status"] == "captured"

    payment = call(payments_container, "get_payment", order_id, as_=ADMIN)
    assert ledger(payment) == ("captured", "42.50", "42.50", "0.00", "0.00")
    assert operations(payment)[2:] == [("reauthorize", payload["shipment_id"], "12.50", "succeeded"),
                                       ("capture", payload["shipment_id"], "12.50", "succeeded")]
    with payments_db.connect() as conn:
        renewed = conn.execute(text("SELECT authorization_expires_at > now() + interval '6 days'"
                                    " FROM payments WHERE order_id = :id"), {"id": order_id}).scalar()
    assert renewed and before["status"] == "partially_captured"


def test_a_declined_reauthorization_fails_the_capture(config, payments_container, payments_db):
    order_id = create(config, payments_container, two_line_order("tok_reauthorization_declined"))["order_id"]
    assert capture(payments_container, order_id, shipment([MUGS]))["status"] == "captured"  # still valid
    expire_authorization(payments_db, order_id)
    payload = shipment([PEN])

    failed = capture(payments_container, order_id, payload)
    assert failed == {"status": "failed", "reason": "reauthorization_declined", "invoice_number": None}
    payment = call(payments_container, "get_payment", order_id, as_=ADMIN)
    assert ledger(payment) == ("partially_captured", "42.50", "30.00", "0.00", "0.00")
    assert operations(payment)[2:] == [("reauthorize", payload["shipment_id"], "12.50", "failed"),
                                       ("capture", payload["shipment_id"], "12.50", "failed")]


# --- voids and refunds ---------------------------------------------------------------------------


def items_cancelled(order_id: str, amount: str, cancellation_id=None) -> dict:
    return event(ORDER_ITEMS_CANCELLED, order_id=order_id, user_id=OWNER.id, total="42.50", currency="EUR",
                 cancellation_id=cancellation_id or str(uuid.uuid4()),
                 items=[{"product_id": "pen", "quantity": 1, "amount": amount}], amount=amount, reason="out of stock")


def test_cancelled_units_void_their_amount_once_and_the_cancelled_order_the_rest(
    config, payments_container, payment_events
):
    order_id = create(config, payments_container, two_line_order())["order_id"]
    cancellation = items_cancelled(order_id, "12.50")
    deliver(config, payments_container, "handle_order_items_cancelled", cancellation)
    deliver(config, payments_container, "handle_order_items_cancelled", {**cancellation, "event_id": str(uuid.uuid4())})
    assert ledger(call(payments_container, "get_payment", order_id, as_=ADMIN)) == (
        "authorized", "42.50", "0.00", "0.00", "12.50")

    cancel(config, payments_container, order_cancelled(order_id))

    payment = call(payments_container, "get_payment", order_id, as_=ADMIN)
    assert ledger(payment) == ("voided", "42.50", "0.00", "0.00", "42.50")
    assert operations(payment)[1:] == [("void", cancellation["cancellation_id"], "12.50", "succeeded"),
                                       ("void", "order", "30.00", "succeeded")]
    voids = [body for key, body in call_until_quiet(payment_events) if key == PAYMENT_VOIDED]
    assert [(v["reference"], v["amount"], v["voided"]) for v in voids] == [
        (cancellation["cancellation_id"], "12.50", "12.50"), ("order", "30.00", "42.50")]


def test_an_order_whose_units_were_all_voided_still_says_its_money_is_back(
    config, payments_container, payment_events
):
    order_id = create(config, payments_container, two_line_order())["order_id"]
    deliver(config, payments_container, "handle_order_items_cancelled", items_cancelled(order_id, "42.50"))
    cancel(config, payments_container, order_cancelled(order_id))

    voids = [body for key, body in call_until_quiet(payment_events) if key == PAYMENT_VOIDED]
    assert [(v["reference"], v["amount"], v["status"]) for v in voids][-1] == ("order", "0.00", "voided")


def test_a_goodwill_refund_never_exceeds_what_was_captured_and_is_done_once_per_key(
    config, payments_container, payment_events
):
    order_id = create(config, payments_container, two_line_order())["order_id"]
    with pytest.raises(RefundExceedsCaptured):  # nothing captured yet
        call(payments_container, "refund_payment", order_id, {"amount": "1.00", "reason": "late"}, "k-0", as_=ADMIN)
    capture(payments_container, order_id, shipment([MUGS]))

    refunded = call(payments_container, "refund_payment", order_id, {"amount": "10.00", "reason": "late"}, "k-1",
                    as_=ADMIN)
    assert ledger(refunded) == ("partially_refunded", "42.50", "30.00", "10.00", "0.00")
    again = call(payments_container, "refund_payment", order_id, {"amount": "10.00", "reason": "late"}, "k-1",
                 as_=ADMIN)
    assert ledger(again) == ledger(refunded) and again["operations"] == refunded["operations"]
    with pytest.raises(Invalid):  # the key with another body
        call(payments_container, "refund_payment", order_id, {"amount": "11.00", "reason": "late"}, "k-1", as_=ADMIN)
    with pytest.raises(RefundExceedsCaptured):  # 30.00 captured − 10.00 refunded
        call(payments_container, "refund_payment", order_id, {"amount": "20.01", "reason": "more"}, "k-2", as_=ADMIN)
    with pytest.raises(Forbidden):
        call(payments_container, "refund_payment", order_id, {"amount": "1.00", "reason": "me"}, "k-3", as_=OWNER)

    [note] = call(payments_container, "list_order_documents", order_id, as_=OWNER)["credit_notes"]
    assert note["gross_total"] == "10.00" and note["reason"] == "late"
    assert note["lines"] == [{"sku": "GOODWILL", "name": "Goodwill refund: late", "quantity": 1,
                              "unit_price": "10.00", "line_total": "10.00", "tax_rate": "20", "net": "8.33",
                              "tax": "1.67"}]
    sent = call_until_quiet(payment_events)
    [refund] = [body for key, body in sent if key == PAYMENT_REFUNDED]
    assert (refund["kind"], refund["reference"], refund["amount"], refund["credit_note_number"]) == (
        "goodwill", "goodwill:k-1", "10.00", note["number"])
    assert [key for key, _ in sent].count(CREDIT_NOTE_ISSUED) == 1


def test_a_received_return_refunds_its_amount_with_the_credit_note_of_its_lines(
    config, payments_container, payment_events
):
    order_id = create(config, payments_container, two_line_order())["order_id"]
    capture(payments_container, order_id, shipment([MUGS, PEN]))
    received = event(RETURN_RECEIVED, order_id=order_id, user_id=OWNER.id, total="42.50", currency="EUR",
                     return_id="ret-1", refund_amount="20.00",
                     items=[{"product_id": "mug", "quantity": 2, "restock": True, "amount": "20.00"},
                            {"product_id": "pen", "quantity": 0, "restock": False, "amount": "0.00"}])
    deliver(config, payments_container, "handle_return_received", received)
    deliver(config, payments_container, "handle_return_received", {**received, "event_id": str(uuid.uuid4())})

    payment = call(payments_container, "get_payment", order_id, as_=OWNER)
    assert ledger(payment) == ("partially_refunded", "42.50", "42.50", "20.00", "0.00")
    assert operations(payment)[-1] == ("refund", "ret-1", "20.00", "succeeded")
    [note] = call(payments_container, "list_order_documents", order_id, as_=OWNER)["credit_notes"]
    assert [(line["sku"], line["quantity"], line["line_total"]) for line in note["lines"]] == [("MUG-1", 2, "20.00")]
    [refund] = [body for key, body in call_until_quiet(payment_events) if key == PAYMENT_REFUNDED]
    assert (refund["kind"], refund["reference"], refund["credit_note_number"]) == ("return", "ret-1", note["number"])


# --- a provider whose answers are lost (a crash between its answer and the commit) ---------------


class AnswersLost:
    """The provider (outside the system) as seen by a payments process that dies after it acted
    and before its commit: while `lost`, every call is made and its answer never arrives. Like a
    real provider it acts once per idempotency key, and keeps what it did."""

    def __init__(self, provider):
        self.provider = provider
        self.lost = True
        self.done: dict[str, str] = {}  # idempotency key -> reference

    def _keep(self, result, key):
        if result.succeeded:
            self.done.setdefault(key, result.reference)
        if self.lost:
            raise ConnectionError("the provider's answer was lost")
        return result

    def authorize(self, token, amount, currency, idempotency_key, replaces=None):
        return self._keep(self.provider.authorize(token, amount, currency, idempotency_key, replaces), idempotency_key)

    def capture(self, authorization, amount, currency, idempotency_key):
        return self._keep(self.provider.capture(authorization, amount, currency, idempotency_key), idempotency_key)

    def void(self, authorization, amount, currency, idempotency_key):
        self.done.setdefault(idempotency_key, "void")
        return self.provider.void(authorization, amount, currency, idempotency_key)

    def refund(self, authorization, amount, currency, idempotency_key):
        return self.provider.refund(authorization, amount, currency, idempotency_key)


@pytest.fixture
def answers_lost(payments_container):
    [dependency] = [d for d in payments_container.dependencies if isinstance(d, Provider)]
    real, dependency.provider = dependency.provider, AnswersLost(dependency.provider)
    yield dependency.provider
    dependency.provider = real


def delivered_again(config, container, created: dict) -> None:
    """The order_created whose every attempt lost the provider's answer, now a dead letter,
    delivered again (as after a crash) by replaying it."""
    [dead] = call(container, "list_dead_letters", as_=ADMIN)["items"]
    assert dead["event_id"] == created["event_id"]
    assert call(container, "replay_dead_letter", dead["id"], as_=ADMIN)["outcome"] == "processed"


def test_an_authorization_whose_answer_was_lost_is_recorded_even_once_the_reservation_lapsed(
    config, payments_container, payment_events, answers_lost
):
    pay_before = datetime.now(UTC) + timedelta(seconds=4)  # past the margin for all three attempts
    created = create(config, payments_container, order_created(pay_before=pay_before.isoformat()))
    assert len(answers_lost.done) == 1
    time.sleep(max(0.0, (pay_before - datetime.now(UTC)).total_seconds()))
    answers_lost.lost = False

    delivered_again(config, payments_container, created)

    payment = call(payments_container, "get_payment", created["order_id"], as_=ADMIN)
    assert payment["status"] == "authorized"  # orders decides: confirm, or cancel and so void
    [authorized] = payment_events.wait_for(1, PAYMENT_AUTHORIZED, order_id=created["order_id"])[:1]
    assert authorized["payment_id"] == payment["id"]
    assert len(answers_lost.done) == 1  # asked again with the same key: no second authorization


def test_an_authorization_whose_answer_was_lost_is_voided_if_the_order_was_cancelled_meanwhile(
    config, payments_container, payment_events, answers_lost
):
    created = create(config, payments_container, order_created())
    cancel(config, payments_container, order_cancelled(created["order_id"], "reservation expired"))
    answers_lost.lost = False

    delivered_again(config, payments_container, created)

    payment = call(payments_container, "get_payment", created["order_id"], as_=ADMIN)
    assert ledger(payment) == ("voided", "42.50", "0.00", "0.00", "42.50")
    assert [key for key, _ in call_until_quiet(payment_events)] == [PAYMENT_AUTHORIZED, PAYMENT_VOIDED]


def test_a_capture_whose_answer_was_lost_is_captured_once_when_asked_again(
    config, payments_container, payment_events, answers_lost
):
    answers_lost.lost = False
    order_id = create(config, payments_container, two_line_order())["order_id"]
    answers_lost.lost = True
    payload = shipment([MUGS])
    with pytest.raises(Exception, match="answer was lost"):
        capture(payments_container, order_id, payload)
    assert call(payments_container, "get_payment", order_id, as_=ADMIN)["operations"][1]["status"] == "requested"
    answers_lost.lost = False

    assert capture(payments_container, order_id, payload)["status"] == "captured"

    payment = call(payments_container, "get_payment", order_id, as_=ADMIN)
    assert ledger(payment) == ("partially_captured", "42.50", "30.00", "0.00", "0.00")
    assert operations(payment)[1] == ("capture", payload["shipment_id"], "30.00", "succeeded")
    assert sum(1 for key in answers_lost.done if ":capture:" in key) == 1


def test_a_shipment_is_invoiced_to_the_address_the_order_has_when_it_ships(config, payments_container):
    created = create(config, payments_container, two_line_order())
    order_id = created["order_id"]
    moved = {**ADDRESS, "city": "Paris", "postal_code": "75002"}
    changed = event(ORDER_ADDRESS_CHANGED, order_id=order_id, user_id=OWNER.id, total="42.50", currency="EUR",
                    sequence=3, shipping_address=moved)
    deliver(config, payments_container, "handle_order_address_changed", changed)
    older = {**changed, "event_id": str(uuid.uuid4()), "sequence": 2, "shipping_address": ADDRESS}
    deliver(config, payments_container, "handle_order_address_changed", older)  # handled late: ignored

    capture(payments_container, order_id, shipment([MUGS, PEN]))
    invoice = call(payments_container, "get_invoice", order_id, as_=OWNER)
    assert (invoice["buyer"]["city"], invoice["buyer"]["postal_code"]) == ("Paris", "75002")
