"""Corrections in the medical record: void or correct a visit, vaccination or medicine record (SPEC §9).

Mistakes are corrected, never silently erased. The original stays in the
history, marked (``voided_at``, ``void_reason``):

* **void**: the record was a mistake (a vaccination booked on the wrong
  animal); it stays, marked voided with the reason. A voided vaccination
  makes no recall (:mod:`vetcards.reminders` skips it).
* **correct**: a new record with the original's fields and the corrected
  ones, ``corrects_id`` naming the original; the original is voided with the
  reason, in the same unit of work.

Refused: voiding a record twice, correcting a voided record, a reason that is
empty or holds control or invisible characters, a record of a restricted
(erased) client or one kept detached for the medicine hold. Every void and
correction is audited (ids and numbers only, never the reason) and is
activity of the owner (``date(voided_at)`` in :mod:`vetcards.datamap`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Optional, Union

from . import audit, validation
from .errors import Conflict, InvalidInput, NotFound, shown_ref
from .medical import validate_medicine, validate_vaccination, validate_visit
from .models import MedicineRecord, Pet, Vaccination, Visit, utcnow
from .patients import get_client_of, get_pet

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

__all__ = ["KINDS", "Corrected", "Voided", "correct_record", "void_record"]

Record = Union[Visit, Vaccination, MedicineRecord]


@dataclass(frozen=True)
class Kind:
    """One kind of record: its model, the fields a correction may give and how they map to columns."""

    name: str
    model: type[Record]
    #: raw field name (as medical.validate_* takes it) -> column of the record
    fields: dict[str, str]
    label: str


#: The kinds of record a person names (``vetcards record void KIND ID``).
KINDS: dict[str, Kind] = {
    "visit": Kind("visit", Visit, {"date": "visit_date", "reason": "reason", "findings": "findings",
                                   "diagnosis": "diagnosis", "treatment": "treatment", "vet": "vet"},
                  "visit"),
    "vaccination": Kind("vaccination", Vaccination, {"date": "given_on", "vaccine": "vaccine", "batch": "batch",
                                                     "next_due": "next_due"}, "vaccination"),
    "medicine": Kind("medicine", MedicineRecord, {"date": "record_date", "product": "product", "batch": "batch",
                                                  "quantity": "quantity", "expiry": "expiry", "vet": "vet",
                                                  "dispensed": "dispensed"}, "medicine record"),
}

RULE_KIND = "must be visit, vaccination or medicine"
RULE_ID = "must be the record's id as shown by vetcards pet show"


def kind_of(name: str) -> Kind:
    """The kind a person typed (any case; ``vaccinate``/``administered``/``dispensed`` understood)."""
    key = " ".join(str(name).lower().split())
    key = {"vaccinate": "vaccination", "administered": "medicine", "dispensed": "medicine",
           "medicine record": "medicine", "medicine_record": "medicine"}.get(key, key)
    if key not in KINDS:
        raise InvalidInput("KIND", RULE_KIND)
    return KINDS[key]


def record_id(ref: str) -> int:
    """The numeric id a person typed (``12``); anything else is refused, naming the rule."""
    value = str(ref).strip()
    if not (value.isascii() and value.isdigit()) or int(value) == 0:
        raise InvalidInput("ID", RULE_ID)
    return int(value)


def reason_text(value: Optional[str], field: str = "--reason") -> str:
    """The reason of a void or correction: required, one line, at most 500 characters, visible text."""
    reason = validation.text(value, field=field, max_len=500)
    assert reason is not None
    return reason


def check_open(voided_at: Optional[datetime], what: str, *, correcting: bool = False) -> None:
    """A voided record can be neither voided again nor corrected."""
    if voided_at is not None:
        raise Conflict(f"{what} is already voided" + ("; correct the record that replaced it, if any"
                                                      if correcting else ""))


def given_fields(kind: Kind, given: dict[str, Optional[str]]) -> dict[str, Optional[str]]:
    """The fields a correction gives (not None); a field the kind does not have is refused."""
    out: dict[str, Optional[str]] = {k: v for k, v in given.items() if v is not None}
    for key in out:
        if key not in kind.fields:
            raise InvalidInput(f"--{key.replace('_', '-')}", f"does not apply to a {kind.label}")
    if not out:
        raise InvalidInput("record correct", "give at least one field to correct (or void the record)")
    return out


def _raw(value: Any) -> Optional[str]:
    """A stored value as the raw string the validators take."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Voided:
    kind: str
    id: int
    pet: str
    voided_at: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "voided": self.id, "pet": self.pet, "voided_at": self.voided_at}


@dataclass(frozen=True)
class Corrected:
    kind: str
    id: int
    corrects: int
    pet: str
    changed: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "corrects": self.corrects, "voided": self.corrects,
                "pet": self.pet, "changed": self.changed}


def _find(uow: UnitOfWork, kind: Kind, ref: str) -> tuple[Record, Pet]:
    """The record and its pet; a record of a restricted client (or detached for a hold) is not found."""
    rid = record_id(ref)
    missing = NotFound(f"{kind.label} {shown_ref(ref)} not found")
    if rid > 2**63 - 1:
        raise missing
    record = uow.get(kind.model, rid)
    if record is None or record.pet_id is None or getattr(record, "restricted", False):
        raise missing
    try:
        pet = get_pet(uow, str(record.pet_id))
    except NotFound:
        raise missing from None
    return record, pet


def _mark(record: Record, reason: str) -> datetime:
    now = utcnow()
    record.voided_at = now
    record.void_reason = reason
    return now


def void_record(uow: UnitOfWork, kind_name: str, ref: str, reason: Optional[str]) -> Voided:
    """Void a record with a reason: it stays in the history, marked."""
    kind = kind_of(kind_name)
    text = reason_text(reason)
    record, pet = _find(uow, kind, ref)
    what = f"{kind.label} {record.id}"
    check_open(record.voided_at, what)
    owner = get_client_of(uow, pet)
    now = _mark(record, text)
    uow.flush()
    audit.record(uow, f"{kind.model.__tablename__}.void", kind.model.__tablename__,
                 [record.id, pet.number, owner.number])
    uow.commit()
    assert record.id is not None
    return Voided(kind.name, record.id, pet.number, now.isoformat(sep=" ", timespec="seconds"))


def correct_record(uow: UnitOfWork, kind_name: str, ref: str, given: dict[str, Optional[str]],
                   why: Optional[str], *, today: date) -> Corrected:
    """Write a corrected record (``corrects_id`` = the original) and void the original with ``why``."""
    kind = kind_of(kind_name)
    fields = given_fields(kind, given)
    text = reason_text(why, "--why")
    record, pet = _find(uow, kind, ref)
    check_open(record.voided_at, f"{kind.label} {record.id}", correcting=True)
    raw = {k: _raw(getattr(record, col)) for k, col in kind.fields.items() if k != "dispensed"}
    raw.update({k: v for k, v in fields.items() if k != "dispensed"})
    values: dict[str, Any]
    if isinstance(record, Visit):
        values = validate_visit(raw, today=today, pet=pet)
    elif isinstance(record, Vaccination):
        values = validate_vaccination(raw, today=today, pet=pet)
    else:
        values = validate_medicine(raw, today=today, pet=pet)
        values["dispensed"] = fields["dispensed"] == "yes" if "dispensed" in fields else record.dispensed
    changed = sorted(k for k, col in kind.fields.items() if values[col] != getattr(record, col))
    if not changed:
        raise InvalidInput("record correct", "nothing differs from the record; give the corrected values")
    extra: dict[str, Any] = {"pet_id": pet.id, "corrects_id": record.id}
    if isinstance(record, MedicineRecord):
        extra["client_id"] = record.client_id
    new = kind.model(**values, **extra)
    _mark(record, text)
    uow.add(new)
    uow.flush()
    owner = get_client_of(uow, pet)
    table = kind.model.__tablename__
    audit.record(uow, f"{table}.correct", table, [new.id, record.id, pet.number, owner.number],
                 {"corrects": record.id, "fields": changed})
    uow.commit()
    assert new.id is not None and record.id is not None
    return Corrected(kind.name, new.id, record.id, pet.number, changed)
