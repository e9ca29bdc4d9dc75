"""``vetcards erase`` and ``vetcards request ...``: erasure and request deadlines."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from . import output
from .options import ClientArg, FormatOpt, JsonOpt
from .state import get_state, today

if TYPE_CHECKING:  # pragma: no cover
    from ..erasure import ErasurePlan

app = typer.Typer()
request_app = typer.Typer(help="Data-subject requests and their deadlines (GDPR article 12(3)): "
                               "add, list, extend, close.",
                          no_args_is_help=True)

ID_DOC_HELP = ("Type of identity document checked: passport, id-card, driving-licence, "
               "residence-permit or other. Never the document number.")
RequestOpt = Annotated[
    Optional[str],
    typer.Option("--request", help="Id of the erasure request this answers; it is closed."),
]


def _human(plan: ErasurePlan, out, header: str) -> None:
    """What was (or would be) erased, kept and whom to tell, for a person."""
    print(header, file=out)
    erased = [(k, n) for k, n in plan.erased.items() if n]
    print("Erased:" if erased else "Erased: nothing", file=out)
    for key, n in erased:
        print(f"  {key.replace('_', ' ')}: {n}", file=out)
    if plan.kept:
        print("Kept, restricted (hidden from lists, reminders and statistics):", file=out)
        for k in plan.kept:
            until = k.until if k.until == "until paid" else f"until {k.until}"
            print(f"  {k.what.replace('_', ' ')} {k.ref}: {k.reason}, {until}"
                  f" ({', '.join(k.fields)}); {k.basis}", file=out)
    else:
        print("Kept: nothing", file=out)
    if plan.notify_recipients:
        print("Tell these recipients of the erasure (GDPR art. 19):", file=out)
        for r in plan.notify_recipients:
            print(f"  {r.name} ({r.kind}): {r.disclosures} disclosure(s), last {r.last_disclosed_on}",
                  file=out)
    else:
        print("Recipients to tell (GDPR art. 19): none in the disclosure log", file=out)


@app.command("erase")
def erase(
    ctx: typer.Context,
    client: ClientArg,
    verified_by: Annotated[
        str, typer.Option("--verified-by", help="Who checked the client's identity.", show_default=False)
    ],
    id_document: Annotated[str, typer.Option("--id-document", help=ID_DOC_HELP, show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (needed in scripts).")
    ] = False,
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
    from ..errors import UsageError

    state = get_state(ctx)
    with state.unit() as session:
        if not dry_run and not yes:
            # Validate everything and show the plan; the rollback inside the
            # dry run releases the write lock while the person decides.
            preview = erasure.erase(session, client, verified_by, id_document, as_of=today(),
                                    dry_run=True, request=request)
            if not sys.stdin.isatty():
                raise UsageError("erase needs --yes when not run on a terminal; nothing was erased")
            _human(preview.plan, sys.stderr, f"Plan for client {preview.plan.client_number}:")
            if not typer.confirm(f"Erase client {preview.plan.client_number}? This cannot be undone",
                                 default=False, err=True):
                raise typer.Abort()
        result = erasure.erase(session, client, verified_by, id_document, as_of=today(),
                               dry_run=dry_run, request=request)
    if json_out:
        output.emit_json(result.as_dict())
        return
    number = result.plan.client_number
    if dry_run:
        header = f"Dry run: nothing was changed. Erasing client {number} would do this:"
    else:
        header = f"Client {number} erased (identity checked, document: {result.id_document})."
    _human(result.plan, sys.stdout, header)
    if result.request_id is not None and not dry_run:
        output.message(f"request {result.request_id} closed")


# --------------------------------------------------------------------------
# Requests (GDPR art. 12(3))
# --------------------------------------------------------------------------


@request_app.command("add")
def request_add(
    ctx: typer.Context,
    client: ClientArg,
    type_: Annotated[
        str, typer.Option("--type", help="access, erasure, rectification or portability.", show_default=False)
    ],
    received: Annotated[
        str, typer.Option("--received", help="Date received, ISO 2026-11-27 or Dutch 27-11-2026.",
                          show_default=False)
    ],
    json_out: JsonOpt = False,
) -> None:
    """Record a data-subject request; it is due one month after receipt.

    Example: vetcards request add K000012 --type access --received 2026-01-31
    """
    from .. import subject_requests

    with get_state(ctx).unit() as session:
        result = subject_requests.add_request(session, client, type_, received, today=today())
    if json_out:
        output.emit_json(result)
    else:
        print(result["id"])
        output.message(f"request {result['id']} ({result['type']}) for client {result['client']} "
                       f"due {result['due_on']}")


@request_app.command("list")
def request_list(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open requests past their due date.")] = False,
    open_: Annotated[bool, typer.Option("--open", help="Only open requests.")] = False,
    fmt: FormatOpt = None,
) -> None:
    """List requests, earliest due first, with their status (open, overdue, closed).

    Example: vetcards request list --overdue
    """
    from .. import subject_requests

    with get_state(ctx).unit(write=False) as conn:
        data = subject_requests.list_requests(conn, today=today(), overdue=overdue, open_only=open_)
    title = "Overdue requests" if overdue else ("Open requests" if open_ else "Requests")
    output.rows(data, subject_requests.LIST_COLUMNS, fmt, title=title)


@request_app.command("extend")
def request_extend(
    ctx: typer.Context,
    req: Annotated[str, typer.Argument(metavar="REQ", help="Request id.", show_default=False)],
    reason: Annotated[
        str, typer.Option("--reason", help="Why more time is needed (stored with the request).",
                          show_default=False)
    ],
    json_out: JsonOpt = False,
) -> None:
    """Extend a request by two more months (once only), with a reason.

    Example: vetcards request extend 3 --reason "many records on paper"
    """
    from .. import subject_requests

    with get_state(ctx).unit() as session:
        result = subject_requests.extend_request(session, req, reason, today=today())
    if json_out:
        output.emit_json(result)
    else:
        output.message(f"request {result['id']} now due {result['due_on']}")


@request_app.command("close")
def request_close(
    ctx: typer.Context,
    req: Annotated[str, typer.Argument(metavar="REQ", help="Request id.", show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Close a request that was answered (export and erase close theirs with --request).

    Example: vetcards request close 3
    """
    from .. import subject_requests

    with get_state(ctx).unit() as session:
        result = subject_requests.close_request(session, req, today=today())
    if json_out:
        output.emit_json(result)
    else:
        output.message(f"request {result['id']} closed" + (" (after its due date)" if result["late"] else ""))
