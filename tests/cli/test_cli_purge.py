"""``vetcards purge`` and ``client hold/unhold`` end to end, plus real processes.

CLI calls go through the ``vet`` fixture (CliRunner, key file by environment,
as cron would run it). Dates are set by back-dating rows through the library
(the CLI always stamps "now"). The process tests (SIGKILL in the middle,
a concurrent writer, two purges at once, a progress bar on a terminal) run
``python -m vetcards`` on a practice of a few thousand clients generated with
Core ``executemany``.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text

from vetcards import models
from vetcards.db import create_database, open_database
from vetcards.keys import read_key_file, write_new_key_file

T = models.SQLModel.metadata.tables
D = date.fromisoformat
WAL_NOTE = ("note: another program has the database open, so purged data may remain in the -wal file "
            "until that program closes\n")
AS_OF = "2026-06-15"  # inactivity cut-off 2019-06-15


def _stamp(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 12, 0, tzinfo=UTC)


class Writer:
    """Write straight into the practice database (back-dating rows): one transaction."""

    def __init__(self, vet) -> None:
        self.database = open_database(vet.db, read_key_file(vet.key_file), write=True)

    def __enter__(self) -> Writer:
        self._cm = self.database.unit()
        self.conn = self._cm.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            if exc[0] is None:
                self.conn.commit()
            self._cm.__exit__(*exc)
        finally:
            self.database.close()

    def backdate(self, number: str, d: str) -> None:
        stamp = _stamp(D(d)).strftime("%Y-%m-%d %H:%M:%S.000000")
        self.conn.execute(text("UPDATE client SET created_at = :s, updated_at = :s WHERE number = :n"),
                          {"s": stamp, "n": number})
        self.conn.execute(text("UPDATE pet SET created_at = :s, updated_at = :s WHERE client_id = "
                               "(SELECT id FROM client WHERE number = :n)"), {"s": stamp, "n": number})

    def invoice(self, number: str, d: str, status: str) -> None:
        conn = self.conn
        cid = conn.execute(text("SELECT id FROM client WHERE number = :n"), {"n": number}).scalar()
        seq = conn.execute(text("SELECT count(*) + 1 FROM invoice WHERE year = :y"), {"y": D(d).year}).scalar()
        iid = conn.execute(insert(T["invoice"]).values(
            number=f"{D(d).year}-{seq:05d}", year=D(d).year, seq=seq, client_id=cid, invoice_date=D(d),
            payment_method="account", status=status, customer_name="Snapshot Naam",
            customer_street="Dorpsstraat 1", customer_postcode="1234 AB", customer_city="Utrecht",
            net_cents=1000, vat_cents=210, gross_cents=1210)).inserted_primary_key[0]
        conn.execute(insert(T["invoice_line"]).values(invoice_id=iid, position=1, description="consult",
                                                      quantity="1", unit_price_cents=1000, vat_rate=21,
                                                      net_cents=1000))


def clients(vet) -> set[str]:
    return {r[0] for r in vet.sql("SELECT number FROM client")}


@pytest.fixture
def practice(vet) -> dict[str, str]:
    """A small practice with a client for each rule, dated around AS_OF."""
    k = {}
    for key, name in (("exact", "Els Exact"), ("old", "Otto Oud"), ("unpaid", "Ursula Onbetaald"),
                      ("fiscal", "Fien Fiscus"), ("held", "Harm Hold"), ("deceased", "Dirk Dood"),
                      ("new", "Nina Nieuw")):
        k[key] = vet.add_client(name)
    vet.add_pet(k["old"], "Rex")
    vet.ok("client", "hold", k["held"], "--reason", "Rechtszaak Hold tegen praktijk")
    pet = vet.add_pet(k["deceased"], "Minoes", "cat")
    vet.ok("pet", "deceased", pet, "--date", "2018-01-01")
    with Writer(vet) as w:
        w.backdate(k["exact"], "2019-06-15")
        w.backdate(k["old"], "2019-06-14")
        w.backdate(k["unpaid"], "2012-01-01")
        w.invoice(k["unpaid"], "2018-03-01", "open")
        w.backdate(k["fiscal"], "2012-01-01")
        w.invoice(k["fiscal"], "2019-01-01", "paid")
        w.backdate(k["held"], "2012-01-01")
        w.backdate(k["deceased"], "2018-01-01")
    return k


# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------


def test_purge_json_summary_and_second_run(vet, practice):
    r = vet.ok("purge", "--as-of", AS_OF, "--json")
    assert r.stderr == ""  # no progress bar, no chatter: not a terminal
    s = r.json()
    assert s["dry_run"] is False
    assert s["as_of"] == AS_OF
    assert s["purged_clients"] == 3  # old, fiscal, deceased
    assert s["held_for_claims"] == 1
    assert s["held_by_legal_hold"] == 1
    assert s["kept_for_fiscal_hold"] == 1
    assert s["deleted_expired_invoices"] == 0
    assert s["held_for_claims_clients"] == [practice["unpaid"]]
    assert s["held_by_legal_hold_clients"] == [practice["held"]]
    assert isinstance(s["duration_seconds"], float)
    assert "clients" not in s  # the purged numbers are in the audit entry
    assert clients(vet) == {practice[k] for k in ("exact", "unpaid", "held", "new")}
    assert vet.sql("SELECT count(*) FROM pet WHERE client_id NOT IN (SELECT id FROM client)") == [(0,)]
    assert vet.sql("SELECT client_id, restricted, customer_name FROM invoice WHERE status = 'paid'") == \
        [(None, 1, "Snapshot Naam")]
    # Idempotent.
    again = vet.ok("purge", "--as-of", AS_OF, "--json").json()
    assert again["purged_clients"] == 0 and again["kept_for_fiscal_hold"] == 0
    assert again["held_for_claims"] == 1 and again["held_by_legal_hold"] == 1


def test_purge_summary_line_and_audit(vet, practice):
    r = vet.ok("purge", "--as-of", AS_OF)
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"purge as of {AS_OF}: 3 clients purged; held: 1 for claims, 1 by legal hold; "
                               "1 invoice kept for fiscal hold; 0 expired invoices deleted;")
    entries = vet.ok("audit", "show", "--action", "purge", "--format", "json").json()
    assert len(entries) == 1
    entry = entries[0]
    assert entry["action"] == "purge"
    assert sorted(json.loads(entry["entity_ids"])) == sorted(practice[k] for k in ("old", "fiscal", "deceased"))
    log = json.dumps(vet.ok("audit", "show", "--format", "json").json())
    for word in ("Otto", "Oud", "Fien", "Dirk", "Minoes", "Rex", "Rechtszaak", "Snapshot"):
        assert word not in log


def test_dry_run_lists_and_deletes_nothing(vet, practice):
    before = vet.counts()
    before.pop("audit_log", None)
    r = vet.ok("purge", "--as-of", AS_OF, "--dry-run", "--json")
    s = r.json()
    assert s["dry_run"] is True
    assert sorted(s["clients"]) == sorted(practice[k] for k in ("old", "fiscal", "deceased"))
    assert s["purged_clients"] == 3
    after = vet.counts()
    assert after.pop("audit_log", 0) > 0
    assert after == before
    text_out = vet.ok("purge", "--as-of", AS_OF, "--dry-run").stdout.splitlines()
    assert text_out[0].startswith(f"purge (dry run) as of {AS_OF}: 3 clients would be purged;")
    assert f"purge {practice['old']}" in text_out
    assert f"held for claims {practice['unpaid']}" in text_out
    assert f"held by legal hold {practice['held']}" in text_out
    actions = [e["action"] for e in vet.ok("audit", "show", "--action", "purge", "--format", "json").json()]
    assert actions == ["purge.dry_run", "purge.dry_run"]


def test_last_shows_the_last_run(vet, practice):
    assert vet.ok("purge", "--last").stdout.strip() == "no purge recorded yet"
    assert vet.ok("purge", "--last", "--json").json() is None
    vet.ok("purge", "--as-of", AS_OF)
    vet.ok("purge", "--as-of", AS_OF, "--dry-run")
    line = vet.ok("purge", "--last").stdout.strip()
    assert line.startswith("last dry run: ") and f"as of {AS_OF}: 0 clients would be purged" in line
    last = vet.ok("purge", "--last", "--json").json()
    assert last["action"] == "purge.dry_run" and last["held_for_claims"] == 1
    r = vet.run("purge", "--last", "--dry-run")
    assert r.exit_code == 2 and r.stderr.startswith("error: --last")


def test_as_of_rules(vet, practice):
    future = (date.today() + timedelta(days=400)).isoformat()
    r = vet.run("purge", "--as-of", future)
    assert r.exit_code == 1
    assert r.stderr == "error: --as-of: must not be in the future (preview with --dry-run)\n"
    assert len(clients(vet)) == 7
    assert vet.ok("purge", "--as-of", future, "--dry-run", "--json").json()["as_of"] == future
    r = vet.run("purge", "--as-of", "31-02-2020")
    assert r.exit_code == 1 and r.stderr.startswith("error: --as-of:")
    # Dutch day-first dates are accepted.
    assert vet.ok("purge", "--as-of", "15-06-2026", "--json").json()["purged_clients"] == 3
    r = vet.run("purge", "--vacuum", "--dry-run")
    assert r.exit_code == 2


def test_holds_are_not_failures_and_default_as_of_is_today(vet, practice):
    r = vet.ok("purge", "--json")
    assert r.json()["as_of"] == date.today().isoformat()
    assert r.json()["held_for_claims"] == 1


def test_purged_rows_are_gone_and_secure_delete_is_on(vet, practice):
    vet.ok("purge", "--as-of", AS_OF)
    for table, col in (("client", "name"), ("pet", "name"), ("invoice", "customer_name")):
        values = {r[0] for r in vet.sql(f"SELECT {col} FROM {table}")}
        assert not values & {"Otto Oud", "Rex", "Fien Fiscus", "Dirk Dood", "Minoes"}, table
    assert vet.sql("SELECT count(*) FROM consent WHERE client_id NOT IN (SELECT id FROM client)") == [(0,)]
    database = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        with database.unit() as conn:
            assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
    finally:
        database.close()


def test_wrong_key_is_a_clean_failure(vet, practice, tmp_path):
    other = tmp_path / "other.key"
    write_new_key_file(other)
    r = vet.run("purge", env={"VETCARDS_KEY_FILE": str(other)})
    assert r.exit_code == 3
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: cannot open")


# --------------------------------------------------------------------------
# Manual legal hold
# --------------------------------------------------------------------------


def test_hold_and_unhold(vet):
    k = vet.add_client("Gert Geschil")
    r = vet.ok("client", "hold", k, "--reason", "Geschil Geschil advocaat Mr. X")
    assert r.stderr.strip() == f"client {k}: legal hold set"
    card = vet.ok("client", "show", k, "--format", "json").json()
    assert card["legal_hold_reason"] == "Geschil Geschil advocaat Mr. X"
    assert "replaced" in vet.ok("client", "hold", k, "--reason", "nieuw dossier").stderr
    with Writer(vet) as w:
        w.backdate(k, "2012-01-01")
    assert vet.ok("purge", "--as-of", AS_OF, "--json").json()["held_by_legal_hold_clients"] == [k]
    vet.ok("client", "unhold", k)
    r = vet.run("client", "unhold", k)
    assert r.exit_code == 1 and r.stderr == f"error: client {k} has no legal hold\n"
    log = json.dumps(vet.ok("audit", "show", "--format", "json").json())
    assert "Geschil" not in log and "dossier" not in log and "advocaat" not in log
    assert [e["action"] for e in vet.ok("audit", "show", "--action", "client.hold", "--format", "json").json()] \
        == ["client.hold", "client.hold"]
    assert vet.ok("purge", "--as-of", AS_OF, "--json").json()["purged_clients"] == 1


def test_hold_input_errors(vet):
    k = vet.add_client()
    r = vet.run("client", "hold", k, "--reason", "  ")
    assert r.exit_code == 1 and r.stderr.startswith("error: --reason:")
    r = vet.run("client", "hold", "K999999", "--reason", "x")
    assert r.exit_code == 1 and "not found" in r.stderr
    r = vet.run("client", "hold", k)
    assert r.exit_code == 2
    assert vet.sql("SELECT legal_hold_reason FROM client") == [(None,)]


# --------------------------------------------------------------------------
# Real processes on a practice of a few thousand clients
# --------------------------------------------------------------------------


def generate(db_path: Path, key_file: Path, n_clients: int, old_fraction: float = 0.5,
             seed: int = 7) -> int:
    """Fill a practice with Core executemany; returns how many clients are past the cut-off.

    "Old" clients have all activity in 2010-2018 (past the cut-off of any
    as-of from 2026 on); the others in 2025-2026.
    """
    import random

    rng = random.Random(seed)
    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in (
        "client", "consent", "pet", "visit", "weight", "vaccination", "invoice", "invoice_line", "payment")}

    def day(a: date, b: date) -> date:
        return a + timedelta(days=rng.randrange((b - a).days + 1))

    old_count = 0
    pid = iid = 0
    for cid in range(1, n_clients + 1):
        old = rng.random() < old_fraction
        old_count += old
        lo, hi = (D("2010-01-01"), D("2018-06-30")) if old else (D("2025-01-01"), D("2026-06-30"))
        created = day(lo, hi)
        rows["client"].append(dict(id=cid, number=f"B{cid:07d}", name=f"Generated Client {cid}",
                                   street="Dorpsstraat 1", postcode="1234 AB", city="Utrecht",
                                   created_at=_stamp(created), updated_at=_stamp(created), restricted=False))
        rows["consent"].append(dict(client_id=cid, purpose="care", given_on=created, statement_version="1",
                                    method="in-person"))
        for _ in range(2):
            pid += 1
            rows["pet"].append(dict(id=pid, number=f"Q{pid:07d}", client_id=cid, name="Bello", species="dog",
                                    sex="unknown", created_at=_stamp(created), updated_at=_stamp(created)))
            for _ in range(5):
                rows["visit"].append(dict(pet_id=pid, visit_date=day(created, hi), reason="check-up",
                                          findings="healthy and happy " * 10))
            rows["weight"].append(dict(pet_id=pid, measured_on=day(created, hi), grams=4000))
            rows["vaccination"].append(dict(pet_id=pid, given_on=day(created, hi), vaccine="rabies"))
        for _ in range(2):
            iid += 1
            d = day(created, hi)
            rows["invoice"].append(dict(
                id=iid, number=f"X{iid:08d}", year=d.year, seq=iid, client_id=cid, invoice_date=d,
                payment_method="pin", status="paid", customer_name=f"Generated Client {cid}",
                customer_street="Dorpsstraat 1", customer_postcode="1234 AB", customer_city="Utrecht",
                net_cents=1000, vat_cents=210, gross_cents=1210, restricted=False))
            rows["invoice_line"].append(dict(invoice_id=iid, position=1, description="consult", quantity="1",
                                             unit_price_cents=1000, vat_rate=21, net_cents=1000))
            rows["payment"].append(dict(invoice_id=iid, paid_on=d, amount_cents=1210, method="pin"))
    database = open_database(db_path, read_key_file(key_file), write=True, cache_mib=64)
    try:
        with database.unit() as conn:
            for table, data in rows.items():
                conn.execute(insert(T[table]), data)
            conn.commit()
    finally:
        database.close()
    return old_count


@pytest.fixture(scope="module")
def big_template(tmp_path_factory) -> tuple[Path, Path, int]:
    """One generated practice (4,000 clients, half past the cut-off), copied per test."""
    folder = tmp_path_factory.mktemp("big")
    db_path, key_file = folder / "big.db", folder / "big.key"
    key = write_new_key_file(key_file)
    create_database(db_path, key).close()
    old = generate(db_path, key_file, 4000)
    return db_path, key_file, old


@pytest.fixture
def big(big_template, tmp_path) -> dict[str, Any]:
    src_db, src_key, old = big_template
    db_path, key_file = tmp_path / "practice.db", tmp_path / "practice.key"
    shutil.copy(src_db, db_path)
    shutil.copy(src_key, key_file)
    os.chmod(key_file, 0o600)
    env = dict(os.environ)
    for var in ("VETCARDS_PASSPHRASE", "VETCARDS_DEBUG"):
        env.pop(var, None)
    env.update(VETCARDS_DB=str(db_path), VETCARDS_KEY_FILE=str(key_file), VETCARDS_ACTOR="cron")
    return {"db": db_path, "key": key_file, "old": old, "total": 4000, "env": env}


def vetcards(big: dict[str, Any], *args: str, **kw: Any) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vetcards", *args], env=big["env"],
                            stdout=kw.pop("stdout", subprocess.PIPE), stderr=kw.pop("stderr", subprocess.PIPE),
                            text=True, **kw)


def raw_sql(big: dict[str, Any], query: str) -> list[tuple]:
    import sqlcipher3

    conn = sqlcipher3.connect(str(big["db"]))
    try:
        conn.execute(f"PRAGMA key = \"x'{big['key'].read_text().strip()}'\"")
        return conn.execute(query).fetchall()
    finally:
        conn.close()


class LockProbe:
    """Tells from outside whether some process holds the write lock."""

    def __init__(self, big: dict[str, Any]) -> None:
        import sqlcipher3

        self.conn = sqlcipher3.connect(str(big["db"]), isolation_level=None, timeout=0)
        self.conn.execute(f"PRAGMA key = \"x'{big['key'].read_text().strip()}'\"")
        self.conn.execute("PRAGMA busy_timeout = 0")
        self.conn.execute("SELECT count(*) FROM sqlite_master").fetchall()

    def locked(self) -> bool:
        import sqlcipher3

        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlcipher3.OperationalError as exc:
            assert "locked" in str(exc) or "busy" in str(exc), exc
            return True
        self.conn.execute("ROLLBACK")
        return False

    def wait_locked(self, proc: subprocess.Popen, timeout: float = 20.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end and proc.poll() is None:
            if self.locked():
                return True
            time.sleep(0.002)
        return False

    def close(self) -> None:
        self.conn.close()


def integrity(big: dict[str, Any]) -> None:
    assert raw_sql(big, "PRAGMA integrity_check") == [("ok",)]
    assert raw_sql(big, "PRAGMA cipher_integrity_check") == []
    assert raw_sql(big, "PRAGMA foreign_key_check") == []


def test_purge_killed_in_the_middle_leaves_all_or_nothing(big):
    """SIGKILL while the purge holds its write transaction: the file is whole,
    and either everything or nothing of the purge happened."""
    total, old = big["total"], big["old"]
    probe = LockProbe(big)
    try:
        proc = vetcards(big, "purge", "--json")
        assert probe.wait_locked(proc), "the purge never took the write lock"
        time.sleep(0.15)  # well inside the transaction (the whole purge takes ~0.5 s or more)
        still_running = proc.poll() is None and probe.locked()
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        probe.close()
    assert still_running, "the purge finished before the kill; make the practice bigger"
    assert proc.returncode == -signal.SIGKILL
    integrity(big)
    left = raw_sql(big, "SELECT count(*) FROM client")[0][0]
    pets = raw_sql(big, "SELECT count(*) FROM pet")[0][0]
    visits = raw_sql(big, "SELECT count(*) FROM visit")[0][0]
    audits = raw_sql(big, "SELECT count(*) FROM audit_log WHERE action = 'purge'")[0][0]
    if left == total:  # nothing happened
        assert (pets, visits, audits) == (2 * total, 10 * total, 0)
    else:  # everything happened
        assert (left, pets, visits, audits) == (total - old, 2 * (total - old), 10 * (total - old), 1)
    # The next run completes the job.
    done = vetcards(big, "purge", "--json")
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    assert raw_sql(big, "SELECT count(*) FROM client")[0][0] == total - old
    integrity(big)


ADDER = r"""
import os, sys, time
from datetime import date
from pathlib import Path
from vetcards import clients
from vetcards.db import open_database
from vetcards.keys import read_key_file

db = open_database(Path(os.environ["VETCARDS_DB"]), read_key_file(Path(os.environ["VETCARDS_KEY_FILE"])),
                   write=True)
stop = Path(sys.argv[1])
i = 0
while True:
    last_round = stop.exists()
    i += 1
    with db.unit() as s:
        s.info["actor"] = "adder"
        c = clients.add_client(s, {"name": f"Nieuwe Klant {i}", "street": "Laan 2", "postcode": "1234AB",
                                   "city": "Utrecht"}, today=date.today(), consent=True)
        print(c.number, flush=True)
    if last_round:
        break
    time.sleep(0.01)  # a busy front desk, not a tight loop
"""


def test_purge_while_another_process_adds_clients(big, tmp_path):
    stop = tmp_path / "stop"
    adder = subprocess.Popen([sys.executable, "-c", ADDER, str(stop)], env=big["env"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = adder.stdout.readline()  # the adder is running and has written once
    assert first.startswith("K"), adder.stderr.read()
    purge = vetcards(big, "purge", "--json")
    p_out, p_err = purge.communicate(timeout=60)
    stop.touch()
    adder.wait(timeout=60)
    a_out, a_err = adder.stdout.read(), adder.stderr.read()
    assert purge.returncode == 0, p_err
    assert adder.returncode == 0, a_err
    assert "locked" not in p_err + a_err and "busy" not in p_err + a_err
    # The only line allowed: the adder's open read may have kept purged pages in the WAL, and it says so.
    assert p_err in ("", WAL_NOTE), p_err
    assert json.loads(p_out)["purged_clients"] == big["old"]
    added = [first.strip()] + a_out.split()
    assert len(added) >= 2
    # No write lost: every client the adder was told it added is there.
    present = {r[0] for r in raw_sql(big, "SELECT number FROM client WHERE number LIKE 'K%'")}
    assert present == set(added)
    # The writes really interleaved with the purge: adds before and after it.
    order = raw_sql(big, "SELECT action, actor FROM audit_log WHERE action IN ('purge', 'client.add') ORDER BY id")
    purge_at = [a for a, _ in order].index("purge")
    assert any(a == "client.add" for a, _ in order[:purge_at])
    assert any(a == "client.add" for a, _ in order[purge_at + 1:])
    integrity(big)


def _has_open(pid: int, path: Path) -> bool:
    """True when process ``pid`` has ``path`` open (Linux /proc)."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def test_two_purges_at_once_one_waits(big):
    """While the write lock is held, a purge waits (busy timeout) instead of failing."""
    probe = LockProbe(big)
    try:
        probe.conn.execute("BEGIN IMMEDIATE")  # another writer holds the database
        first = vetcards(big, "purge", "--json")
        second = vetcards(big, "purge", "--json")
        shm = Path(str(big["db"]) + "-shm")
        end = time.monotonic() + 20
        while time.monotonic() < end and not all(_has_open(p.pid, shm) for p in (first, second)):
            time.sleep(0.01)
        time.sleep(0.5)  # both are now at BEGIN IMMEDIATE, waiting
        assert first.poll() is None and second.poll() is None
        probe.conn.execute("ROLLBACK")
        out1, err1 = first.communicate(timeout=60)
        out2, err2 = second.communicate(timeout=60)
    finally:
        probe.close()
    assert (first.returncode, second.returncode) == (0, 0), err1 + err2
    assert err1 in ("", WAL_NOTE) and err2 in ("", WAL_NOTE), err1 + err2
    r1, r2 = json.loads(out1), json.loads(out2)
    assert sorted([r1["purged_clients"], r2["purged_clients"]]) == [0, big["old"]]
    assert min(r1["duration_seconds"], r2["duration_seconds"]) >= 0.5  # they waited
    assert raw_sql(big, "SELECT count(*) FROM audit_log WHERE action = 'purge'") == [(2,)]
    integrity(big)


def test_progress_bar_only_on_a_terminal(big):
    master, slave = pty.openpty()
    try:
        proc = vetcards(big, "purge", "--dry-run", "--json", stderr=slave)
        os.close(slave)
        out, _ = proc.communicate(timeout=60)
        chunks = []
        while True:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                break
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert json.loads(out)["dry_run"] is True  # stdout stays clean JSON
    assert b"\x1b[" in b"".join(chunks)  # Rich drew on the terminal
    piped = vetcards(big, "purge", "--dry-run", "--json")
    _, err = piped.communicate(timeout=60)
    assert piped.returncode == 0 and err == ""


def test_vacuum_shrinks_the_file(big, tmp_path):
    copy = tmp_path / "copy.db"
    shutil.copy(big["db"], copy)
    plain = vetcards({**big, "env": {**big["env"], "VETCARDS_DB": str(copy)}}, "purge", "--json")
    _, err = plain.communicate(timeout=60)
    assert plain.returncode == 0, err
    proc = vetcards(big, "purge", "--vacuum", "--json")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert json.loads(out)["vacuumed"] is True

    def size(p: Path) -> int:
        wal = Path(str(p) + "-wal")
        return p.stat().st_size + (wal.stat().st_size if wal.exists() else 0)

    assert size(big["db"]) < 0.8 * size(copy)
    integrity(big)
