from order_queries.models import Base
from plumbing.migrations import run_migrations

run_migrations(Base.metadata)
