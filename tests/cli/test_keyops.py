"""rekey, backup and restore on real encrypted files, through the CLI.

Passphrase opens cost ~0.2 s each (PBKDF2, 256,000 iterations), so the
passphrase cases are chained in one test.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlcipher3

NAME = "Wilhelmina Backupvrouw"


def raw_open(path: Path, secret: str, raw: bool = True):
    conn = sqlcipher3.connect(str(path), isolation_level=None, timeout=30)
    conn.execute("PRAGMA cipher_log_level = NONE")
    value = f"x'{secret}'" if raw else secret
    conn.execute('PRAGMA key = "' + value.replace('"', '""') + '"')
    return conn


def key_of(path: Path) -> str:
    return path.read_text().strip()


def checks(path: Path, secret: str, raw: bool = True) -> tuple[list, list]:
    conn = raw_open(path, secret, raw)
    try:
        return (conn.execute("PRAGMA cipher_integrity_check").fetchall(),
                conn.execute("PRAGMA integrity_check").fetchall())
    finally:
        conn.close()


def names(vet, **env: str) -> list[str]:
    r = vet.run("client", "list", "--format", "json", env=env)
    assert r.exit_code == 0, r.stderr
    return sorted(c["name"] for c in r.json())


def audit_actions(vet, **env: str) -> list[str]:
    r = vet.run("audit", "show", "--format", "json", env=env)
    assert r.exit_code == 0, r.stderr
    # Views of personal data are audited too (client.list, ...): leave them out.
    return [e["action"] for e in r.json() if not e["action"].endswith((".view", ".list", ".search"))]


# --------------------------------------------------------------------------
# rekey
# --------------------------------------------------------------------------


def test_rekey_key_file_to_new_key_file(vet):
    vet.add_client(NAME)
    old = key_of(vet.key_file)
    new_file = vet.dir / "new.key"

    out = vet.ok("rekey", "--new-key-file", str(new_file), "--json").json()

    assert out["new_key"] == "key file" and out["key_file"] == str(new_file)
    assert stat.S_IMODE(new_file.stat().st_mode) == 0o600
    assert not Path(str(new_file) + ".pending").exists()
    r = vet.run("client", "list")
    assert r.exit_code == 3 and r.stderr.startswith("error: ") and "wrong key" in r.stderr
    assert names(vet, VETCARDS_KEY_FILE=str(new_file)) == [NAME]
    assert checks(vet.db, key_of(new_file)) == ([], [("ok",)])
    # Audited, with no key material in the log.
    log = vet.run("audit", "show", "--format", "json", env={"VETCARDS_KEY_FILE": str(new_file)}).stdout
    assert "rekey" in [e["action"] for e in json.loads(log)]
    assert old not in log and key_of(new_file) not in log
    assert vet.run("audit", "verify", env={"VETCARDS_KEY_FILE": str(new_file)}).exit_code == 0


def test_rekey_replaces_the_key_file_in_use(vet):
    vet.add_client(NAME)
    old = key_of(vet.key_file)
    vet.ok("rekey", "--new-key-file", str(vet.key_file))
    assert key_of(vet.key_file) != old
    assert names(vet) == [NAME]
    conn = raw_open(vet.db, old)
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    conn.close()


def test_rekey_passphrases_and_back_to_a_key_file(vet):
    vet.add_client(NAME)
    first = "correct horse battery staple"
    second = 'an "odd" pass\'phrase with quotes; and = signs'
    none = {"VETCARDS_KEY_FILE": ""}

    # key file -> passphrase
    vet.ok("rekey", "--new-passphrase", env={"VETCARDS_NEW_PASSPHRASE": first})
    assert vet.run("client", "list").exit_code == 3
    # passphrase -> passphrase
    vet.ok("rekey", "--new-passphrase", env={**none, "VETCARDS_PASSPHRASE": first,
                                             "VETCARDS_NEW_PASSPHRASE": second})
    assert vet.run("client", "list", env={**none, "VETCARDS_PASSPHRASE": first}).exit_code == 3
    assert names(vet, **none, VETCARDS_PASSPHRASE=second) == [NAME]
    # passphrase -> key file
    new_file = vet.dir / "back.key"
    vet.ok("rekey", "--new-key-file", str(new_file), env={**none, "VETCARDS_PASSPHRASE": second})
    assert vet.run("client", "list", env={**none, "VETCARDS_PASSPHRASE": second}).exit_code == 3
    assert names(vet, VETCARDS_KEY_FILE=str(new_file)) == [NAME]
    assert audit_actions(vet, VETCARDS_KEY_FILE=str(new_file)).count("rekey") == 3
    assert checks(vet.db, key_of(new_file)) == ([], [("ok",)])


def test_rekey_refusals_change_nothing(vet):
    vet.add_client(NAME)
    before = vet.db.read_bytes()
    other = vet.dir / "exists.key"
    other.write_text("x")
    os.chmod(other, 0o600)
    cases = [
        (("rekey", "--new-key-file", str(other)), {}, 3, "already exists"),
        (("rekey", "--new-passphrase"), {"VETCARDS_NEW_PASSPHRASE": "short"}, 3, "at least 12"),
        (("rekey", "--new-passphrase"), {}, 2, "VETCARDS_NEW_PASSPHRASE"),
        (("rekey",), {}, 2, "exactly one"),
        (("rekey", "--new-passphrase", "--new-key-file", str(vet.dir / "n.key")), {}, 2, "exactly one"),
    ]
    for args, env, code, words in cases:
        r = vet.run(*args, env=env)
        assert r.exit_code == code, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and words in r.stderr, r.stderr
    assert vet.db.read_bytes() == before
    assert not (vet.dir / "n.key").exists()
    assert names(vet) == [NAME]


def test_rekey_refused_while_another_process_has_the_database_open(vet):
    vet.add_client(NAME)
    other = raw_open(vet.db, key_of(vet.key_file))
    other.execute("SELECT count(*) FROM client").fetchall()  # open, idle
    try:
        r = vet.run("rekey", "--new-key-file", str(vet.dir / "n.key"))
    finally:
        other.close()
    assert r.exit_code == 3 and "in use by another process" in r.stderr
    assert not (vet.dir / "n.key").exists() and not (vet.dir / "n.key.pending").exists()
    assert names(vet) == [NAME]


def test_rekey_refuses_while_a_pending_key_file_is_left(vet):
    pending = vet.dir / "n.key.pending"
    pending.write_text("0" * 64)
    os.chmod(pending, 0o600)
    r = vet.run("rekey", "--new-key-file", str(vet.dir / "n.key"))
    assert r.exit_code == 3 and "interrupted" in r.stderr
    assert names(vet) == []


# --------------------------------------------------------------------------
# backup
# --------------------------------------------------------------------------


def test_backup_during_an_open_write_transaction_is_consistent(vet):
    vet.add_client(NAME)
    out = vet.dir / "backup.db"
    writer = raw_open(vet.db, key_of(vet.key_file))
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE client SET city = 'Uncommitted' WHERE number = 'K000001'")
    env = {**os.environ, "VETCARDS_DB": str(vet.db), "VETCARDS_KEY_FILE": str(vet.key_file)}
    proc = subprocess.Popen([sys.executable, "-m", "vetcards", "backup", str(out), "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not out.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    # The copy is published while the write transaction is still open ...
    assert out.exists(), proc.communicate()
    writer.execute("COMMIT")
    writer.close()
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert json.loads(stdout)["clients"] == 1
    # ... and holds the committed state only.
    key = key_of(vet.key_file)
    copy = raw_open(out, key)
    assert copy.execute("SELECT city FROM client").fetchall() == [("Utrecht",)]
    assert copy.execute("PRAGMA cipher_integrity_check").fetchall() == []
    assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert copy.execute("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1").fetchall() == [("backup",)]
    copy.close()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in vet.dir.iterdir() if p.name.endswith(".partial")]
    # Not readable without SQLCipher.
    plain = sqlite3.connect(str(out))
    with pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchall()
    plain.close()
    assert NAME.encode() not in out.read_bytes()
    # A standard SQLCipher 4 file: an independent implementation opens it.
    apsw = pytest.importorskip("apsw")
    mc = apsw.Connection(str(out))
    mc.pragma("cipher", "sqlcipher")
    mc.pragma("legacy", 4)
    mc.execute(f"PRAGMA key = \"x'{key}'\"")
    assert list(mc.execute("SELECT name FROM client")) == [(NAME,)]
    mc.close()
    # The source's audit log records the backup too.
    assert audit_actions(vet)[-1] == "backup"


def test_backup_while_a_subprocess_writes(vet, tmp_path):
    vet.add_client(NAME)
    script = (
        "import sys, typer\n"
        "from vetcards.cli import app\n"
        "cmd = typer.main.get_command(app)\n"
        "for i in range(80):\n"
        "    code = cmd.main(['client','add','--name',f'Schrijver {i}','--street','Laan 1','--postcode','1234 AB',"
        "'--city','Delft','--consent'], standalone_mode=False)\n"
        "    assert code == 0, code\n"
        "    if i == 5: print('go', file=sys.stderr, flush=True)\n"
    )
    env = {**os.environ, "VETCARDS_DB": str(vet.db), "VETCARDS_KEY_FILE": str(vet.key_file)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # "client K... added" lines, then "go"
            if line.strip() == "go":
                break
        outs = []
        for n in range(3):
            out = tmp_path / f"b{n}.db"
            vet.ok("backup", str(out))
            outs.append(out)
    finally:
        proc.wait(120)
    assert proc.returncode == 0, proc.stderr.read()
    key = key_of(vet.key_file)
    counts = []
    for out in outs:
        assert checks(out, key) == ([], [("ok",)])
        conn = raw_open(out, key)
        n = conn.execute("SELECT count(*) FROM client").fetchone()[0]
        # Every client in the copy came with its consent and its audit entry.
        assert conn.execute("SELECT count(*) FROM consent").fetchone()[0] == n
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'client.add'").fetchone()[0] == n
        conn.close()
        counts.append(n)
        r = vet.run("audit", "verify", env={"VETCARDS_DB": str(out)})
        assert r.exit_code == 0, r.stderr
    assert counts == sorted(counts) and 1 <= counts[0] and counts[-1] <= 81


def test_backup_with_another_key_file(vet):
    vet.add_client(NAME)
    other = vet.dir / "backup.key"
    vet.ok("init", "--new-key-file", str(other), env={"VETCARDS_DB": str(vet.dir / "scratch.db"),
                                                      "VETCARDS_KEY_FILE": ""})
    out = vet.dir / "other.db"
    out_json = vet.ok("backup", str(out), "--key-file", str(other), "--json").json()
    assert out_json["key"] == "other"
    assert checks(out, key_of(other)) == ([], [("ok",)])
    assert names(vet, VETCARDS_DB=str(out), VETCARDS_KEY_FILE=str(other)) == [NAME]
    assert vet.run("client", "list", env={"VETCARDS_DB": str(out)}).exit_code == 3


def test_backup_key_file_that_is_a_directory_is_a_key_error(vet):
    """--out-key-file DIR (and its alias --key-file DIR) exits 3 like the global --key-file DIR; nothing written."""
    folder = vet.dir / "keys"
    folder.mkdir(mode=0o700)
    for option in ("--out-key-file", "--key-file"):
        out = vet.dir / f"b{option}.db"
        r = vet.run("backup", str(out), option, str(folder))
        assert r.exit_code == 3, (option, r.exit_code, r.stderr)
        assert "key file" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert not out.exists()
    r = vet.run("client", "list", env={"VETCARDS_KEY_FILE": str(folder)})
    assert r.exit_code == 3


def test_backup_refuses_to_overwrite(vet):
    out = vet.dir / "taken.db"
    out.write_bytes(b"something precious")
    r = vet.run("backup", str(out))
    assert r.exit_code == 1 and "not overwritten" in r.stderr
    assert out.read_bytes() == b"something precious"
    r = vet.run("backup", str(vet.db))
    assert r.exit_code == 1


# --------------------------------------------------------------------------
# restore
# --------------------------------------------------------------------------


def test_restore_reapplies_erasures_made_after_the_backup(vet):
    early = vet.add_client("Eerder Gewist")
    vet.ok("erase", early, "--verified-by", "Jet", "--id-document", "passport", "--yes")
    keep = vet.add_client(NAME)
    gone = vet.add_client("Later Gewist Persoon")
    vet.add_pet(gone, name="Pluisje")
    out = vet.dir / "before-erasure.db"
    vet.ok("backup", str(out))
    vet.ok("erase", gone, "--verified-by", "Jet", "--id-document", "passport", "--yes")
    vet.add_client("Na Backup")  # lost by the restore, as any later change

    # Not without confirmation in a script.
    r = vet.run("restore", str(out))
    assert r.exit_code == 2 and "--yes" in r.stderr
    res = vet.ok("restore", str(out), "--yes", "--json").json()

    assert res["erasures_reapplied"] == [gone]
    assert res["ledger_entries"] == 2 and early not in res["erasures_reapplied"]
    assert names(vet) == [NAME]
    assert vet.sql("SELECT count(*) FROM pet")[0][0] == 0
    assert vet.sql("SELECT number FROM client") == [(keep,)]
    assert vet.run("audit", "verify").exit_code == 0
    assert audit_actions(vet)[-2:] == ["erase", "restore"]
    assert checks(vet.db, key_of(vet.key_file)) == ([], [("ok",)])
    assert stat.S_IMODE(vet.db.stat().st_mode) == 0o600
    assert not [p for p in vet.dir.iterdir() if p.name.endswith(".restoring")]
    # A second restore of the same backup gives the same result.
    vet.ok("restore", str(out), "--yes")
    assert names(vet) == [NAME]


def test_restore_checks_the_backup_first(vet):
    vet.add_client(NAME)
    other = vet.dir / "other.key"
    vet.ok("init", "--new-key-file", str(other), env={"VETCARDS_DB": str(vet.dir / "o.db"),
                                                      "VETCARDS_KEY_FILE": ""})
    r = vet.run("restore", str(vet.dir / "o.db"), "--yes")
    assert r.exit_code == 3 and "wrong key" in r.stderr
    r = vet.run("restore", str(vet.dir / "missing.db"), "--yes")
    assert r.exit_code == 3 and "no backup" in r.stderr
    # A damaged backup is refused.
    out = vet.dir / "b.db"
    vet.ok("backup", str(out))
    before = vet.db.read_bytes()
    data = bytearray(out.read_bytes())
    data[-100] ^= 0xFF
    out.write_bytes(bytes(data))
    r = vet.run("restore", str(out), "--yes")
    assert r.exit_code == 3 and "integrity" in r.stderr
    assert vet.db.read_bytes() == before
    assert names(vet) == [NAME]


def test_restore_refused_while_the_database_is_in_use(vet):
    vet.add_client(NAME)
    out = vet.dir / "b.db"
    vet.ok("backup", str(out))
    vet.add_client("Blijft Staan")
    other = raw_open(vet.db, key_of(vet.key_file))
    other.execute("SELECT count(*) FROM client").fetchall()
    try:
        r = vet.run("restore", str(out), "--yes")
    finally:
        other.close()
    assert r.exit_code == 3 and "in use" in r.stderr
    assert names(vet) == sorted([NAME, "Blijft Staan"])


def test_restore_onto_a_missing_database(vet):
    vet.add_client(NAME)
    out = vet.dir / "b.db"
    vet.ok("backup", str(out))
    target = vet.dir / "new-machine" / "practice.db"
    vet.ok("restore", str(out), "--yes", env={"VETCARDS_DB": str(target)})
    assert names(vet, VETCARDS_DB=str(target)) == [NAME]


def test_restore_sets_aside_a_live_file_the_key_does_not_open(vet):
    vet.add_client(NAME)
    out = vet.dir / "b.db"
    vet.ok("backup", str(out))
    # The live file is now encrypted with another key (or damaged): not deleted, set aside.
    vet.ok("rekey", "--new-key-file", str(vet.dir / "other.key"))
    vet.ok("client", "add", "--name", "Onder Andere Sleutel", "--street", "Laan 1", "--postcode", "1234 AB",
           "--city", "Utrecht", "--consent", env={"VETCARDS_KEY_FILE": str(vet.dir / "other.key")})
    res = vet.ok("restore", str(out), "--yes", "--json").json()
    kept = Path(res["previous_file_kept_as"])
    assert kept.parent == vet.dir and kept.name.startswith("practice.db.replaced-")
    assert names(vet) == [NAME]
    assert names(vet, VETCARDS_DB=str(kept), VETCARDS_KEY_FILE=str(vet.dir / "other.key")) == \
        sorted([NAME, "Onder Andere Sleutel"])


def test_restore_replay_keeps_what_a_hold_keeps(vet):
    vet.ok("practice", "set", "--name", "Dierenkliniek De Linde", "--street", "Lindelaan 3",
           "--postcode", "3511 AA", "--city", "Utrecht", "--btw", "NL000099998B57")
    number = vet.add_client(NAME, birth_date="1970-01-01", phone="06 12345678")
    vet.add_pet(number, name="Pluisje")
    vet.ok("invoice", "create", number, "--line", "Consult;1;45,00", "--payment", "account")
    out = vet.dir / "b.db"
    vet.ok("backup", str(out))
    vet.ok("erase", number, "--verified-by", "Jet", "--id-document", "passport", "--yes")
    erased = vet.sql("SELECT restricted, phone, name FROM client WHERE number = ?", (number,))
    assert erased == [(1, None, NAME)]  # kept for the claim, restricted

    res = vet.ok("restore", str(out), "--yes", "--json").json()

    assert res["erasures_reapplied"] == [number]
    assert vet.sql("SELECT restricted, phone, name FROM client WHERE number = ?", (number,)) == erased
    assert vet.sql("SELECT count(*) FROM pet") == [(0,)]
    assert vet.sql("SELECT count(*), min(status) FROM invoice") == [(1, "open")]
    assert names(vet) == []  # restricted data is hidden from lists
