"""Patient cards: add, edit, weigh, mark deceased, remove, move; the species list (write side).

Every use case takes a :class:`~vetcards.db.UnitOfWork`, validates first,
writes its audit entry in the same transaction and commits. Sexes and the
seeded species are code lists of :mod:`vetcards.vocab`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import func, insert, select, update
from sqlmodel import SQLModel

from . import audit, numbering, refs, validation
from .clients import get_client
from .datamap import MAP
from .errors import Conflict, HoldError, InvalidInput
from .models import Client, Pet, PetCreate, Weight, utcnow

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

_SPECIES = SQLModel.metadata.tables["species"]
_PET = SQLModel.metadata.tables["pet"]


def known_species(uow: UnitOfWork) -> list[str]:
    """The species of this practice, by name."""
    return [str(name) for name in uow.execute(select(_SPECIES.c.name).order_by(_SPECIES.c.name)).scalars()]


def add_species(uow: UnitOfWork, name: str) -> str:
    """Add a species to the practice's list (``species add``)."""
    name = (validation.text(name, field="NAME", max_len=50) or "").lower()
    if name in known_species(uow):
        raise Conflict(f"species '{name}' is already known")
    uow.execute(insert(_SPECIES).values(name=name))
    audit.record(uow, "species.add", "species", [], {"count": 1})
    uow.commit()
    return name


def validate_pet(uow: UnitOfWork, raw: dict[str, Optional[str]], *, today: date,
                 partial: bool = False) -> dict[str, Any]:
    """Validate raw CLI strings for a pet; only given fields (all when not partial)."""
    out: dict[str, Any] = {}

    def given(name: str) -> bool:
        return raw.get(name) is not None

    if given("name") or not partial:
        out["name"] = validation.text(raw.get("name"), field="--name", max_len=100)
    if given("species") or not partial:
        species = raw.get("species")
        if not species:
            raise InvalidInput("--species", validation.RULE_REQUIRED)
        out["species"] = validation.species(species, known_species(uow))
    for name in ("breed", "colour", "coat"):
        if given(name):
            out[name] = validation.text(raw[name], field=f"--{name}", max_len=100, required=False)
    value = raw.get("sex")
    if value is not None:
        out["sex"] = validation.sex(value)
    value = raw.get("birth_date")
    if value is not None:
        out["birth_date"] = validation.birth_date(value, today=today)
    value = raw.get("chip")
    if value is not None:
        out["chip"] = validation.chip(value) if value.strip() else None
    if given("insured"):
        out["insured"] = raw["insured"] == "yes"
    value = raw.get("weight")
    if value is not None:
        out["weight_grams"] = validation.weight_grams(value)
    return out


def _check_chip_free(uow: UnitOfWork, chip: Optional[str], pet_id: Optional[int]) -> None:
    if chip is None:
        return
    other = uow.execute(select(_PET.c.id, _PET.c.number).where(_PET.c.chip == chip)).first()
    if other is not None and other.id != pet_id:
        raise Conflict(f"--chip: this chip number is already registered on pet {other.number}")


def get_pet(uow: UnitOfWork, ref: str) -> Pet:
    """Find a pet by number (``P000003``) or id; a pet of a restricted client is not found."""
    pet: Pet = uow.get(Pet, refs.find_id(uow, "pet", ref))
    return pet


def get_client_of(uow: UnitOfWork, pet: Pet) -> Client:
    """The owner of ``pet``."""
    owner: Client = uow.get(Client, pet.client_id)
    return owner


def row_id(row: Pet | Client) -> int:
    """The row id of a card read from (or flushed to) the database."""
    assert row.id is not None
    return row.id


def _check_day(on: date, pet: Pet, today: date, *, after_death: bool = True) -> None:
    """A date on a patient card: not in the future, not before birth (nor after death)."""
    if on > today:
        raise InvalidInput("--date", validation.RULE_FUTURE)
    if pet.birth_date and on < pet.birth_date:
        raise InvalidInput("--date", "must not be before the pet's birth date")
    if after_death and pet.deceased_on and on > pet.deceased_on:
        raise InvalidInput("--date", "must not be after the pet's date of death")


def add_pet(uow: UnitOfWork, client_ref: str, raw: dict[str, Optional[str]], *, today: date) -> Pet:
    """Add an animal to a client (``pet add``); a weight given starts its history."""
    client = get_client(uow, client_ref)
    fields = validate_pet(uow, raw, today=today)
    data = PetCreate(**fields)
    _check_chip_free(uow, data.chip, None)
    values = data.model_dump(exclude={"weight_grams"})
    pet = Pet(number=numbering.next_number(uow, "pet"), client_id=row_id(client), **values)
    uow.add(pet)
    uow.flush()
    if data.weight_grams is not None:
        # written at the card's own time: the weight that is part of the card (see records_of)
        uow.add(Weight(pet_id=row_id(pet), measured_on=today, grams=data.weight_grams, created_at=pet.created_at))
    audit.record(uow, "pet.add", "pet", [pet.number, client.number])
    uow.commit()
    return pet


def edit_pet(uow: UnitOfWork, ref: str, raw: dict[str, Optional[str]], *, today: date) -> tuple[Pet, list[str]]:
    """Correct a patient card; returns (pet, names of the fields that changed)."""
    pet = get_pet(uow, ref)
    fields = validate_pet(uow, raw, today=today, partial=True)
    fields.pop("weight_grams", None)
    if not fields:
        raise InvalidInput("pet edit", "give at least one field to change")
    if "chip" in fields:
        _check_chip_free(uow, fields["chip"], pet.id)
    changed = [k for k, v in fields.items() if getattr(pet, k) != v]
    for key in changed:
        setattr(pet, key, fields[key])
    if changed:
        pet.updated_at = utcnow()
        audit.record(uow, "pet.edit", "pet", [pet.number], {"fields": sorted(changed)})
    uow.commit()
    return pet, changed


def weigh(uow: UnitOfWork, ref: str, kg: str, *, on: date, today: date) -> Weight:
    """Add a dated weight (kg as typed) to the pet's weight history."""
    pet = get_pet(uow, ref)
    grams = validation.weight_grams(kg, field="KG")
    _check_day(on, pet, today)
    weight = Weight(pet_id=row_id(pet), measured_on=on, grams=grams)
    uow.add(weight)
    uow.flush()
    audit.record(uow, "pet.weigh", "pet", [pet.number])
    uow.commit()
    return weight


def mark_deceased(uow: UnitOfWork, ref: str, *, on: date, today: date) -> Pet:
    """Record the date of death (no reminders after it)."""
    pet = get_pet(uow, ref)
    _check_day(on, pet, today, after_death=False)
    pet.deceased_on = on
    pet.updated_at = utcnow()
    audit.record(uow, "pet.deceased", "pet", [pet.number])
    uow.commit()
    return pet


# --------------------------------------------------------------------------
# Remove a pet added by mistake; move a pet to another owner (SPEC §9)
# --------------------------------------------------------------------------

#: The tables of the data map whose rows hang off a pet (weights, visits,
#: vaccinations, medicine records, invoices, disclosures): a row in any of
#: them is a record that keeps the pet (voided records too: the trail stays).
PET_RECORDS: tuple[tuple[str, str, str], ...] = tuple(
    (t.name, t.label.replace("_", " "), link.column) for t in MAP for link in t.links if link.parent == "pet")


def records_of(uow: UnitOfWork, pet: Pet) -> dict[str, int]:
    """The records that stop ``pet remove``: label -> count, only those present.

    The one weight given with ``pet add`` (the only one, written with the
    card's own ``created_at``) is part of the card, not a record.
    """
    found: dict[str, int] = {}
    for name, label, column in PET_RECORDS:
        t = SQLModel.metadata.tables[name]
        n = int(uow.execute(select(func.count()).select_from(t).where(t.c[column] == pet.id)).scalar_one())
        if name == "weight" and n == 1:
            written = uow.execute(select(t.c.created_at).where(t.c[column] == pet.id)).scalar_one()
            n = 0 if written == pet.created_at else 1
        if n:
            found[label] = n
    return found


def plan_remove(uow: UnitOfWork, ref: str) -> tuple[Pet, Client]:
    """Check that ``pet remove`` may go on: the pet and its owner, or :class:`Conflict` naming the records."""
    pet = get_pet(uow, ref)
    owner = get_client_of(uow, pet)
    found = records_of(uow, pet)
    if found:
        what = ", ".join(f"{n} {label if n != 1 else label.rstrip('s')}" for label, n in found.items())
        raise Conflict(f"pet {pet.number} has records ({what}) and cannot be removed; "
                       "void a record booked on the wrong animal with vetcards record void, "
                       "or mark the pet deceased")
    return pet, owner


def remove_pet(uow: UnitOfWork, ref: str) -> dict[str, Any]:
    """Remove a pet added by mistake, while it has no records: ``id``, ``removed`` (number), ``client``.

    The pet's number is not given out again (the counter is stored). The
    removal is activity of the owner (the card's ``updated_at``).
    """
    pet, owner = plan_remove(uow, ref)
    pid, number, owner_number = row_id(pet), pet.number, owner.number
    weight = SQLModel.metadata.tables["weight"]
    uow.execute(weight.delete().where(weight.c.pet_id == pet.id))
    uow.session.delete(pet)
    owner.updated_at = utcnow()
    uow.flush()
    audit.record(uow, "pet.remove", "pet", [number, owner_number])
    uow.commit()
    return {"id": pid, "removed": number, "client": owner_number}


def plan_move(uow: UnitOfWork, ref: str, to_ref: str) -> tuple[Pet, Client, Client]:
    """Check that ``pet move`` may go on: (pet, its owner, the new owner)."""
    pet = get_pet(uow, ref)
    old = get_client_of(uow, pet)
    new = get_client(uow, to_ref)  # a restricted client is not found
    if new.id == old.id:
        raise InvalidInput("--to", f"pet {pet.number} already belongs to client {old.number}")
    if old.legal_hold_reason is not None:
        raise HoldError(f"client {old.number} is under a manual legal hold: lift it first "
                        f"(vetcards client unhold {old.number})")
    return pet, old, new


@dataclass(frozen=True)
class Moved:
    """What ``pet move`` did (``--json``: ``id``, ``number``, ``from``, ``to``, ``medicine_records``)."""

    id: int
    number: str
    from_client: str
    to_client: str
    medicine_records: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "from": self.from_client, "to": self.to_client,
                "medicine_records": self.medicine_records}


def move_pet(uow: UnitOfWork, ref: str, to_ref: str) -> Moved:
    """Move a pet to another owner.

    The medical record goes with the pet (medicine records keep the owner in
    ``client_id``: those still linked move too). Issued invoices stay with the
    client they were addressed to; consents and disclosures stay with the old
    owner. Activity of both clients (their ``updated_at``) and of the pet.
    """
    pet, old, new = plan_move(uow, ref, to_ref)
    medicine = SQLModel.metadata.tables["medicine_record"]
    moved = uow.execute(update(medicine).where(medicine.c.pet_id == pet.id, medicine.c.client_id == old.id)
                        .values(client_id=new.id)).rowcount
    now = utcnow()
    pet.client_id = row_id(new)
    for row in (pet, old, new):
        row.updated_at = now
    uow.flush()
    audit.record(uow, "pet.move", "pet", [pet.number, old.number, new.number], {"medicine_records": moved})
    uow.commit()
    return Moved(row_id(pet), pet.number, old.number, new.number, int(moved))
