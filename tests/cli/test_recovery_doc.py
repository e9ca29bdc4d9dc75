"""docs/recovery.md runs as written: the database opens without vetcards.

The code blocks of the recovery page are taken from the page itself, the
placeholder for the key is filled in, and they are run on a real vetcards
database: the SQLite3 Multiple Ciphers shell (``python -m apsw``, an
independent implementation) and the ``sqlcipher3`` script (SQLCipher 4). If
the page changes so that its steps no longer work, this test fails.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

DOC = ROOT / "docs" / "recovery.md"
PLACEHOLDER = re.compile(r"<the 64 hex digits[^>]*>")
NAME = "Jozefien Ölçer-Łukasiewicz"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def fill(block: str, key_hex: str) -> str:
    return PLACEHOLDER.sub(key_hex, block)


@pytest.fixture
def copy(vet, tmp_path) -> tuple[Path, str, str]:
    """A copy of a practice with one client, as the page says to work on."""
    number = vet.ok("client", "add", "--name", NAME, "--street", "Dorpsstraat 1", "--postcode", "1234 AB",
                    "--city", "Utrecht", "--consent", "--json").json()["number"]
    dest = tmp_path / "practice-copy.db"
    for suffix in ("", "-wal"):
        if Path(str(vet.db) + suffix).exists():
            shutil.copy(str(vet.db) + suffix, str(dest) + suffix)
    return dest, vet.key_file.read_text().strip(), number


def test_the_key_file_is_64_hex_digits_of_a_raw_key(vet):
    assert re.fullmatch(r"[0-9a-f]{64}", vet.key_file.read_text().strip())


def test_sqlite3_multiple_ciphers_shell_reads_a_client_back(copy):
    pytest.importorskip("apsw")
    db, key, number = copy
    sql = [b for b in blocks("sql") if "pragma cipher" in b]
    assert len(sql) == 1, "the SQLite3 Multiple Ciphers block is missing from docs/recovery.md"
    r = subprocess.run([sys.executable, "-m", "apsw", str(db)], input=fill(sql[0], key), text=True,
                       capture_output=True, timeout=60)
    assert number in r.stdout and NAME in r.stdout, (r.stdout, r.stderr)


def test_sqlite3_multiple_ciphers_needs_the_cipher_pragmas(copy):
    pytest.importorskip("apsw")
    db, key, _ = copy
    block = next(b for b in blocks("sql") if "pragma cipher" in b)
    without = "\n".join(line for line in block.splitlines() if "cipher" not in line and "legacy" not in line)
    r = subprocess.run([sys.executable, "-m", "apsw", str(db)], input=fill(without, key), text=True,
                       capture_output=True, timeout=60)
    assert NAME not in r.stdout


def test_sqlcipher4_script_reads_a_client_back(copy, tmp_path):
    db, key, number = copy
    script = [b for b in blocks("python") if "sqlcipher3" in b]
    assert len(script) == 1, "the sqlcipher3 block is missing from docs/recovery.md"
    path = tmp_path / "read.py"
    path.write_text(fill(script[0], key), encoding="utf-8")
    r = subprocess.run([sys.executable, str(path)], cwd=db.parent, text=True, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert number in r.stdout and NAME in r.stdout


def test_the_key_typed_as_a_passphrase_does_not_open_it(copy):
    """The page warns that the hex digits are a raw key, not a passphrase."""
    import sqlcipher3

    db, key, _ = copy
    conn = sqlcipher3.connect(str(db))
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = '{key}'")
        with pytest.raises(sqlcipher3.DatabaseError):
            conn.execute("SELECT count(*) FROM client").fetchall()
    finally:
        conn.close()
