"""The vetcards command line: a thin layer over the library.

Each command group is one module with its own ``typer.Typer``, joined to the
root group lazily through :data:`COMMANDS` (the root group imports a module
only when one of its commands runs). Commands parse options, open the database, call one
library function and print the result; they import the library inside the
command body so that ``vetcards --help`` never imports SQLAlchemy.
"""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from .. import __version__
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


# Top-level commands: name -> (module in vetcards.cli, Typer app attribute,
# command inside that app or None for a whole group, short help for the
# listing). Modules are imported only when their command runs (or its help is
# shown), so `vetcards --help` stays as cheap as importing Typer. The short
# help must equal the command's own first help line (tests/test_docs.py).
COMMANDS: dict[str, tuple[str, str, Optional[str], str]] = {
    "init": ("init", "app", "init", "Create a new encrypted practice database."),
    "client": ("hold", "app", None, "Client cards (klantenkaart): add, edit, show, list, search."),
    "pet": ("pet", "app", None, "Patient cards (patiëntenkaart): add, edit, show, list, weigh, deceased."),
    "practice": ("practice", "app", None,
                 "Practice settings: name, address, BTW, KvK, IBAN, privacy statement, retention."),
    "species": ("species", "app", None, "The list of known species used to validate pet cards."),
    "invoice": ("invoice", "app", None, "Invoices: create, show, list, pay, collect, credit."),
    "purge": ("purge", "app", "purge", "Delete clients inactive for more than the inactivity period (SPEC §4)."),
    "export": ("rights", "app", "export",
               "Export everything held on a client and their animals (access, portability)."),
    "import": ("rights", "app", "import",
               "Import a client from another practice's vetcards JSON export (portability)."),
    "erase": ("erase", "app", "erase", "Erase a client's personal data after an identity check (right to erasure, GDPR article 17)."),
    "request": ("erase", "request_app", None,
                "Data-subject requests and their deadlines (GDPR article 12(3)): add, list, extend, close."),
    "audit": ("audit", "app", None, "The audit log: show entries, verify the hash chain."),
    "rekey": ("keys", "app", "rekey",
              "Rotate the database key: passphrase or key file, to a new passphrase or key file."),
    "backup": ("keys", "app", "backup", "Write an encrypted, consistent copy of the database while it is in use."),
    "restore": ("keys", "app", "restore",
                "Replace the database with a backup, then re-apply later erasures from the ledger."),
    "doctor": ("keys", "app", "doctor",
               "Check the database: integrity, encryption, permissions, migrations, purge, requests, audit."),
    "visit": ("record", "visit_app", None, "Consultations in the medical record: add (shown by vetcards pet show)."),
    "vaccinate": ("record", "app", "vaccinate",
                  "Record a vaccination; --next-due makes a recall for the reminder cards."),
    "medicine": ("record", "app", "medicine",
                 "Record a veterinary medicine administered or dispensed (kept 5 years, EU 2019/6 article 103)."),
    "consent": ("consent", "app", None,
                "Consents per purpose: give, withdraw (as easy as giving), list with history."),
    "recipient": ("sharing", "recipient_app", None, "The register of recipients: parties data may be shared with."),
    "reminders": ("sharing", "reminders_app", None, "Vaccination reminder cards for the mailing firm."),
    "chip": ("sharing", "chip_app", None, "Chip registration at the Dutch pet database (NDG)."),
    "refer": ("sharing", "app", "refer",
              "Write a referral bundle of one patient (card, record, owner contact) as JSON."),
    "disclose": ("sharing", "app", "disclose",
                 "Log a disclosure made outside vetcards (a lab form, a pharmacy order), with the consent checked."),
    "stats": ("stats", "app", "stats",
              "Anonymised statistics: aggregate counts only, cells under 5 shown as <5, no totals."),
    "register": ("stats", "app", "register",
                 "Print the record of processing activities (GDPR article 30) from the recipients register "
                 "and the retention settings."),
}


def main() -> None:
    """Console-script entry point."""
    app(prog_name="vetcards")
