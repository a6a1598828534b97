"""after sale: the view keeps shipments, returns, cancelled units and the payment ledger

The payment's stage (0 none, 1 settled, 2 refunded) becomes the ledger version events carry: a
row's stage is kept as its version, so an old row orders against new events as its stage did.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"

_EMPTY = sa.text("'{}'::jsonb")
_MAPS = ("shipments", "returns", "cancellations", "payment_operations")
_AMOUNTS = ("payment_authorized", "payment_captured", "payment_refunded", "payment_voided")


def upgrade() -> None:
    for name in _MAPS:
        op.add_column("order_views", sa.Column(name, JSONB, nullable=False, server_default=_EMPTY))
    for name in _AMOUNTS:
        op.add_column("order_views", sa.Column(name, sa.Numeric(14, 2)))
    op.alter_column("order_views", "payment_stage", new_column_name="payment_ledger_version",
                    type_=sa.Integer, server_default="0")


def downgrade() -> None:
    op.alter_column("order_views", "payment_ledger_version", new_column_name="payment_stage",
                    type_=sa.SmallInteger, server_default="0")
    for name in (*_MAPS, *_AMOUNTS):
        op.drop_column("order_views", name)
