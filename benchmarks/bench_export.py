#!/usr/bin/env python3
"""Benchmark of ``vetcards export`` (issue 5) against its baselines, in one run.

1. ``vetcards export CLIENT --out -`` (one process) against a bare
   ``python -c "import sqlmodel"``;
2. ``vetcards export --all --out DIR`` (clients per second) against a
   hand-written DB-API select of the same rows, grouped per client and
   serialised with ``json.dumps`` (no files, no audit, no checks).

Wall time and CPU time (user + sys of the child) are both reported: on a
loaded machine the CPU time is the steadier figure. Runs alternate between the
contenders so that load affects both alike.

Usage::

    python benchmarks/bench_export.py DB --key-file KEY [--repeats 5] [--all-repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The same rows as vetcards.export reads, each with its client id first.
BASELINE_QUERIES = {
    "client": "SELECT id, number, name, street, postcode, city, country, phone, landline, email, birth_date, created_at, "
              "legal_hold_reason, restricted FROM client",
    "consents": "SELECT client_id, purpose, given_on, statement_version, method, withdrawn_on, controller FROM consent",
    "pets": "SELECT client_id, id, number, name, species, breed, sex, birth_date, chip, colour, coat, insured, "
            "deceased_on, created_at FROM pet",
    "weights": "SELECT p.client_id, w.pet_id, w.measured_on, w.grams FROM weight w JOIN pet p ON p.id = w.pet_id",
    "visits": "SELECT p.client_id, v.pet_id, v.visit_date, v.reason, v.findings, v.diagnosis, v.treatment, v.vet, "
              "v.voided_at, v.void_reason, v.corrects_id FROM visit v JOIN pet p ON p.id = v.pet_id",
    "vaccinations": "SELECT p.client_id, x.pet_id, x.given_on, x.vaccine, x.batch, x.next_due, "
                    "x.voided_at, x.void_reason, x.corrects_id FROM vaccination x JOIN pet p ON p.id = x.pet_id",
    "medicine_records": "SELECT client_id, pet_id, record_date, product, batch, quantity, expiry, vet, dispensed, "
                        "owner_name, owner_address, restricted, voided_at, void_reason, corrects_id "
                        "FROM medicine_record WHERE client_id IS NOT NULL",
    "invoices": "SELECT client_id, id, number, kind, credits_invoice_id, pet_id, invoice_date, supply_date, payment_method, "
                "status, reason, restricted, customer_name, customer_street, customer_postcode, customer_city, customer_country, "
                "customer_birth_date, supplier_name, supplier_address, supplier_vat_number, supplier_kvk, "
                "supplier_iban, net_cents, vat_cents, gross_cents FROM invoice WHERE client_id IS NOT NULL",
    "lines": "SELECT i.client_id, l.invoice_id, l.position, l.description, l.quantity, l.unit_price_cents, "
             "l.vat_rate, l.vat_category, l.net_cents FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id "
             "WHERE i.client_id IS NOT NULL",
    "payments": "SELECT i.client_id, y.invoice_id, y.paid_on, y.amount_cents, y.method, y.voided_at, "
                "y.void_reason FROM payment y "
                "JOIN invoice i ON i.id = y.invoice_id WHERE i.client_id IS NOT NULL",
    "disclosures": "SELECT d.client_id, r.name, r.kind, d.pet_id, d.disclosed_on, d.categories, d.basis, "
                   "d.consent_id, d.at_client_request FROM disclosure d JOIN recipient r ON r.id = d.recipient_id",
}

BASELINE = r'''
import json, sys, sqlcipher3
db, key, queries = sys.argv[1], open(sys.argv[2]).read().strip(), json.loads(sys.argv[3])
conn = sqlcipher3.connect(db)
conn.execute(f"PRAGMA key = \"x'{key}'\"")
per = {}
for name, sql in queries.items():
    cur = conn.execute(sql)
    cols = [d[0] for d in cur.description]
    for row in cur:
        rec = dict(zip(cols, row))
        if name == "client":
            per.setdefault(row[0], {})["client"] = rec
        else:
            per.setdefault(row[0], {}).setdefault(name, []).append(rec)
total = 0
for cid, doc in per.items():
    total += len(json.dumps(doc))
print(len(per), total)
'''

COUNT = r'''
import sys, sqlcipher3
conn = sqlcipher3.connect(sys.argv[1])
conn.execute(f"PRAGMA key = \"x'{open(sys.argv[2]).read().strip()}'\"")
print(conn.execute("SELECT count(*) FROM client").fetchone()[0])
'''


def run(cmd: list[str], env: dict[str, str], stdout=subprocess.DEVNULL) -> tuple[float, float]:
    """(wall seconds, child CPU seconds) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=stdout, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--key-file", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--all-repeats", type=int, default=2)
    ap.add_argument("--client", default="K000123")
    a = ap.parse_args(argv)
    py = sys.executable
    vetcards = [py, "-m", "vetcards"]
    env = {**os.environ, "VETCARDS_DB": str(a.db), "VETCARDS_KEY_FILE": str(a.key_file),
           "VETCARDS_ACTOR": "bench"}

    one, imp = [], []
    for _ in range(a.repeats):
        imp.append(run([py, "-c", "import sqlmodel"], env))
        one.append(run(vetcards + ["export", a.client, "--out", "-"], env))
    (ow, oc), (iw, ic) = median(one), median(imp)
    print(f"export {a.client} (one process): wall {ow:.3f}s cpu {oc:.3f}s | "
          f"import sqlmodel: wall {iw:.3f}s cpu {ic:.3f}s | ratio wall {ow / iw:.2f}x cpu {oc / ic:.2f}x")

    clients = int(subprocess.run([py, "-c", COUNT, str(a.db), str(a.key_file)], capture_output=True, text=True,
                                 check=True).stdout)
    full, base = [], []
    tmp = Path(tempfile.mkdtemp(prefix="vetcards-bench-export-"))
    try:
        for i in range(a.all_repeats):
            base.append(run([py, "-c", BASELINE, str(a.db), str(a.key_file), json.dumps(BASELINE_QUERIES)], env))
            out = tmp / f"all{i}"
            full.append(run(vetcards + ["export", "--all", "--out", str(out)], env))
            shutil.rmtree(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    (fw, fc), (bw, bc) = median(full), median(base)
    print(f"export --all ({clients} clients): wall {fw:.1f}s = {clients / fw:.0f} clients/s, cpu {fc:.1f}s "
          f"= {clients / fc:.0f} clients/cpu-s | baseline select+json.dumps: wall {bw:.1f}s = "
          f"{clients / bw:.0f} clients/s, cpu {bc:.1f}s | ratio wall {fw / bw:.2f}x cpu {fc / bc:.2f}x (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
