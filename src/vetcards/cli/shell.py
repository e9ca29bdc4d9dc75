"""``vetcards shell``: one session, the same commands (SPEC §10).

The database is opened once (one passphrase prompt, or the key file or the
environment as usual); every line is one command line without the leading
``vetcards``, split like a shell would (:func:`shlex.split`) and run in this
process through the same root group and the same error boundary
(:class:`~vetcards.cli.errors.VetcardsGroup`) as the command line. The root
callback finds the shell's :class:`~vetcards.cli.state.State` on the context
(:attr:`State.shared`) and reuses it: no new process, no new key derivation.

* From a pipe (stdin not a terminal): no prompt; blank lines and ``#``
  comments are skipped; the first failing command stops the batch and its
  exit code is the shell's (0 when all succeeded). Commands see an empty
  stdin, so none can swallow the lines after it.
* On a terminal: prompt_toolkit, with history in memory only (never written
  to disk), completion of commands, subcommands, options, choices and client
  and pet numbers, and an idle lock (:func:`lock_seconds`): after the
  practice's ``--shell-lock-minutes`` without a key pressed the screen and the
  history are cleared, the database and a typed passphrase are dropped and
  the passphrase is asked again; with a key file or a key in the environment
  there is nothing to ask, so the shell ends instead (exit 0).
"""

from __future__ import annotations

import io
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Optional, cast

import typer

from .errors import error_line
from .state import State, get_state

if TYPE_CHECKING:  # pragma: no cover
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import CompleteEvent, Completer, Completion
    from prompt_toolkit.document import Document
    from typer._click.core import Command, Context, Parameter

app = typer.Typer()

#: Lines that end the session (as do Ctrl-D and the end of the input).
LEAVE = ("exit", "quit")
#: Test hook: the idle lock in seconds, instead of the practice's minutes.
LOCK_SECONDS_ENV = "VETCARDS_SHELL_LOCK_SECONDS"
#: Tries at the passphrase after a lock before the shell ends.
UNLOCK_TRIES = 3
PROMPT = "vetcards> "


@app.command("shell")
def shell(ctx: typer.Context) -> None:
    """Run commands one per line in one session: on a terminal with completion and history, or a batch from a pipe.

    The database is opened once: one passphrase prompt, or the key file as
    usual. Type the commands without the leading "vetcards"; exit, quit or
    Ctrl-D leaves. History stays in memory only. After the practice's idle
    time (practice set --shell-lock-minutes, 10) the shell locks: the key is
    dropped and the passphrase asked again (with a key file the shell ends).
    From a pipe, blank lines and # comments are skipped and the first failing
    command stops the batch with its exit code.

    Example: vetcards shell < commands.txt
    """
    state = get_state(ctx)
    root = ctx.find_root().command
    state.shared = True
    try:
        session = Session(root, state)
        code = session.run_terminal() if sys.stdin.isatty() else session.run_batch(sys.stdin)
    finally:
        state.shared = False
    if code:
        raise typer.Exit(code)


def parse_line(line: str) -> Optional[list[str]]:
    """The words of one line (shlex); None for a blank line or a ``#`` comment.

    A leading ``vetcards`` is dropped (a line copied from a script works);
    ``help`` is ``--help``. Raises ValueError on unbalanced quotes.
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    words = shlex.split(text)
    if words[:1] == ["vetcards"]:
        words = words[1:]
    if words[:1] == ["help"]:
        words = [*words[1:], "--help"]
    return words


@contextmanager
def _empty_stdin() -> Iterator[None]:
    """Commands of a batch read an empty stdin: none can swallow the lines after it."""
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")
    try:
        yield
    finally:
        sys.stdin = saved


class Session:
    """The shell's loop around the one root group and the one State."""

    def __init__(self, root: Command, state: State) -> None:
        self.root = root
        self.state = state

    def run(self, words: list[str]) -> int:
        """One command line, in process, through the error boundary; its exit code."""
        if words[:1] == ["shell"]:
            error_line("already in the shell")
            return 2
        self.state.command_actor = None
        try:
            code = self.root.main(args=words, prog_name="vetcards", standalone_mode=False, obj=self.state)
        except SystemExit as exc:  # a command that exits the process the hard way
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            self.state.command_actor = None
            sys.stdout.flush()
            sys.stderr.flush()
        if "rekey" in words and not code:
            self.state.forget_key()  # the database stays open with the new key; a passphrase is asked if needed
        return code if isinstance(code, int) else 0

    # -- from a pipe --------------------------------------------------------

    def run_batch(self, lines: Iterable[str]) -> int:
        """Each line in turn; stop at the first failure with its exit code (0 when all succeed)."""
        for number, line in enumerate(lines, 1):
            try:
                words = parse_line(line)
            except ValueError as exc:
                error_line(f"line {number}: {exc}")
                return 2
            if words is None:
                continue
            if words[:1] and words[0] in LEAVE:
                return 0
            with _empty_stdin():
                code = self.run(words)
            if code:
                print(f"shell: stopped at line {number} (exit {code})", file=sys.stderr)
                return code
        return 0

    # -- on a terminal ------------------------------------------------------

    def run_terminal(self) -> int:
        """The interactive loop; 0 when left with exit, quit or Ctrl-D."""
        self.state.database()  # the one key prompt (and the key checked) before the first line
        numbers = Numbers(self.state)
        prompt = _prompt_session(self.root, numbers)
        idle = lock_seconds(self.state)
        while True:
            try:
                line = read_line(prompt, idle)
            except KeyboardInterrupt:
                continue
            except EOFError:
                return 0
            except Locked:
                numbers.forget()
                prompt = _prompt_session(self.root, numbers)  # a new session: the history is gone
                if not self.unlock(idle):
                    return 0
                continue
            try:
                words = parse_line(line)
            except ValueError as exc:
                error_line(str(exc))
                continue
            if words is None:
                continue
            if words[:1] and words[0] in LEAVE:
                return 0
            self.run(words)
            numbers.forget()  # a command may have added (or erased) one: read again at the next Tab
            if words[:1] == ["practice"]:
                idle = lock_seconds(self.state)

    def unlock(self, idle: float) -> bool:
        """After the idle time: drop the key and the database; True once the passphrase is given again."""
        typed = self.state.key_is_typed()
        self.state.lock()
        sys.stdout.write("\033[2J\033[H")  # the cards shown stay off an unattended screen
        sys.stdout.flush()
        minutes = f"{idle / 60:g} min" if idle >= 60 else f"{idle:g} s"
        if not typed:
            print(f"shell locked after {minutes} idle: the database is closed; start vetcards shell again",
                  file=sys.stderr)
            return False
        print(f"shell locked after {minutes} idle: the key was dropped; give the passphrase again",
              file=sys.stderr)
        from ..errors import VetcardsError

        for _ in range(UNLOCK_TRIES):
            try:
                self.state.database()
                return True
            except VetcardsError as exc:
                error_line(exc.message)
                self.state.lock()
        raise typer.Exit(3)


class Locked(Exception):
    """The idle time passed at the prompt."""


def lock_seconds(state: State) -> float:
    """The idle time before the shell locks: the practice's minutes (or the test hook's seconds)."""
    hook = os.environ.get(LOCK_SECONDS_ENV)
    if hook:
        return float(hook)
    from .. import settings

    with state.unit(write=False) as uow:
        return 60.0 * settings.shell_lock_minutes(uow)


def read_line(prompt: PromptSession[str], idle: float) -> str:
    """One line from the prompt; raises :class:`Locked` after ``idle`` seconds without a key pressed."""
    import asyncio

    app_ = prompt.app

    async def watch() -> None:
        while True:
            left = getattr(app_, "vetcards_last_key", 0.0) + idle - time.monotonic()
            if left <= 0:
                if not app_.future or not app_.future.done():
                    app_.exit(exception=Locked())
                return
            await asyncio.sleep(left)

    def pre_run() -> None:
        app_.vetcards_last_key = time.monotonic()  # type: ignore[attr-defined]
        app_.create_background_task(watch())

    return prompt.prompt(PROMPT, pre_run=pre_run)


def _prompt_session(root: Command, numbers: Numbers) -> PromptSession[str]:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import InMemoryHistory

    completer = cast("Completer", CommandCompleter(root, numbers.get))  # the protocol, duck-typed
    session: PromptSession[str] = PromptSession(
        history=InMemoryHistory(), completer=completer, complete_while_typing=False,
        enable_history_search=False, enable_open_in_editor=False,
    )

    def touched(_sender: Any) -> None:
        session.app.vetcards_last_key = time.monotonic()  # type: ignore[attr-defined]

    session.app.key_processor.before_key_press += touched
    return session


class Numbers:
    """Client and pet numbers for completion: read once, again after a command ran."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._cache: dict[str, list[str]] = {}

    def get(self, kind: str) -> list[str]:
        if kind not in self._cache:
            from .. import refs

            with self.state.unit(write=False) as uow:
                self._cache[kind] = refs.numbers(uow, "pet" if kind == "pet" else "client")
        return self._cache[kind]

    def forget(self) -> None:
        self._cache.clear()


#: Parameters (argument or option, by name) completed with numbers of that kind.
NUMBERED = {"client": "client", "pet": "pet"}
#: At most this many numbers offered at once.
MAX_NUMBERS = 100


def _is_group(command: Any) -> bool:
    return hasattr(command, "list_commands")


def _options(command: Command) -> list[str]:
    names = ["--help"]
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "hidden", False):
            names += [*param.opts, *param.secondary_opts]
    return names


def _option(command: Command, word: str) -> Optional[Parameter]:
    for param in command.params:
        if param.param_type_name == "option" and word in (*param.opts, *param.secondary_opts):
            return param
    return None


class CommandCompleter:
    """Completion from the Click command tree (commands, subcommands, options, choices) and numbers.

    prompt_toolkit's ``Completer`` protocol, duck-typed: a batch from a pipe
    never imports prompt_toolkit.
    """

    def __init__(self, root: Command, numbers: Callable[[str], Sequence[str]]) -> None:
        from typer import Context

        self.root = root
        self.ctx: Context = Context(root)
        self.numbers = numbers

    # prompt_toolkit's Completer protocol (duck-typed: no import at module level)
    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterator[Completion]:
        from prompt_toolkit.completion import Completion

        before = document.text_before_cursor
        try:
            words = shlex.split(before)
        except ValueError:
            return
        current = "" if not before or before[-1].isspace() or not words else words.pop()
        for text in self.candidates(words, current):
            yield Completion(text, start_position=-len(current))

    async def get_completions_async(self, document: Document, complete_event: CompleteEvent) -> Any:
        for completion in self.get_completions(document, complete_event):
            yield completion

    def candidates(self, words: list[str], current: str) -> list[str]:
        """What may follow ``words`` and starts with ``current``."""
        if words[:1] == ["vetcards"]:
            words = words[1:]
        command: Any = self.root
        pending: Optional[Parameter] = None
        positional = 0
        for word in words:
            if pending is not None:
                pending = None
            elif word.startswith("-") and word != "-":
                option = _option(command, word)
                if option is not None and not getattr(option, "is_flag", False):
                    pending = option
            elif _is_group(command):
                command = command.get_command(self.ctx, word)
                if command is None:
                    return []
                positional = 0
            else:
                positional += 1
        if pending is not None:
            return self.values(pending, current)
        if current.startswith("-"):
            return [name for name in _options(command) if name.startswith(current)]
        if _is_group(command):
            names = list(command.list_commands(self.ctx))
            if command is self.root:
                names += [*LEAVE, "help"]
            return sorted(name for name in names if name.startswith(current))
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        if positional < len(arguments):
            return self.values(arguments[positional], current)
        if arguments and arguments[-1].nargs == -1:
            return self.values(arguments[-1], current)
        return []

    def values(self, param: Parameter, current: str) -> list[str]:
        kind = NUMBERED.get(param.name or "")
        if kind is not None:
            import bisect

            known = self.numbers(kind)
            prefix = current.upper()
            start = bisect.bisect_left(known, prefix)
            out = []
            for number in known[start:start + MAX_NUMBERS]:
                if not number.startswith(prefix):
                    break
                out.append(number)
            return out
        try:  # the parameter's own completion: the choices of an Enum or Choice, booleans
            items = param.shell_complete(self.ctx, current)
        except Exception:  # noqa: BLE001 - completion never breaks the prompt
            return []
        return [str(item.value) for item in items if getattr(item, "type", "plain") == "plain"]
