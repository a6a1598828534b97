"""invoices and credit notes, frozen by a trigger, numbered from per-year counters

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"

# An issued document is never changed: corrected only by a credit note. TRUNCATE (a statement,
# not a row change) stays possible for an operator wiping a test database.
FROZEN = """
CREATE FUNCTION refuse_changing_issued_documents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an issued document of % is never changed (%): issue a credit note instead',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$
"""
# A counter only ever moves on by one, and is never removed: a number is never given twice.
COUNTING = """
CREATE FUNCTION refuse_counters_going_back() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.kind <> OLD.kind OR NEW.year <> OLD.year
            OR NEW.last_number <> OLD.last_number + 1 THEN
        RAISE EXCEPTION 'a document counter only counts up by one (% of %/%)', TG_OP, OLD.kind, OLD.year
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$
"""


def _document_columns() -> list:
    return [
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seller", JSONB, nullable=False),
        sa.Column("buyer", JSONB, nullable=False),
        sa.Column("lines", JSONB, nullable=False),
        sa.Column("taxes", JSONB, nullable=False),
        sa.Column("net_total", sa.Numeric(14, 2), nullable=False),
        sa.Column("tax_total", sa.Numeric(14, 2), nullable=False),
        sa.Column("gross_total", sa.Numeric(14, 2), nullable=False),
    ]


def upgrade():
    op.create_table(
        "document_counters",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False),
        sa.CheckConstraint("last_number > 0", name="ck_document_counters_positive"),
    )
    op.create_table(
        "invoices",
        *_document_columns(),
        sa.Column("payment_id", sa.String(36), nullable=False),
        sa.Column("payment_reference", sa.String(100), nullable=True),
        sa.Column("order_placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("order_id", name="uq_invoices_order_id"),
        sa.UniqueConstraint("year", "sequence", name="uq_invoices_year_sequence"),
        sa.CheckConstraint("net_total + tax_total = gross_total", name="ck_invoices_totals"),
    )
    op.create_index("ix_invoices_issued_at", "invoices", ["issued_at"])
    op.create_table(
        "credit_notes",
        *_document_columns(),
        sa.Column("invoice_id", sa.String(36), sa.ForeignKey("invoices.id"), nullable=False),
        sa.Column("invoice_number", sa.String(20), nullable=False),
        sa.Column("refund_reference", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.UniqueConstraint("refund_reference", name="uq_credit_notes_refund_reference"),
        sa.UniqueConstraint("year", "sequence", name="uq_credit_notes_year_sequence"),
        sa.CheckConstraint("net_total + tax_total = gross_total", name="ck_credit_notes_totals"),
    )
    op.create_index("ix_credit_notes_invoice_id", "credit_notes", ["invoice_id"])
    op.create_index("ix_credit_notes_order_id", "credit_notes", ["order_id"])
    op.create_index("ix_credit_notes_issued_at", "credit_notes", ["issued_at"])
    op.execute(FROZEN)
    op.execute(COUNTING)
    for table in ("invoices", "credit_notes"):
        op.execute(
            f"CREATE TRIGGER {table}_are_frozen BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION refuse_changing_issued_documents()"
        )
    op.execute(
        "CREATE TRIGGER document_counters_count_up BEFORE UPDATE OR DELETE ON document_counters"
        " FOR EACH ROW EXECUTE FUNCTION refuse_counters_going_back()"
    )


def downgrade():
    op.drop_table("credit_notes")
    op.drop_table("invoices")
    op.drop_table("document_counters")
    op.execute("DROP FUNCTION refuse_changing_issued_documents()")
    op.execute("DROP FUNCTION refuse_counters_going_back()")
