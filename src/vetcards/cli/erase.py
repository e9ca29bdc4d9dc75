"""``vetcards erase``: the right to erasure (GDPR art. 17)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .options import ClientArg, YesOpt
from .output import Output
from .state import get_state, today
from .words import count

if TYPE_CHECKING:  # pragma: no cover
    from ..erasure import ErasurePlan

app = typer.Typer()

ID_DOC_HELP = ("Type of identity document checked: passport, id-card, driving-licence, "
               "residence-permit or other. Never the document number.")
#: Said (stderr, with --json too) when another connection blocked the WAL checkpoint after an erase
#: or a purge ({what}: "erased", "purged").
WAL_KEPT = ("note: another program has the database open, so {what} data may remain in the -wal file "
            "until that program closes")
RequestOpt = Annotated[
    Optional[str],
    typer.Option("--request", help="Id of the erasure request this answers; it is closed."),
]


def _human(plan: ErasurePlan, header: str) -> str:
    """What was (or would be) erased, kept and whom to tell, for a person."""
    lines = [header]
    erased = [(k, n) for k, n in plan.erased.items() if n]
    lines.append("Erased:" if erased else "Erased: nothing")
    lines += [f"  {key.replace('_', ' ')}: {n}" for key, n in erased]
    if plan.kept:
        lines.append("Kept, restricted (hidden from lists, reminders and statistics):")
        for k in plan.kept:
            until = k.until if k.until == "until paid" else f"until {k.until}"
            lines.append(f"  {k.what.replace('_', ' ')} {k.ref}: {k.reason}, {until}"
                         f" ({', '.join(k.fields)}); {k.basis}")
    else:
        lines.append("Kept: nothing")
    if plan.notify_recipients:
        lines.append("Tell these recipients of the erasure (GDPR art. 19):")
        lines += [f"  {r.name} ({r.kind}): {count(r.disclosures, 'disclosure')}, last {r.last_disclosed_on}"
                  for r in plan.notify_recipients]
    else:
        lines.append("Recipients to tell (GDPR art. 19): none in the disclosure log")
    return "\n".join(lines)


@app.command("erase")
def erase(
    ctx: typer.Context,
    client: ClientArg,
    verified_by: Annotated[
        str, typer.Option("--verified-by", help="Who checked the client's identity.", show_default=False)
    ],
    id_document: Annotated[str, typer.Option("--id-document", help=ID_DOC_HELP, show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
    yes: YesOpt = False,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON object: erased, kept (reason, until), notify_recipients.")
    ] = False,
    request: RequestOpt = None,
) -> None:
    """Erase a client's personal data after an identity check (right to erasure, GDPR article 17).

    What a hold needs is kept, restricted: invoices under the fiscal hold (name
    and address snapshot, amounts), what collecting an unpaid invoice needs
    (name, address, birth date, the invoice), medicine records (5 years). A
    client under a manual legal hold is not erased. Prints what was erased,
    what was kept, why and until when, and which recipients must be told.
    Without --yes it asks on a terminal and refuses otherwise.

    Example: vetcards erase K000012 --verified-by "J. de Vries" --id-document passport --yes
    """
    from .. import erasure

    out = Output(json_out)
    with get_state(ctx).unit() as uow:

        def plan() -> tuple[str, str]:
            # Validate everything and show the plan; the rollback inside the
            # dry run releases the write lock while the person decides.
            preview = erasure.erase(uow, client, verified_by, id_document, as_of=today(),
                                    dry_run=True, request=request)
            number = preview.plan.client_number
            return (_human(preview.plan, f"Plan for client {number}:"),
                    f"Erase client {number}? This cannot be undone")

        out.confirm(plan, yes=yes or dry_run, refusal="erase needs --yes when not run on a terminal; nothing was erased")
        result = erasure.erase(uow, client, verified_by, id_document, as_of=today(),
                               dry_run=dry_run, request=request)
    number = result.plan.client_number
    if dry_run:
        header = f"Dry run: nothing was changed. Erasing client {number} would do this:"
    else:
        header = f"Client {number} erased (identity checked, document: {result.id_document})."
    closed = f"request {result.request_id} closed" if result.request_id is not None and not dry_run else None
    out.result(result, closed, text=_human(result.plan, header))
    if not dry_run and not result.wal_checkpointed:
        from .output import message

        message(WAL_KEPT.format(what="erased"))
