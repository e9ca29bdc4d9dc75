"""Anchors outside the database file (issue 12 leftovers): the audit head, the WAL after erase."""

from __future__ import annotations

import json
import shutil
import stat
import time
from pathlib import Path

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


# --------------------------------------------------------------------------
# The audit head (<db>.audit-head)
# --------------------------------------------------------------------------


def _head(vet) -> dict:
    return json.loads(Path(str(vet.db) + ".audit-head").read_text())


def _last_entry(vet) -> tuple[int, str]:
    return vet.sql("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")[0]


def _put_back(vet, copy: Path) -> None:
    """The attack: an older copy of the database file put back in its place (no WAL of the newer one)."""
    for suffix in ("-wal", "-shm"):
        Path(str(vet.db) + suffix).unlink(missing_ok=True)
    shutil.copyfile(copy, vet.db)


def _rolled_back(vet) -> None:
    """doctor, audit verify and restore each find it: one line, their exit codes; restore changes nothing."""
    r = vet.run("doctor")
    assert r.exit_code == 1
    failing = [line for line in r.stdout.splitlines() if line.startswith("FAIL")]
    assert len(failing) == 1 and failing[0].startswith(
        "FAIL audit head: audit log shortened or database rolled back since "), r.stdout
    r = vet.run("audit", "verify")
    assert r.exit_code == 1 and "audit log shortened or database rolled back since" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    backup = vet.dir / f"b{time.monotonic_ns()}.db"
    vet.ok("backup", str(backup))
    before = vet.db.read_bytes()
    r = vet.run("restore", str(backup), "--yes")
    assert r.exit_code == 3 and "audit log shortened or database rolled back since" in r.stderr, r.stderr
    assert "not restored" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert vet.db.read_bytes() == before


def test_the_head_follows_every_committed_write(vet):
    head_file = Path(str(vet.db) + ".audit-head")
    assert stat.S_IMODE(head_file.stat().st_mode) == 0o600
    first = _head(vet)
    assert (first["id"], first["hash"]) == _last_entry(vet)
    vet.add_client(NAME)
    assert (_head(vet)["id"], _head(vet)["hash"]) == _last_entry(vet) != (first["id"], first["hash"])
    assert vet.run("client", "show", "K999999").exit_code == 1  # a refused command moves nothing
    assert (_head(vet)["id"], _head(vet)["hash"]) == _last_entry(vet)
    r = vet.ok("doctor")
    assert "OK   audit head: audit head at entry" in r.stdout
    vet.ok("audit", "verify")


def test_a_database_put_back_from_an_older_copy_is_detected(vet):
    vet.add_client(NAME)
    copy = vet.dir / "old-copy.db"
    shutil.copyfile(vet.db, copy)
    vet.add_client("Tweede Klant")
    vet.add_client("Derde Klant")
    head = _head(vet)
    _put_back(vet, copy)
    _rolled_back(vet)
    # Ordinary writes go on but leave the head where it was: the evidence stays.
    vet.add_client("Vierde Klant")
    assert _head(vet)["id"] == head["id"] and _head(vet)["hash"] == head["hash"]
    r = vet.run("doctor")
    assert r.exit_code == 1 and "which the log holds with other contents" in r.stdout
    # doctor --repair accepts the database as it is, says what the log lacks, and audits that.
    r = vet.run("doctor", "--repair")
    assert f"it recorded entry {head['id']} of" in r.stdout and "which the log lacked" in r.stdout
    vet.ok("doctor")
    vet.ok("audit", "verify")
    assert vet.sql("SELECT count(*) FROM audit_log WHERE action = 'doctor.repair'")[0][0] == 1


def test_the_last_audit_entries_deleted_with_the_key_are_detected(vet):
    vet.add_client(NAME)
    vet.add_client("Tweede Klant")
    last_id = _last_entry(vet)[0]
    vet.sql_write("DELETE FROM audit_log WHERE id >= ?", (last_id - 1,))
    r = vet.run("audit", "verify", "--json")
    assert r.exit_code == 1 and r.json()["first_broken_id"] is None  # the chain itself is intact
    assert "which the log lacks" in r.json()["problem"]
    _rolled_back(vet)


def test_a_missing_edited_or_symlinked_head_is_reported_and_never_followed(vet):
    vet.add_client(NAME)
    head_file = Path(str(vet.db) + ".audit-head")
    good = head_file.read_text()

    head_file.unlink()
    r = vet.run("doctor")
    assert r.exit_code == 1 and "audit head" in r.stdout and "is missing (deleted?)" in r.stdout
    vet.add_client("Tweede Klant")
    assert not head_file.exists()  # not written again by an ordinary write
    assert vet.run("audit", "verify").exit_code == 1

    head_file.write_text(good.replace('"id":', '"id":1', 1))  # edited
    r = vet.run("doctor")
    assert r.exit_code == 1 and "was edited or is damaged" in r.stdout
    assert vet.run("audit", "verify").exit_code == 1

    target = vet.dir / "elsewhere.txt"
    target.write_text("untouched")
    head_file.unlink()
    head_file.symlink_to(target)
    r = vet.run("doctor")
    assert r.exit_code == 1 and "is a symbolic link" in r.stdout
    vet.add_client("Derde Klant")
    assert head_file.is_symlink() and target.read_text() == "untouched"
    r = vet.run("restore", str(vet.dir / "none.db"), "--yes")
    assert r.exit_code == 3

    vet.ok("doctor", "--repair")
    assert not head_file.is_symlink() and target.read_text() == "untouched"
    assert (_head(vet)["id"], _head(vet)["hash"]) == _last_entry(vet)
    vet.ok("doctor")


def test_restore_of_an_older_backup_re_anchors_the_head(vet):
    vet.add_client(NAME)
    backup = vet.dir / "b.db"
    vet.ok("backup", str(backup))
    assert not Path(str(backup) + ".audit-head").exists()  # a backup needs none
    vet.add_client("Tweede Klant")
    r = vet.ok("restore", str(backup), "--yes", "--json")
    assert r.json()["would_lose"]["audit_entries"] >= 1
    assert (_head(vet)["id"], _head(vet)["hash"]) == _last_entry(vet)
    assert vet.sql("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1")[0][0] == "restore"
    vet.ok("doctor")
    vet.ok("audit", "verify")
    assert not list(vet.dir.glob("*.restoring*")) and not list(vet.dir.glob(".*audit-head*"))


def test_purge_says_when_another_connection_kept_the_wal(vet):
    number = vet.add_client(NAME)
    vet.sql_write("UPDATE client SET created_at = '2010-01-01 10:00:00', updated_at = '2010-01-01 10:00:00' "
                  "WHERE number = ?", (number,))
    other = _open_reader(vet)
    try:
        r = vet.run("purge", "--json")
    finally:
        other.close()
    assert r.exit_code == 0, r.stderr
    assert r.json()["purged_clients"] == 1 and r.json()["wal_checkpointed"] is False
    assert "purged data may remain in the -wal file until that program closes" in r.stderr
    quiet = vet.run("purge", "--json")
    assert quiet.json()["wal_checkpointed"] is True and "-wal" not in quiet.stderr
    assert "wal_checkpointed" not in vet.run("purge", "--dry-run", "--json").json()


def test_doctor_warns_while_another_program_keeps_pages_in_the_wal(vet):
    number = vet.add_client(NAME)
    other = _open_reader(vet)
    try:
        vet.ok("erase", number, "--verified-by", "Jet", "--id-document", "passport", "--yes")
        r = vet.run("doctor", "--json")
        checks = {c["name"]: c for c in r.json()["checks"]}
        assert checks["wal"]["warning"] is True and "another program has the database open" in checks["wal"]["message"]
    finally:
        other.close()
    r = vet.run("doctor", "--json")
    checks = {c["name"]: c for c in r.json()["checks"]}
    assert checks["wal"]["ok"] and not checks["wal"]["warning"], checks["wal"]
    wal = Path(str(vet.db) + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # emptied once the reader was gone
