"""Payloads and signatures (webhooks/signing.py), verified by the Standard Webhooks library as
a receiver would; the retry schedule (webhooks/dispatcher.py)."""

import json
from dataclasses import replace

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from contracts.events import ORDER_SHIPPED, make_event, parse_event
from contracts.webhooks import matches, webhook_type
from webhooks.dispatcher import next_wait
from webhooks.settings import Settings
from webhooks.signing import new_secret, payload_body, signed_headers


def shipped() -> dict:
    return parse_event(ORDER_SHIPPED, make_event(ORDER_SHIPPED, order_id="o-1", user_id="u-1", total="19.99",
                                                 currency="EUR", status="shipped", sequence=4))


def test_the_payload_is_the_event_in_a_versioned_envelope():
    event = shipped()
    body = json.loads(payload_body(event))
    assert body["type"] == "order.shipped" and body["id"] == event["event_id"] and body["version"] == 1
    assert body["timestamp"] == event["occurred_at"]
    assert body["data"]["order_id"] == "o-1" and body["data"]["total"] == "19.99"
    assert "event_id" not in body["data"] and "event_type" not in body["data"]


def test_every_secret_that_signs_verifies_and_no_other():
    current, previous, other = new_secret(), new_secret(), new_secret()
    body = payload_body(shipped())
    headers = signed_headers("msg-1", body, [current, previous])
    assert Webhook(current).verify(body, headers)["type"] == "order.shipped"
    assert Webhook(previous).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(current).verify(body.replace("19.99", "0.01"), headers)


def test_webhook_types_and_wildcards():
    assert webhook_type("credit_note_issued") == "credit_note.issued"
    assert webhook_type("order_items_cancelled") == "order.items_cancelled"
    assert matches(["order.*"], "order.shipped") and not matches(["order.*"], "payment.refunded")
    assert matches(["*"], "invoice.issued")


def test_the_retry_schedule_is_jittered_around_its_steps_then_gives_up():
    settings = replace(Settings.from_config({}), retry_schedule=(10.0, 100.0), jitter=0.2)
    assert 8 <= next_wait(settings, 1) <= 12 and 80 <= next_wait(settings, 2) <= 120
    assert next_wait(settings, 3) is None


def test_the_default_schedule_spans_about_a_day():
    schedule = Settings.from_config({}).retry_schedule
    assert 20 * 3600 <= sum(schedule) <= 26 * 3600
