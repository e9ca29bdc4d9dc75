"""``vetcards species ...``: the known species list (extensible)."""

from __future__ import annotations

from typing import Annotated

import typer

from . import output
from .output import Listing
from .state import call, get_state

app = typer.Typer(help="The list of known species used to validate pet cards.", no_args_is_help=True)


@app.command("list")
@output.listing(wide=False)
def list_(ctx: typer.Context, *, view: Listing) -> None:
    """List the known species.

    Example: vetcards species list
    """
    from .. import views

    view.rows(call(ctx, views.list_species, write=False), ("species",), "Species")


@app.command("add")
def add(ctx: typer.Context, name: Annotated[str, typer.Argument(help="New species name, e.g. 'alpaca'.")]) -> None:
    """Add a species to the known list.

    Example: vetcards species add alpaca
    """
    from .. import patients

    with get_state(ctx).unit() as uow:
        added = patients.add_species(uow, name)
    output.message(f"species '{added}' added")
