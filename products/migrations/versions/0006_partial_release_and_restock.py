"""after-sale stock: products.restocked (returned units put back on sale) and
reservation_items.released_quantity (units of an order given back, partly or all)

The stock ledger becomes received + restocked = stock + reserved + sold (operations/invariants.py
checks it). A reservation released before this migration gave back every unit of its items:
their released_quantity is their quantity.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade():
    op.add_column("products", sa.Column("restocked", sa.Integer, nullable=False, server_default="0"))
    op.create_check_constraint("ck_products_restocked_not_negative", "products", "restocked >= 0")
    op.add_column("reservation_items", sa.Column("released_quantity", sa.Integer, nullable=False, server_default="0"))
    op.execute(
        "UPDATE reservation_items i SET released_quantity = i.quantity FROM reservations r"
        " WHERE r.order_id = i.order_id AND r.status = 'released'"
    )
    op.create_check_constraint(
        "ck_reservation_items_released_within_quantity", "reservation_items",
        "released_quantity >= 0 AND released_quantity <= quantity",
    )


def downgrade():
    op.drop_constraint("ck_reservation_items_released_within_quantity", "reservation_items", type_="check")
    op.drop_column("reservation_items", "released_quantity")
    op.drop_constraint("ck_products_restocked_not_negative", "products", type_="check")
    op.drop_column("products", "restocked")
