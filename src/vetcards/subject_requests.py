"""Data-subject requests and their deadlines (SPEC §5, GDPR art. 12(3)).

A request (access, erasure, rectification, portability) is due one month
after receipt (:func:`vetcards.rules.request_due`); it may be extended once by
two further months, with a reason that is stored with the request (never
copied into the audit log: the audit log holds codes and numbers only), and
only within that first month (art. 12(3), :func:`extension_rule`).
``export`` and ``erase`` close the request they answer (``--request REQ``)
through :func:`answer`, in their own transaction.

A request is *overdue* when it is open and its due date has passed; on the due
date itself it is still in time.

Write use cases take a :class:`~vetcards.db.UnitOfWork`, validate everything
first, write, audit and commit; :func:`list_requests` is a read on the same
object. Request types and states are code lists of :mod:`vetcards.vocab`. The
table ``subject_request`` is this module's; its SQL is Core, dates go in as
dates and come out as ISO text (as listed and exported).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import select, update

from . import audit, rules, validation
from .errors import Conflict, InvalidInput, NotFound
from .models import SubjectRequest
from .vocab import REQUEST_TYPES, rule_one_of

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

__all__ = ["LIST_COLUMNS", "REQUEST_TYPES", "add_request", "answer", "close_request", "extend_request",
           "extension_rule", "get_request", "list_requests", "parse_id", "parse_type"]

_TABLE = SubjectRequest.__table__  # type: ignore[attr-defined]

#: Columns of a listed request, in display order.
LIST_COLUMNS: tuple[str, ...] = ("id", "client", "type", "received_on", "due_on", "status",
                                 "extended", "closed_on", "extension_reason")


def parse_type(value: str, field: str = "--type") -> str:
    """One of :data:`REQUEST_TYPES`, case-insensitive."""
    v = (value or "").strip().lower()
    if v not in REQUEST_TYPES:
        raise InvalidInput(field, rule_one_of(REQUEST_TYPES))
    return v


def parse_id(ref: str | int, field: str = "REQ") -> int:
    """A request id as typed: ``12`` (a leading ``R``/``#`` is accepted)."""
    v = str(ref).strip().lstrip("#")
    if v[:1] in ("R", "r"):
        v = v[1:]
    if not (v.isascii() and v.isdigit()) or int(v) < 1:
        raise InvalidInput(field, "must be a request id (a number, see `vetcards request list`)")
    return int(v)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _get(uow: UnitOfWork, request_id: int) -> dict[str, Any]:
    t = _TABLE.c
    row = uow.execute(
        select(t.id, t.client_number, t.type, t.received_on, t.due_on, t.extended_reason, t.closed_on)
        .where(t.id == request_id)
    ).mappings().first()
    if row is None:
        raise NotFound(f"request {request_id} not found")
    return {k: _iso(v) for k, v in row.items()}


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _set(uow: UnitOfWork, request_id: int, **values: Any) -> None:
    uow.execute(update(_TABLE).where(_TABLE.c.id == request_id).values(**values))


def add_request(uow: UnitOfWork, client_ref: str, type_: str, received: str | date, *,
                today: date) -> dict[str, Any]:
    """Record a request received on ``received``; returns it with its due date."""
    from .clients import get_client

    kind = parse_type(type_)
    received_on = received if isinstance(received, date) else validation.parse_date(received, "--received")
    if received_on > today:
        raise InvalidInput("--received", validation.RULE_FUTURE)
    # Requests may come from a client whose card is restricted (kept for a hold).
    client = get_client(uow, client_ref, include_restricted=True)
    due_on = rules.request_due(received_on)
    req = SubjectRequest(client_number=client.number, type=kind, received_on=received_on,
                         due_on=due_on)
    uow.add(req)
    uow.flush()
    request_id = req.id
    audit.record(uow, "request.add", "subject_request", [request_id, client.number],
                 {"type": kind, "due_on": due_on.isoformat()})
    uow.commit()
    return {"id": request_id, "client": client.number, "type": kind,
            "received_on": received_on.isoformat(), "due_on": due_on.isoformat()}


def extension_rule(request_id: int, received: date, today: date) -> None:
    """Art. 12(3), pure: a request is extended only within its first month (on
    the due date itself it is still in time); after it, :class:`Conflict`."""
    due = rules.request_due(received)
    if today > due:
        raise Conflict(f"request {request_id} cannot be extended: its deadline {due.isoformat()} passed "
                       "(art. 12(3) GDPR allows an extension only within the first month)")


def extend_request(uow: UnitOfWork, ref: str | int, reason: str, *, today: date) -> dict[str, Any]:
    """Extend an open request by two months (once); the reason is stored, not audited."""
    request_id = parse_id(ref)
    why = validation.text(reason, field="--reason", max_len=500)
    req = _get(uow, request_id)
    if req["closed_on"] is not None:
        raise Conflict(f"request {request_id} is closed; a closed request cannot be extended")
    if req["extended_reason"] is not None:
        raise Conflict(f"request {request_id} was already extended; it can be extended only once")
    extension_rule(request_id, _as_date(req["received_on"]), today)
    due_on = rules.request_due(_as_date(req["received_on"]), extended=True)
    _set(uow, request_id, due_on=due_on, extended_reason=why)
    audit.record(uow, "request.extend", "subject_request", [request_id, req["client_number"]],
                 {"due_on": due_on.isoformat()})
    uow.commit()
    return {"id": request_id, "client": req["client_number"], "type": req["type"],
            "due_on": due_on.isoformat()}


def answer(uow: UnitOfWork, ref: str | int, *, client_number: str, types: Iterable[str],
           on: date, field: str = "--request") -> int:
    """Close the request that an export or erase answers, in the caller's transaction.

    Checks that the request exists, is open, is about ``client_number`` and
    is of one of ``types``; does not commit and does not audit (the caller's
    own audit entry names the request id). Returns the request id.
    """
    request_id = parse_id(ref, field)
    try:
        req = _get(uow, request_id)
    except NotFound:
        raise NotFound(f"{field}: request {request_id} not found") from None
    allowed = tuple(types)
    if req["client_number"] != client_number:
        raise InvalidInput(field, f"request {request_id} is about another client")
    if req["type"] not in allowed:
        raise InvalidInput(field, f"request {request_id} is a {req['type']} request, "
                                  f"not {' or '.join(allowed)}")
    if req["closed_on"] is not None:
        raise Conflict(f"{field}: request {request_id} is already closed")
    _set(uow, request_id, closed_on=on)
    return request_id


def close_request(uow: UnitOfWork, ref: str | int, *, today: date) -> dict[str, Any]:
    """Close a request by hand (answered some other way)."""
    request_id = parse_id(ref)
    req = _get(uow, request_id)
    if req["closed_on"] is not None:
        raise Conflict(f"request {request_id} is already closed")
    _set(uow, request_id, closed_on=today)
    due = _as_date(req["due_on"])
    audit.record(uow, "request.close", "subject_request", [request_id, req["client_number"]],
                 {"late": today > due})
    uow.commit()
    return {"id": request_id, "client": req["client_number"], "type": req["type"],
            "closed_on": today.isoformat(), "late": today > due}


def list_requests(uow: UnitOfWork, *, today: date, overdue: bool = False,
                  open_only: bool = False) -> list[dict[str, Any]]:
    """Requests, oldest due date first; ``overdue``: open and past due."""
    t = _TABLE.c
    stmt = select(t.id, t.client_number.label("client"), t.type, t.received_on, t.due_on,
                  t.extended_reason.label("extension_reason"), t.closed_on)
    if overdue or open_only:
        stmt = stmt.where(t.closed_on.is_(None))
    if overdue:
        stmt = stmt.where(t.due_on < today)
    out = []
    for r in uow.execute(stmt.order_by(t.due_on, t.id)).mappings():
        row = {k: _iso(v) for k, v in r.items()}
        due = _as_date(row["due_on"])
        if row["closed_on"] is not None:
            row["status"] = "closed"
        elif due < today:
            row["status"] = "overdue"
        else:
            row["status"] = "open"
        row["extended"] = row["extension_reason"] is not None
        out.append({c: row.get(c) for c in LIST_COLUMNS})
    return out


def get_request(uow: UnitOfWork, ref: str | int) -> Optional[dict[str, Any]]:
    """One request as stored, or None."""
    try:
        return _get(uow, parse_id(ref))
    except NotFound:
        return None
