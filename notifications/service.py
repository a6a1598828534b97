"""The notifications service: tells users what happened to their account and orders."""

import base64
import logging

from contracts.events import (
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    ORDER_SHIPPED,
    ORDERS,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENTS,
    SHIPMENT_CREATED,
    USER_REGISTERED,
    USERS,
)
from contracts.notifications import NotificationSchema
from contracts.notifications_operations import (
    LIST_NOTIFICATIONS,
)
from notifications import deliveries
from notifications.channels import Attachment, Channel
from notifications.models import HANDLER_TABLES, Base
from plumbing.callers import rpc
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.handlers import idempotent_handler
from plumbing.mesh_service import MeshService
from plumbing.rpc import RpcProxy
from wire.errors import NotFound
from wire.pagination import PageQuerySchema, PageRequest, paged
from wire.validation import load

log = logging.getLogger(__name__)

notification_schema = NotificationSchema()


class NotificationsService(MeshService, DeadLetterOperations):
    """Entrypoints: those below, and from its bases (plumbing/): MeshService ping and
    purge_bookkeeping, DeadLetterOperations list_dead_letters/replay_dead_letter/discard_dead_letter."""

    name = "notifications"

    db = Database(Base)
    handler_tables = HANDLER_TABLES
    channel = Channel()
    payments = RpcProxy("payments")  # the PDFs to attach, with the client scope invoices:read

    @idempotent_handler(USERS, USER_REGISTERED)
    def handle_user_registered(self, uow, event: dict) -> None:
        """user_registered: remember the user's address and name, then send a welcome."""
        deliveries.remember_recipient(uow.session, event["user_id"], event["email"], event["name"])
        deliveries.notify(uow.session, self.channel, USER_REGISTERED, event)

    @idempotent_handler(ORDERS, ORDER_CONFIRMED)
    def handle_order_confirmed(self, uow, event: dict) -> None:
        """order_confirmed: tell the owner its order's payment is authorized and the order
        confirmed. Nothing is attached: invoices come with the captures, one per shipment (an
        order confirmed before that had its invoice named here; it is not mailed again)."""
        deliveries.notify(uow.session, self.channel, ORDER_CONFIRMED, event)

    @idempotent_handler(ORDERS, SHIPMENT_CREATED)
    def handle_shipment_created(self, uow, event: dict) -> None:
        """shipment_created: tell the owner a parcel left (its items, carrier, tracking number,
        the amount captured for it), with the parcel's invoice attached (the one the event
        names)."""
        documents = lambda: self._documents(event)  # noqa: E731 (fetched only if mailed)
        deliveries.notify(uow.session, self.channel, SHIPMENT_CREATED, event, documents)

    @idempotent_handler(ORDERS, ORDER_CANCELLED)
    def handle_order_cancelled(self, uow, event: dict) -> None:
        """order_cancelled: tell the owner its order was cancelled, and why."""
        deliveries.notify(uow.session, self.channel, ORDER_CANCELLED, event)

    @idempotent_handler(ORDERS, ORDER_SHIPPED)
    def handle_order_shipped(self, uow, event: dict) -> None:
        """order_shipped: tell the owner every item of its order is on its way (each parcel had
        its own mail, on shipment_created)."""
        deliveries.notify(uow.session, self.channel, ORDER_SHIPPED, event)

    @idempotent_handler(PAYMENTS, PAYMENT_FAILED)
    def handle_payment_failed(self, uow, event: dict) -> None:
        """payment_failed: tell the owner the payment was declined, and why."""
        deliveries.notify(uow.session, self.channel, PAYMENT_FAILED, event)

    @idempotent_handler(PAYMENTS, PAYMENT_REFUNDED)
    def handle_payment_refunded(self, uow, event: dict) -> None:
        """payment_refunded: tell the owner how much was refunded and what for (kind: cancellation,
        return, goodwill), with the credit note the event names attached (none when the order had
        no invoice)."""
        deliveries.notify(uow.session, self.channel, PAYMENT_REFUNDED, event, lambda: self._documents(event))

    @rpc(LIST_NOTIFICATIONS)
    def list_notifications(self, user_id: str, page: int = 1, page_size: int = 20) -> dict:
        """A user's notifications, newest first: {items, page, page_size, total}; each item
        {id, user_id, event, channel, subject, body, created_at}. A customer sees only its own
        (NotFound for another user's); an admin sees anyone's."""
        page = PageRequest(**load(PageQuerySchema(), {"page": page, "page_size": page_size}))
        if not isinstance(user_id, str) or not self.caller.actor.acts_for(user_id):
            raise NotFound("No such user.")
        with self.uow() as uow:
            items, total = deliveries.list_notifications(uow.session, user_id, page)
            return paged(notification_schema.dump(items, many=True), page, total)

    def _documents(self, event: dict) -> list[Attachment]:
        """The PDFs of the invoice and credit note `event` names, asked of payments by number (an
        order has an invoice per parcel and a credit note per refund). One payments doesn't know
        is logged and left out: the mail still goes."""
        attachments = []
        for number, fetch in ((event.get("invoice_number"), self.payments.get_invoice_pdf),
                              (event.get("credit_note_number"), self.payments.get_credit_note_pdf)):
            if not number:
                continue
            try:
                pdf = fetch(event["order_id"], number)
            except NotFound:
                log.warning("order %s: payments has no document %s to attach", event["order_id"], number)
                continue
            attachments.append(Attachment(pdf["filename"], base64.b64decode(pdf["content"])))
        return attachments
