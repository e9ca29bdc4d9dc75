"""``vetcards audit ...``: read and verify the hash-chained audit log."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import output
from .output import Listing, Output
from .state import call, get_state
from .words import count

app = typer.Typer(help="The audit log: show entries, verify the hash chain.", no_args_is_help=True)


@app.command("show")
@output.listing(wide=False)
def show(
    ctx: typer.Context,
    action: Annotated[Optional[str], typer.Option("--action", help="Only this action (e.g. purge, client.add).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only entries on or after this date.")] = None,
    last: Annotated[Optional[int], typer.Option("--last", min=1, help="Only the last N entries.")] = None,
    *,
    view: Listing,
) -> None:
    """Show audit entries (ids, numbers and counts; never names).

    Example: vetcards audit show --action purge --last 1
    """
    from .. import audit, validation

    since_iso = validation.parse_date(since, field="--since").isoformat() if since else None
    data = call(ctx, audit.entries, action=action, since=since_iso, limit=last, write=False)
    view.rows(data, ("id", "ts", "actor", "os_user", "action", "entity", "entity_ids", "details"), "Audit log")


@app.command("verify")
def verify(ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Recompute the hash chain and check the erasure ledger and its anchor (exit 1 if broken).

    Example: vetcards audit verify
    """
    from .. import audit, ledger
    from ..errors import Conflict

    with get_state(ctx).unit(write=False) as uow:
        result = audit.verify(uow)
        check = ledger.inspect(uow, ledger.ledger_path_for(uow.path))
    ok = result.ok and check.ok
    Output(json_out).result({"ok": ok, "entries": result.entries, "first_broken_id": result.first_broken_id,
                             "problem": result.problem or None, "ledger_ok": check.ok,
                             "ledger_problem": check.problems[0] if check.problems else None},
                            f"audit log OK: {count(result.entries, 'entry')}, hash chain intact; erasure ledger OK, "
                            "latest anchor present" if ok else None)
    if not result.ok:
        if result.head_problem:
            raise Conflict(result.problem)
        if result.first_broken_id is None:
            raise Conflict(f"audit log broken: {result.problem}")
        raise Conflict(f"audit log broken at entry {result.first_broken_id}: {result.problem}")
    if not check.ok:
        raise Conflict(f"erasure ledger: {check.problems[0]}")
