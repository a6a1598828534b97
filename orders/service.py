"""The orders service: placing orders and moving them through their life cycle.

Stock is reserved synchronously in `products`; the payment is authorized by events (the saga in
ARCHITECTURE.md) and captured per shipment (orders/after_sale_service.py). The rules are the
aggregate's (orders/domain/order.py): an entrypoint loads it, lets it decide, and writes what it
returns (orders/recording.py). Every state change and the event announcing it commit together
(outbox)."""

import logging
import uuid
from datetime import UTC, datetime
from functools import partial

from nameko.dependency_providers import Config
from nameko.timer import timer
from sqlalchemy.exc import IntegrityError

from contracts.events import (
    ORDER_CREATED,
    PAYMENT_AUTHORIZED,
    PAYMENT_FAILED,
    PAYMENT_REFUNDED,
    PAYMENT_VOIDED,
    PAYMENTS,
)
from contracts.orders import (
    CreateOrderSchema,
    HistoryEntrySchema,
    OrderQuerySchema,
    OrderSchema,
    ReasonSchema,
    UpdateOrderSchema,
)
from contracts.orders_operations import (
    CANCEL_ORDER,
    CREATE_ORDER,
    DELETE_ORDER,
    DELIVER_ORDER,
    GET_ORDER,
    GET_ORDER_HISTORY,
    HAS_OPEN_ORDERS,
    LIST_ORDERS,
    RESERVATIONS_IN_USE,
    SHIP_ORDER,
    SNAPSHOT_ORDERS,
    UPDATE_ORDER,
)
from contracts.payments import RefundKind
from orders import quotes, repository
from orders.after_sale_service import AfterSaleOperations
from orders.idempotency import request_hash
from orders.lifecycle import OrderStatus
from orders.metrics import observe_confirmation
from orders.models import HANDLER_TABLES, Base, Order, OutboxEvent
from orders.quote_service import QuoteOperations
from orders.recording import order_fields, publish, write
from plumbing.callers import rpc
from plumbing.db import Database
from plumbing.dead_letters import DeadLetterOperations
from plumbing.handlers import idempotent_handler
from plumbing.mesh_service import MeshService
from plumbing.metrics import Deadline
from plumbing.outbox import Outbox, OutboxRelay
from plumbing.rpc import RpcProxy
from plumbing.unit_of_work import UnitOfWork
from wire.access import ORDERS_FULFIL_SCOPE
from wire.errors import Conflict, Invalid, NotFound
from wire.pagination import DEFAULT_PAGE_SIZE, PageQuerySchema, PageRequest, paged
from wire.validation import load

log = logging.getLogger(__name__)
order_schema = OrderSchema()
history_schema = HistoryEntrySchema()
create_order_schema = CreateOrderSchema()  # built once: it runs for every order
EXPIRY_CHECK_SECONDS = 1
EXPIRY_BATCH = 100  # orders cancelled per tick at most
SYSTEM = "system"


class OrdersService(MeshService, AfterSaleOperations, QuoteOperations, OutboxRelay, DeadLetterOperations):
    """Entrypoints: those below, and from its bases: AfterSaleOperations (orders/after_sale_service.py)
    create_shipment, list_shipments, deliver_shipment, cancel_items, request_return, list_returns,
    approve_return, reject_return, receive_return and the timer finish_pending_shipments;
    QuoteOperations (orders/quote_service.py) create_quote, get_quote and the timer
    purge_expired_quotes; from
    plumbing/: MeshService ping and purge_bookkeeping, OutboxRelay relay_outbox,
    DeadLetterOperations list_dead_letters/replay_dead_letter/discard_dead_letter."""

    name = "orders"

    config = Config()
    db = Database(Base)
    outbox = Outbox(OutboxEvent)
    handler_tables = HANDLER_TABLES
    # A pending order past its reservation's expiry should have been cancelled within a second
    # (cancel_expired_orders): the alert's series (plumbing/metrics.py, ix_orders_pending_expiry).
    deadlines = {
        "pending_payment": Deadline(Order.reservation_expires_at, Order.status == OrderStatus.PENDING_PAYMENT)
    }
    products = RpcProxy("products")
    payments = RpcProxy("payments")  # capture_payment, per shipment

    @rpc(CREATE_ORDER, sensitive_arguments=("payload.payment_token",))
    def create_order(self, payload: dict, idempotency_key: str) -> dict:
        """Place an order for the calling user: {items: [{product_id, quantity}], shipping_address,
        payment_token}.

        Stock for every item is reserved in products (all or none) and prices are taken from
        there, or from the customer's quote (`quote_id`, orders/quotes.py), which the order then
        uses up; the order starts in pending_payment and `order_created` is published. The same
        idempotency key with the same body returns the same order; with another body, Invalid.
        Conflict (409) names the items short of stock, or a quote expired or used; Invalid (422)
        an unknown product, or a quote unknown or for other items."""
        actor = self.caller.actor
        if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 200:
            raise Invalid("An idempotency key of 1 to 200 characters is required.", {"idempotency_key": ["Required."]})
        data = load(create_order_schema, payload)
        body_hash = request_hash(data)
        with self.uow() as uow:
            existing = self._replay(uow, actor.id, idempotency_key, body_hash)
            if existing is not None:
                return existing

            order_id = str(uuid.uuid4())
            quote = data.get("quote_id") and self._quote_for(uow, data["quote_id"], actor.id, data["items"])
            reservation = self.products.reserve_stock(order_id, data["items"], self._reservation_ttl)
            try:
                if quote:
                    reservation = quotes.at_quoted_prices(reservation, quote)
                    quotes.mark_used(uow.session, quote, order_id)
                order, items = self._place(uow, order_id, actor.id, idempotency_key, body_hash, reservation, data)
                uow.commit()
            except IntegrityError:
                # Another request with the same key won the race: ours gives its stock back.
                uow.rollback()
                self.products.release_reservation(order_id)
                existing = self._replay(uow, actor.id, idempotency_key, body_hash)
                if existing is None:
                    raise
                return existing
            except Exception:
                # No order holds the stock: it goes back now, not when the reservation expires.
                self._release_unplaced(uow, order_id)
                raise
        return order_schema.dump(_with_items(order, items))

    def _place(self, uow, order_id, user_id, key, body_hash, reservation, data) -> tuple[Order, list[dict]]:
        """The order and its items as placed, with order_created added; the caller commits."""
        reason = repository.placed_reason(data.get("quote_id"))
        order, items = repository.place_order(
            uow.session, order_id, user_id, key, body_hash, reservation, data["shipping_address"], reason
        )
        uow.add_event(
            ORDER_CREATED,
            **order_fields(order, 1, order.status, repository.placed_entry(order, reason)),
            payment_token=data["payment_token"],
            pay_before=order.reservation_expires_at.isoformat(),
            items=[
                {"product_id": i["product_id"], "quantity": i["quantity"], "unit_price": str(i["unit_price"])}
                for i in items
            ],
            lines=[
                {key: i[key] for key in ("product_id", "sku", "name", "quantity")}
                | {"unit_price": str(i["unit_price"]), "line_total": str(i["line_total"])}
                for i in items
            ],
            shipping_address=order.shipping_address,
            placed_at=order.created_at.isoformat(),
        )
        return order, items

    def _release_unplaced(self, uow, order_id: str) -> None:
        """Release the reservation of an order that failed to be placed, unless the order was
        committed after all (a commit whose answer was lost). If that can't be told, the expiry
        sweep releases it."""
        try:
            uow.rollback()
            if repository.get(uow.session, order_id) is None:
                self.products.release_reservation(order_id)
        except Exception as exc:
            log.warning("stock of unplaced order %s left to products' expiry sweep: %r", order_id, exc)

    @rpc(GET_ORDER)
    def get_order(self, order_id: str) -> dict:
        """The order, for its owner, an admin or a client with orders:read (NotFound for anyone
        else)."""
        with self.uow() as uow:
            return order_schema.dump(repository.get_visible_order(uow.session, order_id, self.caller.actor))

    @rpc(LIST_ORDERS)
    def list_orders(self, query: dict | None = None) -> dict:
        """Newest first: a customer's own orders, all orders for an admin or a client with
        orders:read. query: {status, created_from, created_to (ISO 8601 with offset), page,
        page_size}."""
        query = load(OrderQuerySchema(), query or {})
        page = PageRequest(query.pop("page"), query.pop("page_size"))
        with self.uow() as uow:
            orders, total = repository.list_orders(uow.session, self.caller.actor, query, page)
            return paged(order_schema.dump(orders, many=True), page, total)

    @rpc(GET_ORDER_HISTORY)
    def get_order_history(self, order_id: str, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> dict:
        """The order's transitions, oldest first, a page of them: {items: [{from_status,
        to_status, at, actor, reason}], page, page_size, total}."""
        page = PageRequest(**load(PageQuerySchema(), {"page": page, "page_size": page_size}))
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, self.caller.actor)
            entries, total = repository.order_history(uow.session, order.id, page)
            return paged(history_schema.dump(entries, many=True), page, total)

    @rpc(UPDATE_ORDER)
    def update_order(self, order_id: str, changes: dict) -> dict:
        """Change the shipping address (owner or admin) while the order is not yet shipped."""
        changes = load(UpdateOrderSchema(), changes)
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, self.caller.actor, lock=True)
            change = repository.aggregate_of(uow.session, order, lines=False).change_address(
                changes["shipping_address"])
            order.shipping_address = changes["shipping_address"]
            write(uow, order, change)
            uow.commit()
        return order_schema.dump(order)

    @rpc(CANCEL_ORDER)
    def cancel_order(self, order_id: str, payload: dict | None = None) -> dict:
        """Cancel before anything ships (owner, admin or a client with orders:fulfil): the stock
        goes back, and the payment's authorization is voided (payments answers order_cancelled
        with payment_voided → refunded). IllegalMove (409) once a parcel left: cancel the
        remaining items instead (cancel_items)."""
        actor = self.caller.actor
        reason = load(ReasonSchema(), payload or {})["reason"] or "cancelled by request"
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, actor, lock=True, scope=ORDERS_FULFIL_SCOPE)
            self._cancel(uow, order, actor.id, reason, lines=True)
            uow.commit()
        return order_schema.dump(order)

    @rpc(SHIP_ORDER)
    def ship_order(self, order_id: str) -> dict:
        """Ship everything that remains in one parcel (admin, or a client with orders:fulfil):
        a shipment with carrier "unspecified" and no tracking number, its amount captured first
        (CaptureFailed, 409, if payments refuses; Unavailable while it can't answer)."""
        self.ship_everything_left(order_id)
        with self.uow() as uow:
            return order_schema.dump(repository.get(uow.session, order_id))

    @rpc(DELIVER_ORDER)
    def deliver_order(self, order_id: str) -> dict:
        """Mark every shipped parcel delivered (admin, or a client with orders:fulfil): a shipped
        order becomes delivered. IllegalMove (409) when nothing is on its way."""
        with self.uow() as uow:
            order = repository.get_visible_order(
                uow.session, order_id, self.caller.actor, lock=True, scope=ORDERS_FULFIL_SCOPE)
            self.deliver_everything(uow, order)
            uow.commit()
        return order_schema.dump(order)

    @rpc(DELETE_ORDER)
    def delete_order(self, order_id: str) -> None:
        """Delete a finished order (admin): delivered, refunded, or cancelled unpaid. Conflict
        while products has not committed a delivered order's stock yet (its order_confirmed is
        still on its way): gone from orders, the reservation would look orphaned to the sweep."""
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, self.caller.actor, lock=True)
            change = repository.aggregate_of(uow.session, order, lines=False).delete(order.paid)
            if order.status == OrderStatus.DELIVERED and self._reservation_status(order.id) == "held":
                raise Conflict("This order's stock is not settled in products yet; try again shortly.")
            publish(uow, order, change)  # the row goes: nothing of it to write
            uow.session.delete(order)
            uow.commit()

    @rpc(SNAPSHOT_ORDERS)
    def snapshot_orders(self, after: str | None = None, limit: int = 500) -> list:
        """Orders by id, after `after`, at most `limit` (≤ 1000): what the read side is rebuilt
        from (admin, or a client with orders:read). Each {id, user_id, status, total, currency,
        shipping_address, created_at, sequence, items, history (with each entry's sequence)}."""
        if (after is not None and not isinstance(after, str)) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise Invalid("after must be an order id and limit 1 to 1000.", {"limit": ["1 to 1000."]})
        with self.uow() as uow:
            return repository.snapshot_orders(uow.session, after, limit)

    @rpc(RESERVATIONS_IN_USE)
    def reservations_in_use(self, order_ids: list) -> list:
        """Of these order ids, those whose stock reservation must stay: orders pending payment,
        or paid and not cancelled (products' expiry sweep asks before releasing any; scope
        orders:reservations)."""
        if not isinstance(order_ids, list) or not all(isinstance(order_id, str) for order_id in order_ids):
            raise Invalid("order_ids must be a list of strings.", {"order_ids": ["Not a list of strings."]})
        with self.uow() as uow:
            return repository.reservations_in_use(uow.session, order_ids)

    @rpc(HAS_OPEN_ORDERS)
    def has_open_orders(self, product_id: str) -> bool:
        """Whether the product is in an order not yet delivered or cancelled (products asks
        before deleting one; scope orders:reservations)."""
        with self.uow() as uow:
            return repository.has_open_orders(uow.session, product_id)

    @idempotent_handler(PAYMENTS, PAYMENT_AUTHORIZED)
    def handle_payment_authorized(self, uow, event):
        """pending_payment → confirmed: the order's total is authorized (captured per shipment).
        order_confirmed carries the order's lines, shipping address and placement time; products
        commits the reserved stock when it reaches it (its expiry sweep keeps the reservation of
        an order in use meanwhile). An authorization for an order cancelled meanwhile changes
        nothing here: payments voids it on order_cancelled.

        An authorization that arrives after the reservation ran out is checked with products
        first: if the stock was released (by an admin's release_reservation, or by an orders
        older than the release-after-commit in `_cancel`), the order is cancelled instead, and
        payments voids it. Only such a late one asks products: the usual one confirms the order
        even while products is down."""
        found = repository.lock_with_lines(uow.session, event["order_id"])
        if found is None or found[0].status != OrderStatus.PENDING_PAYMENT:
            return
        order, lines = found
        if order.reservation_expires_at <= datetime.now(UTC) and self._reservation_status(order.id) != "held":
            self._cancel(uow, order, PAYMENTS, "paid after its reservation was released")
            return
        change = repository.aggregate_of(uow.session, order, lines=False).confirm(
            PAYMENTS, "payment authorized", datetime.now(UTC))
        write(uow, order, change, items=lines, shipping_address=order.shipping_address,
              placed_at=order.created_at.isoformat(), invoice_number=None)
        uow.after_commit(observe_confirmation(order.created_at))

    @idempotent_handler(PAYMENTS, PAYMENT_FAILED)
    def handle_payment_failed(self, uow, event):
        """pending_payment → cancelled; the reserved stock goes back."""
        order = repository.get(uow.session, event["order_id"], lock=True)
        if order is None or order.status != OrderStatus.PENDING_PAYMENT:
            return
        self._cancel(uow, order, PAYMENTS, f"payment failed: {event['reason']}")

    @idempotent_handler(PAYMENTS, PAYMENT_VOIDED)
    def handle_payment_voided(self, uow, event):
        """cancelled → refunded (order_refunded) once the cancelled order's money is back: its
        whole authorization voided (reference "order"), and nothing captured left unrefunded
        (an order captured before authorize/capture existed waits for its payment_refunded).
        A void of cancelled items (reference: the cancellation) changes nothing here."""
        if _money_is_back(event, whole=event["reference"] == "order"):
            self._mark_refunded(uow, event, "authorization voided")

    @idempotent_handler(PAYMENTS, PAYMENT_REFUNDED)
    def handle_payment_refunded(self, uow, event):
        """A cancellation's refund: cancelled → refunded (order_refunded) once the money is back.
        A return's or a goodwill refund: a history entry (status unchanged) that shows it, under
        the order's next sequence, announced by order_refund_recorded."""
        if event["kind"] == RefundKind.CANCELLATION:
            if _money_is_back(event, whole=True):
                self._mark_refunded(uow, event, "payment refunded")
            return
        order = repository.get(uow.session, event["order_id"], lock=True)
        if order is None:
            return
        what = f"return {event['reference']}" if event["kind"] == RefundKind.RETURN else (
            f"goodwill: {event['reason']}" if event["reason"] else "goodwill")
        refund = {key: event[key] for key in ("amount", "kind", "reference")}
        change = repository.aggregate_of(uow.session, order, lines=False).record_refund(
            refund, PAYMENTS, f"refunded {event['amount']} ({what})", datetime.now(UTC))
        write(uow, order, change)

    def _mark_refunded(self, uow: UnitOfWork, event: dict, reason: str) -> None:
        order = repository.get(uow.session, event["order_id"], lock=True)
        if order is None:
            return
        change = repository.aggregate_of(uow.session, order, lines=False).mark_refunded(
            PAYMENTS, reason, datetime.now(UTC))
        if change is not None:
            write(uow, order, change)

    @timer(interval=EXPIRY_CHECK_SECONDS)
    def cancel_expired_orders(self) -> None:
        """Cancel pending orders whose reservation ran out (their stock goes back). Safe with
        several instances: each order is locked by the one that cancels it."""
        for _ in range(EXPIRY_BATCH):
            # One order per transaction: its lock is held only while it is cancelled.
            with self.uow() as uow:
                order = repository.next_expired_order(uow.session, datetime.now(UTC))
                if order is None:
                    break
                self._cancel(uow, order, SYSTEM, "reservation expired")
                uow.commit()

    def _cancel(self, uow: UnitOfWork, order: Order, actor_id: str, reason: str, lines: bool = False) -> None:
        """Cancel the whole order and announce it; the caller commits (`lines`: load them, for an
        order that may have shipped something: the aggregate refuses it). The stock goes back
        once the cancellation has committed, never before: released first, a cancel that then
        rolled back (its reply lost, say) left an order a payment could still confirm without
        its stock. If products doesn't answer here, its handler of order_cancelled gives it back."""
        aggregate = repository.aggregate_of(uow.session, order, lines=lines)
        write(uow, order, aggregate.cancel(actor_id, reason, datetime.now(UTC)))
        uow.after_commit(partial(self._give_back, order.id))

    def _give_back(self, order_id: str) -> None:
        try:
            self.products.release_reservation(order_id)
        except Exception as exc:  # the commit stands; order_cancelled reaches products anyway
            log.warning("stock of cancelled order %s left to products' order_cancelled handler: %r", order_id, exc)

    def _replay(self, uow: UnitOfWork, user_id: str, key: str, body_hash: str) -> dict | None:
        existing = repository.find_by_idempotency_key(uow.session, user_id, key)
        if existing is None:
            return None
        if existing.request_hash != body_hash:
            raise Invalid(
                "This Idempotency-Key was used with another request body.", {"idempotency_key": ["Reused."]}
            )
        return order_schema.dump(existing)

    def _reservation_status(self, order_id: str) -> str | None:
        try:
            return self.products.get_reservation(order_id)["status"]
        except NotFound:
            return None

    @property
    def _reservation_ttl(self) -> int:
        return int(self.config["ORDER_RESERVATION_TTL_SECONDS"])


def _money_is_back(event: dict, whole: bool) -> bool:
    """Whether a payment event says none of the order's money is held any more. With the ledger
    it carries: nothing authorized left open, nothing captured left unrefunded; without it (an
    event from a payments older than the ledger), `whole`: the event released the whole order."""
    ledger = [event.get(name) for name in ("authorized", "captured", "refunded", "voided")]
    if None in ledger:
        return whole
    authorized, captured, refunded, voided = ledger
    return authorized - captured - voided <= 0 and captured - refunded <= 0


def _with_items(order: Order, items: list[dict]) -> dict:
    """A just-placed order as dumped, with the items it was placed with (not loaded again)."""
    return {**{column.key: getattr(order, column.key) for column in Order.__table__.columns}, "items": items}
