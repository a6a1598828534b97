from datetime import timedelta
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from contracts.events import ORDER_CREATED, PAYMENT_FAILED, SCHEMAS, SOURCES, make_event, parse_event
from payments.provider import INSUFFICIENT_FUNDS, SimulatedProvider

ORDER = dict(
    order_id="o-1",
    user_id="u-1",
    total=Decimal("12.5"),
    currency="EUR",
    payment_token="tok_visa",
    items=[{"product_id": "p-1", "quantity": 2, "unit_price": "6.25"}],
)


def test_make_event_fills_the_envelope_and_carries_money_as_strings():
    payload = make_event(ORDER_CREATED, **ORDER)
    assert payload["event_type"] == ORDER_CREATED and payload["version"] == 1
    assert payload["event_id"] and payload["occurred_at"].endswith("+00:00")
    assert payload["total"] == "12.50" and payload["items"][0]["unit_price"] == "6.25"


def test_make_event_refuses_missing_and_unknown_fields():
    with pytest.raises(ValidationError):
        make_event(PAYMENT_FAILED, order_id="o-1", user_id="u-1")
    with pytest.raises(ValidationError):
        make_event(PAYMENT_FAILED, order_id="o-1", user_id="u-1", reason="x", colour="red")


def test_parse_event_gives_decimals_and_ignores_fields_added_later():
    payload = {**make_event(ORDER_CREATED, **ORDER), "added_in_a_later_release": 1}
    event = parse_event(ORDER_CREATED, payload)
    assert event["total"] == Decimal("12.50") and "added_in_a_later_release" not in event
    with pytest.raises(ValidationError):
        parse_event(PAYMENT_FAILED, payload)


def test_every_event_has_a_source_service():
    assert set(SOURCES) == set(SCHEMAS)


def test_the_simulated_provider_is_deterministic():
    provider = SimulatedProvider(Decimal("100.00"), timedelta(days=7))
    first, again = (provider.authorize("tok_visa", Decimal("5"), "EUR", "o-1") for _ in range(2))
    assert first.succeeded and first.reference == again.reference
    assert provider.authorize("tok_insufficient_funds", Decimal("100.00"), "EUR", "o-2").succeeded
    result = provider.authorize("tok_insufficient_funds", Decimal("100.01"), "EUR", "o-3")
    assert not result.succeeded and result.decline_reason == INSUFFICIENT_FUNDS
    assert not provider.authorize("tok_whatever", Decimal("1"), "EUR", "o-4").succeeded
