"""``vetcards init``: create the encrypted database."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import file_option
from .output import Output
from .state import get_state, interactive

app = typer.Typer()


@app.command("init")
def init(
    ctx: typer.Context,
    new_key_file: Annotated[Optional[Path], file_option(
        "--new-key-file", help="Generate a random 256-bit key into this file (mode 0600) and use it.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Create a new encrypted practice database.

    With --new-key-file a random key is written to a new file (keep it apart
    from backups). Otherwise the key comes from --key-file, VETCARDS_KEY_FILE,
    VETCARDS_PASSPHRASE, or a passphrase asked twice on the terminal.

    Example: vetcards --db practice.db init --new-key-file practice.key
    """
    from ..db import check_can_create, create_database
    from ..errors import KeyFailure, UsageError
    from ..keys import Key, check_new_passphrase, write_new_key_file

    state = get_state(ctx)
    path = state.db_path()
    check_can_create(path)  # before a key file is written
    if new_key_file is not None:
        if state.key_file is not None:
            raise UsageError("give either --key-file or --new-key-file, not both")
        key = write_new_key_file(new_key_file)
    elif state.key_file is not None or os.environ.get("VETCARDS_KEY_FILE") or os.environ.get("VETCARDS_PASSPHRASE"):
        key = state.key()
        if not key.raw:  # VETCARDS_PASSPHRASE: the same minimum as at the prompt
            check_new_passphrase(key.secret)
    elif interactive():
        first = getpass.getpass("New passphrase: ")
        second = getpass.getpass("Repeat passphrase: ")
        if first != second:
            raise KeyFailure("the passphrases differ; nothing created")
        key = Key(secret=check_new_passphrase(first), raw=False, source="prompt")
    else:
        raise KeyFailure(
            "no key: give --new-key-file PATH, --key-file PATH or set VETCARDS_PASSPHRASE "
            "(no prompt outside a terminal); nothing created"
        )
    state._database = create_database(path, key, actor=state.who())
    result = {"database": str(path), "key": "key file" if key.raw else "passphrase",
              "key_file": str(new_key_file) if new_key_file else None}
    lines = [f"created encrypted database {path}"]
    if new_key_file:
        lines.append(f"key file: {new_key_file} (mode 0600; keep it apart from backups)")
    Output(json_out).result(result, lines)
