#!/usr/bin/env python3
"""The purge as hand-written SQL: the baseline `vetcards purge` is timed against.

Deletes the same rows as the retention purge (SPEC §4), in one transaction,
straight through the sqlcipher3 driver with the same per-connection pragmas
as vetcards (foreign keys, secure_delete, in-memory temp store, WAL):

* purgeable: the inactivity period counted forward from the last activity
  (SPEC §3) ended before ``as_of`` (last activity 2017-02-28: purgeable on
  2024-02-29), no manual legal hold, not restricted, no invoice open or in
  collection;
* their invoices whose fiscal term has ended go with their lines and
  payments: the term runs 7 years from the end of the latest year of the
  invoice, its payments and its credit notes (and theirs), i.e. it has ended
  when no issue or payment date of the group is on or after 1 January of
  ``as_of.year - fiscal years``; an invoice and its credit notes go only
  together. Those still under the hold stay, detached from the client
  (``client_id``/``pet_id`` NULL) and ``restricted``; earlier kept invoices
  whose term has ended go;
* everything else of theirs goes: medicine records, weights, visits,
  vaccinations, pets, consents, disclosures, the client card.

Usage: python benchmarks/handpurge.py DB KEYFILE AS_OF [--cache-mib N]
Prints one JSON line with the counts. Not part of vetcards: a benchmark tool.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

ACTIVITY = """
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


def cutoff(as_of: date, years: int) -> date:
    """The earliest last-activity date whose period (counted forward) has not ended before ``as_of``."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February: 28 February + years ended the day before
        return as_of.replace(year=as_of.year - years, month=3, day=1)


# The group of invoice i (itself and the credit notes of the same original) has
# an issue or payment date on or after :cut: its fiscal term still runs.
GROUP_HELD = """EXISTS (SELECT 1 FROM invoice g
    WHERE (g.id = coalesce(i.credits_invoice_id, i.id) OR g.credits_invoice_id = coalesce(i.credits_invoice_id, i.id))
      AND (g.invoice_date >= :cut OR EXISTS (SELECT 1 FROM payment p WHERE p.invoice_id = g.id AND p.paid_on >= :cut)))"""


def purge(db: str, key_hex: str, as_of: date, cache_mib: int = 0) -> dict:
    import sqlcipher3

    conn = sqlcipher3.connect(db, isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key_hex}'\"")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    for pragma in ("foreign_keys = ON", "secure_delete = ON", "temp_store = MEMORY",
                   "busy_timeout = 60000", "journal_mode = WAL", "synchronous = NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    if cache_mib:
        conn.execute(f"PRAGMA cache_size = -{cache_mib * 1024}")
    settings = dict(conn.execute("SELECT key, value FROM practice_setting"))
    inactivity = int(settings.get("inactivity_years", 7))
    fiscal = int(settings.get("fiscal_years", 7))
    inactive_before = cutoff(as_of, inactivity).isoformat()
    fiscal_cut = date(as_of.year - fiscal, 1, 1).isoformat()  # a group with no date since is out of the hold
    counts: dict = {}
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TEMP TABLE purge_client (id INTEGER PRIMARY KEY)")
        conn.execute(f"""
            INSERT INTO purge_client
            SELECT c.id FROM client c
              JOIN (SELECT client_id, max(d) AS last FROM ({ACTIVITY}) GROUP BY client_id) a
                ON a.client_id = c.id
             WHERE a.last < :cutoff AND c.legal_hold_reason IS NULL AND c.restricted = 0
               AND NOT EXISTS (SELECT 1 FROM invoice i WHERE i.client_id = c.id
                                  AND i.status IN ('open', 'in_collection'))""", {"cutoff": inactive_before})
        conn.execute("CREATE TEMP TABLE purge_pet (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO purge_pet SELECT id FROM pet WHERE client_id IN (SELECT id FROM purge_client)")
        counts["purged_clients"] = conn.execute("SELECT count(*) FROM purge_client").fetchone()[0]
        # Invoices past the fiscal term go (lines first, then payments, then the invoice),
        # a group (invoice and credit notes) only whole.
        conn.execute("CREATE TEMP TABLE gone_invoice (id INTEGER PRIMARY KEY)")
        conn.execute(f"""
            INSERT INTO gone_invoice
            SELECT id FROM invoice i WHERE client_id IN (SELECT id FROM purge_client) AND NOT {GROUP_HELD}
            UNION SELECT id FROM invoice i WHERE restricted = 1 AND client_id IS NULL AND NOT {GROUP_HELD}""",
                     {"cut": fiscal_cut})
        conn.execute("""
            DELETE FROM gone_invoice WHERE id IN (
              SELECT i.id FROM invoice i JOIN gone_invoice s ON s.id = i.id
               WHERE EXISTS (SELECT 1 FROM invoice g
                              WHERE (g.id = coalesce(i.credits_invoice_id, i.id)
                                     OR g.credits_invoice_id = coalesce(i.credits_invoice_id, i.id))
                                AND g.id NOT IN (SELECT id FROM gone_invoice)))""")
        conn.execute("DELETE FROM invoice_line WHERE invoice_id IN (SELECT id FROM gone_invoice)")
        conn.execute("DELETE FROM payment WHERE invoice_id IN (SELECT id FROM gone_invoice)")
        conn.execute("DELETE FROM invoice WHERE id IN (SELECT id FROM gone_invoice)")
        counts["deleted_invoices"] = conn.execute("SELECT changes()").fetchone()[0]
        # Invoices still under the hold stay, restricted and detached.
        cur = conn.execute("""
            UPDATE invoice SET client_id = NULL, pet_id = NULL, restricted = 1
             WHERE client_id IN (SELECT id FROM purge_client)""")
        counts["kept_for_fiscal_hold"] = cur.rowcount
        conn.execute("""DELETE FROM medicine_record WHERE client_id IN (SELECT id FROM purge_client)
                        OR pet_id IN (SELECT id FROM purge_pet)""")
        for table in ("weight", "visit", "vaccination"):
            conn.execute(f"DELETE FROM {table} WHERE pet_id IN (SELECT id FROM purge_pet)")
        conn.execute("DELETE FROM disclosure WHERE client_id IN (SELECT id FROM purge_client)")
        conn.execute("DELETE FROM consent WHERE client_id IN (SELECT id FROM purge_client)")
        conn.execute("DELETE FROM pet WHERE id IN (SELECT id FROM purge_pet)")
        conn.execute("DELETE FROM client WHERE id IN (SELECT id FROM purge_client)")
        conn.execute("DROP TABLE purge_client")
        conn.execute("DROP TABLE purge_pet")
        conn.execute("DROP TABLE gone_invoice")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return counts


def main() -> int:
    p = argparse.ArgumentParser(description="Hand-written SQL purge (benchmark baseline).")
    p.add_argument("db")
    p.add_argument("key_file")
    p.add_argument("as_of")
    p.add_argument("--cache-mib", type=int, default=0)
    args = p.parse_args()
    with open(args.key_file, encoding="ascii") as fh:
        key_hex = fh.read().strip()
    t0 = time.perf_counter()
    counts = purge(args.db, key_hex, date.fromisoformat(args.as_of), args.cache_mib)
    counts["seconds"] = round(time.perf_counter() - t0, 3)
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
