"""``vetcards doctor``: is this database healthy, and if not, what to do.

Each check gives one line: OK, or what is wrong and what to do about it.
The file-level checks (key, schema version, integrity, HMAC of every page)
run on a plain SQLCipher connection, so that a pending migration is reported
rather than run; the rest read the database through SQLAlchemy Core.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .errors import DatabaseError, KeyFailure
from .keys import Key
from .ledger import inspect

if TYPE_CHECKING:  # pragma: no cover
    from .db import RawConnection, UnitOfWork

#: A purge older than this many days (or none at all on an older database) is reported.
PURGE_MAX_AGE_DAYS = 31


#: A recipient name that is a placeholder, not a real party: the seeded register
#: (migration 0002) names the kinds of party under "<kind> (generiek)".
PLACEHOLDER_NAME = re.compile(r"\((generiek|generic)\)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str
    #: OK for the exit code, but something the practice should see to (shown as WARN)
    warning: bool = False

    @property
    def status(self) -> str:
        return "FAIL" if not self.ok else "WARN" if self.warning else "OK"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "message": self.message, "warning": self.warning}


@dataclass
class Report:
    database: Path
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, message: str, *, warning: bool = False) -> None:
        self.checks.append(Check(name, ok, message, warning))

    def as_dict(self) -> dict[str, Any]:
        return {"database": str(self.database), "ok": self.ok, "checks": [c.as_dict() for c in self.checks]}


def _mode_problem(path: Path) -> Optional[str]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    if st.st_mode & 0o077:
        return f"{path} is accessible by group or others (mode {stat.S_IMODE(st.st_mode):04o}): run chmod 600 {path}"
    return None


def _empty_wal(conn: RawConnection) -> bool:
    """``wal_checkpoint(TRUNCATE)``, waiting at most :data:`backup.CHECKPOINT_WAIT_MS` for readers:
    True when the -wal file is empty afterwards (erased pages no longer in it), False when another
    program's open read kept it (SPEC §6)."""
    from .backup import CHECKPOINT_WAIT_MS

    try:
        conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except Exception:  # noqa: BLE001 - busy or locked: the -wal stays as it is
        return False
    return row is not None and int(row[0]) == 0


def _check_permissions(report: Report, path: Path, ledger: Optional[Path]) -> None:
    from .audit_head import head_path_for

    files = [path] + [Path(str(path) + s) for s in ("-wal", "-shm", "-journal")]
    for kept in (ledger, head_path_for(path)):
        if kept is not None and not kept.is_symlink():  # never followed: their own checks say so
            files.append(kept)
    problems = [p for p in (_mode_problem(f) for f in files) if p]
    if problems:
        report.add("permissions", False, "; ".join(problems))
    else:
        report.add("permissions", True, "database, WAL/SHM, erasure ledger and audit head are private to the "
                   "owner (0600)")


def _check_key_file(report: Report, key_file: Optional[Path], db_path: Path) -> None:
    from .rekey import pending_key_file

    if key_file is None:
        report.add("key file", True, "passphrase (no key file)")
        return
    problem = _mode_problem(key_file)
    pending = pending_key_file(key_file)
    if problem:
        report.add("key file", False, problem)
    elif pending.exists():
        report.add("key file", False,
                   f"{pending} is left by an interrupted rekey; the database opens with {key_file}, "
                   f"so delete {pending}")
    else:
        msg = "mode 0600"
        try:
            if key_file.resolve().parent == db_path.resolve().parent:
                msg += "; note: it lies next to the database, keep it out of every backup of that folder"
        except OSError:
            pass
        report.add("key file", True, msg)


def run(path: Path, key: Key, *, key_file: Optional[Path] = None, today: Optional[date] = None,
        repair: bool = False, actor: str = "unknown") -> Report:
    """All checks on the database at ``path`` opened with ``key``.

    Raises :class:`DatabaseError` / :class:`KeyFailure` when the file cannot be
    opened at all (missing, wrong key): there is nothing to check then. With
    ``repair`` the erasure ledger and the database are made to agree first
    (:func:`repair_ledger`); what was done is the check ``repair``.
    """
    from .db import SCHEMA_HEAD, check_file, open_raw, raw_schema_version
    from .ledger import ledger_path_for

    today = today or date.today()
    path = Path(path).expanduser()
    if not path.exists():
        raise DatabaseError(f"no database at {path}; create one with: vetcards init")
    report = Report(path)
    ledger = ledger_path_for(path)
    _check_permissions(report, path, ledger)
    _check_key_file(report, key_file, path)

    try:
        conn = open_raw(path, key)
    except KeyFailure as exc:
        from .rekey import pending_key_file

        pending = pending_key_file(key_file) if key_file is not None else None
        if pending is not None and pending.exists():
            raise KeyFailure(
                f"{exc.message}; {pending} exists, left by an interrupted rekey: if "
                f"vetcards --key-file {pending} doctor works, rename it to {key_file}"
            ) from None
        raise
    try:
        version = raw_schema_version(conn)
        if version is None:
            raise DatabaseError(f"{path} opens with this key but is not a vetcards database")
        if version == SCHEMA_HEAD:
            report.add("schema", True, f"at {SCHEMA_HEAD}, no migration pending")
            current = True
        else:
            from .migrate import is_known_revision

            current = False
            if is_known_revision(version):
                report.add("schema", False,
                           f"schema {version}, this vetcards writes {SCHEMA_HEAD}: make a backup, then run any "
                           "vetcards command (e.g. vetcards client list) to migrate")
            else:
                report.add("schema", False, f"schema {version} is from a newer vetcards: upgrade vetcards")
        wal_emptied = _empty_wal(conn)
        cipher, integrity = check_file(conn)
    finally:
        conn.close()
    wal = Path(str(path) + "-wal")
    if not wal_emptied and wal.exists() and wal.stat().st_size > 0:
        report.add("wal", True, "the -wal file could not be emptied: another program has the database open, "
                   "so pages written before it opened (data erased or purged since among them) stay in the -wal "
                   "until it closes; run vetcards doctor again then", warning=True)
    else:
        report.add("wal", True, "the -wal file holds no pages from before the last checkpoint")
    if integrity:
        report.add("integrity", False, f"integrity_check: {integrity[0]}"
                   + (f" (+{len(integrity) - 1} more)" if len(integrity) > 1 else "")
                   + ": restore the last good backup (vetcards restore BACKUP)")
    else:
        report.add("integrity", True, "integrity_check ok")
    if cipher:
        report.add("encryption", False, f"cipher_integrity_check: {len(cipher)} page(s) fail their HMAC "
                   "(changed outside SQLCipher): restore the last good backup (vetcards restore BACKUP)")
    else:
        report.add("encryption", True, "cipher_integrity_check ok: every page is encrypted and authentic")

    if not current:
        report.add("database checks", False, "skipped until the schema is migrated")
        return report

    from .db import open_database

    if repair and ledger is not None:
        writer = open_database(path, key, write=True)
        try:
            with writer.unit(actor) as uow:
                done = repair_ledger(uow, ledger, today, actor)
            with writer.unit(actor) as uow:
                done += repair_head(uow, actor)
        finally:
            writer.close()
        report.add("repair", True, "; ".join(done) if done else "nothing to repair")
    try:
        database = open_database(path, key)
        try:
            with database.unit() as uow:
                _db_checks(report, uow, today, ledger)
        finally:
            database.close()
    except Exception as exc:  # noqa: BLE001 - a damaged file: say so, do not crash
        report.add("database checks", False, f"could not read the database ({type(exc).__name__}): "
                   "restore the last good backup (vetcards restore BACKUP)")
    return report


def _db_checks(report: Report, uow: UnitOfWork, today: date, ledger: Optional[Path]) -> None:
    from sqlalchemy import column, func, select, table

    from . import audit, audit_head

    log = table("audit_log", column("action"), column("ts")).c
    requests = table("subject_request", column("id"), column("client_number"), column("type"), column("due_on"),
                     column("closed_on"))
    req = requests.c

    result = audit.verify(uow, head=False)
    if result.ok:
        report.add("audit log", True, f"hash chain intact ({result.entries} entries)")
    else:
        report.add("audit log", False, f"broken at entry {result.first_broken_id}: {result.problem}; "
                   "the log was tampered with: compare with a backup (vetcards audit verify)")
    head = audit_head.check(uow)
    if head.ok:
        report.add("audit head", True, head.summary)
    else:
        report.add("audit head", False, f"{head.problem}; compare with a backup (vetcards restore BACKUP "
                   "--dry-run says what it holds); vetcards doctor --repair accepts the database as it is "
                   "and writes the head again")

    last = uow.execute(select(func.max(log.ts)).where(log.action == "purge")).scalar()
    first = uow.execute(select(func.min(log.ts))).scalar()
    if last:
        age = (today - datetime.fromisoformat(last).astimezone(UTC).date()).days
        if age <= PURGE_MAX_AGE_DAYS:
            report.add("retention purge", True, f"last purge {last[:10]} ({age} days ago)")
        else:
            report.add("retention purge", False, f"last purge {last[:10]}, {age} days ago: run vetcards purge "
                       "and schedule it (cron)")
    else:
        age = (today - datetime.fromisoformat(first).astimezone(UTC).date()).days if first else 0
        if age <= PURGE_MAX_AGE_DAYS:
            report.add("retention purge", True, f"no purge yet (database {age} days old)")
        else:
            report.add("retention purge", False, "never purged: run vetcards purge and schedule it (cron)")

    overdue = uow.execute(
        select(req.id, req.client_number, req.type, req.due_on)
        .where(req.closed_on.is_(None), req.due_on < today.isoformat()).order_by(req.due_on, req.id)
    ).all()
    if overdue:
        listed = ", ".join(f"#{r.id} {r.type} {r.client_number} due {r.due_on}" for r in overdue[:5])
        more = f" (+{len(overdue) - 5} more)" if len(overdue) > 5 else ""
        report.add("data-subject requests", False,
                   f"{len(overdue)} overdue: {listed}{more}: answer them (vetcards request list)")
    else:
        open_n = uow.execute(select(func.count()).select_from(requests).where(req.closed_on.is_(None))).scalar()
        report.add("data-subject requests", True, f"none overdue ({open_n} open)")

    _check_recipients(report, uow)
    if ledger is None:
        return
    check = inspect(uow, ledger)
    if check.ok:
        report.add("erasure ledger", True, check.summary())
    else:
        report.add("erasure ledger", False, "; ".join(check.problems))


def _check_recipients(report: Report, uow: UnitOfWork) -> None:
    """Warn while the register still has placeholder recipients (:data:`PLACEHOLDER_NAME`) for a kind of
    party with no real one registered: documents for clients (access report, register) would name them."""
    from sqlalchemy import column, select, table

    recipient = table("recipient", column("id"), column("name"), column("kind"), column("controller"))
    r = recipient.c
    rows = uow.execute(select(r.id, r.name, r.kind).where(r.controller.is_(None)).order_by(r.id)).all()
    real_kinds = {row.kind for row in rows if not PLACEHOLDER_NAME.search(row.name or "")}
    left = [row for row in rows if PLACEHOLDER_NAME.search(row.name or "") and row.kind not in real_kinds]
    if not left:
        report.add("recipients", True, f"{len(rows)} registered, none under a placeholder name")
        return
    listed = ", ".join(f"{row.name} ({row.kind}, id {row.id})" for row in left)
    report.add("recipients", True, f"{len(left)} still under a placeholder name: {listed}: register the real "
               "party of each kind the practice uses (vetcards recipient add --kind KIND), so the register and "
               "access reports name it", warning=True)


def repair_head(uow: UnitOfWork, actor: str) -> list[str]:
    """Write the audit head again at the log's last entry when it does not fit (``doctor --repair``);
    audited, commits; returns what was done, saying what the log lacks."""
    from . import audit, audit_head

    found = audit_head.check(uow)
    anchor = uow.database.anchor
    if found.ok or anchor is None:
        return []
    before = found.head
    audit.record(uow, "doctor.repair", "database", [], {"audit_head": 1, "head_entry": before.id if before else 0},
                 actor=actor)
    anchor.force = True
    uow.commit()
    after = audit_head.check(uow)
    if not after.ok or after.head is None:
        raise DatabaseError(f"the audit head could not be written again: {after.problem or 'not written'}")
    if before is not None:
        return [f"audit head written again at entry {after.head.id}; it recorded entry {before.id} of "
                f"{before.when}, which the log lacked: entries up to then are lost (compare with a backup)"]
    return [f"audit head written again at entry {after.head.id} (it was: {str(found.problem).split(':')[0]})"]


def repair_ledger(uow: UnitOfWork, path: Path, today: date, actor: str) -> list[str]:
    """Make the ledger and the database agree (``doctor --repair``); commits; returns what was done.

    Re-applies the erasures the ledger names that the database lacks (a
    rolled-back database, an erase that stopped before its commit), records
    in the ledger the database's erasures it lacks (a shortened or emptied
    ledger: rebuilt from the ``erasure`` table), and anchors the audit log's
    latest hash in a ``repair`` line (which also seals legacy v1 lines). A
    ledger that fails its MACs or chain, or is a symbolic link, is not
    touched: move it away and run the repair again to rebuild it.
    """
    from . import audit, ledger
    from .restore import replay_erasures

    check = inspect(uow, path)
    if check.ok and (check.ledger is None or check.ledger.sealed or not check.ledger.lines):
        return []
    if check.fatal and check.ledger is None:
        raise DatabaseError(f"{check.problems[0]}; not repaired: move the ledger away and run "
                            "vetcards doctor --repair again to rebuild it from the database")
    ledger.ensure_key(uow)
    check = inspect(uow, path)
    done = []
    replayed, gone = replay_erasures(uow, check.lacking, today, actor)
    if replayed or gone:
        done.append(f"erasures re-applied: {', '.join(replayed + gone)}")
    anchor = audit.record(uow, "doctor.repair", "database", replayed + gone,
                          {"reapplied": len(replayed + gone), "recorded": len(check.unrecorded)}, actor=actor)
    for number in check.unrecorded:
        ledger.append(uow, path, "erase", anchor=anchor, client_number=number, repair=True)
    if check.unrecorded:
        done.append(f"erasures recorded in the ledger: {', '.join(check.unrecorded)}")
    ledger.append(uow, path, "repair", anchor=anchor, repair=True)
    uow.commit()
    done.append("audit log anchored in the ledger")
    return done
