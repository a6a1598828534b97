"""plumbing/sql.py: statements from table definitions, compiled once."""

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, literal_column
from sqlalchemy.dialects.postgresql import insert

from plumbing.sql import compiled_once

counters = Table("counters", MetaData(), Column("kind", String, primary_key=True), Column("n", Integer))


def test_an_upsert_becomes_text_with_the_tables_columns_and_the_callers_parameters():
    statement = compiled_once(
        insert(counters)
        .values(kind=bindparam("kind"), n=literal_column("1"))
        .on_conflict_do_update(index_elements=[counters.c.kind], set_={"n": counters.c.n + literal_column("1")})
        .returning(counters.c.n)
    )
    assert str(statement) == (
        "INSERT INTO counters (kind, n) VALUES (:kind, 1) ON CONFLICT (kind) DO UPDATE SET n = (counters.n + 1)"
        " RETURNING counters.n"
    )
    assert set(statement._bindparams) == {"kind"}


def test_a_value_of_its_own_is_refused_since_no_caller_would_pass_it():
    with pytest.raises(ValueError, match="literal_column or bindparam"):
        compiled_once(insert(counters).values(kind=bindparam("kind"), n=1))
