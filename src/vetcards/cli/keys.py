"""``vetcards rekey``, ``backup``, ``restore`` and ``doctor``: keys, copies and health."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import output
from .state import get_state, interactive, today

app = typer.Typer()


def _current_key_file(state) -> Optional[Path]:  # noqa: ANN001
    """The key file in use, in the order of SPEC §6 (None for a passphrase)."""
    if state.key_file is not None:
        return Path(state.key_file).expanduser()
    if os.environ.get("VETCARDS_KEY_FILE"):
        return Path(os.environ["VETCARDS_KEY_FILE"]).expanduser()
    return None


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
    new_key_file: Annotated[
        Optional[Path],
        typer.Option("--new-key-file", dir_okay=False,
                     help="Generate a new random 256-bit key into this file (mode 0600) and re-encrypt with it. "
                          "May name the key file in use: it is replaced after the rekey committed."),
    ] = None,
    new_passphrase: Annotated[
        bool,
        typer.Option("--new-passphrase",
                     help="Re-encrypt with a new passphrase, asked twice on the terminal "
                          "(or taken from VETCARDS_NEW_PASSPHRASE)."),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
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
        current_key_file=_current_key_file(state), actor=state.who(),
    )
    state._database = new_db
    if json_out:
        output.emit_json(result.as_dict())
    else:
        where = f" {result.key_file} (mode 0600; keep it apart from backups)" if result.key_file else ""
        output.message(f"re-encrypted {new_db.path} with the new {result.new}{where}; "
                       f"the old {result.old} no longer opens it")


@app.command("backup")
def backup(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).", dir_okay=False,
                                        show_default=False)],
    out_key_file: Annotated[
        Optional[Path],
        typer.Option("--out-key-file", "--key-file", dir_okay=False,
                     help="Encrypt the copy with this key file instead of the database's own key."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Write an encrypted, consistent copy of the database while it is in use.

    The copy is checked (cipher_integrity_check and integrity_check) before it
    gets its name; it has mode 0600 and an existing file is never overwritten.
    Keep backups apart from the key file.

    Example: vetcards backup /mnt/backup/practice-2026-11-27.db
    """
    from .. import backup as backup_lib
    from ..keys import read_key_file

    state = get_state(ctx)
    key = state.key()
    out_key = read_key_file(out_key_file, "--out-key-file") if out_key_file is not None else None
    # A reader: the snapshot takes no write lock (the audit entry in the
    # source is written afterwards through a writer of its own).
    database = state.database()
    result = backup_lib.backup(database, key, out, out_key=out_key, actor=state.who())
    if json_out:
        output.emit_json(result.as_dict())
    else:
        output.message(f"backup written: {result.path} ({result.bytes} bytes, {result.clients} clients, "
                       f"taken at {result.taken_at}); encrypted and checked")


@app.command("restore")
def restore(
    ctx: typer.Context,
    backup_file: Annotated[Path, typer.Argument(help="The backup file to restore.", dir_okay=False,
                                                show_default=False)],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation (needed outside a terminal).")]
    = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Replace the database with a backup, then re-apply later erasures from the ledger.

    The backup must open with the key (--key-file / VETCARDS_KEY_FILE /
    passphrase) and pass its integrity checks. Every erasure in the erasure
    ledger (DB.erasures) made after the backup was taken is applied again, so
    an erased client does not come back. Without --yes it asks on a terminal
    and refuses in a non-interactive run.

    Example: vetcards restore /mnt/backup/practice-2026-11-27.db --yes
    """
    from .. import backup as backup_lib
    from ..errors import UsageError

    state = get_state(ctx)
    path = state.db_path()
    key = state.key()
    if not yes:
        if not interactive():
            raise UsageError("restore replaces the database: confirm with --yes (no prompt outside a terminal)")
        if not typer.confirm(f"Replace {path} with {backup_file}?", default=False, err=True):
            raise UsageError("not confirmed; nothing was changed")
    state.close()
    result = backup_lib.restore(path, key, backup_file, actor=state.who(), today=today())
    if json_out:
        output.emit_json(result.as_dict())
    else:
        again = ", ".join(result.replayed) or "none"
        output.message(f"restored {path} from {backup_file} (taken at {result.taken_at or 'unknown'}); "
                       f"erasures re-applied: {again}")
        if result.set_aside:
            output.message(f"the previous file did not open with this key; it was kept as {result.set_aside}")


@app.command("doctor")
def doctor(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Check the database: integrity, encryption, permissions, migrations, purge, requests, audit.

    Each check is one line with OK or what to do. Exit 0 when every check is
    OK, 1 otherwise (3 when the database cannot be opened at all).

    Example: vetcards doctor --json
    """
    from .. import doctor as doctor_mod

    state = get_state(ctx)
    path = state.db_path()
    key_file = _current_key_file(state)
    key = state.key()
    report = doctor_mod.run(path, key, key_file=key_file if key.raw else None, today=today())
    if json_out:
        output.emit_json(report.as_dict())
    else:
        for check in report.checks:
            print(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.message}")
    if not report.ok:
        raise typer.Exit(1)
