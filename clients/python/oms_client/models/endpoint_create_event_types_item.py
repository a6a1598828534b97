from enum import StrEnum


class EndpointCreateEventTypesItem(StrEnum):
    CREDIT_NOTE = "credit_note.*"
    CREDIT_NOTE_ISSUED = "credit_note.issued"
    INVOICE = "invoice.*"
    INVOICE_ISSUED = "invoice.issued"
    ORDER = "order.*"
    ORDER_ADDRESS_CHANGED = "order.address_changed"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_CONFIRMED = "order.confirmed"
    ORDER_CREATED = "order.created"
    ORDER_DELETED = "order.deleted"
    ORDER_DELIVERED = "order.delivered"
    ORDER_ITEMS_CANCELLED = "order.items_cancelled"
    ORDER_REFUNDED = "order.refunded"
    ORDER_REFUND_RECORDED = "order.refund_recorded"
    ORDER_SHIPPED = "order.shipped"
    PAYMENT = "payment.*"
    PAYMENT_AUTHORIZED = "payment.authorized"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_REFUNDED = "payment.refunded"
    PAYMENT_VOIDED = "payment.voided"
    RETURN = "return.*"
    RETURN_APPROVED = "return.approved"
    RETURN_RECEIVED = "return.received"
    RETURN_REJECTED = "return.rejected"
    RETURN_REQUESTED = "return.requested"
    SHIPMENT = "shipment.*"
    SHIPMENT_CREATED = "shipment.created"
    SHIPMENT_DELIVERED = "shipment.delivered"
    VALUE_31 = "*"
    WEBHOOK = "webhook.*"
    WEBHOOK_TEST = "webhook.test"

    def __str__(self) -> str:
        return str(self.value)
