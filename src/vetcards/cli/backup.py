"""``vetcards backup`` and ``vetcards restore``: encrypted copies of the database and their return."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .options import JsonObjectOpt, file_argument, file_option
from .output import Output
from .state import get_state, today
from .words import count

app = typer.Typer()


@app.command("backup")
def backup(
    ctx: typer.Context,
    out: Annotated[Path, file_argument("The backup file to write (must not exist).")],
    out_key_file: Annotated[
        Optional[Path],
        # A directory is a key error (exit 3, keys.check_key_file_mode), as for the global --key-file.
        typer.Option("--out-key-file", "--key-file",
                     help="Encrypt the copy with this key file instead of the database's own key."),
    ] = None,
    json_out: JsonObjectOpt = False,
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
    Output(json_out).result(result, f"backup written: {result.path} ({result.bytes} bytes, "
                                    f"{count(result.clients, 'client')}, taken at {result.taken_at}); encrypted and checked")


@app.command("restore")
def restore(
    ctx: typer.Context,
    backup_file: Annotated[Path, file_argument("The backup file to restore.")],
    ledger: Annotated[Optional[Path], file_option(
        "--ledger", help="The erasure ledger to re-apply (default: DB.erasures of the database replaced).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what the restore would lose and "
                                                            "re-apply; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation (needed outside a terminal).")]
    = False,
    json_out: JsonObjectOpt = False,
) -> None:
    """Replace the database with a backup, then re-apply later erasures from the ledger.

    The backup must open with the key (--key-file / VETCARDS_KEY_FILE /
    passphrase) and pass its integrity checks. The erasure ledger is
    verified first (an edited, shortened, emptied or symlinked ledger is
    refused); every erasure in it that the backup lacks is applied again, so
    an erased client does not come back. The ledger used is DB.erasures of
    the database being replaced; to restore to another path (a test
    restore), name the practice's ledger with --ledger: it is copied to the
    new database's own ledger. The replaced database is kept beside it
    (DB.replaced-STAMP, encrypted). --dry-run only says what would be lost
    (entries made after the backup) and re-applied. Without --yes it asks on
    a terminal and refuses in a non-interactive run.

    Example: vetcards restore /mnt/backup/practice-2026-11-27.db --dry-run
    """
    from .. import restore as restore_lib

    state = get_state(ctx)
    path = state.db_path()
    key = state.key()
    out = Output(json_out)
    if not dry_run:
        out.confirm(f"Replace {path} with {backup_file}?", yes=yes,
                    refusal="restore replaces the database: confirm with --yes (no prompt outside a terminal)",
                    declined="not confirmed; nothing was changed")
    state.close()
    result = restore_lib.restore(path, key, backup_file, actor=state.who(), today=today(), ledger_path=ledger,
                                 dry_run=dry_run)
    lost = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in result.lost.items()) or "nothing (no database)"
    if dry_run:
        again = ", ".join(result.to_replay) or "none"
        out.result(result, [f"dry run: restoring {backup_file} (taken at {result.taken_at or 'unknown'}) over "
                            f"{path} would lose {lost} made after the backup; erasures to re-apply from "
                            f"{result.ledger}: {again}; nothing was changed"])
        return
    again = ", ".join(result.replayed) or "none"
    lines = [f"restored {path} from {backup_file} (taken at {result.taken_at or 'unknown'}); "
             f"erasures re-applied: {again} (ledger {result.ledger})"]
    if result.lost:
        lines.append(f"lost with the replaced database: {lost}")
    if result.kept:
        lines.append(f"the replaced database was kept as {result.kept}")
    if result.set_aside:
        lines.append(f"the previous file did not open with this key; it was kept as {result.set_aside}")
    out.result(result, lines)
