"""Client and pet numbers: ``K000001``, ``P000001``; never reused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

from .refs import parse as parse_ref

if TYPE_CHECKING:
    from .db import UnitOfWork

__all__ = ["PREFIX", "next_number", "parse_ref"]

PREFIX = {"client": "K", "pet": "P"}


def next_number(uow: UnitOfWork, kind: str) -> str:
    """Take the next number of ``kind`` in the caller's (write) transaction."""
    uow.execute(text("UPDATE counter SET value = value + 1 WHERE name = :n"), {"n": kind})
    value = uow.execute(text("SELECT value FROM counter WHERE name = :n"), {"n": kind}).scalar_one()
    return f"{PREFIX[kind]}{value:06d}"
