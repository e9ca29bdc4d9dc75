"""``vetcards doctor``: one line per check, OK or what to do; exit 0 only when all are OK."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

import sqlcipher3

from vetcards import doctor
from vetcards.keys import read_key_file


def write_sql(vet, *statements: str) -> None:
    conn = sqlcipher3.connect(str(vet.db), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = \"x'{vet.key_file.read_text().strip()}'\"")
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def lines(r) -> dict[str, str]:
    out = {}
    for line in r.stdout.splitlines():
        status, rest = line.split(" ", 1)
        name, message = rest.strip().split(": ", 1)
        out[name] = f"{status.strip()} {message}"
    return out


def failing(r) -> list[str]:
    return sorted(k for k, v in lines(r).items() if v.startswith("FAIL"))


def test_doctor_on_a_healthy_database(vet):
    vet.add_client()
    r = vet.run("doctor")
    assert r.exit_code == 0, r.stdout + r.stderr
    got = lines(r)
    for name in ("permissions", "key file", "schema", "integrity", "encryption", "audit log",
                 "retention purge", "data-subject requests", "erasure ledger"):
        assert got[name].startswith("OK"), (name, got)
    data = vet.ok("doctor", "--json").json()
    assert data["ok"] is True and {c["name"] for c in data["checks"]} >= set(got)


def test_doctor_reports_open_permissions(vet):
    os.chmod(vet.db, 0o644)
    r = vet.run("doctor")
    assert r.exit_code == 1
    assert failing(r) == ["permissions"]
    assert f"chmod 600 {vet.db}" in lines(r)["permissions"]


def test_doctor_reports_an_overdue_request(vet):
    number = vet.add_client()
    received = (date.today() - timedelta(days=45)).isoformat()
    vet.ok("request", "add", number, "--type", "access", "--received", received)
    r = vet.run("doctor")
    assert r.exit_code == 1 and failing(r) == ["data-subject requests"]
    assert "1 overdue" in lines(r)["data-subject requests"] and number in r.stdout
    assert "vetcards request list" in r.stdout


def test_doctor_reports_a_stale_or_missing_purge(vet):
    vet.add_client()
    key = read_key_file(vet.key_file)
    later = date.today() + timedelta(days=60)
    report = doctor.run(vet.db, key, key_file=vet.key_file, today=later)
    bad = [c for c in report.checks if not c.ok]
    assert [c.name for c in bad] == ["retention purge"]
    assert "never purged" in bad[0].message and "vetcards purge" in bad[0].message
    vet.ok("purge")
    assert doctor.run(vet.db, key, key_file=vet.key_file).ok
    report = doctor.run(vet.db, key, key_file=vet.key_file, today=later)
    assert [c.name for c in report.checks if not c.ok] == ["retention purge"]
    assert "60 days ago" in [c for c in report.checks if not c.ok][0].message


def test_doctor_reports_a_tampered_audit_log(vet):
    vet.add_client()
    vet.add_client("Bert Tweede")
    write_sql(vet, "UPDATE audit_log SET details = '{}' WHERE id = 2")
    r = vet.run("doctor")
    assert r.exit_code == 1 and failing(r) == ["audit log"]
    assert "broken at entry 2" in lines(r)["audit log"]


def test_doctor_reports_damaged_pages(vet):
    vet.add_client()
    write_sql(vet, "PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(vet.db.read_bytes())
    page = 4096
    target = (len(data) // page - 2) * page + 200  # inside a late page, not page 1
    data[target] ^= 0xFF
    vet.db.write_bytes(bytes(data))
    r = vet.run("doctor")
    assert r.exit_code == 1, r.stdout + r.stderr
    assert "encryption" in failing(r)
    assert "vetcards restore" in lines(r)["encryption"]


def test_doctor_reports_a_pending_migration_without_running_it(vet):
    write_sql(vet, "UPDATE alembic_version SET version_num = '0001'")
    r = vet.run("doctor", "--json")
    assert r.exit_code == 1
    checks = {c["name"]: c for c in r.json()["checks"]}
    assert not checks["schema"]["ok"] and "migrate" in checks["schema"]["message"]
    assert vet.sql("SELECT version_num FROM alembic_version") == [("0001",)]


def test_doctor_reports_erasures_missing_from_the_ledger(vet):
    number = vet.add_client()
    vet.ok("erase", number, "--verified-by", "Jet", "--id-document", "passport", "--yes")
    assert vet.run("doctor").exit_code == 0
    Path(str(vet.db) + ".erasures").unlink()
    r = vet.run("doctor")
    assert r.exit_code == 1 and failing(r) == ["erasure ledger"]
    assert number in lines(r)["erasure ledger"]


def test_doctor_with_a_wrong_key_is_one_line_exit_3(vet, tmp_path):
    other = tmp_path / "other.key"
    other.write_text("ab" * 32)
    os.chmod(other, 0o600)
    r = vet.run("doctor", env={"VETCARDS_KEY_FILE": str(other)})
    assert r.exit_code == 3 and r.stderr.count("\n") == 1 and "wrong key" in r.stderr
    assert r.stdout == ""


def test_doctor_json_is_one_object(vet):
    os.chmod(vet.db, 0o640)
    r = vet.run("doctor", "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["ok"] is False and data["database"] == str(vet.db)
    assert [c["name"] for c in data["checks"] if not c["ok"]] == ["permissions"]


def test_doctor_points_to_a_pending_key_file_after_an_interrupted_rekey(vet):
    # A rekey in place that died after its commit, before the rename: the
    # database needs the key in practice.key.pending, practice.key is the old one.
    from vetcards import rekey
    from vetcards.db import open_database

    key = read_key_file(vet.key_file)
    pending = Path(str(vet.key_file) + ".pending")
    database = open_database(vet.db, key, write=True)
    new_db, _ = rekey.rekey(database, key, new_key_file=vet.dir / "tmp.key", current_key_file=vet.key_file)
    new_db.close()
    (vet.dir / "tmp.key").rename(pending)
    r = vet.run("doctor")
    assert r.exit_code == 3 and r.stderr.count("\n") == 1
    assert "interrupted rekey" in r.stderr and str(pending) in r.stderr
    pending.rename(vet.key_file)
    assert vet.run("doctor").exit_code == 0


def test_doctor_warns_while_recipients_keep_placeholder_names(vet):
    """A fresh register holds the seeded "(generiek)" recipients: a warning (WARN, exit 0), not a failure;
    registering a real party of a kind settles that kind."""
    r = vet.run("doctor")
    assert r.exit_code == 0, r.stdout + r.stderr
    got = lines(r)["recipients"]
    assert got.startswith("WARN 3 still under a placeholder name")
    assert "Laboratorium (generiek) (lab, id" in got and "Apotheek (generiek)" in got
    assert "NDG" not in got  # a real name, seeded too
    data = vet.ok("doctor", "--json").json()
    check = next(c for c in data["checks"] if c["name"] == "recipients")
    assert data["ok"] is True and check["ok"] is True and check["warning"] is True
    assert all(c["warning"] is False for c in data["checks"] if c["name"] != "recipients")

    vet.ok("recipient", "add", "--name", "Veterinair Lab Utrecht", "--kind", "lab", "--categories", "naw,animal")
    got = lines(vet.run("doctor"))["recipients"]
    assert got.startswith("WARN 2 still") and "Laboratorium" not in got
    for name, kind in (("Apotheek De Linde", "pharmacy"), ("Drukkerij Jansen", "printer")):
        vet.ok("recipient", "add", "--name", name, "--kind", kind, "--categories", "naw,animal")
    r = vet.run("doctor", "--json")
    check = next(c for c in r.json()["checks"] if c["name"] == "recipients")
    assert check["warning"] is False and "none under a placeholder name" in check["message"]
