"""The payments service on the real broker and database: events in, one charge per order, events out."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.events import (
    CREDIT_NOTE_ISSUED,
    INVOICE_ISSUED,
    ORDER_CANCELLED,
    ORDER_CREATED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENT_SUCCEEDED,
)
from payments.provider import Provider
from tests.integration.eventing import EventTap, call, deliver, event
from tests.tokens import ADMIN, User
from wire.errors import NotFound

OWNER = User("user-1")


@pytest.fixture
def payment_events(config):
    tap = EventTap(config, "payments")
    yield tap
    tap.close()


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


def order_cancelled(order_id: str, reason="customer request") -> dict:
    return event(
        ORDER_CANCELLED, order_id=order_id, user_id=OWNER.id, total="42.50", currency="EUR", reason=reason
    )


def create(config, container, payload):
    return deliver(config, container, "handle_order_created", payload)


def cancel(config, container, payload):
    return deliver(config, container, "handle_order_cancelled", payload)


@pytest.mark.parametrize(
    ("token", "total", "status", "event_type", "reason"),
    [
        ("tok_visa", "42.50", "succeeded", PAYMENT_SUCCEEDED, None),
        ("tok_declined", "42.50", "failed", PAYMENT_FAILED, "card_declined"),
        ("tok_insufficient_funds", "100.00", "succeeded", PAYMENT_SUCCEEDED, None),
        ("tok_insufficient_funds", "100.01", "failed", PAYMENT_FAILED, "insufficient_funds"),
        ("tok_unknown", "42.50", "failed", PAYMENT_FAILED, "card_declined"),
    ],
)
def test_each_token_has_its_outcome(config, payments_container, payment_events, token, total, status,
                                    event_type, reason):
    created = create(config, payments_container, order_created(token, total))
    payment = call(payments_container, "get_payment", created["order_id"], as_=OWNER)

    assert payment["status"] == status
    assert (payment["amount"], payment["currency"]) == (total, "EUR")
    assert payment["order_id"] == created["order_id"]
    assert set(payment) == {"id", "order_id", "status", "amount", "currency", "created_at"}
    # One event for this order, though perhaps delivered twice (at least once).
    dispatched, *again = payment_events.wait_for(1, event_type, order_id=created["order_id"])
    assert all(each["event_id"] == dispatched["event_id"] for each in again)
    assert dispatched["event_type"] == event_type
    assert dispatched["order_id"] == created["order_id"] and dispatched["user_id"] == OWNER.id
    if status == "succeeded":
        assert (dispatched["payment_id"], dispatched["amount"]) == (payment["id"], total)
        # Issued with the charge, and named in it.
        invoiced, *_ = payment_events.wait_for(1, INVOICE_ISSUED, order_id=created["order_id"])
        assert dispatched["invoice_number"] == invoiced["number"] and invoiced["total"] == total
    else:
        assert dispatched["reason"] == reason


def test_the_same_order_created_twice_charges_once(config, payments_container, payment_events):
    created = create(config, payments_container, order_created())
    create(config, payments_container, created)  # redelivered: same event id
    create(config, payments_container, {**created, "event_id": str(uuid.uuid4())})  # republished anew

    payment = call(payments_container, "get_payment", created["order_id"], as_=ADMIN)
    assert payment["status"] == "succeeded"
    assert [key for key, _ in call_until_quiet(payment_events)] == [INVOICE_ISSUED, PAYMENT_SUCCEEDED]


def test_cancel_after_payment_refunds_once(config, payments_container, payment_events):
    created = create(config, payments_container, order_created())
    cancelled = cancel(config, payments_container, order_cancelled(created["order_id"]))
    cancel(config, payments_container, cancelled)
    cancel(config, payments_container, order_cancelled(created["order_id"], "again"))

    assert call(payments_container, "get_payment", created["order_id"], as_=OWNER)["status"] == "refunded"
    [refunded] = payment_events.wait_for(1, PAYMENT_REFUNDED)
    assert refunded["order_id"] == created["order_id"] and refunded["amount"] == "42.50"
    assert [key for key, _ in call_until_quiet(payment_events)] == [
        INVOICE_ISSUED, PAYMENT_SUCCEEDED, CREDIT_NOTE_ISSUED, PAYMENT_REFUNDED]


def test_cancel_of_a_failed_payment_refunds_nothing(config, payments_container, payment_events):
    created = create(config, payments_container, order_created("tok_declined"))
    cancel(config, payments_container, order_cancelled(created["order_id"], "payment failed"))

    assert call(payments_container, "get_payment", created["order_id"], as_=OWNER)["status"] == "failed"
    payment_events.wait_for(1)
    assert [key for key, _ in call_until_quiet(payment_events)] == [PAYMENT_FAILED]


def test_an_order_cancelled_before_it_was_charged_is_never_charged(
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
    assert call(payments_container, "get_payment", created["order_id"], as_=OWNER)["status"] == "succeeded"
    assert call(payments_container, "get_payment", created["order_id"], as_=ADMIN)["status"] == "succeeded"
    with pytest.raises(NotFound):
        call(payments_container, "get_payment", created["order_id"], as_=User("user-2"))
    with pytest.raises(NotFound):
        call(payments_container, "get_payment", "no-such-order", as_=ADMIN)


def call_until_quiet(tap: EventTap) -> list:
    """Every event payments dispatched, once its outbox has nothing left to send."""
    return tap.drain_after_outbox("payments")


@pytest.mark.parametrize(("seconds_left", "status", "reason"), [
    (-5, "failed", "reservation_expired"),  # the reservation has lapsed
    (0.5, "failed", "reservation_expired"),  # too close: orders couldn't confirm in time
    (60, "succeeded", None),
])
def test_an_order_is_not_charged_once_its_reservation_lapses(config, payments_container, payment_events,
                                                             seconds_left, status, reason):
    pay_before = (datetime.now(UTC) + timedelta(seconds=seconds_left)).isoformat()
    created = create(config, payments_container, order_created(pay_before=pay_before))

    assert call(payments_container, "get_payment", created["order_id"], as_=OWNER)["status"] == status
    [dispatched] = payment_events.wait_for(1, PAYMENT_FAILED if reason else PAYMENT_SUCCEEDED)
    assert dispatched.get("reason") == reason


class AnswersLost:
    """The provider (outside the system) as seen by a payments process that dies after it has
    charged and before its commit: while `lost`, every charge is made and its answer never
    arrives. Like a real provider it charges an idempotency key once, and keeps what it did."""

    def __init__(self, provider):
        self.provider = provider
        self.lost = True
        self.charged: dict[str, str] = {}  # idempotency key -> charge reference
        self.refunded: set[str] = set()  # charge references

    def charge(self, token, amount, currency, idempotency_key):
        result = self.provider.charge(token, amount, currency, idempotency_key)
        if result.succeeded:
            self.charged.setdefault(idempotency_key, result.reference)
        if self.lost:
            raise ConnectionError("the provider's answer was lost")
        return result

    def refund(self, charge_reference, amount, currency, idempotency_key):
        self.refunded.add(charge_reference)
        return self.provider.refund(charge_reference, amount, currency, idempotency_key)


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


def test_a_charge_whose_answer_was_lost_is_recorded_even_once_the_reservation_lapsed(
    config, payments_container, payment_events, answers_lost
):
    pay_before = datetime.now(UTC) + timedelta(seconds=4)  # past the margin for all three attempts
    created = create(config, payments_container, order_created(pay_before=pay_before.isoformat()))
    assert created["order_id"] in answers_lost.charged
    time.sleep(max(0.0, (pay_before - datetime.now(UTC)).total_seconds()))
    answers_lost.lost = False

    delivered_again(config, payments_container, created)

    payment = call(payments_container, "get_payment", created["order_id"], as_=ADMIN)
    assert payment["status"] == "succeeded"  # orders decides: confirm, or cancel and so refund
    [succeeded] = payment_events.wait_for(1, PAYMENT_SUCCEEDED)
    assert succeeded["payment_id"] == payment["id"]
    assert len(answers_lost.charged) == 1  # asked again with the same key: no second charge


def test_a_charge_whose_answer_was_lost_is_refunded_if_the_order_was_cancelled_meanwhile(
    config, payments_container, payment_events, answers_lost
):
    created = create(config, payments_container, order_created())
    cancel(config, payments_container, order_cancelled(created["order_id"], "reservation expired"))
    answers_lost.lost = False

    delivered_again(config, payments_container, created)

    assert call(payments_container, "get_payment", created["order_id"], as_=ADMIN)["status"] == "refunded"
    assert answers_lost.refunded == {answers_lost.charged[created["order_id"]]}
    [refunded] = payment_events.wait_for(1, PAYMENT_REFUNDED)
    assert refunded["order_id"] == created["order_id"]
    assert [key for key, _ in call_until_quiet(payment_events)] == [
        INVOICE_ISSUED, PAYMENT_SUCCEEDED, CREDIT_NOTE_ISSUED, PAYMENT_REFUNDED]
