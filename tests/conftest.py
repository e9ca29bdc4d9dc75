"""Shared fixtures: a real SQLCipher file with a real raw key, and a CLI runner.

Tests use key files (raw keys: no PBKDF2, <1 ms an open); a few tests use a
passphrase on purpose. Every CLI call goes through Typer's CliRunner with the
database and key given by environment, as a cron job would.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest
from typer.testing import CliRunner

from vetcards.cli import app

PRACTICE_BTW = "NL000099998B57"
PRACTICE_IBAN = "NL91 ABNA 0417 1643 00"

#: The repository root (tests live in tests/rules, tests/library and tests/cli).
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    exception: Optional[BaseException] = None

    def json(self) -> Any:
        return json.loads(self.stdout)


_COMMAND: Any = None


def invoke(args: list[str], env: dict[str, str], input: Optional[str] = None) -> Result:
    """CliRunner.invoke, with the Click command built once per process.

    Typer's ``CliRunner.invoke`` rebuilds the whole command tree from the
    function signatures on every call (~40 ms); the tree is stateless, so it is
    built once here. Same isolation (stdin, stdout, stderr, env) and the same
    exit-code rules as ``CliRunner.invoke``.
    """
    global _COMMAND
    if _COMMAND is None:
        from typer.main import get_command

        _COMMAND = get_command(app)
    code, exception = 0, None
    with CliRunner().isolation(input=input, env=env) as (out, err, _mixed):
        try:
            _COMMAND.main(args=args, prog_name="vetcards")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            exception = exc if code else None
        except Exception as exc:  # noqa: BLE001 - reported like CliRunner does
            code, exception = 1, exc
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            # decoded as CliRunner's Result does (binary output such as a zip too)
            stdout = out.getvalue().decode("utf-8", "replace").replace("\r\n", "\n")
            stderr = err.getvalue().decode("utf-8", "replace").replace("\r\n", "\n")
    return Result(code, stdout, stderr, exception)


@dataclass
class Vet:
    """A test practice: database path, key file and a ``run`` helper."""

    dir: Path
    db: Path
    key_file: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, env: Optional[dict[str, str]] = None, input: Optional[str] = None) -> Result:
        full_env = {"VETCARDS_DB": str(self.db), "VETCARDS_KEY_FILE": str(self.key_file),
                    "VETCARDS_PASSPHRASE": "", "VETCARDS_ACTOR": "tester"}
        full_env.update(self.env)
        full_env.update(env or {})
        return invoke(list(args), env=full_env, input=input)

    def ok(self, *args: str, **kw: Any) -> Result:
        r = self.run(*args, **kw)
        assert r.exit_code == 0, f"{args}: exit {r.exit_code}\nstdout: {r.stdout}\nstderr: {r.stderr}\n{r.exception!r}"
        return r

    def add_client(self, name: str = "Anna Jansen", **extra: str) -> str:
        args = ["client", "add", "--name", name, "--street", extra.pop("street", "Dorpsstraat 1"),
                "--postcode", extra.pop("postcode", "1234 AB"), "--city", extra.pop("city", "Utrecht"),
                "--consent", "--allow-duplicate", "--json"]
        for k, v in extra.items():
            if v is True:
                args.append(f"--{k.replace('_', '-')}")
            else:
                args += [f"--{k.replace('_', '-')}", v]
        return self.ok(*args).json()["number"]

    def add_pet(self, client: str, name: str = "Bello", species: str = "dog", **extra: str) -> str:
        args = ["pet", "add", client, "--name", name, "--species", species, "--json"]
        for k, v in extra.items():
            if v is True:
                args.append(f"--{k.replace('_', '-')}")
            else:
                args += [f"--{k.replace('_', '-')}", v]
        return self.ok(*args).json()["number"]

    def add_invoice(self, client: str, line: str, payment: str, day: str) -> str:
        """``invoice create`` of one line on ``day``; its number."""
        return self.ok("invoice", "create", client, "--line", line, "--payment", payment, "--date", day,
                       "--json").json()["number"]

    def set_practice(self, name: str = "Dierenkliniek De Linde") -> Vet:
        """Practice details an invoice must carry (art. 35a Wet OB); tests assert these values."""
        self.ok("practice", "set", "--name", name, "--street", "Lindelaan 3", "--postcode", "3511 AA",
                "--city", "Utrecht", "--btw", PRACTICE_BTW, "--kvk", "12345678", "--iban", PRACTICE_IBAN)
        return self

    def run_on_tty(self, args: list[str], answer: str, prompt: bytes = b"cannot be undone",
                   timeout: float = 60.0) -> tuple[int, str]:
        """Run vetcards in a real process on a pseudo-terminal; answer ``answer`` at ``prompt``."""
        import os
        import pty
        import select
        import subprocess
        import time

        master, slave = pty.openpty()
        env = dict(os.environ, VETCARDS_DB=str(self.db), VETCARDS_KEY_FILE=str(self.key_file),
                   VETCARDS_ACTOR="tester")
        env.pop("VETCARDS_PASSPHRASE", None)
        proc = subprocess.Popen([sys.executable, "-m", "vetcards", *args], stdin=slave, stdout=slave,
                                stderr=slave, env=env, close_fds=True)
        os.close(slave)
        seen, answered = b"", False
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([master], [], [], 0.2)
                if ready:
                    try:
                        chunk = os.read(master, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    seen += chunk
                if not answered and prompt in seen:
                    os.write(master, answer.encode() + b"\r")
                    answered = True
                if proc.poll() is not None and not ready:
                    break
            code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(master)
        return code, seen.decode(errors="replace")

    def connect(self):
        """A raw SQLCipher DB-API connection with the key (for assertions and set-up)."""
        import sqlcipher3

        conn = sqlcipher3.connect(str(self.db))
        conn.execute(f"PRAGMA key = \"x'{self.key_file.read_text().strip()}'\"")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """Read the database directly through SQLCipher (for assertions)."""
        conn = self.connect()
        try:
            return conn.execute(query, params).fetchall()
        finally:
            conn.close()

    def sql_write(self, query: str, params: tuple = ()) -> Optional[int]:
        """One committed write straight into the file (test set-up only); the new rowid."""
        conn = self.connect()
        try:
            cur = conn.execute(query, params)
            conn.commit()
            return cur.lastrowid
        finally:
            conn.close()

    def dump(self) -> str:
        """A full decrypted SQL dump. sqlcipher3's Connection has no ``iterdump``;
        the standard library's implementation of it runs on any DB-API connection."""
        from sqlite3.dump import _iterdump

        conn = self.connect()
        try:
            return "\n".join(_iterdump(conn))
        finally:
            conn.close()

    def counts(self) -> dict[str, int]:
        """Row counts of every table except the audit log."""
        tables = [r[0] for r in self.sql("SELECT name FROM sqlite_master WHERE type='table' "
                                         "AND name NOT IN ('alembic_version') ORDER BY name")]
        return {t: self.sql(f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.005) -> None:
    """Wait until ``condition()`` is true, polling; fail the test after ``timeout`` seconds.

    The one way a test waits for another process: on the thing it waits for,
    never for a fixed time.
    """
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting after {timeout} s")
        time.sleep(interval)


def tables_holding(text_dump: str, value: str) -> set[str]:
    """The tables whose rows in a :meth:`Vet.dump` contain ``value``."""
    import re

    out = set()
    for line in text_dump.splitlines():
        if value in line:
            m = re.match(r'INSERT INTO "?(\w+)"?', line)
            out.add(m.group(1) if m else "<schema>")
    return out


def init_practice(folder: Path) -> Vet:
    """A practice made by the real ``init`` in ``folder`` (created), with its own key file:
    another practice beside ``vet`` (an export's source, an import's target), or a template."""
    folder.mkdir(parents=True, exist_ok=True)
    v = Vet(dir=folder, db=folder / "practice.db", key_file=folder / "practice.key")
    r = v.run("init", "--new-key-file", str(v.key_file), env={"VETCARDS_KEY_FILE": ""})
    assert r.exit_code == 0, r.stderr
    return v


@pytest.fixture(scope="session")
def vet_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One practice made by the real ``init`` (Alembic upgrade and all), once per
    test session (per xdist worker): the folder :func:`vet` copies."""
    import sqlcipher3

    folder = tmp_path_factory.mktemp("vet-template")
    v = init_practice(folder)
    # Everything in the main file, no WAL to carry along: a copy is then one file.
    conn = sqlcipher3.connect(str(v.db))
    try:
        conn.execute(f"PRAGMA key = \"x'{v.key_file.read_text().strip()}'\"")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()
    return folder


@pytest.fixture
def vet(vet_template: Path, tmp_path: Path) -> Vet:
    """A fresh, initialised practice database with a key file (mode 0600).

    A copy of :func:`vet_template`: what ``init`` made, without paying for
    ``init`` in every test. Every test gets its own files; they share the key.
    """
    import shutil

    for item in vet_template.iterdir():
        if item.is_file() and not item.name.endswith(("-shm", "-wal")):
            shutil.copy2(item, tmp_path / item.name)
    v = Vet(dir=tmp_path, db=tmp_path / "practice.db", key_file=tmp_path / "practice.key")
    v.key_file.chmod(0o600)
    v.db.chmod(0o600)
    return v


@pytest.fixture
def db(vet: Vet) -> Iterator[Any]:
    """The test database opened for writing, as a use case gets it (library ring)."""
    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    database = open_database(vet.db, read_key_file(vet.key_file), write=True)
    yield database
    database.close()


@pytest.fixture
def practice(vet: Vet) -> Vet:
    """A database whose practice details are set (what every invoice must carry)."""
    return vet.set_practice()


@pytest.fixture(autouse=True)
def _no_real_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real platform data dir from a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("HOME", str(home))
    for var in ("VETCARDS_DB", "VETCARDS_KEY_FILE", "VETCARDS_PASSPHRASE", "VETCARDS_ACTOR"):
        monkeypatch.delenv(var, raising=False)
