"""The audit head: the audit log's latest entry, kept outside the database (SPEC §5, §6; issue 12).

The audit log is a hash chain inside the database, so on its own it cannot
show that its *last* entries are gone: a database put back from an older copy,
or shortened by someone with the key, is a shorter chain that verifies. The
erasure ledger (:mod:`vetcards.ledger`) anchors the log at each erase, restore
and repair; the audit head closes the gap after the last anchor. It is one
small file beside the database, ``<db path>.audit-head``::

    {"v":1,"id":1234,"hash":"<audit hash of entry 1234>","ts":"<its time>","mac":"<HMAC-SHA256>"}

* ``mac`` is HMAC-SHA256 (stdlib :mod:`hmac`) over the canonical JSON of the
  other fields, under the ledger key kept only inside the encrypted database
  (the same key as the erasure ledger's; created here when the database has
  none yet). Without the database key nobody can write a head that verifies.
* It moves forward with committed writes: :class:`Anchor` (one per open
  :class:`~vetcards.db.Database`) writes it after the commit of a unit of
  work that added audit entries, at most once every :data:`INTERVAL` seconds,
  and the last time when the database is closed (the end of a command, the
  end or lock of ``vetcards shell``). A head is never written before its
  entry is committed, so it is never ahead of the database; it may lag behind
  (a killed process, a burst of writes), which is harmless.
* It is replaced atomically (a private temp file, fsync, ``rename``), mode
  0600, and read with ``O_NOFOLLOW``: a symbolic link is refused.
* The database records since when it keeps a head (``practice_setting``
  ``audit_head_since``), so a head that was deleted is reported, not taken for
  a database from before this version.

:func:`check` (``doctor``, ``audit verify``, ``restore``) finds: the head's
entry missing from the log, or there with other contents ("audit log
shortened or database rolled back since DATE"), and a head that is missing,
edited, damaged, symlinked or made under another key. A head that does not
fit is never overwritten by ordinary writes (the evidence stays until
``doctor --repair`` or ``restore`` re-anchors it, after saying what was lost).
"""

from __future__ import annotations

import hmac
import json
import os
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .errors import DatabaseError
from .ledger import KEY_SETTING, _mac, key_from_setting  # one key and one MAC rule for the ledger and the head

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

__all__ = ["INTERVAL", "SUFFIX", "Anchor", "AuditHeadProblem", "Head", "check", "head_path_for", "prepare",
           "unmark", "write_now"]

SUFFIX = ".audit-head"
VERSION = 1
SINCE_SETTING = "audit_head_since"
#: At most one head write a second per open database (the last one when it is closed).
INTERVAL = 1.0

#: ``query(sql, params)`` -> rows: a raw DB-API connection or a unit of work, the same SQL.
Query = Callable[[str, tuple[Any, ...]], list[Any]]


class AuditHeadProblem(DatabaseError):
    """The audit head and the database do not agree (or the head cannot be trusted): one line."""


@dataclass(frozen=True)
class Head:
    id: int
    hash: str
    ts: str

    @property
    def when(self) -> str:
        """The entry's time for people: ``2026-12-02 07:10 UTC``."""
        try:
            moment = datetime.fromisoformat(self.ts).astimezone(UTC)
        except ValueError:
            return self.ts
        return moment.strftime("%Y-%m-%d %H:%M UTC")


def head_path_for(db_path: Optional[Path | str]) -> Optional[Path]:
    """``<db path>.audit-head`` (None for an in-memory database)."""
    if not db_path or str(db_path) == ":memory:":
        return None
    return Path(str(db_path) + SUFFIX)


def _read_bytes(path: Path) -> Optional[bytes]:
    """The head file's bytes (None: there is none); never through a link, only a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if os.path.islink(path):
            raise AuditHeadProblem(f"audit head {path} is a symbolic link: refused, never followed") from None
        raise AuditHeadProblem(f"audit head {path} cannot be read ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise AuditHeadProblem(f"audit head {path} is not a regular file: refused")
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def read(path: Path, key: Optional[bytes]) -> Optional[Head]:
    """The verified head at ``path`` (None when there is none). Raises :class:`AuditHeadProblem`."""
    raw = _read_bytes(path)
    if raw is None:
        return None
    if key is None:
        raise AuditHeadProblem(f"audit head {path} exists but the database holds no key for it: the database "
                               "was rolled back to before its first audit head, or the head belongs to another "
                               "database")
    try:
        data = json.loads(raw.decode("ascii"))
        ok = (isinstance(data, dict) and data.get("v") == VERSION and isinstance(data.get("mac"), str)
              and hmac.compare_digest(_mac(key, data), data["mac"]))
        head = Head(int(data["id"]), str(data["hash"]), str(data["ts"])) if ok else None
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        head = None
    if head is None:
        raise AuditHeadProblem(f"audit head {path} was edited or is damaged (it fails its MAC), or belongs to "
                               "another database")
    return head


def _write(path: Path, key: bytes, head: Head) -> None:
    """Replace the head file atomically: a private temp file beside it, fsync, rename (a link is replaced,
    never followed)."""
    data: dict[str, Any] = {"v": VERSION, "id": head.id, "hash": head.hash, "ts": head.ts}
    data["mac"] = _mac(key, data)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            os.write(fd, (json.dumps(data, separators=(",", ":")) + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# --------------------------------------------------------------------------
# What the database says
# --------------------------------------------------------------------------


def _setting(query: Query, name: str) -> Optional[str]:
    rows = query("SELECT value FROM practice_setting WHERE key = ?", (name,))
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def _key(query: Query) -> Optional[bytes]:
    return key_from_setting(_setting(query, KEY_SETTING), AuditHeadProblem)


def _last(query: Query) -> Optional[Head]:
    rows = query("SELECT id, hash, ts FROM audit_log ORDER BY id DESC LIMIT 1", ())
    return Head(int(rows[0][0]), str(rows[0][1]), str(rows[0][2])) if rows else None


def _raw_query(conn: Any) -> Query:
    return lambda sql, params: conn.execute(sql, params).fetchall()


def _unit_query(uow: UnitOfWork) -> Query:
    return lambda sql, params: list(uow.exec_driver_sql(sql, params).fetchall())


@dataclass(frozen=True)
class Found:
    """What :func:`check` found: ``problem`` (one line) or ``summary`` (OK)."""

    problem: Optional[str]
    summary: str
    head: Optional[Head] = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _check(query: Query, path: Path) -> Found:
    try:
        key = _key(query)
        head = read(path, key)
    except AuditHeadProblem as exc:
        return Found(exc.message, "")
    if head is None:
        since = _setting(query, SINCE_SETTING)
        if since:
            return Found(f"audit head {path} is missing (deleted?), though the database has kept one since "
                     f"{since[:10]}: a rollback of the database cannot be seen without it", "")
        return Found(None, "no audit head yet (written with the next change)")
    rows = query("SELECT hash FROM audit_log WHERE id = ?", (head.id,))
    if not rows or rows[0][0] != head.hash:
        what = "lacks" if not rows else "holds with other contents"
        return Found(f"audit log shortened or database rolled back since {head.when}: the audit head "
                     f"({path.name}) records entry {head.id}, which the log {what}", "", head)
    return Found(None, f"audit head at entry {head.id} ({head.when}) is in the log", head)


def check(uow: UnitOfWork, path: Optional[Path] = None) -> Found:
    """Check the head of the database of ``uow`` (or the head at ``path``) against its audit log."""
    path = path or head_path_for(uow.path)
    if path is None:
        return Found(None, "in-memory database: no audit head")
    return _check(_unit_query(uow), Path(path))


# --------------------------------------------------------------------------
# Keeping it
# --------------------------------------------------------------------------


def prepare(uow: UnitOfWork) -> tuple[bytes, bool]:
    """In the caller's transaction (before its commit): the ledger key (created when missing) and the
    mark that this database keeps an audit head. Returns (key, True when the mark was set now)."""
    from . import ledger

    key = ledger.ensure_key(uow, commit=False)
    query = _unit_query(uow)
    created = _setting(query, SINCE_SETTING) is None
    if created:
        ledger.put_setting(uow, SINCE_SETTING, datetime.now(UTC).isoformat(timespec="seconds"))
    return key, created


def unmark(uow: UnitOfWork) -> None:
    """In the caller's transaction: this database keeps no audit head (a backup copy, which has none
    beside it; ``restore`` marks what it restores again and writes its head)."""
    uow.exec_driver_sql("DELETE FROM practice_setting WHERE key = ?", (SINCE_SETTING,))


def _anchor(query: Query, path: Path, key: bytes, *, force: bool, created: bool) -> Optional[str]:
    """Write the head at the log's last entry, unless the current head does not fit (then it is kept as
    evidence and its problem returned), or is already there. ``force``: write whatever is there."""
    last = _last(query)
    if last is None:
        return None
    if not force:
        found = _check(query, path)
        if not found.ok:
            # Kept as evidence, unless this database starts its head now (``created``) and the file there
            # is none of its own (missing, or not verifying under its key: left by another database).
            if not created or found.head is not None:
                return found.problem
        elif found.head is not None and found.head.id >= last.id:
            return None
    _write(path, key, last)
    return None


def write_now(conn: Any, db_path: Path, *, force: bool = True) -> Optional[str]:
    """Write the head of the database at ``db_path`` from a raw connection now (``restore`` after its swap,
    ``doctor --repair``); the database must have been :func:`prepare`-d. Returns a problem that kept the
    old head (only without ``force``)."""
    path = head_path_for(db_path)
    assert path is not None
    query = _raw_query(conn)
    key = _key(query)
    if key is None:
        raise AuditHeadProblem("the database has no ledger key: the audit head cannot be written")
    return _anchor(query, path, key, force=force, created=False)


class Anchor:
    """The audit head of one open database: moved after commits (throttled) and at close.

    :meth:`before_commit` runs in the committing transaction when it added
    audit entries; :meth:`after_commit` right after the commit; :meth:`close`
    writes what is still pending. A head that does not fit the database when
    this process first writes (rolled back, shortened, edited, missing) is
    left as it is (``frozen``): the evidence stays for ``doctor``.
    """

    def __init__(self, db_path: Path) -> None:
        path = head_path_for(db_path)
        assert path is not None
        self.path = path
        self.key: Optional[bytes] = None
        self.created = False
        self.frozen: Optional[str] = None
        self.pending = False
        self.force = False
        #: seconds between two head writes of this process (the rest is written at close)
        self.interval = INTERVAL
        self._last_write: Optional[float] = None

    def before_commit(self, uow: UnitOfWork) -> None:
        if self.key is None:
            self.key, self.created = prepare(uow)

    def after_commit(self, driver_conn: Any) -> None:
        if self.frozen is not None and not self.force:
            return
        if not self.force and self._last_write is not None and time.monotonic() - self._last_write < self.interval:
            self.pending = True
            return
        self._write(driver_conn)

    def _write(self, driver_conn: Any) -> None:
        assert self.key is not None
        self.frozen = _anchor(_raw_query(driver_conn), self.path, self.key, force=self.force,
                              created=self.created)
        self.force = False
        self.created = False
        self.pending = False
        self._last_write = time.monotonic()

    def close(self, driver_conn: Any) -> None:
        if self.pending and self.frozen is None and self.key is not None:
            self._write(driver_conn)

