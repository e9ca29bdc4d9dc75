"""Benchmark: ``client search`` through the library vs. a hand-written SQL search of the same file.

Issue 13 asks that ``client search`` stays fast on the 20,000-client practice
(``benchmarks/generate.py``) and that it is measured against a hand-written SQL
search. Both run in this one process on the same encrypted file, opened once
each (the key is a raw key: no PBKDF2), alternately (A B A B ...) after one
warm-up each, and the median of the repeats is reported per query:

* (a) ``library``: ``views.search_clients`` in a read unit, as the CLI runs
  it: the folded (case- and accent-free) match of name, street, postcode, city,
  phone however typed, e-mail, number, pet name and chip, sorted by surname,
  plus its audit entry (rolled back here, so repeats see the same file).
* (b) ``sql``: one hand-written ``SELECT ... WHERE ... LIKE ...`` over the
  same columns (plus an ``EXISTS`` over the pets) on a bare ``sqlcipher3``
  connection, ordered by name: what a search costs in SQLite itself. It does
  not fold accents (SQLite cannot), so its hits may differ; the point is time.

Usage::

    python benchmarks/bench_search.py DB --key-file KEY [--repeat 7] [--query TEXT ...]

Prints one line per query (hits, the medians, the ratio) and exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

QUERIES = ("jansen", "de vries", "06 1234", "utrecht", "ölçer", "K001234")

HAND_SQL = """
SELECT c.number, c.name, c.street, c.postcode, c.city, c.phone, c.email,
       (SELECT count(*) FROM pet p WHERE p.client_id = c.id) AS pets
  FROM client c
 WHERE c.restricted = 0
   AND (c.name LIKE :q OR c.street LIKE :q OR c.postcode LIKE :q OR c.city LIKE :q
        OR c.email LIKE :q OR c.number LIKE :q OR c.phone LIKE :tel OR c.landline LIKE :tel
        OR EXISTS (SELECT 1 FROM pet p WHERE p.client_id = c.id AND (p.name LIKE :q OR p.chip LIKE :q)))
 ORDER BY lower(c.name), c.id
"""


def _timed(fn: Callable[[str], int], text: str) -> tuple[float, int]:
    start = time.perf_counter()
    hits = fn(text)
    return time.perf_counter() - start, hits


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", type=Path)
    p.add_argument("--key-file", type=Path, required=True)
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--query", action="append", help="a search text (repeatable; default a fixed set)")
    args = p.parse_args(argv)

    from vetcards import views
    from vetcards.db import open_database, raw_connect
    from vetcards.keys import read_key_file

    key = read_key_file(args.key_file)
    database = open_database(args.db, key)
    raw: Any = raw_connect(args.db, key)

    def library(text: str) -> int:
        with database.unit("benchmark", write=True) as uow:
            uow.commit = lambda: None  # type: ignore[method-assign]  # audit written, rolled back: same file
            return len(views.search_clients(uow, text))

    def sql(text: str) -> int:
        digits = "".join(ch for ch in text if ch.isdigit()).lstrip("0")
        params = {"q": f"%{text}%", "tel": f"%{digits}%" if len(digits) >= 5 else "\x00"}
        return len(raw.execute(HAND_SQL, params).fetchall())

    print(f"client search on {args.db} ({args.repeat} repeats, medians)")
    print(f"{'query':<12} {'hits':>6} {'sql hits':>8} {'library s':>10} {'sql s':>8} {'ratio':>6}")
    for text in args.query or QUERIES:
        library(text), sql(text)  # warm-up
        lib_times, sql_times, hits, sql_hits = [], [], 0, 0
        for _ in range(args.repeat):
            t, hits = _timed(library, text)
            lib_times.append(t)
            t, sql_hits = _timed(sql, text)
            sql_times.append(t)
        a, b = statistics.median(lib_times), statistics.median(sql_times)
        print(f"{text:<12} {hits:>6} {sql_hits:>8} {a:>10.3f} {b:>8.3f} {a / b:>6.1f}")
    raw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
