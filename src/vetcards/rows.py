"""Rows written with SQLAlchemy Core over a light table made from the row's own keys (no ORM).

Importing the ORM models (:mod:`vetcards.models`: SQLModel, pydantic and
SQLAlchemy's ORM) costs about a quarter of a second, more than a write that
adds one client or one invoice does with the database. Such a write builds
its statement from the values it has, as the reads of :mod:`vetcards.refs`
and :mod:`vetcards.daybook` do: ``table(name, column(key), ...)``, never a
second copy of the models' column lists.

How a value is stored depends on its column's type only for dates, moments
and booleans: ``Date`` stores ``YYYY-MM-DD``, a moment ``YYYY-MM-DD
HH:MM:SS.ffffff`` in UTC (:class:`Moment`, what the models' ``datetime``
columns, SQLModel's ``UTCDateTime``, do: an aware value turned to UTC, a naive
one refused; read back aware UTC) and ``Boolean`` 0/1. So a column is typed
from its Python value (:func:`type_of`); every other value goes to the
driver as it is, as through the models' ``String`` and ``Integer`` columns.
``tests/library/test_rows.py`` checks that a row written here is
byte-for-byte the row the ORM writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import Boolean, Date, DateTime, TypeDecorator, column, insert, table

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Dialect, Row
    from sqlalchemy.sql.expression import TableClause
    from sqlalchemy.types import TypeEngine

    from .db import UnitOfWork

__all__ = ["Moment", "insert_row", "light_table", "type_of"]


class Moment(TypeDecorator[datetime]):
    """An aware moment, stored as its UTC wall time; read back aware UTC (the models' ``datetime`` columns)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("a moment must be aware (vetcards.defaults.utcnow)")
        return value.astimezone(UTC)

    def process_result_value(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        return None if value is None else value.replace(tzinfo=UTC)


def type_of(value: Any) -> Optional[type[TypeEngine[Any]]]:
    """The column type a value is stored by: Moment, Date or Boolean; None for the rest (and NULL)."""
    if isinstance(value, datetime):  # before date: a datetime is a date
        return Moment
    if isinstance(value, date):
        return Date
    if isinstance(value, bool):
        return Boolean
    return None


def light_table(name: str, types: Iterable[tuple[str, Optional[type[TypeEngine[Any]]]]]) -> TableClause:
    """``table(name, column(key, type), ...)`` for (key, type) pairs (type None: untyped)."""
    return table(name, *(column(key, kind) if kind is not None else column(key) for key, kind in types))


def insert_row(uow: UnitOfWork, name: str, values: Mapping[str, Any]) -> Row[Any]:
    """Insert one row of ``name`` in the unit's transaction; returns it (``id`` and ``values``).

    The row read back (``RETURNING``) has attribute access by column name,
    dates as ``date``, moments as aware UTC ``datetime``, like the model it replaces.
    """
    given = [(key, type_of(value)) for key, value in values.items()]
    t = light_table(name, given if "id" in values else [("id", None), *given])
    stmt = insert(t).values(dict(values)).returning(*t.c)
    row: Row[Any] = uow.execute(stmt).one()
    return row
