"""stock reservations: reserved and sold counters on products, reservations and their items

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("products", sa.Column("reserved", sa.Integer, nullable=False, server_default="0"))
    op.add_column("products", sa.Column("sold", sa.Integer, nullable=False, server_default="0"))
    op.create_check_constraint("ck_products_reserved_not_negative", "products", "reserved >= 0")
    op.create_check_constraint("ck_products_sold_not_negative", "products", "sold >= 0")
    op.create_table(
        "reservations",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("release_reason", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('held', 'committed', 'released')", name="ck_reservations_status"),
    )
    op.create_index(
        "ix_reservations_held_expires_at",
        "reservations",
        ["expires_at"],
        postgresql_where=sa.text("status = 'held'"),
    )
    op.create_table(
        "reservation_items",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "order_id",
            sa.String(64),
            sa.ForeignKey("reservations.order_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("product_id", sa.String(36), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.UniqueConstraint("order_id", "product_id", name="uq_reservation_items_order_product"),
        sa.CheckConstraint("quantity > 0", name="ck_reservation_items_quantity_positive"),
    )
    op.create_index("ix_reservation_items_product", "reservation_items", ["product_id"])


def downgrade():
    # Without reservations, units still held are for sale again; sold units stay sold.
    op.execute("UPDATE products SET stock = stock + reserved WHERE reserved > 0")
    op.drop_table("reservation_items")
    op.drop_table("reservations")
    op.drop_constraint("ck_products_sold_not_negative", "products", type_="check")
    op.drop_constraint("ck_products_reserved_not_negative", "products", type_="check")
    op.drop_column("products", "sold")
    op.drop_column("products", "reserved")
