from enum import StrEnum


class ExportOrdersStatus(StrEnum):
    CANCELLED = "cancelled"
    CONFIRMED = "confirmed"
    DELIVERED = "delivered"
    PARTIALLY_SHIPPED = "partially_shipped"
    PENDING_PAYMENT = "pending_payment"
    REFUNDED = "refunded"
    SHIPPED = "shipped"

    def __str__(self) -> str:
        return str(self.value)
