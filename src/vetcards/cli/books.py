"""``vetcards books export``: the books of a year for the bookkeeper or a tax inspection."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import output
from .options import format_option
from .state import get_state
from .words import count

app = typer.Typer(help="The books of a year: every invoice, credit note and payment, for the bookkeeper.",
                  no_args_is_help=True)


class BooksFormat(str, Enum):
    json = "json"
    csv = "csv"


@app.command("export")
def export(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", help="The year: invoices issued and payments made in it.",
                                      show_default=False)],
    fmt: Annotated[BooksFormat, format_option("json (default) or csv (; separated, decimal comma).")]
        = BooksFormat.json,
    out: Annotated[str, typer.Option("--out", "-o", help="File to write (mode 0600), or - for stdout.")] = "-",
) -> None:
    """Write every invoice, credit note and payment of a year, restricted ones included (audited).

    One row per invoice line with its VAT rate and amounts, the payments of the
    year, and totals per VAT rate that match the invoices.

    Example: vetcards books export --year 2026 --format csv --out boeken-2026.csv
    """
    from .. import books
    from ..access import check_out

    check_out(out)
    target = None if out == "-" else Path(out).expanduser()
    with get_state(ctx).unit() as uow:
        if target is None:
            sys.stdout.flush()
        summary = books.export_books(uow, year, fmt.value, target, sys.stdout.buffer if target is None else None)
    if target is not None:
        n = summary["invoices"]
        documents = f"{n} invoice or credit note" if n == 1 else f"{n} invoices and credit notes"
        output.message(f"books of {summary['year']} written to {target}: {documents} "
                       f"({summary['restricted']} restricted), {count(summary['payments'], 'payment')}")
