"""The life cycles of an order, a shipment and a return, without I/O: which status may follow
which, and what a status means for the order's stock and money. Every status change goes through
`check_move` (the aggregates of orders/domain/order.py call it), which refuses illegal ones.

    pending_payment → confirmed → partially_shipped → shipped → delivered
                      confirmed → shipped
    pending_payment → cancelled
          confirmed → cancelled → refunded

A history entry whose status doesn't change (another parcel of a partially shipped order, a
return's step, a refund) is no move: it is recorded without asking this table.

    shipment: capturing → shipped → delivered;  capturing → failed
    return:   requested → approved → received;  requested → rejected
"""

from contracts.orders import IllegalMove, OrderStatus, ReturnStatus, ShipmentStatus

ALLOWED = {
    OrderStatus.PENDING_PAYMENT: {OrderStatus.CONFIRMED, OrderStatus.CANCELLED},
    OrderStatus.CONFIRMED: {OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.CANCELLED},
    # Once a parcel left, the order can't be cancelled whole: its remaining items can.
    OrderStatus.PARTIALLY_SHIPPED: {OrderStatus.SHIPPED},
    OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
    OrderStatus.CANCELLED: {OrderStatus.REFUNDED},
    OrderStatus.DELIVERED: set(),
    OrderStatus.REFUNDED: set(),
}
SHIPMENT_ALLOWED = {
    # capturing: recorded and its units taken from the lines, its amount being captured.
    ShipmentStatus.CAPTURING: {ShipmentStatus.SHIPPED, ShipmentStatus.FAILED},
    ShipmentStatus.SHIPPED: {ShipmentStatus.DELIVERED},
    ShipmentStatus.DELIVERED: set(),
    ShipmentStatus.FAILED: set(),
}
RETURN_ALLOWED = {
    ReturnStatus.REQUESTED: {ReturnStatus.APPROVED, ReturnStatus.REJECTED},
    ReturnStatus.APPROVED: {ReturnStatus.RECEIVED},
    ReturnStatus.REJECTED: set(),
    ReturnStatus.RECEIVED: set(),
}
_TABLES = {OrderStatus: ALLOWED, ShipmentStatus: SHIPMENT_ALLOWED, ReturnStatus: RETURN_ALLOWED}
_KINDS = {OrderStatus: "An order", ShipmentStatus: "A shipment", ReturnStatus: "A return"}

# Orders that still hold stock or money in flight: a product in one of them can't be deleted.
OPEN = (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED)
# Where parcels may leave and unshipped units may be cancelled.
FULFILLING = (OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED)
ADDRESS_CHANGEABLE = (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED)


def reservation_in_use(status: str) -> bool:
    """Whether the order's stock reservation must stay (held, or committed once paid): the order
    is pending payment, or paid and neither cancelled nor refunded. The one statement of the
    rule: products' expiry sweep asks orders (reservations_in_use), which answers from this."""
    return OrderStatus(status) not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)


# The statuses for which `reservation_in_use` holds, for a query.
RESERVING = tuple(status for status in OrderStatus if reservation_in_use(status))


def can_move(current: str, target: str, kind: type = OrderStatus) -> bool:
    """Whether `current` → `target` is allowed; `kind`: OrderStatus, ShipmentStatus or ReturnStatus."""
    return kind(target) in _TABLES[kind][kind(current)]


def check_move(current: str, target: str, kind: type = OrderStatus) -> None:
    if not can_move(current, target, kind):
        raise IllegalMove(
            f"{_KINDS[kind]} in status {current} cannot become {target}.",
            {"status": [f"{current} → {target} is not allowed."]},
        )


def is_terminal(status: str, paid: bool) -> bool:
    """Nothing more will happen to it: delivered, refunded, or cancelled with nothing to refund."""
    return status in (OrderStatus.DELIVERED, OrderStatus.REFUNDED) or (
        status == OrderStatus.CANCELLED and not paid
    )
