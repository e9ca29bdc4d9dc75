"""The one error boundary of the CLI.

Library code raises typed :class:`vetcards.errors.VetcardsError`; here each
becomes one line on stderr and the exit code of SPEC §7 (1 domain, 2 usage,
3 key or database). Usage errors from the parser become one line too. Any
other exception is a bug: one line naming its type, never a traceback and
never local variables (a passphrase may be one). Set VETCARDS_DEBUG=1 to get
the traceback while developing.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

# Typer >= 0.29 vendors Click; its parser errors derive from TyperException.
from typer import Abort as _Abort
from typer import Exit as _Exit
from typer.core import TyperGroup
from typer.exceptions import TyperException as _ClickException

from ..errors import VetcardsError
from .registry import COMMANDS

if TYPE_CHECKING:  # pragma: no cover
    from typer._click.core import Command, Context
    from typer._click.formatting import HelpFormatter


def error_line(message: str) -> None:
    """Print one error line on stderr."""
    text = " ".join(str(message).split())  # one line, whatever the message
    text = text.encode("utf-8", "replace").decode("utf-8")  # a stray undecodable byte never breaks the line
    print(f"error: {text}", file=sys.stderr)


#: A reference to the specification in a message (the practice has none to look it up in).
_SPEC_REF = re.compile(r"\s*\((?:see )?SPEC §[0-9.,§ -]*\)|\s*SPEC §[0-9.]+")
_NOT_ONE_OF = re.compile(r"^.* is not one of (.*?)\.?$", re.S)
_BOUNDS = {"greater_than_equal": ("ge", "must be at least"), "greater_than": ("gt", "must be more than"),
           "less_than_equal": ("le", "must be at most"), "less_than": ("lt", "must be less than")}


def practice_words(text: str) -> str:
    """A message without references to the specification (the practice has no SPEC)."""
    return _SPEC_REF.sub("", text)


def _param_name(exc: Any) -> str:
    """How the person typed the parameter: its long option, or the argument's metavar."""
    param = getattr(exc, "param", None)
    if param is None:
        hint = getattr(exc, "param_hint", None)
        return str(hint if isinstance(hint, str) else "/".join(hint or ())) or "value"
    if getattr(param, "param_type_name", "") == "argument":
        return str(getattr(param, "metavar", None) or param.name or "value").upper()
    opts = list(getattr(param, "opts", ())) or [f"--{param.name}"]
    return max(opts, key=len)


def _rule(exc: Any) -> str:
    """The rule a bad value broke, in the practice's words (never the parser's library sentence)."""
    cause = exc.__cause__
    errors = cause.errors() if hasattr(cause, "errors") else []  # a pydantic ValidationError (Typer >= 0.29)
    if not errors:
        return practice_words(str(exc.message)).rstrip(".") or "is not valid"
    kind, context = str(errors[0].get("type", "")), errors[0].get("ctx") or {}
    if kind.startswith("int_"):
        return "must be a whole number"
    if kind.startswith(("float_", "decimal_")):
        return "must be a number"
    if kind.startswith("bool_"):
        return "must be yes or no"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"{words} {context.get(key)}"
    if kind == "value_error":
        text = str(context.get("error", ""))
        choices = _NOT_ONE_OF.match(text)
        if choices:
            from ..vocab import rule_one_of

            return rule_one_of(c.strip().strip("'\"") for c in choices[1].split(","))
        return practice_words(text).rstrip(".") or "is not valid"
    return "is not valid"


def parser_line(exc: Any) -> str:
    """One line for a parser error: ``--year: must be a whole number``, ``--verified-by: is required``."""
    kind = type(exc).__name__
    try:
        if kind == "MissingParameter":
            return f"{_param_name(exc)}: is required"
        if kind == "BadParameter":
            return f"{_param_name(exc)}: {_rule(exc)}"
    except Exception:  # noqa: BLE001 - a parser's error is never turned into an internal error
        pass
    text = exc.format_message()
    if text.startswith("Got unexpected extra argument"):  # mostly a name or street typed without quotes
        return ("more words than the command takes: put a value with spaces in quotes, "
                "e.g. --name 'Anna de Vries' --street 'Dorpsstraat 12'")
    return practice_words(text)


def _missing_option(exc: VetcardsError, args: Sequence[str]) -> bool:
    """True when a library check found a required option that was not typed at all: a usage
    error (exit 2) like a missing option the parser finds (SPEC §7), while a typed but empty
    value stays a domain error (exit 1)."""
    from ..errors import InvalidInput
    from ..validation import RULE_REQUIRED

    if not isinstance(exc, InvalidInput) or not exc.field.startswith("--") or exc.rule != RULE_REQUIRED:
        return False
    return not any(a == exc.field or a.startswith(exc.field + "=") for a in args)


#: Global options that take a value (they come before the command).
_GLOBAL_VALUES = frozenset({"--db", "--key-file", "--actor"})


def _command_path(group: Any, ctx_args: Sequence[str]) -> str:
    """``vetcards invoice create`` from the command line, for the pointer to its help."""
    words, command, skip = ["vetcards"], group, False
    for arg in ctx_args:
        if skip or arg.startswith("-"):
            skip = arg in _GLOBAL_VALUES and not skip
            continue
        sub = getattr(command, "commands", {}).get(arg)
        if sub is None:
            break
        words.append(arg)
        command = sub
    return " ".join(words)


def _usage_hint(exc: Any) -> str:
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) if ctx is not None else None
    return f" (see: {path or 'vetcards'} --help)"


#: Typer's completion options: they belong to the whole program (``vetcards --install-completion``),
#: so only the top-level help shows them.
_COMPLETION_PARAMS = frozenset({"install_completion", "show_completion"})


def _plain_help(command: Command) -> None:
    """Plain (Click-style) help everywhere, like the root: fast and greppable; completion
    options on the top level only."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
    command.params = [p for p in command.params if p.name not in _COMPLETION_PARAMS]
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


def _check_utf8(args: Sequence[str]) -> None:
    """Refuse bytes that are not UTF-8 on the command line, whatever the option (Python hands
    them over as lone surrogates, which no database, file name or terminal line takes)."""
    from ..errors import UsageError

    for position, arg in enumerate(args, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"argument {position} holds bytes that are not UTF-8; nothing was changed") from None
        if "\x00" in arg:  # no file name, key or text holds one (a line typed in the shell may)
            raise UsageError(f"argument {position} holds a NUL character; nothing was changed")


class VetcardsGroup(TyperGroup):
    """Root command group: owns the error boundary, and loads commands lazily.

    Top-level commands are listed in :data:`vetcards.cli.registry.COMMANDS`; a
    command's module is imported (and turned into a Click command by Typer)
    only when that command is looked up, so listing the commands for
    ``vetcards --help`` imports none of them.
    """

    def _registry(self) -> dict[str, tuple[str, str, Optional[str], str]]:
        return COMMANDS

    def list_commands(self, ctx: Context) -> list[str]:
        return list(self.commands) + [n for n in self._registry() if n not in self.commands]

    def get_command(self, ctx: Context, cmd_name: str) -> Optional[Command]:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self._registry().get(cmd_name)
        if entry is None:
            return None
        import importlib

        import typer

        module_name, attr, inner, _help = entry
        sub_app = getattr(importlib.import_module(f"vetcards.cli.{module_name}"), attr)
        command: Any
        if inner is None:
            command = typer.main.get_group(sub_app)
            command.name = cmd_name
        else:
            built = typer.main.get_command(sub_app)
            command = built.commands[inner] if hasattr(built, "commands") else built
        _plain_help(command)
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """List commands with their registered short help, importing nothing."""
        rows = [(name, entry[3]) for name, entry in self._registry().items()]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def main(  # type: ignore[override]
        self,
        args: Optional[Sequence[str]] = None,
        prog_name: Optional[str] = None,
        complete_var: Optional[str] = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        code = 0
        args = list(sys.argv[1:] if args is None else args)
        try:
            _check_utf8(args)
            rv = super().main(
                args=args,
                prog_name=prog_name or "vetcards",
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = rv if isinstance(rv, int) and not isinstance(rv, bool) else 0
        except VetcardsError as exc:
            if _missing_option(exc, args):  # a usage error, pointing to the help like the parser's
                error_line(f"{exc.message} (see: {_command_path(self, args)} --help)")
                code = 2
            else:
                error_line(practice_words(exc.message))
                code = exc.exit_code
        except _ClickException as exc:
            if getattr(exc, "exit_code", 2) == 0:  # e.g. --help on no args
                code = 0
            elif type(exc).__name__ == "NoArgsIsHelpError":
                # `vetcards` or `vetcards client` alone: the help, as Click
                # shows it (on stderr, exit 2), not squeezed into one line.
                print(exc.format_message(), file=sys.stderr)
                code = exc.exit_code
            else:
                error_line(parser_line(exc) + _usage_hint(exc))
                code = exc.exit_code
        except _Exit as exc:
            code = exc.exit_code
        except (_Abort, KeyboardInterrupt, EOFError):
            error_line("aborted; nothing was changed")
            code = 130
        except BrokenPipeError:
            code = 1
        except Exception as exc:  # noqa: BLE001 - this is the boundary
            if os.environ.get("VETCARDS_DEBUG") == "1":
                raise
            from .. import db

            translated = None
            try:
                translated = db.translate_db_error(db.Path("database"), exc)
            except Exception:  # noqa: BLE001
                pass
            if isinstance(translated, VetcardsError):
                error_line(practice_words(translated.message))
                code = translated.exit_code
            else:
                error_line(
                    f"internal error ({type(exc).__name__}); nothing was changed. "
                    "Please report this with the command you ran (not its data)."
                )
                code = 1
        if standalone_mode:
            sys.exit(code)
        return code
