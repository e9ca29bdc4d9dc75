"""Consents per purpose (SPEC §3, GDPR art. 7): give, withdraw, list, check.

A consent row records the purpose, the date, the privacy-statement version and
how it was given. Withdrawing sets ``withdrawn_on`` on the current row and
keeps it (history); giving again after a withdrawal adds a new row. A consent
is *current* on a date when it was given to this practice (``controller``
NULL: a consent carried by ``vetcards import`` was given to the other
practice and is history here, SPEC §5), on or before that date, and not
withdrawn on or before it.

Purposes and methods are defined once, in :mod:`vetcards.vocab`. The
"current consent" condition is written once: :func:`current_sql` (SQL) and
:func:`is_current` (Python).

A withdrawal is never dated before a disclosure made under that consent
(:func:`withdrawal_rule`; art. 5(2), 7(1)): the log must be able to show a
valid basis for every disclosure.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import text

from . import audit, codes, refs, validation
from .clients import add_consent, get_client
from .errors import Conflict, InvalidInput
from .vocab import CONSENT_METHODS, CONSENT_PURPOSES

if TYPE_CHECKING:
    from .db import UnitOfWork

__all__ = ["CONSENT_METHODS", "CONSENT_PURPOSES", "current_consent", "current_purposes", "current_sql", "give",
           "history", "is_current", "parse_method", "parse_purpose", "withdraw", "withdrawal_rule"]

def current_sql(alias: str = "") -> str:
    """The one "current consent" condition, on a consent row (``alias``: ``"k."``) and ``:on``."""
    return (f"{alias}controller IS NULL AND {alias}given_on <= :on "
            f"AND ({alias}withdrawn_on IS NULL OR {alias}withdrawn_on > :on)")


def is_current(given_on: object, withdrawn_on: object, on: date, controller: object = None) -> bool:
    """The same condition on values read from a row (ISO dates compare as text)."""
    day = on.isoformat()
    return controller is None and str(given_on) <= day and (withdrawn_on is None or str(withdrawn_on) > day)


_CURRENT_SQL = f"""
    SELECT id FROM consent
     WHERE client_id = :cid AND purpose = :purpose AND {current_sql()}
     ORDER BY given_on DESC, id DESC
     LIMIT 1
"""


def parse_purpose(value: Optional[str], field: str = "--purpose") -> str:
    """A consent purpose as typed (any case) -> its code."""
    return codes.parse(value, CONSENT_PURPOSES, field)


def parse_method(value: Optional[str], field: str = "--method") -> str:
    """How a consent was given, as typed (any case) -> its code."""
    return codes.parse(value, CONSENT_METHODS, field)


def current_consent(uow: UnitOfWork, client_id: int, purpose: str, on: Optional[date] = None) -> Optional[int]:
    """The id of the client's current consent for ``purpose`` (on ``on``, default today), or None."""
    on = on or date.today()
    value = uow.execute(
        text(_CURRENT_SQL), {"cid": client_id, "purpose": purpose, "on": on.isoformat()}
    ).scalar()
    return int(value) if value is not None else None


def current_purposes(uow: UnitOfWork, client_id: int, on: date) -> tuple[str, ...]:
    """The purposes the client has a current consent for on ``on``, sorted."""
    return tuple(r.purpose for r in uow.execute(
        text(f"SELECT DISTINCT purpose FROM consent WHERE client_id = :cid AND {current_sql()} "
             "ORDER BY purpose"),
        {"cid": client_id, "on": on.isoformat()}))


def _on(raw: Optional[str], today: date) -> date:
    d = validation.parse_date(raw, field="--date") if raw is not None else today
    if d > today:
        raise InvalidInput("--date", validation.RULE_FUTURE)
    if d < validation.MIN_BIRTH_DATE:
        raise InvalidInput("--date", validation.RULE_TOO_OLD)
    return d


def give(uow: UnitOfWork, client_ref: str, purpose: str, *, today: date, method: str = "in-person",
         on: Optional[str] = None) -> dict[str, Any]:
    """Record a consent. Refused when a consent for that purpose is already current."""
    purpose = parse_purpose(purpose)
    method = parse_method(method)
    given_on = _on(on, today)
    client = get_client(uow, client_ref)
    if _open_consent(uow, client.id, purpose) is not None:
        raise Conflict(f"client {client.number} already has a current consent for {purpose}")
    consent = add_consent(uow, client, purpose, given_on=given_on, method=method)
    audit.record(uow, "consent.give", "client", [client.number],
                 {"purpose": purpose, "consent_id": consent.id, "method": method})
    uow.commit()
    return {"id": consent.id, "client": client.number, "purpose": purpose,
            "given_on": consent.given_on.isoformat(), "statement_version": consent.statement_version,
            "method": method}


#: A consent of this practice not withdrawn (whatever its date): one a
#: purpose, or two after ``client merge``. Another practice's is history.
_OPEN = "client_id = :cid AND purpose = :p AND withdrawn_on IS NULL AND controller IS NULL"


def _open_consent(uow: UnitOfWork, client_id: Optional[int], purpose: str) -> Optional[int]:
    """The id of the client's open consent for ``purpose`` (the latest given), or ``None``."""
    return uow.execute(text(f"SELECT id FROM consent WHERE {_OPEN} ORDER BY given_on DESC, id DESC LIMIT 1"),
                       {"cid": client_id, "p": purpose}).scalar()


def withdrawal_rule(withdrawn_on: date, given_on: date, last_disclosure: Optional[date]) -> None:
    """A withdrawal date (pure): not before the consent was given, nor before the
    last disclosure made under that consent (that disclosure would lose its
    basis). The day of the disclosure itself is allowed: a client may withdraw
    on the day the data went out, after it went out."""
    if withdrawn_on < given_on:
        raise InvalidInput("--date", "must not be before the date the consent was given")
    if last_disclosure is not None and withdrawn_on < last_disclosure:
        raise InvalidInput(
            "--date", f"must not be before {last_disclosure.isoformat()}, the date of a disclosure made under this "
                      "consent (the log must show a valid basis for it, GDPR art. 5(2), 7(1))")


def _last_disclosure_under(uow: UnitOfWork, client_id: Optional[int], purpose: str) -> Optional[date]:
    """The latest disclosure made under one of the client's open consents for ``purpose``."""
    last = uow.execute(
        text("SELECT max(d.disclosed_on) FROM disclosure d JOIN consent c ON c.id = d.consent_id "
             "WHERE d.client_id = :cid AND d.basis = 'consent' AND c.client_id = :cid AND c.purpose = :p "
             "AND c.withdrawn_on IS NULL AND c.controller IS NULL"),
        {"cid": client_id, "p": purpose},
    ).scalar()
    return None if last is None else date.fromisoformat(str(last))


def withdraw(uow: UnitOfWork, client_ref: str, purpose: str, *, today: date,
             on: Optional[str] = None) -> dict[str, Any]:
    """Withdraw the current consent for a purpose (art. 7(3)); the row is kept."""
    from .models import Consent

    purpose = parse_purpose(purpose)
    withdrawn_on = _on(on, today)
    client = get_client(uow, client_ref)
    consent_id = _open_consent(uow, client.id, purpose)
    if consent_id is None:
        raise Conflict(f"client {client.number} has no current consent for {purpose} to withdraw")
    consent = uow.get(Consent, consent_id)
    withdrawal_rule(withdrawn_on, consent.given_on, _last_disclosure_under(uow, client.id, purpose))
    consent.withdrawn_on = withdrawn_on
    uow.add(consent)
    uow.flush()
    # After `client merge` a purpose may have two open rows (one per former
    # card); the withdrawal is the person's, so it closes every one of them.
    uow.execute(
        text(f"UPDATE consent SET withdrawn_on = :w WHERE {_OPEN}"),
        {"w": withdrawn_on.isoformat(), "cid": client.id, "p": purpose},
    )
    audit.record(uow, "consent.withdraw", "client", [client.number],
                 {"purpose": purpose, "consent_id": consent.id})
    uow.commit()
    return {"id": consent.id, "client": client.number, "purpose": purpose,
            "given_on": consent.given_on.isoformat(), "withdrawn_on": withdrawn_on.isoformat()}


def history(uow: UnitOfWork, client_ref: str, purpose: Optional[str] = None,
            today: Optional[date] = None) -> list[dict[str, Any]]:
    """All consents of a client (withdrawn ones too), oldest first, with a ``current`` flag.

    The view is audited (``consent.view``, the count only) and committed.
    """
    cid = refs.find_id(uow, "client", client_ref)
    sql = ("SELECT id, purpose, given_on, statement_version, method, withdrawn_on, controller FROM consent "
           "WHERE client_id = :cid")
    params: dict[str, Any] = {"cid": cid}
    if purpose is not None:
        sql += " AND purpose = :p"
        params["p"] = parse_purpose(purpose)
    sql += " ORDER BY purpose, given_on, id"
    on = today or date.today()
    out = []
    for r in uow.execute(text(sql), params):
        row = dict(r._mapping)
        row["current"] = is_current(row["given_on"], row["withdrawn_on"], on, row["controller"])
        out.append(row)
    audit.record(uow, "consent.view", "client", [], {"count": len(out)})
    uow.commit()
    return out
