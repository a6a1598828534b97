from enum import StrEnum


class ReturnLineRequestReason(StrEnum):
    DAMAGED = "damaged"
    NOT_AS_DESCRIBED = "not_as_described"
    NO_LONGER_NEEDED = "no_longer_needed"
    OTHER = "other"
    WRONG_ITEM = "wrong_item"

    def __str__(self) -> str:
        return str(self.value)
