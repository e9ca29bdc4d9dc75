"""``vetcards purge``: the retention purge for cron."""

from __future__ import annotations

import typer

app = typer.Typer()
