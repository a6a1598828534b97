"""The order's rules, without I/O: the `Order` aggregate and its lines decide every change of an
order after it was placed, and return what changed (a `Change`: the events to publish, each under
the order's next sequence with the history entry it announces, and the lines whose quantities
moved: orders/domain/change.py). orders/repository.py writes a Change with the statements it
has; orders/recording.py publishes its records. A shipment's and a return's own steps live in
orders/domain/shipment.py and returns.py.

Every event about an order takes the order's next sequence (the read side orders them by it).
The history gets one entry per step, carried by the step's event: a parcel shipped, units
cancelled, a return's step. When the step moves the order (the last parcel ships it), its entry
is that move (from → to) and the status event that follows (order_shipped) carries none; a step
that moves nothing records from = to. A move that is a step of its own (confirmation, a
cancellation) is carried by its status event."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from contracts.events import (
    ORDER_ADDRESS_CHANGED,
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    ORDER_DELETED,
    ORDER_DELIVERED,
    ORDER_ITEMS_CANCELLED,
    ORDER_REFUND_RECORDED,
    ORDER_REFUNDED,
    ORDER_SHIPPED,
    SHIPMENT_CREATED,
    SHIPMENT_DELIVERED,
)
from contracts.orders import (
    IllegalMove,
    NotEnoughToCancel,
    NotEnoughToShip,
    OrderStatus,
    ReturnNotAllowed,
    ReturnStatus,
    ShipmentStatus,
)
from orders import lifecycle
from orders.domain.change import Change, Record
from orders.domain.line import Line
from orders.domain.returns import Return, ReturnItem, ReturnStep
from orders.domain.shipment import Shipment, ShipmentItem


@dataclass
class Order:
    """An order as the rules need it. `lines` are loaded for the after-sale steps only (placing
    and confirming don't need them); `capturing`, `in_transit`, `delivered_shipments` count its
    shipments by status (capturing, shipped, delivered)."""

    id: str
    user_id: str
    status: str
    sequence: int
    paid: bool = False
    lines: list[Line] = field(default_factory=list)
    capturing: int = 0
    in_transit: int = 0
    delivered_shipments: int = 0
    _change: Change = field(default_factory=Change, repr=False)

    # --- payment and the whole order ------------------------------------------------------------

    def confirm(self, actor: str, reason: str, now: datetime) -> Change:
        """pending_payment → confirmed: the payment is authorized."""
        self._begin()
        self._move(OrderStatus.CONFIRMED, ORDER_CONFIRMED, {}, actor, reason, now)
        self._change.paid = True
        return self._done()

    def cancel(self, actor: str, reason: str, now: datetime) -> Change:
        """The whole order, before anything shipped: its stock goes back, its authorization is
        voided (payments answers order_cancelled)."""
        self._begin()
        if self.status in lifecycle.FULFILLING and any(line.shipped for line in self.lines):
            raise IllegalMove(
                "A parcel of this order has shipped: cancel its remaining items instead.",
                {"status": [f"{self.status} with shipped items cannot be cancelled whole."]},
            )
        self._move(OrderStatus.CANCELLED, ORDER_CANCELLED, {"reason": reason}, actor, reason, now)
        return self._done()

    def mark_refunded(self, actor: str, reason: str, now: datetime) -> Change | None:
        """cancelled → refunded once the cancellation's money is back; None if the order isn't
        cancelled (nothing to do: an event came twice, or for an order that moved on)."""
        if self.status != OrderStatus.CANCELLED:
            return None
        self._begin()
        self._move(OrderStatus.REFUNDED, ORDER_REFUNDED, {}, actor, reason, now)
        return self._done()

    def record_refund(self, refund: dict, actor: str, reason: str, now: datetime) -> Change:
        """A return's or a goodwill refund payments made ({amount, kind, reference}): a history
        entry without a status change, announced so that the read side's history has it too."""
        self._begin()
        self._record(ORDER_REFUND_RECORDED, refund, actor, reason, now, self.status)
        return self._done()

    def change_address(self, address: dict) -> Change:
        if self.status not in lifecycle.ADDRESS_CHANGEABLE:
            raise IllegalMove(
                f"The address of a {self.status} order can no longer change.", {"status": [self.status]}
            )
        self._begin()
        self._record(ORDER_ADDRESS_CHANGED, {"shipping_address": address}, None, None, None, self.status)
        return self._done()

    def delete(self, paid: bool) -> Change:
        """Announce the deletion of a finished order: delivered, refunded, or cancelled unpaid."""
        if not lifecycle.is_terminal(self.status, paid):
            raise IllegalMove(
                f"A {self.status} order is not finished and cannot be deleted.", {"status": [self.status]}
            )
        self._begin()
        self._record(ORDER_DELETED, {}, None, None, None, self.status)
        return self._done()

    # --- shipments --------------------------------------------------------------------------------

    def ship(self, items: list[dict], shipment_id: str, carrier: str, tracking_number: str | None) -> tuple[
        Shipment, Change
    ]:
        """Take `items` ({product_id, quantity}) for a new shipment, in status capturing: each
        line's shipped quantity grows now, so a concurrent shipment can't take the same units.
        No event yet: the shipment counts once its amount is captured (`complete_shipment`)."""
        self._begin()
        self._check_fulfilling("shipped")
        taken = self._take(items, NotEnoughToShip, "to ship")
        shipment_items = []
        for line, quantity in taken:
            line.shipped += quantity
            self._change.touch(line)
            shipment_items.append(
                ShipmentItem(line.position, line.product_id, line.sku, line.name, quantity, line.unit_price)
            )
        self.capturing += 1
        shipment = Shipment(shipment_id, self.id, ShipmentStatus.CAPTURING, shipment_items, carrier, tracking_number)
        return shipment, self._done()

    def everything_left(self) -> list[dict]:
        """What remains to ship, as `ship` takes it; NotEnoughToShip when nothing does."""
        self._check_fulfilling("shipped")
        left = [{"product_id": line.product_id, "quantity": line.remaining} for line in self.lines if line.remaining]
        if not left:
            raise NotEnoughToShip("Nothing remains to ship.", {"items": ["Nothing remains to ship."]})
        return left

    def complete_shipment(self, shipment: Shipment, invoice_number: str | None, actor: str, now: datetime) -> Change:
        """Its amount was captured: the shipment is shipped, and the order partially shipped, or
        shipped once every line is shipped or cancelled (and nothing else is being captured)."""
        self._begin()
        shipment.ship(now, invoice_number)
        self.capturing -= 1
        self.in_transit += 1
        reason = f"shipment {shipment.id} shipped ({shipment.carrier}"
        reason += f" {shipment.tracking_number})" if shipment.tracking_number else ")"
        self._record(SHIPMENT_CREATED, shipment.created_event_fields(), actor, reason, now, self.status)
        if self._nothing_left():
            self._move(OrderStatus.SHIPPED, ORDER_SHIPPED, {}, actor, "every item shipped or cancelled", now)
        elif self.status == OrderStatus.CONFIRMED:
            self._move(OrderStatus.PARTIALLY_SHIPPED, None, {}, actor, reason, now)  # no event of its own
        return self._done()

    def fail_shipment(self, shipment: Shipment, reason: str) -> Change:
        """Its capture failed: nothing shipped, its units are the lines' again."""
        self._begin()
        shipment.fail(reason)
        self.capturing -= 1
        for item in shipment.items:
            line = self._line_at(item.position)
            line.shipped -= item.quantity
            self._change.touch(line)
        return self._done()

    def deliver(self, shipment: Shipment, actor: str, now: datetime) -> Change:
        """The shipment arrived: its lines' units are delivered (the return window starts), and
        the order is delivered once it is shipped and no parcel is still on its way."""
        self._begin()
        self._deliver_one(shipment, actor, now)
        self._deliver_if_done(actor, now)
        return self._done()

    def deliver_everything(self, shipments: list[Shipment], actor: str, now: datetime) -> Change:
        """Every parcel on its way (`shipments`, all shipped) arrived. An order shipped before
        shipments existed has none: its shipped units are delivered as they are (their return
        window starts now)."""
        self._begin()
        if self.status not in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED) or (
            not shipments and self.status == OrderStatus.PARTIALLY_SHIPPED
        ):
            raise IllegalMove(f"Nothing of a {self.status} order is on its way.", {"status": [self.status]})
        for shipment in shipments:
            self._deliver_one(shipment, actor, now)
        if not shipments and self.in_transit + self.delivered_shipments == 0:
            for line in self.lines:
                line.delivered, line.last_delivered_at = line.shipped, now
                self._change.touch(line)
        self._deliver_if_done(actor, now)
        return self._done()

    def _deliver_one(self, shipment: Shipment, actor: str, now: datetime) -> None:
        shipment.deliver(now)
        self.in_transit -= 1
        self.delivered_shipments += 1
        for item in shipment.items:
            line = self._line_at(item.position)
            line.delivered += item.quantity
            line.last_delivered_at = now
            self._change.touch(line)
        fields = {"shipment_id": shipment.id, "delivered_at": now.isoformat()}
        self._record(SHIPMENT_DELIVERED, fields, actor, f"shipment {shipment.id} delivered", now, self.status)

    # --- line cancellation ------------------------------------------------------------------------

    def cancel_items(self, items: list[dict], cancellation_id: str, reason: str, actor: str, now: datetime) -> Change:
        """Cancel unshipped units: products releases them, payments voids their amount
        (order_items_cancelled). Every unit cancelled and nothing shipped: the order is cancelled
        instead (order_cancelled, the whole order's path). Nothing left to ship with something
        shipped: the order is shipped."""
        self._begin()
        if self.status == OrderStatus.PENDING_PAYMENT:
            raise IllegalMove(
                "Items of an order pending payment can't be cancelled alone: cancel the order instead.",
                {"status": [self.status]},
            )
        self._check_fulfilling("cancelled")
        cancelled = []
        for line, quantity in self._take(items, NotEnoughToCancel, "unshipped"):
            line.cancelled += quantity
            self._change.touch(line)
            cancelled.append({"product_id": line.product_id, "quantity": quantity,
                              "amount": str(line.unit_price * quantity)})
        reason = reason or "items cancelled by request"
        if self._nothing_left() and not self._anything_shipped():
            self._move(OrderStatus.CANCELLED, ORDER_CANCELLED, {"reason": reason}, actor, reason, now)
            return self._done()
        amount = sum((Decimal(item["amount"]) for item in cancelled), Decimal("0.00"))
        fields = {"cancellation_id": cancellation_id, "items": cancelled, "amount": str(amount), "reason": reason}
        self._record(ORDER_ITEMS_CANCELLED, fields, actor, f"items cancelled: {reason}", now, self.status)
        if self._nothing_left():
            self._move(OrderStatus.SHIPPED, ORDER_SHIPPED, {}, actor, "every item shipped or cancelled", now)
            self._deliver_if_done(actor, now)
        return self._done()

    # --- returns ----------------------------------------------------------------------------------

    def request_return(
        self, items: list[dict], return_id: str, note: str, actor: str, now: datetime, window: timedelta
    ) -> tuple[Return, Change]:
        """A return of delivered units ({product_id, quantity, reason}): each at most what was
        delivered and not already asked back, within `window` of the line's last delivery."""
        self._begin()
        errors = {}
        return_items = []
        for item in items:
            line = self._line_of(item["product_id"])
            quantity = item["quantity"]
            if line is None:
                errors[item["product_id"]] = ["Not in this order."]
            elif quantity > line.delivered - line.in_returns:
                errors[line.product_id] = [
                    f"Asked {quantity}; {line.delivered - line.in_returns} delivered and not already returned."
                ]
            elif now > line.last_delivered_at + window:
                errors[line.product_id] = [f"Delivered more than {window.days} days ago."]
            else:
                line.in_returns += quantity
                return_items.append(ReturnItem(line.position, line.product_id, line.sku, line.name, line.unit_price,
                                               quantity, item["reason"]))
        if errors:
            raise ReturnNotAllowed("These items can't be returned.", {"items": errors})
        ret = Return(return_id, self.id, ReturnStatus.REQUESTED, return_items, note, created_at=now)
        self._record_return_step(ret.requested(), actor, now)
        return ret, self._done()

    def record_return(self, step: ReturnStep, actor: str, now: datetime) -> Change:
        """A return's step (`ret.approve()`, `ret.reject(...)`, `ret.receive(...)`) as an order
        event; a receipt counts the units that came back on their lines."""
        self._begin()
        for position, quantity in step.received.items():
            line = self._line_at(position)
            line.returned += quantity
            self._change.touch(line)
        self._record_return_step(step, actor, now)
        return self._done()

    # --- the mechanics ------------------------------------------------------------------------

    def _begin(self) -> None:
        self._change = Change()

    def _done(self) -> Change:
        change, self._change = self._change, Change()
        return change

    def _record(self, event_type, fields, actor, reason, now, to_status) -> None:
        """The next sequence for one event; with a history entry unless actor is None."""
        self.sequence += 1
        entry = None
        if actor is not None:
            entry = {"from_status": self.status, "to_status": to_status, "actor": actor, "reason": reason,
                     "at": now, "sequence": self.sequence}
        self.status = to_status
        self._change.records.append(Record(event_type, fields, self.sequence, self.status, entry))

    def _move(self, target: OrderStatus, event_type: str | None, fields: dict, actor: str, reason: str, now) -> None:
        """A status move, announced by `event_type` (None: by the step's event alone). Right after
        the step that causes it, the step's entry becomes the move and the event carries none."""
        lifecycle.check_move(self.status, target)
        records = self._change.records
        step = records[-1] if records else None
        if step is not None and step.entry is not None and step.entry["from_status"] == step.entry["to_status"]:
            records[-1] = replace(step, status=target, entry=step.entry | {"to_status": target})
            self.status = target
            if event_type is not None:
                self._record(event_type, fields, None, None, None, target)
        else:
            self._record(event_type, fields, actor, reason, now, target)

    def _record_return_step(self, step: ReturnStep, actor: str, now: datetime) -> None:
        self._record(step.event_type, step.fields, actor, step.reason, now, self.status)

    def _check_fulfilling(self, verb: str) -> None:
        if self.status not in lifecycle.FULFILLING:
            raise IllegalMove(f"Items of a {self.status} order can't be {verb}.", {"status": [self.status]})

    def _take(self, items: list[dict], error: type, what: str) -> list[tuple[Line, int]]:
        """Each item's line and quantity, all within what remains; else `error` naming the lines."""
        taken, errors = [], {}
        for item in items:
            line = self._line_of(item["product_id"])
            if line is None:
                errors[item["product_id"]] = ["Not in this order."]
            elif item["quantity"] > line.remaining:
                errors[line.product_id] = [f"Asked {item['quantity']}; {line.remaining} {what}."]
            else:
                taken.append((line, item["quantity"]))
        if errors:
            raise error(f"More than remains {what}.", {"items": errors})
        return taken

    def _nothing_left(self) -> bool:
        """Every unit shipped or cancelled, and no parcel still being captured (it may fail)."""
        return self.capturing == 0 and all(line.remaining == 0 for line in self.lines)

    def _anything_shipped(self) -> bool:
        return self.in_transit + self.delivered_shipments > 0

    def _deliver_if_done(self, actor: str, now: datetime) -> None:
        if self.status == OrderStatus.SHIPPED and self.in_transit == 0 and self.capturing == 0:
            self._move(OrderStatus.DELIVERED, ORDER_DELIVERED, {}, actor, "every shipment delivered", now)

    def _line_of(self, product_id: str) -> Line | None:
        return next((line for line in self.lines if line.product_id == product_id), None)

    def _line_at(self, position: int) -> Line:
        return next(line for line in self.lines if line.position == position)
