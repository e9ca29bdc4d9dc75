"""What a new row holds for a column its use case leaves out: one place, standard library only.

The ORM models (:mod:`vetcards.models`) and the writes that insert with
SQLAlchemy Core (:mod:`vetcards.rows`, so that adding one client or one
invoice does not import SQLModel and pydantic) take the same values from
here: the one clock read of a new row (:func:`utcnow`, aware UTC) and the
constants a column gets when no value is given. A column left out that is
not named here is NULL. ``tests/library/test_rows.py`` checks that the
models' defaults are these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Optional

from .vocab import DEFAULT_COUNTRY

__all__ = ["ROW_DEFAULTS", "STAMP", "new_row", "utcnow"]


def utcnow() -> datetime:
    """Aware UTC now; the only clock read of a new row."""
    return datetime.now(UTC)


#: Marks a column that gets the moment of the insert (:func:`utcnow`, once per row written).
STAMP = utcnow

#: Per table: the columns a new row gets without a value from its use case (NULL aside).
ROW_DEFAULTS: dict[str, dict[str, Any]] = {
    "client": {"country": DEFAULT_COUNTRY, "created_at": STAMP, "updated_at": STAMP, "restricted": False},
    "consent": {"created_at": STAMP},
}


def new_row(table: str, values: Mapping[str, Any], now: Optional[datetime] = None) -> dict[str, Any]:
    """``values`` with the defaults of ``table`` for the columns they leave out (stamps: ``now``)."""
    moment = utcnow() if now is None else now
    row = {name: moment if default is STAMP else default for name, default in ROW_DEFAULTS[table].items()}
    row.update(values)
    return row
