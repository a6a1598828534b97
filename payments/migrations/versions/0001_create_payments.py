"""create payments, order cancellations, outbox and handler tables

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from plumbing.handlers import create_handler_tables
from plumbing.outbox import create_outbox_table

revision = "0001"
down_revision = None


def upgrade():
    op.create_table(
        "payments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("provider_reference", sa.String(100), nullable=True),
        sa.Column("failure_reason", sa.String(100), nullable=True),
        sa.Column("refund_reference", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "order_cancellations",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    create_outbox_table(op)
    create_handler_tables(op)


def downgrade():
    for table in ("dead_letters", "processed_events", "outbox", "order_cancellations", "payments"):
        op.drop_table(table)
