"""Merging duplicate client cards (SPEC §3 ``client merge KEEP DUPLICATE``).

What moves is read from the data map (:mod:`vetcards.datamap`): every table a
merge moves has its link set to the kept card; a table that follows its
parent (weights, visits and vaccinations a pet; lines and payments an
invoice) moves with it, counted but not updated. The statements are
SQLAlchemy Core on lightweight ``table()``/``column()`` clauses, generated from
the map.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, column, delete, func, select, table, update

from . import audit, datamap
from .clients import card_id, get_client
from .consents import current_purposes
from .datamap import Act
from .errors import Conflict, HoldError, InvalidInput
from .models import Client, utcnow

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    from .db import UnitOfWork

__all__ = ["MERGE_COUNTS", "MERGE_FILL_FIELDS", "MergeResult", "merge_clients", "plan_merge"]

_CONSENT = table("consent", *(column(n) for n in ("id", "client_id", "purpose", "given_on", "withdrawn_on")))
_CLIENT = table("client", column("id"))


def _merge_counts() -> dict[str, Select[Any]]:
    """What a merge moves, from the data map, in map order: ``label -> SELECT count(*)``
    (parameters ``d``, the duplicate's id, and ``dnum``, its number).

    A table merge moves has its link set to the kept card; one that follows
    its parent (weights, visits and vaccinations a pet; payments an invoice)
    moves with it: counted, not updated.
    """
    out: dict[str, Select[Any]] = {}
    for entry in datamap.MAP:
        link = entry.link
        if link is None or not entry.merge_counted or entry.merge not in (Act.MOVE, Act.FOLLOW):
            continue
        if entry.merge is Act.MOVE:
            t = table(entry.name, column(link.column))
            dup: Any = bindparam("dnum" if link.key == "number" else "d")
            out[entry.label] = select(func.count()).select_from(t).where(t.c[link.column] == dup)
        else:
            up = datamap.entry(link.parent).link
            assert up is not None
            row = table(entry.name, column(link.column)).alias("t")
            o = table(link.parent, column(link.key), column(up.column)).alias("o")
            out[entry.label] = (select(func.count()).select_from(row.join(o, o.c[link.key] == row.c[link.column]))
                                .where(o.c[up.column] == bindparam("d")))
    return out


#: What a merge moves, in the order it is reported.
MERGE_COUNTS: dict[str, Select[Any]] = _merge_counts()

#: Fields of the kept card filled from the duplicate when the kept card has none.
MERGE_FILL_FIELDS: tuple[str, ...] = ("phone", "landline", "email", "birth_date")


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved (or, from :func:`plan_merge`, would move).

    ``moved`` maps each category of :data:`MERGE_COUNTS` to a count;
    ``filled`` names the kept card's empty fields taken from the duplicate;
    ``consents_closed`` counts open consents closed by a withdrawal recorded on
    the other card (see :func:`merge_clients`); ``current_consents`` (after
    the merge only) the purposes with a consent current on the merge date.
    """

    keep_id: int
    keep_number: str
    duplicate_number: str
    moved: dict[str, int]
    filled: tuple[str, ...] = ()
    consents_closed: int = 0
    current_consents: tuple[str, ...] = ()
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.keep_id, "number": self.keep_number, "duplicate": self.duplicate_number,
                "moved": dict(self.moved), "filled": list(self.filled),
                "consents_closed": self.consents_closed,
                "current_consents": list(self.current_consents), "merged": self.done}


def _consent_closures(uow: UnitOfWork, keep_id: int, dup_id: int) -> list[tuple[int, str]]:
    """(consent id, withdrawal date) for open consents that a withdrawal on the
    other card covers: the earliest withdrawal for the same purpose on or after
    the day the open consent was given."""
    c = _CONSENT.c
    rows = uow.execute(select(c.id, c.client_id, c.purpose, c.given_on, c.withdrawn_on)
                       .where(c.client_id.in_([keep_id, dup_id]))).all()
    closures = []
    for r in rows:
        if r.withdrawn_on is not None:
            continue
        given = str(r.given_on)
        later = sorted(str(o.withdrawn_on) for o in rows
                       if o.client_id != r.client_id and o.purpose == r.purpose
                       and o.withdrawn_on is not None and str(o.withdrawn_on) >= given)
        if later:
            closures.append((r.id, later[0]))
    return closures


def plan_merge(uow: UnitOfWork, keep_ref: str, duplicate_ref: str) -> MergeResult:
    """Check that ``duplicate_ref`` may be merged into ``keep_ref`` and count what would move.

    Reads only. Refuses (nothing written): an unknown client (:class:`NotFound`),
    the same client twice (:class:`InvalidInput`), a restricted card on either
    side (:class:`Conflict`: it is kept only for a hold) and a duplicate under
    a manual legal hold (:class:`HoldError`: lift it first with ``client unhold``).
    A legal hold on the kept card is no obstacle: nothing of it is deleted.
    """
    keep = get_client(uow, keep_ref, include_restricted=True)
    dup = get_client(uow, duplicate_ref, include_restricted=True)
    if keep.id == dup.id:
        raise InvalidInput("DUPLICATE", "must be another client than KEEP")
    for card in (keep, dup):
        if card.restricted:
            raise Conflict(f"client {card.number} is restricted (kept only for a hold) and cannot be merged")
    if dup.legal_hold_reason is not None:
        raise HoldError(f"client {dup.number} is under a manual legal hold: lift it first "
                        f"(vetcards client unhold {dup.number}) or keep that card instead")
    params = {"d": dup.id, "dnum": dup.number}
    moved = {name: int(uow.execute(query, params).scalar() or 0) for name, query in MERGE_COUNTS.items()}
    filled = tuple(f for f in MERGE_FILL_FIELDS
                   if getattr(keep, f) is None and getattr(dup, f) is not None)
    return MergeResult(keep_id=card_id(keep), keep_number=keep.number, duplicate_number=dup.number,
                       moved=moved, filled=filled,
                       consents_closed=len(_consent_closures(uow, card_id(keep), card_id(dup))))


def merge_clients(uow: UnitOfWork, keep_ref: str, duplicate_ref: str, *, today: date) -> MergeResult:
    """Merge a duplicate client card into the card that is kept, in one transaction.

    - Pets (with their weights, visits and vaccinations), invoices and credit
      notes (with their lines and payments), medicine records, consents and
      disclosures move to the kept card (their ``client_id`` changes). The
      snapshot on an issued invoice (customer name, address, birth date, the
      practice's details) is not touched: the invoice stays addressed as it was.
    - Consents: the duplicate's consent history moves as it is (it is the
      proof of consent given). A withdrawal is the person's, whichever card it
      was recorded on: an open consent on one card that was given on or before
      a withdrawal for the same purpose recorded on the other card is closed
      with that withdrawal's date (``consents_closed``), so that, e.g., no
      reminder card goes out after the person withdrew under the other number.
      A consent given after that withdrawal stays current.
    - Data-subject requests made under the duplicate's number are the same
      person's requests: they move to the kept number (``client_number``), so
      their deadlines stay in ``request list`` and ``export``/``erase
      --request`` of the kept card can close them.
    - The kept card's own fields are not overwritten (the desk corrects them
      with ``client edit``); only a phone, e-mail or birth date missing on the
      kept card is filled from the duplicate (``filled``).
    - The kept card's ``updated_at`` moves (a merge is an edit, so activity);
      the duplicate's card is deleted. Its number is never given out again
      (numbers come from the counter table).
    - Audited as ``client.merge`` with both numbers, the counts moved and the
      names of the fields filled; never a name or other value.

    ``today`` is the date of the merge: the result lists the purposes with a
    consent current on it (``current_consents``), for the desk to check.
    Refusals are those of :func:`plan_merge`; they write nothing.
    """
    plan = plan_merge(uow, keep_ref, duplicate_ref)
    keep: Client = uow.get(Client, plan.keep_id)
    dup = get_client(uow, plan.duplicate_number, include_restricted=True)
    closures = _consent_closures(uow, plan.keep_id, card_id(dup))
    run = uow.execute
    for entry in datamap.MAP:
        link = entry.link
        if entry.merge is Act.MOVE and link is not None:
            k, d = (keep.number, dup.number) if link.key == "number" else (plan.keep_id, card_id(dup))
            t = table(entry.name, column(link.column))
            run(update(t).where(t.c[link.column] == d).values({link.column: k}))
    c = _CONSENT.c
    for consent_id, withdrawn_on in closures:
        run(update(_CONSENT).where(c.id == consent_id, c.withdrawn_on.is_(None)).values(withdrawn_on=withdrawn_on))
    for name in plan.filled:
        setattr(keep, name, getattr(dup, name))
    keep.updated_at = utcnow()
    uow.add(keep)
    uow.flush()
    # Everything of the duplicate has moved: the delete cascades to nothing.
    uow.expunge(dup)
    run(delete(_CLIENT).where(_CLIENT.c.id == card_id(dup)))
    details: dict[str, Any] = dict(plan.moved)
    details["filled"] = list(plan.filled)
    details["consents_closed"] = len(closures)
    audit.record(uow, "client.merge", "client", [keep.number, dup.number], details)
    current = current_purposes(uow, plan.keep_id, today)
    uow.commit()
    return MergeResult(keep_id=plan.keep_id, keep_number=keep.number, duplicate_number=dup.number,
                       moved=plan.moved, filled=plan.filled, consents_closed=len(closures),
                       current_consents=current, done=True)
