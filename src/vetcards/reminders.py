"""Vaccination reminder cards: the printer's CSV (SPEC §1, §3).

A vaccination's ``next_due`` date makes a recall. A newer vaccination of the
same vaccine for the same animal completes the older recall. Left out:
deceased animals, restricted clients (art. 18), and clients without a current
consent for reminders (never given, or withdrawn).

The mailing firm receives only what it needs to print and post a card:
name, street, postcode, city, pet name, species, vaccine and due date
(:data:`COLUMNS`; the file's format: docs/reminder-cards.md). Only a file
actually handed over is a disclosure (SPEC §5): then one disclosure per
client is logged to the printer recipient in the caller's transaction,
which must commit before the file is published (see
:class:`vetcards.sharing.Outbox`). A preview (``handed_over=False``: a dry run,
or the cards shown without a file or a recipient) logs no disclosure; it is
audited as a read (``reminders.preview``, counts only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import text

from . import audit, files
from .consents import current_sql
from .disclosures import Entry, log
from .errors import InvalidInput
from .recipients import check_categories, recipient_of_kind
from .sharing import Prepared
from .vocab import label

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

#: The only columns the printer gets, in this order.
COLUMNS: tuple[str, ...] = ("name", "street", "postcode", "city", "pet_name", "species", "vaccine", "due_date")

#: The data categories each card discloses (as named in the recipients register).
CATEGORIES: tuple[str, ...] = ("naw", "animal", "recall")

# One row per open recall. The consent subquery picks the client's current
# reminders consent (its id goes into the disclosure log); rows without one
# are dropped in the outer query.
_RECALLS_SQL = f"""
SELECT * FROM (
    SELECT c.id AS client_id, c.name, c.street, c.postcode, c.city,
           p.id AS pet_id, p.name AS pet_name, p.species, v.vaccine, v.next_due AS due_date,
           (SELECT k.id FROM consent k
             WHERE k.client_id = c.id AND k.purpose = 'reminders'
               AND {current_sql("k.")}
             ORDER BY k.given_on DESC, k.id DESC LIMIT 1) AS consent_id
      FROM vaccination v
      JOIN pet p ON p.id = v.pet_id
      JOIN client c ON c.id = p.client_id
     WHERE v.next_due IS NOT NULL
       AND v.voided_at IS NULL
       AND v.next_due < :before
       AND v.next_due >= :after
       AND p.deceased_on IS NULL
       AND c.restricted = 0
       AND NOT EXISTS (
           SELECT 1 FROM vaccination n
            WHERE n.pet_id = v.pet_id
              AND n.voided_at IS NULL
              AND lower(trim(n.vaccine)) = lower(trim(v.vaccine))
              AND (n.given_on > v.given_on OR (n.given_on = v.given_on AND n.id > v.id)))
) AS recalls
WHERE consent_id IS NOT NULL
ORDER BY postcode, client_id, pet_id, due_date, vaccine
"""

Progress = Callable[[int, int], None]


def recalls(uow: UnitOfWork, *, due_before: date, today: date, due_after: Optional[date] = None) -> list[dict[str, Any]]:
    """Open recalls due before ``due_before`` (and on/after ``due_after``) that may be sent."""
    params = {"before": due_before.isoformat(), "on": today.isoformat(),
              "after": (due_after or date.min).isoformat()}
    return [dict(r._mapping) for r in uow.execute(text(_RECALLS_SQL), params)]


def to_csv(rows: list[dict[str, Any]], progress: Optional[Progress] = None, *, excel: bool = False,
           lang: str = "nl") -> bytes:
    """The printer's CSV (docs/reminder-cards.md): a header row of :data:`COLUMNS`, one line per
    recall, species in Dutch, dates ISO 8601, CRLF line ends, UTF-8; formulas neutralised
    (:func:`vetcards.files.csv_cell`). ``excel``: for a Dutch spreadsheet (BOM, ``;``)."""
    total = len(rows)

    def lines() -> Iterator[list[Any]]:
        for i, r in enumerate(rows, 1):
            yield [label("species", r[c], lang) if c == "species" else r[c] for c in COLUMNS]
            if progress is not None and (i % 200 == 0 or i == total):
                progress(i, total)

    return files.csv_bytes(COLUMNS, lines(), excel=excel)


def export(uow: UnitOfWork, *, due_before: date, today: date, due_after: Optional[date] = None,
           recipient_ref: Optional[str] = None, progress: Optional[Progress] = None,
           handed_over: bool = True, excel: bool = False) -> Prepared:
    """Build the printer's CSV; when it is ``handed_over``, log one disclosure per client.

    The caller stages the file, then commits. A preview logs no disclosure.
    """
    if due_after is not None and due_after >= due_before:
        raise InvalidInput("--due-after", "must be before --due-before")
    recipient = recipient_of_kind(uow, "printer", recipient_ref)
    check_categories(recipient, CATEGORIES)
    rows = recalls(uow, due_before=due_before, today=today, due_after=due_after)
    per_client: dict[int, int] = {}
    for r in rows:
        per_client.setdefault(r["client_id"], r["consent_id"])
    details: dict[str, Any] = {"recipient_id": recipient["id"], "clients": len(per_client), "recalls": len(rows),
                               "due_before": due_before.isoformat()}
    if handed_over:
        ids = log(uow, [Entry(client_id=cid, recipient_id=recipient["id"], disclosed_on=today,
                               categories=CATEGORIES, basis="consent", consent_id=consent_id)
                         for cid, consent_id in per_client.items()])
        details.update(first_disclosure_id=ids[0] if ids else None, last_disclosure_id=ids[-1] if ids else None)
    audit.record(uow, "reminders.export" if handed_over else "reminders.preview", "disclosure", [], details)
    content = to_csv(rows, progress, excel=excel)
    return Prepared(content, {"recalls": len(rows), "clients": len(per_client),
                              "recipient_id": recipient["id"], "due_before": due_before.isoformat(),
                              "disclosures": len(per_client) if handed_over else 0})
