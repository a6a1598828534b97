"""The notifications service on the real broker and database."""

import uuid

import pytest

from contracts import events
from tests.integration.eventing import call, deliver, event
from tests.tokens import ADMIN, User
from wire.errors import NotFound

ADA = User("user-ada")
ORDER_FIELDS = dict(user_id=ADA.id, total="42.50", currency="EUR")

EVENTS = {
    "handle_order_confirmed": lambda order_id: event(
        events.ORDER_CONFIRMED, order_id=order_id, invoice_number="INV-2026-000007", **ORDER_FIELDS
    ),
    "handle_order_cancelled": lambda order_id: event(
        events.ORDER_CANCELLED, order_id=order_id, reason="payment_failed", **ORDER_FIELDS
    ),
    "handle_order_shipped": lambda order_id: event(events.ORDER_SHIPPED, order_id=order_id, **ORDER_FIELDS),
    "handle_payment_failed": lambda order_id: event(
        events.PAYMENT_FAILED, order_id=order_id, user_id=ADA.id, reason="card_declined"
    ),
    "handle_payment_refunded": lambda order_id: event(
        events.PAYMENT_REFUNDED, order_id=order_id, user_id=ADA.id, payment_id="pay-1", amount="42.50",
        currency="EUR",
    ),
}


def register_ada(config, container):
    payload = event(events.USER_REGISTERED, user_id=ADA.id, email="ada@example.com", name="Ada")
    return deliver(config, container, "handle_user_registered", payload)


def notifications(container, actor=ADA, user_id=ADA.id, **page):
    return call(container, "list_notifications", user_id, **page, as_=actor)


def test_user_registered_sends_a_welcome(config, notifications_container):
    register_ada(config, notifications_container)

    [welcome] = notifications(notifications_container)["items"]
    assert set(welcome) == {"id", "user_id", "event", "channel", "subject", "body", "created_at"}
    assert (welcome["event"], welcome["channel"]) == (events.USER_REGISTERED, "log")
    assert welcome["subject"] == "Welcome to OMS, Ada"
    assert "ada@example.com" in welcome["body"]


@pytest.mark.parametrize("handler", sorted(EVENTS))
def test_each_order_event_is_rendered_and_stored_once(config, notifications_container, handler):
    register_ada(config, notifications_container)
    order_id = str(uuid.uuid4())
    payload = deliver(config, notifications_container, handler, EVENTS[handler](order_id))
    deliver(config, notifications_container, handler, payload)  # the same event, delivered twice

    page = notifications(notifications_container)
    assert page["total"] == 2
    latest = page["items"][0]
    assert latest["event"] == payload["event_type"]
    assert order_id in latest["subject"] and order_id in latest["body"]
    assert latest["body"].startswith("Hello Ada,")


def test_an_order_event_before_the_user_is_known_is_still_recorded(config, notifications_container):
    deliver(config, notifications_container, "handle_order_shipped", EVENTS["handle_order_shipped"]("o-1"))
    [shipped] = notifications(notifications_container)["items"]
    assert shipped["body"].startswith("Hello there,")


def test_list_is_paged_newest_first(config, notifications_container):
    register_ada(config, notifications_container)
    order_ids = [f"order-{n}" for n in range(4)]
    for order_id in order_ids:
        payload = EVENTS["handle_order_shipped"](order_id)
        deliver(config, notifications_container, "handle_order_shipped", payload)

    first = notifications(notifications_container, page=1, page_size=2)
    second = notifications(notifications_container, page=2, page_size=2)
    third = notifications(notifications_container, page=3, page_size=2)
    assert (first["total"], first["page"], first["page_size"]) == (5, 1, 2)
    subjects = [item["subject"] for item in first["items"] + second["items"] + third["items"]]
    assert subjects == [f"Order {order_id} shipped" for order_id in reversed(order_ids)] + [
        "Welcome to OMS, Ada"
    ]


def test_a_customer_sees_only_its_own_notifications(config, notifications_container):
    register_ada(config, notifications_container)
    bob = User("user-bob")
    with pytest.raises(NotFound):
        notifications(notifications_container, actor=bob)
    assert notifications(notifications_container, actor=bob, user_id=bob.id)["total"] == 0
    assert notifications(notifications_container, actor=ADMIN)["total"] == 1
