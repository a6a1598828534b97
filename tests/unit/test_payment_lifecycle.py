"""The payment status table and the operation's requested → succeeded | failed, move by move."""

import pytest

from contracts.payments import OperationStatus, PaymentStatus
from payments import lifecycle
from wire.errors import Conflict

S = PaymentStatus
LEGAL = {
    (None, S.AUTHORIZED), (None, S.FAILED),
    (S.AUTHORIZED, S.AUTHORIZED), (S.AUTHORIZED, S.PARTIALLY_CAPTURED), (S.AUTHORIZED, S.CAPTURED),
    (S.AUTHORIZED, S.VOIDED),
    (S.PARTIALLY_CAPTURED, S.PARTIALLY_CAPTURED), (S.PARTIALLY_CAPTURED, S.CAPTURED),
    (S.PARTIALLY_CAPTURED, S.PARTIALLY_REFUNDED),
    (S.CAPTURED, S.PARTIALLY_REFUNDED), (S.CAPTURED, S.REFUNDED),
    (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED), (S.PARTIALLY_REFUNDED, S.REFUNDED),
}
EVERY_MOVE = [(source, target) for source in [None, *S] for target in S]


@pytest.mark.parametrize(("source", "target"), EVERY_MOVE)
def test_each_move_is_allowed_only_if_the_table_says_so(source, target):
    assert lifecycle.can_move(source, target) == ((source, target) in LEGAL)
    if (source, target) in LEGAL:
        lifecycle.check_move(source, target)
    else:
        with pytest.raises(Conflict):
            lifecycle.check_move(source, target)


@pytest.mark.parametrize("status", [S.FAILED, S.REFUNDED, S.VOIDED])
def test_failed_refunded_and_voided_payments_are_final(status):
    assert not any(lifecycle.can_move(status, target) for target in S)


@pytest.mark.parametrize(("source", "target"), [(a, b) for a in OperationStatus for b in OperationStatus])
def test_a_requested_operation_ends_once(source, target):
    legal = source == OperationStatus.REQUESTED and target != OperationStatus.REQUESTED
    if legal:
        lifecycle.check_operation_move(source, target)
    else:
        with pytest.raises(Conflict):
            lifecycle.check_operation_move(source, target)
