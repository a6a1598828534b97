"""The products database."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from plumbing.handlers import handler_tables

SEARCH_CONFIG = "english"


class Base(DeclarativeBase):
    pass


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    # Units that can still be sold. Reserving moves units to `reserved`, committing a reservation
    # moves them on to `sold`, releasing one puts them back into `stock` (products/reservations.py).
    stock: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sold: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The stock ledger: every unit ever put up for sale (the initial stock, plus or minus every
    # set_stock/adjust_stock change), and the units customers sent back that were put on sale
    # again (return_received with restock), so that received + restocked = stock + reserved + sold
    # at all times (checked by operations/invariants.py). A returned unit stays counted in `sold`:
    # it was sold once, and its second sale counts again. Not part of the RPC payloads.
    received: Mapped[int] = mapped_column(Integer)
    restocked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Bumped on every UPDATE; the cache never replaces a newer version with an older one.
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # Deferred: only searches use it, and every product loaded would carry it.
    search_vector = mapped_column(
        TSVECTOR,
        Computed(
            f"to_tsvector('{SEARCH_CONFIG}', coalesce(name, '') || ' ' || coalesce(description, ''))",
            persisted=True,
        ),
        deferred=True,
    )

    # eager_defaults: an UPDATE returns updated_at, so a changed product can be dumped for the
    # cache without reloading it.
    __mapper_args__ = {"version_id_col": version, "eager_defaults": True}
    __table_args__ = (
        CheckConstraint("stock >= 0", name="ck_products_stock_not_negative"),
        CheckConstraint("reserved >= 0", name="ck_products_reserved_not_negative"),
        CheckConstraint("sold >= 0", name="ck_products_sold_not_negative"),
        CheckConstraint("received >= 0", name="ck_products_received_not_negative"),
        CheckConstraint("restocked >= 0", name="ck_products_restocked_not_negative"),
        CheckConstraint("price > 0", name="ck_products_price_positive"),
        Index("ix_products_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_products_created_at", "created_at", "id"),
    )


class PriceChange(Base):
    """Every price a product has had, from the moment it took effect."""

    __tablename__ = "price_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("ix_price_history_product", "product_id", "effective_at"),)


RESERVATION_STATUSES = ("held", "committed", "released")


class Reservation(Base):
    """Stock held for one order (all its items or none), with the price and name snapshot."""

    __tablename__ = "reservations"

    # The order's id: one reservation per order, which makes reserving idempotent.
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Why it was released: "released" (an RPC, e.g. the order was cancelled) or "expired" (the sweep).
    release_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    items: Mapped[list["ReservationItem"]] = relationship(
        order_by="ReservationItem.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint(
            "status IN ('held', 'committed', 'released')", name="ck_reservations_status"
        ),
        # The expiry sweep looks only at held reservations, oldest expiry first.
        Index("ix_reservations_held_expires_at", "expires_at", postgresql_where=text("status = 'held'")),
    )


class ReservationItem(Base):
    """One product of a reservation. No foreign key to products: a reservation is a record of what
    was held and at what price, and outlives the product row."""

    __tablename__ = "reservation_items"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("reservations.order_id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    product_id: Mapped[str] = mapped_column(String(36))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    quantity: Mapped[int] = mapped_column(Integer)
    # Units already given back to stock: by order_items_cancelled (some of them), or all of them
    # when the reservation was released. What a reservation still holds is quantity − released.
    released_quantity: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        UniqueConstraint("order_id", "product_id", name="uq_reservation_items_order_product"),
        CheckConstraint("quantity > 0", name="ck_reservation_items_quantity_positive"),
        CheckConstraint("released_quantity >= 0 AND released_quantity <= quantity",
                        name="ck_reservation_items_released_within_quantity"),
        Index("ix_reservation_items_product", "product_id"),
    )


HANDLER_TABLES = handler_tables(Base)  # processed_events, dead_letters: for order_confirmed
