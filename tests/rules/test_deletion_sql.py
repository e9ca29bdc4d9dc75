"""The deletion engine's statements (vetcards.deletion) as SQL, without a database.

Every statement of an erase and a purge (staging and steps) is a Core
construct that compiles for SQLite and for PostgreSQL alike: no SQLite-only
form (``temp.`` names, ``date()``), so a second engine needs no rewrite.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import literal, select
from sqlalchemy.dialects import postgresql, sqlite

from vetcards.deletion import Deletion, sql_table
from vetcards.rules import DEFAULT_PERIODS


class Recorder:
    """Stands in for a unit of work: keeps what the engine would run."""

    def __init__(self, dialect: Any = None) -> None:
        self.statements: list[Any] = []
        self.conn = SimpleNamespace(dialect=dialect or sqlite.dialect())

    def execute(self, statement: Any, params: Any = None) -> None:
        self.statements.append(statement)


def _statements(mode: str, dialect: Any = None) -> list[Any]:
    uow = Recorder(dialect)
    deletion = Deletion(uow, mode, date(2026, 6, 1), DEFAULT_PERIODS, sweep=mode == "purge")  # type: ignore[arg-type]
    client = sql_table("client")
    deletion.stage(select(client.c.id, literal(0)).where(client.c.restricted == 1))
    return uow.statements + [step.statement for step in deletion.steps()]


@pytest.mark.parametrize("mode", ["erase", "purge"])
@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_every_statement_compiles_without_sqlite_only_forms(mode, dialect):
    compiled = [str(s.compile(dialect=dialect)).strip() for s in _statements(mode, dialect)]
    assert any(sql.startswith("CREATE TEMPORARY TABLE gone_client") for sql in compiled)
    for sql in compiled:
        assert "temp." not in sql and "date(" not in sql.lower(), sql


def test_subqueries_of_a_detach_correlate_to_the_row():
    """The owner snapshot reads the row's own pet (a subquery not correlated would read any pet's owner)."""
    steps = Deletion(Recorder(), "purge", date(2026, 6, 1), DEFAULT_PERIODS).steps()  # type: ignore[arg-type]
    (detach,) = [s.sql for s in steps if s.sql.startswith("UPDATE medicine_record")]
    assert "WHERE o.id = medicine_record.pet_id" in detach
    assert "FROM pet AS o," not in detach and ", medicine_record" not in detach
