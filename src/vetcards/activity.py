"""Last activity of a client (SPEC §3), as set-based SQL.

Last activity = the latest of: card created or edited, a pet added or edited,
a weighing, a visit, a vaccination, a medicine record, an invoice, a payment,
a disclosure made at the client's request. Viewing, exporting and purging are
not activity. The sources are the ``activity`` dates of the data map
(:mod:`vetcards.datamap`); the pure rule (:func:`vetcards.rules.last_activity`)
takes the same dates; this query gives them for every client in one pass.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Optional

from sqlalchemy import text

from .datamap import MAP, Table, entry

if TYPE_CHECKING:
    from .db import UnitOfWork

__all__ = ["LAST_ACTIVITY_SQL", "SOURCES", "last_activity"]


def _source(table: Table) -> tuple[str, str]:
    """(client id expression, ``FROM ... WHERE ...``) of a table's rows that are linked to a client."""
    link = table.link
    if link is None:  # the client card itself
        cid, src, conditions = "id", "client", []
    elif link.parent == "client":
        cid, src, conditions = f"{link.column}", table.name, [f"{link.column} IS NOT NULL"]
    else:  # through the parent's own link to the client
        up = entry(link.parent).link
        assert up is not None and up.parent == "client", f"{table.name}: no way to the client"
        cid = f"o.{up.column}"
        src = f"{table.name} JOIN {link.parent} o ON o.{link.key} = {table.name}.{link.column}"
        conditions = [f"o.{up.column} IS NOT NULL"]
    if table.activity_where:
        conditions.append(table.activity_where)
    return cid, f"{src} WHERE {' AND '.join(conditions)}" if conditions else src


#: Every source of activity: (client id, activity date, FROM ... [WHERE ...]).
#: Dates are ISO strings in SQLite, so max() is the latest date.
SOURCES: tuple[tuple[str, str, str], ...] = tuple(
    (cid, d, src) for t in MAP if t.activity for cid, src in [_source(t)] for d in t.activity
)


def _where(source: str, condition: str) -> str:
    return f"{source} {'AND' if ' WHERE ' in f' {source} ' else 'WHERE'} {condition}"


#: (client_id, last_activity) for every client with any activity. Each source
#: is reduced to one row per client before the union (about a quarter faster
#: on the 20,000-client benchmark than one GROUP BY over every date).
LAST_ACTIVITY_SQL = (
    "SELECT client_id, max(d) AS last_activity FROM ("
    + " UNION ALL ".join(f"SELECT {cid} AS client_id, max({d}) AS d FROM {src} GROUP BY {cid}"
                         for cid, d, src in SOURCES)
    + ") GROUP BY client_id"
)

# The same for one client: each source filtered by the client (uses the indexes).
_ONE_CLIENT_SQL = (
    "SELECT max(d) FROM ("
    + " UNION ALL ".join(f"SELECT {d} AS d FROM {_where(src, f'{cid} = :cid')}" for cid, d, src in SOURCES)
    + ")"
)


def last_activity(uow: UnitOfWork, client_id: int) -> Optional[date]:
    value = uow.execute(text(_ONE_CLIENT_SQL), {"cid": client_id}).scalar()
    return date.fromisoformat(value) if value else None
