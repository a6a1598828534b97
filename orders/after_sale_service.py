"""The orders service after the sale: shipments (each captured by payments before it counts),
line cancellation and returns. A mixin of OrdersService (orders/service.py), which provides
`uow`, `caller`, `config`, the `payments` peer and `_give_back` (stock of a cancelled order).

A shipment takes four steps (AFTERSALE.md, Shipments): (1) in one transaction the order is locked,
the aggregate takes the units and the shipment is recorded `capturing`; (2) payments captures its
amount, outside any transaction; (3) in another, the shipment becomes shipped (events) or failed
(units given back, CaptureFailed). (4) If payments can't answer in (2), the caller gets a 503 and
the shipment stays capturing: `finish_pending_shipments` retries it later, as does a replay of
its Idempotency-Key. Every other admin action is idempotent through order_actions: a replay of its
key answers what the first call answered."""

import logging
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

from nameko.timer import timer

from contracts.orders import (
    CancelItemsSchema,
    CreateShipmentSchema,
    OrderSchema,
    OrderStatus,
    ReasonSchema,
    ReceiveReturnSchema,
    RequestReturnSchema,
    ReturnSchema,
    ShipmentSchema,
    ShipmentStatus,
)
from contracts.orders_operations import (
    APPROVE_RETURN,
    CANCEL_ITEMS,
    CREATE_SHIPMENT,
    DELIVER_SHIPMENT,
    LIST_RETURNS,
    LIST_SHIPMENTS,
    RECEIVE_RETURN,
    REJECT_RETURN,
    REQUEST_RETURN,
)
from contracts.payments import CaptureFailed
from orders import after_sale_repository as store
from orders import repository
from orders.idempotency import request_hash
from orders.models import Order, Shipment
from orders.recording import write
from plumbing.callers import rpc
from plumbing.unit_of_work import UnitOfWork
from wire.access import ORDERS_FULFIL_SCOPE
from wire.errors import Conflict, Invalid, NotFound
from wire.validation import load

log = logging.getLogger(__name__)
shipment_schema, return_schema, order_schema = ShipmentSchema(), ReturnSchema(), OrderSchema()
PENDING_CAPTURE_CHECK_SECONDS = 5
# A capture asked this long ago without an answer is asked again (the timer's, or a replay's).
CAPTURE_RETRY_AFTER = timedelta(seconds=30)
PENDING_CAPTURE_BATCH = 20
SHIP_EVERYTHING_CARRIER = "unspecified"
SYSTEM = "system"


class AfterSaleOperations:
    """Entrypoints: create_shipment, list_shipments, deliver_shipment, cancel_items,
    request_return, list_returns, approve_return, reject_return, receive_return; the timer
    finish_pending_shipments."""

    NEEDS = ("uow", "caller", "config", "payments", "_give_back")

    @rpc(CREATE_SHIPMENT)
    def create_shipment(self, order_id: str, payload: dict, idempotency_key: str) -> dict:
        """Ship some lines of a confirmed or partially shipped order in one parcel: {items:
        [{product_id, quantity}], carrier, tracking_number} (admin, or a client with
        orders:fulfil). Its amount is captured by payments first; then shipment_created (and
        order_shipped once nothing remains) is published. NotEnoughToShip (409) names a line
        asked beyond what remains; CaptureFailed (409) when payments refuses the capture;
        Unavailable (503) while it can't answer (the shipment completes later by itself, or on a
        replay). The same key with the same body answers the same shipment; another body, Invalid."""
        actor = self.caller.actor
        _check_key(idempotency_key)
        data = load(CreateShipmentSchema(), payload)
        body_hash = request_hash(data)
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, actor, lock=True, scope=ORDERS_FULFIL_SCOPE)
            row = store.shipment_by_key(uow.session, order.id, idempotency_key)
            if row is None:
                aggregate = repository.aggregate_of(uow.session, order)
                row = self._take(uow, order, aggregate, data["items"], data["carrier"], data["tracking_number"],
                                 idempotency_key, body_hash)
            elif row.request_hash != body_hash:
                raise _key_reused()
            shipment_id = row.id
            uow.commit()
        return shipment_schema.dump(self._finish_shipment(order.id, shipment_id, actor.id))

    def ship_everything_left(self, order_id: str) -> Shipment:
        """ship_order's parcel: everything that remains, captured as create_shipment's is."""
        actor = self.caller.actor
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, actor, lock=True, scope=ORDERS_FULFIL_SCOPE)
            aggregate = repository.aggregate_of(uow.session, order)
            items = aggregate.everything_left()
            key = f"ship-everything:{uuid.uuid4()}"  # ship_order takes no key: each call is its own parcel
            row = self._take(uow, order, aggregate, items, SHIP_EVERYTHING_CARRIER, None, key, request_hash(items))
            shipment_id = row.id
            uow.commit()
        return self._finish_shipment(order.id, shipment_id, actor.id)

    @rpc(LIST_SHIPMENTS)
    def list_shipments(self, order_id: str) -> list:
        """The order's shipments, oldest first (its owner, an admin, a client with orders:read)."""
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, self.caller.actor)
            return shipment_schema.dump(store.list_shipments(uow.session, order.id), many=True)

    @rpc(DELIVER_SHIPMENT)
    def deliver_shipment(self, order_id: str, shipment_id: str, idempotency_key: str) -> dict:
        """A shipped parcel arrived (admin, or a client with orders:fulfil): shipment_delivered,
        and order_delivered once the order is shipped and no other parcel is on its way.
        Delivering a delivered shipment answers it again; IllegalMove (409) for one not shipped."""
        actor = self.caller.actor
        _check_key(idempotency_key)
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, actor, lock=True, scope=ORDERS_FULFIL_SCOPE)
            body_hash, answer = _replayed(uow, order.id, idempotency_key, "deliver_shipment", shipment_id)
            if answer is not None:
                return answer
            row = store.get_shipment(uow.session, order.id, shipment_id)
            if row is None:
                raise NotFound("No such shipment.")
            if row.status != ShipmentStatus.DELIVERED:
                shipment = store.shipment_of(row)
                change = repository.aggregate_of(uow.session, order).deliver(shipment, actor.id, datetime.now(UTC))
                store.save_shipment(uow.session, row, shipment)
                write(uow, order, change)
            answer = shipment_schema.dump(row)
            store.record_action(uow.session, order.id, idempotency_key, "deliver_shipment", body_hash, answer)
            uow.commit()
        return answer

    def deliver_everything(self, uow: UnitOfWork, order: Order) -> None:
        """deliver_order's work, in the caller's unit of work: every shipped parcel delivered."""
        rows = store.list_shipments(uow.session, order.id, ShipmentStatus.SHIPPED)
        shipments = [store.shipment_of(row) for row in rows]
        change = repository.aggregate_of(uow.session, order).deliver_everything(
            shipments, self.caller.actor.id, datetime.now(UTC))
        for row, shipment in zip(rows, shipments, strict=True):
            store.save_shipment(uow.session, row, shipment)
        write(uow, order, change)

    @rpc(CANCEL_ITEMS)
    def cancel_items(self, order_id: str, payload: dict, idempotency_key: str) -> dict:
        """Cancel units not yet shipped: {items: [{product_id, quantity}], reason} (the owner, an
        admin, a client with orders:fulfil). order_items_cancelled {cancellation_id, items:
        [{product_id, quantity, amount}], amount, reason}: products releases the units, payments
        voids the amount. Every unit cancelled with nothing shipped cancels the order
        (order_cancelled); nothing left to ship once something shipped ships it. NotEnoughToCancel
        (409) names a line asked beyond what remains unshipped; IllegalMove (409) for an order
        pending payment (cancel it instead) or past shipping."""
        actor = self.caller.actor
        _check_key(idempotency_key)
        data = load(CancelItemsSchema(), payload)
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, actor, lock=True, scope=ORDERS_FULFIL_SCOPE)
            body_hash, answer = _replayed(uow, order.id, idempotency_key, "cancel_items", data)
            if answer is not None:
                return answer
            change = repository.aggregate_of(uow.session, order).cancel_items(
                data["items"], str(uuid.uuid4()), data["reason"], actor.id, datetime.now(UTC))
            write(uow, order, change)
            if order.status == OrderStatus.CANCELLED:
                uow.after_commit(partial(self._give_back, order.id))
            answer = order_schema.dump(order)
            store.record_action(uow.session, order.id, idempotency_key, "cancel_items", body_hash, answer)
            uow.commit()
        return answer

    @rpc(REQUEST_RETURN)
    def request_return(self, order_id: str, payload: dict, idempotency_key: str) -> dict:
        """Ask to send back delivered units: {items: [{product_id, quantity, reason}], note} (the
        owner, an admin, a client with orders:fulfil); return_requested. ReturnNotAllowed (409)
        names a line asked beyond what was delivered and not already asked back, or delivered
        more than RETURN_WINDOW_DAYS ago."""
        actor = self.caller.actor
        _check_key(idempotency_key)
        data = load(RequestReturnSchema(), payload)
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, actor, lock=True, scope=ORDERS_FULFIL_SCOPE)
            body_hash, answer = _replayed(uow, order.id, idempotency_key, "request_return", data)
            if answer is not None:
                return answer
            window = timedelta(days=int(self.config.get("RETURN_WINDOW_DAYS", 30)))
            ret, change = repository.aggregate_of(uow.session, order, returns=True).request_return(
                data["items"], str(uuid.uuid4()), data["note"], actor.id, datetime.now(UTC), window)
            row = store.add_return(uow.session, ret)
            write(uow, order, change)
            answer = return_schema.dump(row)
            store.record_action(uow.session, order.id, idempotency_key, "request_return", body_hash, answer)
            uow.commit()
        return answer

    @rpc(LIST_RETURNS)
    def list_returns(self, order_id: str) -> list:
        """The order's returns, oldest first (its owner, an admin, a client with orders:read)."""
        with self.uow() as uow:
            order = repository.get_visible_order(uow.session, order_id, self.caller.actor)
            return return_schema.dump(store.list_returns(uow.session, order.id), many=True)

    @rpc(APPROVE_RETURN)
    def approve_return(self, return_id: str, idempotency_key: str) -> dict:
        """requested → approved (admin, or a client with orders:fulfil): return_approved."""
        return self._return_step(return_id, idempotency_key, "approve_return", None, lambda ret: ret.approve())

    @rpc(REJECT_RETURN)
    def reject_return(self, return_id: str, payload: dict | None, idempotency_key: str) -> dict:
        """requested → rejected, with {reason} (admin, or a client with orders:fulfil):
        return_rejected; its units may be asked back again."""
        reason = load(ReasonSchema(), payload or {})["reason"]
        return self._return_step(return_id, idempotency_key, "reject_return", reason, lambda ret: ret.reject(reason))

    @rpc(RECEIVE_RETURN)
    def receive_return(self, return_id: str, payload: dict, idempotency_key: str) -> dict:
        """approved → received: {items: [{product_id, quantity, restock}]}, the units that arrived
        (admin, or a client with orders:fulfil). return_received {return_id, items: [{product_id,
        quantity, restock, amount}], refund_amount}: payments refunds refund_amount, products
        restocks the units with restock. ReturnNotAllowed (409) for more than was asked back."""
        lines = load(ReceiveReturnSchema(), payload)["items"]
        return self._return_step(return_id, idempotency_key, "receive_return", lines, lambda ret: ret.receive(lines))

    @timer(interval=PENDING_CAPTURE_CHECK_SECONDS)
    def finish_pending_shipments(self) -> None:
        """Ask payments again for the captures of shipments left capturing (payments didn't
        answer in time): each is claimed for CAPTURE_RETRY_AFTER first, so that several
        instances don't ask for the same one at once (the capture is idempotent anyway)."""
        for _ in range(PENDING_CAPTURE_BATCH):
            with self.uow() as uow:
                claimed = store.claim_stale_capture(uow.session, CAPTURE_RETRY_AFTER)
                uow.commit()
            if claimed is None:
                return
            try:
                self._finish_shipment(*claimed, SYSTEM)
            except CaptureFailed:
                pass  # recorded: the shipment failed
            except Exception as exc:
                log.warning("capture of shipment %s of order %s left for later: %r", claimed[1], claimed[0], exc)
                return

    # --- the mechanics ------------------------------------------------------------------------

    def _take(self, uow, order, aggregate, items, carrier, tracking_number, key, body_hash) -> Shipment:
        """Step 1: the units taken and the shipment recorded, capturing; the caller commits."""
        shipment, change = aggregate.ship(items, str(uuid.uuid4()), carrier, tracking_number)
        repository.apply(uow.session, order, change)
        return store.add_shipment(uow.session, shipment, key, body_hash)

    def _finish_shipment(self, order_id: str, shipment_id: str, actor_id: str) -> Shipment:
        """Steps 2 and 3 for a shipment (a no-op for one already finished): its capture asked,
        then its outcome recorded. CaptureFailed for a failed one."""
        with self.uow() as uow:
            row = store.get_shipment(uow.session, order_id, shipment_id)
            request = store.shipment_of(row).capture_request() if row.status == ShipmentStatus.CAPTURING else None
        if request is not None:
            try:
                result = self.payments.capture_payment(order_id, request)
            except (Conflict, NotFound) as refused:  # no payment, or beyond its authorization: it never will
                result = {"status": "failed", "reason": refused.detail, "invoice_number": None}
            with self.uow() as uow:
                order = repository.get(uow.session, order_id, lock=True)
                row = store.get_shipment(uow.session, order_id, shipment_id)
                if row.status == ShipmentStatus.CAPTURING:  # else another worker recorded it first
                    self._record_capture(uow, order, row, result, actor_id)
                    uow.commit()
        if row.status == ShipmentStatus.FAILED:
            raise CaptureFailed(f"The payment could not be captured: {row.failure_reason}.",
                                {"capture": [row.failure_reason]})
        return row

    def _record_capture(self, uow: UnitOfWork, order: Order, row: Shipment, result: dict, actor_id: str) -> None:
        shipment = store.shipment_of(row)
        aggregate = repository.aggregate_of(uow.session, order)
        if result["status"] == "captured":
            change = aggregate.complete_shipment(shipment, result["invoice_number"], actor_id, datetime.now(UTC))
        else:
            change = aggregate.fail_shipment(shipment, result["reason"] or "capture refused")
        store.save_shipment(uow.session, row, shipment)
        write(uow, order, change)

    def _return_step(self, return_id, key: str, action: str, request, step) -> dict:
        """A return's step (`step(ret)` returns its ReturnStep), recorded on its order."""
        actor = self.caller.actor
        _check_key(key)
        with self.uow() as uow:
            row = store.get_return(uow.session, return_id)
            if row is None:
                raise NotFound("No such return.")
            order = repository.get_visible_order(uow.session, row.order_id, actor, lock=True,
                                                 scope=ORDERS_FULFIL_SCOPE)
            uow.session.refresh(row)  # as the order's lock left it: another step may have come first
            body_hash, answer = _replayed(uow, order.id, key, action, {"return_id": row.id, "request": request})
            if answer is not None:
                return answer
            ret = store.return_of(row)
            change = repository.aggregate_of(uow.session, order).record_return(step(ret), actor.id, datetime.now(UTC))
            store.save_return(uow.session, row, ret)
            write(uow, order, change)
            answer = return_schema.dump(row)
            store.record_action(uow.session, order.id, key, action, body_hash, answer)
            uow.commit()
        return answer


def _check_key(key) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= 200:
        raise Invalid("An idempotency key of 1 to 200 characters is required.", {"idempotency_key": ["Required."]})


def _key_reused() -> Invalid:
    return Invalid("This Idempotency-Key was used with another request.", {"idempotency_key": ["Reused."]})


def _replayed(uow: UnitOfWork, order_id: str, key: str, action: str, request) -> tuple[str, object]:
    """(the request's hash, the answer stored for this key or None). Invalid if the key was used
    for another request on this order."""
    body_hash = request_hash({"action": action, "request": request})
    found = store.find_action(uow.session, order_id, key)
    if found is None:
        return body_hash, None
    if found.request_hash != body_hash:
        raise _key_reused()
    return body_hash, found.response
