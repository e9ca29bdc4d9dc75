"""Benchmark: 1,000 invoices through the library vs. a DB-API executemany.

Issue 3 asks that creating 1,000 invoices in one process through the library
(``invoicing.create_invoice``: validation, numbering, snapshot, lines, payment,
audit entry, one transaction per invoice) stays within 5x of the DB-API
insert of the same rows.

How it measures, on fresh encrypted databases made here with random raw keys
(no PBKDF2, so opening costs nothing worth measuring):

* ``library``: one process, one engine, ``create_invoice`` 1,000 times, each
  a committed write transaction (BEGIN IMMEDIATE ... COMMIT), exactly as the
  CLI does per invoice.
* ``executemany``: the rows the library wrote (invoice, invoice_line,
  payment, audit_log) are read back and inserted into a second fresh database
  with the bare ``sqlcipher3`` DB-API, one ``executemany`` per table in one
  transaction: the floor for writing those bytes into SQLCipher.
* ``executemany_per_invoice``: the same rows, but one transaction per invoice
  (the durability unit the library must keep), for context.

Usage::

    python benchmarks/bench_invoices.py [--n 1000] [--repeat 3]

Prints a short table with the median of the repeats and the ratio; exits 1
when the library is more than 5x the executemany insert.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

TABLES = ("invoice", "invoice_line", "payment", "audit_log")
LINES = ["Consult;1;45,00", "Vaccinatie cocktail;1;32,50;9", "Ontwormingstablet;2,5;3,35;21"]
TARGET_RATIO = 5.0


def _fresh(dir_: Path, name: str):
    from vetcards import settings
    from vetcards.db import create_database
    from vetcards.keys import Key

    key = Key(secret=secrets.token_hex(32), raw=True, source="benchmark")
    db = create_database(dir_ / f"{name}.db", key)
    with db.connect() as conn:
        conn.info["actor"] = "bench"
        settings.put(conn, settings.validate({
            "name": "Dierenkliniek De Linde", "street": "Lindelaan 3", "postcode": "3511 AA",
            "city": "Utrecht", "vat_number": "NL000099998B57", "kvk": "12345678",
            "iban": "NL91 ABNA 0417 1643 00",
        }))
    return db, key


def _add_client(db) -> str:
    from vetcards import clients

    with db.session() as session:
        session.info["actor"] = "bench"
        client = clients.add_client(
            session,
            {"name": "Anna de Vries", "street": "Dorpsstraat 12", "postcode": "1234 AB",
             "city": "Utrecht", "birth_date": "1980-01-01"},
            today=date(2026, 11, 27), consent=True,
        )
        return client.number


def run_library(dir_: Path, n: int, tag: str):
    from vetcards import invoicing

    db, key = _fresh(dir_, f"lib{tag}")
    client = _add_client(db)
    today = date(2026, 11, 27)
    with db.session() as session:
        session.info["actor"] = "bench"
        t0 = time.perf_counter()
        for i in range(n):
            invoicing.create_invoice(session, client, LINES, "pin" if i % 2 else "account",
                                     on=today, today=today)
        elapsed = time.perf_counter() - t0
    # The rows written, to insert again with the DB-API.
    rows = {}
    with db.connect() as conn:
        from sqlalchemy import text

        for table in TABLES:
            where = " WHERE action LIKE 'invoice.%'" if table == "audit_log" else ""
            result = conn.execute(text(f"SELECT * FROM {table}{where} ORDER BY id"))
            rows[table] = (list(result.keys()), [tuple(r) for r in result])
    count = rows["invoice"][1]
    db.close()
    assert len(count) == n, "library wrote a different number of invoices"
    return elapsed, rows


def _dbapi_conn(path: Path, key):
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"{key.pragma_value()}\"")
    for pragma in ("foreign_keys = ON", "secure_delete = ON", "temp_store = MEMORY",
                   "journal_mode = WAL", "synchronous = NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _insert_sql(table: str, columns: list[str]) -> str:
    cols = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({cols}) VALUES ({marks})"


def _prepare(dir_: Path, tag: str, rows):
    """A fresh db with the same client, and the rows with dates as ISO text."""
    db, key = _fresh(dir_, f"dbapi{tag}")
    _add_client(db)
    db.close()
    # The audit log of the fresh db already has entries; keep ids apart.
    prepared = {}
    for table, (columns, data) in rows.items():
        if table == "audit_log":
            columns = [c for c in columns if c != "id"]
            idx = rows[table][0].index("id")
            data = [tuple(v for j, v in enumerate(r) if j != idx) for r in data]
        prepared[table] = (columns, [tuple(_plain(v) for v in r) for r in data])
    return db.path, key, prepared


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    return value


def run_executemany(dir_: Path, rows, tag: str) -> float:
    path, key, prepared = _prepare(dir_, tag, rows)
    conn = _dbapi_conn(path, key)
    try:
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            columns, data = prepared[table]
            conn.executemany(_insert_sql(table, columns), data)
        conn.execute("COMMIT")
        return time.perf_counter() - t0
    finally:
        conn.close()


def run_executemany_per_invoice(dir_: Path, rows, tag: str) -> float:
    path, key, prepared = _prepare(dir_, tag, rows)
    inv_cols, invoices = prepared["invoice"]
    by_invoice: dict[int, dict[str, list]] = {}
    id_idx = inv_cols.index("id")
    for table, fk in (("invoice_line", "invoice_id"), ("payment", "invoice_id")):
        columns, data = prepared[table]
        j = columns.index(fk)
        for r in data:
            by_invoice.setdefault(r[j], {}).setdefault(table, []).append(r)
    audit_cols, audits = prepared["audit_log"]
    conn = _dbapi_conn(path, key)
    try:
        sql = {t: _insert_sql(t, prepared[t][0]) for t in TABLES}
        t0 = time.perf_counter()
        for k, inv in enumerate(invoices):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql["invoice"], [inv])
            extra = by_invoice.get(inv[id_idx], {})
            conn.executemany(sql["invoice_line"], extra.get("invoice_line", []))
            conn.executemany(sql["payment"], extra.get("payment", []))
            conn.executemany(sql["audit_log"], [audits[k]])
            conn.execute("COMMIT")
        return time.perf_counter() - t0
    finally:
        conn.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="invoices per run (1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the median is reported (3)")
    args = parser.parse_args(argv)

    lib_times, many_times, per_times = [], [], []
    with tempfile.TemporaryDirectory(prefix="vetcards-bench-") as tmp:
        dir_ = Path(tmp)
        for r in range(args.repeat):
            elapsed, rows = run_library(dir_, args.n, str(r))
            lib_times.append(elapsed)
            many_times.append(run_executemany(dir_, rows, f"{r}a"))
            per_times.append(run_executemany_per_invoice(dir_, rows, f"{r}b"))

    lib = statistics.median(lib_times)
    many = statistics.median(many_times)
    per = statistics.median(per_times)
    n = args.n
    print(f"{n} invoices ({len(LINES)} lines each, half paid by pin), median of {args.repeat} runs")
    print(f"{'method':<34}{'seconds':>10}{'ms/invoice':>12}{'ratio':>8}")
    for name, t in (("library create_invoice", lib), ("DB-API executemany, 1 transaction", many),
                    ("DB-API executemany, 1 tx/invoice", per)):
        print(f"{name:<34}{t:>10.3f}{t / n * 1000:>12.3f}{lib / t:>8.1f}x")
    ratio = lib / many
    verdict = "OK" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"library / executemany = {ratio:.1f}x (target <= {TARGET_RATIO:.0f}x): {verdict}")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
