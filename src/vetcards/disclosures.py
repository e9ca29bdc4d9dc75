"""The disclosure log (GDPR art. 15, 19, 30): who received what, when, on what basis.

Every time data leave the practice, one ``disclosure`` row per client records
the recipient (from :mod:`vetcards.recipients`), the data categories, the
date and the basis (a consent id, or a contract or legal obligation), in the
same unit of work that decides to hand the file over (:mod:`vetcards.sharing`,
:mod:`vetcards.reminders`). :func:`disclose` logs a disclosure made outside
vetcards (a lab form, a pharmacy order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import column, func, insert, select, table

from . import audit, codes, refs, vocab
from .consents import current_consent
from .errors import ConsentMissing, InvalidInput
from .recipients import check_categories, get_recipient, now_stored, parse_categories, past_date, required_purpose

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

BASES = vocab.DISCLOSURE_BASES

_LOG_COLUMNS = ("client_id", "recipient_id", "pet_id", "disclosed_on", "categories", "basis", "consent_id",
                "at_client_request", "created_at")
_disclosure = table("disclosure", *(column(c) for c in ("id", *_LOG_COLUMNS)))


def require_consent(uow: UnitOfWork, client_id: int, client_number: str, purpose: str, on: date) -> int:
    """The id of the client's consent for ``purpose`` current on ``on``; :class:`ConsentMissing` if none."""
    consent_id = current_consent(uow, client_id, purpose, on)
    if consent_id is None:
        raise ConsentMissing(
            f"client {client_number} has no current consent for {purpose}; nothing was shared "
            f"(record it with: vetcards consent give {client_number} --purpose {purpose})"
        )
    return int(consent_id)


@dataclass(frozen=True)
class Entry:
    """One disclosure to log."""

    client_id: int
    recipient_id: int
    disclosed_on: date
    categories: Sequence[str]
    basis: str
    consent_id: Optional[int] = None
    pet_id: Optional[int] = None
    at_client_request: bool = False


def log(uow: UnitOfWork, entries: Sequence[Entry]) -> list[int]:
    """Write disclosure rows (one executemany) in the caller's unit of work; returns their ids, in order."""
    if not entries:
        return []
    now = now_stored()
    first = (uow.execute(select(func.coalesce(func.max(_disclosure.c.id), 0))).scalar() or 0) + 1
    params = []
    for e in entries:
        if e.basis not in BASES:  # pragma: no cover - programming error
            raise ValueError(e.basis)
        params.append({
            "client_id": e.client_id, "recipient_id": e.recipient_id, "pet_id": e.pet_id,
            "disclosed_on": e.disclosed_on.isoformat(), "categories": ",".join(e.categories),
            "basis": e.basis, "consent_id": e.consent_id,
            "at_client_request": 1 if e.at_client_request else 0, "created_at": now,
        })
    uow.execute(insert(_disclosure), params)
    # Writers hold the database lock (BEGIN IMMEDIATE), so the ids are consecutive.
    return list(range(first, first + len(entries)))


def recipients_of(uow: UnitOfWork, client_id: int) -> list[tuple[str, str, int, str]]:
    """``(name, kind, disclosures, last date)`` of every recipient the client's data went to, by name:
    whom an erasure must tell (art. 19). Not audited: the caller's use case is."""
    d = _disclosure.c
    recipient = table("recipient", column("id"), column("name"), column("kind"))
    r = recipient.c
    stmt = (select(r.name, r.kind, func.count().label("n"), func.max(d.disclosed_on).label("last"))
            .select_from(_disclosure.join(recipient, r.id == d.recipient_id))
            .where(d.client_id == client_id).group_by(r.id, r.name, r.kind).order_by(func.lower(r.name), r.id))
    return [(row.name, row.kind, int(row.n), str(row.last)) for row in uow.execute(stmt)]


def list_disclosures(uow: UnitOfWork, client_ref: Optional[str] = None,
                     recipient_ref: Optional[str] = None) -> list[dict[str, Any]]:
    """The disclosure log, optionally of one client or one recipient (restricted clients left out).

    The view is audited (``disclosure.view``, the count only) and committed.
    """
    d = _disclosure.c
    client = table("client", column("id"), column("number"), column("restricted"))
    pet = table("pet", column("id"), column("number"))
    recipient = table("recipient", column("id"), column("name"))
    stmt = (select(d.id, d.disclosed_on, client.c.number.label("client"), pet.c.number.label("pet"),
                   recipient.c.name.label("recipient"), d.categories, d.basis, d.consent_id, d.at_client_request)
            .select_from(_disclosure.join(client, client.c.id == d.client_id)
                         .join(recipient, recipient.c.id == d.recipient_id)
                         .outerjoin(pet, pet.c.id == d.pet_id))
            .where(client.c.restricted == 0))
    if client_ref is not None:
        stmt = stmt.where(d.client_id == refs.find_id(uow, "client", client_ref))
    if recipient_ref is not None:
        stmt = stmt.where(d.recipient_id == get_recipient(uow, recipient_ref, field="--recipient")["id"])
    out = []
    for r in uow.execute(stmt.order_by(d.disclosed_on, d.id)):
        row = dict(r._mapping)
        row["at_client_request"] = bool(row["at_client_request"])
        out.append(row)
    audit.record(uow, "disclosure.view", "disclosure", [], {"count": len(out)})
    uow.commit()
    return out


def disclose(uow: UnitOfWork, client_ref: str, recipient_ref: str, categories: Optional[str], *,
             today: date, on: Optional[str] = None, at_client_request: bool = False,
             pet_ref: Optional[str] = None, basis: Optional[str] = None) -> dict[str, Any]:
    """Log a disclosure made outside vetcards (a lab form, a pharmacy order); commits.

    The consent the recipient needs (its ``needs_consent``, else the purpose
    of its kind) must be current on the date of the disclosure. A recipient
    that needs no consent requires ``basis`` contract or legal_obligation.
    """
    cats = parse_categories(categories)
    when = past_date(on, today=today)
    recipient = get_recipient(uow, recipient_ref)
    check_categories(recipient, cats)
    client = refs.find(uow, "client", client_ref)
    cid, number = int(client["id"]), str(client["number"])
    pid = None
    if pet_ref is not None:
        pet = refs.find(uow, "pet", pet_ref, ["client_id"])
        if pet["client_id"] != cid:
            raise InvalidInput("--pet", "must be an animal of this client")
        pid = int(pet["id"])
    purpose = required_purpose(recipient)
    basis = codes.parse(basis, BASES, "--basis") if (basis or "").strip() else None
    consent_id = None
    if purpose is not None:
        if basis not in (None, "consent"):
            raise InvalidInput("--basis", f"disclosures to this recipient need the client's consent ({purpose})")
        consent_id = require_consent(uow, cid, number, purpose, when)
        basis = "consent"
    elif basis in (None, "consent"):
        raise InvalidInput("--basis", "this recipient needs no consent purpose; give --basis contract "
                                      "or --basis legal_obligation")
    assert basis is not None
    [did] = log(uow, [Entry(client_id=cid, recipient_id=recipient["id"], disclosed_on=when,
                            categories=cats, basis=basis, consent_id=consent_id, pet_id=pid,
                            at_client_request=at_client_request)])
    audit.record(uow, "disclosure.add", "disclosure", [did, number],
                 {"recipient_id": recipient["id"], "categories": cats, "basis": basis,
                  "consent_id": consent_id, "at_client_request": at_client_request})
    uow.commit()
    return {"id": did, "client": number, "recipient_id": recipient["id"], "disclosed_on": when.isoformat(),
            "categories": ",".join(cats), "basis": basis, "consent_id": consent_id,
            "at_client_request": at_client_request}
