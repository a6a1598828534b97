"""The payment life cycles, without I/O: which payment status may follow which, and which outcome
may follow a requested provider operation. payments/ledger.py derives a payment's status from
its amounts and checks the move here, so no operation can take a payment somewhere illegal.

    (new) → authorized | failed
    authorized → partially_captured | captured | voided     (and itself: a partial void)
    partially_captured → captured | partially_refunded       (and itself: another capture, a void)
    captured → partially_refunded | refunded
    partially_refunded → refunded                            (and itself: another capture or refund)
    failed, refunded, voided: nothing follows

A payment operation (payment_operations.status): requested → succeeded | failed.
"""

from contracts.payments import OperationStatus, PaymentStatus
from wire.errors import Conflict

NEW = None  # a payment not authorized yet: no row

ALLOWED: dict[PaymentStatus | None, set[PaymentStatus]] = {
    NEW: {PaymentStatus.AUTHORIZED, PaymentStatus.FAILED},
    PaymentStatus.AUTHORIZED: {
        PaymentStatus.AUTHORIZED, PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED, PaymentStatus.VOIDED,
    },
    PaymentStatus.PARTIALLY_CAPTURED: {
        PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED,
    },
    PaymentStatus.CAPTURED: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
    PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED},
    PaymentStatus.FAILED: set(),
    PaymentStatus.REFUNDED: set(),
    PaymentStatus.VOIDED: set(),
}

OPERATION_ALLOWED: dict[OperationStatus, set[OperationStatus]] = {
    OperationStatus.REQUESTED: {OperationStatus.SUCCEEDED, OperationStatus.FAILED},
    OperationStatus.SUCCEEDED: set(),
    OperationStatus.FAILED: set(),
}


def can_move(current: str | None, target: str) -> bool:
    source = NEW if current is None else PaymentStatus(current)
    return PaymentStatus(target) in ALLOWED[source]


def check_move(current: str | None, target: str) -> None:
    if not can_move(current, target):
        raise Conflict(
            f"A payment in status {current} cannot become {target}.",
            {"status": [f"{current} → {target} is not allowed."]},
        )


def check_operation_move(current: str, target: str) -> None:
    """A requested operation ends once, succeeded or failed; an ended one never changes."""
    if OperationStatus(target) not in OPERATION_ALLOWED[OperationStatus(current)]:
        raise Conflict(
            f"A payment operation {current} cannot become {target}.",
            {"status": [f"{current} → {target} is not allowed."]},
        )
