"""The order_queries service: the read side of orders, one denormalised view per order, kept
current by the events of orders, payments and users, and rebuildable from them.

It has its own process, database and broker user, and imports nothing of the services it
reads from but their event contracts: the gateway's GraphQL and exports read it, never the
command side."""

from functools import partial

from nameko.dependency_providers import Config
from sqlalchemy import func, select

from contracts.events import (
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
    USER_REGISTERED,
    USER_UPDATED,
    USERS,
)
from contracts.order_queries import ExportPageSchema, OrderPageSchema
from contracts.order_queries_operations import (
    EXPORT_ORDERS,
    GET_ORDER_VIEWS,
    LIST_ORDER_VIEWS,
    READ_MODEL_LAG,
)
from order_queries import after_sale, projection, queries
from order_queries.lag import Lag
from order_queries.models import HANDLER_TABLES, Base, OrderView
from plumbing.callers import rpc
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.handlers import idempotent_handler
from plumbing.mesh_service import MeshService
from wire.errors import Invalid
from wire.validation import load

MAX_IDS = 100


class OrderQueriesService(MeshService, DeadLetterOperations):
    """Entrypoints: those below, and from its bases (plumbing/): MeshService ping and
    purge_bookkeeping, DeadLetterOperations list_dead_letters/replay_dead_letter/discard_dead_letter."""

    name = "order_queries"

    config = Config()
    db = Database(Base)
    handler_tables = HANDLER_TABLES
    lag_tracker = Lag()

    # --- queries ---------------------------------------------------------------------------

    @rpc(GET_ORDER_VIEWS)
    def get_orders(self, order_ids: list) -> list:
        """The views of these orders (at most 100) that the caller may see, in no particular
        order: a customer only its own, an admin or a client with orders:read any. Each:
        {id, user_id, status, items, total, currency, shipping_address, created_at, updated_at,
        sequence, history, payment, customer, cursor}."""
        if (
            not isinstance(order_ids, list)
            or len(order_ids) > MAX_IDS
            or not all(isinstance(each, str) and len(each) <= 36 for each in order_ids)
        ):
            raise Invalid("order_ids must be a list of at most 100 order ids.", {"order_ids": ["Invalid."]})
        with self.uow() as uow:
            return queries.get_orders(uow.session, self.caller.actor, order_ids)

    @rpc(LIST_ORDER_VIEWS)
    def list_orders(self, page: dict | None = None) -> dict:
        """Newest first, a page of the views the caller may see (a customer: its own, whatever
        it asks): page {filter: {status, created_from, created_to, min_total, max_total,
        customer_email (admin or orders:read only)}, first or last (≤ 100; neither: first 20),
        after and/or before (cursors: forwards is `first` after `after`, backwards `last`
        before `before`), with_total, mine (only the caller's own, an admin's too)}.
        Answers {items, start_cursor, end_cursor, has_next_page, has_previous_page (next is
        older), total_count (null unless with_total)}."""
        return self._page(OrderPageSchema(), page)

    @rpc(EXPORT_ORDERS)
    def export_orders(self, page: dict | None = None) -> dict:
        """`list_orders` for an export: pages of up to 1000 (admin, or a client with orders:read)."""
        return self._page(ExportPageSchema(), page)

    @rpc(READ_MODEL_LAG)
    def lag(self) -> dict:
        """How far behind the views are: {lag_ms, queued, last_event_at} (order_queries/lag.py)."""
        with self.uow() as uow:
            self.lag_tracker.remember_if_unknown(uow.session.scalar(select(func.max(OrderView.updated_at))))
        return self.lag_tracker.report()

    def _page(self, schema, page: dict | None) -> dict:
        data = load(schema, page or {})
        with self.uow() as uow:
            return queries.list_orders(uow.session, self.caller.actor, data["filter"], data,
                                       with_total=data["with_total"], mine=data["mine"])

    # --- the projection --------------------------------------------------------------------

    @idempotent_handler(ORDERS, ORDER_CREATED)
    def handle_order_created(self, uow, event):
        """order_created: the view's lines, total, address and placement time (and status, unless
        a newer event came first)."""
        self._order_event(uow, event)

    @idempotent_handler(ORDERS, ORDER_CONFIRMED)
    def handle_order_confirmed(self, uow, event):
        """order_confirmed: status confirmed, and its history entry."""
        self._order_event(uow, event)

    @idempotent_handler(ORDERS, ORDER_CANCELLED)
    def handle_order_cancelled(self, uow, event):
        """order_cancelled: status cancelled, and its history entry."""
        self._order_event(uow, event)

    @idempotent_handler(ORDERS, ORDER_SHIPPED)
    def handle_order_shipped(self, uow, event):
        """order_shipped: status shipped, and its history entry."""
        self._order_event(uow, event)

    @idempotent_handler(ORDERS, ORDER_DELIVERED)
    def handle_order_delivered(self, uow, event):
        """order_delivered: status delivered, and its history entry."""
        self._order_event(uow, event)

    @idempotent_handler(ORDERS, ORDER_REFUNDED)
    def handle_order_refunded(self, uow, event):
        """order_refunded: status refunded, and its history entry."""
        self._order_event(uow, event)

    @idempotent_handler(ORDERS, ORDER_REFUND_RECORDED)
    def handle_order_refund_recorded(self, uow, event):
        """order_refund_recorded: a return's or goodwill refund's history entry (the amount itself
        comes with payment_refunded)."""
        self._order_event(uow, event)

    @idempotent_handler(ORDERS, ORDER_ADDRESS_CHANGED)
    def handle_order_address_changed(self, uow, event):
        """order_address_changed: the new shipping address, unless a newer one is there."""
        self._order_event(uow, event)

    @idempotent_handler(ORDERS, ORDER_DELETED)
    def handle_order_deleted(self, uow, event):
        """order_deleted: the view is no longer shown (kept as a tombstone, so a late event
        cannot bring it back)."""
        self._order_event(uow, event, deleted=True)

    @idempotent_handler(ORDERS, ORDER_ITEMS_CANCELLED)
    def handle_order_items_cancelled(self, uow, event):
        """order_items_cancelled: the cancelled units of its lines (and the status it left)."""
        projection.apply_after_sale_event(uow.session, "cancellations", event["cancellation_id"],
                                          after_sale.cancellation_patch(event), event)
        self._applied(uow, event)

    @idempotent_handler(ORDERS, SHIPMENT_CREATED)
    def handle_shipment_created(self, uow, event):
        """shipment_created: the parcel (items, amount, carrier, tracking number, shipped_at)."""
        self._shipment_event(uow, event)

    @idempotent_handler(ORDERS, SHIPMENT_DELIVERED)
    def handle_shipment_delivered(self, uow, event):
        """shipment_delivered: the parcel is delivered (delivered_at)."""
        self._shipment_event(uow, event)

    @idempotent_handler(ORDERS, RETURN_REQUESTED)
    def handle_return_requested(self, uow, event):
        """return_requested: the return and its lines as requested."""
        self._return_event(uow, event)

    @idempotent_handler(ORDERS, RETURN_APPROVED)
    def handle_return_approved(self, uow, event):
        """return_approved: the return's status approved, unless a newer step is there."""
        self._return_event(uow, event)

    @idempotent_handler(ORDERS, RETURN_REJECTED)
    def handle_return_rejected(self, uow, event):
        """return_rejected: the return's status rejected, unless a newer step is there."""
        self._return_event(uow, event)

    @idempotent_handler(ORDERS, RETURN_RECEIVED)
    def handle_return_received(self, uow, event):
        """return_received: the units received per line and the refund amount; status received."""
        self._return_event(uow, event)

    @idempotent_handler(PAYMENTS, PAYMENT_AUTHORIZED)
    def handle_payment_authorized(self, uow, event):
        """payment_authorized: the payment, its ledger and the authorize operation."""
        self._payment_event(uow, event, "authorize", event["order_id"])

    @idempotent_handler(PAYMENTS, PAYMENT_FAILED)
    def handle_payment_failed(self, uow, event):
        """payment_failed: status failed, and the failed authorize operation."""
        self._payment_event(uow, event, "authorize", event["order_id"], status="failed",
                            failure_reason=event["reason"])

    @idempotent_handler(PAYMENTS, PAYMENT_CAPTURED)
    def handle_payment_captured(self, uow, event):
        """payment_captured: the ledger after a shipment's capture, and the capture operation."""
        self._payment_event(uow, event, "capture", event["shipment_id"])

    @idempotent_handler(PAYMENTS, PAYMENT_VOIDED)
    def handle_payment_voided(self, uow, event):
        """payment_voided: the ledger after a void, and the void operation."""
        self._payment_event(uow, event, "void", event["reference"])

    @idempotent_handler(PAYMENTS, PAYMENT_REFUNDED)
    def handle_payment_refunded(self, uow, event):
        """payment_refunded: the ledger after a refund, and the refund operation (never undone by
        an older event: ledger_version)."""
        self._payment_event(uow, event, "refund", event.get("reference") or event["kind"])

    @idempotent_handler(USERS, USER_REGISTERED)
    def handle_user_registered(self, uow, event):
        """user_registered: the customer's email and name."""
        self._customer_event(uow, event)

    @idempotent_handler(USERS, USER_UPDATED)
    def handle_user_updated(self, uow, event):
        """user_updated: the customer's new email and name, unless a newer change is there."""
        self._customer_event(uow, event)

    def _order_event(self, uow, event, deleted: bool = False):
        projection.apply_order_event(uow.session, event, deleted=deleted)
        self._applied(uow, event)

    def _shipment_event(self, uow, event):
        projection.apply_after_sale_event(uow.session, "shipments", event["shipment_id"],
                                          after_sale.shipment_patch(event), event)
        self._applied(uow, event)

    def _return_event(self, uow, event):
        projection.apply_after_sale_event(uow.session, "returns", event["return_id"],
                                          after_sale.return_patch(event), event)
        self._applied(uow, event)

    def _payment_event(self, uow, event, kind: str, reference: str, status: str = "succeeded",
                       failure_reason: str | None = None):
        operation = {"type": kind, "amount": None if event.get("amount") is None else str(event["amount"]),
                     "status": status, "reference": reference, "failure_reason": failure_reason,
                     "at": event["occurred_at"]}
        projection.apply_payment_event(uow.session, event, operation)
        self._applied(uow, event)

    def _customer_event(self, uow, event):
        projection.apply_customer(uow.session, event["user_id"], event["email"].lower(), event["name"],
                                  event["occurred_at"])
        self._applied(uow, event)

    def _applied(self, uow, event):
        """Once the handler's transaction committed: the lag counts applied events only."""
        uow.after_commit(partial(self.lag_tracker.applied, event["occurred_at"]))
