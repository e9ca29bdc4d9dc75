"""Smoke test of the benchmark tools on a small practice (~200 clients).

Runs ``benchmarks/generate.py`` as a whole process, then checks the rows it
wrote through SQLCipher, and that the CLI works on the result: ``client show``
of a generated client, ``client add`` taking the next free number (the
``counter`` table is in step), the audit chain intact, and the hand-written
SQL purge baseline of ``benchmarks/run.py`` leaving every purged client's
data gone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT

BENCH = ROOT / "benchmarks"
AS_OF = "2026-11-27"
CUTOFF = "2019-11-27"  # AS_OF minus 7 years


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory):
    from conftest import Vet

    d = tmp_path_factory.mktemp("bench")
    v = Vet(dir=d, db=d / "bench.db", key_file=d / "bench.key")
    r = subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), str(v.db), "--key-file", str(v.key_file),
         "--clients", "200", "--scale", "0.2", "--as-of", AS_OF, "--quiet"],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    meta = json.loads(r.stdout)
    return v, meta


def test_counts_match_the_requested_sizes(practice) -> None:
    v, meta = practice
    counts = v.counts()
    # 200 clients, 1.5 pets each; scale 0.2 of 7.5 visits and 5 invoices a client, 3 lines an invoice.
    assert counts["client"] == 200
    assert counts["pet"] == 300
    assert counts["visit"] == 300
    assert counts["invoice"] == 200
    assert counts["invoice_line"] == 600
    assert counts["weight"] == 90 and counts["vaccination"] == 75
    assert counts["payment"] >= v.sql("SELECT count(*) FROM invoice WHERE status = 'paid'")[0][0]
    assert meta["rows"]["invoice"] == 200 and meta["as_of"] == AS_OF
    assert (v.db.stat().st_mode & 0o777) == 0o600
    assert (v.key_file.stat().st_mode & 0o777) == 0o600


def test_invoice_numbers_are_consecutive_per_year_in_date_order(practice) -> None:
    v, _ = practice
    by_year: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for number, year, seq, day in v.sql("SELECT number, year, seq, invoice_date FROM invoice"):
        assert number == f"{year}-{seq:05d}"
        assert int(day[:4]) == year
        by_year[year].append((seq, day, number))
    assert len(by_year) >= 5  # spread over the years
    for year, rows in by_year.items():
        rows.sort()
        assert [s for s, _, _ in rows] == list(range(1, len(rows) + 1)), year
        days = [d for _, d, _ in rows]
        assert days == sorted(days), year


def test_about_forty_percent_past_the_cutoff_with_holds(practice) -> None:
    v, meta = practice
    from vetcards.activity import LAST_ACTIVITY_SQL

    last = dict(v.sql(LAST_ACTIVITY_SQL))
    assert len(last) == 200
    inactive = [c for c, d in last.items() if d < CUTOFF]
    assert len(inactive) == meta["inactive_clients"]
    assert 0.25 * 200 <= len(inactive) <= 0.55 * 200
    assert max(last.values()) <= AS_OF
    assert min(last.values()) >= "2014-11-27"
    # Every date of an inactive client is past the cut-off, card timestamps included.
    ids = ",".join(str(c) for c in inactive)
    newest = v.sql(f"SELECT max(max(date(created_at)), max(date(updated_at))) FROM client WHERE id IN ({ids})")
    assert newest[0][0] < CUTOFF
    # Some inactive clients are held by an unpaid invoice (claim hold).
    held = v.sql(f"SELECT count(DISTINCT client_id) FROM invoice WHERE client_id IN ({ids}) "
                 "AND status IN ('open', 'in_collection')")[0][0]
    assert held == meta["claim_hold_clients"]
    # Invoices paid on account carry the client's birth date.
    assert v.sql("SELECT count(*) FROM invoice WHERE payment_method = 'account' "
                 "AND customer_birth_date IS NULL")[0][0] == 0


def test_the_cli_works_on_the_generated_practice(practice) -> None:
    v, _ = practice
    card = v.ok("client", "show", "K000001", "--format", "json").json()
    assert card["number"] == "K000001"
    assert card["pets"] and card["pets"][0]["number"].startswith("P")
    assert date.fromisoformat(card["last_activity"]) <= date.fromisoformat(AS_OF)
    number = v.add_client("Nieuwe Klant")
    assert number == "K000201"
    pet = v.add_pet(number, "Nieuw")
    assert pet == "P000301"
    r = v.ok("audit", "verify")
    assert "intact" in r.stdout + r.stderr


def test_generation_is_deterministic(practice, tmp_path: Path) -> None:
    v, _ = practice
    from conftest import Vet

    w = Vet(dir=tmp_path, db=tmp_path / "again.db", key_file=tmp_path / "again.key")
    r = subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), str(w.db), "--key-file", str(w.key_file),
         "--clients", "200", "--scale", "0.2", "--as-of", AS_OF, "--quiet"],
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    q = ("SELECT c.number, c.name, c.created_at, i.number, i.gross_cents, i.status "
         "FROM invoice i JOIN client c ON c.id = i.client_id ORDER BY i.id")
    assert w.sql(q) == v.sql(q)
    # An existing database is never overwritten without --force.
    r = subprocess.run([sys.executable, str(BENCH / "generate.py"), str(w.db), "--key-file", str(w.key_file),
                        "--clients", "5"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "exists" in r.stderr


def test_hand_written_purge_baseline(practice, tmp_path: Path) -> None:
    v, meta = practice
    import shutil

    from conftest import Vet

    copy = Vet(dir=tmp_path, db=tmp_path / "copy.db", key_file=v.key_file)
    shutil.copyfile(v.db, copy.db)
    r = subprocess.run([sys.executable, str(BENCH / "handpurge.py"), str(copy.db), str(v.key_file), AS_OF],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    expected = meta["inactive_clients"] - meta["claim_hold_clients"] - meta["legal_hold_clients"]
    assert out["purged_clients"] == expected > 0
    assert copy.counts()["client"] == v.counts()["client"] - expected
    # Nothing of a purged client is left but restricted invoices under the fiscal hold: each with
    # an issue or payment date of 2019 or later in its group (invoice and credit notes).
    assert copy.sql("SELECT count(*) FROM pet WHERE client_id NOT IN (SELECT id FROM client)")[0][0] == 0
    kept = copy.sql("SELECT count(*) FROM invoice WHERE restricted = 1")[0][0]
    assert kept == out["kept_for_fiscal_hold"]
    assert copy.sql("""SELECT count(*) FROM invoice i WHERE restricted = 1 AND NOT EXISTS (
        SELECT 1 FROM invoice g WHERE (g.id = coalesce(i.credits_invoice_id, i.id)
                                       OR g.credits_invoice_id = coalesce(i.credits_invoice_id, i.id))
          AND (g.invoice_date >= '2019-01-01' OR EXISTS (
               SELECT 1 FROM payment p WHERE p.invoice_id = g.id AND p.paid_on >= '2019-01-01')))""")[0][0] == 0
    assert copy.sql("SELECT count(*) FROM invoice WHERE client_id IS NULL AND restricted = 0")[0][0] == 0


def test_hand_written_purge_does_the_same_work_as_vetcards_purge(practice, tmp_path: Path) -> None:
    """The baseline is only fair if both leave the same rows (the fiscal term of issue 11 included)."""
    v, _meta = practice
    import shutil

    from conftest import Vet

    hand = Vet(dir=tmp_path, db=tmp_path / "hand.db", key_file=v.key_file)
    ours = Vet(dir=tmp_path, db=tmp_path / "ours.db", key_file=v.key_file)
    shutil.copyfile(v.db, hand.db)
    shutil.copyfile(v.db, ours.db)
    r = subprocess.run([sys.executable, str(BENCH / "handpurge.py"), str(hand.db), str(v.key_file), AS_OF],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    ours.ok("purge", "--as-of", AS_OF, "--json")
    for q in ("SELECT number, client_id IS NULL, restricted FROM invoice ORDER BY number",
              "SELECT number FROM client ORDER BY number",
              "SELECT count(*) FROM payment", "SELECT count(*) FROM invoice_line", "SELECT count(*) FROM pet"):
        assert hand.sql(q) == ours.sql(q), q


def test_generation_keeps_every_index(practice) -> None:
    """generate.py drops the indexes for the bulk load and makes them again: the same set as a new database."""
    v, _ = practice
    indexes = {r[0] for r in v.sql("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    assert {"ix_visit_pet_id", "ix_invoice_client_id", "ix_client_number", "ix_pet_client_id",
            "ix_invoice_line_invoice_id", "ix_payment_invoice_id"} <= indexes
    plan = " ".join(str(r) for r in v.sql("EXPLAIN QUERY PLAN SELECT * FROM visit WHERE pet_id = 3"))
    assert "ix_visit_pet_id" in plan


def test_plain_copy_for_sqlite_utils(practice, tmp_path: Path) -> None:
    """The sqlite-utils comparison reads a plain copy made in the benchmark's own folder: same rows."""
    import sqlite3

    sys.path.insert(0, str(BENCH))
    try:
        import peer
    finally:
        sys.path.remove(str(BENCH))
    v, _ = practice
    plain = tmp_path / "plain.db"
    peer.export_plain(v.db, v.key_file, plain)
    conn = sqlite3.connect(plain)  # no key: a plain SQLite file
    try:
        assert conn.execute("SELECT count(*) FROM client").fetchone()[0] == v.sql("SELECT count(*) FROM client")[0][0]
        assert conn.execute("SELECT number FROM client WHERE number = 'K000005'").fetchone() == ("K000005",)
    finally:
        conn.close()
    su = peer.sqlite_utils_cmd()
    if su is None:
        pytest.skip("sqlite-utils not installed (the bench extra)")
    r = subprocess.run(su + ["query", str(plain), "select number from client where number = :n", "-p", "n",
                             "K000005"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout) == [{"number": "K000005"}], r.stderr


def test_run_refuses_an_unknown_group() -> None:
    r = subprocess.run([sys.executable, str(BENCH / "run.py"), "--only", "nothing"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "--only" in r.stderr
