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
    "handle_shipment_created": lambda order_id: shipment_created(order_id),
    "handle_payment_failed": lambda order_id: event(
        events.PAYMENT_FAILED, order_id=order_id, user_id=ADA.id, reason="card_declined"
    ),
    "handle_payment_refunded": lambda order_id: event(
        events.PAYMENT_REFUNDED, order_id=order_id, user_id=ADA.id, payment_id="pay-1", amount="42.50",
        currency="EUR",
    ),
}


def shipment_created(order_id: str, tracking_number: str | None = "1Z999AA10123456784") -> dict:
    items = [{"product_id": "p-1", "sku": "MUG-1", "name": "Blue mug", "quantity": 2, "unit_price": "10.00",
              "line_total": "20.00"}]
    return event(events.SHIPMENT_CREATED, order_id=order_id, shipment_id="ship-1", items=items, amount="20.00",
                 carrier="UPS", tracking_number=tracking_number, shipped_at="2026-12-04T10:00:00+00:00",
                 invoice_number="INV-2026-000009", **ORDER_FIELDS)


def refunded(order_id: str, kind: str, reason: str | None = None) -> dict:
    return event(events.PAYMENT_REFUNDED, order_id=order_id, user_id=ADA.id, payment_id="pay-1", amount="12.50",
                 currency="EUR", kind=kind, reference="ret-1", reason=reason, credit_note_number="CN-2026-000003")


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


def latest_body(container) -> str:
    return notifications(container)["items"][0]["body"]


def test_a_shipment_mail_names_the_carrier_the_tracking_number_and_the_parcel(config, notifications_container):
    register_ada(config, notifications_container)
    order_id = str(uuid.uuid4())
    deliver(config, notifications_container, "handle_shipment_created", shipment_created(order_id))

    [mail, _] = notifications(notifications_container)["items"]
    assert mail["subject"] == f"A parcel of order {order_id} is on its way"
    assert "left with UPS, tracking number 1Z999AA10123456784" in mail["body"]
    assert "2 × Blue mug" in mail["body"] and "We charged 20.00 EUR for it." in mail["body"]
    assert "Invoice INV-2026-000009 is for this parcel." in mail["body"]

    deliver(config, notifications_container, "handle_shipment_created",
            shipment_created(str(uuid.uuid4()), tracking_number=None))
    assert "tracking number none given" in latest_body(notifications_container)


@pytest.mark.parametrize(
    ("kind", "reason", "said"),
    [
        ("cancellation", None, "the order was cancelled"),
        ("return", None, "we received the items you sent back"),
        ("goodwill", "late_delivery", "a goodwill refund (late delivery)"),
    ],
)
def test_a_refund_mail_says_how_much_and_what_for(config, notifications_container, kind, reason, said):
    register_ada(config, notifications_container)
    order_id = str(uuid.uuid4())
    deliver(config, notifications_container, "handle_payment_refunded", refunded(order_id, kind, reason))

    body = latest_body(notifications_container)
    assert f"we refunded 12.50 EUR for order {order_id}: {said}." in body
    assert "Credit note CN-2026-000003 records the refund." in body


def test_the_confirmation_names_no_invoice(config, notifications_container):
    """The card is only authorized at confirmation; an order confirmed before that named its
    invoice in the event, which the mail no longer repeats."""
    register_ada(config, notifications_container)
    deliver(config, notifications_container, "handle_order_confirmed", EVENTS["handle_order_confirmed"]("o-1"))

    body = latest_body(notifications_container)
    assert "we authorized 42.50 EUR on your card; order o-1 is confirmed." in body
    assert "invoice" not in body.lower()
