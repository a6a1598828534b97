from plumbing.migrations import run_migrations
from webhooks.models import Base

run_migrations(Base.metadata)
