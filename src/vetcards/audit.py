"""The hash-chained audit log (SPEC §5, §6).

Every write appends one entry: time, actor, action, entity, entity ids
(numbers), details (counts, codes, field names) and the hash of the previous
entry. Entries never copy names, addresses or free text: :func:`record`
refuses a detail string that looks like text rather than a code, so a careless
call fails in the tests instead of leaking into the log.

The hash of an entry is SHA-256 over a canonical JSON of its fields and the
previous entry's hash; the first entry's previous hash is 64 zeros.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Optional, Union

from sqlalchemy import text

from .db import AUDIT_WRITTEN, UnitOfWork

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy.engine import Connection

#: Where an entry is written or the log read: a unit of work, or (bulk tools) its Core connection.
Target = Union[UnitOfWork, "Connection"]

GENESIS = "0" * 64

# A code, a number, a date, a client/pet/invoice number, a field name.
_SAFE_STR = re.compile(r"^[A-Za-z0-9_.:+\-]{0,64}$")


def _check_safe(value: Any, where: str) -> None:
    if value is None or isinstance(value, (bool, int, float)):
        return
    if isinstance(value, str):
        if not _SAFE_STR.match(value):
            raise ValueError(f"audit {where}: only codes and numbers may be logged")
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_safe(item, where)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check_safe(k, where)
            _check_safe(v, where)
        return
    raise ValueError(f"audit {where}: unsupported type {type(value).__name__}")


def entry_hash(prev_hash: str, ts: str, actor: str, action: str, entity: str,
               entity_ids: str, details: str, os_user: Optional[str] = None) -> str:
    """SHA-256 over the canonical form of one entry. The OS user (since migration 0005)
    is part of it when set; entries from before have none and keep their hash."""
    fields = [prev_hash, ts, actor, action, entity, entity_ids, details]
    if os_user is not None:
        fields.append(os_user)
    canonical = json.dumps(fields, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@functools.cache
def os_user() -> str:
    """The operating-system account this process runs under (beside the declared ``--actor``)."""
    import getpass

    try:
        name = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no name for the uid (a container): the number
        name = f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return _SAFE(name)


def _SAFE(value: str) -> str:  # noqa: N802 - one rule for actor and OS user
    return re.sub(r"[^A-Za-z0-9_.@\-]", "_", value)[:100]


def record(
    conn: Target,
    action: str,
    entity: str = "",
    ids: Iterable[Any] = (),
    details: Optional[dict[str, Any]] = None,
    actor: Optional[str] = None,
) -> str:
    """Append one entry in the caller's transaction; returns its hash.

    ``conn`` is a unit of work or its Core connection; the actor comes from
    ``conn.info['actor']`` unless given. (One code path with
    :func:`record_many`.)
    """
    return record_many(conn, [(action, entity, ids, details)], actor=actor)[0]


_INSERT_SQL = (
    "INSERT INTO audit_log (ts, actor, action, entity, entity_ids, details, prev_hash, hash, os_user) "
    "VALUES (:ts, :actor, :action, :entity, :ids, :details, :prev, :hash, :os_user)"
)
_INSERT_QMARK_SQL = (
    "INSERT INTO audit_log (ts, actor, action, entity, entity_ids, details, prev_hash, hash, os_user) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The encoders json.dumps builds on each call of record() / entry_hash(),
# built once: the same options, so the same bytes.
_IDS_JSON = json.JSONEncoder(separators=(",", ":")).encode
_DETAILS_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def record_many(
    conn: Target,
    entries: Iterable[tuple[str, str, Iterable[Any], Optional[dict[str, Any]]]],
    actor: Optional[str] = None,
) -> list[str]:
    """Append several entries in the caller's transaction; returns their hashes.

    ``entries`` are ``(action, entity, ids, details)`` tuples. What it writes
    is what calling :func:`record` once per entry, in order, would write (the
    same fields, the same JSON, the same chain; only ``ts`` differs), but
    every entry is checked before any is written, the previous hash is read
    once, the chain is computed here and the rows go in with one
    ``executemany``.
    """
    if actor is None:
        actor = conn.info.get("actor", "unknown")
    actor = _SAFE(actor)
    user = os_user()
    checked = []
    for action, entity, ids, details in entries:
        ids = list(ids)
        details = details or {}
        _check_safe(action, "action")
        _check_safe(entity, "entity")
        _check_safe(ids, "ids")
        _check_safe(details, "details")
        checked.append((action, entity, _IDS_JSON(ids), _DETAILS_JSON(details)))
    if not checked:
        return []
    prev = conn.execute(text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar()
    prev = prev or GENESIS
    rows, hashes = [], []
    sha256 = hashlib.sha256
    for action, entity, ids_json, details_json in checked:
        ts = datetime.now(UTC).isoformat(timespec="microseconds")
        # entry_hash(), inlined.
        canonical = _CANONICAL_JSON([prev, ts, actor, action, entity, ids_json, details_json, user])
        digest = sha256(canonical.encode("ascii")).hexdigest()
        rows.append((ts, actor, action, entity, ids_json, details_json, prev, digest, user))
        hashes.append(digest)
        prev = digest
    core = conn.connection() if isinstance(conn, UnitOfWork) else conn
    if core.dialect.paramstyle == "qmark":
        # Every value is text already, so straight to the driver's
        # executemany (no per-row parameter processing to do).
        core.exec_driver_sql(_INSERT_QMARK_SQL, rows)
    else:  # another driver's placeholders: the same insert through text()
        keys = ("ts", "actor", "action", "entity", "ids", "details", "prev", "hash", "os_user")
        core.execute(text(_INSERT_SQL), [dict(zip(keys, row)) for row in rows])
    # The commit of this transaction moves the audit head (UnitOfWork.commit).
    info = core.info
    info[AUDIT_WRITTEN] = True
    return hashes


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_broken_id: Optional[int] = None
    problem: str = ""
    #: the problem is the audit head's (:mod:`vetcards.audit_head`): entries deleted from the end, a
    #: rolled-back database, or a head missing, edited or symlinked; the chain itself is intact
    head_problem: bool = False


def verify(conn: Target, *, head: bool = True) -> VerifyResult:
    """Recompute the chain; name the first entry that does not fit.

    With ``head`` (and ``conn`` a unit of work on a file) the log's end is
    also checked against the audit head beside the database, which a chain
    that merely lost its last entries still passes.
    """
    rows = conn.execute(
        text("SELECT id, ts, actor, action, entity, entity_ids, details, prev_hash, hash, os_user "
             "FROM audit_log ORDER BY id")
    )
    prev = GENESIS
    count = 0
    for row in rows:
        count += 1
        if row.prev_hash != prev:
            return VerifyResult(False, count, row.id, "previous-hash link broken (an entry before it was changed, deleted or inserted)")
        digest = entry_hash(row.prev_hash, row.ts, row.actor, row.action, row.entity,
                            row.entity_ids, row.details, row.os_user)
        if digest != row.hash:
            return VerifyResult(False, count, row.id, "entry content does not match its hash (changed)")
        prev = row.hash
    if count == 0:
        # Every vetcards database starts with its `init` entry.
        return VerifyResult(False, 0, None, "the audit log is empty: its entries were deleted")
    if head and isinstance(conn, UnitOfWork):
        from .audit_head import check

        found = check(conn)
        if not found.ok:
            return VerifyResult(False, count, None, str(found.problem), head_problem=True)
    return VerifyResult(True, count)


def entries(conn: Target, action: Optional[str] = None, since: Optional[str] = None,
            limit: Optional[int] = None) -> list[dict[str, Any]]:
    """Audit entries, newest last, optionally filtered by action prefix and date."""
    sql = "SELECT id, ts, actor, os_user, action, entity, entity_ids, details FROM audit_log WHERE 1=1"
    params: dict[str, Any] = {}
    if action:
        sql += " AND (action = :action OR action LIKE :prefix)"
        params["action"] = action
        params["prefix"] = action + ".%"
    if since:
        sql += " AND ts >= :since"
        params["since"] = since
    sql += " ORDER BY id"
    if limit:
        sql = f"SELECT * FROM ({sql.replace(' ORDER BY id', ' ORDER BY id DESC')} LIMIT :limit) ORDER BY id"
        params["limit"] = min(limit, 2**63 - 1)  # SQLite binds at most 64 bits
    return [dict(r._mapping) for r in conn.execute(text(sql), params)]
