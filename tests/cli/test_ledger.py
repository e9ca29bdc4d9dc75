"""The authenticated erasure ledger (issue 12 C; SPEC §5, §6): each attack refused or detected.

Someone with shell access but no key edits, shortens, reorders, empties,
symlinks or forges the ledger, rolls the database file back, or (with the
key) deletes the last audit entries; ``doctor``, ``audit verify`` and
``restore`` each say what they found in one line and never proceed silently.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from datetime import date
from pathlib import Path

import pytest

from vetcards import erasure, ledger
from vetcards.db import open_database
from vetcards.keys import read_key_file

ERASE = ("--verified-by", "Jet", "--id-document", "passport", "--yes")
FORGED = '{"v":1,"client_number":"K000001","erased_at":"2099-01-01T00:00:00Z"}\n'


def ledger_of(vet) -> Path:
    return Path(str(vet.db) + ".erasures")


def numbers(vet) -> list[str]:
    return [r[0] for r in vet.sql("SELECT number FROM client ORDER BY number")]


@pytest.fixture
def practice(vet):
    """K000001 under a legal hold (kept), K000002 erased after the backup b.db was taken."""
    held = vet.add_client("Anna Jansen")
    vet.ok("client", "hold", held, "--reason", "rechtszaak")
    gone = vet.add_client("Bert Bakker")
    vet.add_client("Carla Claes")
    vet.ok("backup", str(vet.dir / "b.db"))
    vet.ok("erase", gone, *ERASE)
    assert held == "K000001" and gone == "K000002"
    return vet


def refused_everywhere(vet, found: str, found_by_restore: str = "") -> None:
    """doctor and audit verify fail naming ``found``; restore refuses and changes nothing."""
    before = numbers(vet)
    r = vet.run("doctor")
    assert r.exit_code == 1 and found in r.stdout, r.stdout
    assert [x for x in r.stdout.splitlines() if x.startswith("FAIL")][0].startswith("FAIL erasure ledger")
    r = vet.run("audit", "verify")
    assert r.exit_code == 1 and found in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = vet.run("restore", str(vet.dir / "b.db"), "--yes")
    assert r.exit_code == 3 and (found_by_restore or found) in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert numbers(vet) == before
    assert not [p for p in vet.dir.iterdir() if ".replaced-" in p.name]


def test_a_clean_ledger_passes_everywhere(practice):
    vet = practice
    r = vet.ok("doctor")
    assert "OK   erasure ledger: 1 erasure(s) recorded apart from the database, every line authenticated" in r.stdout
    assert vet.ok("audit", "verify", "--json").json()["ledger_ok"] is True
    line = json.loads(ledger_of(vet).read_text())
    assert line["v"] == 2 and line["prev"] == ledger.GENESIS and len(line["mac"]) == 64
    # The anchor is the erase entry's audit hash.
    assert vet.sql("SELECT action FROM audit_log WHERE hash = ?", (line["anchor"],)) == [("erase",)]
    # The ledger key lives only inside the encrypted database, never shown by practice show.
    key = vet.sql("SELECT value FROM practice_setting WHERE key = 'ledger_key'")[0][0]
    shown = vet.ok("practice", "show")
    assert len(key) == 64 and key not in shown.stdout + shown.stderr


def test_forged_v1_line_appended_is_refused(practice):
    vet = practice
    with open(ledger_of(vet), "a") as fh:
        fh.write(FORGED)
    refused_everywhere(vet, "line 2 is an unauthenticated (v1) line after authenticated ones")
    assert "K000001" in numbers(vet)  # the held client is still there
    # And nothing is appended to a forged ledger (it would seal the forgery): the erase is refused.
    r = vet.run("erase", "K000003", *ERASE)
    assert r.exit_code == 3 and "nothing was changed" in r.stderr
    assert "K000003" in numbers(vet)


def test_forged_authenticated_line_is_refused(practice):
    vet = practice
    line = json.loads(ledger_of(vet).read_text())
    forged = dict(line, client_number="K000001", erased_at="2099-01-01T00:00:00Z", prev=line["mac"],
                  mac="0" * 64)
    with open(ledger_of(vet), "a") as fh:
        fh.write(json.dumps(forged) + "\n")
    refused_everywhere(vet, "line 2 fails its MAC (edited or forged)")


def test_edited_line_is_refused(practice):
    vet = practice
    path = ledger_of(vet)
    path.write_text(path.read_text().replace("K000002", "K000001"))
    refused_everywhere(vet, "line 1 fails its MAC (edited or forged)")


def test_reordered_lines_are_refused(practice):
    vet = practice
    vet.ok("erase", "K000003", *ERASE)
    path = ledger_of(vet)
    first, second = path.read_text().splitlines()
    path.write_text(second + "\n" + first + "\n")
    refused_everywhere(vet, "line 1 does not follow the line before it")


def test_shortened_ledger_is_refused(practice):
    vet = practice
    vet.ok("erase", "K000003", *ERASE)
    path = ledger_of(vet)
    path.write_text(path.read_text().splitlines()[0] + "\n")
    refused_everywhere(vet, "lacks the last line this database wrote",
                       "lacks the last line the database being replaced wrote")


def test_emptied_ledger_is_refused_and_repaired(practice):
    vet = practice
    ledger_of(vet).write_text("")  # : > practice.db.erasures
    refused_everywhere(vet, "is empty", "lacks the last line the database being replaced wrote")
    # doctor --repair rebuilds it from the erasure table; then a restore re-applies the erasure.
    r = vet.run("doctor", "--repair")
    assert "erasures recorded in the ledger: K000002" in r.stdout, r.stdout
    assert r.exit_code == 0, r.stdout
    res = vet.ok("restore", str(vet.dir / "b.db"), "--yes", "--json").json()
    assert res["erasures_reapplied"] == ["K000002"]
    assert numbers(vet) == ["K000001", "K000003"]


def test_symlinked_ledger_is_refused_never_followed(practice):
    vet = practice
    path = ledger_of(vet)
    target = vet.dir / "elsewhere"
    target.write_text(path.read_text())
    os.chmod(target, 0o644)
    path.unlink()
    path.symlink_to(target)
    refused_everywhere(vet, "is a symbolic link")
    before = target.read_bytes()
    r = vet.run("erase", "K000003", *ERASE)
    assert r.exit_code == 3 and "symbolic link" in r.stderr
    assert target.read_bytes() == before and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert "K000003" in numbers(vet)


def test_shortened_audit_log_is_detected(practice):
    vet = practice
    anchor = json.loads(ledger_of(vet).read_text())["anchor"]
    # With the key: delete the last entries (from the erase entry on). The chain that is left is intact.
    vet.sql_write("DELETE FROM audit_log WHERE id >= (SELECT id FROM audit_log WHERE hash = ?)", (anchor,))
    r = vet.run("doctor")
    assert r.exit_code == 1 and "the audit log lacks the hash anchored in ledger line 1" in r.stdout
    r = vet.run("audit", "verify", "--json")
    assert r.exit_code == 1 and "the audit log lacks the hash anchored in ledger line 1" in r.json()["ledger_problem"]
    assert "audit log shortened or database rolled back since" in r.json()["problem"]  # the audit head, too


def test_rolled_back_database_is_detected_and_repaired(vet):
    vet.add_client("Anna Jansen")
    gone = vet.add_client("Bert Bakker")
    copy = vet.dir / "copy.db"
    shutil.copy(vet.db, copy)
    vet.ok("erase", gone, *ERASE)
    os.replace(copy, vet.db)  # the file put back; its -wal lost
    for suffix in ("-wal", "-shm"):
        Path(str(vet.db) + suffix).unlink(missing_ok=True)
    assert gone in numbers(vet)
    r = vet.run("doctor")
    assert r.exit_code == 1, r.stdout
    assert "no ledger key" in r.stdout or f"erasure(s) this database lacks: {gone}" in r.stdout
    r = vet.run("audit", "verify")
    assert r.exit_code == 1


def test_rolled_back_database_after_the_first_erasure_is_repaired(practice):
    vet = practice
    copy = vet.dir / "copy.db"
    shutil.copy(vet.db, copy)
    vet.ok("erase", "K000003", *ERASE)
    os.replace(copy, vet.db)
    for suffix in ("-wal", "-shm"):
        Path(str(vet.db) + suffix).unlink(missing_ok=True)
    assert "K000003" in numbers(vet)
    r = vet.run("doctor")
    assert r.exit_code == 1 and "erasure(s) this database lacks: K000003 (line 2)" in r.stdout, r.stdout
    assert vet.run("audit", "verify").exit_code == 1
    r = vet.run("doctor", "--repair")
    assert r.exit_code == 0 and "erasures re-applied: K000003" in r.stdout, r.stdout
    assert numbers(vet) == ["K000001"]
    assert vet.ok("audit", "verify", "--json").json()["ok"] is True


def _crash_before_commit(vet, number: str) -> None:
    """An erase that wrote its ledger line and then died before its commit."""

    class Crash(BaseException):
        pass

    database = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        with database.unit("tester") as uow:
            real_append = ledger.append

            def append_then_die(*args, **kw):
                real_append(*args, **kw)
                raise Crash

            ledger.append = append_then_die
            try:
                with pytest.raises(Crash):
                    erasure.erase(uow, number, "Jet", "passport", as_of=date.today())
            finally:
                ledger.append = real_append
    finally:
        database.close()


def test_a_crash_between_ledger_line_and_commit_loses_no_erasure(practice):
    vet = practice
    _crash_before_commit(vet, "K000003")
    assert "K000003" in numbers(vet)  # not committed ...
    assert [e["client_number"] for e in ledger.read_ledger(ledger_of(vet))] == ["K000002", "K000003"]
    r = vet.run("doctor")  # ... but reported, and re-applied by a repair or a restore
    assert r.exit_code == 1 and "erasure(s) this database lacks: K000003" in r.stdout
    res = vet.ok("restore", str(vet.dir / "b.db"), "--yes", "--json").json()
    assert res["erasures_reapplied"] == ["K000002", "K000003"]
    assert numbers(vet) == ["K000001"]
    assert vet.ok("doctor").exit_code == 0


def test_restore_to_another_path_uses_the_ledger_given(practice):
    vet = practice
    other = vet.dir / "test" / "test.db"
    original = ledger_of(vet).read_bytes()
    # Without --ledger the new path has no ledger: nothing to re-apply, and it says which ledger it used.
    res = vet.ok("restore", str(vet.dir / "b.db"), "--dry-run", "--json", env={"VETCARDS_DB": str(other)}).json()
    assert res["ledger"] == str(other) + ".erasures" and res["erasures_reapplied"] == []
    res = vet.ok("restore", str(vet.dir / "b.db"), "--ledger", str(ledger_of(vet)), "--yes", "--json",
                 env={"VETCARDS_DB": str(other)}).json()
    assert res["erasures_reapplied"] == ["K000002"]
    assert ledger_of(vet).read_bytes() == original  # the practice's ledger is untouched
    own = Path(str(other) + ".erasures")
    assert own.read_bytes().startswith(original) and stat.S_IMODE(own.stat().st_mode) == 0o600
    assert vet.ok("doctor", env={"VETCARDS_DB": str(other)}).exit_code == 0
    assert vet.ok("doctor").exit_code == 0


def test_restore_says_what_it_would_lose_and_keeps_the_replaced_database(practice):
    vet = practice
    vet.ok("practice", "set", "--name", "Dierenkliniek De Linde", "--street", "Lindelaan 3",
           "--postcode", "3511 AA", "--city", "Utrecht", "--btw", "NL000099998B57")
    vet.ok("invoice", "create", "K000003", "--line", "Consult;1;45,00", "--payment", "pin")
    before = vet.db.read_bytes()
    res = vet.ok("restore", str(vet.dir / "b.db"), "--dry-run", "--json").json()
    assert res["dry_run"] is True and res["erasures_reapplied"] == ["K000002"]
    assert res["would_lose"]["invoices"] == 1 and res["would_lose"]["payments"] == 1
    assert res["would_lose"]["audit_entries"] >= 3
    assert vet.db.read_bytes() == before and res["previous_file_kept_as"] is None
    r = vet.ok("restore", str(vet.dir / "b.db"), "--dry-run")
    assert "would lose" in r.stderr + r.stdout and "1 invoices" in r.stderr + r.stdout

    res = vet.ok("restore", str(vet.dir / "b.db"), "--yes", "--json").json()
    kept = Path(res["previous_file_kept_as"])
    assert kept.parent == vet.dir and kept.name.startswith("practice.db.replaced-")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert vet.sql("SELECT count(*) FROM invoice") == [(0,)]
    # The day's invoice is in the kept copy.
    assert vet.ok("invoice", "list", "--format", "json", env={"VETCARDS_DB": str(kept)}).json()


def test_legacy_v1_ledger_is_read_as_a_prefix(practice):
    vet = practice
    # An older vetcards wrote v1 lines and kept no key or head in the database.
    erased_at = vet.sql("SELECT erased_at FROM erasure")[0][0]
    v1 = json.dumps({"v": 1, "client_number": "K000002", "erased_at": erased_at[:19].replace(" ", "T") + "Z"})
    ledger_of(vet).write_text(v1 + "\n")
    vet.sql_write("DELETE FROM practice_setting WHERE key IN ('ledger_key', 'ledger_head', 'audit_head_since')")
    Path(str(vet.db) + ".audit-head").unlink()
    r = vet.ok("doctor")
    assert "1 legacy unauthenticated (v1) line(s) accepted as a prefix" in r.stdout
    assert "doctor --repair to seal them" in r.stdout
    # A forged v1 line: in the future, or naming a client this database never erased.
    path = ledger_of(vet)
    path.write_text(v1 + "\n" + FORGED)
    assert "dated in the future" in vet.run("doctor").stdout
    path.write_text(v1 + "\n" + FORGED.replace("2099", "2020"))
    r = vet.run("doctor")
    assert r.exit_code == 1 and "line 2 is an unauthenticated (v1) line naming K000001" in r.stdout
    r = vet.run("restore", str(vet.dir / "b.db"), "--yes")
    assert r.exit_code == 3 and "K000001" in r.stderr and "K000001" in numbers(vet)
    # The genuine prefix (here without its final newline) is sealed by the repair; later lines chain on to it.
    path.write_text(v1)
    r = vet.ok("doctor", "--repair")
    assert "sealed by the first authenticated line" in r.stdout
    vet.ok("erase", "K000003", *ERASE)
    assert "sealed by the first authenticated line" in vet.ok("doctor").stdout
    path.write_text(FORGED.replace("2099", "2020") + path.read_text())  # slipped in before the sealed prefix
    assert "does not follow the line before it" in vet.run("doctor").stdout


def test_wal_is_checkpointed_after_erase_and_purge(vet):
    gone = vet.add_client("Bert Bakker")
    vet.add_pet(gone, name="Pluisje")
    reader = vet.connect()  # another connection stays open (idle), so the WAL is not removed on close
    try:
        reader.execute("SELECT count(*) FROM client").fetchall()
        vet.ok("erase", gone, *ERASE)
        wal = Path(str(vet.db) + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        vet.add_client("Carla Claes")
        assert wal.stat().st_size > 0
        vet.ok("purge")
        assert wal.stat().st_size == 0
    finally:
        reader.close()
