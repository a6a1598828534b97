"""Shipments, returns and admin actions in the database: rows in, the domain's objects
(orders/domain/) out, and what a step changed written back. Every caller holds the order's
lock (orders/repository.py), which serialises the steps of one order; these are rare paths, on
the ORM."""

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from contracts.orders import ShipmentStatus
from orders.domain.returns import Return as DomainReturn
from orders.domain.returns import ReturnItem as DomainReturnItem
from orders.domain.shipment import Shipment as DomainShipment
from orders.domain.shipment import ShipmentItem as DomainShipmentItem
from orders.models import OrderAction, Return, ReturnItem, Shipment, ShipmentItem

# --- shipments -------------------------------------------------------------------------------------


def shipment_by_key(session: Session, order_id: str, key: str) -> Shipment | None:
    return session.scalar(select(Shipment).where(Shipment.order_id == order_id, Shipment.idempotency_key == key))


def get_shipment(session: Session, order_id: str, shipment_id) -> Shipment | None:
    if not isinstance(shipment_id, str):
        return None
    shipment = session.get(Shipment, shipment_id)
    return shipment if shipment is not None and shipment.order_id == order_id else None


def list_shipments(session: Session, order_id: str, status: str | None = None) -> list[Shipment]:
    """Oldest first; of one status if given."""
    conditions = [Shipment.order_id == order_id] + ([Shipment.status == status] if status else [])
    return list(session.scalars(select(Shipment).where(*conditions).order_by(Shipment.created_at, Shipment.id)))


def add_shipment(session: Session, shipment: DomainShipment, key: str, body_hash: str) -> Shipment:
    row = Shipment(
        id=shipment.id, order_id=shipment.order_id, idempotency_key=key, request_hash=body_hash,
        status=shipment.status, carrier=shipment.carrier, tracking_number=shipment.tracking_number,
        amount=shipment.amount,
        items=[ShipmentItem(position=item.position, product_id=item.product_id, sku=item.sku, name=item.name,
                            unit_price=item.unit_price, quantity=item.quantity, line_total=item.line_total)
               for item in shipment.items],
    )
    session.add(row)
    session.flush()
    return row


def shipment_of(row: Shipment) -> DomainShipment:
    return DomainShipment(
        row.id, row.order_id, row.status,
        [DomainShipmentItem(item.position, item.product_id, item.sku, item.name, item.quantity, item.unit_price)
         for item in row.items],
        row.carrier, row.tracking_number, row.invoice_number, row.failure_reason, row.shipped_at, row.delivered_at,
    )


def save_shipment(session: Session, row: Shipment, shipment: DomainShipment) -> None:
    """Write a shipment's step (shipped, failed, delivered)."""
    for name in ("status", "invoice_number", "failure_reason", "shipped_at", "delivered_at"):
        setattr(row, name, getattr(shipment, name))
    session.flush()


def claim_stale_capture(session: Session, after: timedelta) -> tuple[str, str] | None:
    """(order id, shipment id) of a shipment capturing since longer than `after` ago, its attempt
    time set to `now` so that no other instance takes it for as long; one another instance holds
    is skipped. The caller commits the claim before asking payments."""
    stale = (
        select(Shipment.id)
        .where(Shipment.status == ShipmentStatus.CAPTURING, Shipment.attempted_at < func.now() - after)
        .order_by(Shipment.attempted_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = session.execute(
        update(Shipment).where(Shipment.id == stale).values(attempted_at=func.now())
        .returning(Shipment.order_id, Shipment.id)
    ).first()
    return None if claimed is None else (claimed[0], claimed[1])


# --- returns ---------------------------------------------------------------------------------------


def get_return(session: Session, return_id) -> Return | None:
    return session.get(Return, return_id) if isinstance(return_id, str) else None


def list_returns(session: Session, order_id: str) -> list[Return]:
    return list(session.scalars(select(Return).where(Return.order_id == order_id).order_by(Return.created_at,
                                                                                             Return.id)))


def add_return(session: Session, ret: DomainReturn) -> Return:
    row = Return(
        id=ret.id, order_id=ret.order_id, status=ret.status, note=ret.note, created_at=ret.created_at,
        items=[ReturnItem(position=item.position, product_id=item.product_id, sku=item.sku, name=item.name,
                          unit_price=item.unit_price, quantity=item.quantity, reason=item.reason)
               for item in ret.items],
    )
    session.add(row)
    session.flush()
    return row


def return_of(row: Return) -> DomainReturn:
    return DomainReturn(
        row.id, row.order_id, row.status,
        [DomainReturnItem(item.position, item.product_id, item.sku, item.name, item.unit_price, item.quantity,
                               item.reason, item.received_quantity, item.restock)
         for item in row.items],
        row.note, row.refund_amount, row.created_at,
    )


def save_return(session: Session, row: Return, ret: DomainReturn) -> None:
    """Write a return's step (approved, rejected, received with its lines)."""
    row.status, row.refund_amount = ret.status, ret.refund_amount
    by_position = {item.position: item for item in ret.items}
    for item in row.items:
        item.received_quantity = by_position[item.position].received_quantity
        item.restock = by_position[item.position].restock
    session.flush()


# --- admin actions ---------------------------------------------------------------------------------


def find_action(session: Session, order_id: str, key: str) -> OrderAction | None:
    return session.scalar(select(OrderAction).where(OrderAction.order_id == order_id,
                                                    OrderAction.idempotency_key == key))


def record_action(session: Session, order_id: str, key: str, action: str, body_hash: str, response) -> None:
    """The answer a replay of this key gets, in the action's transaction."""
    session.add(OrderAction(order_id=order_id, idempotency_key=key, action=action, request_hash=body_hash,
                            response=response))
    session.flush()
