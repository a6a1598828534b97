"""The webhooks database: endpoints, the deliveries owed to them, every attempt, handler tables."""

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plumbing.handlers import handler_tables


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
DELIVERY_STATUSES = (PENDING, SUCCEEDED, FAILED)


class Endpoint(Base):
    """A receiver and the event types it subscribed to (patterns such as `order.*`). During a
    rotation `previous_secret` signs too, until `previous_secret_until`."""

    __tablename__ = "endpoints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list] = mapped_column(JSONB)
    description: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Since when every attempt failed (None after a success): a day of it disables the endpoint.
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Delivery(Base):
    """One event owed to one endpoint: pending until an attempt succeeds (succeeded) or the retry
    schedule runs out (failed). `body` is the payload as first signed: every attempt sends the
    same bytes. `occurred_at` orders an order's deliveries to one endpoint; `leased_until` is set
    while an attempt is under way (a crashed one is taken again once it passes)."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True))
    endpoint_id: Mapped[str] = mapped_column(String(36), ForeignKey("endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The attempts made before a retry or replay by hand: the retry schedule starts again after them.
    attempts_before_requeue: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_deliveries_endpoint_event"),
        Index("ix_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"),
        Index("ix_deliveries_endpoint_order", "endpoint_id", "order_id", "occurred_at",
              postgresql_where="status = 'pending'"),
        Index("ix_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )


class Attempt(Base):
    """One HTTP request of a delivery: what was sent, what came back (the body capped), how long
    it took, or the error."""

    __tablename__ = "attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(String(36), ForeignKey("deliveries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_headers: Mapped[dict] = mapped_column(JSONB)
    request_body: Mapped[str] = mapped_column(Text)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_attempts_delivery", "delivery_id", "number"),)


HANDLER_TABLES = handler_tables(Base)
