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

# One row per (client_id, activity date). Dates are ISO strings in SQLite, so
# max() over them is the latest date.
ACTIVITY_DATES_SQL = """
    SELECT id AS client_id, date(created_at) AS d FROM client
    UNION ALL SELECT id, date(updated_at) FROM client
    UNION ALL SELECT client_id, date(created_at) FROM pet
    UNION ALL SELECT client_id, date(updated_at) FROM pet
    UNION ALL SELECT p.client_id, w.measured_on FROM weight w JOIN pet p ON p.id = w.pet_id
    UNION ALL SELECT p.client_id, v.visit_date FROM visit v JOIN pet p ON p.id = v.pet_id
    UNION ALL SELECT p.client_id, x.given_on FROM vaccination x JOIN pet p ON p.id = x.pet_id
    UNION ALL SELECT client_id, record_date FROM medicine_record WHERE client_id IS NOT NULL
    UNION ALL SELECT client_id, invoice_date FROM invoice WHERE client_id IS NOT NULL
    UNION ALL SELECT i.client_id, pay.paid_on FROM payment pay JOIN invoice i ON i.id = pay.invoice_id
              WHERE i.client_id IS NOT NULL
    UNION ALL SELECT client_id, disclosed_on FROM disclosure WHERE at_client_request = 1
"""

LAST_ACTIVITY_SQL = f"SELECT client_id, max(d) AS last_activity FROM ({ACTIVITY_DATES_SQL}) GROUP BY client_id"

# The same for one client: filter each branch (uses the indexes) and take max.
_ONE_CLIENT_SQL = """
SELECT max(d) FROM (
    SELECT date(created_at) AS d FROM client WHERE id = :cid
    UNION ALL SELECT date(updated_at) FROM client WHERE id = :cid
    UNION ALL SELECT date(created_at) FROM pet WHERE client_id = :cid
    UNION ALL SELECT date(updated_at) FROM pet WHERE client_id = :cid
    UNION ALL SELECT w.measured_on FROM weight w JOIN pet p ON p.id = w.pet_id WHERE p.client_id = :cid
    UNION ALL SELECT v.visit_date FROM visit v JOIN pet p ON p.id = v.pet_id WHERE p.client_id = :cid
    UNION ALL SELECT x.given_on FROM vaccination x JOIN pet p ON p.id = x.pet_id WHERE p.client_id = :cid
    UNION ALL SELECT record_date FROM medicine_record WHERE client_id = :cid
    UNION ALL SELECT invoice_date FROM invoice WHERE client_id = :cid
    UNION ALL SELECT pay.paid_on FROM payment pay JOIN invoice i ON i.id = pay.invoice_id WHERE i.client_id = :cid
    UNION ALL SELECT disclosed_on FROM disclosure WHERE client_id = :cid AND at_client_request = 1
)
"""


def last_activity(conn: Any, client_id: int) -> Optional[date]:
    value = conn.execute(text(_ONE_CLIENT_SQL), {"cid": client_id}).scalar()
    return date.fromisoformat(value) if value else None
