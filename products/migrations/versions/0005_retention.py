"""retention: discarded dead letters kept by a mark, indexes for plumbing/retention.py's purges

Revision ID: 0005
Revises: 0004
"""

from plumbing.retention import retention_migration

revision = "0005"
down_revision = "0004"
upgrade, downgrade = retention_migration(outbox=False, handler_tables=True)
