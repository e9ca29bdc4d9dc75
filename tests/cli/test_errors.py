"""No error ever shows a traceback or local variables; exit codes as SPEC §7.

0 success, 1 domain error (not found, invalid input, hold), 2 usage error,
3 key or database error. Errors are one line on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PASSPHRASE = "Secret-Passphrase-123"

ADD = ["client", "add", "--name", "Anna Jansen", "--street", "Dorpsstraat 1", "--postcode", "1234 AB",
       "--city", "Utrecht", "--consent", "--allow-duplicate"]


def sql_write(vet, query: str) -> None:
    import sqlcipher3

    conn = sqlcipher3.connect(str(vet.db))
    try:
        conn.execute(f"PRAGMA key = \"x'{vet.key_file.read_text().strip()}'\"")
        conn.execute(query)
        conn.commit()
    finally:
        conn.close()


def assert_clean(r, code: int, *, one_line: bool = True) -> None:
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr, r.exception)
    for text in ("Traceback", "locals", "File \"", PASSPHRASE, "sqlcipher3.", "sqlalchemy."):
        assert text not in r.stderr, (text, r.stderr)
        assert text not in r.stdout, (text, r.stdout)
    if one_line:
        lines = r.stderr.splitlines()
        assert len(lines) == 1, r.stderr
        assert lines[0].startswith("error: ")
        assert r.stdout == ""


# --------------------------------------------------------------------------
# domain errors: exit 1
# --------------------------------------------------------------------------

DOMAIN = [
    ["client", "show", "K000099"],
    ["client", "edit", "K000099", "--city", "X"],
    ["client", "add", "--name", "A", "--street", "S 1", "--postcode", "1234 AB", "--city", "C"],  # no consent
    ["client", "add", "--name", "A", "--street", "S 1", "--postcode", "123", "--city", "C", "--consent"],
    ["client", "add", "--name", "A", "--street", "S 1", "--postcode", "1234 AB", "--city", "C",
     "--email", "not-an-address", "--consent"],
    ["pet", "add", "K000001", "--name", "Bello", "--species", "unicorn"],
    ["pet", "add", "K000001", "--name", "Bello", "--species", "dog", "--chip", "999000000000001"],
    ["pet", "add", "K000001", "--name", "Bello", "--species", "dog", "--weight", "0"],
    ["pet", "show", "P000099"],
    ["pet", "weigh", "P000001", "zwaar"],
    ["pet", "deceased", "P000001", "--date", "2999-01-01"],
    ["species", "add", "dog"],
    ["client", "show", "99999999999999999999999"],
]


@pytest.mark.parametrize("args", DOMAIN, ids=lambda a: " ".join(a[:2]))
def test_domain_errors_exit_1_one_line(vet, args):
    k = vet.add_client()
    vet.add_pet(k)
    assert_clean(vet.run(*args), 1)


# --------------------------------------------------------------------------
# usage errors: exit 2, one line
# --------------------------------------------------------------------------

USAGE = [
    ["--bogus-option"],
    ["client", "add", "--no-such-option", "x"],
    ["client", "show"],                        # missing argument
    ["pet", "weigh", "P000001"],               # missing argument
    ["client", "frobnicate"],                  # unknown command
    ["nonsense"],
    ["client", "show", "K000001", "--format", "xml"],
    ["client", "list", "--limit", "0"],
    ["client", "list", "--limit", "many"],
    ["client", "add", "--name"],               # option without its value
]


@pytest.mark.parametrize("args", USAGE, ids=lambda a: " ".join(a))
def test_usage_errors_exit_2_one_line(vet, args):
    vet.add_client()
    r = vet.run(*args)
    assert_clean(r, 2)
    assert "--help" in r.stderr  # points to the help


def test_no_arguments_shows_help(vet):
    r = vet.run()
    assert r.exit_code == 2
    assert "Usage:" in r.stderr and "Commands" in r.stderr and "client" in r.stderr
    assert "error:" not in r.stderr and "Traceback" not in r.stderr
    r = vet.run("client")
    assert r.exit_code == 2
    assert "Usage:" in r.stderr and "search" in r.stderr


def test_help_and_version_exit_0(vet):
    for args in (["--help"], ["-h"], ["client", "--help"], ["pet", "add", "--help"], ["--version"]):
        r = vet.run(*args)
        assert r.exit_code == 0, args
        assert r.stderr == ""
        assert r.stdout


# --------------------------------------------------------------------------
# key and database errors: exit 3, one line, no passphrase, no traceback
# --------------------------------------------------------------------------


def test_wrong_passphrase_never_shows_it(vet):
    env = {"VETCARDS_KEY_FILE": "", "VETCARDS_PASSPHRASE": PASSPHRASE}
    for args in (["client", "list"], ["client", "show", "K000001"], ADD):
        assert_clean(vet.run(*args, env=env), 3)


def test_key_and_database_errors_exit_3(vet, tmp_path):
    other = tmp_path / "other.key"
    other.write_text("ab" * 32)
    other.chmod(0o600)
    loose = tmp_path / "loose.key"
    loose.write_text(vet.key_file.read_text())
    loose.chmod(0o644)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00\x01garbage" * 100)
    for r in (vet.run("--key-file", str(other), "client", "list"),
              vet.run("--key-file", str(loose), "client", "list"),
              vet.run("--key-file", str(tmp_path / "missing.key"), "client", "list"),
              vet.run("--db", str(tmp_path / "missing.db"), "client", "list"),
              vet.run("--db", str(garbage), "client", "list"),
              vet.run("client", "list", env={"VETCARDS_KEY_FILE": "", "VETCARDS_PASSPHRASE": ""}),
              vet.run("init")):
        assert_clean(r, 3)


def test_damaged_database_is_one_line_not_a_traceback(vet):
    """A vetcards file whose schema was broken behind its back: exit 3, one line."""
    vet.add_client()
    sql_write(vet, "DROP TABLE consent")
    for args in (["client", "show", "K000001"], ADD):
        assert_clean(vet.run(*args), 3)


def test_success_exit_0(vet):
    r = vet.run(*ADD)
    assert r.exit_code == 0 and r.stdout.strip() == "K000001"
    assert vet.run("client", "list").exit_code == 0


# --------------------------------------------------------------------------
# a real process: SQLCipher's own log lines never reach the terminal
# --------------------------------------------------------------------------


def _subprocess_env(vet, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VETCARDS_")}
    env.update({"VETCARDS_DB": str(vet.db), "VETCARDS_ACTOR": "tester"})
    env.update(extra)
    return env


def test_wrong_key_in_a_real_process(vet, tmp_path):
    vet.add_client()
    r = subprocess.run([sys.executable, "-m", "vetcards", "client", "list"], capture_output=True, text=True,
                       env=_subprocess_env(vet, VETCARDS_PASSPHRASE=PASSPHRASE), timeout=60)
    assert r.returncode == 3
    assert r.stdout == ""
    for text in ("hmac check failed", "ERROR CORE", "sqlcipher", "Traceback", "locals", PASSPHRASE):
        assert text not in r.stderr, (text, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "wrong key" in lines[0]


def test_unexpected_error_is_one_line_without_locals(vet):
    """A bug-like failure (a stored date the ORM cannot read): one line, no locals."""
    vet.add_client()
    sql_write(vet, "UPDATE client SET birth_date = 'not a date'")
    r = vet.run("client", "edit", "K000001", "--city", "Zeist")
    assert_clean(r, 1)
    assert "internal error" in r.stderr
    # the same in a real process, where nothing (not even CliRunner) catches it
    p = subprocess.run([sys.executable, "-m", "vetcards", "--key-file", str(vet.key_file), "client", "edit",
                        "K000001", "--city", "Zeist"], capture_output=True, text=True,
                       env=_subprocess_env(vet), timeout=60)
    assert p.returncode == 1
    assert "Traceback" not in p.stderr and "locals" not in p.stderr
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("error: internal error")


@pytest.mark.parametrize("args", [
    ("client", "show", "Anna Jansen"),
    ("pet", "show", "Bello de Hond"),
    ("invoice", "show", "Jansen"),
    ("export", "Anna Jansen", "--out", "-"),
])
def test_a_name_typed_as_a_reference_is_not_echoed(vet, args):
    """Error lines end up in cron mail: a name typed where a number belongs
    is not repeated, while a number is (so the user sees what was looked up)."""
    r = vet.run(*args)
    assert r.exit_code == 1
    assert "not found" in r.stderr or "must be" in r.stderr
    assert "Anna" not in r.stderr and "Bello" not in r.stderr and "Jansen" not in r.stderr


def test_a_number_typed_as_a_reference_is_echoed(vet):
    r = vet.run("client", "show", "K999999")
    assert r.exit_code == 1 and "K999999" in r.stderr


# --------------------------------------------------------------------------
# Hostile input: one line, the right exit code, never "internal error" (issue 12, point 9)
# --------------------------------------------------------------------------

NOT_UTF8 = b"Anna \xff\xfe".decode("utf-8", "surrogateescape")  # as Python hands over such bytes


@pytest.mark.parametrize("args", [
    ["client", "show", NOT_UTF8],
    [*ADD[:2], "--name", NOT_UTF8, *ADD[4:]],
    ["client", "list", "--format", NOT_UTF8],
    ["--db", NOT_UTF8, "client", "list"],
    ["export", "K000001", "--out", NOT_UTF8],
], ids=["argument", "text option", "choice", "global option", "--out"])
def test_bytes_that_are_not_utf8_are_a_usage_error(vet, args):
    before = vet.counts()
    r = vet.run(*args)
    assert_clean(r, 2)
    assert r.stderr.startswith("error: argument ") and "not UTF-8" in r.stderr and "internal" not in r.stderr
    assert vet.counts() == before


def test_a_number_too_large_for_the_database_is_not_found(vet):
    for args in (["invoice", "show", "9" * 26], ["client", "show", "9" * 26], ["pet", "show", "9" * 26]):
        r = vet.run(*args)
        assert_clean(r, 1)
        assert "not found" in r.stderr, r.stderr


def test_a_date_before_1900_is_refused_not_computed(vet):
    r = vet.run("purge", "--as-of", "0001-01-01", "--dry-run")
    assert_clean(r, 1)
    assert r.stderr == "error: --as-of: must not be before 1900-01-01\n"


def test_an_out_name_too_long_is_one_line(vet, tmp_path):
    vet.ok(*ADD)
    for args in (["export", "K000001"], ["export", "--all"], ["reminders", "export", "--due-before", "2030-01-01"]):
        r = vet.run(*args, "--out", str(tmp_path / ("x" * 300)))
        assert_clean(r, 1)
        assert r.stderr.startswith("error: --out: cannot be used as a f"), r.stderr


def test_an_import_file_nested_too_deeply_is_one_line(vet, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000)
    before = vet.counts()
    r = vet.run("import", str(deep))
    assert_clean(r, 1)
    assert r.stderr == "error: FILE: is nested too deeply to be a vetcards export\n"
    # Parsed fine (980 levels), but the schema check would recurse as deep.
    deep.write_text('{"format": "vetcards-export", "schema_version": 1, "pets": ' + "[" * 980 + "]" * 980 + "}")
    r = vet.run("import", str(deep))
    assert_clean(r, 1)
    assert r.stderr == "error: FILE: is nested too deeply to be a vetcards export\n"
    assert vet.counts() == before
