"""``vetcards rekey``: rotate the database key."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import JsonObjectOpt, file_option
from .output import Output
from .state import get_state, interactive

app = typer.Typer()


def _new_passphrase() -> str:
    from ..errors import KeyFailure, UsageError

    env = os.environ.get("VETCARDS_NEW_PASSPHRASE")
    if env:
        return env
    if not interactive():
        raise UsageError("no new passphrase: set VETCARDS_NEW_PASSPHRASE (no prompt outside a terminal)")
    first = getpass.getpass("New passphrase: ")
    second = getpass.getpass("Repeat new passphrase: ")
    if first != second:
        raise KeyFailure("the passphrases differ; nothing changed")
    return first


@app.command("rekey")
def rekey(
    ctx: typer.Context,
    new_key_file: Annotated[Optional[Path], file_option(
        "--new-key-file", help="Generate a new random 256-bit key into this file (mode 0600) and re-encrypt with "
                               "it. May name the key file in use: it is replaced after the rekey committed.")] = None,
    new_passphrase: Annotated[bool, typer.Option("--new-passphrase", help="Re-encrypt with a new passphrase, asked "
                                                 "twice on the terminal (or taken from VETCARDS_NEW_PASSPHRASE).")]
    = False,
    json_out: JsonObjectOpt = False,
) -> None:
    """Rotate the database key: passphrase or key file, to a new passphrase or key file.

    The old key stops working. Every other vetcards process must be closed.
    An interrupted rekey leaves the database with the old key (or, if it got
    past its commit, with the new one: a new key file then waits in
    NEW_KEY_FILE.pending). Audited as "rekey" (never any key material).

    Example: vetcards --key-file old.key rekey --new-key-file new.key
    """
    from .. import rekey as rekey_lib
    from ..errors import UsageError

    if (new_key_file is None) == (not new_passphrase):
        raise UsageError("give exactly one of --new-key-file PATH and --new-passphrase")
    state = get_state(ctx)
    old_key = state.key()
    passphrase = None
    if new_passphrase:
        passphrase = rekey_lib.check_new_passphrase(_new_passphrase())
    database = state.database()
    state._database = None
    new_db, result = rekey_lib.rekey(
        database, old_key, new_key_file=new_key_file, new_passphrase=passphrase,
        current_key_file=state.key_file_in_use(), actor=state.who(),
    )
    state._database = new_db
    where = f" {result.key_file} (mode 0600; keep it apart from backups)" if result.key_file else ""
    Output(json_out).result(result, f"re-encrypted {new_db.path} with the new {result.new}{where}; "
                                    f"the old {result.old} no longer opens it")
