from enum import StrEnum


class PaymentOperationStatus(StrEnum):
    FAILED = "failed"
    REQUESTED = "requested"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)
