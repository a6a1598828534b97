"""The order life cycle, without I/O: which status may follow which, and what a status means for
the order's stock and money. Every status change goes through `check_move` (called by
orders/repository.py `move`, the only writer of an order's status), which refuses illegal ones.

    pending_payment → confirmed → shipped → delivered
    pending_payment → cancelled
    confirmed → cancelled → refunded
"""

from contracts.orders import OrderStatus
from wire.errors import Conflict

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


def reservation_in_use(status: str) -> bool:
    """Whether the order's stock reservation must stay (held, or committed once paid): the order
    is pending payment, or paid and neither cancelled nor refunded. The one statement of the
    rule: products' expiry sweep asks orders (reservations_in_use), which answers from this."""
    return OrderStatus(status) not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


# The statuses for which `reservation_in_use` holds, for a query.
RESERVING = tuple(status for status in OrderStatus if reservation_in_use(status))
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
