from enum import StrEnum


class PaymentStatus(StrEnum):
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    FAILED = "failed"
    PARTIALLY_CAPTURED = "partially_captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    SUCCEEDED = "succeeded"
    VOIDED = "voided"

    def __str__(self) -> str:
        return str(self.value)
