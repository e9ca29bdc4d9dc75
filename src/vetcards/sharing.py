"""Files that leave the practice: the outbox, chip registration at the NDG, referral bundles.

Files leave through :class:`Outbox`: the file is written under a temporary
name (mode 0600) beside its target, the unit of work with the disclosure rows
commits, and only then is the file renamed into place (or printed). If the
commit fails the temporary file is removed: no data leave without a log entry
(:mod:`vetcards.disclosures`). The use cases here (and
:func:`vetcards.reminders.export`) return a :class:`Prepared` file and leave
the commit to the caller, which stages the file first.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Optional

from sqlalchemy import column, select, table

from . import audit, files, refs, settings, validation
from .disclosures import Entry, log, require_consent
from .errors import Conflict, InvalidInput
from .recipients import check_categories, get_recipient, past_date, recipient_of_kind, split_categories

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork


@dataclass
class Prepared:
    """The content of a file to hand over, and a summary for the person."""

    content: bytes
    summary: dict[str, Any] = field(default_factory=dict)
    #: Files that go with it (the referral letter): name -> content, staged and published with it.
    extra: dict[str, bytes] = field(default_factory=dict)


class Outbox:
    """Stage a file (mode 0600, beside its target) and publish it after the commit.

    ``out`` None or ``-`` means standard output: nothing is staged on disk,
    the bytes are written to the stream given to :meth:`publish`.
    """

    def __init__(self, out: Optional[Path | str], field: str = "--out") -> None:
        self.target: Optional[Path] = None if out is None or str(out) == "-" else Path(out).expanduser()
        self._tmp: Optional[str] = None
        self._data: Optional[bytes] = None
        self._field = field
        if self.target is not None:
            files.check_target(self.target, field)  # a regular file only: never a device, FIFO or link

    def stage(self, data: bytes) -> None:
        if self.target is None:
            self._data = data
            return
        fd, tmp = tempfile.mkstemp(dir=self.target.parent, prefix=".vetcards-", suffix=".part")
        self._tmp = tmp
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            self.discard()
            raise

    def publish(self, stream: Optional[BinaryIO] = None) -> None:
        if self.target is None:
            if stream is not None and self._data is not None:
                stream.write(self._data)
                stream.flush()
            self._data = None
            return
        if self._tmp is not None:
            tmp, self._tmp = self._tmp, None
            files.replace_regular(tmp, self.target, self._field)

    def discard(self) -> None:
        self._data = None
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except FileNotFoundError:
                pass
            self._tmp = None


def to_json_bytes(obj: Any) -> bytes:
    def default(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    return (json.dumps(obj, default=default, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _practice(uow: UnitOfWork) -> dict[str, Any]:
    s = settings.get_all(uow)
    return {"name": s["name"], "street": s["street"], "postcode": s["postcode"], "city": s["city"],
            "kvk": s["kvk"]}


_PET_CARD = ("client_id", "name", "species", "breed", "sex", "birth_date", "chip", "colour", "coat", "insured",
             "deceased_on")
_OWNER_CARD = ("name", "street", "postcode", "city", "country", "phone", "email")


def _pet_and_owner(uow: UnitOfWork, pet_ref: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The card of a visible pet and of its owner (:func:`vetcards.refs.find`)."""
    pet = dict(refs.find(uow, "pet", pet_ref, _PET_CARD))
    owner = dict(refs.find(uow, "client", str(pet["client_id"]), _OWNER_CARD))
    if pet["insured"] is not None:
        pet["insured"] = bool(pet["insured"])
    return pet, owner


# --------------------------------------------------------------------------
# Chip registration at the NDG
# --------------------------------------------------------------------------

CHIP_CATEGORIES = ("naw", "animal", "chip")


def chip_registration(uow: UnitOfWork, pet_ref: str, *, today: date, recipient_ref: Optional[str] = None,
                      on: Optional[str] = None) -> Prepared:
    """The NDG registration record of one chipped animal, logged as a disclosure.

    Needs the owner's current chip-registration consent; a pet without a chip,
    a deceased pet, a test chip and a chip number on another pet are refused.
    """
    when = past_date(on, today=today)
    pet, owner = _pet_and_owner(uow, pet_ref)
    recipient = recipient_of_kind(uow, "chip-registry", recipient_ref)
    if not pet["chip"]:
        raise Conflict(f"pet {pet['number']} has no chip number; add it with: vetcards pet edit "
                       f"{pet['number']} --chip NUMBER")
    chip = validation.chip(pet["chip"], field="chip")
    if pet["deceased_on"]:
        raise Conflict(f"pet {pet['number']} is marked deceased; it is not registered")
    p = table("pet", column("id"), column("number"), column("chip")).c
    other = uow.execute(select(p.number).where(p.chip == chip, p.id != pet["id"])).scalar()
    if other is not None:
        raise Conflict(f"chip: this chip number is also on pet {other}; resolve that first")
    check_categories(recipient, CHIP_CATEGORIES)
    consent_id = require_consent(uow, owner["id"], owner["number"], "chip-registration", when)
    record = {
        "format": "vetcards-ndg-registration",
        "format_version": 1,
        "registration_date": when.isoformat(),
        "chip_number": chip,
        "chip_country_or_manufacturer_code": chip[:3],
        "registered_by": _practice(uow),
        "owner": {k: owner[k] for k in ("name", "street", "postcode", "city")},
        "animal": {k: pet[k] for k in ("name", "species", "breed", "sex", "birth_date", "colour", "coat")},
    }
    [did] = log(uow, [Entry(client_id=owner["id"], recipient_id=recipient["id"], disclosed_on=when,
                             categories=CHIP_CATEGORIES, basis="consent", consent_id=consent_id,
                             pet_id=pet["id"])])
    audit.record(uow, "chip.register", "disclosure", [did, owner["number"], pet["number"]],
                 {"recipient_id": recipient["id"], "consent_id": consent_id})
    return Prepared(to_json_bytes(record), {"disclosure_id": did, "pet": pet["number"],
                                            "client": owner["number"], "recipient_id": recipient["id"]})


# --------------------------------------------------------------------------
# Referral bundle
# --------------------------------------------------------------------------

REFERRAL_REQUIRED = ("naw", "animal", "record")
REFERRAL_OPTIONAL = ("contact", "chip")


#: The record tables where a record can be voided (entered in error or replaced by a correction).
_VOIDABLE = ("visit", "vaccination", "medicine_record")


def _record_of(uow: UnitOfWork, pid: int) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """The medical record of one pet as it stands, each list oldest first, its date under ``date``, and
    how many voided records (entered in error, or replaced by the correction that is in it) it leaves out:
    a specialist never receives a record the practice has taken back (the bundle and the letter alike)."""

    def rows(name: str, dated: str, *cols: str) -> list[dict[str, Any]]:
        extra = ("voided_at",) if name in _VOIDABLE else ()
        t = table(name, *(column(c) for c in ("id", "pet_id", dated, *cols, *extra)))
        stmt = (select(t.c[dated].label("date"), *(t.c[c] for c in (*cols, *extra)))
                .where(t.c.pet_id == pid).order_by(t.c[dated], t.c.id))
        return [dict(r._mapping) for r in uow.execute(stmt)]

    meds = rows("medicine_record", "record_date", "product", "batch", "quantity", "expiry", "vet", "dispensed")
    for m in meds:
        m["dispensed"] = bool(m["dispensed"])
    every = {
        "weights": rows("weight", "measured_on", "grams"),
        "visits": rows("visit", "visit_date", "reason", "findings", "diagnosis", "treatment", "vet"),
        "vaccinations": rows("vaccination", "given_on", "vaccine", "batch", "next_due"),
        "medicines": meds,
    }
    current = {k: [r for r in v if r.pop("voided_at", None) is None] for k, v in every.items()}
    return current, sum(len(every[k]) - len(current[k]) for k in every)


def referral(uow: UnitOfWork, pet_ref: str, recipient_ref: str, *, today: date,
             note: Optional[str] = None, letter: bool = False, lang: str = "nl") -> Prepared:
    """A referral bundle of one patient for a specialist, at the client's request.

    It holds the patient card, the medical record and the owner's name and
    address; phone/e-mail and the chip number only when the register allows
    the recipient to receive them. Needs the owner's current referral consent.
    With ``letter``, the letter a specialist reads goes with it (PDF, in ``lang``:
    :mod:`vetcards.referral_letter`) as ``extra["letter"]``: one disclosure for both.
    """
    recipient = get_recipient(uow, recipient_ref)
    if recipient["kind"] in ("printer", "chip-registry"):
        raise InvalidInput("--to", f"a {recipient['kind']} is not a referral recipient")
    check_categories(recipient, REFERRAL_REQUIRED)
    note = validation.text(note, field="--note", max_len=1000, required=False)
    allowed = set(split_categories(recipient["categories"]))
    cats = list(REFERRAL_REQUIRED) + [c for c in REFERRAL_OPTIONAL if c in allowed]
    pet, owner = _pet_and_owner(uow, pet_ref)
    consent_id = require_consent(uow, owner["id"], owner["number"], "referral", today)
    owner_out = {k: owner[k] for k in ("number", "name", "street", "postcode", "city")}
    if "contact" in cats:
        owner_out.update(phone=owner["phone"], email=owner["email"])
    patient = {k: pet[k] for k in ("number", "name", "species", "breed", "sex", "birth_date", "colour",
                                   "coat", "insured", "deceased_on")}
    if "chip" in cats:
        patient["chip"] = pet["chip"]
    bundle = {
        "format": "vetcards-referral",
        "format_version": 1,
        "generated_on": today.isoformat(),
        "referring_practice": _practice(uow),
        "recipient": {"name": recipient["name"], "kind": recipient["kind"]},
        "categories": cats,
        "note": note,
        "owner": owner_out,
        "patient": patient,
    }
    current, voided = _record_of(uow, pet["id"])
    bundle["record"] = current  # as the letter: without what was voided (the letter says how many)
    extra: dict[str, bytes] = {}
    if letter:
        from . import referral_letter

        extra["letter"] = referral_letter.render(bundle, settings.get_all(uow), record=current,
                                                 owner_country=owner["country"], voided=voided, lang=lang)
    [did] = log(uow, [Entry(client_id=owner["id"], recipient_id=recipient["id"], disclosed_on=today,
                             categories=cats, basis="consent", consent_id=consent_id, pet_id=pet["id"],
                             at_client_request=True)])
    audit.record(uow, "referral", "disclosure", [did, owner["number"], pet["number"]],
                 {"recipient_id": recipient["id"], "consent_id": consent_id, "categories": cats})
    return Prepared(to_json_bytes(bundle), {"disclosure_id": did, "pet": pet["number"],
                                            "client": owner["number"], "recipient_id": recipient["id"],
                                            "categories": cats}, extra)
