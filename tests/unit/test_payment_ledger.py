"""The payment ledger (payments/ledger.py) without I/O: each operation's decision, the amounts
and status after it, and the invariants it refuses to break."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from contracts.payments import LedgerBreach, PaymentStatus, RefundExceedsCaptured
from payments.ledger import Ledger

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
D = Decimal


def authorized(amount="100.00", expires_at=NOW + timedelta(days=7)) -> Ledger:
    return Ledger().authorize(D(amount), expires_at).after


def amounts(ledger: Ledger) -> tuple:
    return (str(ledger.authorized), str(ledger.captured), str(ledger.refunded), str(ledger.voided),
            ledger.status, ledger.version)


def test_authorizing_holds_the_total():
    change = Ledger().authorize(D("100.00"), NOW)
    assert amounts(change.after) == ("100.00", "0.00", "0.00", "0.00", "authorized", 1)
    assert change.before == Ledger() and change.amount == D("100.00")


def test_a_declined_authorization_fails_the_payment_and_holds_nothing():
    after = Ledger().decline(D("100.00")).after
    assert after.status == PaymentStatus.FAILED and after.open == 0


def test_captures_move_through_partially_captured_to_captured():
    first = authorized().capture(D("30.00"), NOW)
    assert first.reauthorize is None
    assert amounts(first.after) == ("100.00", "30.00", "0.00", "0.00", "partially_captured", 2)
    second = first.after.capture(D("70.00"), NOW)
    assert amounts(second.after) == ("100.00", "100.00", "0.00", "0.00", "captured", 3)


def test_a_capture_past_expiry_says_to_reauthorize_what_is_open_first():
    ledger = authorized(expires_at=NOW).void(D("10.00")).after.capture(D("20.00"), NOW).after
    change = ledger.capture(D("30.00"), NOW + timedelta(seconds=1))
    assert change.reauthorize == D("70.00")  # 100 authorized − 10 voided − 20 captured
    renewed = change.after.reauthorized(NOW + timedelta(days=7))
    assert renewed.authorization_expires_at == NOW + timedelta(days=7) and renewed.captured == D("50.00")


def test_a_capture_beyond_what_is_open_is_refused():
    ledger = authorized().void(D("40.00")).after
    with pytest.raises(LedgerBreach):
        ledger.capture(D("60.01"), NOW)
    assert ledger.capture(D("60.00"), NOW).after.status == PaymentStatus.CAPTURED


@pytest.mark.parametrize("amount", ["0.00", "-1.00"])
def test_an_operation_moving_no_money_is_refused(amount):
    with pytest.raises(LedgerBreach):
        authorized().capture(D(amount), NOW)
    with pytest.raises(LedgerBreach):
        authorized().void(D(amount))


def test_voiding_everything_voids_the_payment_and_nothing_is_left_to_void():
    partly = authorized().void(D("25.00")).after
    assert partly.status == PaymentStatus.AUTHORIZED and partly.open == D("75.00")
    voided = partly.void(D("75.00")).after
    assert amounts(voided) == ("100.00", "0.00", "0.00", "100.00", "voided", 3)
    with pytest.raises(LedgerBreach):
        voided.void(D("0.01"))


def test_voiding_the_rest_after_a_capture_leaves_it_captured():
    ledger = authorized().capture(D("60.00"), NOW).after.void(D("40.00")).after
    assert ledger.status == PaymentStatus.CAPTURED and ledger.captured + ledger.voided == ledger.authorized


def test_refunds_never_exceed_what_was_captured_and_not_refunded():
    ledger = authorized().capture(D("60.00"), NOW).after
    with pytest.raises(RefundExceedsCaptured):
        authorized().refund(D("0.01"))  # nothing captured yet
    with pytest.raises(RefundExceedsCaptured):
        ledger.refund(D("60.01"))
    part = ledger.refund(D("20.00")).after
    assert amounts(part) == ("100.00", "60.00", "20.00", "0.00", "partially_refunded", 3)
    with pytest.raises(RefundExceedsCaptured):
        part.refund(D("40.01"))
    rest = part.refund(D("40.00")).after
    assert rest.status == PaymentStatus.PARTIALLY_REFUNDED  # 40.00 still open on the authorization
    assert rest.void(D("40.00")).after.status == PaymentStatus.REFUNDED


def test_a_capture_after_a_refund_keeps_it_partially_refunded():
    ledger = authorized().capture(D("50.00"), NOW).after.refund(D("10.00")).after
    assert ledger.capture(D("50.00"), NOW).after.status == PaymentStatus.PARTIALLY_REFUNDED


def test_a_fully_refunded_capture_refunds_the_payment():
    ledger = authorized().capture(D("100.00"), NOW).after.refund(D("100.00")).after
    assert ledger.status == PaymentStatus.REFUNDED and ledger.refundable == 0


def test_the_invariants_hold_after_any_accepted_sequence():
    ledger = authorized("90.00")
    steps = [("capture", "30.00"), ("void", "10.00"), ("refund", "5.00"), ("capture", "50.00"),
             ("refund", "75.00"), ("void", "0.01"), ("capture", "0.01"), ("refund", "0.01")]
    for name, amount in steps:
        try:
            change = ledger.capture(D(amount), NOW) if name == "capture" else getattr(ledger, name)(D(amount))
        except (LedgerBreach, RefundExceedsCaptured):
            continue
        ledger = change.after
        assert ledger.captured <= ledger.authorized
        assert ledger.refunded <= ledger.captured
        assert ledger.voided + ledger.captured <= ledger.authorized
    assert amounts(ledger) == ("90.00", "80.00", "80.00", "10.00", "refunded", 6)
