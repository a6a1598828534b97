"""Statements built from a service's table definitions, compiled once into SQL text.

SQLAlchemy 2.0 never caches the compiled form of a PostgreSQL INSERT ... ON CONFLICT
(postgresql.Insert sets inherit_cache = False): such a construct, executed per order or per
event, would be compiled anew every time. `compiled_once` compiles it at import instead, so the
column names still come from models.py. Constants in it must be `literal_column`s: every other
value is a `bindparam` named for the caller's parameters."""

from sqlalchemy import ARRAY, TextClause, bindparam, cast, func, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement
from sqlalchemy.types import TypeEngine

_DIALECT = postgresql.dialect(paramstyle="named")


def compiled_once(statement: ClauseElement) -> TextClause:
    """`statement` as SQL text with its :named parameters. ValueError if it holds a value of its
    own (a literal Python value becomes an anonymous parameter that no caller would pass)."""
    compiled = statement.compile(dialect=_DIALECT)
    fixed = {name: value for name, value in compiled.params.items() if value is not None}
    if fixed:
        raise ValueError(f"use literal_column or bindparam, not values, for {sorted(fixed)}")
    return text(str(compiled))


def unnested(name: str, columns: dict[str, tuple[str, type[TypeEngine]]], ordinality: str | None = None):
    """Rows from parallel array parameters, one a column, to insert or update many rows in one
    statement: `unnest(CAST(:parameter AS type[]), ...) AS name(column, ...)`. `columns` is
    {column: (parameter, type)}; parameter names must differ from the columns of the table the
    statement writes (SQLAlchemy reserves those for its VALUES and SET clauses). `ordinality`
    names a last column numbering the rows from 1."""
    arrays = func.unnest(*(cast(bindparam(parameter), ARRAY(type_)) for parameter, type_ in columns.values()))
    options = {"with_ordinality": ordinality} if ordinality else {}
    return arrays.table_valued(*columns, **options).render_derived(name)
