"""The simulated provider's documented tokens (payments/provider.py), with partial amounts."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from payments.provider import (
    CAPTURE_DECLINED,
    DECLINED,
    INSUFFICIENT_FUNDS,
    REAUTHORIZATION_DECLINED,
    SimulatedProvider,
    idempotency_key,
)

TTL = timedelta(days=7)
provider = SimulatedProvider(Decimal("100.00"), TTL)


def authorize(token, amount="50.00", replaces=None):
    return provider.authorize(token, Decimal(amount), "EUR", idempotency_key("o-1", "authorize", "o-1"), replaces)


@pytest.mark.parametrize(("token", "amount", "reason"), [
    ("tok_visa", "5000.00", None),
    ("tok_declined", "1.00", DECLINED),
    ("tok_unknown", "1.00", DECLINED),
    ("tok_insufficient_funds", "100.00", None),
    ("tok_insufficient_funds", "100.01", INSUFFICIENT_FUNDS),
    ("tok_capture_fails", "50.00", None),
    ("tok_reauthorization_declined", "50.00", None),
])
def test_each_token_authorizes_or_is_declined(token, amount, reason):
    result = authorize(token, amount)
    assert result.succeeded == (reason is None) and result.decline_reason == reason
    if reason is None:
        assert result.reference.startswith("sim_au_")
        assert result.expires_at - datetime.now(UTC) == pytest.approx(TTL, abs=timedelta(seconds=5))


def test_capture_succeeds_partially_except_on_the_capture_failing_card():
    visa = authorize("tok_visa").reference
    first = provider.capture(visa, Decimal("20.00"), "EUR", idempotency_key("o-1", "capture", "s-1"))
    second = provider.capture(visa, Decimal("30.00"), "EUR", idempotency_key("o-1", "capture", "s-2"))
    assert first.succeeded and second.succeeded and first.reference != second.reference
    failing = provider.capture(authorize("tok_capture_fails").reference, Decimal("1.00"), "EUR", "k")
    assert (failing.succeeded, failing.decline_reason) == (False, CAPTURE_DECLINED)


def test_a_reauthorization_is_declined_only_for_its_token():
    first = authorize("tok_reauthorization_declined")
    again = authorize("tok_reauthorization_declined", replaces=first.reference)
    assert (again.succeeded, again.decline_reason) == (False, REAUTHORIZATION_DECLINED)
    assert authorize("tok_visa", replaces=authorize("tok_visa").reference).succeeded
    assert authorize("tok_insufficient_funds", "100.01", replaces="sim_au_x").decline_reason == INSUFFICIENT_FUNDS


def test_the_same_key_answers_the_same_reference():
    key = idempotency_key("o-1", "refund", "goodwill:k-1")
    assert provider.refund("sim_au_1", Decimal("5.00"), "EUR", key) == provider.refund(
        "sim_au_1", Decimal("5.00"), "EUR", key)
    assert provider.void("a", Decimal("1.00"), "EUR", key).reference != provider.void(
        "a", Decimal("1.00"), "EUR", key + "x").reference
    assert authorize("tok_visa").reference == authorize("tok_visa").reference
