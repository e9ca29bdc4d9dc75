"""The data map (vetcards.datamap) against the schema: no table of a client's data is forgotten.

Read from the SQLModel metadata: every table with a foreign key to client,
pet or invoice, and every table keyed by a client number, must be in the map,
with that column as one of its links; parents come before their children (the
deletion engine runs the map backwards). A new table that hangs off a client
makes these tests fail until the map says what erase, purge, merge, last
activity and export do with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlmodel import SQLModel

import vetcards.models  # noqa: F401 - fills SQLModel.metadata
from vetcards import datamap
from vetcards.datamap import MAP, Act, Table

PARENTS = ("client", "pet", "invoice")


def _references() -> dict[str, set[tuple[str, str]]]:
    """table -> {(column, parent)} for every reference to client, pet or invoice in the schema."""
    out: dict[str, set[tuple[str, str]]] = {}
    for table in SQLModel.metadata.sorted_tables:
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent in PARENTS:
                out.setdefault(table.name, set()).add((fk.parent.name, parent))
        if "client_number" in table.c:
            out.setdefault(table.name, set()).add(("client_number", "client"))
    return out


def missing(tables: Sequence[Table]) -> list[str]:
    """What the schema references that ``tables`` does not declare (empty: complete)."""
    declared = {t.name: {(link.column, link.parent) for link in t.links} for t in tables}
    problems = [] if "client" in declared else ["client"]
    for name, refs in sorted(_references().items()):
        if name not in declared:
            problems.append(name)
        else:
            problems += [f"{name}.{col} -> {parent}" for col, parent in sorted(refs - declared[name])]
    return problems


def test_every_table_of_a_clients_data_is_in_the_map():
    assert missing(MAP) == []


@pytest.mark.parametrize("left_out", [t.name for t in MAP if t.links])
def test_the_check_fails_when_a_table_is_left_out(left_out):
    assert left_out in missing([t for t in MAP if t.name != left_out])


def test_the_check_fails_when_a_link_is_left_out():
    invoice = datamap.entry("invoice")
    cut = [t if t is not invoice else Table(**{**invoice.__dict__, "links": invoice.links[:1]}) for t in MAP]
    assert "invoice.pet_id -> pet" in missing(cut)


def test_links_name_real_columns_and_parents_come_first():
    tables = SQLModel.metadata.tables
    seen: list[str] = []
    for t in MAP:
        assert t.name in tables, t.name
        for link in t.links:
            assert link.column in tables[t.name].c, f"{t.name}.{link.column}"
            assert link.key in tables[link.parent].c, f"{link.parent}.{link.key}"
            assert link.parent in seen or link.parent == t.name, f"{t.name} comes before its parent {link.parent}"
        seen.append(t.name)
    assert len(seen) == len(set(seen))


def test_columns_named_by_the_map_exist():
    tables = SQLModel.metadata.tables
    for t in MAP:
        cols = tables[t.name].c
        named = [*t.restrict_clears, *(t.owner_snapshot or ()), *([t.claim_state] if t.claim_state else []),
                 *([t.hold_date] if t.hold_date else [])]
        for col in named:
            assert col in cols, f"{t.name}.{col}"
        if t.erase in (Act.HOLD, Act.CLAIM) or t.purge is Act.HOLD:
            assert "restricted" in cols, f"{t.name} is kept restricted but has no restricted column"
        if t.hold is not None:
            assert t.hold_date is not None and t.erase is Act.HOLD and t.purge is Act.HOLD


def test_every_table_says_what_each_operation_does():
    for t in MAP:
        assert t.erase in {Act.DELETE, Act.HOLD, Act.FOLLOW, Act.KEEP, Act.CLAIM}, t.name
        assert t.purge in {Act.DELETE, Act.HOLD, Act.FOLLOW, Act.KEEP}, t.name
        assert t.merge in {Act.MOVE, Act.FOLLOW, Act.KEEP, Act.DELETE}, t.name
        if Act.FOLLOW in (t.erase, t.purge, t.merge):
            assert t.link is not None and t.link.parent != "client", f"{t.name} follows no parent row"


def test_erase_and_purge_run_the_same_statements():
    """One deletion engine: an erasure's statements are the purge's, plus keeping a card for a claim."""
    from datetime import date

    from vetcards.deletion import Deletion
    from vetcards.rules import DEFAULT_PERIODS

    on = date(2026, 6, 1)
    erase = [s.sql for s in Deletion(None, "erase", on, DEFAULT_PERIODS).steps()]  # type: ignore[arg-type]
    purge = [s.sql for s in Deletion(None, "purge", on, DEFAULT_PERIODS, sweep=True).steps()]  # type: ignore[arg-type]
    claim = [sql for sql in erase if sql not in purge]
    assert len(claim) == 1 and claim[0].startswith("UPDATE client SET email=NULL, landline=NULL, phone=NULL, restricted=")
    assert [sql for sql in erase if sql in purge] == purge
    deleted = [s.table for s in Deletion(None, "purge", on, DEFAULT_PERIODS).steps() if s.table]  # type: ignore[arg-type]
    assert sorted(deleted) == sorted(t.name for t in MAP if t.purge is not Act.KEEP)
