"""The order life cycle: every state change goes through `move`, which refuses illegal ones.

    pending_payment → confirmed → shipped → delivered
    pending_payment → cancelled
    confirmed → cancelled → refunded
"""

from contracts.orders import OrderStatus
from plumbing.errors import Conflict

ALLOWED = {
    OrderStatus.PENDING_PAYMENT: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED},
    OrderStatus.CONFIRMED: {OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
    OrderStatus.CANCELLED: {OrderStatus.REFUNDED},
    OrderStatus.DELIVERED: set(),
    OrderStatus.REFUNDED: set(),
}

# Orders that still hold stock or money in flight: a product in one of them can't be deleted.
OPEN = (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED, OrderStatus.SHIPPED)
# Orders whose stock reservation stays (held, or committed once paid): not cancelled or refunded.
RESERVING = (*OPEN, OrderStatus.DELIVERED)
CANCELLABLE = (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED)
ADDRESS_CHANGEABLE = (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED)


def can_move(current: str, target: str) -> bool:
    return OrderStatus(target) in ALLOWED[OrderStatus(current)]


def check_move(current: str, target: str) -> None:
    if not can_move(current, target):
        raise Conflict(
            f"An order in status {current} cannot become {target}.",
            {"status": [f"{current} → {target} is not allowed."]},
        )


def is_terminal(status: str, paid: bool) -> bool:
    """Nothing more will happen to it: delivered, refunded, or cancelled with nothing to refund."""
    return status in (OrderStatus.DELIVERED, OrderStatus.REFUNDED) or (
        status == OrderStatus.CANCELLED and not paid
    )
