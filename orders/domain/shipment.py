"""A shipment's rules, without I/O (the order's are in orders/domain/order.py): each step checks
its life cycle (orders/lifecycle.py) and says what changed."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from contracts.orders import ShipmentStatus
from orders import lifecycle


@dataclass
class ShipmentItem:
    position: int  # of the order's line
    product_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


@dataclass
class Shipment:
    id: str
    order_id: str
    status: str
    items: list[ShipmentItem]
    carrier: str
    tracking_number: str | None
    invoice_number: str | None = None
    failure_reason: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def amount(self) -> Decimal:
        """What its capture takes: the sum of its lines."""
        return sum((item.line_total for item in self.items), Decimal("0.00"))

    def capture_request(self) -> dict:
        """What payments.capture_payment is asked (contracts.payments CapturePaymentSchema)."""
        return {
            "shipment_id": self.id,
            "amount": str(self.amount),
            "lines": [
                {"sku": item.sku, "name": item.name, "quantity": item.quantity, "unit_price": str(item.unit_price),
                 "line_total": str(item.line_total)}
                for item in self.items
            ],
        }

    def created_event_fields(self) -> dict:
        """shipment_created's own fields (contracts.events ShipmentCreatedSchema)."""
        return {
            "shipment_id": self.id,
            "items": [
                {"product_id": item.product_id, "sku": item.sku, "name": item.name, "quantity": item.quantity,
                 "unit_price": str(item.unit_price), "line_total": str(item.line_total)}
                for item in self.items
            ],
            "amount": str(self.amount),
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "shipped_at": self.shipped_at.isoformat(),
            "invoice_number": self.invoice_number,
        }

    def ship(self, now: datetime, invoice_number: str | None) -> None:
        """Its amount was captured (and invoiced)."""
        self._move(ShipmentStatus.SHIPPED)
        self.shipped_at, self.invoice_number = now, invoice_number

    def fail(self, reason: str) -> None:
        """Its capture was refused: it never ships."""
        self._move(ShipmentStatus.FAILED)
        self.failure_reason = reason

    def deliver(self, now: datetime) -> None:
        self._move(ShipmentStatus.DELIVERED)
        self.delivered_at = now

    def _move(self, target: ShipmentStatus) -> None:
        lifecycle.check_move(self.status, target, ShipmentStatus)
        self.status = target
