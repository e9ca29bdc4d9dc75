"""Benchmark: 1,000 invoices through the library vs. a DB-API executemany.

Issue 3 asks that creating 1,000 invoices in one process through the library
stays within 5x of the DB-API insert of the same rows.

How it measures, on fresh encrypted databases made here with random raw keys
(no PBKDF2, so opening costs nothing worth measuring); the requests are built
before the clock starts, and ``gc.collect()`` runs before every timed part so
each starts from the same garbage-collector state (the collector stays on):

* (a) ``batch``: ``invoicing.create_invoices`` once with 1,000 requests: all
  validated, then numbered and written in ONE write transaction (invoices,
  lines, payments: one executemany each of the compiled Core ``insert``; the
  audit entries chained in Python and inserted with one executemany).
* (b) ``single``: ``invoicing.create_invoice`` 1,000 times, each a committed
  write transaction (BEGIN IMMEDIATE ... COMMIT), exactly as the CLI does per
  invoice.
* (c) ``executemany``: the rows the batch wrote (invoice, invoice_line,
  payment, audit_log) are read back and inserted into a second fresh database
  with the bare ``sqlcipher3`` DB-API, one ``executemany`` per table in one
  transaction: the floor for writing those bytes into SQLCipher.
* (d) ``executemany_per_invoice``: the same rows, one transaction per invoice
  (the durability unit of single creates).

The issue's target is a/c <= 5. Usage::

    python benchmarks/bench_invoices.py [--n 1000] [--repeat 5] [--profile FILE]

Prints the median of the repeats (and the first batch run, which also pays
for first use in the process: statement compilation) and the ratios; exits 1 when a/c is over 5. ``--profile FILE`` also writes a
cProfile of one more batch run to FILE (read it with ``python -m pstats``).
"""

from __future__ import annotations

import argparse
import gc
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Optional

TABLES = ("invoice", "invoice_line", "payment", "audit_log")
LINES = ["Consult;1;45,00", "Vaccinatie cocktail;1;32,50;9", "Ontwormingstablet;2,5;3,35;21"]
TARGET_RATIO = 5.0


def _fresh(dir_: Path, name: str):
    from vetcards import settings
    from vetcards.db import create_database
    from vetcards.keys import Key

    key = Key(secret=secrets.token_hex(32), raw=True, source="benchmark")
    db = create_database(dir_ / f"{name}.db", key)
    with db.unit("bench") as uow:
        settings.put(uow, settings.validate({
            "name": "Dierenkliniek De Linde", "street": "Lindelaan 3", "postcode": "3511 AA",
            "city": "Utrecht", "vat_number": "NL000099998B57", "kvk": "12345678",
            "iban": "NL91 ABNA 0417 1643 00",
        }))
        uow.commit()
    return db, key


def _add_client(db) -> str:
    from vetcards import clients

    with db.unit() as uow:
        uow.info["actor"] = "bench"
        client = clients.add_client(
            uow,
            {"name": "Anna de Vries", "street": "Dorpsstraat 12", "postcode": "1234 AB",
             "city": "Utrecht", "birth_date": "1980-01-01"},
            today=date(2026, 11, 27), consent=True,
        )
        return client.number


def _requests(client: str, n: int, today: date):
    from vetcards import invoicing

    return [invoicing.InvoiceRequest(client, LINES, "pin" if i % 2 else "account", today)
            for i in range(n)]


def _written_rows(db):
    """The invoice rows written, to insert again with the DB-API."""
    from sqlalchemy import text

    rows = {}
    with db.unit() as uow:
        for table in TABLES:
            where = " WHERE action LIKE 'invoice.%'" if table == "audit_log" else ""
            result = uow.execute(text(f"SELECT * FROM {table}{where} ORDER BY id"))
            rows[table] = (list(result.keys()), [tuple(r) for r in result])
    return rows


def run_batch(dir_: Path, n: int, tag: str, profile: Optional[str] = None):
    """(a): one create_invoices call with n requests; returns (seconds, rows written)."""
    from vetcards import invoicing

    db, key = _fresh(dir_, f"batch{tag}")
    client = _add_client(db)
    today = date(2026, 11, 27)
    requests = _requests(client, n, today)
    with db.unit() as uow:
        uow.info["actor"] = "bench"
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
        gc.collect()
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        issued = invoicing.create_invoices(uow, requests, today=today)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - t0
    if profiler:
        profiler.dump_stats(profile)
    rows = _written_rows(db)
    db.close()
    assert len(issued) == n and len(rows["invoice"][1]) == n, "batch wrote a different number of invoices"
    return elapsed, rows


def run_single(dir_: Path, n: int, tag: str) -> float:
    """(b): n create_invoice calls, one transaction each; returns seconds."""
    from vetcards import invoicing

    db, key = _fresh(dir_, f"single{tag}")
    client = _add_client(db)
    today = date(2026, 11, 27)
    requests = _requests(client, n, today)
    with db.unit() as uow:
        uow.info["actor"] = "bench"
        gc.collect()
        t0 = time.perf_counter()
        for r in requests:
            invoicing.create_invoice(uow, r.client_ref, r.lines, r.payment, on=r.on, today=today)
        elapsed = time.perf_counter() - t0
    count = len(_written_rows(db)["invoice"][1])
    db.close()
    assert count == n, "single creates wrote a different number of invoices"
    return elapsed


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
        gc.collect()
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
        gc.collect()
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
    parser.add_argument("--repeat", type=int, default=5, help="runs; the median is reported (5)")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of one more batch run")
    args = parser.parse_args(argv)

    times: dict[str, list[float]] = {"a": [], "b": [], "c": [], "d": []}
    with tempfile.TemporaryDirectory(prefix="vetcards-bench-") as tmp:
        dir_ = Path(tmp)
        for r in range(args.repeat):
            elapsed, rows = run_batch(dir_, args.n, str(r))
            times["a"].append(elapsed)
            times["b"].append(run_single(dir_, args.n, str(r)))
            times["c"].append(run_executemany(dir_, rows, f"{r}c"))
            times["d"].append(run_executemany_per_invoice(dir_, rows, f"{r}d"))
        if args.profile:
            run_batch(dir_, args.n, "profile", profile=args.profile)

    med = {k: statistics.median(v) for k, v in times.items()}
    n = args.n
    names = {
        "a": "(a) library create_invoices, 1 call",
        "b": "(b) library create_invoice x n",
        "c": "(c) DB-API executemany, 1 tx",
        "d": "(d) DB-API executemany, 1 tx/inv",
    }
    print(f"{n} invoices ({len(LINES)} lines each, half paid by pin), median of {args.repeat} runs")
    print(f"{'method':<38}{'seconds':>9}{'ms/invoice':>12}{'min':>8}{'max':>8}")
    for k, name in names.items():
        print(f"{name:<38}{med[k]:>9.3f}{med[k] / n * 1000:>12.4f}{min(times[k]):>8.3f}{max(times[k]):>8.3f}")
    print(f"(a) first run in this process: {times['a'][0]:.3f} s")
    ratio = med["a"] / med["c"]
    verdict = "OK" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"a/c (batch / executemany 1 tx)        = {ratio:.1f}x (issue 3 target <= {TARGET_RATIO:.0f}x): {verdict}")
    print(f"b/c (single creates / executemany 1 tx) = {med['b'] / med['c']:.1f}x")
    print(f"b/d (single creates / executemany 1 tx/inv) = {med['b'] / med['d']:.1f}x")
    print(f"a/d (batch / executemany 1 tx/inv)    = {med['a'] / med['d']:.2f}x")
    print(f"b/a (single creates / batch)          = {med['b'] / med['a']:.1f}x")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
