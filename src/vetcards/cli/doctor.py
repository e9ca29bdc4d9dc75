"""``vetcards doctor``: check the database and its surroundings."""

from __future__ import annotations

from typing import Annotated

import typer

from .options import JsonObjectOpt
from .output import Output
from .state import get_state, today

app = typer.Typer()


@app.command("doctor")
def doctor(
    ctx: typer.Context,
    repair: Annotated[bool, typer.Option("--repair", help="First make the erasure ledger and the database agree: "
                                                          "re-apply erasures the database lacks, record the ones "
                                                          "the ledger lacks; and write the audit head again at "
                                                          "the log's last entry when it does not fit.")] = False,
    json_out: JsonObjectOpt = False,
) -> None:
    """Check the database: integrity, encryption, permissions, migrations, purge, requests, audit.

    Each check is one line with OK, WARN (something to see to, e.g. recipients
    still under a placeholder name) or FAIL and what to do. Exit 0 when no
    check fails, 1 otherwise (3 when the database cannot be opened at all). The
    erasure ledger is checked against the database both ways (an edited,
    shortened, emptied, symlinked or forged ledger; a rolled-back database;
    a shortened audit log); so is the audit head beside the database (a
    database rolled back or shortened since its last write; a head missing,
    edited or symlinked); --repair re-applies what the database lacks and
    accepts the database as it is (the head written again).

    Example: vetcards doctor --json
    """
    from .. import doctor as doctor_mod

    state = get_state(ctx)
    path = state.db_path()
    key_file = state.key_file_in_use()
    key = state.key()
    report = doctor_mod.run(path, key, key_file=key_file if key.raw else None, today=today(), repair=repair,
                            actor=state.who())
    Output(json_out).result(report, text="\n".join(f"{check.status:<4} {check.name}: {check.message}"
                                                   for check in report.checks))
    if not report.ok:
        raise typer.Exit(1)
