"""Last activity of a client (SPEC §3), as set-based SQL.

Last activity = the latest of: card created or edited, a pet added or edited,
a weighing, a visit, a vaccination, a medicine record, an invoice, a payment,
a disclosure made at the client's request. Viewing, exporting and purging are
not activity. The pure rule (:func:`vetcards.rules.last_activity`) takes the
same dates; this query gives them for every client in one pass.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Optional

from sqlalchemy import text

# Every source of activity, written once: (client id, activity date, FROM ...
# WHERE ...). Dates are ISO strings in SQLite, so max() is the latest date.
_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("id", "date(created_at)", "client"),
    ("id", "date(updated_at)", "client"),
    ("client_id", "date(created_at)", "pet"),
    ("client_id", "date(updated_at)", "pet"),
    ("p.client_id", "w.measured_on", "weight w JOIN pet p ON p.id = w.pet_id"),
    ("p.client_id", "v.visit_date", "visit v JOIN pet p ON p.id = v.pet_id"),
    ("p.client_id", "x.given_on", "vaccination x JOIN pet p ON p.id = x.pet_id"),
    ("client_id", "record_date", "medicine_record WHERE client_id IS NOT NULL"),
    ("client_id", "invoice_date", "invoice WHERE client_id IS NOT NULL"),
    ("i.client_id", "pay.paid_on",
     "payment pay JOIN invoice i ON i.id = pay.invoice_id WHERE i.client_id IS NOT NULL"),
    ("client_id", "disclosed_on", "disclosure WHERE at_client_request = 1"),
)


def _where(source: str, condition: str) -> str:
    return f"{source} {'AND' if ' WHERE ' in f' {source} ' else 'WHERE'} {condition}"


#: (client_id, last_activity) for every client with any activity. Each source
#: is reduced to one row per client before the union (about a quarter faster
#: on the 20,000-client benchmark than one GROUP BY over every date).
LAST_ACTIVITY_SQL = (
    "SELECT client_id, max(d) AS last_activity FROM ("
    + " UNION ALL ".join(f"SELECT {cid} AS client_id, max({d}) AS d FROM {src} GROUP BY {cid}"
                         for cid, d, src in _SOURCES)
    + ") GROUP BY client_id"
)

# The same for one client: each source filtered by the client (uses the indexes).
_ONE_CLIENT_SQL = (
    "SELECT max(d) FROM ("
    + " UNION ALL ".join(f"SELECT {d} AS d FROM {_where(src, f'{cid} = :cid')}" for cid, d, src in _SOURCES)
    + ")"
)


def last_activity(conn: Any, client_id: int) -> Optional[date]:
    value = conn.execute(text(_ONE_CLIENT_SQL), {"cid": client_id}).scalar()
    return date.fromisoformat(value) if value else None
