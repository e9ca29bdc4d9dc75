"""Key rotation (SPEC §6): ``vetcards rekey``.

rekey
    SQLCipher's ``PRAGMA rekey`` re-encrypts every page in ONE write
    transaction. We run it in rollback-journal mode (the database is switched
    from WAL to DELETE for the rekey and back to WAL after it), because then
    the switch of keys is atomic on disk and the file is self-contained at
    every moment (measured: in WAL mode a crash after the commit leaves the
    new-key pages in the WAL and the old-key pages in the main file, so
    ``cipher_integrity_check`` fails until a checkpoint). Leaving WAL mode also
    needs exclusive access: while another process has the database open the
    switch fails and the rekey is refused with nothing changed.

    What an interruption (crash, SIGKILL, power loss) leaves, precisely:

    * before the commit (``<db>-journal`` still on disk, a "hot journal"): the
      next open, with any key, rolls the journal back first; the database is
      then exactly as before and opens with the OLD key only;
    * after the commit (the journal is deleted in one step): the database
      opens with the NEW key only.

    A new key file is written first to ``<new key file>.pending`` (mode 0600,
    fsynced) and renamed to its name only after the rekey committed. If a
    rekey is killed between the commit and the rename, the new key is in the
    ``.pending`` file; ``rekey`` refuses to run while one exists and says what
    to do, and ``doctor`` reports it.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from . import keys
from .db import EXCLUSIVE_WAIT_MS, quote_pragma
from .errors import DatabaseError, KeyFailure, UsageError
from .files import fsync_dir
from .keys import Key

if TYPE_CHECKING:  # pragma: no cover
    from .db import Database

#: Minimum length of a new passphrase (as ``init``).
MIN_PASSPHRASE = keys.MIN_PASSPHRASE


def pending_key_file(key_file: Path) -> Path:
    """Where a new key file waits until the rekey committed."""
    return Path(str(Path(key_file).expanduser()) + ".pending")


def check_new_passphrase(passphrase: Optional[str]) -> str:
    return keys.check_new_passphrase(passphrase, "new passphrase", then="nothing changed")


def _write_pending(path: Path) -> tuple[Path, Key]:
    pending = pending_key_file(path)
    secret = secrets.token_hex(32)
    try:
        fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFailure(_pending_message(pending, path)) from None
    except OSError as exc:
        raise KeyFailure(f"cannot create key file {pending}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (secret + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(pending.parent)
    return pending, Key(secret=secret, raw=True, source="--new-key-file")


def _pending_message(pending: Path, final: Path) -> str:
    return (
        f"{pending} exists: a rekey was interrupted after writing it. If the database opens "
        f"with it (vetcards --key-file {pending} doctor), rename it to {final}; if the old key "
        f"still opens the database, delete it. Nothing was changed"
    )


@dataclass
class RekeyResult:
    old: str                     # "key file" | "passphrase"
    new: str
    key_file: Optional[Path]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"old_key": self.old, "new_key": self.new,
                "key_file": str(self.key_file) if self.key_file else None,
                "seconds": round(self.seconds, 3)}


def _kind(key: Key) -> str:
    return "key file" if key.raw else "passphrase"


def rekey(
    database: Database,
    old_key: Key,
    *,
    new_key_file: Optional[Path] = None,
    new_passphrase: Optional[str] = None,
    current_key_file: Optional[Path] = None,
    actor: str = "unknown",
) -> tuple[Database, RekeyResult]:
    """Re-encrypt ``database`` with a new key; returns the reopened database and a summary.

    Exactly one of ``new_key_file`` (a new random key, written there) and
    ``new_passphrase``. ``new_key_file`` may name the key file in use
    (``current_key_file``): it is then replaced after the rekey committed;
    any other existing file is refused. ``database`` is closed.
    """
    from .db import open_database

    if (new_key_file is None) == (new_passphrase is None):
        raise UsageError("give exactly one of --new-key-file PATH and --new-passphrase")
    started = time.monotonic()
    path = Path(database.path)
    pending: Optional[Path] = None
    if new_key_file is not None:
        new_key_file = Path(new_key_file).expanduser()
        if new_key_file.is_dir():
            raise KeyFailure(f"{new_key_file} is a directory, not a key file")
        if new_key_file.exists():
            same = current_key_file is not None and Path(current_key_file).expanduser().exists() \
                and os.path.samefile(new_key_file, Path(current_key_file).expanduser())
            if not same:
                raise KeyFailure(f"key file already exists, not overwritten: {new_key_file}")
        if pending_key_file(new_key_file).exists():
            raise KeyFailure(_pending_message(pending_key_file(new_key_file), new_key_file))
        if not new_key_file.parent.is_dir():
            raise KeyFailure(f"cannot create key file {new_key_file}: no such directory")
    else:
        check_new_passphrase(new_passphrase)
    if current_key_file is not None and pending_key_file(current_key_file).exists():
        raise KeyFailure(_pending_message(pending_key_file(current_key_file), Path(current_key_file)))

    raw = database.engine.raw_connection()
    conn: Any = raw.driver_connection
    switched = False
    rekeyed = False
    try:
        conn.execute(f"PRAGMA busy_timeout = {EXCLUSIVE_WAIT_MS}")
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except Exception:  # noqa: BLE001
            mode = "wal"
        if str(mode).lower() != "delete":
            raise DatabaseError(
                f"{path} is in use by another process; close every other vetcards process "
                "(and cron jobs) and run rekey again. Nothing was changed"
            )
        switched = True
        if new_key_file is not None:
            pending, new_key = _write_pending(new_key_file)
        else:
            new_key = Key(secret=new_passphrase or "", raw=False, source="--new-passphrase")
        try:
            conn.execute(f"PRAGMA rekey = {quote_pragma(new_key.pragma_value())}").fetchall()
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        except Exception as exc:  # noqa: BLE001
            raise DatabaseError(f"rekey failed ({type(exc).__name__}); the old key still opens {path}") from None
        rekeyed = True
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
    except BaseException:
        if pending is not None and not rekeyed:
            try:
                os.unlink(pending)
            except OSError:
                pass
        if switched and not rekeyed:
            try:
                conn.execute("PRAGMA journal_mode = WAL").fetchall()
            except Exception:  # noqa: BLE001
                pass
        raise
    finally:
        raw.close()
        database.close()

    if pending is not None and new_key_file is not None:
        os.replace(pending, new_key_file)
        os.chmod(new_key_file, 0o600)
        fsync_dir(new_key_file.parent)
    new_db = open_database(path, new_key, write=True)
    from . import audit

    with new_db.unit(actor, write=True) as uow:
        audit.record(uow, "rekey", "database", [], {"old": "raw" if old_key.raw else "passphrase",
                                                    "new": "raw" if new_key.raw else "passphrase"})
        uow.commit()
    return new_db, RekeyResult(_kind(old_key), _kind(new_key), new_key_file, time.monotonic() - started)
