"""`vetcards shell` (SPEC §10): one database, one key, many commands.

From a pipe: commands run one by one in one process, blank lines and
comments skipped, the first failure stops the batch with its exit code, and
every SPEC §8 form works inside the shell as it does outside it (the forms of
tests/test_script_interface.py, run again through the shell). On a terminal
(a real pseudo-terminal, a real process): prompt, completion, history, the
idle lock, Ctrl-D.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from datetime import date
from typing import Any, Optional

import pytest
import test_script_interface as forms
from conftest import ROOT, Result, Vet

ADD_ANNA = ("client add --name 'Anna Jansen' --street 'Dorpsstraat 1' --postcode '1234 AB' "
            "--city Utrecht --consent --json")


def batch(vet: Vet, *lines: str, env: Optional[dict[str, str]] = None) -> Result:
    """Run ``lines`` through one ``vetcards shell`` (in process, stdin a pipe)."""
    return vet.run("shell", input="\n".join(lines) + "\n", env=env)


def json_objects(text: str) -> list[Any]:
    """The JSON documents printed one after another."""
    import json

    decoder, out, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        while text[at].isspace():
            at += 1
        value, at = decoder.raw_decode(text, at)
        out.append(value)
    return out


# -- from a pipe -------------------------------------------------------------


def test_batch_runs_each_line_skipping_blanks_and_comments(vet):
    r = batch(vet, "# the morning's new clients", "", ADD_ANNA, "   ",
              "vetcards " + ADD_ANNA.replace("Anna Jansen", "Piet de Boer").replace("1234 AB", "1234 AC"),
              "client list --format json")
    assert r.exit_code == 0, r.stderr
    first, second, listed = json_objects(r.stdout)
    assert (first["number"], second["number"]) == ("K000001", "K000002")
    assert [c["name"] for c in listed] == ["Piet de Boer", "Anna Jansen"] or \
        sorted(c["name"] for c in listed) == ["Anna Jansen", "Piet de Boer"]
    assert r.stderr == ""


def test_batch_stops_at_the_first_error_with_its_exit_code(vet):
    r = batch(vet, ADD_ANNA, "client show K000099", ADD_ANNA.replace("Anna", "Bert"))
    assert r.exit_code == 1
    assert "error: client K000099 not found" in r.stderr
    assert "stopped at line 2" in r.stderr
    assert [row[0] for row in vet.sql("SELECT name FROM client")] == ["Anna Jansen"]  # line 3 never ran


@pytest.mark.parametrize("line,code", [
    ("client show", 2),                      # usage: missing argument
    ("client frobnicate", 2),                # usage: no such command
    ("client add --name 'unbalanced", 2),    # the line itself cannot be split
    ("shell", 2),                            # no shell inside the shell
    ("pet show P000404", 1),                 # domain: not found
])
def test_batch_exit_codes(vet, line, code):
    r = batch(vet, line, ADD_ANNA)
    assert r.exit_code == code, r.stderr
    assert r.stderr.startswith("error: "), r.stderr
    assert vet.sql("SELECT count(*) FROM client") == [(0,)]


def test_batch_with_a_wrong_key_exits_3(vet, tmp_path):
    wrong = tmp_path / "wrong.key"
    wrong.write_text("ab" * 32 + "\n")
    wrong.chmod(0o600)
    r = batch(vet, "client list", env={"VETCARDS_KEY_FILE": str(wrong)})
    assert r.exit_code == 3
    assert "wrong key" in r.stderr


def test_exit_stops_the_batch_with_0(vet):
    r = batch(vet, "client list", "exit", "client show K000404")
    assert r.exit_code == 0, r.stderr


def test_empty_batch_exits_0(vet):
    assert batch(vet, "# nothing to do").exit_code == 0


def test_a_command_in_the_batch_reads_no_later_line(vet):
    """`import -` reads stdin: in a batch it gets nothing, never the lines after it."""
    r = batch(vet, "import -", ADD_ANNA)
    assert r.exit_code != 0
    assert vet.sql("SELECT count(*) FROM client") == [(0,)]


def test_the_database_is_opened_once_and_kept_open(vet, monkeypatch):
    """One State for the session: one open (one key derivation), no close between commands."""
    from vetcards import db

    opened, closed = [], []
    real_open, real_close = db.open_database, db.Database.close
    monkeypatch.setattr(db, "open_database", lambda *a, **k: opened.append(1) or real_open(*a, **k))
    monkeypatch.setattr(db.Database, "close", lambda self: closed.append(1) or real_close(self))
    r = batch(vet, ADD_ANNA, "client show K000001", "client list", "pet list", "practice show")
    assert r.exit_code == 0, r.stderr
    assert (len(opened), len(closed)) == (1, 1)


def test_actor_per_line_and_database_of_the_shell(vet):
    r = batch(vet, "--actor j.bakker " + ADD_ANNA, "client show K000001")
    assert r.exit_code == 0, r.stderr
    actors = [row[0] for row in vet.sql("SELECT actor FROM audit_log ORDER BY id")]
    assert actors[-2:] == ["j.bakker", "tester"]
    same = batch(vet, f"--db {shlex.quote(str(vet.db))} client list")
    assert same.exit_code == 0, same.stderr
    other = batch(vet, "--db /tmp/elsewhere.db client list")
    assert other.exit_code == 2 and "before `shell`" in other.stderr


def test_passphrase_database_in_a_batch(tmp_path):
    """A passphrase (from the environment here) is derived once for the whole batch."""
    v = Vet(dir=tmp_path, db=tmp_path / "p.db", key_file=tmp_path / "none.key",
            env={"VETCARDS_KEY_FILE": "", "VETCARDS_PASSPHRASE": "correct horse battery staple"})
    assert v.run("init").exit_code == 0
    r = batch(v, ADD_ANNA, "client show K000001 --format json")
    assert r.exit_code == 0, r.stderr
    assert json_objects(r.stdout)[1]["name"] == "Anna Jansen"


def test_batch_in_a_real_process(vet):
    """The exit code of the process itself; output as the command line prints it."""
    env = {"VETCARDS_DB": str(vet.db), "VETCARDS_KEY_FILE": str(vet.key_file), "VETCARDS_ACTOR": "tester",
           "PATH": "/usr/bin:/bin"}
    lines = f"{ADD_ANNA}\nclient show K000001 --format plain\nclient show K000002\nclient list\n"
    r = subprocess.run([sys.executable, "-m", "vetcards", "shell"], input=lines, capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 1, r.stderr
    alone = subprocess.run([sys.executable, "-m", "vetcards", "client", "show", "K000001", "--format", "plain"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert alone.returncode == 0
    assert r.stdout == '{\n  "id": 1,\n  "number": "K000001"\n}\n' + alone.stdout
    assert r.stderr.splitlines() == ["error: client K000002 not found", "shell: stopped at line 3 (exit 1)"]


# -- every SPEC §8 form, inside the shell -------------------------------------


class ShellVet(Vet):
    """Runs each command as a line of ``vetcards shell`` (global options before ``shell``)."""

    def run(self, *args: str, env: Optional[dict[str, str]] = None, input: Optional[str] = None) -> Result:
        assert input is None
        words, head = list(args), []
        while words[:1] and words[0] in ("--db", "--key-file", "--actor"):
            head, words = head + words[:2], words[2:]
        r = super().run(*head, "shell", env=env, input=shlex.join(words) + "\n")
        if r.exit_code:  # the shell's own note after the command's error line
            assert r.stderr.splitlines()[-1].startswith("shell: stopped at line 1"), r.stderr
        return r


@pytest.fixture
def flags_in_shell(tmp_path):
    return forms.practice_by_flags(tmp_path, ShellVet)


@pytest.mark.parametrize("form", [forms.test_client_pet_invoice_forms, forms.test_purge_form,
                                  forms.test_erase_form], ids=lambda f: f.__name__)
def test_spec8_form_inside_the_shell(form, flags_in_shell):
    form(flags_in_shell)


def test_spec8_export_forms_inside_the_shell(flags_in_shell, tmp_path):
    forms.test_export_forms(flags_in_shell, tmp_path)


def test_spec8_front_desk_forms_in_one_batch(vet):
    """search, invoice create/show/list and books export in one session."""
    vet.set_practice()
    today = date.today()
    r = batch(vet, ADD_ANNA.replace("--consent", "--birth-date 15-03-1980 --consent"),
              "pet add K000001 --name Bello --species dog --json",
              "invoice create K000001 --pet P000001 --line 'Consult;1;45,00' --payment account --json",
              "client search JANSEN --format json",
              f"invoice show {today.year}-00001 --format json",
              "invoice list --client K000001 --format json",
              f"books export --year {today.year} --out -")
    assert r.exit_code == 0, r.stderr
    client, pet, invoice, found, shown, listed, books = json_objects(r.stdout)
    assert pet["number"] == "P000001"
    assert [(c["number"], c["name"]) for c in found] == [(client["number"], "Anna Jansen")]
    assert shown["number"] == invoice["number"] and not shown.get("restricted")
    assert [i["number"] for i in listed] == [invoice["number"]]
    assert invoice["number"] in str(books)


# -- the lock setting ----------------------------------------------------------


def test_shell_lock_minutes_is_a_practice_setting(vet):
    from vetcards.cli.shell import lock_seconds
    from vetcards.cli.state import State

    state = State(db=vet.db, key_file=vet.key_file)
    try:
        assert lock_seconds(state) == 600.0  # 10 minutes unless the practice sets it
        for bad in ("0", "481", "ten", "1.5"):
            r = vet.run("practice", "set", "--shell-lock-minutes", bad)
            assert r.exit_code == 1 and "--shell-lock-minutes" in r.stderr, (bad, r.stderr)
        vet.ok("practice", "set", "--shell-lock-minutes", "3")
        assert vet.ok("practice", "show", "--format", "json").json()["shell_lock_minutes"] == "3"
        assert lock_seconds(state) == 180.0
    finally:
        state.close()


# -- on a terminal (a real process on a pseudo-terminal) ------------------------


class Tty:
    """``vetcards shell`` on a pseudo-terminal: type keys, wait for text (escape sequences left out)."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...] = ("shell",)) -> None:
        import fcntl
        import os
        import pty
        import struct
        import termios

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.proc = subprocess.Popen([sys.executable, "-m", "vetcards", *args], stdin=slave, stdout=slave,
                                     stderr=slave, env=env, close_fds=True, start_new_session=True)
        os.close(slave)
        self.raw = b""
        self.mark = 0

    @property
    def text(self) -> str:
        import re

        escape = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")
        raw = self.raw
        last = raw.rfind(b"\x1b")
        if last >= 0 and not escape.match(raw, last):
            raw = raw[:last]  # an escape sequence still arriving: not text yet
        return escape.sub(b"", raw).decode("utf-8", "replace").replace("\r", "")

    def _read(self, wait: float) -> bool:
        import os
        import select

        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        self.raw += chunk
        return bool(chunk)

    def expect(self, wanted: str, timeout: float = 60.0) -> str:
        """Wait until ``wanted`` appears after the last match; the text up to it."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            at = self.text.find(wanted, self.mark)
            if at >= 0:
                seen, self.mark = self.text[self.mark:at + len(wanted)], at + len(wanted)
                return seen
            if time.monotonic() > deadline or not self._read(0.1):
                pytest.fail(f"never saw {wanted!r}; the screen ended with:\n{self.text[-1500:]}")

    def send(self, keys: str) -> None:
        import os

        os.write(self.master, keys.encode())

    def type(self, *chunks: str, pause: float = 0.8) -> None:
        """Each chunk, then a pause: completion after Tab runs in the background."""
        import time

        for chunk in chunks:
            self.send(chunk)
            until = time.monotonic() + pause
            while time.monotonic() < until:
                self._read(0.05)

    def wait(self, timeout: float = 60.0) -> int:
        import time

        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05) and len(self.raw):
            if self.proc.poll() is not None and not self._read(0.05):
                break
        return self.proc.wait(timeout=1)

    def close(self) -> None:
        import os

        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


UP = "\x1b[A"
CTRL_D = "\x04"
PROMPT = "vetcards>"  # the space after it is drawn as a cursor move


def tty_env(vet: Vet, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("VETCARDS_")}
    env.update(VETCARDS_DB=str(vet.db), VETCARDS_KEY_FILE=str(vet.key_file), VETCARDS_ACTOR="tester",
               TERM="xterm", HOME=str(vet.dir / "home"),
               PROMPT_TOOLKIT_NO_CPR="1")  # the test answers no cursor-position requests
    env.update(extra)
    (vet.dir / "home").mkdir(exist_ok=True)
    return env


@pytest.fixture
def tty(request):
    made: list[Tty] = []

    def start(env: dict[str, str]) -> Tty:
        made.append(Tty(env))
        return made[-1]

    yield start
    for t in made:
        t.close()


def test_terminal_prompt_completion_history_and_ctrl_d(vet, tty):
    """Completion and history judged by what runs (the screen redraws with cursor moves, not spaces)."""
    vet.add_client()
    t = tty(tty_env(vet))
    t.expect(PROMPT)
    # a command, a subcommand, a client number from the database, an option and one of its choices
    t.type("cli\t", " sh\t", " k00\t", " --fo\t", " pl\t", "\r")
    shown = t.expect("Anna Jansen")
    assert "error" not in shown and "│" not in shown  # K000001 found, and plain text, not a table
    t.expect(PROMPT)
    t.send(UP + "\r")                           # history: the previous line, run again
    again = t.expect("Anna Jansen")
    assert "error" not in again and "│" not in again
    t.expect(PROMPT)
    t.send("pet add K000001 --name Bello --species dog\r")
    t.expect(PROMPT)
    t.type("pet show p0\t", " --format plain\r")     # a number added in this session completes
    assert "error" not in t.expect("Bello")
    t.expect(PROMPT)
    t.send("client show K000404\r")            # an error is shown; the shell goes on
    t.expect("error: client K000404 not found")
    t.expect(PROMPT)
    t.send(CTRL_D)
    assert t.wait() == 0
    # the history was never written anywhere
    home = vet.dir / "home"
    assert not [p for p in home.rglob("*") if p.is_file() and b"K000001" in p.read_bytes()]


def test_completion_candidates_from_the_command_tree(vet):
    """What Tab offers, word by word (the terminal test shows it is wired to the prompt)."""
    from typer.main import get_command

    from vetcards.cli import app
    from vetcards.cli.shell import CommandCompleter

    complete = CommandCompleter(get_command(app), {"client": ["K000001", "K000002", "K000100"],
                                                   "pet": ["P000001"]}.__getitem__).candidates
    assert complete([], "cl") == ["client"]
    assert {"exit", "quit", "help", "invoice", "purge"} <= set(complete([], ""))
    assert complete(["client"], "se") == ["search"]
    assert complete(["client", "show"], "k0000") == ["K000001", "K000002"]
    assert complete(["client", "show", "K000001"], "--f") == ["--format"]
    assert complete(["client", "show", "K000001", "--format"], "") == ["table", "plain", "csv", "json"]
    assert complete(["invoice", "create", "K000001", "--pet"], "") == ["P000001"]
    assert complete(["invoice", "list", "--client", "K000001", "-f"], "j") == ["json"]
    assert complete(["invoice", "create", "K000001", "--line"], "") == []  # free text offers nothing
    assert complete(["--actor", "x", "pet"], "sh") == ["show"]
    assert complete(["nosuch"], "") == []


def test_terminal_exit_and_quit(vet, tty):
    for word in ("exit", "quit"):
        t = tty(tty_env(vet))
        t.expect(PROMPT)
        t.send(word + "\r")
        assert t.wait() == 0


def test_terminal_idle_lock_with_a_key_file_ends_the_shell(vet, tty):
    t = tty(tty_env(vet, VETCARDS_SHELL_LOCK_SECONDS="3"))
    t.expect(PROMPT)
    import time

    typing_until = time.monotonic() + 4.5       # keys pressed keep the shell open past the idle time
    while time.monotonic() < typing_until:
        t.send("x")
        t._read(0.5)
    assert "locked" not in t.text
    t.send("\x15client list\r")                 # Ctrl-U clears the x's
    t.expect(PROMPT)
    t.expect("shell locked after 3 s idle: the database is closed")
    assert t.wait() == 0


def test_terminal_passphrase_asked_once_then_again_after_the_lock(tmp_path, tty):
    passphrase = "correct horse battery staple"
    vet = Vet(dir=tmp_path, db=tmp_path / "p.db", key_file=tmp_path / "none.key",
              env={"VETCARDS_KEY_FILE": "", "VETCARDS_PASSPHRASE": passphrase})
    assert vet.run("init").exit_code == 0
    vet.add_client()
    env = tty_env(vet, VETCARDS_SHELL_LOCK_SECONDS="2")
    env.pop("VETCARDS_KEY_FILE")
    t = tty(env)
    t.expect("Passphrase: ")
    t.send(passphrase + "\r")
    t.expect(PROMPT)
    t.send("client show K000001 --format plain\r")
    t.expect("Anna Jansen")
    t.expect(PROMPT)
    t.send("client list --format plain\r")
    t.expect("Anna Jansen")
    assert t.text.count("Passphrase: ") == 1    # one prompt for every command
    t.expect("the key was dropped; give the passphrase again")
    t.expect("Passphrase: ")
    t.send("wrong passphrase, twice\r")
    t.expect("wrong key")
    t.expect("Passphrase: ")
    t.send(passphrase + "\r")
    t.expect(PROMPT)
    t.type(UP, "\r")                            # the history went with the lock: nothing to re-run
    t.send("client show K000001 --format plain\r")
    t.expect("Anna Jansen")
    t.expect(PROMPT)
    t.send(CTRL_D)
    assert t.wait() == 0
    assert t.text.count("Anna Jansen") == 3  # show, list, show: the locked-away `client list` never ran again


def test_the_shell_benchmark_runs(vet, tmp_path):
    """benchmarks/bench_shell.py on a small practice: the co-process gets each card, adds work."""

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import bench_shell
    finally:
        sys.path.pop(0)
    for name in ("Anna Jansen", "Bert de Boer", "Carla Smit"):
        vet.add_client(name, postcode=f"12{len(name):02d} AB")
    out = bench_shell.measure(vet.db, vet.key_file, count=3, adds=2, workdir=tmp_path)
    assert out["commands"] == 3 and out["adds"] == 2
    assert out["shell_median_ms"] > 0 and out["process_median_ms"] > 0 and out["shell_add_median_ms"] > 0


def test_rekey_inside_the_shell_goes_on_with_the_new_key(vet, tmp_path):
    new_key = tmp_path / "new.key"
    r = batch(vet, ADD_ANNA, f"rekey --new-key-file {new_key}", "client show K000001 --format json")
    assert r.exit_code == 0, r.stderr
    assert json_objects(r.stdout)[-1]["name"] == "Anna Jansen"
    again = batch(vet, "client list --format json", env={"VETCARDS_KEY_FILE": str(new_key)})
    assert again.exit_code == 0, again.stderr
    assert batch(vet, "client list").exit_code == 3  # the old key no longer opens it


def test_a_page_cache_asked_for_after_the_open_is_applied(vet):
    """purge asks for a larger page cache; in the shell the database is open already."""
    from vetcards.cli.state import State

    state = State(db=vet.db, key_file=vet.key_file, shared=True)
    try:
        with state.unit(write=False) as uow:
            before = uow.exec_driver_sql("PRAGMA cache_size").scalar()
        state.cache_mib = 64
        with state.unit(write=False) as uow:
            assert uow.exec_driver_sql("PRAGMA cache_size").scalar() == -64 * 1024 != before
    finally:
        state.close()
