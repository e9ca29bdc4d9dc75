#!/usr/bin/env python3
"""100 ``client show`` through one ``vetcards shell`` against 100 separate processes.

On the generated practice (``benchmarks/generate.py``, made or reused by
``benchmarks/run.py``'s ``ensure_practice``), in one run on one machine:

* **shell**: one ``vetcards shell`` process gets the commands on a pipe, one
  at a time (the next line is written when the previous card has arrived), so
  each command's own time is measured from outside; the whole process (start,
  key, all commands, exit) is timed too;
* **processes**: the same commands, each as a whole ``vetcards`` process.

Also ``client add`` through the shell (on a copy of the practice). Prints the
medians per command, the totals and the ratio; ``--json FILE`` saves them.

    python benchmarks/bench_shell.py [--clients 20000] [--count 100] [--adds 20]
                                     [--workdir DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402 - the benchmark helpers beside this file


class Shell:
    """``vetcards shell`` as a co-process: one line in, one JSON document out."""

    def __init__(self, db: Path, key: Path) -> None:
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([*bench.vetcards_cmd(), "--db", str(db), "--key-file", str(key), "shell"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=bench.child_env())
        self.buffer = b""

    def ask(self, line: str) -> tuple[float, Any]:
        """Send one command; wait for its whole JSON output; (seconds, document)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        t0 = time.perf_counter()
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        decoder = json.JSONDecoder()
        fd = self.proc.stdout.fileno()
        while True:
            text = self.buffer.decode("utf-8", "replace").lstrip()
            if text:
                try:
                    doc, end = decoder.raw_decode(text)
                except ValueError:
                    pass
                else:
                    self.buffer = text[end:].encode()
                    return time.perf_counter() - t0, doc
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise bench.Failed(f"the shell ended at {line!r}: {err.strip()[-500:]}")
            self.buffer += chunk

    def close(self) -> float:
        """End the session (end of input); the whole process's wall time."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=120)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        if code != 0:
            raise bench.Failed(f"the shell exited {code}")
        return time.perf_counter() - self.t0


def numbers(db: Path, key: Path, count: int, seed: int = 15) -> list[str]:
    """``count`` client numbers spread over the practice (fixed seed)."""
    rows = [r[0] for r in bench.sql(db, key, "SELECT number FROM client WHERE restricted = 0 ORDER BY id")]
    return random.Random(seed).sample(rows, min(count, len(rows)))


def add_line(i: int) -> str:
    return (f"client add --name 'Bench Klant {i}' --street 'Benchstraat {i}' --postcode '9999 ZZ' "
            f"--city Benchdorp --phone '06 {10000000 + i}' --consent --json")


def measure(db: Path, key: Path, count: int, adds: int, workdir: Path) -> dict[str, Any]:
    wanted = numbers(db, key, count)
    lines = [f"client show {n} --format json" for n in wanted]
    # one warm-up of each (file cache, .pyc), outside the timing
    bench.check(bench.run_once([*bench.vetcards_cmd(), "--db", str(db), "--key-file", str(key),
                                *lines[0].split()], workdir), "warm-up")

    shell = Shell(db, key)
    in_shell = []
    for line, number in zip(lines, wanted):
        seconds, card = shell.ask(line)
        if card.get("number") != number:
            raise bench.Failed(f"the shell showed {card.get('number')} for {number}")
        in_shell.append(seconds)
    shell_total = shell.close()

    separate = []
    started = time.perf_counter()
    for line in lines:
        r = bench.check(bench.run_once([*bench.vetcards_cmd(), "--db", str(db), "--key-file", str(key),
                                        *line.split()], workdir), line)
        separate.append(r.seconds)
    separate_total = time.perf_counter() - started

    out: dict[str, Any] = {
        "commands": len(lines),
        "shell_total_s": round(shell_total, 3),
        "processes_total_s": round(separate_total, 3),
        "ratio_processes_to_shell": round(separate_total / shell_total, 1),
        "shell_median_ms": round(statistics.median(in_shell) * 1000, 1),
        "shell_p90_ms": round(sorted(in_shell)[int(0.9 * (len(in_shell) - 1))] * 1000, 1),
        "process_median_ms": round(statistics.median(separate) * 1000, 1),
        "shell_first_command_ms": round(in_shell[0] * 1000, 1),
    }
    if adds:
        copy = workdir / "shell-adds.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(copy) + suffix).unlink(missing_ok=True)
        # a consistent copy of the practice: the WAL is checkpointed by the reads' last close
        shutil.copy2(db, copy)
        shell = Shell(copy, key)
        added = [shell.ask(add_line(i))[0] for i in range(adds)]
        shell.close()
        out["adds"] = adds
        out["shell_add_median_ms"] = round(statistics.median(added) * 1000, 1)
        for suffix in ("", "-wal", "-shm"):
            Path(str(copy) + suffix).unlink(missing_ok=True)
    return out


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=20000)
    p.add_argument("--count", type=int, default=100, help="client show commands each way (100)")
    p.add_argument("--adds", type=int, default=20, help="client add commands through the shell (20; 0: none)")
    p.add_argument("--workdir", type=Path, default=None, help="keep (and reuse) the generated practice here")
    p.add_argument("--json", type=Path, default=None, help="save the results as JSON")
    args = p.parse_args(argv)
    tmp = None
    workdir = args.workdir
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="vetcards-bench-shell-")
        workdir = Path(tmp.name)
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        db, key, meta = bench.ensure_practice(workdir, args.clients, 1.0, None)
        result = measure(db, key, args.count, args.adds, workdir)
        result.update(clients=args.clients, machine=bench.machine(), versions=bench.versions())
        print(f"\n{result['commands']} x client show on {args.clients} clients")
        print(f"  one vetcards shell : {result['shell_total_s']:7.2f} s in all "
              f"(median {result['shell_median_ms']} ms per command, p90 {result['shell_p90_ms']} ms, "
              f"first {result['shell_first_command_ms']} ms)")
        print(f"  separate processes : {result['processes_total_s']:7.2f} s in all "
              f"(median {result['process_median_ms']} ms per process)")
        print(f"  ratio              : {result['ratio_processes_to_shell']}x faster in the shell")
        if args.adds:
            print(f"  client add in the shell: median {result['shell_add_median_ms']} ms ({args.adds} adds)")
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
