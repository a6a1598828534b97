"""create recipients, notifications and handler tables

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from plumbing.handlers import create_handler_tables

revision = "0001"
down_revision = None


def upgrade():
    op.create_table(
        "recipients",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("event_id", "user_id", name="uq_notifications_event_user"),
    )
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at"])
    create_handler_tables(op)


def downgrade():
    for table in ("dead_letters", "processed_events", "notifications", "recipients"):
        op.drop_table(table)
