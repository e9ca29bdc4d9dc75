"""Patient cards: add, edit, weigh, mark deceased (write side)."""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import text
from sqlmodel import Session, select

from . import audit, numbering, validation
from .clients import get_client
from .errors import Conflict, InvalidInput, NotFound, shown_ref
from .models import Pet, PetCreate, PetUpdate, Weight, utcnow


def known_species(session: Session) -> list[str]:
    return [r[0] for r in session.execute(text("SELECT name FROM species ORDER BY name"))]


def add_species(session: Session, name: str) -> str:
    name = validation.text(name, field="NAME", max_len=50).lower()
    if name in known_species(session):
        raise Conflict(f"species '{name}' is already known")
    session.execute(text("INSERT INTO species (name) VALUES (:n)"), {"n": name})
    audit.record(session, "species.add", "species", [], {"count": 1})
    session.commit()
    return name


def _parse_insured(value: Optional[str]) -> Optional[bool]:
    return None if value is None else value == "yes"


def validate_pet(session: Session, raw: dict[str, Optional[str]], *, today: date,
                 partial: bool = False) -> dict:
    """Validate raw CLI strings for a pet; only given fields (all when not partial)."""
    out: dict = {}

    def given(name: str) -> bool:
        return raw.get(name) is not None

    if given("name") or not partial:
        out["name"] = validation.text(raw.get("name"), field="--name", max_len=100)
    if given("species") or not partial:
        if not raw.get("species"):
            raise InvalidInput("--species", validation.RULE_REQUIRED)
        out["species"] = validation.species(raw["species"], known_species(session))
    for name in ("breed", "colour", "coat"):
        if given(name):
            out[name] = validation.text(raw[name], field=f"--{name}", max_len=100, required=False)
    if given("sex"):
        out["sex"] = validation.sex(raw["sex"])
    if given("birth_date"):
        out["birth_date"] = validation.birth_date(raw["birth_date"], today=today)
    if given("chip"):
        out["chip"] = validation.chip(raw["chip"]) if raw["chip"].strip() else None
    if given("insured"):
        out["insured"] = raw["insured"] == "yes"
    if given("weight"):
        out["weight_grams"] = validation.weight_grams(raw["weight"])
    return out


def _check_chip_free(session: Session, chip: Optional[str], pet_id: Optional[int]) -> None:
    if chip is None:
        return
    other = session.exec(select(Pet).where(Pet.chip == chip)).first()
    if other is not None and other.id != pet_id:
        raise Conflict(f"--chip: this chip number is already registered on pet {other.number}")


def get_pet(session: Session, ref: str) -> Pet:
    how, value = numbering.parse_ref(str(ref), "pet")
    stmt = select(Pet).where(Pet.id == value if how == "id" else Pet.number == value)
    pet = session.exec(stmt).first()
    if pet is None:
        raise NotFound(f"pet {shown_ref(ref)} not found")
    owner = get_client_of(session, pet)
    if owner.restricted:
        raise NotFound(f"pet {shown_ref(ref)} not found")
    return pet


def get_client_of(session: Session, pet: Pet):
    from .models import Client

    return session.get(Client, pet.client_id)


def add_pet(session: Session, client_ref: str, raw: dict[str, Optional[str]], *, today: date) -> Pet:
    client = get_client(session, client_ref)
    fields = validate_pet(session, raw, today=today)
    data = PetCreate(**fields)
    _check_chip_free(session, data.chip, None)
    values = data.model_dump(exclude={"weight_grams"})
    pet = Pet(number=numbering.next_number(session, "pet"), client_id=client.id, **values)
    session.add(pet)
    session.flush()
    if data.weight_grams is not None:
        session.add(Weight(pet_id=pet.id, measured_on=today, grams=data.weight_grams))
    audit.record(session, "pet.add", "pet", [pet.number, client.number])
    session.commit()
    return pet


def edit_pet(session: Session, ref: str, raw: dict[str, Optional[str]], *, today: date) -> tuple[Pet, list[str]]:
    pet = get_pet(session, ref)
    fields = validate_pet(session, raw, today=today, partial=True)
    fields.pop("weight_grams", None)
    if not fields:
        raise InvalidInput("pet edit", "give at least one field to change")
    PetUpdate(**fields)
    if "chip" in fields:
        _check_chip_free(session, fields["chip"], pet.id)
    changed = [k for k, v in fields.items() if getattr(pet, k) != v]
    for key in changed:
        setattr(pet, key, fields[key])
    if changed:
        pet.updated_at = utcnow()
        audit.record(session, "pet.edit", "pet", [pet.number], {"fields": sorted(changed)})
    session.commit()
    return pet, changed


def weigh(session: Session, ref: str, kg: str, *, on: date, today: date) -> Weight:
    pet = get_pet(session, ref)
    grams = validation.weight_grams(kg, field="KG")
    if on > today:
        raise InvalidInput("--date", validation.RULE_FUTURE)
    if pet.birth_date and on < pet.birth_date:
        raise InvalidInput("--date", "must not be before the pet's birth date")
    if pet.deceased_on and on > pet.deceased_on:
        raise InvalidInput("--date", "must not be after the pet's date of death")
    weight = Weight(pet_id=pet.id, measured_on=on, grams=grams)
    weight.pet = pet
    session.add(weight)
    session.flush()
    audit.record(session, "pet.weigh", "pet", [pet.number])
    session.commit()
    return weight


def mark_deceased(session: Session, ref: str, *, on: date, today: date) -> Pet:
    pet = get_pet(session, ref)
    if on > today:
        raise InvalidInput("--date", validation.RULE_FUTURE)
    if pet.birth_date and on < pet.birth_date:
        raise InvalidInput("--date", "must not be before the pet's birth date")
    pet.deceased_on = on
    pet.updated_at = utcnow()
    audit.record(session, "pet.deceased", "pet", [pet.number])
    session.commit()
    return pet
