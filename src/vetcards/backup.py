"""Encrypted backups and restore with erasure replay (SPEC §5, §6): ``backup`` and ``restore``.

backup
    SQLite's online backup API copies a consistent snapshot (one read
    transaction: committed data only, writers in WAL mode go on) page by page
    into a new file encrypted with the same key or another one (SQLCipher
    supports encrypted-to-encrypted backup with the same cipher settings). The
    copy gets an audit entry ``backup`` holding ``taken_at`` (the moment
    before the snapshot), is checked with ``cipher_integrity_check`` and
    ``integrity_check`` and only then linked to its name (never overwriting).

restore
    Checks that the backup opens with the key and passes both checks, copies
    it to a working file next to the database, re-applies every erasure in the
    erasure ledger (``<db>.erasures``, see :mod:`vetcards.ledger`) made at or
    after the backup's ``taken_at``, and only then replaces the database.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .db import check_file, is_plain_sqlite, open_raw, raw_connect, raw_schema_version
from .errors import Conflict, DatabaseError, KeyFailure
from .files import fsync_dir
from .keys import Key

if TYPE_CHECKING:  # pragma: no cover
    from .db import Database, UnitOfWork


def _unlink_quietly(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(str(path) + suffix)
        except OSError:
            pass


def _seal_and_check(path: Path, key: Key) -> tuple[list[str], list[str], int]:
    """Make a fresh copy one self-contained file (journal mode DELETE), then check it:
    ``cipher_integrity_check`` and ``integrity_check`` problems, and its number of clients."""
    conn = open_raw(path, key)
    try:
        conn.execute("PRAGMA journal_mode = DELETE").fetchall()
        cipher, integrity = check_file(conn)
        clients = int(conn.execute("SELECT count(*) FROM client").fetchone()[0])
    finally:
        conn.close()
    return cipher, integrity, clients


def _record(database: Database, action: str, details: dict[str, Any], actor: str) -> None:
    """One audit entry in ``database`` about the file itself, in a writing unit of its own."""
    from . import audit

    with database.unit(actor, write=True) as uow:
        audit.record(uow, action, "database", [], details)
        uow.commit()


@dataclass
class BackupResult:
    path: Path
    taken_at: str
    bytes: int
    clients: int
    same_key: bool
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"backup": str(self.path), "taken_at": self.taken_at, "bytes": self.bytes,
                "clients": self.clients, "key": "same" if self.same_key else "other",
                "checks": "ok", "seconds": round(self.seconds, 3)}


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def backup(database: Database, key: Key, out: Path, *, out_key: Optional[Key] = None,
           actor: str = "unknown") -> BackupResult:
    """Write an encrypted, checked, consistent copy of ``database`` to ``out`` (never overwritten)."""
    from . import audit
    from .db import open_database

    started = time.monotonic()
    out = Path(out).expanduser()
    if out.exists():
        raise Conflict(f"{out} exists; not overwritten")
    if not out.parent.is_dir():
        raise DatabaseError(f"cannot write {out}: no such directory")
    try:
        if out.resolve() == Path(database.path).resolve():
            raise Conflict("the backup must not be the database itself")
    except OSError:
        pass
    out_key = out_key or key
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    except OSError as exc:
        raise DatabaseError(f"cannot write {out}: {exc.strerror}") from None
    os.close(fd)
    os.chmod(tmp_name, 0o600)
    tmp = Path(tmp_name)
    taken_at = _now_iso()
    try:
        # 1. The snapshot: one read transaction of the source, copied in one step.
        raw = database.engine.raw_connection()
        try:
            src: Any = raw.driver_connection
            dst = raw_connect(tmp, out_key)
            try:
                src.backup(dst, pages=-1)
            finally:
                dst.close()
        except Exception as exc:  # noqa: BLE001
            raise DatabaseError(f"backup failed ({type(exc).__name__}); nothing was written") from None
        finally:
            raw.close()
        # 2. Record in the copy when it was taken (restore reads it back).
        copy = open_database(tmp, out_key, write=True)
        try:
            with copy.unit(actor) as uow:
                audit.record(uow, "backup", "database", [], {"taken_at": taken_at})
                uow.commit()
        finally:
            copy.close()
        # 3. One self-contained file, then the checks.
        cipher, integrity, clients = _seal_and_check(tmp, out_key)
        if cipher or integrity or is_plain_sqlite(tmp):
            raise DatabaseError("the backup copy failed its integrity checks; nothing was written")
        for suffix in ("-journal", "-wal", "-shm"):
            if os.path.exists(str(tmp) + suffix):
                raise DatabaseError("the backup copy is not self-contained; nothing was written")
        # 4. Publish under its name, never overwriting.
        try:
            os.link(tmp, out)
        except FileExistsError:
            raise Conflict(f"{out} exists; not overwritten") from None
        except OSError as exc:
            raise DatabaseError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        _unlink_quietly(tmp)
    fsync_dir(out.parent)
    # The source's own audit entry, through a writer (waits for another writer).
    writer = database if database.write else open_database(Path(database.path), key, write=True)
    try:
        _record(writer, "backup", {"taken_at": taken_at, "key": "same" if out_key == key else "other"}, actor)
    finally:
        if writer is not database:
            writer.close()
    return BackupResult(out, taken_at, out.stat().st_size, int(clients), out_key == key,
                        time.monotonic() - started)


# --------------------------------------------------------------------------
# restore
# --------------------------------------------------------------------------


@dataclass
class RestoreResult:
    database: Path
    backup: Path
    taken_at: Optional[str]
    replayed: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    ledger_entries: int = 0
    seconds: float = 0.0
    set_aside: Optional[Path] = None

    def as_dict(self) -> dict[str, Any]:
        return {"database": str(self.database), "backup": str(self.backup), "taken_at": self.taken_at,
                "ledger_entries": self.ledger_entries, "erasures_reapplied": list(self.replayed),
                "erasures_already_in_backup": list(self.already_gone),
                "previous_file_kept_as": str(self.set_aside) if self.set_aside else None,
                "seconds": round(self.seconds, 3)}


def _parse_ts(value: str) -> datetime:
    text = str(value).strip().replace("Z", "+00:00")
    ts = datetime.fromisoformat(text)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts


def backup_taken_at(conn: Any) -> Optional[str]:
    """``taken_at`` of the newest ``backup`` entry in a backup's audit log (raw connection)."""
    import json

    row = conn.execute(
        "SELECT details, ts FROM audit_log WHERE action = 'backup' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    try:
        return json.loads(row[0] or "{}").get("taken_at") or row[1]
    except ValueError:
        return row[1]


def erasures_to_replay(ledger: list[dict[str, Any]], taken_at: Optional[str]) -> list[dict[str, Any]]:
    """Ledger entries made at or after ``taken_at`` (all of them when it is unknown).

    The ledger's times are whole seconds (rounded down), so the bound is the
    second ``taken_at`` falls in: an erasure in that second is re-applied,
    which is harmless (erasing an erased client again changes nothing).
    """
    if taken_at is None:
        return list(ledger)
    bound = _parse_ts(taken_at).replace(microsecond=0)
    out = []
    for entry in ledger:
        try:
            when = _parse_ts(entry.get("erased_at", ""))
        except (ValueError, TypeError):
            out.append(entry)  # cannot tell: re-apply (erasing again is harmless)
            continue
        if when >= bound:
            out.append(entry)
    return out


def replay_erasures(uow: UnitOfWork, entries: list[dict[str, Any]], today: date,
                    actor: str = "unknown") -> tuple[list[str], list[str]]:
    """Erase again every client number in ``entries`` that the database still holds.

    Uses :mod:`vetcards.erasure`'s plan and writes (the same rules, holds
    kept restricted). A legal hold found in the restored data is older than
    the erasure the ledger records and does not stop it. No new ledger line
    is written (the ledger already has it). Returns (re-applied, already gone).
    """
    from sqlalchemy import column, func, select, table

    from . import audit, erasure
    from .errors import NotFound
    from .models import Erasure

    replayed: list[str] = []
    gone: list[str] = []
    seen: set[str] = set()
    client = table("client", column("number"))
    for entry in entries:
        number = str(entry.get("client_number", "")).strip()
        if not number or number in seen:
            continue
        seen.add(number)
        exists = uow.execute(select(func.count()).select_from(client).where(client.c.number == number)).scalar()
        try:
            plan = erasure.plan_erasure(uow, number, today) if exists else None
        except NotFound:
            plan = None
        if plan is None:
            gone.append(number)
            continue
        erasure.apply_plan(uow, plan)
        erased_at = _parse_ts(entry.get("erased_at") or _now_iso())
        uow.add(Erasure(client_number=number, erased_at=erased_at,
                            verified_by="ledger replay after restore", id_document="unknown"))
        details: dict[str, Any] = dict(plan.erased)
        details.update({"replayed": 1, "kept_client_card": int(plan.claim_hold),
                        "legal_hold_overridden": int(plan.legal_hold)})
        audit.record(uow, "erase", "client", [number], details, actor=actor)
        replayed.append(number)
    return replayed, gone


def restore(db_path: Path, key: Key, backup_path: Path, *, actor: str = "unknown",
            today: Optional[date] = None, ledger_path: Optional[Path] = None) -> RestoreResult:
    """Replace the database at ``db_path`` with ``backup_path``, then re-apply later erasures."""
    from . import audit
    from .db import SCHEMA_HEAD, open_database
    from .ledger import ledger_path_for, read_ledger

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
    ledger_path = Path(ledger_path) if ledger_path else ledger_path_for(db_path)
    ledger = read_ledger(ledger_path) if ledger_path else []

    # 1. The backup must open with the key and pass both checks.
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

    # 2. A working copy next to the database (same file system: atomic rename).
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise DatabaseError(f"cannot create {db_path.parent}: {exc.strerror}") from None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{db_path.name}.", suffix=".restoring", dir=db_path.parent)
    except OSError as exc:
        raise DatabaseError(f"cannot write next to {db_path}: {exc.strerror}") from None
    os.close(fd)
    os.chmod(tmp_name, 0o600)
    tmp = Path(tmp_name)
    result = RestoreResult(db_path, backup_path, taken_at, ledger_entries=len(ledger))
    live: Any = None
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
        # 3. Re-apply later erasures and record the restore, in one transaction.
        work = open_database(tmp, key, write=True)
        try:
            with work.unit(actor) as uow:
                todo = erasures_to_replay(ledger, taken_at)
                result.replayed, result.already_gone = replay_erasures(uow, todo, today, actor)
                audit.record(uow, "restore", "database", result.replayed,
                             {"taken_at": taken_at, "reapplied": len(result.replayed),
                              "ledger_entries": len(ledger)}, actor=actor)
                uow.commit()
        finally:
            work.close()
        cipher, integrity, _clients = _seal_and_check(tmp, key)
        if cipher or integrity:
            raise DatabaseError("the restored copy failed its integrity checks; the database was not replaced")

        # 4. Swap it in. The live database must be ours alone, its WAL merged.
        if db_path.exists():
            live = _take_over(db_path, key)
            if live is None:
                result.set_aside = _set_aside(db_path)
        os.replace(tmp, db_path)
        os.chmod(db_path, 0o600)
        fsync_dir(db_path.parent)
    finally:
        if live is not None:
            try:
                live.close()
            except Exception:  # noqa: BLE001
                pass
        _unlink_quietly(tmp)
    final = open_database(db_path, key)
    final.close()
    result.seconds = time.monotonic() - started
    return result


def _set_aside(db_path: Path) -> Path:
    """Rename a live file that the key does not open (and its WAL/SHM/journal) out of the way.

    Nothing is deleted: it is encrypted, and it may hold data under another
    key. Its sidecar files move with it, so that they are never applied to the
    restored file.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = db_path.with_name(f"{db_path.name}.replaced-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = db_path.with_name(f"{db_path.name}.replaced-{stamp}-{n}")
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
