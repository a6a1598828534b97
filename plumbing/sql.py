"""Statements built from a service's table definitions, compiled once into SQL text.

SQLAlchemy 2.0 never caches the compiled form of a PostgreSQL INSERT ... ON CONFLICT
(postgresql.Insert sets inherit_cache = False): such a construct, executed per order or per
event, would be compiled anew every time. `compiled_once` compiles it at import instead, so the
column names still come from models.py. Constants in it must be `literal_column`s: every other
value is a `bindparam` named for the caller's parameters."""

from sqlalchemy import TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement

_DIALECT = postgresql.dialect(paramstyle="named")


def compiled_once(statement: ClauseElement) -> TextClause:
    """`statement` as SQL text with its :named parameters. ValueError if it holds a value of its
    own (a literal Python value becomes an anonymous parameter that no caller would pass)."""
    compiled = statement.compile(dialect=_DIALECT)
    fixed = {name: value for name, value in compiled.params.items() if value is not None}
    if fixed:
        raise ValueError(f"use literal_column or bindparam, not values, for {sorted(fixed)}")
    return text(str(compiled))
