#!/usr/bin/env python3
"""Create N invoices in one process: through the library, or as plain DB-API inserts.

Issue 3: "creating 1,000 invoices in one process through the library stays
within 5x of the DB-API insert of the same rows". Both modes write, per
invoice and in its own write transaction (as the ``invoice create`` use case
does): the invoice row with the next number of the year, three lines, a
payment (paid by pin) and an audit entry. Only the loop is timed (the
database is opened before), so imports do not count.

    python benchmarks/invoices.py DB KEYFILE CLIENT AS_OF --mode library|dbapi [--count 1000]

Prints one JSON line: mode, count, seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

LINES = ("Consult;1;42,50", "Vaccinatie;1;39,50", "Dieetvoer 2 kg;2;27,95;9")
#: The same lines as rows: description, quantity, unit price, VAT rate, net
ROWS = (("Consult", "1", 4250, 21, 4250), ("Vaccinatie", "1", 3950, 21, 3950),
        ("Dieetvoer 2 kg", "2", 2795, 9, 5590))


def library(db_path: Path, key_file: Path, client: str, as_of: date, count: int) -> float:
    from vetcards import invoicing
    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    db = open_database(db_path, read_key_file(key_file), write=True)
    try:
        t0 = time.perf_counter()
        for _ in range(count):
            with db.unit("benchmark") as uow:
                invoicing.create_invoice(uow, client, LINES, "pin", on=as_of, today=as_of)
        return time.perf_counter() - t0
    finally:
        db.close()


def dbapi(db_path: Path, key_file: Path, client: str, as_of: date, count: int) -> float:
    import sqlcipher3

    conn = sqlcipher3.connect(str(db_path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key_file.read_text().strip()}'\"")
    for pragma in ("foreign_keys = ON", "secure_delete = ON", "temp_store = MEMORY",
                   "busy_timeout = 60000", "journal_mode = WAL", "synchronous = NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    try:
        day = as_of.isoformat()
        year = as_of.year
        net = sum(r[4] for r in ROWS)
        vat = sum((sum(r[4] for r in ROWS if r[3] == rate) * rate + 50) // 100 for rate in (21, 9))
        t0 = time.perf_counter()
        for _ in range(count):
            now = datetime.now(UTC)
            stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores a DateTime
            conn.execute("BEGIN IMMEDIATE")
            cid, name, street, postcode, city = conn.execute(
                "SELECT id, name, street, postcode, city FROM client WHERE number = ?", (client,)).fetchone()
            settings = dict(conn.execute("SELECT key, value FROM practice_setting"))
            seq = (conn.execute("SELECT max(seq) FROM invoice WHERE year = ?", (year,)).fetchone()[0] or 0) + 1
            number = f"{year}-{seq:05d}"
            cur = conn.execute(
                "INSERT INTO invoice (number, year, seq, kind, client_id, invoice_date, payment_method, status, "
                "customer_name, customer_street, customer_postcode, customer_city, supplier_name, "
                "supplier_address, supplier_vat_number, supplier_kvk, supplier_iban, net_cents, vat_cents, "
                "gross_cents, restricted, created_at) VALUES (?,?,?,'invoice',?,?,'pin','paid',?,?,?,?,?,?,?,?,?,?,?,?,0,?)",
                (number, year, seq, cid, day, name, street, postcode, city, settings.get("name", ""),
                 f"{settings.get('street', '')}, {settings.get('postcode', '')} {settings.get('city', '')}",
                 settings.get("vat_number", ""), settings.get("kvk", ""),
                 settings.get("iban", ""), net, vat, net + vat, stamp))
            inv = cur.lastrowid
            conn.executemany(
                "INSERT INTO invoice_line (invoice_id, position, description, quantity, unit_price_cents, "
                "vat_rate, net_cents) VALUES (?,?,?,?,?,?,?)",
                [(inv, pos, *row) for pos, row in enumerate(ROWS, start=1)])
            conn.execute("INSERT INTO payment (invoice_id, paid_on, amount_cents, method, created_at) "
                         "VALUES (?,?,?,'pin',?)", (inv, day, net + vat, stamp))
            prev = conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
            prev_hash = prev[0] if prev else "0" * 64
            ts = now.isoformat(timespec="microseconds")
            details = json.dumps({"gross_cents": net + vat, "lines": 3}, sort_keys=True)
            digest = hashlib.sha256(json.dumps([prev_hash, ts, number, details]).encode()).hexdigest()
            conn.execute("INSERT INTO audit_log (ts, actor, action, entity, entity_ids, details, prev_hash, hash) "
                         "VALUES (?, 'benchmark', 'invoice.create', 'invoice', ?, ?, ?, ?)",
                         (ts, json.dumps([number, client]), details, prev_hash, digest))
            conn.execute("COMMIT")
        return time.perf_counter() - t0
    finally:
        conn.close()


def main() -> int:
    p = argparse.ArgumentParser(description="Create N invoices (benchmark).")
    p.add_argument("db", type=Path)
    p.add_argument("key_file", type=Path)
    p.add_argument("client")
    p.add_argument("as_of")
    p.add_argument("--mode", choices=("library", "dbapi"), required=True)
    p.add_argument("--count", type=int, default=1000)
    args = p.parse_args()
    as_of = date.fromisoformat(args.as_of)
    fn = library if args.mode == "library" else dbapi
    seconds = fn(args.db, args.key_file, args.client, as_of, args.count)
    print(json.dumps({"mode": args.mode, "count": args.count, "seconds": round(seconds, 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
