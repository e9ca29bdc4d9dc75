"""The medical record: visits, vaccinations, medicines (write side).

Each use case takes a :class:`~vetcards.db.UnitOfWork`, validates every field before writing,
appends an audit entry (ids and numbers only) in the same transaction and
commits. Reads are in :func:`vetcards.views.pet_card` (``pet show``);
voiding and correcting a record (SPEC §9) in :mod:`vetcards.corrections`.

All three records are activity of the owning client (SPEC §3): the activity
query in :mod:`vetcards.activity` picks them up by date. A medicine record
keeps ``client_id`` so that the 5-year medicine hold (EU 2019/6 art. 103)
survives an erasure; ``owner_name``/``owner_address`` stay NULL while the
client card exists (the erasure fills them in when it detaches the record).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import TYPE_CHECKING, Any, Optional, TypeVar

from . import audit, validation
from .errors import InvalidInput
from .models import MedicineRecord, Pet, Vaccination, Visit
from .patients import get_client_of, get_pet, row_id

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

#: Oldest date accepted for a record entry.
MIN_DATE = date(1900, 1, 1)

_QUANTITY_RE = re.compile(r"([0-9]{1,7})(?:[.,]([0-9]{1,3}))?(?:\s*(\S.*))?", re.ASCII | re.S)

RULE_QUANTITY = "must be a positive amount with an optional unit, like 2, 1,5 ml or 10 tablets"


def multiline_text(value: Optional[str], *, field: str, max_len: int,
                   required: bool = False) -> Optional[str]:
    """Free text that may span lines (findings): newlines allowed, other controls not.

    Windows line ends become ``\\n``; trailing spaces on each line and blank
    lines at both ends are dropped.
    """
    v = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    v = "\n".join(line.rstrip() for line in v.split("\n")).strip()
    if not v:
        if required:
            raise InvalidInput(field, validation.RULE_REQUIRED)
        return None
    validation.check_visible(v, field, line_breaks=True)
    if len(v) > max_len:
        raise InvalidInput(field, f"must be at most {max_len} characters")
    return v


def _record_date(raw: Optional[str], *, today: date, pet: Pet, field: str = "--date") -> date:
    """A date in the record: default today, not in the future, not before the pet's birth."""
    d = validation.parse_date(raw, field=field) if raw is not None else today
    if d > today:
        raise InvalidInput(field, validation.RULE_FUTURE)
    if d < MIN_DATE:
        raise InvalidInput(field, validation.RULE_TOO_OLD)
    if pet.birth_date and d < pet.birth_date:
        raise InvalidInput(field, "must not be before the pet's birth date")
    return d


def _not_after_death(d: date, pet: Pet, field: str = "--date") -> None:
    if pet.deceased_on and d > pet.deceased_on:
        raise InvalidInput(field, "must not be after the pet's date of death")


def quantity(value: Optional[str], field: str = "--quantity") -> str:
    """A quantity such as ``2``, ``1,5 ml`` or ``10 tablets``: positive, one line."""
    v = validation.text(value, field=field, max_len=30) or ""
    m = _QUANTITY_RE.fullmatch(v)
    if not m:
        raise InvalidInput(field, RULE_QUANTITY)
    if int(m.group(1)) == 0 and not (m.group(2) or "").strip("0"):
        raise InvalidInput(field, RULE_QUANTITY)
    return v


_Record = TypeVar("_Record", Visit, Vaccination, MedicineRecord)


def _write(uow: UnitOfWork, pet: Pet, record: _Record, action: str,
           details: Optional[dict[str, Any]] = None) -> _Record:
    """Add one record of ``pet``, audit it (ids and numbers only) and commit."""
    owner = get_client_of(uow, pet)
    uow.add(record)
    uow.flush()
    audit.record(uow, action, record.__tablename__, [record.id, pet.number, owner.number], details)
    uow.commit()
    return record


# --------------------------------------------------------------------------
# Visits
# --------------------------------------------------------------------------


def validate_visit(raw: dict[str, Optional[str]], *, today: date, pet: Pet) -> dict[str, Any]:
    return {
        "visit_date": _record_date(raw.get("date"), today=today, pet=pet),
        "reason": validation.text(raw.get("reason"), field="--reason", max_len=500),
        "findings": multiline_text(raw.get("findings"), field="--findings", max_len=4000),
        "diagnosis": validation.text(raw.get("diagnosis"), field="--diagnosis", max_len=1000, required=False),
        "treatment": validation.text(raw.get("treatment"), field="--treatment", max_len=2000, required=False),
        "vet": validation.text(raw.get("vet"), field="--vet", max_len=100, required=False),
    }


def add_visit(uow: UnitOfWork, pet_ref: str, raw: dict[str, Optional[str]], *, today: date) -> Visit:
    """Record a consultation on a patient card."""
    pet = get_pet(uow, pet_ref)
    fields = validate_visit(raw, today=today, pet=pet)
    return _write(uow, pet, Visit(pet_id=row_id(pet), **fields), "visit.add")


# --------------------------------------------------------------------------
# Vaccinations
# --------------------------------------------------------------------------


def validate_vaccination(raw: dict[str, Optional[str]], *, today: date, pet: Pet) -> dict[str, Any]:
    given_on = _record_date(raw.get("date"), today=today, pet=pet)
    _not_after_death(given_on, pet)
    vaccine = validation.text(raw.get("vaccine"), field="--vaccine", max_len=100)
    batch = validation.text(raw.get("batch"), field="--batch", max_len=50, required=False)
    next_due = None
    next_due_raw = raw.get("next_due")
    if next_due_raw is not None and next_due_raw.strip():
        next_due = validation.parse_date(next_due_raw, field="--next-due")
        if next_due <= given_on:
            raise InvalidInput("--next-due", "must be after the vaccination date")
        if next_due.year > given_on.year + 10:
            raise InvalidInput("--next-due", "must be at most 10 years after the vaccination date")
    return {"given_on": given_on, "vaccine": vaccine, "batch": batch, "next_due": next_due}


def add_vaccination(uow: UnitOfWork, pet_ref: str, raw: dict[str, Optional[str]], *,
                    today: date) -> Vaccination:
    """Record a vaccination; its next-due date makes a recall (reminder card).

    A newer vaccination with the same vaccine completes the older recall
    (see :mod:`vetcards.reminders`).
    """
    pet = get_pet(uow, pet_ref)
    fields = validate_vaccination(raw, today=today, pet=pet)
    return _write(uow, pet, Vaccination(pet_id=row_id(pet), **fields), "vaccination.add",
                  {"recall": fields["next_due"] is not None})


# --------------------------------------------------------------------------
# Medicines administered or dispensed
# --------------------------------------------------------------------------


def validate_medicine(raw: dict[str, Optional[str]], *, today: date, pet: Pet) -> dict[str, Any]:
    record_date = _record_date(raw.get("date"), today=today, pet=pet)
    _not_after_death(record_date, pet)
    out = {
        "record_date": record_date,
        "product": validation.text(raw.get("product"), field="--product", max_len=200),
        "batch": validation.text(raw.get("batch"), field="--batch", max_len=50),
        "quantity": quantity(raw.get("quantity")),
        "vet": validation.text(raw.get("vet"), field="--vet", max_len=100),
        "expiry": None,
    }
    expiry_raw = raw.get("expiry")
    if expiry_raw is not None and expiry_raw.strip():
        expiry = validation.parse_date(expiry_raw, field="--expiry")
        if expiry < record_date:
            raise InvalidInput("--expiry", "must not be before the date it was administered or dispensed "
                                           "(an expired product)")
        out["expiry"] = expiry
    return out


def add_medicine(uow: UnitOfWork, pet_ref: str, raw: dict[str, Optional[str]], *, today: date,
                 dispensed: bool = False) -> MedicineRecord:
    """Record a veterinary medicine administered (default) or dispensed.

    Product, batch, quantity and prescribing vet are required: they are what
    EU Regulation 2019/6 art. 103 asks the record to hold.
    """
    pet = get_pet(uow, pet_ref)
    fields = validate_medicine(raw, today=today, pet=pet)
    # The owner is kept on the record: the medicine hold outlives an erasure.
    record = MedicineRecord(pet_id=row_id(pet), client_id=pet.client_id, dispensed=dispensed, **fields)
    return _write(uow, pet, record, "medicine.add", {"dispensed": dispensed})
