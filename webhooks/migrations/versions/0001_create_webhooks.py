"""create endpoints, deliveries, attempts and handler tables

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from plumbing.handlers import create_handler_tables

revision = "0001"
down_revision = None


def upgrade():
    op.create_table(
        "endpoints",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_types", JSONB, nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.String(500)),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("previous_secret", sa.String(100)),
        sa.Column("previous_secret_until", sa.DateTime(timezone=True)),
        sa.Column("failing_since", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("endpoint_id", sa.String(36), sa.ForeignKey("endpoints.id", ondelete="CASCADE"), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64)),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("attempts_before_requeue", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_deliveries_endpoint_event"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["next_attempt_at"], postgresql_where="status = 'pending'")
    op.create_index("ix_deliveries_endpoint_order", "deliveries", ["endpoint_id", "order_id", "occurred_at"],
                    postgresql_where="status = 'pending'")
    op.create_index("ix_deliveries_endpoint_created", "deliveries", ["endpoint_id", "created_at"])
    op.create_table(
        "attempts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("delivery_id", sa.String(36), sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_headers", JSONB, nullable=False),
        sa.Column("request_body", sa.Text, nullable=False),
        sa.Column("response_status", sa.Integer),
        sa.Column("response_body", sa.Text),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_attempts_delivery", "attempts", ["delivery_id", "number"])
    create_handler_tables(op)


def downgrade():
    for table in ("dead_letters", "processed_events", "attempts", "deliveries", "endpoints"):
        op.drop_table(table)
