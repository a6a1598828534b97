"""order sequence: every event about an order carries its version (the read side orders them by it)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    # Orders placed before: their events so far count as one (the next one is 2).
    op.add_column("orders", sa.Column("sequence", sa.Integer, nullable=False, server_default="1"))
    # The sequence of the event that announced each transition (NULL before this migration).
    op.add_column("order_history", sa.Column("sequence", sa.Integer, nullable=True))


def downgrade():
    op.drop_column("order_history", "sequence")
    op.drop_column("orders", "sequence")
