"""retention: discarded dead letters kept by a mark, indexes for plumbing/retention.py's purges

Revision ID: 0003
Revises: 0002
"""

from plumbing.retention import retention_migration

revision = "0003"
down_revision = "0002"
upgrade, downgrade = retention_migration(outbox=True, handler_tables=False)
