"""create the users outbox (user_registered)

Revision ID: 0002
"""

from alembic import op

from plumbing.outbox import create_outbox_table

revision = "0002"
down_revision = "0001"


def upgrade():
    create_outbox_table(op)


def downgrade():
    op.drop_table("outbox")
