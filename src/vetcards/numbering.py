"""Client and pet numbers: ``K000001``, ``P000001``; never reused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from .errors import NotFound, shown_ref

PREFIX = {"client": "K", "pet": "P"}

#: The largest SQLite row id (a signed 64-bit integer).
_MAX_ROWID = 2**63 - 1


def next_number(conn: Any, kind: str) -> str:
    """Take the next number of ``kind`` in the caller's (write) transaction."""
    conn.execute(text("UPDATE counter SET value = value + 1 WHERE name = :n"), {"n": kind})
    value = conn.execute(text("SELECT value FROM counter WHERE name = :n"), {"n": kind}).scalar_one()
    return f"{PREFIX[kind]}{value:06d}"


def parse_ref(ref: str, kind: str) -> tuple[str, Any]:
    """``"12"`` -> ("id", 12); ``"k000012"`` -> ("number", "K000012")."""
    ref = ref.strip()
    if ref.isdigit() and ref.isascii():
        value = int(ref)
        if value > _MAX_ROWID:  # SQLite cannot even bind it: no such row
            raise NotFound(f"{kind} {shown_ref(ref)} not found")
        return "id", value
    return "number", ref.upper()
