"""The erasure ledger (SPEC §5 "Erasures survive a backup restore", §6).

A file kept apart from the database, next to it: ``<db path>.erasures``.
JSON lines, UTF-8, mode 0600, append-only. Since version 2 every line is
authenticated::

    {"v":2,"event":"erase","client_number":"K000012","erased_at":"2026-11-27T10:15:03Z",
     "anchor":"<audit hash>","prev":"<MAC of the line before>","mac":"<HMAC-SHA256>"}

* ``mac`` is HMAC-SHA256 (stdlib :mod:`hmac`) over the canonical JSON of the
  other fields, under a random 256-bit *ledger key* kept only inside the
  encrypted database (``practice_setting`` row ``ledger_key``, never shown by
  ``practice show``). Without the database key nobody can write a line that
  verifies.
* ``prev`` chains each line to the one before (the first authenticated line
  to :data:`GENESIS`, or to a SHA-256 of the old unauthenticated lines before
  it), so removing, reordering or inserting a line breaks the chain.
* ``anchor`` is the audit log's latest hash at that moment (the line's own
  audit entry): the database also records the MAC of the last line it wrote
  (``ledger_head``, in the same transaction), and that line's anchor must be
  in the audit log. So a shortened or emptied ledger, a shortened audit log,
  and a database rolled back behind its ledger are each detected.
* ``event`` is ``erase`` (client number and UTC time, nothing else), or
  ``restore`` / ``repair`` / ``backup`` (an anchor line, no client number).

Version 1 lines (``{"v":1,"client_number":...,"erased_at":...}``, no MAC) of
older ledgers are read as a *legacy prefix* only: before the first
authenticated line (which then seals them with its ``prev``), each confirmed
by an ``erasure`` row of the database, never dated in the future. A v1 line
after an authenticated one is a forgery.

Write-ahead: :func:`append` writes and fsyncs the line *before* the erasure
commits (and records the line as the database's head in the same
transaction), so no crash can lose an erasure. A line whose erasure did not
commit is harmless: :func:`inspect` reports it ("the database lacks it") and
``doctor --repair`` or ``restore`` re-apply it (client numbers are never
reused, and erasing again only does what was asked).

The file is never followed when it is a symbolic link (``O_NOFOLLOW``) and
must be a regular file; appends hold an exclusive ``flock``.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .errors import DatabaseError

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

__all__ = ["GENESIS", "Ledger", "LedgerCheck", "LedgerError", "LedgerTampered", "Line", "append",
           "ensure_key", "inspect", "key_from_setting", "ledger_key", "ledger_path_for", "load", "read_ledger"]

GENESIS = "0" * 64
VERSION = 2
KEY_SETTING = "ledger_key"
HEAD_SETTING = "ledger_head"
EVENTS = ("erase", "restore", "repair", "backup")
_LEGACY_SEAL = b"vetcards erasure ledger v1 prefix\n"
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode


class LedgerError(DatabaseError):
    """The ledger could not be written: nothing was erased."""


class LedgerTampered(DatabaseError):
    """The ledger (or the database beside it) fails its checks: one line saying what was found."""


def ledger_path_for(db_path: Optional[Path | str]) -> Optional[Path]:
    """``<db path>.erasures`` (None for an in-memory database)."""
    if not db_path or str(db_path) == ":memory:":
        return None
    return Path(str(db_path) + ".erasures")


def _parse_time(value: Any) -> Optional[datetime]:
    try:
        ts = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except (ValueError, TypeError):
        return None
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def now_text(now: Optional[datetime] = None) -> str:
    """A ledger time: UTC, whole seconds, ``Z``."""
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return now.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    number: int                 # 1-based line number in the file
    data: dict[str, Any]
    legacy: bool                # a v1 line (no MAC)

    @property
    def event(self) -> str:
        return str(self.data.get("event", "erase"))

    def _text(self, name: str) -> Optional[str]:
        value = self.data.get(name)
        return str(value) if value is not None else None

    @property
    def client_number(self) -> Optional[str]:
        return self._text("client_number")

    @property
    def erased_at(self) -> Optional[str]:
        return self._text("erased_at")

    @property
    def anchor(self) -> Optional[str]:
        return self.data.get("anchor")

    @property
    def mac(self) -> Optional[str]:
        return self.data.get("mac")


@dataclass
class Ledger:
    path: Path
    lines: list[Line] = field(default_factory=list)
    exists: bool = False
    raw: bytes = b""

    @property
    def legacy(self) -> list[Line]:
        return [line for line in self.lines if line.legacy]

    @property
    def sealed(self) -> bool:
        """The legacy prefix (if any) is covered by an authenticated line."""
        return any(not line.legacy for line in self.lines)

    @property
    def erasures(self) -> list[Line]:
        return [line for line in self.lines if line.event == "erase"]

    @property
    def head(self) -> str:
        """What the next line's ``prev`` must be."""
        for line in reversed(self.lines):
            if not line.legacy:
                return str(line.mac)
        return _legacy_digest(self.raw, self.lines) if self.lines else GENESIS

    def find_mac(self, mac: str) -> Optional[Line]:
        return next((line for line in self.lines if line.mac == mac), None)


def _legacy_digest(raw: bytes, lines: list[Line]) -> str:
    """SHA-256 of the legacy prefix's lines, byte for byte (what the first authenticated line's ``prev``
    seals); blank lines and the line endings do not count."""
    count = sum(1 for line in lines if line.legacy)
    kept = [chunk + b"\n" for chunk in raw.splitlines() if chunk.strip()][:count]
    return hashlib.sha256(_LEGACY_SEAL + b"".join(kept)).hexdigest()


def _mac(key: bytes, data: dict[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k != "mac"}
    return hmac.new(key, _CANONICAL(body).encode("ascii"), hashlib.sha256).hexdigest()


def _open(path: Path, flags: int) -> int:
    """Open the ledger itself, never a link's target; refuse anything but a regular file."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError:
        if os.path.islink(path):
            raise LedgerTampered(f"erasure ledger {path} is a symbolic link: refused, never followed "
                                 "(put the real ledger file there)") from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise LedgerTampered(f"erasure ledger {path} is not a regular file: refused")
    return fd


def _read_fd(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def read_bytes(path: Path) -> Optional[bytes]:
    """The ledger file's bytes (None when there is none); never through a link."""
    try:
        fd = _open(Path(path), os.O_RDONLY)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LedgerTampered(f"erasure ledger {path} cannot be read ({exc.strerror})") from None
    try:
        return _read_fd(fd)
    finally:
        os.close(fd)


def _decoded(path: Path, raw: bytes) -> Iterator[tuple[int, Any]]:
    """(line number, JSON value) of each non-blank line."""
    for n, chunk in enumerate(raw.splitlines(), 1):
        if not chunk.strip():
            continue
        try:
            yield n, json.loads(chunk.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise LedgerTampered(f"erasure ledger {path}: line {n} is damaged") from None


def _parse(path: Path, raw: bytes, key: Optional[bytes], now: datetime) -> Ledger:
    ledger = Ledger(Path(path), exists=True, raw=raw)
    prev: Optional[str] = None
    for n, data in _decoded(path, raw):
        if not isinstance(data, dict) or data.get("v") not in (1, VERSION):
            raise LedgerTampered(f"erasure ledger {path}: line {n} is not a ledger line")
        line = Line(n, data, legacy=data["v"] == 1)
        if line.legacy:
            if prev is not None:
                raise LedgerTampered(f"erasure ledger {path}: line {n} is an unauthenticated (v1) line after "
                                     "authenticated ones: forged, not accepted")
            when = _parse_time(line.erased_at)
            if not isinstance(data.get("client_number"), str) or when is None:
                raise LedgerTampered(f"erasure ledger {path}: line {n} has no valid client number or date")
            if when > now:
                raise LedgerTampered(f"erasure ledger {path}: line {n} (unauthenticated) is dated in the "
                                     f"future ({line.erased_at}): forged, not accepted")
        else:
            expected = _legacy_digest(raw, ledger.lines) if prev is None and ledger.lines else (prev or GENESIS)
            if key is None:
                raise LedgerTampered(f"erasure ledger {path} has authenticated lines but the database holds no "
                                     "ledger key: the database is older than its ledger (rolled back?) or the "
                                     "ledger belongs to another database")
            if not isinstance(data.get("mac"), str) or not hmac.compare_digest(_mac(key, data), data["mac"]):
                raise LedgerTampered(f"erasure ledger {path}: line {n} fails its MAC (edited or forged)")
            if data.get("prev") != expected:
                raise LedgerTampered(f"erasure ledger {path}: line {n} does not follow the line before it "
                                     "(lines removed, reordered or inserted)")
            if line.event not in EVENTS or (line.event == "erase" and (
                    not line.client_number or _parse_time(line.erased_at) is None)):
                raise LedgerTampered(f"erasure ledger {path}: line {n} is not a ledger line")
            prev = str(data["mac"])
        ledger.lines.append(line)
    return ledger


def load(path: Path, key: Optional[bytes], now: Optional[datetime] = None) -> Ledger:
    """Read and verify a ledger (MACs, chain, legacy prefix). Raises :class:`LedgerTampered`.

    A missing file is an empty ledger (``exists`` False); a symbolic link is refused.
    """
    raw = read_bytes(path)
    if raw is None:
        return Ledger(Path(path))
    return _parse(Path(path), raw, key, now or datetime.now(UTC))


def read_ledger(path: Path) -> list[dict[str, Any]]:
    """The erasure entries (client number, time) of a ledger, oldest first, MACs not checked."""
    raw = read_bytes(path) or b""
    return [{"client_number": data.get("client_number"), "erased_at": data.get("erased_at")}
            for _n, data in _decoded(Path(path), raw)
            if isinstance(data, dict) and data.get("event", "erase") == "erase"]


# --------------------------------------------------------------------------
# The key and the head, inside the database
# --------------------------------------------------------------------------


def _settings() -> Any:
    from sqlalchemy import column, table

    return table("practice_setting", column("key"), column("value"))


def _get(uow: UnitOfWork, name: str) -> Optional[str]:
    from sqlalchemy import select

    s = _settings()
    return uow.execute(select(s.c.value).where(s.c.key == name)).scalar()


def _put(uow: UnitOfWork, name: str, value: str) -> None:
    from sqlalchemy import insert, update

    s = _settings()
    if _get(uow, name) is None:
        uow.execute(insert(s).values(key=name, value=value))
    else:
        uow.execute(update(s).where(s.c.key == name).values(value=value))


def key_from_setting(value: Optional[str], problem: type[DatabaseError] = LedgerTampered) -> Optional[bytes]:
    """The ledger key from its stored form (hex, ``practice_setting`` :data:`KEY_SETTING`); None when
    there is none yet. A damaged one raises ``problem`` (the audit head raises its own error)."""
    try:
        return bytes.fromhex(value) if value else None
    except ValueError:
        raise problem("the ledger key in the database is damaged") from None


def ledger_key(uow: UnitOfWork) -> Optional[bytes]:
    """The database's ledger key, or None when it has none yet."""
    return key_from_setting(_get(uow, KEY_SETTING))


def put_setting(uow: UnitOfWork, name: str, value: str) -> None:
    """Store an internal setting (never shown by ``practice show``) in the caller's transaction."""
    _put(uow, name, value)


def ensure_key(uow: UnitOfWork, key: Optional[bytes] = None, *, commit: bool = True) -> bytes:
    """The ledger key, created (random, 256 bits) and committed on first use.

    Committed on its own, before any line is written under it, so a crash can
    never leave a line whose key was lost. Call it in a writing unit before
    its own writes (it commits). With ``key``, that key is stored instead
    (``restore`` carries the ledger's key into a backup made before it existed).
    ``commit=False``: stored in the caller's transaction (the audit head, written after the commit).
    """
    current = ledger_key(uow)
    if current is not None and (key is None or current == key):
        return current
    _put(uow, KEY_SETTING, (key or secrets.token_bytes(32)).hex())
    if not commit:
        return bytes.fromhex(str(_get(uow, KEY_SETTING)))
    uow.commit()
    result = ledger_key(uow)
    assert result is not None
    return result


def db_head(uow: UnitOfWork) -> Optional[str]:
    """The MAC of the last ledger line this database wrote (None before its first)."""
    return _get(uow, HEAD_SETTING)


# --------------------------------------------------------------------------
# Appending (write-ahead)
# --------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unwritable(path: Path, exc: OSError) -> LedgerError:
    return LedgerError(f"the erasure ledger {path} cannot be written ({exc.strerror}); nothing was changed")


def append(uow: UnitOfWork, path: Path, event: str, *, anchor: str, client_number: Optional[str] = None,
           at: Optional[str] = None, seed: Optional[bytes] = None, repair: bool = False) -> Line:
    """Write one authenticated line (fsync) and record it as the database's head (no commit).

    Called *before* the caller commits. The ledger is verified first (MACs,
    chain, head of the database, legacy lines confirmed by the ``erasure``
    table): nothing is appended to a ledger that fails, since that would seal
    a forgery. ``seed`` (bytes) starts a new ledger file with those lines
    (``restore`` to another path); ``repair`` (``doctor --repair``) appends
    to a ledger that lost the database's last line. Raises :class:`LedgerError` when the file
    cannot be written and :class:`LedgerTampered` when it fails its checks.
    """
    key = ledger_key(uow)
    if key is None:
        raise LedgerError("the database has no ledger key yet (vetcards.ledger.ensure_key first)")
    path = Path(path)
    at = at or now_text()
    try:
        created = not os.path.lexists(path)
        fd = _open(path, os.O_RDWR | os.O_CREAT)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.fchmod(fd, 0o600)
        raw = _read_fd(fd)
        if seed and not raw:
            os.write(fd, seed if seed.endswith(b"\n") else seed + b"\n")
            raw = _read_fd(fd)
        try:
            ledger = _parse(path, raw, key, datetime.now(UTC))
        except LedgerTampered as exc:
            raise LedgerTampered(exc.message + "; nothing was changed: run vetcards doctor") from None
        problems = _consistency(uow, ledger, head_check=not repair)
        if problems:
            raise LedgerTampered(problems[0] + "; nothing was changed: run vetcards doctor")
        data: dict[str, Any] = {"v": VERSION, "event": event}
        if client_number is not None:
            data.update({"client_number": client_number, "erased_at": at})
        else:
            data["at"] = at
        data.update({"anchor": anchor, "prev": ledger.head})
        data["mac"] = _mac(key, data)
        text = json.dumps(data, separators=(",", ":")) + "\n"
        if raw and not raw.endswith(b"\n"):
            text = "\n" + text
        os.lseek(fd, 0, os.SEEK_END)
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)
    _put(uow, HEAD_SETTING, data["mac"])
    return Line(len(raw.splitlines()) + 1, data, legacy=False)


# --------------------------------------------------------------------------
# Checking the ledger against the database
# --------------------------------------------------------------------------


@dataclass
class LedgerCheck:
    """What :func:`inspect` found: ``problems`` (one line each) and what a repair would do."""

    path: Path
    ledger: Optional[Ledger] = None
    problems: list[str] = field(default_factory=list)
    lacking: list[Line] = field(default_factory=list)       # erasures the database lacks
    unrecorded: list[str] = field(default_factory=list)     # database erasures not in the ledger
    fatal: bool = False                                      # the ledger itself cannot be trusted

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ledger is None:
            return ""
        n = len(self.ledger.erasures)
        legacy = len(self.ledger.legacy)
        text = f"{n} erasure(s) recorded apart from the database, every line authenticated"
        if legacy:
            text = (f"{n} erasure(s) recorded apart from the database; {legacy} legacy unauthenticated (v1) "
                    f"line(s) accepted as a prefix (each confirmed by the database"
                    + (", sealed by the first authenticated line)" if self.ledger.sealed else
                       "; run vetcards doctor --repair to seal them)"))
        return text


def _erased_numbers(uow: UnitOfWork) -> set[str]:
    from sqlalchemy import column, select, table

    erasure = table("erasure", column("client_number"))
    return {str(n) for n in uow.execute(select(erasure.c.client_number).distinct()).scalars()}


def _anchor_known(uow: UnitOfWork, anchor: Any) -> bool:
    from sqlalchemy import column, func, select, table

    log = table("audit_log", column("hash"))
    return bool(uow.execute(select(func.count()).select_from(log).where(log.c.hash == str(anchor))).scalar())


def _consistency(uow: UnitOfWork, ledger: Ledger, *, head_check: bool = True) -> list[str]:
    """Problems between a verified ledger and the database (head, anchor, legacy lines)."""
    problems = []
    path = ledger.path
    head = db_head(uow) if head_check else None
    if head is not None:
        line = ledger.find_mac(head)
        if line is None:
            what = ("is missing" if not ledger.exists else "is empty" if not ledger.lines
                    else "lacks the last line this database wrote")
            problems.append(f"erasure ledger {path} {what}: it was emptied, shortened or replaced")
        elif not _anchor_known(uow, line.anchor):
            problems.append(f"the audit log lacks the hash anchored in ledger line {line.number}: its last "
                            "entries were deleted")
    erased = _erased_numbers(uow)
    for line in ledger.legacy:
        if not ledger.sealed and line.client_number not in erased:
            problems.append(f"erasure ledger {path}: line {line.number} is an unauthenticated (v1) line naming "
                            f"{line.client_number}, which this database never erased: forged? not accepted")
            break
    return problems


def inspect(uow: UnitOfWork, path: Optional[Path], now: Optional[datetime] = None) -> LedgerCheck:
    """Check the ledger at ``path`` against the database of ``uow``; never raises for what it finds.

    Found (each one line in ``problems``): a symlinked, damaged, edited,
    reordered, shortened, emptied or forged ledger; a shortened audit log (the
    anchored hash missing); erasures the ledger names that the database lacks
    (rolled back, or an erase that crashed before its commit: ``lacking``);
    erasures in the database the ledger lacks (``unrecorded``).
    """
    check = LedgerCheck(Path(path) if path else Path(""))
    if path is None:
        return check
    try:
        check.ledger = load(Path(path), ledger_key(uow), now)
    except LedgerTampered as exc:
        check.problems.append(exc.message)
        check.fatal = True
        return check
    ledger = check.ledger
    problems = _consistency(uow, ledger)
    check.problems.extend(problems)
    if problems and not ledger.lines:
        check.fatal = True
    erased = _erased_numbers(uow)
    seen: set[str] = set()
    for line in ledger.erasures:
        number = line.client_number or ""
        if number not in erased and number not in seen and (not line.legacy or ledger.sealed):
            check.lacking.append(line)
        seen.add(number)
    if check.lacking:
        listed = ", ".join(f"{line.client_number} (line {line.number})" for line in check.lacking[:5])
        check.problems.append(f"the ledger names {len(check.lacking)} erasure(s) this database lacks: {listed}: "
                              "the database was rolled back or an erase stopped before its commit; "
                              "run vetcards doctor --repair to erase again")
    check.unrecorded = sorted(n for n in erased if n not in seen)
    if check.unrecorded:
        check.problems.append(f"{len(check.unrecorded)} erasure(s) not in {path} "
                              f"({', '.join(check.unrecorded[:5])}): they would come back with a restore; "
                              "run vetcards doctor --repair to record them")
    return check
