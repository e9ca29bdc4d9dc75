"""``vetcards request ...``: data-subject requests and their deadlines (GDPR art. 12(3))."""

from __future__ import annotations

from typing import Annotated

import typer

from . import output
from .options import ClientArg, JsonOpt, required
from .output import Listing, Output
from .state import call, today

app = typer.Typer(help="Data-subject requests and their deadlines (GDPR article 12(3)): "
                       "add, list, extend, close.",
                  no_args_is_help=True)

ReqArg = Annotated[str, typer.Argument(metavar="REQ", help="Request id.", show_default=False)]


@app.command("add")
def request_add(
    ctx: typer.Context,
    client: ClientArg,
    type_: Annotated[str, required("--type", "access, erasure, rectification or portability.")],
    received: Annotated[str, required("--received", "Date received, ISO 2026-11-27 or Dutch 27-11-2026.")],
    json_out: JsonOpt = False,
) -> None:
    """Record a data-subject request; it is due one month after receipt.

    Example: vetcards request add K000012 --type access --received 2026-01-31
    """
    from .. import subject_requests

    result = call(ctx, subject_requests.add_request, client, type_, received, today=today())
    Output(json_out).result(result, f"request {result['id']} ({result['type']}) for client {result['client']} "
                                    f"due {result['due_on']}", text=str(result["id"]))


@app.command("list")
@output.listing(wide=False)
def request_list(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open requests past their due date.")] = False,
    open_: Annotated[bool, typer.Option("--open", help="Only open requests.")] = False,
    *,
    view: Listing,
) -> None:
    """List requests, earliest due first, with their status (open, overdue, closed).

    Example: vetcards request list --overdue
    """
    from .. import subject_requests

    data = call(ctx, subject_requests.list_requests, today=today(), overdue=overdue, open_only=open_, write=False)
    view.rows(data, subject_requests.LIST_COLUMNS,
              "Overdue requests" if overdue else ("Open requests" if open_ else "Requests"))


@app.command("extend")
def request_extend(
    ctx: typer.Context,
    req: ReqArg,
    reason: Annotated[str, required("--reason", "Why more time is needed (stored with the request).")],
    json_out: JsonOpt = False,
) -> None:
    """Extend a request by two more months (once only), with a reason.

    Example: vetcards request extend 3 --reason "many records on paper"
    """
    from .. import subject_requests

    result = call(ctx, subject_requests.extend_request, req, reason, today=today())
    Output(json_out).result(result, f"request {result['id']} now due {result['due_on']}")


@app.command("close")
def request_close(ctx: typer.Context, req: ReqArg, json_out: JsonOpt = False) -> None:
    """Close a request that was answered (export and erase close theirs with --request).

    Example: vetcards request close 3
    """
    from .. import subject_requests

    result = call(ctx, subject_requests.close_request, req, today=today())
    Output(json_out).result(result, f"request {result['id']} closed" + (" (after its due date)" if result["late"] else ""))
