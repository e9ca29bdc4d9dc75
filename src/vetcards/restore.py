"""``restore``: a backup back in place, erasures re-applied, nothing lost unsaid (SPEC §5, §6).

1. The backup must open with the key and pass ``cipher_integrity_check``
   and ``integrity_check``.
2. The erasure ledger is read and verified (:mod:`vetcards.ledger`): MACs,
   chain, and against the database being replaced (its last line is in the
   ledger, every erasure it holds is in the ledger, unauthenticated v1
   lines confirmed by it) and against the backup (its last line is in the
   ledger). A ledger that fails is refused with one line: restoring would
   bring erased clients back. Which ledger: ``ledger_path`` (``--ledger``),
   default the ledger of the database being replaced (``<db>.erasures``).
   Restored to another path, the ledger given is checked against its own
   database too (``X.erasures`` belongs to ``X``, whose ledger key verifies
   it) and copied to the new database's own ledger first, so each database
   keeps its own.
3. What the restore would lose is counted against the database being
   replaced: audit entries, invoices and payments it has and the backup
   lacks. ``dry_run`` stops here (nothing written).
4. A working copy next to the database gets the ledger key, every erasure
   in the ledger that it lacks (whatever its date: a line of an erase that
   never committed too, client numbers are never reused) and its
   ``restore`` audit entry; the ledger line anchoring that entry is written
   before the copy commits (write-ahead).
5. The database being replaced is kept beside it (``<db>.replaced-<UTC
   stamp>``, mode 0600, still encrypted), then the copy takes its name.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .audit_head import AuditHeadProblem
from .backup import _seal_and_check, _unlink_quietly, private_temp
from .db import check_file, open_raw, raw_connect, raw_schema_version
from .errors import Conflict, DatabaseError, KeyFailure
from .files import fsync_dir
from .keys import Key
from .ledger import Ledger, LedgerTampered, Line, ledger_path_for

if TYPE_CHECKING:  # pragma: no cover
    from .db import RawConnection, UnitOfWork

__all__ = ["Facts", "RestoreResult", "backup_taken_at", "replay_erasures", "restore"]


@dataclass
class RestoreResult:
    database: Path
    backup: Path
    taken_at: Optional[str]
    ledger: Optional[Path] = None
    replayed: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    ledger_entries: int = 0
    seconds: float = 0.0
    set_aside: Optional[Path] = None
    kept: Optional[Path] = None
    dry_run: bool = False
    lost: dict[str, int] = field(default_factory=dict)
    to_replay: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        kept = self.kept or self.set_aside
        return {"database": str(self.database), "backup": str(self.backup), "taken_at": self.taken_at,
                "ledger": str(self.ledger) if self.ledger else None, "dry_run": self.dry_run,
                "ledger_entries": self.ledger_entries,
                "erasures_reapplied": list(self.to_replay if self.dry_run else self.replayed),
                "erasures_already_in_backup": list(self.already_gone),
                "would_lose": dict(self.lost),
                "previous_file_kept_as": str(kept) if kept else None,
                "seconds": round(self.seconds, 3)}


def backup_taken_at(conn: RawConnection) -> Optional[str]:
    """``taken_at`` of the newest ``backup`` entry in a backup's audit log (raw connection)."""
    row = conn.execute(
        "SELECT details, ts FROM audit_log WHERE action = 'backup' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    details, ts = row
    try:
        return json.loads(details or "{}").get("taken_at") or ts
    except ValueError:
        return ts


@dataclass
class Facts:
    """What one database holds that matters here (read in one unit)."""

    key: Optional[bytes]
    head: Optional[str]
    erased: set[str]
    audit: set[str]
    invoices: set[str]
    payments: set[tuple[Any, ...]]
    #: what the audit head check found on the database being replaced (None: fits)
    head_problem: Optional[str] = None


def _facts(uow: UnitOfWork) -> Facts:
    from sqlalchemy import column, select, table

    from . import ledger

    log = table("audit_log", column("hash"))
    inv = table("invoice", column("id"), column("number"))
    pay = table("payment", column("id"), column("invoice_id"), column("amount_cents"), column("paid_on"))
    payments = uow.execute(select(pay.c.id, inv.c.number, pay.c.amount_cents, pay.c.paid_on)
                           .join(inv, inv.c.id == pay.c.invoice_id))
    return Facts(ledger.ledger_key(uow), ledger.db_head(uow), ledger._erased_numbers(uow),
                 set(uow.execute(select(log.c.hash)).scalars()),
                 set(uow.execute(select(inv.c.number)).scalars()),
                 {tuple(r) for r in payments})


def _live_facts(db_path: Path, key: Key) -> Optional[Facts]:
    """Facts of the database being replaced, or None when there is none or it does not open."""
    from . import audit_head
    from .db import open_database

    if not db_path.exists():
        return None
    try:
        live = open_database(db_path, key)
    except (KeyFailure, DatabaseError):
        return None
    try:
        with live.unit() as uow:
            facts = _facts(uow)
            facts.head_problem = audit_head.check(uow).problem
            return facts
    except Exception:  # noqa: BLE001 - damaged: it is set aside, not read
        return None
    finally:
        live.close()


def _load_ledger(path: Path, keys: list[Optional[bytes]]) -> tuple[Ledger, Optional[bytes]]:
    """The ledger verified under the first key that verifies it (the live database's, then the backup's)."""
    from . import ledger

    error: Optional[LedgerTampered] = None
    candidates: list[Optional[bytes]] = [k for k in keys if k is not None] or [None]
    for candidate in candidates:
        try:
            return ledger.load(path, candidate), candidate
        except LedgerTampered as exc:
            error = error or exc
    assert error is not None
    raise error


def _check_against(led: Ledger, facts: Facts, what: str) -> None:
    """Refuse a ledger that lost something this database wrote to it."""
    if facts.head is not None and led.find_mac(facts.head) is None:
        raise LedgerTampered(f"erasure ledger {led.path} lacks the last line {what} wrote to it (emptied, "
                             "shortened or replaced): not restored, erased clients would come back; "
                             "run vetcards doctor --repair on that database first")
    numbers = {line.client_number for line in led.erasures}
    missing = sorted(n for n in facts.erased if n not in numbers)
    if missing:
        raise LedgerTampered(f"erasure ledger {led.path} lacks {len(missing)} erasure(s) {what} holds "
                             f"({', '.join(missing[:5])}): not restored, they would come back; "
                             "run vetcards doctor --repair first")
    if not led.sealed:
        for line in led.legacy:
            if line.client_number not in facts.erased:
                raise LedgerTampered(f"erasure ledger {led.path}: line {line.number} is an unauthenticated (v1) "
                                     f"line naming {line.client_number}, which {what} never erased: not restored")


def _to_replay(led: Ledger, erased: set[str]) -> list[Line]:
    out: list[Line] = []
    seen: set[str] = set()
    for line in led.erasures:
        number = line.client_number or ""
        if number and number not in erased and number not in seen:
            out.append(line)
        seen.add(number)
    return out


def replay_erasures(uow: UnitOfWork, lines: list[Line], today: date,
                    actor: str = "unknown") -> tuple[list[str], list[str]]:
    """Erase again every client number in ``lines`` that the database still holds (no commit).

    Uses :mod:`vetcards.erasure`'s plan and writes (the same rules, holds
    kept restricted). A legal hold found in the restored data is older than
    the (authenticated) erasure the ledger records and does not stop it. Each
    client re-erased, or already gone, gets its ``erasure`` row, so the
    database and the ledger agree. Returns (re-applied, already gone).
    """
    from sqlalchemy import column, func, select, table

    from . import audit, erasure
    from .errors import NotFound
    from .ledger import _parse_time
    from .models import Erasure

    replayed: list[str] = []
    gone: list[str] = []
    client = table("client", column("number"))
    for line in lines:
        number = line.client_number or ""
        exists = uow.execute(select(func.count()).select_from(client).where(client.c.number == number)).scalar()
        try:
            plan = erasure.plan_erasure(uow, number, today) if exists else None
        except NotFound:
            plan = None
        erased_at = _parse_time(line.erased_at) or datetime.now(UTC)
        uow.add(Erasure(client_number=number, erased_at=erased_at,
                        verified_by="ledger replay", id_document="unknown"))
        if plan is None:
            gone.append(number)
            continue
        erasure.apply_plan(uow, plan)
        details: dict[str, Any] = dict(plan.erased)
        details.update({"replayed": 1, "kept_client_card": int(plan.claim_hold),
                        "legal_hold_overridden": int(plan.legal_hold)})
        audit.record(uow, "erase", "client", [number], details, actor=actor)
        replayed.append(number)
    return replayed, gone


def _check_backup(backup_path: Path, key: Key) -> Optional[str]:
    """The backup opens with the key, is a vetcards database of a known schema and passes both checks."""
    from .db import SCHEMA_HEAD

    conn = open_raw(backup_path, key)
    try:
        version = raw_schema_version(conn)
        if version is None:
            raise DatabaseError(f"{backup_path} opens with this key but is not a vetcards database")
        cipher, integrity = check_file(conn)
        if cipher or integrity:
            raise DatabaseError(f"{backup_path} fails its integrity checks; not restored")
        taken_at = backup_taken_at(conn)
    finally:
        conn.close()
    if version != SCHEMA_HEAD:
        from .migrate import is_known_revision

        if not is_known_revision(version):
            raise DatabaseError(f"{backup_path} was made by a newer vetcards (schema {version}); upgrade vetcards")
    return taken_at


def _working_copy(db_path: Path, backup_path: Path, key: Key) -> Path:
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise DatabaseError(f"cannot write next to {db_path}: {exc.strerror}") from None
    tmp = private_temp(db_path, ".restoring", f"cannot write next to {db_path}")
    try:
        src = open_raw(backup_path, key)
        try:
            dst = raw_connect(tmp, key)
            try:
                src.backup(dst, pages=-1)
            finally:
                dst.close()
        finally:
            src.close()
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _seed(source: Path, target: Path) -> Optional[bytes]:
    """The bytes a new target ledger starts with when restoring with another database's ledger."""
    if source == target:
        return None
    from .ledger import read_bytes

    data = read_bytes(source) or b""
    current = read_bytes(target)
    if current:
        if not current.startswith(data.rstrip(b"\n")):
            raise Conflict(f"{target} is another erasure ledger; restore with it (without --ledger) or move "
                           "it away first. Nothing was changed")
    return data or None


def restore(db_path: Path, key: Key, backup_path: Path, *, actor: str = "unknown",
            today: Optional[date] = None, ledger_path: Optional[Path] = None,
            dry_run: bool = False) -> RestoreResult:
    """Replace the database at ``db_path`` with ``backup_path``; see the module docstring."""
    from . import audit, audit_head, ledger
    from .db import open_database

    started = time.monotonic()
    db_path = Path(db_path).expanduser()
    backup_path = Path(backup_path).expanduser()
    today = today or date.today()
    if not backup_path.exists() or backup_path.is_dir():
        raise DatabaseError(f"no backup at {backup_path}")
    try:
        if db_path.exists() and os.path.samefile(db_path, backup_path):
            raise Conflict("the backup is the database itself")
    except OSError:
        pass
    target = ledger_path_for(db_path)
    assert target is not None
    source = Path(ledger_path).expanduser() if ledger_path else target
    taken_at = _check_backup(backup_path, key)
    for stale in db_path.parent.glob(f".{db_path.name}.*.restoring"):  # left by a killed restore
        _unlink_quietly(stale)
    live = _live_facts(db_path, key)
    if live is not None and live.head_problem:
        raise AuditHeadProblem(f"the database being replaced: {live.head_problem}; not restored, nothing was "
                               "changed: see vetcards doctor; vetcards doctor --repair accepts that database as "
                               "it is, then restore again")
    result = RestoreResult(db_path, backup_path, taken_at, ledger=source, dry_run=dry_run)
    tmp = _working_copy(db_path, backup_path, key)
    live_conn: Optional[RawConnection] = None
    try:
        work = open_database(tmp, key, write=True)
        work.anchor = None  # a working copy: its head is written for the database once it is in place
        try:
            with work.unit(actor) as uow:
                copy = _facts(uow)
                owner = _live_facts(Path(str(source)[: -len(".erasures")]), key) \
                    if source != target and str(source).endswith(".erasures") else None
                led, ledger_key = _load_ledger(source, [live.key if live else None,
                                                        owner.key if owner else None, copy.key])
                if owner is not None:
                    _check_against(led, owner, f"{source.name[: -len('.erasures')]} (its database)")
                if live is not None:
                    _check_against(led, live, "the database being replaced")
                    result.lost = {"audit_entries": len(live.audit - copy.audit),
                                   "invoices": len(live.invoices - copy.invoices),
                                   "payments": len(live.payments - copy.payments)}
                _check_against(led, Facts(None, copy.head, set(), set(), set(), set()), "the backup")
                result.ledger_entries = len(led.erasures)
                todo = _to_replay(led, copy.erased)
                result.to_replay = [line.client_number or "" for line in todo]
                if dry_run:
                    result.seconds = time.monotonic() - started
                    return result
                seed = _seed(source, target)
                ledger.ensure_key(uow, ledger_key)
                result.replayed, result.already_gone = replay_erasures(uow, todo, today, actor)
                anchor = audit.record(uow, "restore", "database", result.replayed,
                                      {"taken_at": taken_at, "reapplied": len(result.replayed),
                                       "ledger_entries": result.ledger_entries}, actor=actor)
                ledger.append(uow, target, "restore", anchor=anchor, seed=seed)  # write-ahead
                audit_head.prepare(uow)
                uow.commit()
        finally:
            work.close()
        cipher, integrity, _clients = _seal_and_check(tmp, key)
        if cipher or integrity:
            raise DatabaseError("the restored copy failed its integrity checks; the database was not replaced")

        # Swap it in. The live database must be ours alone, its WAL merged; it is kept beside it.
        if db_path.exists():
            live_conn = _take_over(db_path, key)
            if live_conn is None:
                result.set_aside = _set_aside(db_path)
            else:
                result.kept = _keep_copy(db_path)
        # The head is written for the copy just before it goes in, so a kill leaves at most the
        # instant of the rename between a head and its database (after it, the head is written again).
        copy_conn = open_raw(tmp, key)
        try:
            audit_head.write_now(copy_conn, db_path, force=True)
        finally:
            copy_conn.close()
        os.replace(tmp, db_path)
        os.chmod(db_path, 0o600)
        fsync_dir(db_path.parent)
    finally:
        if live_conn is not None:
            try:
                live_conn.close()
            except Exception:  # noqa: BLE001
                pass
        _unlink_quietly(tmp)
    # The restore rolled the database back on purpose (confirmed): the audit head moves to its last entry.
    final = open_database(db_path, key)
    try:
        raw = final.engine.raw_connection()
        try:
            audit_head.write_now(raw.driver_connection, db_path, force=True)
        finally:
            raw.close()
    finally:
        final.close()
    result.seconds = time.monotonic() - started
    return result


def _stamped(db_path: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = db_path.with_name(f"{db_path.name}.replaced-{stamp}")
    n = 1
    while os.path.lexists(target):
        n += 1
        target = db_path.with_name(f"{db_path.name}.replaced-{stamp}-{n}")
    return target


def _keep_copy(db_path: Path) -> Path:
    """A second name for the database being replaced (its WAL merged, mode 0600, still encrypted)."""
    target = _stamped(db_path)
    try:
        os.link(db_path, target)
    except OSError:
        import shutil

        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out, open(db_path, "rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
    os.chmod(target, 0o600)
    return target


def _set_aside(db_path: Path) -> Path:
    """Rename a live file that the key does not open (and its WAL/SHM/journal) out of the way.

    Nothing is deleted: it is encrypted, and it may hold data under another
    key. Its sidecar files move with it, so that they are never applied to the
    restored file.
    """
    target = _stamped(db_path)
    for suffix in ("-wal", "-shm", "-journal"):
        side = Path(str(db_path) + suffix)
        if side.exists():
            os.replace(side, Path(str(target) + suffix))
    os.replace(db_path, target)
    return target


def _take_over(db_path: Path, key: Key) -> Any:
    """Merge the live database's WAL, take it exclusively; return the open connection.

    Returns None when the live file does not open with this key (damaged, or
    encrypted with another key): the caller then sets it aside.
    """
    try:
        conn = open_raw(db_path, key)
    except KeyFailure:
        return None
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if str(mode).lower() != "delete":
            raise DatabaseError("locked")
        conn.execute("BEGIN EXCLUSIVE")
    except Exception:  # noqa: BLE001
        conn.close()
        raise DatabaseError(
            f"{db_path} is in use by another process; close every other vetcards process "
            "(and cron jobs) and run restore again. Nothing was changed"
        ) from None
    return conn
