"""The last-activity query is built from the data map with one date construct compiled per database."""

from __future__ import annotations

import pytest
from sqlalchemy import column, select, table
from sqlalchemy.dialects import postgresql, sqlite

from vetcards import activity
from vetcards.datamap import MAP


def test_day_compiles_per_dialect():
    t = table("client", column("created_at"))
    stmt = select(activity.day(t.c.created_at))
    assert "date(client.created_at)" in str(stmt.compile(dialect=sqlite.dialect()))
    assert "CAST(client.created_at AS DATE)" in str(stmt.compile(dialect=postgresql.dialect()))


def test_every_activity_date_of_the_map_is_a_source():
    dates = [d for t in MAP for d in t.activity]
    assert len(activity.sources()) == len(dates)
    pg = str(activity.last_activity_select().compile(dialect=postgresql.dialect()))
    assert "date(" not in pg  # no SQLite-only function left for PostgreSQL
    text = activity.LAST_ACTIVITY_SQL
    for t in MAP:
        for d in t.activity:
            column_name = d[5:-1] if d.startswith("date(") else d
            assert f"{t.name}.{column_name}" in text, (t.name, d)


def test_a_map_date_in_another_form_is_refused():
    with pytest.raises(ValueError, match="date\\(column\\)"):
        activity._date_of(table("x", column("a")), "strftime('%Y', a)")
