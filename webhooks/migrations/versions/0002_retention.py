"""retention: discarded dead letters kept by a mark, indexes for plumbing/retention.py's purges

Revision ID: 0002
Revises: 0001
"""

from plumbing.retention import retention_migration

revision = "0002"
down_revision = "0001"
upgrade, downgrade = retention_migration(outbox=False, handler_tables=True)
