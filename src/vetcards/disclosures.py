"""Recipients register and disclosure log (GDPR art. 15, 19, 30).

The privacy statement names every party the practice shares data with; each
is a row in ``recipient`` with its kind, the date of the processing agreement,
the data categories it may receive and the consent purpose it needs. Every
time data leave the practice, one ``disclosure`` row per client records who
received what, when, and on what basis (a consent id, or a contract or legal
obligation) -- in the same transaction that decides to write the file.

Files leave through :class:`Outbox`: the file is written under a temporary
name (mode 0600) beside its target, the transaction with the disclosure rows
commits, and only then is the file renamed into place (or printed). If the
commit fails the temporary file is removed: no data leave without a log entry.

Use cases here take a Core connection (or ORM session) in the caller's write
transaction; the caller commits (``Database.connect()`` commits on success).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Optional

from sqlalchemy import text

from . import audit, settings, validation
from .consents import PURPOSE_TEXT, current_consent, parse_purpose
from .errors import Conflict, ConsentMissing, InvalidInput, NotFound

RECIPIENT_KINDS: tuple[str, ...] = ("lab", "pharmacy", "specialist", "printer", "chip-registry", "other")

#: Data categories a recipient may receive and a disclosure names.
DATA_CATEGORIES: dict[str, str] = {
    "naw": "name and address (NAW)",
    "contact": "phone number and e-mail address",
    "animal": "animal details (name, species, breed, sex, birth date, colour, coat)",
    "chip": "chip number",
    "record": "medical record (visits, vaccinations, medicines, weights)",
    "recall": "vaccination recall (vaccine and due date)",
    "financial": "invoices and payments",
}

#: The consent purpose a kind of recipient needs when the register names none.
KIND_PURPOSE: dict[str, str] = {
    "lab": "lab",
    "pharmacy": "pharmacy",
    "specialist": "referral",
    "printer": "reminders",
    "chip-registry": "chip-registration",
}

BASES: tuple[str, ...] = ("consent", "contract", "legal_obligation")

RECIPIENT_COLUMNS = ("id", "name", "kind", "agreement_date", "categories", "needs_consent")


# --------------------------------------------------------------------------
# Small parsers
# --------------------------------------------------------------------------


def parse_kind(value: Optional[str], field: str = "--kind") -> str:
    v = (value or "").strip().lower().replace("_", "-")
    if not v:
        raise InvalidInput(field, validation.RULE_REQUIRED)
    if v not in RECIPIENT_KINDS:
        raise InvalidInput(field, "must be one of: " + ", ".join(RECIPIENT_KINDS))
    return v


def parse_categories(value: Optional[str], field: str = "--categories") -> list[str]:
    """``"naw, animal,record"`` -> ``["naw", "animal", "record"]`` (known categories, no repeats)."""
    items = [c.strip().lower() for c in (value or "").split(",") if c.strip()]
    if not items:
        raise InvalidInput(field, validation.RULE_REQUIRED)
    out: list[str] = []
    for c in items:
        if c not in DATA_CATEGORIES:
            raise InvalidInput(field, "each must be one of: " + ", ".join(DATA_CATEGORIES))
        if c not in out:
            out.append(c)
    return out


def _split(categories: str) -> list[str]:
    return [c for c in (categories or "").split(",") if c]


def _now() -> str:
    """UTC now in the form SQLAlchemy stores DateTime columns in SQLite."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _past_date(raw: Optional[str], *, today: date, field: str = "--date") -> date:
    d = validation.parse_date(raw, field=field) if raw is not None else today
    if d > today:
        raise InvalidInput(field, validation.RULE_FUTURE)
    if d < validation.MIN_BIRTH_DATE:
        raise InvalidInput(field, validation.RULE_TOO_OLD)
    return d


# --------------------------------------------------------------------------
# Recipients register
# --------------------------------------------------------------------------


def add_recipient(conn: Any, raw: dict[str, Optional[str]], *, today: date) -> dict[str, Any]:
    """Add a party to the recipients register (caller commits)."""
    name = validation.text(raw.get("name"), field="--name", max_len=200)
    kind = parse_kind(raw.get("kind"))
    categories = parse_categories(raw.get("categories"))
    agreement = None
    if raw.get("agreement_date") is not None and raw["agreement_date"].strip():
        agreement = _past_date(raw["agreement_date"], today=today, field="--agreement-date")
    needs = None
    if raw.get("needs_consent") is not None and raw["needs_consent"].strip():
        needs = parse_purpose(raw["needs_consent"], field="--needs-consent")
    taken = conn.execute(text("SELECT id FROM recipient WHERE lower(name) = lower(:n)"), {"n": name}).scalar()
    if taken is not None:
        raise Conflict(f"--name: a recipient with this name is already registered (id {taken})")
    rid = conn.execute(
        text("INSERT INTO recipient (name, kind, agreement_date, categories, needs_consent, created_at) "
             "VALUES (:name, :kind, :agr, :cat, :needs, :now) RETURNING id"),
        {"name": name, "kind": kind, "agr": agreement.isoformat() if agreement else None,
         "cat": ",".join(categories), "needs": needs, "now": _now()},
    ).scalar_one()
    audit.record(conn, "recipient.add", "recipient", [rid], {"kind": kind, "categories": categories})
    return {"id": rid, "name": name, "kind": kind,
            "agreement_date": agreement.isoformat() if agreement else None,
            "categories": ",".join(categories), "needs_consent": needs}


def list_recipients(conn: Any, kind: Optional[str] = None) -> list[dict[str, Any]]:
    sql = f"SELECT {', '.join(RECIPIENT_COLUMNS)} FROM recipient"
    params: dict[str, Any] = {}
    if kind:
        sql += " WHERE kind = :kind"
        params["kind"] = parse_kind(kind)
    sql += " ORDER BY kind, name COLLATE NOCASE, id"
    return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def get_recipient(conn: Any, ref: str, field: str = "--to") -> dict[str, Any]:
    """A recipient by id (``3``) or by name (case-insensitive)."""
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput(field, validation.RULE_REQUIRED)
    cols = ", ".join(RECIPIENT_COLUMNS)
    if ref.isdigit() and ref.isascii():
        row = conn.execute(text(f"SELECT {cols} FROM recipient WHERE id = :v"), {"v": int(ref)}).first()
    else:
        row = conn.execute(text(f"SELECT {cols} FROM recipient WHERE lower(name) = lower(:v)"), {"v": ref}).first()
    if row is None:
        raise NotFound(f"recipient {ref} not found (see: vetcards recipient list)")
    return dict(row._mapping)


def recipient_of_kind(conn: Any, kind: str, ref: Optional[str] = None) -> dict[str, Any]:
    """The recipient named by ``ref``, else the only one of ``kind`` in the register."""
    if ref:
        rec = get_recipient(conn, ref)
        if rec["kind"] != kind:
            raise InvalidInput("--to", f"must be a recipient of kind {kind}")
        return rec
    found = list_recipients(conn, kind)
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
    allowed = set(_split(recipient["categories"]))
    extra = [c for c in categories if c not in allowed]
    if extra:
        raise Conflict(
            f"--categories: recipient {recipient['id']} may not receive: {', '.join(extra)} "
            f"(the register allows: {recipient['categories'] or 'nothing'})"
        )


def require_consent(conn: Any, client_id: int, client_number: str, purpose: str, on: date) -> int:
    consent_id = current_consent(conn, client_id, purpose, on)
    if consent_id is None:
        raise ConsentMissing(
            f"client {client_number} has no current consent for {purpose}; nothing was shared "
            f"(record it with: vetcards consent give {client_number} --purpose {purpose})"
        )
    return consent_id


# --------------------------------------------------------------------------
# Disclosure log
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One disclosure to log."""

    client_id: int
    recipient_id: int
    disclosed_on: date
    categories: Sequence[str]
    basis: str
    consent_id: Optional[int] = None
    pet_id: Optional[int] = None
    at_client_request: bool = False


_INSERT_SQL = text(
    "INSERT INTO disclosure (client_id, recipient_id, pet_id, disclosed_on, categories, basis, "
    "consent_id, at_client_request, created_at) "
    "VALUES (:client_id, :recipient_id, :pet_id, :disclosed_on, :categories, :basis, "
    ":consent_id, :at_client_request, :created_at)"
)


def log(conn: Any, entries: Sequence[Entry]) -> list[int]:
    """Write disclosure rows (one executemany); returns their ids, in order."""
    if not entries:
        return []
    now = _now()
    first = (conn.execute(text("SELECT coalesce(max(id), 0) FROM disclosure")).scalar() or 0) + 1
    params = []
    for e in entries:
        if e.basis not in BASES:  # pragma: no cover - programming error
            raise ValueError(e.basis)
        params.append({
            "client_id": e.client_id, "recipient_id": e.recipient_id, "pet_id": e.pet_id,
            "disclosed_on": e.disclosed_on.isoformat(), "categories": ",".join(e.categories),
            "basis": e.basis, "consent_id": e.consent_id,
            "at_client_request": 1 if e.at_client_request else 0, "created_at": now,
        })
    conn.execute(_INSERT_SQL, params)
    # Writers hold the database lock (BEGIN IMMEDIATE), so the ids are consecutive.
    return list(range(first, first + len(entries)))


def client_disclosures(conn: Any, client_id: int) -> list[dict[str, Any]]:
    """The disclosure log of one client, oldest first (for export and erase)."""
    return [dict(r._mapping) for r in conn.execute(text(
        "SELECT d.id, d.disclosed_on, r.name AS recipient, r.kind AS recipient_kind, d.categories, "
        "d.basis, d.consent_id, d.at_client_request, p.number AS pet "
        "FROM disclosure d JOIN recipient r ON r.id = d.recipient_id "
        "LEFT JOIN pet p ON p.id = d.pet_id WHERE d.client_id = :cid ORDER BY d.disclosed_on, d.id"),
        {"cid": client_id})]


def list_disclosures(conn: Any, client_ref: Optional[str] = None,
                     recipient_ref: Optional[str] = None) -> list[dict[str, Any]]:
    """The disclosure log, optionally of one client or one recipient."""
    from .views import client_id as _client_id

    sql = ("SELECT d.id, d.disclosed_on, c.number AS client, p.number AS pet, r.name AS recipient, "
           "d.categories, d.basis, d.consent_id, d.at_client_request "
           "FROM disclosure d JOIN client c ON c.id = d.client_id JOIN recipient r ON r.id = d.recipient_id "
           "LEFT JOIN pet p ON p.id = d.pet_id WHERE c.restricted = 0")
    params: dict[str, Any] = {}
    if client_ref is not None:
        sql += " AND d.client_id = :cid"
        params["cid"] = _client_id(conn, client_ref)
    if recipient_ref is not None:
        sql += " AND d.recipient_id = :rid"
        params["rid"] = get_recipient(conn, recipient_ref, field="--recipient")["id"]
    sql += " ORDER BY d.disclosed_on, d.id"
    out = []
    for r in conn.execute(text(sql), params):
        row = dict(r._mapping)
        row["at_client_request"] = bool(row["at_client_request"])
        out.append(row)
    return out


def disclose(conn: Any, client_ref: str, recipient_ref: str, categories: Optional[str], *,
             today: date, on: Optional[str] = None, at_client_request: bool = False,
             pet_ref: Optional[str] = None, basis: Optional[str] = None) -> dict[str, Any]:
    """Log a disclosure made outside vetcards (a lab form, a pharmacy order).

    The consent the recipient needs (its ``needs_consent``, else the purpose
    of its kind) must be current on the date of the disclosure. A recipient
    that needs no consent requires ``basis`` contract or legal_obligation.
    """
    from .views import client_id as _client_id
    from .views import pet_id as _pet_id

    cats = parse_categories(categories)
    when = _past_date(on, today=today)
    recipient = get_recipient(conn, recipient_ref)
    check_categories(recipient, cats)
    cid = _client_id(conn, client_ref)
    number = conn.execute(text("SELECT number FROM client WHERE id = :c"), {"c": cid}).scalar_one()
    pid = None
    if pet_ref is not None:
        pid = _pet_id(conn, pet_ref)
        owner = conn.execute(text("SELECT client_id FROM pet WHERE id = :p"), {"p": pid}).scalar_one()
        if owner != cid:
            raise InvalidInput("--pet", "must be an animal of this client")
    purpose = required_purpose(recipient)
    basis = (basis or "").strip().lower().replace("-", "_") or None
    if basis is not None and basis not in BASES:
        raise InvalidInput("--basis", "must be one of: " + ", ".join(BASES))
    consent_id = None
    if purpose is not None:
        if basis not in (None, "consent"):
            raise InvalidInput("--basis", f"disclosures to this recipient need the client's consent ({purpose})")
        consent_id = require_consent(conn, cid, number, purpose, when)
        basis = "consent"
    elif basis in (None, "consent"):
        raise InvalidInput("--basis", "this recipient needs no consent purpose; give --basis contract "
                                      "or --basis legal_obligation")
    [did] = log(conn, [Entry(client_id=cid, recipient_id=recipient["id"], disclosed_on=when,
                             categories=cats, basis=basis, consent_id=consent_id, pet_id=pid,
                             at_client_request=at_client_request)])
    audit.record(conn, "disclosure.add", "disclosure", [did, number],
                 {"recipient_id": recipient["id"], "categories": cats, "basis": basis,
                  "consent_id": consent_id, "at_client_request": at_client_request})
    return {"id": did, "client": number, "recipient_id": recipient["id"], "disclosed_on": when.isoformat(),
            "categories": ",".join(cats), "basis": basis, "consent_id": consent_id,
            "at_client_request": at_client_request}


# --------------------------------------------------------------------------
# Files that leave the practice
# --------------------------------------------------------------------------


@dataclass
class Prepared:
    """The content of a file to hand over, and a summary for the person."""

    content: bytes
    summary: dict[str, Any] = field(default_factory=dict)


class Outbox:
    """Stage a file (mode 0600, beside its target) and publish it after the commit.

    ``out`` None or ``-`` means standard output: nothing is staged on disk,
    the bytes are written to the stream given to :meth:`publish`.
    """

    def __init__(self, out: Optional[Path | str], field: str = "--out") -> None:
        self.target: Optional[Path] = None if out is None or str(out) == "-" else Path(out).expanduser()
        self._tmp: Optional[str] = None
        self._data: Optional[bytes] = None
        if self.target is not None:
            if self.target.is_dir():
                raise InvalidInput(field, "is a directory; give a file name")
            if not self.target.parent.is_dir():
                raise InvalidInput(field, "its directory does not exist")

    @property
    def to_stdout(self) -> bool:
        return self.target is None

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
            os.replace(self._tmp, self.target)
            self._tmp = None

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


def _practice(conn: Any) -> dict[str, Any]:
    s = settings.get_all(conn)
    return {"name": s["name"], "street": s["street"], "postcode": s["postcode"], "city": s["city"],
            "kvk": s["kvk"]}


def _pet_and_owner(conn: Any, pet_ref: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from .views import pet_id as _pet_id

    pid = _pet_id(conn, pet_ref)
    pet = dict(conn.execute(text(
        "SELECT id, number, client_id, name, species, breed, sex, birth_date, chip, colour, coat, insured, "
        "deceased_on FROM pet WHERE id = :p"), {"p": pid}).one()._mapping)
    owner = dict(conn.execute(text(
        "SELECT id, number, name, street, postcode, city, phone, email FROM client WHERE id = :c"),
        {"c": pet["client_id"]}).one()._mapping)
    if pet["insured"] is not None:
        pet["insured"] = bool(pet["insured"])
    return pet, owner


# --------------------------------------------------------------------------
# Chip registration at the NDG
# --------------------------------------------------------------------------

CHIP_CATEGORIES = ("naw", "animal", "chip")


def chip_registration(conn: Any, pet_ref: str, *, today: date, recipient_ref: Optional[str] = None,
                      on: Optional[str] = None) -> Prepared:
    """The NDG registration record of one chipped animal, logged as a disclosure.

    Needs the owner's current chip-registration consent; a pet without a chip,
    a deceased pet, a test chip and a chip number on another pet are refused.
    """
    when = _past_date(on, today=today)
    pet, owner = _pet_and_owner(conn, pet_ref)
    recipient = recipient_of_kind(conn, "chip-registry", recipient_ref)
    if not pet["chip"]:
        raise Conflict(f"pet {pet['number']} has no chip number; add it with: vetcards pet edit "
                       f"{pet['number']} --chip NUMBER")
    chip = validation.chip(pet["chip"], field="chip")
    if pet["deceased_on"]:
        raise Conflict(f"pet {pet['number']} is marked deceased; it is not registered")
    other = conn.execute(text("SELECT number FROM pet WHERE chip = :chip AND id != :p"),
                         {"chip": chip, "p": pet["id"]}).scalar()
    if other is not None:
        raise Conflict(f"chip: this chip number is also on pet {other}; resolve that first")
    check_categories(recipient, CHIP_CATEGORIES)
    consent_id = require_consent(conn, owner["id"], owner["number"], "chip-registration", when)
    record = {
        "format": "vetcards-ndg-registration",
        "format_version": 1,
        "registration_date": when.isoformat(),
        "chip_number": chip,
        "chip_country_or_manufacturer_code": chip[:3],
        "registered_by": _practice(conn),
        "owner": {k: owner[k] for k in ("name", "street", "postcode", "city")},
        "animal": {k: pet[k] for k in ("name", "species", "breed", "sex", "birth_date", "colour", "coat")},
    }
    [did] = log(conn, [Entry(client_id=owner["id"], recipient_id=recipient["id"], disclosed_on=when,
                             categories=CHIP_CATEGORIES, basis="consent", consent_id=consent_id,
                             pet_id=pet["id"])])
    audit.record(conn, "chip.register", "disclosure", [did, owner["number"], pet["number"]],
                 {"recipient_id": recipient["id"], "consent_id": consent_id})
    return Prepared(to_json_bytes(record), {"disclosure_id": did, "pet": pet["number"],
                                            "client": owner["number"], "recipient_id": recipient["id"]})


# --------------------------------------------------------------------------
# Referral bundle
# --------------------------------------------------------------------------

REFERRAL_REQUIRED = ("naw", "animal", "record")
REFERRAL_OPTIONAL = ("contact", "chip")


def _record_of(conn: Any, pid: int) -> dict[str, list[dict[str, Any]]]:
    def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in conn.execute(text(sql), {"p": pid})]

    meds = rows("SELECT record_date AS date, product, batch, quantity, expiry, vet, dispensed "
                "FROM medicine_record WHERE pet_id = :p ORDER BY record_date, id")
    for m in meds:
        m["dispensed"] = bool(m["dispensed"])
    return {
        "weights": [{"date": r["measured_on"], "grams": r["grams"]} for r in
                    rows("SELECT measured_on, grams FROM weight WHERE pet_id = :p ORDER BY measured_on, id")],
        "visits": rows("SELECT visit_date AS date, reason, findings, diagnosis, treatment, vet "
                       "FROM visit WHERE pet_id = :p ORDER BY visit_date, id"),
        "vaccinations": rows("SELECT given_on AS date, vaccine, batch, next_due "
                             "FROM vaccination WHERE pet_id = :p ORDER BY given_on, id"),
        "medicines": meds,
    }


def referral(conn: Any, pet_ref: str, recipient_ref: str, *, today: date,
             note: Optional[str] = None) -> Prepared:
    """A referral bundle of one patient for a specialist, at the client's request.

    It holds the patient card, the medical record and the owner's name and
    address; phone/e-mail and the chip number only when the register allows
    the recipient to receive them. Needs the owner's current referral consent.
    """
    recipient = get_recipient(conn, recipient_ref)
    if recipient["kind"] in ("printer", "chip-registry"):
        raise InvalidInput("--to", f"a {recipient['kind']} is not a referral recipient")
    check_categories(recipient, REFERRAL_REQUIRED)
    note = validation.text(note, field="--note", max_len=1000, required=False)
    allowed = set(_split(recipient["categories"]))
    cats = list(REFERRAL_REQUIRED) + [c for c in REFERRAL_OPTIONAL if c in allowed]
    pet, owner = _pet_and_owner(conn, pet_ref)
    consent_id = require_consent(conn, owner["id"], owner["number"], "referral", today)
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
        "referring_practice": _practice(conn),
        "recipient": {"name": recipient["name"], "kind": recipient["kind"]},
        "categories": cats,
        "note": note,
        "owner": owner_out,
        "patient": patient,
        "record": _record_of(conn, pet["id"]),
    }
    [did] = log(conn, [Entry(client_id=owner["id"], recipient_id=recipient["id"], disclosed_on=today,
                             categories=cats, basis="consent", consent_id=consent_id, pet_id=pet["id"],
                             at_client_request=True)])
    audit.record(conn, "referral", "disclosure", [did, owner["number"], pet["number"]],
                 {"recipient_id": recipient["id"], "consent_id": consent_id, "categories": cats})
    return Prepared(to_json_bytes(bundle), {"disclosure_id": did, "pet": pet["number"],
                                            "client": owner["number"], "recipient_id": recipient["id"],
                                            "categories": cats})


__all__ = [
    "BASES", "DATA_CATEGORIES", "KIND_PURPOSE", "PURPOSE_TEXT", "RECIPIENT_KINDS", "Entry", "Outbox",
    "Prepared", "add_recipient", "check_categories", "chip_registration", "client_disclosures",
    "disclose", "get_recipient", "list_disclosures", "list_recipients", "log", "parse_categories",
    "parse_kind", "recipient_of_kind", "referral", "require_consent", "required_purpose",
]
