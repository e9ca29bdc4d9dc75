"""``vetcards client merge KEEP DUPLICATE``: merge a duplicate client card (SPEC §3).

Registered on the ``client`` group (imported by :mod:`vetcards.cli.hold`,
which the lazy registry loads for ``client``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from . import output
from .client import app
from .state import get_state, interactive, today

if TYPE_CHECKING:  # pragma: no cover
    from ..clients import MergeResult

KeepArg = Annotated[str, typer.Argument(metavar="KEEP", help="The card that is kept: client number (K000012) or id.",
                                        show_default=False)]
DupArg = Annotated[str, typer.Argument(metavar="DUPLICATE",
                                       help="The duplicate card, merged into KEEP and then deleted: number or id.",
                                       show_default=False)]


def _counts(result: MergeResult) -> str:
    moved = [f"{name.replace('_', ' ')}: {n}" for name, n in result.moved.items() if n]
    return ", ".join(moved) if moved else "nothing"


def _plan_text(plan: MergeResult) -> str:
    lines = [f"Merge client {plan.duplicate_number} into client {plan.keep_number}:",
             f"  moves to {plan.keep_number}: {_counts(plan)}",
             "  invoices keep the name and address they were issued to"]
    if plan.filled:
        lines.append(f"  filled on {plan.keep_number} (empty there): {', '.join(plan.filled)}")
    if plan.consents_closed:
        lines.append(f"  consents closed by a withdrawal on the other card: {plan.consents_closed}")
    lines.append(f"  client {plan.duplicate_number} is then deleted; its number is not reused")
    return "\n".join(lines)


@app.command("merge")
def merge(
    ctx: typer.Context,
    keep: KeepArg,
    duplicate: DupArg,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (needed in scripts).")
    ] = False,
    json_out: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object: id and number of the kept client, the counts moved."),
    ] = False,
) -> None:
    """Merge a duplicate client card into the card that is kept; the duplicate is deleted.

    Pets (with their medical record), invoices (with payments), medicine
    records, consents, disclosures and data-subject requests move to KEEP.
    Issued invoices keep the name and address they were addressed to. KEEP's
    own details are not changed, except that an empty phone, e-mail or birth
    date is taken from DUPLICATE (correct the rest with `client edit`).
    Refused for a restricted card and for a DUPLICATE under a legal hold.
    Without --yes it asks on a terminal and refuses otherwise.

    Example: vetcards client merge K000012 K000045 --yes
    """
    from .. import clients
    from ..errors import UsageError

    with get_state(ctx).unit() as session:
        if not yes:
            # Validate and count; the rollback releases the write lock while
            # the person decides.
            plan = clients.plan_merge(session, keep, duplicate)
            session.rollback()
            if not interactive():
                raise UsageError("client merge needs --yes when not run on a terminal; nothing was merged")
            print(_plan_text(plan), file=sys.stderr)
            if not typer.confirm(f"Merge client {plan.duplicate_number} into {plan.keep_number}? "
                                 "This cannot be undone", default=False, err=True):
                raise typer.Abort()
        result = clients.merge_clients(session, keep, duplicate, today=today())
    if json_out:
        output.emit_json(result.as_dict())
        return
    output.message(f"client {result.duplicate_number} merged into {result.keep_number}: "
                   f"{_counts(result)} moved")
    if result.filled:
        output.message(f"client {result.keep_number}: {', '.join(result.filled)} filled from "
                       f"{result.duplicate_number}")
    if result.consents_closed:
        output.message(f"{result.consents_closed} consent(s) closed by a withdrawal recorded on the other card")
