"""The recipients register (GDPR art. 30): every party the practice shares data with.

The privacy statement names every party the practice shares data with; each
is a row in ``recipient`` with its kind, the date of the processing agreement,
the data categories it may receive and the consent purpose it needs. The
disclosure log (:mod:`vetcards.disclosures`) and the files that leave the
practice (:mod:`vetcards.sharing`, :mod:`vetcards.reminders`) look their
recipient up here and are refused categories the register does not allow.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import column, func, insert, select, table

from . import audit, codes, validation, vocab
from .consents import parse_purpose
from .errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

RECIPIENT_KINDS = vocab.RECIPIENT_KINDS

#: Data categories a recipient may receive and a disclosure names, with their English text.
DATA_CATEGORIES: dict[str, str] = dict(vocab.descriptions("data_category", "en"))

#: The consent purpose a kind of recipient needs when the register names none.
KIND_PURPOSE: dict[str, str] = {
    "lab": "lab",
    "pharmacy": "pharmacy",
    "specialist": "referral",
    "printer": "reminders",
    "chip-registry": "chip-registration",
}

RECIPIENT_COLUMNS = ("id", "name", "kind", "agreement_date", "categories", "needs_consent")

_recipient = table("recipient", *(column(c) for c in (*RECIPIENT_COLUMNS, "created_at", "controller")))
#: Rows of this practice's register; a recipient named only by another practice's
#: imported disclosures (``controller`` set) is history, not in the register.
_REGISTERED = _recipient.c.controller.is_(None)


# --------------------------------------------------------------------------
# Small parsers
# --------------------------------------------------------------------------


def parse_kind(value: Optional[str], field: str = "--kind") -> str:
    return codes.parse(value, RECIPIENT_KINDS, field)


def parse_categories(value: Optional[str], field: str = "--categories") -> list[str]:
    """``"naw, animal,record"`` -> ``["naw", "animal", "record"]`` (known categories, no repeats)."""
    items = [c.strip().lower() for c in (value or "").split(",") if c.strip()]
    if not items:
        raise InvalidInput(field, validation.RULE_REQUIRED)
    out: list[str] = []
    for c in items:
        if c not in DATA_CATEGORIES:
            raise InvalidInput(field, "each " + vocab.rule_one_of(DATA_CATEGORIES))
        if c not in out:
            out.append(c)
    return out


def split_categories(categories: str) -> list[str]:
    """The stored ``"naw,animal"`` as a list."""
    return [c for c in (categories or "").split(",") if c]


def now_stored() -> str:
    """UTC now in the form SQLAlchemy stores DateTime columns in SQLite."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def past_date(raw: Optional[str], *, today: date, field: str = "--date") -> date:
    """A date given for something that happened (today when none): not in the future, not absurdly old."""
    d = validation.parse_date(raw, field=field) if raw is not None else today
    if d > today:
        raise InvalidInput(field, validation.RULE_FUTURE)
    if d < validation.MIN_BIRTH_DATE:
        raise InvalidInput(field, validation.RULE_TOO_OLD)
    return d


# --------------------------------------------------------------------------
# The register
# --------------------------------------------------------------------------


def add_recipient(uow: UnitOfWork, raw: dict[str, Optional[str]], *, today: date) -> dict[str, Any]:
    """Add a party to the recipients register; commits."""
    name = validation.text(raw.get("name"), field="--name", max_len=200)
    kind = parse_kind(raw.get("kind"))
    categories = parse_categories(raw.get("categories"))
    agreement = None
    agreement_raw = raw.get("agreement_date")
    if agreement_raw is not None and agreement_raw.strip():
        agreement = past_date(agreement_raw, today=today, field="--agreement-date")
    needs = None
    needs_raw = raw.get("needs_consent")
    if needs_raw is not None and needs_raw.strip():
        needs = parse_purpose(needs_raw, field="--needs-consent")
    r = _recipient.c
    taken = uow.execute(select(r.id).where(func.lower(r.name) == func.lower(name))).scalar()
    if taken is not None:
        raise Conflict(f"--name: a recipient with this name is already registered (id {taken})")
    rid = uow.execute(insert(_recipient).values(
        name=name, kind=kind, agreement_date=agreement.isoformat() if agreement else None,
        categories=",".join(categories), needs_consent=needs, created_at=now_stored(),
    ).returning(r.id)).scalar_one()
    audit.record(uow, "recipient.add", "recipient", [rid], {"kind": kind, "categories": categories})
    uow.commit()
    return {"id": rid, "name": name, "kind": kind,
            "agreement_date": agreement.isoformat() if agreement else None,
            "categories": ",".join(categories), "needs_consent": needs}


def _columns() -> list[Any]:
    return [_recipient.c[n] for n in RECIPIENT_COLUMNS]


def list_recipients(uow: UnitOfWork, kind: Optional[str] = None) -> list[dict[str, Any]]:
    r = _recipient.c
    stmt = select(*_columns()).where(_REGISTERED)
    if kind:
        stmt = stmt.where(r.kind == parse_kind(kind))
    stmt = stmt.order_by(r.kind, func.lower(r.name), r.id)
    return [dict(row._mapping) for row in uow.execute(stmt)]


def get_recipient(uow: UnitOfWork, ref: str, field: str = "--to") -> dict[str, Any]:
    """A recipient by id (``3``) or by name (case-insensitive)."""
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput(field, validation.RULE_REQUIRED)
    r = _recipient.c
    if ref.isdigit() and ref.isascii():
        where = r.id == int(ref)
    else:
        where = func.lower(r.name) == func.lower(ref)
    row = uow.execute(select(*_columns()).where(where, _REGISTERED)).first()
    if row is None:
        raise NotFound(f"recipient {ref} not found (see: vetcards recipient list)")
    return dict(row._mapping)


def recipient_of_kind(uow: UnitOfWork, kind: str, ref: Optional[str] = None) -> dict[str, Any]:
    """The recipient named by ``ref``, else the only one of ``kind`` in the register."""
    if ref:
        rec = get_recipient(uow, ref)
        if rec["kind"] != kind:
            raise InvalidInput("--to", f"must be a recipient of kind {kind}")
        return rec
    found = list_recipients(uow, kind)
    if not found:
        raise NotFound(f"no recipient of kind {kind} in the register; add one with: vetcards recipient add")
    if len(found) > 1:
        raise InvalidInput("--to", f"several recipients of kind {kind} are registered; name one with --to")
    return found[0]


def required_purpose(recipient: dict[str, Any]) -> Optional[str]:
    """The consent purpose a disclosure to this recipient needs (None: no consent basis)."""
    return recipient.get("needs_consent") or KIND_PURPOSE.get(recipient["kind"])


def check_categories(recipient: dict[str, Any], categories: Iterable[str]) -> None:
    """Refuse categories the register does not allow this recipient to receive."""
    allowed = set(split_categories(recipient["categories"]))
    extra = [c for c in categories if c not in allowed]
    if extra:
        raise Conflict(
            f"--categories: recipient {recipient['id']} may not receive: {', '.join(extra)} "
            f"(the register allows: {recipient['categories'] or 'nothing'})"
        )
