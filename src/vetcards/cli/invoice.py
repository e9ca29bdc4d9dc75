"""``vetcards invoice ...``: the financial history (issue: invoices)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Invoices: create, show, list, pay, collect, credit.", no_args_is_help=True)
