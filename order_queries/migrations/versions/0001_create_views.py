"""create the order views, customers, the projection's state and the handler tables

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from plumbing.handlers import create_handler_tables

revision = "0001"
down_revision = None
SHOWN = sa.text("created_at IS NOT NULL AND NOT deleted")


def upgrade():
    op.create_table(
        "order_views",
        sa.Column("generation", sa.Integer, primary_key=True),
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(64)),
        sa.Column("status", sa.String(20)),
        sa.Column("total", sa.Numeric(14, 2)),
        sa.Column("currency", sa.String(3)),
        sa.Column("shipping_address", JSONB),
        sa.Column("lines", JSONB),
        sa.Column("history", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        sa.Column("address_sequence", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("payment_id", sa.String(36)),
        sa.Column("payment_status", sa.String(20)),
        sa.Column("payment_amount", sa.Numeric(14, 2)),
        sa.Column("payment_currency", sa.String(3)),
        sa.Column("payment_stage", sa.SmallInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_order_views_created", "order_views", ["generation", "created_at", "order_id"],
                    postgresql_where=SHOWN)
    op.create_index("ix_order_views_user_created", "order_views", ["generation", "user_id", "created_at", "order_id"],
                    postgresql_where=SHOWN)
    op.create_index("ix_order_views_status_created", "order_views",
                    ["generation", "status", "created_at", "order_id"], postgresql_where=SHOWN)
    op.create_table(
        "customers",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_customers_email", "customers", ["email"])
    op.create_table(
        "projection_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("current_generation", sa.Integer, nullable=False),
        sa.Column("building_generation", sa.Integer, nullable=True),
    )
    op.execute("INSERT INTO projection_state (id, current_generation) VALUES (1, 1)")
    create_handler_tables(op)


def downgrade():
    for table in ("processed_events", "dead_letters", "projection_state", "customers", "order_views"):
        op.drop_table(table)
