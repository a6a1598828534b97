"""An order line and what became of its units."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass
class Line:
    """An order line and what became of its units. `shipped` counts units in shipments not
    failed (a capturing one's too: a concurrent request must not take them again)."""

    position: int
    product_id: str
    sku: str
    name: str
    unit_price: Decimal
    quantity: int
    shipped: int = 0
    cancelled: int = 0
    delivered: int = 0
    returned: int = 0  # received back
    last_delivered_at: datetime | None = None
    # Asked back in returns not rejected (received ones: what arrived); loaded for a return only.
    in_returns: int = 0

    @property
    def remaining(self) -> int:
        """Units still to ship: neither in a shipment nor cancelled."""
        return self.quantity - self.shipped - self.cancelled
