"""Schema migrations: models and migrations never drift, and a database made by
vetcards 0.1.0 always opens, with nothing lost.

``tests/data/v0.1.0.db`` (key ``v0.1.0.key``) was made once by vetcards 0.1.0
through its CLI (``tests/data/make_v0_1_0.py``) and is never remade. Keep
``test_v0_1_0_database_opens_with_all_its_data`` in every later version.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

DATA = ROOT / "tests" / "data"
V010_DB_SHA256 = "37f44d1fbfa46c2699344c393a5c8b5bff1e95a8f3966f4f9d2ee7e8cc3db0e3"


def sql_write(db: Path, key_file: Path, query: str) -> None:
    import sqlcipher3

    conn = sqlcipher3.connect(str(db))
    try:
        conn.execute(f"PRAGMA key = \"x'{key_file.read_text().strip()}'\"")
        conn.execute(query)
        conn.commit()
    finally:
        conn.close()


# --------------------------------------------------------------------------
# models == migrations
# --------------------------------------------------------------------------


def test_schema_head_is_the_migrations_head():
    from vetcards import db, migrate

    assert db.SCHEMA_HEAD == migrate.head_revision()


def test_new_database_is_at_the_head(vet):
    from vetcards import db

    assert vet.sql("SELECT version_num FROM alembic_version") == [(db.SCHEMA_HEAD,)]


def _diff(vet, metadata):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    database = open_database(vet.db, read_key_file(vet.key_file))
    try:
        with database.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(ctx, metadata)
    finally:
        database.close()


def test_migrated_schema_equals_the_models(vet):
    """Autogenerate finds nothing to do: tables, columns, types, indexes, keys agree."""
    from sqlmodel import SQLModel

    import vetcards.models  # noqa: F401

    assert _diff(vet, SQLModel.metadata) == []


def test_migrated_tables_and_columns_equal_the_models(vet):
    from sqlmodel import SQLModel

    import vetcards.models  # noqa: F401

    tables = {r[0] for r in vet.sql("SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'")}
    assert tables == set(SQLModel.metadata.tables)
    for name, table in SQLModel.metadata.tables.items():
        # PRAGMA table_info: (cid, name, type, notnull, default, pk)
        cols = {r[1]: (bool(r[3]), bool(r[5])) for r in vet.sql(f'PRAGMA table_info("{name}")')}
        assert set(cols) == {c.name for c in table.columns}, name
        for col in table.columns:
            notnull, pk = cols[col.name]
            assert pk == bool(col.primary_key), (name, col.name)
            if not col.primary_key:
                assert notnull == (not col.nullable), (name, col.name)


def test_drift_would_be_detected(vet):
    """The comparison can fail: a column the migrations do not have shows up."""
    from sqlalchemy import Column, MetaData, String
    from sqlmodel import SQLModel

    import vetcards.models  # noqa: F401

    copy = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(copy)
    copy.tables["client"].append_column(Column("nickname", String(50)))
    diff = _diff(vet, copy)
    assert any(d[0] == "add_column" and d[3].name == "nickname" for d in diff), diff


REVISIONS = [
    ("0001", None, "initial schema"),
    ("0002", "0001", "seed the recipients named in the privacy statement"),
    ("0003", "0002", "Drop the indexes on yes/no and status columns."),
    ("0004", "0003", "invoice number counters per year, date of supply, VAT category per line"),
    ("0005", "0004", "The audit log records the operating-system user beside the declared actor."),
    ("0006", "0005", "consents given to another controller (imported history)"),
    ("0007", "0006", "recipients of another controller (imported history), kept out of the register"),
    ("0008", "0007", "corrections with a trail, clients abroad, a second phone"),
    ("0009", "0008", "index payments by date"),
    ("0010", "0009", "the day an invoice went to collection"),
]


def test_revisions_are_one_chain_in_their_order():
    """What ``alembic history`` shows: the ids, their order and their messages never change."""
    from alembic.script import ScriptDirectory

    from vetcards import migrate

    scripts = list(ScriptDirectory(str(migrate.MIGRATIONS_DIR)).walk_revisions())
    assert [(s.revision, s.down_revision, s.doc) for s in reversed(scripts)] == REVISIONS
    assert all(not s.branch_labels and not s.dependencies for s in scripts)


def _schema(vet) -> list[tuple[str, str, str]]:
    """Every table, index and trigger of the file with the SQL that made it, sorted."""
    return sorted(vet.sql("SELECT type, name, COALESCE(sql, '') FROM sqlite_master"))


def test_database_from_a_newer_version_is_refused(vet):
    before = vet.db.read_bytes()
    sql_write(vet.db, vet.key_file, "UPDATE alembic_version SET version_num = 'ffff9999'")
    changed = vet.db.read_bytes()
    assert changed != before
    r = vet.run("client", "list")
    assert r.exit_code == 3
    assert "newer" in r.stderr and len(r.stderr.splitlines()) == 1
    assert hashlib.sha256(vet.db.read_bytes()).digest() == hashlib.sha256(changed).digest()


# --------------------------------------------------------------------------
# upgrade path: a database made by 0.1.0
# --------------------------------------------------------------------------

EXPECTED_CLIENT = {
    "number": "K000001",
    "name": "Anna Jansen",
    "street": "Dorpsstraat 1",
    "postcode": "1234 AB",
    "city": "Utrecht",
    "phone": "+31612345678",
    "email": "anna.jansen@example.nl",
    "birth_date": "1980-02-03",
    "created_on": "2026-11-27",
    "legal_hold_reason": None,
    "last_activity": "2026-11-27",
    "pets": [
        {"number": "P000001", "name": "Bello", "species": "dog", "breed": "Labrador", "sex": "male neutered",
         "birth_date": "2019-05-01", "chip": "528210000000001", "colour": "black", "coat": "short",
         "insured": True, "deceased_on": None, "weight_kg": "31.45"},
        {"number": "P000002", "name": "Minoes", "species": "cat", "breed": None, "sex": "female spayed",
         "birth_date": "2021-08-15", "chip": None, "colour": None, "coat": None, "insured": False,
         "deceased_on": None, "weight_kg": "4.25"},
    ],
    "consents": [
        {"purpose": "care", "given_on": "2026-11-27", "statement_version": "1", "method": "in-person",
         "withdrawn_on": None},
        {"purpose": "reminders", "given_on": "2026-11-27", "statement_version": "1", "method": "in-person",
         "withdrawn_on": None},
    ],
    "services": [],
}

EXPECTED_WEIGHTS = {
    "P000001": [{"date": "2024-01-10", "kg": "30.2"}, {"date": "2025-06-20", "kg": "31.45"}],
    "P000002": [{"date": "2025-03-05", "kg": "4.1"}, {"date": "2025-09-30", "kg": "4.25"}],
}


def assert_contains(actual, expected, where="card"):
    """``actual`` shows all of ``expected`` (later versions may add fields, never lose or change them)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            assert_contains(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_contains(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, (where, actual, expected)


@pytest.fixture
def v010(tmp_path):
    """A copy of the 0.1.0 database and its key (mode 0600 here: git keeps no modes)."""
    from conftest import Vet

    db, key = tmp_path / "v0.1.0.db", tmp_path / "v0.1.0.key"
    shutil.copyfile(DATA / "v0.1.0.db", db)
    shutil.copyfile(DATA / "v0.1.0.key", key)
    db.chmod(0o600)
    key.chmod(0o600)
    return Vet(dir=tmp_path, db=db, key_file=key)


def test_v0_1_0_database_opens_with_all_its_data(v010):
    card = v010.ok("client", "show", "K000001", "--format", "json").json()
    assert_contains(card, EXPECTED_CLIENT)
    for number, weights in EXPECTED_WEIGHTS.items():
        pet = v010.ok("pet", "show", number, "--format", "json").json()
        assert_contains(pet["weights"], weights, number)
        assert pet["client"] == "K000001"
    assert [c["number"] for c in v010.ok("client", "list", "--format", "json").json()] == ["K000001"]


def test_v0_1_0_database_is_upgraded_to_the_head_and_stays_usable(v010):
    from vetcards import db

    v010.ok("client", "list")
    assert v010.sql("SELECT version_num FROM alembic_version") == [(db.SCHEMA_HEAD,)]
    v010.ok("audit", "verify")
    k = v010.add_client("Bert de Boer")
    assert k == "K000002"  # numbers continue, never reused
    assert v010.add_pet(k, "Rex") == "P000003"
    v010.ok("pet", "weigh", "P000001", "32")
    v010.ok("audit", "verify")


def test_v0_1_0_database_upgraded_has_the_schema_of_a_new_database(v010, vet):
    """Upgrading a 0.1.0 file and ``init`` end in the same tables, columns, indexes and constraints."""
    v010.ok("client", "list")  # opening it runs the pending migrations
    upgraded, new = _schema(v010), _schema(vet)
    assert len(new) > 30 and any(row[1] == "ix_payment_paid_on" for row in new)
    assert upgraded == new


def test_fixture_files_are_the_committed_ones():
    """The fixture is frozen: if this fails, someone remade or edited it."""
    assert hashlib.sha256((DATA / "v0.1.0.db").read_bytes()).hexdigest() == V010_DB_SHA256
    assert len((DATA / "v0.1.0.key").read_text().strip()) == 64


def test_one_clients_invoices_are_found_through_the_client_index(vet):
    """Migration 0003: no index on yes/no flags, so SQLite cannot pick the
    ``restricted`` index over ``client_id`` and scan every invoice (found by
    the 20,000-client benchmark: 53 ms instead of 0.1 ms)."""
    indexes = {r[0] for r in vet.sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert not {"ix_client_restricted", "ix_invoice_restricted", "ix_invoice_status"} & indexes
    plan = " ".join(str(r) for r in vet.sql(
        "EXPLAIN QUERY PLAN SELECT * FROM invoice i WHERE i.restricted = 0 AND i.client_id = 1"))
    assert "ix_invoice_client_id" in plan


def test_0010_gives_an_invoice_handed_over_before_it_the_day_of_its_collect_entry(vet):
    """A database from before 0010 knows when an invoice went to collection only from the audit log:
    the upgrade reads it once and fills ``collected_on``; other invoices stay NULL."""
    from alembic import command

    from vetcards import db as dbmod
    from vetcards import migrate
    from vetcards.keys import read_key_file

    vet.set_practice()
    k = vet.add_client("Anna Jansen", birth_date="01-02-1980")
    handed, other = (vet.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "account",
                            "--json").json()["number"] for _ in range(2))
    vet.ok("invoice", "collect", handed)
    [(entry_ts,)] = vet.sql("SELECT ts FROM audit_log WHERE action = 'invoice.collect'")
    engine = dbmod._make_engine(vet.db, read_key_file(vet.key_file), write=True)
    try:
        cfg = migrate._config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0009")
    finally:
        engine.dispose()
    assert "collected_on" not in {row[1] for row in vet.sql("PRAGMA table_info(invoice)")}
    vet.ok("client", "list")  # opening it runs 0010 again
    assert dict(vet.sql("SELECT number, collected_on FROM invoice")) == {handed: entry_ts[:10], other: None}
