"""stock ledger: products.received, every unit ever put up for sale

received = stock + reserved + sold for every product (operations/invariants.py checks it);
existing rows are backfilled with exactly that sum.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    op.add_column("products", sa.Column("received", sa.Integer, nullable=True))
    op.execute("UPDATE products SET received = stock + reserved + sold")
    # No server default: a row inserted without its ledger would break the invariant silently.
    op.alter_column("products", "received", nullable=False)
    op.create_check_constraint("ck_products_received_not_negative", "products", "received >= 0")


def downgrade():
    op.drop_constraint("ck_products_received_not_negative", "products", type_="check")
    op.drop_column("products", "received")
