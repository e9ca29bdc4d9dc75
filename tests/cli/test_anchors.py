"""Anchors outside the database file (issue 12 leftovers): the audit head, the WAL after erase."""

from __future__ import annotations

import time

from test_erasure import NAME


def _open_reader(vet):
    """A second connection (another program) reading the database: a read transaction held open."""
    conn = vet.connect()
    conn.isolation_level = None
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM client").fetchall()
    return conn


def test_erase_says_when_another_connection_kept_the_wal(vet):
    number = vet.add_client(NAME)
    other = _open_reader(vet)
    try:
        started = time.monotonic()
        r = vet.run("erase", number, "--verified-by", "Jet", "--id-document", "passport", "--yes", "--json")
        took = time.monotonic() - started
    finally:
        other.close()
    assert r.exit_code == 0, r.stderr
    assert r.json()["wal_checkpointed"] is False
    assert "erased data may remain in the -wal file until that program closes" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert took < 15  # not the 60 s busy timeout


def test_erase_without_another_connection_says_nothing_about_the_wal(vet):
    number = vet.add_client(NAME)
    r = vet.run("erase", number, "--verified-by", "Jet", "--id-document", "passport", "--yes", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["wal_checkpointed"] is True
    assert "-wal" not in r.stderr
    human = vet.run("erase", vet.add_client("Tweede Klant"), "--verified-by", "Jet", "--id-document", "passport",
                    "--yes")
    assert human.exit_code == 0 and "-wal" not in human.stderr
    dry = vet.run("erase", vet.add_client("Derde Klant"), "--verified-by", "Jet", "--id-document", "passport",
                  "--dry-run", "--json")
    assert dry.json()["wal_checkpointed"] is None
