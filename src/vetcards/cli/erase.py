"""``vetcards erase`` and ``vetcards request ...``: erasure and request deadlines."""

from __future__ import annotations

import typer

app = typer.Typer()
request_app = typer.Typer(help="Data-subject requests (GDPR art. 12(3)): add, list, extend.",
                          no_args_is_help=True)
