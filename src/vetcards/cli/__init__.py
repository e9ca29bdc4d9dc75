"""The vetcards command line: a thin layer over the library.

Each command group is one module with its own ``typer.Typer``, joined to the
root group lazily through :data:`COMMANDS` (in :mod:`.registry`; the root
group imports a module only when one of its commands runs). Commands parse
options, open one unit of work, call one library function and print the
result through :mod:`.output`; they import the library inside the command
body so that ``vetcards --help`` never imports SQLAlchemy.
"""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from .. import __version__
from .errors import VetcardsGroup
from .options import ActorOpt, DbOpt, KeyFileOpt
from .registry import COMMANDS
from .state import State

__all__ = ["COMMANDS", "app", "main"]

app = typer.Typer(
    name="vetcards",
    cls=VetcardsGroup,
    help=(
        "Client and patient cards for a Dutch veterinary practice, in one encrypted "
        "SQLite file (SQLCipher), with the privacy duties of the AVG/GDPR built in.\n\n"
        "Examples:\n\n"
        "  vetcards --db practice.db init --new-key-file practice.key\n\n"
        "  export VETCARDS_DB=practice.db VETCARDS_KEY_FILE=practice.key\n\n"
        "  vetcards client add --name 'A. Jansen' --street 'Dorpsstraat 1' "
        "--postcode '1234 AB' --city Utrecht --consent\n\n"
        "  vetcards pet add K000001 --name Bello --species dog --weight 12,5"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"vetcards {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: DbOpt = None,
    key_file: KeyFileOpt = None,
    actor: ActorOpt = None,
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """Global options come before the command: vetcards --db FILE --key-file KEY COMMAND ..."""
    # New files (database, WAL, exports, key files) are private to the user.
    os.umask(0o077)
    if isinstance(ctx.obj, State) and ctx.obj.shared:
        # A command typed in `vetcards shell`: the shell's State, its open
        # database and its key serve it, and stay open after it.
        ctx.obj.for_command(db=db, key_file=key_file, actor=actor)
        return
    state = State(db=db, key_file=key_file, actor=actor)
    ctx.obj = state
    ctx.call_on_close(state.close)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="vetcards")
