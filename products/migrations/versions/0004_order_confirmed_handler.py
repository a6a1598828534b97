"""handler tables: products consumes order_confirmed (commits the order's reservation)

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from plumbing.handlers import create_handler_tables

revision = "0004"
down_revision = "0003"


def upgrade():
    create_handler_tables(op)


def downgrade():
    op.drop_table("dead_letters")
    op.drop_table("processed_events")
