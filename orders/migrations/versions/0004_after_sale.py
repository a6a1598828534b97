"""after the sale: line quantities, shipments, returns, and the idempotency of admin actions (issue 24)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"

_LINE_QUANTITIES = ("shipped_quantity", "cancelled_quantity", "delivered_quantity", "returned_quantity")


def _now():
    return sa.text("now()")


def upgrade():
    for column in _LINE_QUANTITIES:
        op.add_column("order_items", sa.Column(column, sa.Integer, nullable=False, server_default="0"))
    op.add_column("order_items", sa.Column("last_delivered_at", sa.DateTime(timezone=True), nullable=True))
    # Orders shipped or delivered before shipments existed: every unit went, in one parcel they
    # have no row for (delivered ones from their last update: the window of a return starts there).
    op.execute("UPDATE order_items i SET shipped_quantity = i.quantity FROM orders o"
               " WHERE o.id = i.order_id AND o.status IN ('shipped', 'delivered')")
    op.execute("UPDATE order_items i SET delivered_quantity = i.quantity, last_delivered_at = o.updated_at"
               " FROM orders o WHERE o.id = i.order_id AND o.status = 'delivered'")

    op.create_table(
        "shipments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("carrier", sa.String(100), nullable=False),
        sa.Column("tracking_number", sa.String(100), nullable=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("invoice_number", sa.String(64), nullable=True),
        sa.Column("failure_reason", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("order_id", "idempotency_key", name="uq_shipments_order_idempotency_key"),
    )
    op.create_index("ix_shipments_capturing", "shipments", ["attempted_at"],
                    postgresql_where=sa.text("status = 'capturing'"))
    op.create_table(
        "shipment_items",
        sa.Column("shipment_id", sa.String(36), sa.ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("product_id", sa.String(36), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("line_total", sa.Numeric(14, 2), nullable=False),
    )
    op.create_table(
        "returns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.String(1000), nullable=False),
        sa.Column("refund_amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
    )
    op.create_table(
        "return_items",
        sa.Column("return_id", sa.String(36), sa.ForeignKey("returns.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("product_id", sa.String(36), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("received_quantity", sa.Integer, nullable=True),
        sa.Column("restock", sa.Boolean, nullable=True),
    )
    op.create_table(
        "order_actions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.UniqueConstraint("order_id", "idempotency_key", name="uq_order_actions_order_key"),
    )


def downgrade():
    for table in ("order_actions", "return_items", "returns", "shipment_items", "shipments"):
        op.drop_table(table)
    op.drop_column("order_items", "last_delivered_at")
    for column in reversed(_LINE_QUANTITIES):
        op.drop_column("order_items", column)
