"""``vetcards consent give|withdraw|list``: consent per purpose (GDPR art. 7)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from ..vocab import CONSENT_PURPOSES
from . import output
from .options import ClientArg, JsonOpt, on_date, one_of
from .output import Listing, Output
from .state import call, today

app = typer.Typer(help="Consents per purpose: give, withdraw (as easy as giving), list with history.",
                  no_args_is_help=True)

PURPOSES = one_of(CONSENT_PURPOSES)
PurposeOpt = Annotated[Optional[str], typer.Option("--purpose", help=f"Purpose: {PURPOSES}.")]
COLUMNS = ("id", "purpose", "given_on", "statement_version", "method", "withdrawn_on", "current", "controller")


def _done(result: dict[str, Any], json_out: bool, done: str) -> None:
    Output(json_out).result(result, f"consent {result['id']} for {result['purpose']} {done} for client "
                                    f"{result['client']}")


@app.command("give")
def give(
    ctx: typer.Context,
    client: ClientArg,
    purpose: PurposeOpt = None,
    method: Annotated[str, typer.Option("--method", help="How it was given: in-person, written, e-mail, phone, web.")] = "in-person",
    date_: Annotated[Optional[str], on_date("Date it was given")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Record a client's consent for one purpose (with date, statement version and method).

    Giving again after a withdrawal adds a new consent; the old one stays in the history.

    Example: vetcards consent give K000001 --purpose reminders --method written
    """
    from .. import consents

    _done(call(ctx, consents.give, client, purpose or "", today=today(), method=method, on=date_), json_out,
          "recorded")


@app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    client: ClientArg,
    purpose: PurposeOpt = None,
    date_: Annotated[Optional[str], on_date("Date it was withdrawn")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Withdraw a client's consent for one purpose (art. 7(3)); the history is kept.

    Example: vetcards consent withdraw K000001 --purpose reminders
    """
    from .. import consents

    _done(call(ctx, consents.withdraw, client, purpose or "", today=today(), on=date_), json_out, "withdrawn")


@app.command("list")
@output.listing(wide=False)
def list_(ctx: typer.Context, client: ClientArg, purpose: PurposeOpt = None, *, view: Listing) -> None:
    """List a client's consents, withdrawn ones included, with which are current.

    Example: vetcards consent list K000001 --format json
    """
    from .. import consents

    view.rows(call(ctx, consents.history, client, purpose, today=today()), COLUMNS, "Consents")
