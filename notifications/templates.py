"""Subject and body of each notification, per event type.

Fields come from the event payload plus `name` (the recipient's, or "there" when unknown)."""

from contracts.events import (
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    ORDER_SHIPPED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    SHIPMENT_CREATED,
    USER_REGISTERED,
)

TEMPLATES: dict[str, tuple[str, str]] = {
    USER_REGISTERED: (
        "Welcome to OMS, {name}",
        "Hello {name},\n\nyour account {email} is ready. Happy shopping!\n",
    ),
    # The card is authorized at confirmation and charged parcel by parcel: no invoice yet.
    ORDER_CONFIRMED: (
        "Order {order_id} confirmed",
        "Hello {name},\n\nwe authorized {total} {currency} on your card; order {order_id} is confirmed.\n"
        "You are charged for each parcel as it ships.\n",
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
    SHIPMENT_CREATED: (
        "A parcel of order {order_id} is on its way",
        "Hello {name},\n\na parcel of order {order_id} left with {carrier}, tracking number {tracking_number}:\n"
        "{parcel}\nWe charged {amount} {currency} for it.\n",
    ),
    ORDER_SHIPPED: (
        "Order {order_id} shipped",
        "Hello {name},\n\nevery item of order {order_id} is on its way.\n",
    ),
    PAYMENT_REFUNDED: (
        "Refund for order {order_id}",
        "Hello {name},\n\nwe refunded {amount} {currency} for order {order_id}: {refunded_for}.\n",
    ),
}

# What a refund was for, by payment_refunded's kind.
REFUND_KINDS = {
    "cancellation": "the order was cancelled",
    "return": "we received the items you sent back",
    "goodwill": "a goodwill refund",
}
NO_TRACKING = "none given"

# Added to a message whose event names the document it comes with (attached when payments can
# give that one: notifications/service.py).
DOCUMENT_LINES = {
    SHIPMENT_CREATED: ("invoice_number", "Invoice {invoice_number} is for this parcel.\n"),
    PAYMENT_REFUNDED: ("credit_note_number", "Credit note {credit_note_number} records the refund.\n"),
}


def render(event_type: str, event: dict, name: str | None) -> tuple[str, str]:
    """(subject, body) for an event; KeyError for an event type without a template."""
    subject, body = TEMPLATES[event_type]
    fields = {**event, "name": name or "there"}
    if fields.get("reason") is not None:
        fields["reason"] = str(fields["reason"]).replace("_", " ")
    if event_type == SHIPMENT_CREATED:
        fields["tracking_number"] = fields["tracking_number"] or NO_TRACKING
        fields["parcel"] = "".join(f"  {item['quantity']} × {item['name']}\n" for item in fields["items"])
    if event_type == PAYMENT_REFUNDED:
        fields["refunded_for"] = REFUND_KINDS[fields["kind"]]
        if fields["kind"] == "goodwill" and fields.get("reason"):
            fields["refunded_for"] += f" ({fields['reason']})"
    document_field, line = DOCUMENT_LINES.get(event_type, (None, ""))
    if document_field and fields.get(document_field):
        body += line
    return subject.format(**fields), body.format(**fields)
