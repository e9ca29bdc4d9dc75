"""``vetcards purge``: the retention purge for cron."""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Annotated, Any, Optional

import typer

from . import output
from .output import Output
from .state import get_state, today
from .words import count

app = typer.Typer()


def _summary_line(s: dict[str, Any]) -> str:
    verb = "would be purged" if s["dry_run"] else "purged"
    head = f"purge{' (dry run)' if s['dry_run'] else ''} as of {s['as_of']}"
    return (
        f"{head}: {count(s['purged_clients'], 'client')} {verb}; "
        f"held: {s['held_for_claims']} for claims, {s['held_by_legal_hold']} by legal hold; "
        f"{count(s['kept_for_fiscal_hold'], 'invoice')} kept for fiscal hold; "
        f"{count(s['deleted_expired_invoices'], 'expired invoice')} deleted; "
        f"{s['duration_seconds']:.2f} s"
    )


def _last_line(entry: dict[str, Any]) -> str:
    kind = "dry run" if entry["dry_run"] else "purge"
    return (
        f"last {kind}: {entry['ts']} by {entry['actor']} as of {entry.get('as_of', '?')}: "
        f"{count(entry.get('purged_clients', len(entry['clients'])), 'client')} "
        f"{'would be purged' if entry['dry_run'] else 'purged'}; "
        f"held: {entry.get('held_for_claims', 0)} for claims, "
        f"{entry.get('held_by_legal_hold', 0)} by legal hold; "
        f"{count(entry.get('kept_for_fiscal_hold', 0), 'invoice')} kept for fiscal hold; "
        f"{count(entry.get('deleted_expired_invoices', 0), 'expired invoice')} deleted "
        f"(audit entry {entry['id']})"
    )


@app.command("purge")
def purge(
    ctx: typer.Context,
    as_of: Annotated[
        Optional[str],
        typer.Option("--as-of", help="Reference date (default: today). A future date only with --dry-run."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would go; nothing is deleted (still audited).")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts and cron).")] = False,
    vacuum: Annotated[
        bool, typer.Option("--vacuum", help="VACUUM after the purge: shrink the file to the pages in use.")
    ] = False,
    last: Annotated[
        bool, typer.Option("--last", help="Show the summary of the last purge (from the audit log) and exit.")
    ] = False,
) -> None:
    """Delete clients inactive for more than the inactivity period.

    Clients with an unpaid invoice or one in collection, or with a manual legal
    hold, are kept and reported. Invoices still under the fiscal hold are kept
    restricted (snapshot and amounts only). One transaction: all or nothing.
    Never prompts; exit 0 when it ran (holds are not failures). A progress bar
    is shown only when stderr is a terminal.

    Examples:

      vetcards purge --dry-run

      vetcards purge --json

      vetcards purge --last
    """
    from ..errors import InvalidInput, UsageError

    state = get_state(ctx)
    if last:
        if dry_run or vacuum or as_of is not None:
            raise UsageError("--last: give it alone (not with --as-of, --dry-run or --vacuum)")
        from .. import retention

        with state.unit(write=False) as uow:
            entry = retention.last_purge(uow)
        Output(json_out).result(entry, text="no purge recorded yet" if entry is None else _last_line(entry))
        return
    if vacuum and dry_run:
        raise UsageError("--vacuum: not with --dry-run (a dry run deletes nothing)")

    from .. import retention, settings, validation

    on = validation.parse_date(as_of, field="--as-of") if as_of is not None else today()
    if on > today() and not dry_run:
        raise InvalidInput("--as-of", "must not be in the future (preview with --dry-run)")

    started = time.monotonic()
    state.cache_mib = retention.PURGE_CACHE_MIB
    database = state.database()
    with ExitStack() as stack:
        bar = output.progress_bar(stack, "purge")

        def callback(description: str, done: int, total: int) -> None:
            if bar is not None:
                bar(done, total, description)

        with state.unit() as uow:
            result = retention.purge(uow, on, settings.periods(uow), dry_run=dry_run, progress=callback)
        if vacuum:
            callback("vacuum", 0, 1)
            retention.vacuum(database)
    summary = result.summary()
    summary["vacuumed"] = vacuum
    summary["duration_seconds"] = round(time.monotonic() - started, 3)
    lines = [_summary_line(summary)]
    if dry_run:
        lines += [f"purge {number}" for number in summary["clients"]]
        lines += [f"held for claims {number}" for number in summary["held_for_claims_clients"]]
        lines += [f"held by legal hold {number}" for number in summary["held_by_legal_hold_clients"]]
    Output(json_out).result(summary, text="\n".join(lines))
    if not dry_run and not summary.get("wal_checkpointed", True):
        from .erase import WAL_KEPT

        output.message(WAL_KEPT.format(what="purged"))
