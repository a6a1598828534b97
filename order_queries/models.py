"""The read model's database: one denormalised row per order and generation, the customers, and
which generation is served.

A rebuild writes a new generation beside the live one while events keep updating both, then
moves `projection_state.current_generation` to it (order_queries/rebuild.py)."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, Index, Integer, Numeric, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plumbing.handlers import handler_tables


class Base(DeclarativeBase):
    pass


class OrderView(Base):
    """An order as the read side shows it. A row may exist before its order_created has arrived
    (a payment event came first): it is shown only once `created_at` is set."""

    __tablename__ = "order_views"

    generation: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(20))
    total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    shipping_address: Mapped[dict | None] = mapped_column(JSONB)
    lines: Mapped[list | None] = mapped_column(JSONB)
    # {sequence: entry}: entries merge whatever order they arrive in.
    history: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # The newest order event applied (its status is shown) and the newest that set the address.
    sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    address_sequence: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the last change
    deleted: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # After-sale, keyed so that events merge whatever order they arrive in: {shipment_id: shipment},
    # {return_id: return (its status with the order sequence that set it)}, and the cancelled units
    # {cancellation_id or "snapshot": {sequence, items: {product_id: quantity}}}.
    shipments: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    returns: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    cancellations: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # Payments' own events decide these: only a newer ledger_version replaces the ledger.
    payment_id: Mapped[str | None] = mapped_column(String(36))
    payment_status: Mapped[str | None] = mapped_column(String(20))
    payment_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    payment_currency: Mapped[str | None] = mapped_column(String(3))
    payment_authorized: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    payment_captured: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    payment_refunded: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    payment_voided: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    payment_ledger_version: Mapped[int] = mapped_column(Integer, server_default="0")
    # {"type:reference": operation}: an operation's outcome, whichever event or snapshot told it.
    payment_operations: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    __table_args__ = (
        # The keyset orders (newest first), per customer and per status; shown rows only.
        Index("ix_order_views_created", "generation", "created_at", "order_id",
              postgresql_where=text("created_at IS NOT NULL AND NOT deleted")),
        Index("ix_order_views_user_created", "generation", "user_id", "created_at", "order_id",
              postgresql_where=text("created_at IS NOT NULL AND NOT deleted")),
        Index("ix_order_views_status_created", "generation", "status", "created_at", "order_id",
              postgresql_where=text("created_at IS NOT NULL AND NOT deleted")),
    )


class Customer(Base):
    """A user's email and name, from user_registered and user_updated (the newest wins)."""

    __tablename__ = "customers"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProjectionState(Base):
    """One row: the generation served, and the one a rebuild is writing (None when none is)."""

    __tablename__ = "projection_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    current_generation: Mapped[int] = mapped_column(Integer)
    building_generation: Mapped[int | None] = mapped_column(Integer)


HANDLER_TABLES = handler_tables(Base)
