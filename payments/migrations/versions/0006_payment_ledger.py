"""authorize / capture / void / refund: the payment's ledger, its operations, an invoice per capture

Revision ID: 0006
Revises: 0005

- payments gain the ledger (authorized, captured, refunded, voided, ledger_version), what a
  re-authorization needs (payment_token, authorization_expires_at) and what a capture's invoice
  needs of the order (lines, shipping_address and the order event's sequence that set it,
  placed_at). Legacy rows: `succeeded` (charged
  once) becomes `captured` with authorized = captured = amount; `refunded` keeps its status with
  refunded = captured = authorized = amount; `failed` stays failed with nothing held.
- payment_operations replaces charge_requests: a legacy charge request becomes a `requested`
  authorize (asked again with the order's key, as the charge was); each legacy payment's charge
  and refund become operations, so the operations list matches the ledger.
- invoices: one per capture (order_id, capture_reference) instead of one per order; a legacy
  invoice is its order's "charge" (the column's default). The column is added without touching
  the frozen rows' trigger (ADD COLUMN with a default rewrites no row through UPDATE).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

MONEY = sa.Numeric(12, 2)


def upgrade():
    op.alter_column("payments", "status", type_=sa.String(24))
    for column in ("authorized", "captured", "refunded", "voided"):
        op.add_column("payments", sa.Column(column, MONEY, nullable=False, server_default="0"))
    op.add_column("payments", sa.Column("ledger_version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("payments", sa.Column("payment_token", sa.String(200)))
    op.add_column("payments", sa.Column("authorization_expires_at", sa.DateTime(timezone=True)))
    op.add_column("payments", sa.Column("lines", sa.dialects.postgresql.JSONB))
    op.add_column("payments", sa.Column("shipping_address", sa.dialects.postgresql.JSONB))
    op.add_column("payments", sa.Column("address_sequence", sa.Integer))
    op.add_column("payments", sa.Column("placed_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE payments SET status = 'captured', authorized = amount, captured = amount"
               " WHERE status = 'succeeded'")
    op.execute("UPDATE payments SET authorized = amount, captured = amount, refunded = amount"
               " WHERE status = 'refunded'")
    op.create_check_constraint(
        "ck_payments_ledger", "payments",
        "captured <= authorized AND refunded <= captured AND voided + captured <= authorized"
        " AND authorized >= 0 AND refunded >= 0 AND voided >= 0",
    )

    op.create_table(
        "payment_operations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(250), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider_reference", sa.String(100)),
        sa.Column("failure_reason", sa.String(100)),
        sa.Column("reason", sa.String(500)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("order_id", "type", "reference", name="uq_payment_operations_order_type_reference"),
        sa.CheckConstraint("status IN ('requested', 'succeeded', 'failed')", name="ck_payment_operations_status"),
    )
    op.create_index("ix_payment_operations_requested", "payment_operations", ["at"],
                    postgresql_where=sa.text("status = 'requested'"))
    # A charge asked of the provider and never recorded: its authorize, asked again by the next delivery.
    op.execute("INSERT INTO payment_operations (id, order_id, type, reference, amount, status, at)"
               " SELECT gen_random_uuid()::text, order_id, 'authorize', order_id, 0, 'requested', asked_at"
               " FROM charge_requests")
    op.execute("INSERT INTO payment_operations (id, order_id, type, reference, amount, status, provider_reference,"
               " failure_reason, at) SELECT gen_random_uuid()::text, order_id, 'authorize', order_id, amount,"
               " CASE WHEN status = 'failed' THEN 'failed' ELSE 'succeeded' END, provider_reference, failure_reason,"
               " created_at FROM payments ON CONFLICT DO NOTHING")
    op.execute("INSERT INTO payment_operations (id, order_id, type, reference, amount, status, provider_reference,"
               " at) SELECT gen_random_uuid()::text, order_id, 'capture', 'charge', amount, 'succeeded',"
               " provider_reference, created_at FROM payments WHERE status IN ('captured', 'refunded')")
    op.execute("INSERT INTO payment_operations (id, order_id, type, reference, amount, status, provider_reference,"
               " at) SELECT gen_random_uuid()::text, order_id, 'refund', 'cancellation', amount, 'succeeded',"
               " refund_reference, updated_at FROM payments WHERE status = 'refunded'")
    op.drop_table("charge_requests")

    # Its default names the legacy charge: the invoices written before, and any writer of the
    # old shape, keep meaning "the order's one charge".
    op.add_column("invoices", sa.Column("capture_reference", sa.String(64), nullable=False,
                                        server_default="charge"))
    op.drop_constraint("uq_invoices_order_id", "invoices")
    op.create_unique_constraint("uq_invoices_order_capture", "invoices", ["order_id", "capture_reference"])


def downgrade():
    op.drop_constraint("uq_invoices_order_capture", "invoices")
    op.create_unique_constraint("uq_invoices_order_id", "invoices", ["order_id"])
    op.drop_column("invoices", "capture_reference")
    op.create_table(
        "charge_requests",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.execute("INSERT INTO charge_requests (order_id, asked_at) SELECT order_id, at FROM payment_operations"
               " WHERE type = 'authorize' AND status = 'requested'")
    op.drop_table("payment_operations")
    op.drop_constraint("ck_payments_ledger", "payments")
    op.execute("UPDATE payments SET status = 'succeeded' WHERE status IN ('captured', 'partially_captured',"
               " 'authorized', 'partially_refunded')")
    op.execute("UPDATE payments SET status = 'refunded' WHERE status = 'voided'")
    for column in ("placed_at", "address_sequence", "shipping_address", "lines", "authorization_expires_at",
                   "payment_token", "ledger_version", "voided", "refunded", "captured", "authorized"):
        op.drop_column("payments", column)
    op.alter_column("payments", "status", type_=sa.String(16))
