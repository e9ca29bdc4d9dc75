"""``vetcards register``: the record of processing activities (GDPR art. 30)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from .output import Output
from .state import get_state, today

app = typer.Typer()


class RegisterFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("register")
def register(
    ctx: typer.Context,
    fmt: Annotated[RegisterFormat, typer.Option("--format", "-f", help="text (default) or json.",
                                                case_sensitive=False)] = RegisterFormat.text,
) -> None:
    """Print the record of processing activities (GDPR article 30) from the recipients
    register and the retention settings.

    Example: vetcards register --format json
    """
    from .. import processing

    with get_state(ctx).unit(write=False) as uow:
        reg = processing.build(uow, today=today())
    Output(fmt is RegisterFormat.json).result(reg, text=processing.render_text(reg))
