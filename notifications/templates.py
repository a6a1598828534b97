"""Subject and body of each notification, per event type.

Fields come from the event payload plus `name` (the recipient's, or "there" when unknown)."""

from contracts.events import (
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    ORDER_SHIPPED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    USER_REGISTERED,
)

TEMPLATES: dict[str, tuple[str, str]] = {
    USER_REGISTERED: (
        "Welcome to OMS, {name}",
        "Hello {name},\n\nyour account {email} is ready. Happy shopping!\n",
    ),
    ORDER_CONFIRMED: (
        "Order {order_id} confirmed",
        "Hello {name},\n\nwe received your payment of {total} {currency}; order {order_id} is confirmed.\n",
    ),
    ORDER_CANCELLED: (
        "Order {order_id} cancelled",
        "Hello {name},\n\norder {order_id} ({total} {currency}) was cancelled: {reason}.\n"
        "Any payment taken will be refunded.\n",
    ),
    PAYMENT_FAILED: (
        "Payment for order {order_id} failed",
        "Hello {name},\n\nwe could not take the payment for order {order_id}: {reason}.\n",
    ),
    ORDER_SHIPPED: (
        "Order {order_id} shipped",
        "Hello {name},\n\norder {order_id} is on its way.\n",
    ),
    PAYMENT_REFUNDED: (
        "Refund for order {order_id}",
        "Hello {name},\n\nwe refunded {amount} {currency} for order {order_id}.\n",
    ),
}


# Added to a message whose event names an invoice (a confirmation's) or a credit note (a
# refund's), which is then attached.
INVOICE_LINE = "Your invoice {invoice_number} is attached.\n"
CREDIT_NOTE_LINE = "The order was refunded: credit note {credit_note_number} is attached.\n"


def render(event_type: str, event: dict, name: str | None) -> tuple[str, str]:
    """(subject, body) for an event; KeyError for an event type without a template."""
    subject, body = TEMPLATES[event_type]
    fields = {**event, "name": name or "there"}
    if "reason" in fields:
        fields["reason"] = str(fields["reason"]).replace("_", " ")
    if fields.get("invoice_number"):
        body += INVOICE_LINE
    if fields.get("credit_note_number"):
        body += CREDIT_NOTE_LINE
    return subject.format(**fields), body.format(**fields)
