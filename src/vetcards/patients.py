"""Patient cards: add, edit, weigh, mark deceased; the species list (write side).

Every use case takes a :class:`~vetcards.db.UnitOfWork`, validates first,
writes its audit entry in the same transaction and commits. Sexes and the
seeded species are code lists of :mod:`vetcards.vocab`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import insert, select
from sqlmodel import SQLModel

from . import audit, numbering, refs, validation
from .clients import get_client
from .errors import Conflict, InvalidInput
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
        uow.add(Weight(pet_id=row_id(pet), measured_on=today, grams=data.weight_grams))
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
