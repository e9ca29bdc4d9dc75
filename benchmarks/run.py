#!/usr/bin/env python3
"""Time whole vetcards processes against bare-import and hand-written-SQL baselines.

Every figure is the median wall time of several runs of a whole process
(``subprocess``), command and baseline interleaved (A B A B ...) after one
warm-up each, all in one run on one machine; the table gives the ratio to
the baseline measured in the same run, since absolute times on shared
machines are noisy.

    python benchmarks/run.py [--repeats 7] [--clients 20000 | --quick]
                             [--workdir DIR] [--json FILE]

The benchmark practice is made by ``benchmarks/generate.py`` in the work
directory (reused when one of the same size is already there). Commands use
the interpreter running this script (``sys.executable``) and the ``vetcards``
console script next to it, else ``python -m vetcards``.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.metadata as md
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
PY = sys.executable
#: Groups of lines (``--only``): start-up, reads against bare imports, the
#: sqlite-utils comparison, the shell, 1,000 invoices, the purge.
GROUPS = ("help", "show", "peer", "shell", "invoices", "purge")


def vetcards_cmd() -> list[str]:
    script = Path(PY).parent / "vetcards"
    return [str(script)] if script.exists() else [PY, "-m", "vetcards"]


def compile_vetcards() -> None:
    """Byte-compile the vetcards package once, as pip does for an installed package.

    An editable install run with ``PYTHONDONTWRITEBYTECODE=1`` (set on some
    machines here) never writes ``.pyc`` files, so every timed process would
    compile vetcards' sources again while its peers' installed packages are
    compiled: the comparison would not be fair.
    """
    import vetcards

    compileall.compile_dir(str(Path(vetcards.__file__).parent), quiet=1)


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VETCARDS_")}
    env["VETCARDS_ACTOR"] = "benchmark"
    return env


@dataclass
class Run:
    seconds: float
    maxrss_kb: int
    returncode: int
    stdout: str
    stderr: str


#: GNU time measures the peak RSS of exactly its child. ``os.wait4`` alone would
#: not do for small commands: Linux starts a child's ``ru_maxrss`` at the RSS of
#: the process it was forked from (this script), recorded at ``exec``.
GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def run_once(cmd: list[str], workdir: Path) -> Run:
    """One whole process: its wall time and peak RSS."""
    with tempfile.TemporaryFile(dir=workdir) as out, tempfile.TemporaryFile(dir=workdir) as err, \
            tempfile.NamedTemporaryFile(dir=workdir, mode="r", suffix=".rss") as rss_file:
        full = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *cmd] if GNU_TIME else cmd
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=child_env())
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        maxrss = usage.ru_maxrss
        if GNU_TIME:
            text = rss_file.read().strip().splitlines()
            # GNU time writes "Command exited with non-zero status N" before the figure.
            maxrss = int(text[-1]) if text and text[-1].isdigit() else maxrss
        out.seek(0)
        err.seek(0)
        return Run(seconds, maxrss, proc.returncode,
                   out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


@dataclass
class Line:
    name: str
    command: str
    baseline: str
    target: Optional[float]
    median_s: Optional[float] = None
    baseline_median_s: Optional[float] = None
    ratio: Optional[float] = None
    min_s: Optional[float] = None
    samples_s: list[float] = field(default_factory=list)
    baseline_samples_s: list[float] = field(default_factory=list)
    peak_rss_mb: Optional[float] = None
    note: str = ""

    @property
    def ok(self) -> Optional[bool]:
        if self.ratio is None or self.target is None:
            return None
        return self.ratio <= self.target


class Failed(Exception):
    pass


def check(run: Run, what: str) -> Run:
    if run.returncode != 0:
        raise Failed(f"{what} exited {run.returncode}: {run.stderr.strip()[-500:]}")
    return run


def compare(name: str, cmd, base: list[str], target: Optional[float], repeats: int,
            workdir: Path, prepare=None, cmd_label: str = "", base_label: str = "") -> Line:
    """Median of ``cmd`` against median of ``base``, interleaved, one warm-up each.

    ``prepare(i)``, when given, runs before each pair (outside the timing), e.g.
    to copy a fresh database for a destructive command. ``cmd`` is an argument
    list, or a function returning one when the arguments change with each pair
    (then ``cmd_label`` names it).
    """
    line = Line(name, cmd_label or " ".join(cmd), base_label or " ".join(base), target)
    rss = []
    for i in range(-1, repeats):
        if prepare:
            prepare(i)
        a = check(run_once(cmd() if callable(cmd) else cmd, workdir), name)
        b = check(run_once(base, workdir), f"{name} baseline")
        if i >= 0:
            line.samples_s.append(a.seconds)
            line.baseline_samples_s.append(b.seconds)
            rss.append(a.maxrss_kb)
    line.median_s = statistics.median(line.samples_s)
    line.min_s = min(line.samples_s)
    line.baseline_median_s = statistics.median(line.baseline_samples_s)
    line.ratio = line.median_s / line.baseline_median_s
    line.peak_rss_mb = max(rss) / 1024
    return line


def compare_inner(name: str, cmd: list[str], base: list[str], target: Optional[float], repeats: int,
                  workdir: Path, prepare, cmd_label: str, base_label: str) -> Line:
    """Like :func:`compare`, but with the time each process reports for its own loop."""
    line = Line(name, cmd_label, base_label, target)
    rss = []
    for i in range(repeats):
        prepare(i)
        a = check(run_once(cmd, workdir), name)
        b = check(run_once(base, workdir), f"{name} baseline")
        line.samples_s.append(json.loads(a.stdout)["seconds"])
        line.baseline_samples_s.append(json.loads(b.stdout)["seconds"])
        rss.append(a.maxrss_kb)
    line.median_s = statistics.median(line.samples_s)
    line.min_s = min(line.samples_s)
    line.baseline_median_s = statistics.median(line.baseline_samples_s)
    line.ratio = line.median_s / line.baseline_median_s
    line.peak_rss_mb = max(rss) / 1024
    line.note = "times of the creation loop inside each process (imports and opening excluded)"
    return line


def invoice_library_available() -> bool:
    try:
        from vetcards import invoicing
    except ImportError:
        return False
    return hasattr(invoicing, "create_invoice")


def sql(db: Path, key_file: Path, query: str, params: tuple = ()) -> list[tuple]:
    import sqlcipher3

    conn = sqlcipher3.connect(str(db))
    try:
        conn.execute(f"PRAGMA key = \"x'{key_file.read_text().strip()}'\"")
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def table_counts(db: Path, key_file: Path) -> dict[str, int]:
    tables = [r[0] for r in sql(db, key_file, "SELECT name FROM sqlite_master WHERE type='table' "
                                              "AND name NOT IN ('alembic_version', 'audit_log') ORDER BY name")]
    out = {t: sql(db, key_file, f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}
    out["invoice (restricted)"] = sql(db, key_file, "SELECT count(*) FROM invoice WHERE restricted = 1")[0][0]
    return out


def pick_clients(db: Path, key_file: Path, as_of: str) -> dict[str, str]:
    """A typical active client (median invoice count) and the client with the most services."""
    rows = sql(db, key_file, """
        SELECT c.number, (SELECT count(*) FROM invoice i WHERE i.client_id = c.id) AS n
          FROM client c WHERE c.updated_at >= date(?, '-2 years')
           AND EXISTS (SELECT 1 FROM invoice i WHERE i.client_id = c.id) ORDER BY n, c.id""", (as_of,))
    if not rows:
        rows = sql(db, key_file, "SELECT number, 0 FROM client ORDER BY id")
    typical = rows[len(rows) // 2][0]
    largest = sql(db, key_file, """
        SELECT c.number FROM client c ORDER BY
          (SELECT count(*) FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id WHERE i.client_id = c.id)
          + (SELECT count(*) FROM visit v JOIN pet p ON p.id = v.pet_id WHERE p.client_id = c.id) DESC
        LIMIT 1""")[0][0]
    return {"typical": typical, "largest": largest}


def has_command(vc: list[str], args: list[str], workdir: Path) -> bool:
    r = run_once(vc + args + ["--help"], workdir)
    return r.returncode == 0


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("vetcards", "typer", "sqlalchemy", "sqlmodel", "sqlcipher3", "rich", "tabulate"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "-"
    try:
        import sqlcipher3

        conn = sqlcipher3.connect(":memory:")
        out["sqlcipher"] = conn.execute("PRAGMA cipher_version").fetchone()[0]
        out["sqlite"] = conn.execute("SELECT sqlite_version()").fetchone()[0]
        conn.close()
    except Exception as exc:  # noqa: BLE001
        out["sqlcipher"] = f"? ({type(exc).__name__})"
    return out


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "nproc": os.cpu_count()}
    try:
        info["nproc_available"] = len(os.sched_getaffinity(0))
        info["loadavg_start"] = [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        pass
    try:
        with open("/proc/cpuinfo") as fh:
            for ln in fh:
                if ln.startswith("model name"):
                    info["cpu"] = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def ensure_practice(workdir: Path, clients: int, scale: float, as_of: Optional[str]) -> tuple[Path, Path, dict]:
    db = workdir / f"practice-{clients}.db"
    key = workdir / f"practice-{clients}.key"
    meta_path = db.with_suffix(".meta.json")
    if db.exists() and key.exists() and meta_path.exists():
        from vetcards.db import SCHEMA_HEAD

        meta = json.loads(meta_path.read_text())
        try:
            schema = sql(db, key, "SELECT version_num FROM alembic_version")[0][0]
        except Exception:  # noqa: BLE001 - unreadable: make a new one
            schema = None
        # A practice made by an older vetcards would be migrated by the first
        # timed command; make a new one instead.
        if meta.get("clients") == clients and meta.get("scale") == scale and schema == SCHEMA_HEAD and (
                as_of is None or meta.get("as_of") == as_of):
            meta["reused"] = True
            print(f"reusing {db} (generated in {meta['seconds']} s)", flush=True)
            return db, key, meta
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    cmd = [PY, str(HERE / "generate.py"), str(db), "--key-file", str(key), "--clients", str(clients),
           "--scale", str(scale), "--quiet"]
    if as_of:
        cmd += ["--as-of", as_of]
    print(f"generating a practice of {clients} clients in {workdir} ...", flush=True)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=child_env())
    if r.returncode != 0:
        raise Failed(f"generate.py failed: {r.stderr.strip()[-1000:]}")
    meta = json.loads(meta_path.read_text())
    meta["wall_seconds"] = round(time.perf_counter() - t0, 2)
    meta["reused"] = False
    print(f"generated in {meta['seconds']} s (whole process {meta['wall_seconds']} s), "
          f"{meta['file_bytes'] / 1e6:.0f} MB", flush=True)
    return db, key, meta


def fmt_s(x: Optional[float]) -> str:
    return "-" if x is None else f"{x * 1000:8.0f} ms" if x < 10 else f"{x:8.2f} s "


def print_table(lines: list[Line]) -> None:
    print()
    print(f"{'measurement':34} {'median':>11} {'baseline':>11} {'ratio':>7} {'target':>7}  ok   peak RSS")
    print("-" * 96)
    for ln in lines:
        if ln.median_s is None:
            print(f"{ln.name:34} {'skipped':>11}  {ln.note}")
            continue
        ok = {True: "yes", False: "NO", None: "-"}[ln.ok]
        target = f"<={ln.target:.1f}x" if ln.target else "-"
        rss = f"{ln.peak_rss_mb:6.0f} MB" if ln.peak_rss_mb is not None else ""
        ratio = f"{ln.ratio:6.2f}x" if ln.ratio is not None else f"{'-':>7}"
        print(f"{ln.name:34} {fmt_s(ln.median_s):>11} {fmt_s(ln.baseline_median_s):>11} "
              f"{ratio} {target:>7}  {ok:4} {rss}")
    print()
    for ln in lines:
        if ln.median_s is not None:
            print(f"  {ln.name}:\n    command : {ln.command}\n    baseline: {ln.baseline}"
                  + (f"\n    note    : {ln.note}" if ln.note else ""))


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=None, help="timed runs per line (default 7; 3 with --quick)")
    p.add_argument("--purge-repeats", type=int, default=3, help="timed runs of the purge lines (default 3)")
    p.add_argument("--clients", type=int, default=20000)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--quick", action="store_true", help="smoke check: 2,000 clients, 3 repeats")
    p.add_argument("--as-of", default=None, help="reference date of the practice and the purge (default today)")
    p.add_argument("--workdir", type=Path, default=None, help="keep (and reuse) the generated practice here")
    p.add_argument("--json", type=Path, default=None, help="save the results as JSON")
    p.add_argument("--only", default=",".join(GROUPS),
                   help=f"comma-separated groups of lines to run (default all: {','.join(GROUPS)})")
    p.add_argument("--large", action="store_true",
                   help="the 200,000-client practice (1 GB, 1 million invoices); same as --clients 200000")
    args = p.parse_args(argv)
    args.only = {g.strip() for g in args.only.split(",") if g.strip()}
    unknown = args.only - set(GROUPS)
    if unknown:
        p.error(f"--only: unknown group(s) {', '.join(sorted(unknown))}; choose from {', '.join(GROUPS)}")
    if args.large:
        args.clients = 200000
    compile_vetcards()
    clients = 2000 if args.quick else args.clients
    repeats = args.repeats or (3 if args.quick else 7)
    purge_repeats = min(args.purge_repeats, repeats)

    tmp = None
    if args.workdir:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="vetcards-bench-")
        workdir = Path(tmp)
    os.umask(0o077)
    try:
        return _run(args, workdir, clients, repeats, purge_repeats)
    except Failed as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, workdir: Path, clients: int, repeats: int, purge_repeats: int) -> int:
    info = {"machine": machine(), "versions": versions(), "repeats": repeats,
            "peak_rss_by": GNU_TIME or "os.wait4 ru_maxrss (includes this script's RSS at fork)",
            "purge_repeats": purge_repeats, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    print("machine :", ", ".join(f"{k}={v}" for k, v in info["machine"].items()))
    print("versions:", ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    db, key, meta = ensure_practice(workdir, clients, args.scale, args.as_of)
    info["practice"] = meta
    rows = meta["rows"]
    print(f"practice: {meta['clients']} clients ({meta['inactive_clients']} past the cut-off, "
          f"{meta['claim_hold_clients']} with a claim hold), {rows['pet']} pets, {rows['visit']} visits, "
          f"{rows['invoice']} invoices, {rows['invoice_line']} lines, as of {meta['as_of']}")
    vc = vetcards_cmd()
    g = ["--db", str(db), "--key-file", str(key)]
    picked = pick_clients(db, key, meta["as_of"])
    info["clients_shown"] = picked
    lines: list[Line] = []
    py_typer = [PY, "-c", "import typer"]
    py_sqlmodel = [PY, "-c", "import sqlmodel"]

    print(f"timing ({repeats} runs each, interleaved with the baseline) ...", flush=True)
    only = args.only
    if "help" in only:
        lines.extend(_help_lines(vc, py_typer, repeats, workdir))
    if "show" in only:
        lines.extend(_show_lines(vc, g, picked, py_sqlmodel, repeats, workdir))
    number = picked["typical"]
    if "peer" in only:
        import peer

        print(f"timing against sqlite-utils ({repeats} runs each) ...", flush=True)
        lines.extend(peer.lines(db, key, number, repeats, workdir))
    if "shell" in only:
        import peer

        print("timing 100 client show through one shell against 100 processes ...", flush=True)
        lines.extend(peer.shell_lines(db, key, 100, 20, workdir))
    if "invoices" in only or "purge" in only:
        lines.extend(_write_lines(args, db, key, meta, vc, number, purge_repeats, workdir, info))
    _finish(args, info, lines)
    return 0


def _help_lines(vc: list[str], py_typer: list[str], repeats: int, workdir: Path) -> list[Line]:
    lines: list[Line] = []
    lines.append(compare("vetcards --help", vc + ["--help"], py_typer, 1.5, repeats, workdir,
                         cmd_label="vetcards --help", base_label='python -c "import typer"'))
    lines.append(compare("python (empty) vs import typer", [PY, "-c", "pass"], py_typer, None, repeats,
                         workdir, cmd_label='python -c "pass"', base_label='python -c "import typer"'))
    return lines


def _show_lines(vc: list[str], g: list[str], picked: dict[str, str], py_sqlmodel: list[str], repeats: int,
                workdir: Path) -> list[Line]:
    lines: list[Line] = []
    for which, number in picked.items():
        ln = compare(f"client show ({which})", vc + g + ["client", "show", number, "--format", "plain"],
                     py_sqlmodel, 1.3, repeats, workdir,
                     cmd_label=f"vetcards --db DB --key-file KEY client show {number} --format plain",
                     base_label='python -c "import sqlmodel"')
        if which == "largest":
            ln.target = None
            ln.note = "the client with the most services (information only)"
        lines.append(ln)

    number = picked["typical"]
    if has_command(vc, ["invoice", "list"], workdir):
        lines.append(compare("invoice list --client", vc + g + ["invoice", "list", "--client", number,
                                                              "--format", "plain"],
                             py_sqlmodel, 1.3, repeats, workdir,
                             cmd_label=f"vetcards --db DB --key-file KEY invoice list --client {number} --format plain",
                             base_label='python -c "import sqlmodel"'))
    else:
        lines.append(Line("invoice list --client", "", "", 1.3, note="`vetcards invoice list` not implemented yet"))
    return lines


def _write_lines(args: argparse.Namespace, db: Path, key: Path, meta: dict, vc: list[str], number: str,
                 purge_repeats: int, workdir: Path, info: dict) -> list[Line]:
    lines: list[Line] = []
    as_of = meta["as_of"]
    copy_a, copy_b = workdir / "purge-a.db", workdir / "purge-b.db"

    def fresh(*targets: Path):
        def prepare(_i: int) -> None:
            for t in targets:
                for suffix in ("-wal", "-shm"):
                    Path(str(t) + suffix).unlink(missing_ok=True)
                shutil.copyfile(db, t)
        return prepare

    # Issue 3: 1,000 invoices through the library against DB-API inserts of the same rows.
    if "invoices" not in args.only:
        pass
    elif invoice_library_available():
        print(f"timing 1,000 invoices ({purge_repeats} runs each, on fresh copies) ...", flush=True)
        lines.append(compare_inner(
            "1,000 invoices: library vs DB-API",
            [PY, str(HERE / "invoices.py"), str(copy_a), str(key), number, as_of, "--mode", "library"],
            [PY, str(HERE / "invoices.py"), str(copy_b), str(key), number, as_of, "--mode", "dbapi"],
            5.0, purge_repeats, workdir, fresh(copy_a, copy_b),
            cmd_label=f"benchmarks/invoices.py COPY KEY {number} {as_of} --mode library (loop only)",
            base_label="benchmarks/invoices.py COPY KEY ... --mode dbapi (loop only)"))
    else:
        lines.append(Line("1,000 invoices: library vs DB-API", "", "", 5.0,
                          note="vetcards.invoicing.create_invoice not available"))

    if "purge" in args.only:
        lines.extend(_purge_lines(db, key, as_of, vc, purge_repeats, workdir, info, fresh))
    for t in (copy_a, copy_b):
        for suffix in ("", "-wal", "-shm"):
            Path(str(t) + suffix).unlink(missing_ok=True)
    return lines


def _purge_lines(db: Path, key: Path, as_of: str, vc: list[str], purge_repeats: int, workdir: Path, info: dict,
                 fresh) -> list[Line]:
    lines: list[Line] = []
    copy_a, copy_b = workdir / "purge-a.db", workdir / "purge-b.db"
    hand = [PY, str(HERE / "handpurge.py")]
    # Hand-written SQL: default page cache against a 64 MiB cache (SPEC §6).
    print(f"timing the purge ({purge_repeats} runs each, on fresh copies) ...", flush=True)
    sql_default = hand + [str(copy_b), str(key), as_of]
    sql_64 = hand + [str(copy_a), str(key), as_of, "--cache-mib", "64"]
    ln = compare("hand SQL purge: 64 MiB vs default", sql_64, sql_default, None, purge_repeats, workdir,
                 prepare=fresh(copy_a, copy_b), cmd_label="benchmarks/handpurge.py DB KEY AS_OF --cache-mib 64",
                 base_label="benchmarks/handpurge.py DB KEY AS_OF (default cache)")
    ln.note = "information: what a 64 MiB page cache saves on SQLCipher deletes"
    lines.append(ln)

    if has_command(vc, ["purge"], workdir):
        purge_cmd = vc + ["--db", str(copy_a), "--key-file", str(key), "purge", "--as-of", as_of, "--json"]
        ln = compare("vetcards purge", purge_cmd, sql_default, 1.5, purge_repeats, workdir,
                     prepare=fresh(copy_a, copy_b),
                     cmd_label=f"vetcards --db COPY --key-file KEY purge --as-of {as_of} --json",
                     base_label="benchmarks/handpurge.py COPY KEY AS_OF (default cache)")
        # Same rows? Compare the two copies left by the last pair.
        a_counts, b_counts = table_counts(copy_a, key), table_counts(copy_b, key)
        diff = {t: (a_counts.get(t), b_counts.get(t)) for t in sorted(set(a_counts) | set(b_counts))
                if a_counts.get(t) != b_counts.get(t)}
        info["purge_rows_after"] = {"vetcards": a_counts, "hand_sql": b_counts}
        ln.note = ("same rows left as the hand-written SQL" if not diff else
                   "ROWS DIFFER (vetcards, hand SQL): " + ", ".join(f"{t} {a}/{b}" for t, (a, b) in diff.items()))
        ln.note += "; peak RSS target < 200 MB"
        lines.append(ln)
        ln2 = Line("vetcards purge vs SQL 64 MiB", ln.command, "benchmarks/handpurge.py ... --cache-mib 64", None)
        sql64_line = lines[-2]
        ln2.median_s, ln2.baseline_median_s = ln.median_s, sql64_line.median_s
        ln2.ratio = ln.median_s / sql64_line.median_s
        ln2.peak_rss_mb = ln.peak_rss_mb
        ln2.note = "information: medians of the two lines above (taken in separate pairs)"
        lines.append(ln2)
    else:
        lines.append(Line("vetcards purge", "", "", 1.5, note="`vetcards purge` not implemented yet"))
    return lines


def _finish(args: argparse.Namespace, info: dict, lines: list[Line]) -> None:
    info["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print_table(lines)
    load = max(info["machine"].get("loadavg_start", [0])[0], info["machine"]["loadavg_end"][0])
    if load > (os.cpu_count() or 1) / 2:
        print(f"\nnote: load average up to {load:.1f} on {os.cpu_count()} CPUs during the run: "
              "other work competed for the CPU; compare ratios, not absolute times, and rerun when quiet.")
    info["results"] = [dict(asdict(ln), ok=ln.ok) for ln in lines]
    if args.json:
        args.json.write_text(json.dumps(info, indent=2) + "\n")
        print(f"\nsaved {args.json}")


if __name__ == "__main__":
    sys.exit(main())
