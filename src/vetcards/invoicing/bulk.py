"""Many rows of one table in one ``executemany``: the batch path of issuing.

The ORM unit of work, and even Core's per-row parameter handling, cost more
than the SQL when a batch writes 1,000 invoices (SPEC §6;
``benchmarks/bench_invoices.py``). :class:`BulkInsert` runs the compiled Core
``insert`` of a table with the driver's ``executemany`` instead.

The column order is the table's own (its definition in :mod:`vetcards.models`):
``BulkInsert.row`` is a named tuple of exactly those columns, so a row is built
by column name, and a column added to the table without a value here fails at
once (a missing argument), not as a silently shifted value.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Dialect


class BulkInsert:
    """A Core ``insert`` of a table's columns, run as one executemany of tuples.

    ``exclude`` names columns the database fills in (an autoincrement ``id``).
    The statement is ``insert(table)`` compiled by SQLAlchemy once per
    dialect; each value goes through its column type's own bind processor
    (dates, booleans, aware datetimes), exactly as ``conn.execute(insert(...),
    [dict, ...])`` would do, and the rows go to the driver's ``executemany``
    on the same connection and transaction with ``exec_driver_sql``. What this
    skips is Core's per-row parameter bookkeeping (building a parameter dict
    and looking up processors for every row): for 1,000 invoices that was
    ~14 ms, as much as writing the rows.
    """

    def __init__(self, table: Table, exclude: Sequence[str] = ()) -> None:
        self.table = table
        self.columns: tuple[str, ...] = tuple(c.name for c in table.columns if c.name not in exclude)
        #: The row type: a tuple in the table's column order, built by name.
        self.row: Callable[..., tuple[Any, ...]] = namedtuple(  # type: ignore[misc]
            f"{table.name.title().replace('_', '')}Row", self.columns)
        # Per dialect (one per engine), forgotten with it.
        self._compiled: weakref.WeakKeyDictionary[Dialect, tuple[str, tuple[tuple[int, Any], ...]]] = (
            weakref.WeakKeyDictionary())

    def _for(self, dialect: Dialect) -> tuple[str, tuple[tuple[int, Any], ...]]:
        got = self._compiled.get(dialect)
        if got is None:
            from sqlalchemy import insert

            compiled = insert(self.table).compile(dialect=dialect, column_keys=list(self.columns))
            if list(compiled.positiontup or ()) != list(self.columns):  # pragma: no cover - not SQLite
                raise RuntimeError(f"{self.table.name}: insert parameters not in column order")
            processors = tuple(
                (i, proc) for i, name in enumerate(self.columns)
                if (proc := self.table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            )
            got = self._compiled[dialect] = (compiled.string, processors)
        return got

    def execute(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (made with :attr:`row`) on ``conn``, in its transaction."""
        if not rows:
            return
        sql, processors = self._for(conn.dialect)
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
