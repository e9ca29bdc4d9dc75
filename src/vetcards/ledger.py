"""The erasure ledger (SPEC §5 "Erasures survive a backup restore").

A file kept apart from the database, next to it: ``<db path>.erasures``.
JSON lines, one object per erasure, UTF-8, mode 0600, append-only::

    {"v": 1, "client_number": "K000012", "erased_at": "2026-11-27T10:15:03Z"}

Client numbers and UTC times only: no names, no counts, no identity-check
details. :mod:`vetcards.erasure` appends (append + fsync) only after the
database commit succeeded, so the ledger never names an erasure that did not
happen; if the append fails, :class:`LedgerError` says so (the erasure itself
stands and is in the ``erasure`` table and the audit log). ``restore``
re-applies every entry whose ``erased_at`` is after the backup was taken, by
erasing that client number again (client numbers are never reused, see
``models.Counter``). :func:`read_ledger` reads it back; ``doctor`` compares it
with the ``erasure`` table.

Standard library only: cheap to import.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

from .errors import DatabaseError

__all__ = ["LedgerError", "append_ledger", "ledger_path_for", "read_ledger"]


class LedgerError(DatabaseError):
    """The erasure was committed but the ledger file could not be appended to."""


def ledger_path_for(db_path: Optional[Path | str]) -> Optional[Path]:
    """``<db path>.erasures`` (None for an in-memory database)."""
    if not db_path or str(db_path) == ":memory:":
        return None
    return Path(str(db_path) + ".erasures")


def append_ledger(path: Path, client_number: str, erased_at: str) -> None:
    """Append one line (client number and time only), fsync; file mode 0600."""
    line = json.dumps({"v": 1, "client_number": client_number, "erased_at": erased_at},
                      separators=(",", ":")) + "\n"
    path = Path(path)
    try:
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as exc:
        raise LedgerError(
            f"client {client_number} was erased, but the erasure ledger {path} could not be "
            f"written ({exc.strerror}); add this line to it by hand: {line.strip()}"
        ) from None


def read_ledger(path: Path) -> list[dict[str, Any]]:
    """Every entry of an erasure ledger, oldest first (empty when there is none)."""
    path = Path(path)
    if not path.exists():
        return []
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                raise DatabaseError(f"erasure ledger {path}: line {n} is damaged") from None
            out.append(entry)
    return out
