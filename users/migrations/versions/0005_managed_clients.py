"""clients.managed: the services' own clients, kept by provisioning from config (SERVICE_CLIENTS)

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade():
    op.add_column("clients", sa.Column("managed", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column("clients", "managed")
