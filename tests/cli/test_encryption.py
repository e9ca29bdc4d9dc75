"""The encrypted file (SPEC §6): no plaintext on disk, a standard SQLCipher 4
file, keys from the right source, and every refusal leaving the file untouched.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

# Distinctive values: none of them may ever appear in the bytes on disk.
NAME = "Wilhelmina Zonderland"
STREET = "Kastanjelaan 987"
CITY = "Zwaagdijk-Oost"
EMAIL = "wilhelmina.zonderland@voorbeeld.nl"
PHONE_STORED = "+31612345678"
PET = "Snuffelientje"
BREED = "Drentsche Patrijshond"
NEEDLES = [NAME, "Zonderland", STREET, "Kastanjelaan", CITY, "Zwaagdijk", EMAIL, "voorbeeld.nl",
           PHONE_STORED, "612345678", PET, BREED, "Patrijshond"]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def siblings(db: Path) -> set[str]:
    """Files next to the database that belong to it (-wal, -shm, -journal)."""
    return {p.name for p in db.parent.iterdir() if p.name.startswith(db.name)}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sqlcipher_open(db: Path, key_hex: str):
    import sqlcipher3

    conn = sqlcipher3.connect(str(db))
    conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
    return conn


def apsw_open(db: Path, key_pragma: str):
    """Open with SQLite3 Multiple Ciphers, an independent SQLCipher 4 implementation."""
    import apsw

    conn = apsw.Connection(str(db))
    conn.execute("pragma cipher=sqlcipher")
    conn.execute("pragma legacy=4")
    conn.execute(f"pragma key={key_pragma}")
    return conn


def add_secret_client(vet) -> str:
    number = vet.ok("client", "add", "--name", NAME, "--street", STREET, "--postcode", "9999 ZZ",
                    "--city", CITY, "--phone", "06 12345678", "--email", EMAIL, "--consent",
                    "--json").json()["number"]
    vet.ok("pet", "add", number, "--name", PET, "--species", "dog", "--breed", BREED, "--weight", "21")
    return number


def assert_no_plaintext(*paths: Path) -> None:
    for path in paths:
        data = path.read_bytes()
        assert data, path
        for needle in NEEDLES:
            for encoded in (needle.encode("utf-8"), needle.encode("utf-16-le"), needle.lower().encode()):
                assert encoded not in data, (path.name, needle)


def assert_one_error_line(r, code: int) -> str:
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# --------------------------------------------------------------------------
# no plaintext on disk: database and WAL
# --------------------------------------------------------------------------


def test_db_and_wal_bytes_hold_no_plaintext_before_and_after_checkpoint(vet, tmp_path):
    key = vet.key_file.read_text().strip()
    wal = Path(str(vet.db) + "-wal")
    shm = Path(str(vet.db) + "-shm")
    # A second connection kept open stops the CLI's last close from
    # checkpointing: the new data stays in the WAL only.
    holder = sqlcipher_open(vet.db, key)
    try:
        assert holder.execute("SELECT count(*) FROM client").fetchone() == (0,)
        number = add_secret_client(vet)
        vet.ok("client", "edit", number, "--street", STREET + " A")

        assert wal.exists() and wal.stat().st_size > 0
        assert mode(wal) == 0o600 and mode(shm) == 0o600

        # Proof that the data is only in the WAL: the main file alone has no client.
        alone = tmp_path / "alone" / "copy.db"
        alone.parent.mkdir()
        shutil.copyfile(vet.db, alone)
        c = sqlcipher_open(alone, key)
        assert c.execute("SELECT count(*) FROM client").fetchone() == (0,)
        c.close()
        # ... while the live database (file + WAL) has it.
        assert vet.sql("SELECT name, city, email FROM client") == [(NAME, CITY, EMAIL)]

        assert_no_plaintext(vet.db, wal)
    finally:
        holder.close()  # the last connection: checkpoint into the main file

    assert not wal.exists() or wal.stat().st_size == 0
    assert_no_plaintext(vet.db)
    copy = tmp_path / "after" / "copy.db"
    copy.parent.mkdir()
    shutil.copyfile(vet.db, copy)
    c = sqlcipher_open(copy, key)
    assert c.execute("SELECT name, street FROM client").fetchall() == [(NAME, STREET + " A")]
    c.close()


def test_stdlib_sqlite3_cannot_read_the_file(vet):
    add_secret_client(vet)
    assert vet.db.read_bytes()[:16] != b"SQLite format 3\x00"
    conn = sqlite3.connect(str(vet.db))
    try:
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("SELECT * FROM sqlite_master").fetchall()
    finally:
        conn.close()


def test_independent_sqlcipher4_implementation_reads_it_with_the_key(vet):
    number = add_secret_client(vet)
    key = vet.key_file.read_text().strip()
    conn = apsw_open(vet.db, f"\"x'{key}'\"")
    try:
        rows = list(conn.execute("SELECT number, name, street, city, email, phone FROM client"))
        assert rows == [(number, NAME, STREET, CITY, EMAIL, PHONE_STORED)]
        assert list(conn.execute("SELECT name, breed FROM pet")) == [(PET, BREED)]
    finally:
        conn.close()


def test_independent_implementation_refuses_another_key(vet):
    import apsw

    add_secret_client(vet)
    conn = apsw_open(vet.db, "\"x'" + "ab" * 32 + "'\"")
    try:
        with pytest.raises(apsw.Error):
            list(conn.execute("SELECT count(*) FROM client"))
    finally:
        conn.close()


# --------------------------------------------------------------------------
# refusals leave the file untouched
# --------------------------------------------------------------------------


def _other_key(tmp_path: Path) -> Path:
    path = tmp_path / "other.key"
    path.write_text("0123456789abcdef" * 4 + "\n")
    path.chmod(0o600)
    return path


def test_wrong_key_file_exit_3_file_untouched(vet, tmp_path):
    add_secret_client(vet)
    before, names = sha256(vet.db), siblings(vet.db)
    assert names == {vet.db.name, vet.db.name + ".audit-head"}  # the database and its audit head
    other = _other_key(tmp_path)
    for r in (vet.run("--key-file", str(other), "client", "list"),
              vet.run("client", "show", "K000001", env={"VETCARDS_KEY_FILE": str(other)}),
              vet.run("client", "add", "--name", "X", "--street", "Y 1", "--postcode", "1234 AB",
                      "--city", "Z", "--consent", env={"VETCARDS_KEY_FILE": str(other)})):
        line = assert_one_error_line(r, 3)
        assert "wrong key" in line
    assert sha256(vet.db) == before
    assert siblings(vet.db) == names  # no -wal, -shm or -journal created


def test_plain_sqlite_file_exit_3_untouched(vet, tmp_path):
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(str(plain))
    conn.execute("CREATE TABLE client (name TEXT)")
    conn.execute("INSERT INTO client VALUES ('x')")
    conn.commit()
    conn.close()
    before = sha256(plain)
    line = assert_one_error_line(vet.run("--db", str(plain), "client", "list"), 3)
    assert "plain" in line or "not a vetcards" in line
    assert sha256(plain) == before
    assert siblings(plain) == {"plain.db"}


@pytest.mark.parametrize("content", [os.urandom(8192), b"", b"hello, this is a text file\n"])
def test_random_or_empty_file_exit_3_untouched(vet, tmp_path, content):
    other = tmp_path / "other.db"
    other.write_bytes(content)
    before = sha256(other)
    assert_one_error_line(vet.run("--db", str(other), "client", "list"), 3)
    assert_one_error_line(vet.run("--db", str(other), "client", "add", "--name", "X", "--street", "Y 1",
                                  "--postcode", "1234 AB", "--city", "Z", "--consent"), 3)
    assert sha256(other) == before
    assert siblings(other) == {"other.db"}


def test_missing_database_exit_3_nothing_created(vet, tmp_path):
    missing = tmp_path / "nowhere" / "missing.db"
    for args in (["client", "list"], ["client", "add", "--name", "X", "--street", "Y 1", "--postcode",
                                      "1234 AB", "--city", "Z", "--consent"]):
        line = assert_one_error_line(vet.run("--db", str(missing), *args), 3)
        assert "init" in line
    assert not missing.parent.exists()
    line = assert_one_error_line(vet.run("client", "list", env={"VETCARDS_DB": str(tmp_path / "m.db")}), 3)
    assert not (tmp_path / "m.db").exists()


def test_database_path_is_a_directory(vet, tmp_path):
    # --db is checked by the option parser (usage error), $VETCARDS_DB on open
    assert_one_error_line(vet.run("--db", str(tmp_path), "client", "list"), 2)
    assert_one_error_line(vet.run("client", "list", env={"VETCARDS_DB": str(tmp_path)}), 3)


# --------------------------------------------------------------------------
# key files
# --------------------------------------------------------------------------


@pytest.mark.parametrize("bad_mode", [0o640, 0o604, 0o644, 0o660, 0o620, 0o602])
def test_key_file_accessible_by_others_is_refused(vet, bad_mode):
    vet.key_file.chmod(bad_mode)
    before = sha256(vet.db)
    line = assert_one_error_line(vet.run("client", "list"), 3)
    assert "chmod" in line and "600" in line
    line = assert_one_error_line(vet.run("--key-file", str(vet.key_file), "client", "list"), 3)
    assert "chmod" in line
    assert sha256(vet.db) == before


def test_read_only_key_file_is_accepted(vet):
    vet.key_file.chmod(0o400)
    vet.ok("client", "list")


@pytest.mark.parametrize("content", ["", "not a key\n", "ab" * 31 + "\n", "zz" * 32 + "\n"])
def test_malformed_key_file_exit_3(vet, tmp_path, content):
    bad = tmp_path / "bad.key"
    bad.write_text(content)
    bad.chmod(0o600)
    line = assert_one_error_line(vet.run("--key-file", str(bad), "client", "list"), 3)
    assert "key" in line


def test_missing_key_file_exit_3(vet, tmp_path):
    assert_one_error_line(vet.run("--key-file", str(tmp_path / "nope.key"), "client", "list"), 3)


def test_key_file_naming_a_directory_is_a_key_error_exit_3(vet, tmp_path):
    folder = tmp_path / "keys"
    folder.mkdir()
    line = assert_one_error_line(vet.run("--key-file", str(folder), "client", "list"), 3)
    assert "not a regular file" in line
    line = assert_one_error_line(vet.run("client", "list", env={"VETCARDS_KEY_FILE": str(folder)}), 3)
    assert "not a regular file" in line


@pytest.mark.parametrize("passphrase", ["x", "elf tekens!"])  # 1 and 11 characters
def test_init_refuses_a_short_passphrase_from_the_environment(tmp_path, passphrase):
    from conftest import Vet

    v = Vet(dir=tmp_path, db=tmp_path / "p.db", key_file=tmp_path / "p.key")
    line = assert_one_error_line(v.run("init", env={"VETCARDS_KEY_FILE": "", "VETCARDS_PASSPHRASE": passphrase}), 3)
    assert "at least 12 characters" in line
    assert list(tmp_path.iterdir()) == []
    v.ok("init", env={"VETCARDS_KEY_FILE": "", "VETCARDS_PASSPHRASE": "twelve chars"})
    assert v.db.exists()


def test_one_passphrase_rule_for_init_and_rekey():
    from vetcards import keys, rekey
    from vetcards.errors import KeyFailure

    assert keys.MIN_PASSPHRASE == rekey.MIN_PASSPHRASE == 12
    for check in (keys.check_new_passphrase, rekey.check_new_passphrase):
        with pytest.raises(KeyFailure, match="at least 12"):
            check("a" * 11)
        assert check("a" * 12) == "a" * 12


def test_new_key_file_is_256_bit_hex(vet):
    assert re.fullmatch(r"[0-9a-f]{64}\n?", vet.key_file.read_text())


# --------------------------------------------------------------------------
# init
# --------------------------------------------------------------------------


def test_init_refuses_to_overwrite(vet, tmp_path):
    number = add_secret_client(vet)
    before, key_before = sha256(vet.db), vet.key_file.read_bytes()
    r = vet.run("init", "--new-key-file", str(tmp_path / "new.key"), env={"VETCARDS_KEY_FILE": ""})
    line = assert_one_error_line(r, 3)
    assert "already exists" in line
    assert not (tmp_path / "new.key").exists()
    assert_one_error_line(vet.run("init"), 3)
    assert sha256(vet.db) == before and vet.key_file.read_bytes() == key_before
    vet.ok("client", "show", number)


def test_init_refuses_to_overwrite_a_key_file(vet, tmp_path):
    key_before = vet.key_file.read_bytes()
    new_db = tmp_path / "new.db"
    r = vet.run("--db", str(new_db), "init", "--new-key-file", str(vet.key_file), env={"VETCARDS_KEY_FILE": ""})
    assert_one_error_line(r, 3)
    assert vet.key_file.read_bytes() == key_before
    assert not new_db.exists()


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_init_refuses_beside_a_left_over_journal(tmp_path, suffix):
    """A journal of an earlier file with the same name would be replayed into the new one."""
    from conftest import Vet

    v = Vet(dir=tmp_path, db=tmp_path / "p.db", key_file=tmp_path / "p.key")
    leftover = Path(str(v.db) + suffix)
    leftover.write_bytes(b"old")
    line = assert_one_error_line(v.run("init", "--new-key-file", str(v.key_file), env={"VETCARDS_KEY_FILE": ""}), 3)
    assert suffix in line
    assert not v.db.exists() and not v.key_file.exists()
    assert leftover.read_bytes() == b"old"


def test_new_db_key_file_and_wal_are_0600(tmp_path):
    from conftest import Vet

    old = os.umask(0o022)  # even with a permissive umask
    try:
        v = Vet(dir=tmp_path, db=tmp_path / "sub" / "p.db", key_file=tmp_path / "p.key")
        v.ok("init", "--new-key-file", str(v.key_file), env={"VETCARDS_KEY_FILE": ""})
    finally:
        os.umask(old)
    assert mode(v.db) == 0o600
    assert mode(v.key_file) == 0o600
    assert mode(v.db.parent) & 0o077 == 0
    holder = sqlcipher_open(v.db, v.key_file.read_text().strip())
    try:
        holder.execute("SELECT count(*) FROM client").fetchall()
        v.add_client()
        wal = Path(str(v.db) + "-wal")
        assert wal.exists()
        assert mode(wal) == 0o600
        assert mode(Path(str(v.db) + "-shm")) == 0o600
    finally:
        holder.close()


def test_init_without_any_key_off_terminal_exit_3(tmp_path):
    from conftest import Vet

    v = Vet(dir=tmp_path, db=tmp_path / "p.db", key_file=tmp_path / "p.key")
    line = assert_one_error_line(v.run("init", env={"VETCARDS_KEY_FILE": ""}), 3)
    assert "key" in line
    assert not v.db.exists()


def test_init_with_existing_key_file(tmp_path):
    from conftest import Vet

    key = _other_key(tmp_path)
    v = Vet(dir=tmp_path, db=tmp_path / "p.db", key_file=key)
    v.ok("init")
    v.add_client()
    assert v.sql("SELECT count(*) FROM client") == [(1,)]


# --------------------------------------------------------------------------
# the engine's connections
# --------------------------------------------------------------------------


@pytest.mark.parametrize("write", [False, True])
def test_pragmas_on_every_connection(vet, write):
    from sqlalchemy import text

    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    db = open_database(vet.db, read_key_file(vet.key_file), write=write)

    def pragmas(conn) -> dict:
        return {p: conn.execute(text(f"PRAGMA {p}")).scalar()
                for p in ("cipher_version", "foreign_keys", "secure_delete", "journal_mode", "temp_store",
                          "busy_timeout")}

    try:
        with db.unit() as conn:
            first = pragmas(conn)
        with db.unit() as session:
            from_session = pragmas(session)
        seen = {}

        def other_thread() -> None:  # a second pooled connection
            with db.unit() as conn:
                seen.update(pragmas(conn))

        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    finally:
        db.close()
    for got in (first, from_session, seen):
        assert re.match(r"4\.\d+", got["cipher_version"]), got
        assert got["foreign_keys"] == 1
        assert got["secure_delete"] == 1
        assert got["journal_mode"] == "wal"
        assert got["temp_store"] == 2
        assert got["busy_timeout"] > 0


# --------------------------------------------------------------------------
# key sources: --key-file, VETCARDS_KEY_FILE, VETCARDS_PASSPHRASE, prompt
# --------------------------------------------------------------------------


def test_key_file_option_beats_environment(vet, tmp_path):
    other = _other_key(tmp_path)
    right = str(vet.key_file)
    vet.ok("--key-file", right, "client", "list", env={"VETCARDS_KEY_FILE": str(other)})
    assert_one_error_line(vet.run("--key-file", str(other), "client", "list", env={"VETCARDS_KEY_FILE": right}), 3)


def test_key_file_env_beats_passphrase(vet, tmp_path):
    vet.ok("client", "list", env={"VETCARDS_PASSPHRASE": "not the key at all"})
    other = _other_key(tmp_path)
    assert_one_error_line(vet.run("client", "list", env={"VETCARDS_KEY_FILE": str(other),
                                                          "VETCARDS_PASSPHRASE": "whatever"}), 3)


def test_no_key_off_terminal_is_one_clear_line(vet):
    r = vet.run("client", "list", env={"VETCARDS_KEY_FILE": "", "VETCARDS_PASSPHRASE": ""}, input="")
    line = assert_one_error_line(r, 3)
    assert "no key" in line and "--key-file" in line


# --------------------------------------------------------------------------
# passphrases (PBKDF2: a few tests only)
# --------------------------------------------------------------------------


def test_passphrase_init_reopen_and_wrong_passphrase(tmp_path):
    from conftest import Vet

    v = Vet(dir=tmp_path, db=tmp_path / "p.db", key_file=tmp_path / "unused.key",
            env={"VETCARDS_KEY_FILE": "", "VETCARDS_PASSPHRASE": "correct horse battery staple"})
    v.ok("init")
    assert not v.key_file.exists()
    number = v.ok("client", "add", "--name", NAME, "--street", STREET, "--postcode", "1234 AB",
                  "--city", CITY, "--consent", "--json").json()["number"]
    before = sha256(v.db)
    r = v.run("client", "show", number, env={"VETCARDS_PASSPHRASE": "correct horse battery stapler"})
    assert "wrong key" in assert_one_error_line(r, 3)
    assert sha256(v.db) == before
    assert v.ok("client", "show", number, "--format", "json").json()["name"] == NAME


def test_passphrase_with_special_characters(tmp_path):
    from conftest import Vet

    passphrase = "p@ss:/word\"'%?#&=;@x y\\"
    v = Vet(dir=tmp_path, db=tmp_path / "p.db", key_file=tmp_path / "unused.key",
            env={"VETCARDS_KEY_FILE": "", "VETCARDS_PASSPHRASE": passphrase})
    v.ok("init")
    number = v.ok("client", "add", "--name", NAME, "--street", STREET, "--postcode", "1234 AB",
                  "--city", CITY, "--consent", "--json").json()["number"]
    assert v.ok("client", "list", "--format", "json").json()[0]["number"] == number
    # The key is the passphrase itself, exactly: another implementation opens
    # the file with it (a hand-built URL would have mangled it).
    conn = apsw_open(v.db, "'" + passphrase.replace("'", "''") + "'")
    try:
        assert list(conn.execute("SELECT name FROM client")) == [(NAME,)]
    finally:
        conn.close()


def test_raw_open_path_refuses_like_the_engine(vet, tmp_path):
    """backup, restore and doctor open the file through db.open_raw: the same
    refusals, with the same words, as a command's open (one classifier)."""
    from vetcards.db import open_database, open_raw
    from vetcards.errors import DatabaseError, KeyFailure
    from vetcards.keys import resolve_key

    other = resolve_key(_other_key(tmp_path), {}, None)
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(str(plain))
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    for path, error in ((vet.db, KeyFailure), (plain, DatabaseError)):
        before = sha256(path)
        with pytest.raises(error) as raw:
            open_raw(path, other)
        with pytest.raises(error) as engine:
            open_database(path, other)
        assert raw.value.message == engine.value.message
        assert sha256(path) == before
    good = open_raw(vet.db, resolve_key(vet.key_file, {}, None))
    try:
        assert good.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    finally:
        good.close()
