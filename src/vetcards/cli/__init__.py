"""The vetcards command line: a thin layer over the library.

Each command group is one module with its own ``typer.Typer`` joined here
with ``add_typer``. Commands parse options, open the database, call one
library function and print the result; they import the library inside the
command body so that ``vetcards --help`` never imports SQLAlchemy.
"""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from .. import __version__
from . import audit as audit_cmd
from . import client as client_cmd
from . import consent as consent_cmd
from . import erase as erase_cmd
from . import hold as _hold  # noqa: F401  (adds client hold/unhold)
from . import init as init_cmd
from . import invoice as invoice_cmd
from . import keys as keys_cmd
from . import pet as pet_cmd
from . import practice as practice_cmd
from . import purge as purge_cmd
from . import record as record_cmd
from . import rights as rights_cmd
from . import sharing as sharing_cmd
from . import species as species_cmd
from . import stats as stats_cmd
from .errors import VetcardsGroup
from .options import ActorOpt, DbOpt, KeyFileOpt
from .state import State

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
    state = State(db=db, key_file=key_file, actor=actor)
    ctx.obj = state
    ctx.call_on_close(state.close)


app.add_typer(init_cmd.app)
app.add_typer(client_cmd.app, name="client")
app.add_typer(pet_cmd.app, name="pet")
app.add_typer(practice_cmd.app, name="practice")
app.add_typer(species_cmd.app, name="species")
app.add_typer(invoice_cmd.app, name="invoice")
app.add_typer(purge_cmd.app)
app.add_typer(rights_cmd.app)
app.add_typer(erase_cmd.app)
app.add_typer(erase_cmd.request_app, name="request")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(keys_cmd.app)
app.add_typer(record_cmd.visit_app, name="visit")
app.add_typer(record_cmd.app)
app.add_typer(consent_cmd.app, name="consent")
app.add_typer(sharing_cmd.recipient_app, name="recipient")
app.add_typer(sharing_cmd.reminders_app, name="reminders")
app.add_typer(sharing_cmd.chip_app, name="chip")
app.add_typer(sharing_cmd.app)
app.add_typer(stats_cmd.app)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="vetcards")
