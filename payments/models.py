"""The payments database: one payment (its ledger) per order, the operations asked of the provider,
cancellations seen, the buyers' emails, invoices and credit notes with their number counters,
outbox, handler tables."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
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
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plumbing.handlers import handler_tables
from plumbing.outbox import outbox_model


class Base(DeclarativeBase):
    pass


def new_id() -> str:
    return str(uuid.uuid4())


class Payment(Base):
    """An order's payment: its ledger (payments/ledger.py), the authorization it rests on, and
    what the order's invoices need of the order (from its order_created)."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))  # contracts.payments.PaymentStatus
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # the order's total
    currency: Mapped[str] = mapped_column(String(3))
    authorized: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    captured: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    refunded: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    voided: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    ledger_version: Mapped[int] = mapped_column(Integer, default=1)
    # The card's token, to re-authorize once the authorization expired.
    payment_token: Mapped[str | None] = mapped_column(String(200))
    # The authorization's reference at the provider (for a payment charged before authorize /
    # capture existed: its charge's).
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    authorization_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failure_reason: Mapped[str | None] = mapped_column(String(100))
    refund_reference: Mapped[str | None] = mapped_column(String(100))  # a legacy full refund's
    # What a capture's invoice and a return's credit note say of the order (None for legacy rows).
    lines: Mapped[list | None] = mapped_column(JSONB)  # [{product_id, sku, name, quantity, unit_price, line_total}]
    shipping_address: Mapped[dict | None] = mapped_column(JSONB)
    address_sequence: Mapped[int | None] = mapped_column(Integer)  # the order event that set it
    placed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    __table_args__ = (
        CheckConstraint(
            "captured <= authorized AND refunded <= captured AND voided + captured <= authorized"
            " AND authorized >= 0 AND refunded >= 0 AND voided >= 0",
            name="ck_payments_ledger",
        ),
    )


class OrderCancellation(Base):
    """An order_cancelled seen for an order: a later order_created for it must not charge."""

    __tablename__ = "order_cancellations"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PaymentOperation(Base):
    """One operation asked of the provider, once per (order, type, reference): authorize (the
    order), reauthorize and capture (a shipment), void (a cancellation, or "order"), refund (a
    return, `goodwill:<Idempotency-Key>`, or "cancellation"). Its `requested` row is committed
    before the provider is asked (uow.commit_aside): a later delivery or retry that finds it knows
    the provider may have done it without a transaction here recording it (the process died
    between the answer and the commit), and asks again with the same idempotency key."""

    __tablename__ = "payment_operations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))  # contracts.payments.OperationType
    reference: Mapped[str] = mapped_column(String(250))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(16))  # contracts.payments.OperationStatus
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))  # a refund's or void's, as asked
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("order_id", "type", "reference", name="uq_payment_operations_order_type_reference"),
        CheckConstraint("status IN ('requested', 'succeeded', 'failed')", name="ck_payment_operations_status"),
        Index("ix_payment_operations_requested", "at", postgresql_where=text("status = 'requested'")),
    )


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
    """The invoice of one capture (a shipment's lines): what was delivered and charged. An order
    charged before authorize / capture existed has one, for its charge ("charge")."""

    __tablename__ = "invoices"

    payment_id: Mapped[str] = mapped_column(String(36))
    payment_reference: Mapped[str | None] = mapped_column(String(100))  # the capture's at the provider
    order_placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capture_reference: Mapped[str] = mapped_column(String(64), server_default="charge")  # the shipment id, or "charge"

    __table_args__ = (
        UniqueConstraint("order_id", "capture_reference", name="uq_invoices_order_capture"),
        UniqueConstraint("year", "sequence", name="uq_invoices_year_sequence"),
        CheckConstraint("net_total + tax_total = gross_total", name="ck_invoices_totals"),
        Index("ix_invoices_issued_at", "issued_at"),
    )


class CreditNote(_IssuedDocument, Base):
    """A correction of an invoice: one per refund (its provider reference), of the returned lines,
    a goodwill amount, or a cancelled legacy order's whole invoice. Several may credit one invoice."""

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
