"""Many rows of one table in one ``executemany``: the batch path of issuing.

The ORM unit of work, and even Core's per-row parameter handling, cost more
than the SQL when a batch writes 1,000 invoices (SPEC §6;
``benchmarks/bench_invoices.py``). :class:`BulkInsert` runs the compiled Core
``insert`` of a table with the driver's ``executemany`` instead.

A row is built by column name (:meth:`BulkInsert.row`), a named tuple of the
names given; the statement is made from those names over a light
``table()`` (:mod:`vetcards.rows`: no ORM models, no second copy of their
column lists), its dates, moments and booleans typed from their values so
they are stored exactly as the models store them. That every column of the
model is given a value is checked by ``tests/library/test_invoicing.py``.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Optional

from ..rows import light_table, type_of

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.types import TypeEngine

#: The columns of a batch and their types (:func:`vetcards.rows.type_of`).
_Shape = tuple[tuple[str, ...], tuple[Optional[type["TypeEngine[Any]"]], ...]]


class BulkInsert:
    """A Core ``insert`` into one table, run as one executemany of tuples.

    The statement is ``insert(table)`` of the columns the rows name,
    compiled by SQLAlchemy once per dialect (one per engine) and shape of the
    rows; each value goes through its column type's own bind processor
    (dates, booleans, aware datetimes), exactly as ``conn.execute(insert(...),
    [dict, ...])`` would do, and the rows go to the driver's ``executemany``
    on the same connection and transaction with ``exec_driver_sql``. What this
    skips is Core's per-row parameter bookkeeping (building a parameter dict
    and looking up processors for every row): for 1,000 invoices that was
    ~14 ms, as much as writing the rows.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._row_types: dict[tuple[str, ...], Callable[..., tuple[Any, ...]]] = {}
        # Per dialect (one per engine), forgotten with it; then per shape of the rows.
        self._compiled: weakref.WeakKeyDictionary[
            Dialect, dict[_Shape, tuple[str, tuple[tuple[int, Any], ...]]]] = weakref.WeakKeyDictionary()

    def row(self, **values: Any) -> tuple[Any, ...]:
        """One row: a named tuple of ``values`` (column name -> value), in the order given."""
        names = tuple(values)
        make = self._row_types.get(names)
        if make is None:
            make = self._row_types[names] = namedtuple(  # type: ignore[misc]
                f"{self.name.title().replace('_', '')}Row", names)
        return make(*values.values())

    def _for(self, dialect: Dialect, shape: _Shape) -> tuple[str, tuple[tuple[int, Any], ...]]:
        by_shape = self._compiled.get(dialect)
        if by_shape is None:
            by_shape = self._compiled[dialect] = {}
        got = by_shape.get(shape)
        if got is None:
            from sqlalchemy import insert

            names, types = shape
            t = light_table(self.name, zip(names, types))
            compiled = insert(t).compile(dialect=dialect, column_keys=list(names))
            if list(compiled.positiontup or ()) != list(names):  # pragma: no cover - not SQLite
                raise RuntimeError(f"{self.name}: insert parameters not in column order")
            processors = tuple(
                (i, proc) for i, name in enumerate(names)
                if (proc := t.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            )
            got = by_shape[shape] = (compiled.string, processors)
        return got

    def execute(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (made with :meth:`row`, all with the same columns) on ``conn``, in its transaction."""
        if not rows:
            return
        kind = type(rows[0])
        if any(type(row) is not kind for row in rows):
            raise ValueError(f"{self.name}: the rows of one batch must name the same columns")
        names: tuple[str, ...] = rows[0]._fields  # type: ignore[attr-defined]
        # A column's type from its first value that is not NULL (a NULL is stored as NULL by any type).
        types = tuple(type_of(next((row[i] for row in rows if row[i] is not None), None))
                      for i in range(len(names)))
        sql, processors = self._for(conn.dialect, (names, types))
        if processors:
            # A processor is a pure function of its value, and a batch repeats
            # values (its date, its timestamp): each distinct one once.
            memo: dict[tuple[int, Any], Any] = {}
            processed = []
            for row in rows:
                values = list(row)
                for i, proc in processors:
                    value = values[i]
                    if value is not None:
                        key = (i, value)
                        out = memo.get(key, memo)
                        if out is memo:
                            out = memo[key] = proc(value)
                        values[i] = out
                processed.append(tuple(values))
            rows = processed
        conn.exec_driver_sql(sql, list(rows))
