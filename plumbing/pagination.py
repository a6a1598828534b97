"""A page of SQL rows: the database side of wire.pagination's page requests."""

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from wire.pagination import PageRequest


def fetch_page(session: Session, query: Select, page: PageRequest) -> tuple[list, int]:
    """One page of the rows `query` selects (with its own filters and order) and their total."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.offset(page.offset).limit(page.page_size)).all()
    return list(rows), total
