"""``vetcards export`` / ``import`` / ``erase``: data-subject rights."""

from __future__ import annotations

import typer

app = typer.Typer()
