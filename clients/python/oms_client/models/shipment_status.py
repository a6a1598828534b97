from enum import StrEnum


class ShipmentStatus(StrEnum):
    CAPTURING = "capturing"
    DELIVERED = "delivered"
    FAILED = "failed"
    SHIPPED = "shipped"

    def __str__(self) -> str:
        return str(self.value)
