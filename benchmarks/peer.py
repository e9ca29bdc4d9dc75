"""Single commands against sqlite-utils, the best-known command line over SQLite (issue 15).

sqlite-utils cannot open an SQLCipher file, so its commands run on a plain
(unencrypted) SQLite copy of the same practice, made with ``sqlcipher_export``
inside the benchmark's own temporary work directory and removed with it. The
vetcards commands run on the encrypted practice (reads) or an encrypted copy
(writes), as at the desk. So the ratios include what encryption costs.

Lines (whole processes, medians after one warm-up, interleaved with the baseline):

* ``client show``, ``client search``, ``pet show``, ``invoice list --client``
  against ``sqlite-utils query PLAIN "select * from client where number = :n"``
  (target ≤ 1.5×);
* ``client add`` and ``invoice create`` against ``sqlite-utils insert PLAIN
  client row.json`` (one row; target ≤ 2.5×).

Used by ``benchmarks/run.py`` (``--only peer``); needs the ``bench`` extra
(``pip install -e '.[bench]'``, done by ``make bench``).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Optional

import run as bench


def sqlite_utils_cmd() -> Optional[list[str]]:
    """The sqlite-utils console script beside this interpreter (or on PATH); None when missing."""
    script = Path(bench.PY).parent / "sqlite-utils"
    if script.exists():
        return [str(script)]
    found = shutil.which("sqlite-utils")
    return [found] if found else None


def export_plain(db: Path, key_file: Path, dest: Path) -> None:
    """A plain SQLite copy of the encrypted practice (``sqlcipher_export``), for sqlite-utils only."""
    import sqlcipher3

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(dest) + suffix).unlink(missing_ok=True)
    conn = sqlcipher3.connect(str(db), isolation_level=None)
    try:
        conn.execute(f"PRAGMA key = \"x'{key_file.read_text().strip()}'\"")
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(dest),))
        conn.execute("SELECT sqlcipher_export('plain')")
        conn.execute("DETACH DATABASE plain")
    finally:
        conn.close()


def _pet_of(db: Path, key: Path, client: str) -> str:
    rows = bench.sql(db, key, "SELECT p.number FROM pet p JOIN client c ON c.id = p.client_id "
                              "WHERE c.number = ? ORDER BY p.id LIMIT 1", (client,))
    return rows[0][0] if rows else "P000001"


def lines(db: Path, key: Path, number: str, repeats: int, workdir: Path) -> list[bench.Line]:
    """The peer lines; a single 'skipped' line when sqlite-utils is not installed."""
    su = sqlite_utils_cmd()
    if su is None:
        return [bench.Line("peer: sqlite-utils", "", "", None,
                           note="sqlite-utils not installed: pip install -e '.[bench]' (make bench does it)")]
    vc = bench.vetcards_cmd()
    g = ["--db", str(db), "--key-file", str(key)]
    plain = workdir / "plain-copy.db"
    export_plain(db, key, plain)
    query = su + ["query", str(plain), "select * from client where number = :n", "-p", "n", number]
    query_label = f'sqlite-utils query PLAIN "select * from client where number = :n" -p n {number}'
    out: list[bench.Line] = []
    pet = _pet_of(db, key, number)
    reads = (
        ("client show vs sqlite-utils query", ["client", "show", number, "--format", "plain"]),
        ("client search vs sqlite-utils query", ["client", "search", "jansen", "--format", "plain"]),
        ("pet show vs sqlite-utils query", ["pet", "show", pet, "--format", "plain"]),
        ("invoice list vs sqlite-utils query", ["invoice", "list", "--client", number, "--format", "plain"]),
    )
    for name, args in reads:
        out.append(bench.compare(name, vc + g + args, query, 1.5, repeats, workdir,
                                 cmd_label="vetcards --db DB --key-file KEY " + " ".join(args),
                                 base_label=query_label))

    # Writes: vetcards on an encrypted copy, sqlite-utils on the plain copy; a new row each run.
    copy = workdir / "peer-writes.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copyfile(db, copy)
    gw = ["--db", str(copy), "--key-file", str(key)]
    row_file = workdir / "row.json"
    insert = su + ["insert", str(plain), "client", str(row_file)]
    insert_label = "sqlite-utils insert PLAIN client row.json (one client row)"
    counter = iter(range(1, 10**6))
    add_args: list[str] = []

    def next_row(_i: int) -> None:
        n = next(counter)
        row = {"number": f"Z{n:06d}", "name": f"Bench Klant {n}", "street": f"Benchstraat {n}",
               "postcode": "9999ZZ", "city": "Benchdorp", "phone": f"+316{10000000 + n}",
               "created_at": "2026-12-02 09:00:00.000000", "updated_at": "2026-12-02 09:00:00.000000",
               "restricted": 0, "country": "NL"}
        row_file.write_text(json.dumps(row))
        add_args[:] = ["client", "add", "--name", f"Bench Klant {n}", "--street", f"Benchstraat {n}",
                       "--postcode", "9999 ZZ", "--city", "Benchdorp", "--phone", f"06 {10000000 + n}",
                       "--consent", "--allow-duplicate", "--json"]

    out.append(bench.compare("client add vs sqlite-utils insert", lambda: vc + gw + add_args, insert, 2.5,
                                repeats, workdir, next_row,
                                "vetcards --db COPY --key-file KEY client add --name ... --consent --json",
                                insert_label))
    invoice = ["invoice", "create", number, "--line", "Consult;1;42,50", "--line", "Vaccinatie;1;39,50",
               "--payment", "pin", "--json"]
    out.append(bench.compare("invoice create vs sqlite-utils insert", lambda: vc + gw + invoice, insert, 2.5,
                                repeats, workdir, next_row,
                                f"vetcards --db COPY --key-file KEY invoice create {number} --line ... "
                                "--payment pin --json", insert_label))
    for path in (copy, plain):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    row_file.unlink(missing_ok=True)
    return out


def shell_lines(db: Path, key: Path, count: int, adds: int, workdir: Path) -> list[bench.Line]:
    """100 ``client show`` through one ``vetcards shell`` against 100 processes, and adds in the shell."""
    import bench_shell

    r = bench_shell.measure(db, key, count, adds, workdir)
    out = []
    ln = bench.Line(f"{count} client show: shell vs processes", f"{count} lines piped into one vetcards shell",
                    f"{count} separate vetcards processes", 0.1)
    ln.median_s, ln.baseline_median_s = r["shell_total_s"], r["processes_total_s"]
    ln.ratio = ln.median_s / ln.baseline_median_s
    ln.note = (f"totals, not medians; {r['ratio_processes_to_shell']}x faster in the shell "
               "(target >= 10x, i.e. ratio <= 0.1)")
    out.append(ln)
    show = bench.Line("shell: one client show", "client show N --format json in the shell",
                      "the same as a whole process", None)
    show.median_s, show.baseline_median_s = r["shell_median_ms"] / 1000, r["process_median_ms"] / 1000
    show.ratio = show.median_s / show.baseline_median_s
    show.note = f"target <= 30 ms a command: {'yes' if r['shell_median_ms'] <= 30 else 'NO'}"
    out.append(show)
    if adds:
        add = bench.Line("shell: one client add", "client add ... --json in the shell", "-", None)
        add.median_s = r["shell_add_median_ms"] / 1000
        add.note = f"target <= 60 ms a command: {'yes' if r['shell_add_median_ms'] <= 60 else 'NO'}"
        out.append(add)
    return out


if __name__ == "__main__":  # pragma: no cover - used through run.py
    sys.exit("run benchmarks/run.py --only peer")
