"""``vetcards register``: the record of processing activities (GDPR art. 30)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from .options import Lang, format_option
from .output import Output
from .state import get_state, today

app = typer.Typer()


class RegisterFormat(str, Enum):
    text = "text"
    json = "json"


@app.command("register")
def register(
    ctx: typer.Context,
    fmt: Annotated[RegisterFormat, format_option("text (default) or json.")] = RegisterFormat.text,
    lang: Annotated[Optional[Lang], typer.Option(
        "--lang", help="Language: nl or en (default: Dutch text; json keeps its English texts unless asked).",
        case_sensitive=False)] = None,
) -> None:
    """Print the record of processing activities (GDPR article 30) from the recipients
    register and the retention settings.

    The text is Dutch (--lang en for English); --format json keeps its English
    texts unless --lang nl is given.

    Example: vetcards register --format json
    """
    from .. import processing

    as_json = fmt is RegisterFormat.json
    language = lang.value if lang is not None else ("en" if as_json else "nl")
    with get_state(ctx).unit(write=False) as uow:
        reg = processing.build(uow, today=today(), lang=language)
    Output(as_json).result(reg, text=processing.render_text(reg, language))
