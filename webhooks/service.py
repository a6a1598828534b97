"""The webhooks service: delivers order, shipment, return, payment and invoice events to the
endpoints that subscribed to them, signed (Standard Webhooks), at least once, in order per order,
retried on a schedule, every attempt logged (webhooks/dispatcher.py)."""

import logging
from datetime import timedelta

from contracts.events import (
    CREDIT_NOTE_ISSUED,
    INVOICE_ISSUED,
    ORDER_ADDRESS_CHANGED,
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    ORDER_CREATED,
    ORDER_DELETED,
    ORDER_DELIVERED,
    ORDER_ITEMS_CANCELLED,
    ORDER_REFUND_RECORDED,
    ORDER_REFUNDED,
    ORDER_SHIPPED,
    ORDERS,
    PAYMENT_AUTHORIZED,
    PAYMENT_CAPTURED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENT_VOIDED,
    PAYMENTS,
    RETURN_APPROVED,
    RETURN_RECEIVED,
    RETURN_REJECTED,
    RETURN_REQUESTED,
    SHIPMENT_CREATED,
    SHIPMENT_DELIVERED,
)
from contracts.webhooks import (
    AttemptSchema,
    DeliveryQuerySchema,
    DeliverySchema,
    DeliveryWithAttemptsSchema,
    EndpointCreateSchema,
    EndpointSchema,
    EndpointUpdateSchema,
    EndpointWithSecretSchema,
    ReplaySchema,
    RotateSecretSchema,
)
from contracts.webhooks_operations import (
    CREATE_WEBHOOK,
    DELETE_WEBHOOK,
    GET_WEBHOOK,
    GET_WEBHOOK_DELIVERY,
    LIST_WEBHOOK_DELIVERIES,
    LIST_WEBHOOKS,
    REPLAY_WEBHOOK_FAILURES,
    RETRY_WEBHOOK_DELIVERY,
    ROTATE_WEBHOOK_SECRET,
    SEND_TEST_WEBHOOK,
    UPDATE_WEBHOOK,
)
from plumbing.callers import rpc
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.handlers import idempotent_handler
from plumbing.mesh_service import MeshService
from plumbing.retention import RetentionTimer
from webhooks import endpoints
from webhooks.addresses import RefusedUrl, check_url
from webhooks.dispatcher import Dispatcher
from webhooks.models import HANDLER_TABLES, Base, Endpoint, new_id
from webhooks.signing import new_secret
from wire.errors import Invalid
from wire.pagination import PageQuerySchema, PageRequest, paged
from wire.validation import load

log = logging.getLogger(__name__)

endpoint_schema = EndpointSchema()
endpoint_with_secret_schema = EndpointWithSecretSchema()
delivery_schema = DeliverySchema()
delivery_with_attempts_schema = DeliveryWithAttemptsSchema(exclude=("attempt_log",))
attempt_schema = AttemptSchema()
PURGE_BATCH = 1000
PURGE_MAX_BATCHES = 50


class WebhooksService(MeshService, DeadLetterOperations):
    """Entrypoints: those below, and from its bases (plumbing/): MeshService ping and
    purge_bookkeeping, DeadLetterOperations list_dead_letters/replay_dead_letter/discard_dead_letter.
    The deliveries are made by the `dispatcher`'s loop, not by an entrypoint."""

    name = "webhooks"

    db = Database(Base)
    handler_tables = HANDLER_TABLES
    dispatcher = Dispatcher()

    @idempotent_handler(ORDERS, ORDER_CREATED)
    def handle_order_created(self, uow, event: dict) -> None:
        """order_created: queued for every endpoint subscribed to `order.created`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, ORDER_CONFIRMED)
    def handle_order_confirmed(self, uow, event: dict) -> None:
        """order_confirmed: queued for every endpoint subscribed to `order.confirmed`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, ORDER_CANCELLED)
    def handle_order_cancelled(self, uow, event: dict) -> None:
        """order_cancelled: queued for every endpoint subscribed to `order.cancelled`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, ORDER_SHIPPED)
    def handle_order_shipped(self, uow, event: dict) -> None:
        """order_shipped: queued for every endpoint subscribed to `order.shipped`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, ORDER_DELIVERED)
    def handle_order_delivered(self, uow, event: dict) -> None:
        """order_delivered: queued for every endpoint subscribed to `order.delivered`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, ORDER_REFUNDED)
    def handle_order_refunded(self, uow, event: dict) -> None:
        """order_refunded: queued for every endpoint subscribed to `order.refunded`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, ORDER_REFUND_RECORDED)
    def handle_order_refund_recorded(self, uow, event: dict) -> None:
        """order_refund_recorded: queued for every endpoint subscribed to `order.refund_recorded`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, ORDER_ADDRESS_CHANGED)
    def handle_order_address_changed(self, uow, event: dict) -> None:
        """order_address_changed: queued for every endpoint subscribed to `order.address_changed`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, ORDER_DELETED)
    def handle_order_deleted(self, uow, event: dict) -> None:
        """order_deleted: queued for every endpoint subscribed to `order.deleted`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, ORDER_ITEMS_CANCELLED)
    def handle_order_items_cancelled(self, uow, event: dict) -> None:
        """order_items_cancelled: queued for every endpoint subscribed to `order.items_cancelled`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, SHIPMENT_CREATED)
    def handle_shipment_created(self, uow, event: dict) -> None:
        """shipment_created: queued for every endpoint subscribed to `shipment.created`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, SHIPMENT_DELIVERED)
    def handle_shipment_delivered(self, uow, event: dict) -> None:
        """shipment_delivered: queued for every endpoint subscribed to `shipment.delivered`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, RETURN_REQUESTED)
    def handle_return_requested(self, uow, event: dict) -> None:
        """return_requested: queued for every endpoint subscribed to `return.requested`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, RETURN_APPROVED)
    def handle_return_approved(self, uow, event: dict) -> None:
        """return_approved: queued for every endpoint subscribed to `return.approved`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, RETURN_REJECTED)
    def handle_return_rejected(self, uow, event: dict) -> None:
        """return_rejected: queued for every endpoint subscribed to `return.rejected`."""
        self._enqueue(uow, event)

    @idempotent_handler(ORDERS, RETURN_RECEIVED)
    def handle_return_received(self, uow, event: dict) -> None:
        """return_received: queued for every endpoint subscribed to `return.received`."""
        self._enqueue(uow, event)

    @idempotent_handler(PAYMENTS, PAYMENT_AUTHORIZED)
    def handle_payment_authorized(self, uow, event: dict) -> None:
        """payment_authorized: queued for every endpoint subscribed to `payment.authorized`."""
        self._enqueue(uow, event)

    @idempotent_handler(PAYMENTS, PAYMENT_FAILED)
    def handle_payment_failed(self, uow, event: dict) -> None:
        """payment_failed: queued for every endpoint subscribed to `payment.failed`."""
        self._enqueue(uow, event)

    @idempotent_handler(PAYMENTS, PAYMENT_CAPTURED)
    def handle_payment_captured(self, uow, event: dict) -> None:
        """payment_captured: queued for every endpoint subscribed to `payment.captured`."""
        self._enqueue(uow, event)

    @idempotent_handler(PAYMENTS, PAYMENT_VOIDED)
    def handle_payment_voided(self, uow, event: dict) -> None:
        """payment_voided: queued for every endpoint subscribed to `payment.voided`."""
        self._enqueue(uow, event)

    @idempotent_handler(PAYMENTS, PAYMENT_REFUNDED)
    def handle_payment_refunded(self, uow, event: dict) -> None:
        """payment_refunded: queued for every endpoint subscribed to `payment.refunded`."""
        self._enqueue(uow, event)

    @idempotent_handler(PAYMENTS, INVOICE_ISSUED)
    def handle_invoice_issued(self, uow, event: dict) -> None:
        """invoice_issued: queued for every endpoint subscribed to `invoice.issued`."""
        self._enqueue(uow, event)

    @idempotent_handler(PAYMENTS, CREDIT_NOTE_ISSUED)
    def handle_credit_note_issued(self, uow, event: dict) -> None:
        """credit_note_issued: queued for every endpoint subscribed to `credit_note.issued`."""
        self._enqueue(uow, event)

    def _enqueue(self, uow, event: dict) -> None:
        if endpoints.enqueue(uow.session, event):
            uow.after_commit(self.dispatcher.wake)

    @rpc(CREATE_WEBHOOK)
    def create_endpoint(self, fields: dict) -> dict:
        """Register an endpoint: {url, event_types, description, enabled}; the answer holds its
        secret, the only time it is shown. Invalid for a URL that may not receive webhooks."""
        fields = load(EndpointCreateSchema(), fields)
        self._check_url(fields["url"])
        with self.uow() as uow:
            endpoint = Endpoint(id=new_id(), secret=new_secret(), **fields)
            uow.session.add(endpoint)
            uow.session.flush()
            uow.commit()
        return endpoint_with_secret_schema.dump(endpoint)

    @rpc(LIST_WEBHOOKS)
    def list_endpoints(self, page: int = 1, page_size: int = 20) -> dict:
        """Every endpoint, oldest first: {items, page, page_size, total}."""
        page = PageRequest(**load(PageQuerySchema(), {"page": page, "page_size": page_size}))
        with self.uow() as uow:
            items, total = endpoints.list_page(uow.session, page)
            return paged(endpoint_schema.dump(items, many=True), page, total)

    @rpc(GET_WEBHOOK)
    def get_endpoint(self, endpoint_id: str) -> dict:
        """One endpoint (NotFound)."""
        with self.uow() as uow:
            return endpoint_schema.dump(endpoints.get(uow.session, endpoint_id))

    @rpc(UPDATE_WEBHOOK)
    def update_endpoint(self, endpoint_id: str, fields: dict) -> dict:
        """Change url, event_types, description or enabled. Enabling clears the record of failures."""
        fields = load(EndpointUpdateSchema(), fields)
        if not fields:
            raise Invalid("Nothing to change.")
        if "url" in fields:
            self._check_url(fields["url"])
        with self.uow() as uow:
            endpoint = endpoints.get(uow.session, endpoint_id, lock=True)
            if fields.get("enabled") and not endpoint.enabled:
                endpoint.failing_since, endpoint.disabled_reason = None, None
            for name, value in fields.items():
                setattr(endpoint, name, value)
            uow.after_commit(self.dispatcher.wake)
            uow.commit()
        return endpoint_schema.dump(endpoint)

    @rpc(DELETE_WEBHOOK)
    def delete_endpoint(self, endpoint_id: str) -> None:
        """Delete an endpoint with its deliveries and their attempts (NotFound)."""
        with self.uow() as uow:
            uow.session.delete(endpoints.get(uow.session, endpoint_id, lock=True))
            uow.commit()

    @rpc(ROTATE_WEBHOOK_SECRET)
    def rotate_secret(self, endpoint_id: str, fields: dict | None = None) -> dict:
        """A new secret, shown once; the old one signs too for grace_seconds (default a day)."""
        fields = load(RotateSecretSchema(), fields or {})
        with self.uow() as uow:
            endpoint = endpoints.get(uow.session, endpoint_id, lock=True)
            endpoints.rotate(endpoint, new_secret(), timedelta(seconds=fields["grace_seconds"]))
            uow.commit()
        return endpoint_with_secret_schema.dump(endpoint)

    @rpc(SEND_TEST_WEBHOOK)
    def send_test_event(self, endpoint_id: str) -> dict:
        """Queue a webhook.test event for the endpoint; its delivery."""
        with self.uow() as uow:
            delivery = endpoints.enqueue_test(uow.session, endpoints.get(uow.session, endpoint_id))
            uow.after_commit(self.dispatcher.wake)
            uow.commit()
        return delivery_schema.dump(delivery)

    @rpc(LIST_WEBHOOK_DELIVERIES)
    def list_deliveries(self, endpoint_id: str, query: dict | None = None) -> dict:
        """The endpoint's deliveries, newest first, filtered by status, event_type, order_id."""
        query = load(DeliveryQuerySchema(), query or {})
        page = PageRequest(query.pop("page"), query.pop("page_size"))
        with self.uow() as uow:
            endpoints.get(uow.session, endpoint_id)
            items, total = endpoints.deliveries_page(uow.session, endpoint_id, page, **query)
            return paged(delivery_schema.dump(items, many=True), page, total)

    @rpc(GET_WEBHOOK_DELIVERY)
    def get_delivery(self, endpoint_id: str, delivery_id: str) -> dict:
        """One delivery with its attempts, oldest first (NotFound)."""
        with self.uow() as uow:
            delivery = endpoints.get_delivery(uow.session, endpoint_id, delivery_id)
            attempts = endpoints.attempts_of(uow.session, delivery_id)
            return {**delivery_with_attempts_schema.dump(delivery),
                    "attempt_log": attempt_schema.dump(attempts, many=True)}

    @rpc(RETRY_WEBHOOK_DELIVERY)
    def retry_delivery(self, endpoint_id: str, delivery_id: str) -> dict:
        """Attempt a pending or failed delivery now, with a fresh schedule (Conflict if it succeeded)."""
        with self.uow() as uow:
            delivery = endpoints.get_delivery(uow.session, endpoint_id, delivery_id, lock=True)
            endpoints.retry(delivery)
            uow.after_commit(self.dispatcher.wake)
            uow.commit()
        return delivery_schema.dump(delivery)

    @rpc(REPLAY_WEBHOOK_FAILURES)
    def replay_failed(self, endpoint_id: str, fields: dict) -> dict:
        """Every failed delivery of the endpoint created since `since` pending again: {replayed}."""
        fields = load(ReplaySchema(), fields)
        with self.uow() as uow:
            endpoints.get(uow.session, endpoint_id)
            replayed = endpoints.replay_failed(uow.session, endpoint_id, fields["since"])
            uow.after_commit(self.dispatcher.wake)
            uow.commit()
        return {"replayed": replayed}

    @RetentionTimer.decorator(interval=60)
    def purge_delivery_log(self) -> None:
        """Delete finished deliveries, and their attempts, older than WEBHOOKS.LOG_RETENTION_DAYS."""
        days = self.dispatcher.settings.log_retention_days
        deleted = 0
        for _ in range(PURGE_MAX_BATCHES):
            with self.uow() as uow:
                count = endpoints.purge_log(uow.session, days, PURGE_BATCH)
                uow.commit()
            deleted += count
            if count < PURGE_BATCH:
                break
        if deleted:
            log.info("webhooks: deleted %d finished deliveries older than %g days", deleted, days)

    def _check_url(self, url: str) -> None:
        try:
            check_url(url, self.dispatcher.settings.production)
        except RefusedUrl as exc:
            raise Invalid(str(exc), errors={"url": [str(exc)]}) from exc
