from enum import StrEnum


class PaymentOperationType(StrEnum):
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    REAUTHORIZE = "reauthorize"
    REFUND = "refund"
    VOID = "void"

    def __str__(self) -> str:
        return str(self.value)
