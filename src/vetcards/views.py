"""Read models of clients and pets: what `show`, `list` and `search` print, as plain dicts.

Reads use SQLAlchemy Core with plain SQL (the "views" of Architecture
Patterns with Python, ch. 12): no ORM, no SQLModel, so a `client show`
costs little more than importing SQLAlchemy. Restricted data (kept only for a
hold, GDPR art. 18) never appears here.

Every public function here is a use case: it reads, writes the audit entry of
that access (SPEC §5: every view of personal data is logged, by number and
count only) and commits it. So "every access is audited" holds for any caller,
not only the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import text

from . import audit, refs
from .activity import last_activity
from .vocab import format_kg

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

def _rows(uow: UnitOfWork, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in uow.execute(text(sql), params)]


def _audited(uow: UnitOfWork, action: str, entity: str, ids: list[str],
             details: Optional[dict[str, Any]] = None) -> None:
    """Log this access (numbers and counts only) and commit it."""
    audit.record(uow, action, entity, ids, details)
    uow.commit()


_PET_COLUMNS = """p.number, p.name, p.species, p.breed, p.sex, p.birth_date, p.chip,
    p.colour, p.coat, p.insured, p.deceased_on,
    (SELECT grams FROM weight w WHERE w.pet_id = p.id
     ORDER BY w.measured_on DESC, w.id DESC LIMIT 1) AS weight_grams"""


def _pet_out(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["weight_kg"] = format_kg(row.pop("weight_grams"))
    if row.get("insured") is not None:
        row["insured"] = bool(row["insured"])
    return row


def client_card(uow: UnitOfWork, ref: str) -> dict[str, Any]:
    """The client card with pets, consents, last activity and services rendered (audited)."""
    cid = refs.find_id(uow, "client", ref)
    card = _rows(
        uow,
        "SELECT id, number, name, street, postcode, city, country, phone, landline, email, birth_date, "
        "created_at, legal_hold_reason FROM client WHERE id = :cid",
        cid=cid,
    )[0]
    # The day of created_at (a timestamp), in place, as "created_on".
    card = {("created_on" if k == "created_at" else k): (str(v)[:10] if k == "created_at" and v else v)
            for k, v in card.items()}
    last = last_activity(uow, cid)
    card["last_activity"] = last.isoformat() if last else None
    card["pets"] = [
        _pet_out(r)
        for r in _rows(uow, f"SELECT {_PET_COLUMNS} FROM pet p WHERE p.client_id = :cid ORDER BY p.id", cid=cid)
    ]
    card["consents"] = _rows(
        uow,
        "SELECT purpose, given_on, statement_version, method, withdrawn_on FROM consent "
        "WHERE client_id = :cid ORDER BY given_on, id",
        cid=cid,
    )
    card["services"] = _services(uow, cid)
    card.update(_open_balance(uow, cid))
    _audited(uow, "client.view", "client", [card["number"]])
    return card


def _open_balance(uow: UnitOfWork, cid: int) -> dict[str, Any]:
    """What the client owes now (:func:`vetcards.daybook.client_open_cents`): ``open_cents`` and ``open``."""
    from .daybook import client_open_cents
    from .money import format_cents

    cents = client_open_cents(uow, cid)
    return {"open_cents": cents, "open": format_cents(cents)}


def _services(uow: UnitOfWork, cid: int) -> list[dict[str, Any]]:
    """Services rendered: invoice lines and visits, in date order."""
    return _rows(
        uow,
        """
        SELECT i.invoice_date AS date, 'invoice' AS kind, i.number AS reference,
               p.number AS pet, l.description AS description, l.quantity AS quantity,
               l.net_cents AS net_cents
          FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id
          LEFT JOIN pet p ON p.id = i.pet_id
         WHERE i.client_id = :cid AND i.kind = 'invoice'
        UNION ALL
        SELECT v.visit_date, 'visit', NULL, p.number, v.reason, NULL, NULL
          FROM visit v JOIN pet p ON p.id = v.pet_id
         WHERE p.client_id = :cid AND v.voided_at IS NULL
        ORDER BY 1, 2, 3
        """,
        cid=cid,
    )


def list_clients(uow: UnitOfWork, limit: Optional[int] = None) -> list[dict[str, Any]]:
    """Clients (not restricted), by surname (audited: the count)."""
    data = _clients(uow, limit)
    _audited(uow, "client.list", "client", [], {"count": len(data)})
    return data


def search_clients(uow: UnitOfWork, query: str) -> list[dict[str, Any]]:
    """Clients (not restricted) matching a search text, by surname (audited).

    The search (:mod:`vetcards.search`) matches name, street, postcode, city,
    phone however typed, e-mail, client number, and the name or chip number
    of one of the client's pets, ignoring case and accents. The search text
    itself may be a name: only the numbers found (the first 50) and the count
    are logged.
    """
    from .search import find

    data = _by_surname(find(uow, query), None)
    _audited(uow, "client.search", "client", [r["number"] for r in data[:50]], {"count": len(data)})
    return data


def _clients(uow: UnitOfWork, limit: Optional[int]) -> list[dict[str, Any]]:
    """The list rows of the visible clients, by surname, at most ``limit``."""
    return _by_surname(_rows(
        uow,
        "SELECT c.id, c.number, c.name, c.street, c.postcode, c.city, c.country, c.phone, c.landline, c.email, "
        "(SELECT count(*) FROM pet p WHERE p.client_id = c.id) AS pets "
        "FROM client c WHERE c.restricted = 0",
    ), limit)


def _by_surname(found: list[dict[str, Any]], limit: Optional[int]) -> list[dict[str, Any]]:
    """Client rows sorted by surname (:func:`vetcards.names.surname_key`: "Pieter van 't Hek"
    under H), then id; at most ``limit``; without their ids."""
    from .names import surname_key

    found.sort(key=lambda r: (surname_key(r["name"]), r["id"]))
    data = found[:limit] if limit else found
    for r in data:
        del r["id"]
    return data


def pet_card(uow: UnitOfWork, ref: str) -> dict[str, Any]:
    """The patient card: details, owner number, weight history and record (audited)."""
    pid = refs.find_id(uow, "pet", ref)
    card = _pet_out(
        _rows(uow, f"SELECT p.id, c.number AS client, {_PET_COLUMNS} FROM pet p "
                   "JOIN client c ON c.id = p.client_id WHERE p.id = :pid", pid=pid)[0]
    )
    card["weights"] = [
        {"date": r["measured_on"], "kg": format_kg(r["grams"])}
        for r in _rows(uow, "SELECT measured_on, grams FROM weight WHERE pet_id = :pid "
                            "ORDER BY measured_on, id", pid=pid)
    ]
    card["record"] = _medical_record(uow, pid)
    _audited(uow, "pet.view", "pet", [card["number"], card["client"]])
    return card


def _medical_record(uow: UnitOfWork, pid: int) -> list[dict[str, Any]]:
    """The medical record of one pet in date order (visits, vaccinations, medicines).

    Each entry has its ``id`` (what ``record void``/``record correct`` take)
    and, for the corrections trail (SPEC §9), ``voided_at``, ``void_reason``,
    ``corrects_id`` and a ``status`` for people: ``voided: REASON``,
    ``corrected by ID: REASON`` or ``corrects ID`` (empty for a plain record).
    """
    rows = _rows(
        uow,
        """
        SELECT id, visit_date AS date, 'visit' AS kind, reason AS what,
               trim(coalesce('findings: ' || findings || '; ', '') ||
                    coalesce('diagnosis: ' || diagnosis || '; ', '') ||
                    coalesce('treatment: ' || treatment, ''), '; ') AS details,
               vet, voided_at, void_reason, corrects_id
          FROM visit WHERE pet_id = :pid
        UNION ALL
        SELECT id, given_on, 'vaccination', vaccine,
               trim(coalesce('batch ' || batch || '; ', '') ||
                    coalesce('next due ' || next_due, ''), '; '), NULL, voided_at, void_reason, corrects_id
          FROM vaccination WHERE pet_id = :pid
        UNION ALL
        SELECT id, record_date, CASE dispensed WHEN 1 THEN 'dispensed' ELSE 'administered' END,
               product,
               trim('quantity ' || quantity || '; ' || coalesce('batch ' || batch || '; ', '') ||
                    coalesce('expiry ' || expiry, ''), '; '), vet, voided_at, void_reason, corrects_id
          FROM medicine_record WHERE pet_id = :pid
        ORDER BY 2, 3, 1
        """,
        pid=pid,
    )

    def table(kind: str) -> str:
        return "medicine" if kind in ("administered", "dispensed") else kind

    replaced_by = {(table(r["kind"]), r["corrects_id"]): r["id"] for r in rows if r["corrects_id"] is not None}
    for r in rows:
        r["voided_at"] = str(r["voided_at"])[:19] if r["voided_at"] else None
        status = [f"corrects {r['corrects_id']}"] if r["corrects_id"] is not None else []
        if r["voided_at"]:
            by = replaced_by.get((table(r["kind"]), r["id"]))
            mark = "voided" if by is None else f"corrected by {by}"
            status.append(f"{mark}: {r['void_reason']}" if r["void_reason"] else mark)
        r["status"] = "; ".join(status) or None
    return rows


def list_pets(uow: UnitOfWork, client_ref: Optional[str] = None,
              species: Optional[str] = None) -> list[dict[str, Any]]:
    """Pets of visible clients, all or one client's, optionally of one species (audited: the count)."""
    sql = (f"SELECT {_PET_COLUMNS}, c.number AS client FROM pet p JOIN client c ON c.id = p.client_id "
           "WHERE c.restricted = 0")
    params: dict[str, Any] = {}
    if client_ref is not None:
        params["cid"] = refs.find_id(uow, "client", client_ref)
        sql += " AND p.client_id = :cid"
    if species:
        from .validation import SPECIES_ALIASES

        wanted = " ".join(species.lower().split())
        params["species"] = SPECIES_ALIASES.get(wanted, wanted)
        sql += " AND p.species = :species"
    sql += " ORDER BY p.id"
    data = [_pet_out(r) for r in _rows(uow, sql, **params)]
    _audited(uow, "pet.list", "pet", [], {"count": len(data)})
    return data


def list_species(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The known species, by name (not personal data: not audited)."""
    return _rows(uow, "SELECT name AS species FROM species ORDER BY name")
