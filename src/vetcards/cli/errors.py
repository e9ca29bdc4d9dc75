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


def _usage_hint(exc: Any) -> str:
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) if ctx is not None else None
    return f" (see: {path or 'vetcards'} --help)"


def _plain_help(command: Command) -> None:
    """Plain (Click-style) help everywhere, like the root: fast and greppable."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None
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
        try:
            args = list(sys.argv[1:] if args is None else args)
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
            error_line(exc.message)
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
                error_line(exc.format_message() + _usage_hint(exc))
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
                error_line(translated.message)
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
