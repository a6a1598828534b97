"""The orders database."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from plumbing.handlers import handler_tables
from plumbing.outbox import outbox_model


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    shipping_address: Mapped[dict] = mapped_column(JSONB)
    # Set once payment succeeded: a cancelled paid order waits for its refund.
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    reservation_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The order's version: moved on by one with every event about it (contracts/events.py).
    sequence: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    items: Mapped[list["OrderItem"]] = relationship(
        order_by="OrderItem.position", cascade="all, delete-orphan", lazy="selectin"
    )

    # eager_defaults: an UPDATE returns updated_at, so a changed order can be dumped before the
    # commit without reloading it.
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        # The idempotency key is per customer: the same key from two customers is two orders.
        UniqueConstraint("user_id", "idempotency_key", name="uq_orders_user_idempotency_key"),
        Index("ix_orders_user_created", "user_id", "created_at"),
        Index("ix_orders_status_created", "status", "created_at"),
        Index(
            "ix_orders_pending_expiry",
            "reservation_expires_at",
            postgresql_where=text("status = 'pending_payment'"),
        ),
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(String(36), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    quantity: Mapped[int] = mapped_column(Integer)
    line_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # What became of its units (orders/domain/line.py): shipped counts units in shipments not
    # failed; shipped + cancelled ≤ quantity, returned ≤ delivered ≤ shipped.
    shipped_quantity: Mapped[int] = mapped_column(Integer, server_default="0")
    cancelled_quantity: Mapped[int] = mapped_column(Integer, server_default="0")
    delivered_quantity: Mapped[int] = mapped_column(Integer, server_default="0")
    returned_quantity: Mapped[int] = mapped_column(Integer, server_default="0")
    # The return window of its units starts at their last delivery.
    last_delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class OrderHistory(Base):
    """Every transition: from, to, when, who, why."""

    __tablename__ = "order_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    sequence: Mapped[int | None] = mapped_column(Integer, nullable=True)  # of the event announcing it


class Shipment(Base):
    """A parcel: recorded `capturing` (its units taken from the lines) before payments captures
    its amount, then `shipped` or `failed`; `delivered` when it arrives."""

    __tablename__ = "shipments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[str] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    invoice_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # When its capture was last asked: the timer retries a capturing shipment only after a while.
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    items: Mapped[list["ShipmentItem"]] = relationship(
        order_by="ShipmentItem.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        UniqueConstraint("order_id", "idempotency_key", name="uq_shipments_order_idempotency_key"),
        Index("ix_shipments_capturing", "attempted_at", postgresql_where=text("status = 'capturing'")),
    )


class ShipmentItem(Base):
    __tablename__ = "shipment_items"

    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # the order line's
    product_id: Mapped[str] = mapped_column(String(36))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    quantity: Mapped[int] = mapped_column(Integer)
    line_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class Return(Base):
    """A return (RMA): requested by the customer, approved or rejected, received."""

    __tablename__ = "returns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(1000))
    refund_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    items: Mapped[list["ReturnItem"]] = relationship(
        order_by="ReturnItem.position", cascade="all, delete-orphan", lazy="selectin"
    )
    __mapper_args__ = {"eager_defaults": True}


class ReturnItem(Base):
    __tablename__ = "return_items"

    return_id: Mapped[str] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # the order line's
    product_id: Mapped[str] = mapped_column(String(36))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(30))
    received_quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    restock: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class OrderAction(Base):
    """An admin action done with an Idempotency-Key (cancel items, deliver, a return's steps): a
    replay with the same key answers `response` again; with another request, 422. Written in the
    action's own transaction."""

    __tablename__ = "order_actions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict | list] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("order_id", "idempotency_key", name="uq_order_actions_order_key"),)


class Quote(Base):
    """A cart priced for a customer (issue 27): `lines` as QuoteLineSchema dumps them, the prices
    held until `expires_at`; `order_id` is the one order that used it."""

    __tablename__ = "quotes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[list] = mapped_column(JSONB)
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    order_id: Mapped[str | None] = mapped_column(String(36), nullable=True, unique=True)

    # The purge of quotes that expired unused (orders/quote_service.py) finds them by expiry.
    __table_args__ = (Index("ix_quotes_unused_expiry", "expires_at", postgresql_where=text("order_id IS NULL")),)


OutboxEvent = outbox_model(Base)
HANDLER_TABLES = handler_tables(Base)
