"""The payments database: one payment per order, charges asked for, cancellations seen, the buyers' emails, invoices
and credit notes with their number counters, outbox, handler tables."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plumbing.handlers import handler_tables
from plumbing.outbox import outbox_model


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class PaymentStatus:
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


class Payment(Base):
    """The outcome of the one charge made for an order."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(100))
    refund_reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class OrderCancellation(Base):
    """An order_cancelled seen for an order: a later order_created for it must not charge."""

    __tablename__ = "order_cancellations"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ChargeRequest(Base):
    """An order the provider is asked to charge, committed before it is asked: a later delivery
    of the order_created then knows the provider may hold a charge that no transaction here
    recorded (the process died between the provider's answer and the commit). Deleted with the
    payment's insert: only orders being charged, or left by a crash, have one."""

    __tablename__ = "charge_requests"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Buyer(Base):
    """A customer's email as of its newest user_registered or user_updated: what an invoice
    names as the buyer's, without asking users for every order."""

    __tablename__ = "buyers"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the event's occurred_at


class DocumentCounter(Base):
    """The last number given to an invoice or a credit note of one calendar year: locked by the
    transaction that numbers a document until it commits, so a number that is rolled back is
    given again and none is skipped (a sequence would skip it). A trigger lets it only count up
    by one (migration 0003)."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # payments/numbering.py's kinds
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("last_number > 0", name="ck_document_counters_positive"),)


class _IssuedDocument:
    """What an invoice and a credit note both hold, frozen at issue: a trigger refuses any UPDATE
    or DELETE of their rows (migration 0003). Amounts in `lines` and `taxes` are decimal strings."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # INV-2026-000001
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    order_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seller: Mapped[dict] = mapped_column(JSONB)  # {name, address, vat_id}
    buyer: Mapped[dict] = mapped_column(JSONB)  # {name, line1, line2, city, postal_code, country, email}
    lines: Mapped[list] = mapped_column(JSONB)  # [{sku, name, quantity, unit_price, line_total, tax_rate, net, tax}]
    taxes: Mapped[list] = mapped_column(JSONB)  # [{rate, net, tax, gross}], highest rate first
    net_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    tax_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    gross_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))


class Invoice(_IssuedDocument, Base):
    """The invoice of a paid order: one per order."""

    __tablename__ = "invoices"

    payment_id: Mapped[str] = mapped_column(String(36))
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    order_placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("order_id", name="uq_invoices_order_id"),
        UniqueConstraint("year", "sequence", name="uq_invoices_year_sequence"),
        CheckConstraint("net_total + tax_total = gross_total", name="ck_invoices_totals"),
        Index("ix_invoices_issued_at", "issued_at"),
    )


class CreditNote(_IssuedDocument, Base):
    """A correction of an invoice: one per refund. Several may credit one invoice (partial
    refunds, to come); today a refund is of the whole order."""

    __tablename__ = "credit_notes"

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(20))
    refund_reference: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("refund_reference", name="uq_credit_notes_refund_reference"),
        UniqueConstraint("year", "sequence", name="uq_credit_notes_year_sequence"),
        CheckConstraint("net_total + tax_total = gross_total", name="ck_credit_notes_totals"),
        Index("ix_credit_notes_order_id", "order_id"),
        Index("ix_credit_notes_issued_at", "issued_at"),
    )


OutboxEvent = outbox_model(Base)
HANDLER_TABLES = handler_tables(Base)
