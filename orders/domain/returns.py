"""A return's (RMA's) rules, without I/O (the order's are in orders/domain/order.py, which makes
a return and records its steps): each step checks its life cycle (orders/lifecycle.py) and says
what changed."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from contracts.events import RETURN_APPROVED, RETURN_RECEIVED, RETURN_REJECTED, RETURN_REQUESTED
from contracts.orders import ReturnNotAllowed, ReturnStatus
from orders import lifecycle


@dataclass
class ReturnItem:
    position: int  # of the order's line
    product_id: str
    sku: str
    name: str
    unit_price: Decimal
    quantity: int
    reason: str
    received_quantity: int | None = None
    restock: bool | None = None


@dataclass(frozen=True)
class ReturnStep:
    """What a return's step changed, for the order to record: its event (an order event), the
    history entry's reason, and for a receipt the units received per order line position."""

    event_type: str
    fields: dict
    reason: str
    received: dict[int, int] = field(default_factory=dict)


@dataclass
class Return:
    id: str
    order_id: str
    status: str
    items: list[ReturnItem]
    note: str
    refund_amount: Decimal | None = None
    created_at: datetime | None = None

    def requested(self) -> ReturnStep:
        """The step of its creation (Order.request_return makes it): its time travels with it, so
        the read side shows the time orders stored."""
        return ReturnStep(RETURN_REQUESTED, self._event_fields() | {"created_at": self.created_at.isoformat()},
                          f"return {self.id} requested")

    def approve(self) -> ReturnStep:
        """The customer may send the goods."""
        self._move(ReturnStatus.APPROVED)
        return ReturnStep(RETURN_APPROVED, self._event_fields(), f"return {self.id} approved")

    def reject(self, reason: str) -> ReturnStep:
        """Refused: its units may be asked back again."""
        self._move(ReturnStatus.REJECTED)
        reason = reason or "rejected"
        return ReturnStep(RETURN_REJECTED, self._event_fields() | {"reason": reason},
                          f"return {self.id} rejected: {reason}")

    def receive(self, lines: list[dict]) -> ReturnStep:
        """The goods arrived: per line ({product_id, quantity, restock}) the units received, at
        most those asked back (a line not listed: none arrived). Their amount is refunded."""
        lifecycle.check_move(self.status, ReturnStatus.RECEIVED, ReturnStatus)
        by_product = {item.product_id: item for item in self.items}
        errors = {}
        for line in lines:
            item = by_product.get(line["product_id"])
            if item is None:
                errors[line["product_id"]] = ["Not in this return."]
            elif line["quantity"] > item.quantity:
                errors[item.product_id] = [f"Received {line['quantity']}; {item.quantity} asked back."]
            else:
                item.received_quantity, item.restock = line["quantity"], line["restock"]
        if errors:
            raise ReturnNotAllowed("More received than was asked back.", {"items": errors})
        self.status = ReturnStatus.RECEIVED
        for item in self.items:
            if item.received_quantity is None:
                item.received_quantity, item.restock = 0, False
        self.refund_amount = sum(
            (item.unit_price * item.received_quantity for item in self.items), Decimal("0.00")
        )
        received = [item for item in self.items if item.received_quantity]
        fields = {
            "return_id": self.id,
            "items": [{"product_id": item.product_id, "quantity": item.received_quantity, "restock": item.restock,
                       "amount": str(item.unit_price * item.received_quantity)} for item in received],
            "refund_amount": str(self.refund_amount),
        }
        return ReturnStep(RETURN_RECEIVED, fields, f"return {self.id} received: {self.refund_amount} to refund",
                          {item.position: item.received_quantity for item in received})

    def _event_fields(self) -> dict:
        items = [{"product_id": item.product_id, "quantity": item.quantity, "reason": item.reason}
                 for item in self.items]
        return {"return_id": self.id, "items": items}

    def _move(self, target: ReturnStatus) -> None:
        lifecycle.check_move(self.status, target, ReturnStatus)
        self.status = target
