"""Encrypted backups (SPEC §6): ``backup``; and the WAL checkpoint after erase and purge.

backup
    SQLite's online backup API copies a consistent snapshot (one read
    transaction: committed data only, writers in WAL mode go on) page by page
    into a new file encrypted with the same key or another one (SQLCipher
    supports encrypted-to-encrypted backup with the same cipher settings). The
    copy gets an audit entry ``backup`` holding ``taken_at`` (the moment
    before the snapshot), is checked with ``cipher_integrity_check`` and
    ``integrity_check`` and only then linked to its name (never overwriting).

A backup holds the ledger key (:mod:`vetcards.ledger`) when the database
had one (made by its first erase). Restore is :mod:`vetcards.restore`.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .db import check_file, is_plain_sqlite, open_raw, raw_connect
from .errors import Conflict, DatabaseError
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


def private_temp(beside: Path, suffix: str, failure: str) -> Path:
    """An empty mode-0600 file ``.<name>.XXXX<suffix>`` in the folder of ``beside`` (same file system)."""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{beside.name}.", suffix=suffix, dir=beside.parent)
    except OSError as exc:
        raise DatabaseError(f"{failure}: {exc.strerror}") from None
    os.close(fd)
    os.chmod(tmp_name, 0o600)
    return Path(tmp_name)


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
    from . import audit, audit_head
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
    tmp = private_temp(out, ".partial", f"cannot write {out}")
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
        copy.anchor = None  # a backup needs no audit head (restore writes the head of what it restores)
        try:
            with copy.unit(actor) as uow:
                audit.record(uow, "backup", "database", [], {"taken_at": taken_at})
                audit_head.unmark(uow)  # checked as it is, not against the source's head
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


#: How long (ms) the checkpoint after erase and purge waits for other programs' reads to end.
CHECKPOINT_WAIT_MS = 1000


def checkpoint_wal(uow: UnitOfWork) -> bool:
    """``PRAGMA wal_checkpoint(TRUNCATE)`` after a committed erase or purge (SPEC §6).

    Copies the WAL into the database file (where ``secure_delete`` has
    zeroed the deleted rows) and truncates it, so erased data does not linger
    in ``-wal``. Returns False when another connection's open read kept part
    of the WAL (it is then checkpointed by a later writer; ``doctor`` says so).
    """
    from .db import BUSY_TIMEOUT_MS

    raw: Any = uow.conn.connection.driver_connection
    # TRUNCATE waits (busy handler) for every reader to leave the WAL: a program
    # holding a read open would hold the command for the whole busy timeout.
    raw.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
    try:
        row = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except Exception:  # noqa: BLE001 - busy or locked: report, the commit stands
        return False
    finally:
        raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return row is not None and int(row[0]) == 0
