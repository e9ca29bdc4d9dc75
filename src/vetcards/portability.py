"""Right of access and data portability: ``export`` and ``import`` (SPEC §5).

Export
    :func:`export_client` returns everything the practice holds on one client
    and their animals as one JSON-ready ``dict`` (format: export schema v1,
    ``docs/export-schema-v1.json``, built by :func:`schema`). :func:`iter_exports`
    does the same for many clients with one set-based query per table, merged
    in client-id order, so ``export --all`` costs little more than reading the
    rows. Reads are plain SQL (Core ``text``); every query is filtered by the
    client (or, for ``--all``, ordered by it and merged), so an export never
    holds another client's data. Restricted data (kept only for a hold) are
    included and marked ``restricted``: they are still data held on the client.
    Exporting is not activity: nothing here writes, apart from the optional
    closing of the subject request and the audit entry the caller makes.

Import
    :func:`import_client` reads another practice's v1 export: schema first
    (:func:`validate_document`), then every field again with
    :mod:`vetcards.validation`, then writes (Core inserts for the many rows).
    New client and pet numbers; invoices of the other practice are kept as
    history under a number that can never collide with this practice's
    gap-free numbering (:data:`IMPORTED_YEAR`, :func:`imported_number`).

Formats
    :func:`to_json`, :func:`to_csv_zip` (one CSV per record type) here; the
    human-readable access report is :mod:`vetcards.report`.
    :func:`vetcards.files.write_private` writes any of them mode 0600, atomically.

Only SQLAlchemy Core is imported at module level; the ORM models (for the
import's inserts) and jsonschema (for validation) are imported where used.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any, Optional

from sqlalchemy import text

from . import numbering
from .errors import InvalidInput, NotFound, shown_ref
from .money import round_half_up_div

SCHEMA_VERSION = "1"
SCHEMA_ID = "https://vetcards.example/schemas/export-v1.json"
FORMAT_NAME = "vetcards-export"

#: Imported invoices are stored with ``year = 0`` (no real invoice year), a
#: running ``seq`` of their own and ``number = "IMP<seq>:<original number>"``,
#: with ``kind = "imported_" + original kind``. This practice's own numbering
#: (year >= 2000, consecutive per year) never meets them, the unique
#: constraints hold, and the original number comes back out unchanged.
IMPORTED_YEAR = 0
IMPORTED_PREFIX = "IMP"
IMPORTED_KIND_PREFIX = "imported_"

CONSENT_PURPOSES = ("care", "reminders", "chip-registration", "referral", "lab", "pharmacy")
CONSENT_METHODS = ("in-person", "written", "e-mail", "phone", "web", "import")
SEXES = ("male", "female", "male neutered", "female spayed", "unknown")
INVOICE_KINDS = ("invoice", "credit_note")
INVOICE_STATES = ("open", "paid", "in_collection", "credited")
PAYMENT_METHODS = ("cash", "pin", "account")
DISCLOSURE_BASES = ("consent", "contract", "legal_obligation")
RECIPIENT_KINDS = ("lab", "pharmacy", "specialist", "printer", "chip-registry", "other")
REQUEST_TYPES = ("access", "erasure", "rectification", "portability")
#: Request types an export answers (``export --request``).
EXPORT_REQUEST_TYPES = ("access", "portability")

# --------------------------------------------------------------------------
# What the practice tells the data subject (art. 13/15): codes + English text.
# The access report (vetcards.report) has the Dutch and English wording.
# --------------------------------------------------------------------------

PURPOSES: tuple[tuple[str, str], ...] = (
    ("care", "Veterinary care of your animals; the medical record on the patient card."),
    ("administration", "Client administration and invoicing; for invoices on account, collection."),
    ("reminders", "Vaccination reminder cards (only with your consent), printed by a mailing firm that keeps nothing."),
    ("chip-registration", "Registration of your animal's chip number at the Dutch pet database (NDG), with your consent."),
    ("referral", "Referral to a specialist, only at your request."),
    ("lab-pharmacy", "Sharing with a laboratory or pharmacy when care needs it, with your consent."),
    ("legal-obligations", "Legal duties: fiscal records (Dutch tax law) and veterinary medicine records (EU Regulation 2019/6)."),
    ("statistics", "Statistics in anonymised form only (aggregate counts)."),
)

RIGHTS: tuple[tuple[str, str], ...] = (
    ("access", "Right of access (GDPR art. 15): a copy of your data, as in this export."),
    ("rectification", "Right to rectification (art. 16): have incorrect data corrected."),
    ("erasure", "Right to erasure (art. 17): have your data deleted, except what the law obliges us to keep."),
    ("restriction", "Right to restriction of processing (art. 18)."),
    ("portability", "Right to data portability (art. 20): this file, to take to another practice."),
    ("objection", "Right to object (art. 21) to processing based on a legitimate interest."),
    ("withdraw-consent", "Withdraw a consent at any time (art. 7(3)), as easily as it was given."),
    ("complaint", "Lodge a complaint with the Dutch supervisory authority, the Autoriteit Persoonsgegevens (art. 77)."),
)

SUPERVISORY_AUTHORITY = {
    "name": "Autoriteit Persoonsgegevens",
    "website": "https://www.autoriteitpersoonsgegevens.nl",
}


def _retention_rules(periods: dict[str, int]) -> list[dict[str, str]]:
    return [
        {"code": "inactivity",
         "description": f"Client and patient cards, medical records, consents and the disclosure log are deleted "
                        f"when there has been no activity for more than {periods['inactivity_years']} years."},
        {"code": "fiscal",
         "description": f"Invoices are kept {periods['fiscal_years']} years from the end of the year they were "
                        "issued in (Dutch tax law, AWR art. 52), with the name and address they were addressed to."},
        {"code": "medicine",
         "description": f"Records of veterinary medicines administered or dispensed are kept "
                        f"{periods['medicine_years']} years (EU Regulation 2019/6 art. 103)."},
        {"code": "claim",
         "description": "While an invoice is unpaid or in collection, the data needed to collect it are kept."},
        {"code": "legal-hold",
         "description": "A legal hold (for example a court case) stops deletion until it is lifted."},
    ]


# --------------------------------------------------------------------------
# JSON Schema (draft 2020-12), built from one table of fields so that every
# field has a description; docs/export-schema-v1.json is this, written out.
# --------------------------------------------------------------------------

_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATETIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$"


def _f(kind: str, description: str, *, null: bool = False, **extra: Any) -> dict[str, Any]:
    """One field: kind is string|date|datetime|integer|boolean."""
    base: dict[str, Any] = {
        "string": {"type": "string"},
        "date": {"type": "string", "format": "date", "pattern": _DATE_PATTERN},
        "datetime": {"type": "string", "format": "date-time", "pattern": _DATETIME_PATTERN},
        "integer": {"type": "integer"},
        "boolean": {"type": "boolean"},
    }[kind]
    out: dict[str, Any] = {"description": description, **base, **extra}
    if null:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _obj(doc: str, /, **props: dict[str, Any]) -> dict[str, Any]:
    """An object whose fields are all required (null when unknown) and none extra."""
    return {"description": doc, "type": "object", "additionalProperties": False,
            "required": list(props), "properties": props}


def _arr(description: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "type": "array", "items": item}


def _code_list(description: str, item_description: str) -> dict[str, Any]:
    return _arr(description, _obj(item_description,
                                  code=_f("string", "Stable code of the item."),
                                  description=_f("string", "The item in plain English.")))


_CLIENT_NUMBER = {"pattern": r"^[A-Z]{1,3}[0-9]{1,12}$", "maxLength": 20}
_TEXT200 = {"maxLength": 200}
_CENTS = {"minimum": -1_000_000_000_000, "maximum": 1_000_000_000_000}


def schema() -> dict[str, Any]:
    """The export schema v1 (JSON Schema draft 2020-12)."""
    pet_number = _f("string", "Number of the patient card (pet) in the source practice, e.g. P000034; "
                    "null when the record is not (or no longer) tied to a pet.", null=True,
                    pattern=r"^[A-Z]{1,3}[0-9]{1,12}$", maxLength=20)
    weight = _obj("One dated weighing.",
                  measured_on=_f("date", "Date of the weighing (ISO 8601)."),
                  grams=_f("integer", "Body weight in grams (integer; 4.25 kg is 4250).", minimum=1, maximum=2_000_000))
    visit = _obj("A consultation in the medical record.",
                 visit_date=_f("date", "Date of the visit."),
                 reason=_f("string", "Reason for the visit.", maxLength=500),
                 findings=_f("string", "Findings of the examination.", null=True, maxLength=4000),
                 diagnosis=_f("string", "Diagnosis.", null=True, maxLength=1000),
                 treatment=_f("string", "Treatment given or advised.", null=True, maxLength=2000),
                 vet=_f("string", "The veterinarian who saw the animal.", null=True, maxLength=100))
    vaccination = _obj("A vaccination.",
                       given_on=_f("date", "Date the vaccine was given."),
                       vaccine=_f("string", "Vaccine (product or disease).", maxLength=100),
                       batch=_f("string", "Batch number of the vaccine.", null=True, maxLength=50),
                       next_due=_f("date", "Date the next vaccination is due (makes a reminder).", null=True))
    pet = _obj(
        "A patient card (patiëntenkaart) with the medical record of one animal.",
        number=_f("string", "Pet number in the source practice, e.g. P000034 (a new one is given on import).",
                  pattern=r"^[A-Z]{1,3}[0-9]{1,12}$", maxLength=20),
        name=_f("string", "The animal's name.", maxLength=100),
        species=_f("string", "Species (English name from the practice's species list, e.g. dog, cat).", maxLength=50),
        breed=_f("string", "Breed.", null=True, maxLength=100),
        sex=_f("string", "Sex.", enum=list(SEXES)),
        birth_date=_f("date", "Birth date of the animal.", null=True),
        chip=_f("string", "Chip number, 15 digits (ISO 11784).", null=True, pattern=r"^[0-9]{15}$"),
        colour=_f("string", "Colour.", null=True, maxLength=100),
        coat=_f("string", "Coat type.", null=True, maxLength=100),
        insured=_f("boolean", "Whether the animal has pet insurance; null when not asked.", null=True),
        deceased_on=_f("date", "Date of death; null while alive.", null=True),
        created_at=_f("datetime", "When the patient card was made (UTC)."),
        weights=_arr("Weight history, oldest first.", weight),
        visits=_arr("Visits, oldest first.", visit),
        vaccinations=_arr("Vaccinations, oldest first.", vaccination),
    )
    medicine = _obj(
        "A veterinary medicine administered or dispensed (EU Regulation 2019/6 art. 103).",
        pet_number=pet_number,
        record_date=_f("date", "Date administered or dispensed."),
        product=_f("string", "Medicinal product.", maxLength=200),
        batch=_f("string", "Batch number.", null=True, maxLength=50),
        quantity=_f("string", "Quantity as a decimal string (with unit where recorded).", maxLength=30),
        expiry=_f("date", "Expiry date of the batch.", null=True),
        vet=_f("string", "Prescribing or administering veterinarian.", null=True, maxLength=100),
        dispensed=_f("boolean", "True when dispensed (taken home), false when administered in the practice."),
        owner_name=_f("string", "Owner's name as recorded with the medicine.", null=True, maxLength=200),
        owner_address=_f("string", "Owner's address as recorded with the medicine.", null=True, maxLength=400),
        restricted=_f("boolean", "True when kept only for the medicine-record hold (processing restricted, art. 18)."),
    )
    line = _obj(
        "One invoice line.",
        position=_f("integer", "Line number on the invoice, from 1.", minimum=1),
        description=_f("string", "What was supplied (service or product).", maxLength=200),
        quantity=_f("string", "Quantity as a decimal string, e.g. 1 or 2.5.", maxLength=20, pattern=r"^-?[0-9]+(\.[0-9]+)?$"),
        unit_price_cents=_f("integer", "Price per unit excluding VAT, in euro cents.", **_CENTS),
        vat_rate=_f("integer", "VAT rate in percent (21, 9 or 0).", minimum=0, maximum=100),
        net_cents=_f("integer", "Line amount excluding VAT, in euro cents.", **_CENTS),
    )
    vat_total = _obj(
        "Amounts of one VAT rate on the invoice (VAT is computed per rate, not per line).",
        rate=_f("integer", "VAT rate in percent.", minimum=0, maximum=100),
        net_cents=_f("integer", "Sum of the line amounts at this rate, excluding VAT, in cents.", **_CENTS),
        vat_cents=_f("integer", "VAT at this rate, in cents (rounded half up once per rate).", **_CENTS),
    )
    payment = _obj(
        "A (partial) payment of an invoice.",
        paid_on=_f("date", "Date paid."),
        amount_cents=_f("integer", "Amount paid in euro cents (negative for a refund).", **_CENTS),
        method=_f("string", "How it was paid (cash, pin, account, transfer ...).", maxLength=20),
    )
    invoice = _obj(
        "An issued invoice or credit note with its snapshot, lines, VAT totals and payments.",
        number=_f("string", "Invoice number as issued by the supplier named below, e.g. 2026-00042.",
                  maxLength=20, pattern=r"^[0-9A-Za-z][0-9A-Za-z._/-]{0,19}$"),
        kind=_f("string", "invoice, or credit_note (a correction of an earlier invoice).", enum=list(INVOICE_KINDS)),
        credits_invoice_number=_f("string", "For a credit note: the number of the invoice it corrects.",
                                  null=True, maxLength=20),
        pet_number=pet_number,
        invoice_date=_f("date", "Invoice date."),
        payment_method=_f("string", "cash or pin (paid at once) or account (on account).", enum=list(PAYMENT_METHODS)),
        status=_f("string", "open, paid, in_collection or credited.", enum=list(INVOICE_STATES)),
        reason=_f("string", "Reason given for a credit note.", null=True, maxLength=500),
        restricted=_f("boolean", "True when kept only for the fiscal or claim hold (processing restricted, art. 18)."),
        customer=_obj("Snapshot of the name and address the invoice was addressed to (art. 35a Wet OB).",
                      name=_f("string", "Customer name.", **_TEXT200),
                      street=_f("string", "Street and number.", **_TEXT200),
                      postcode=_f("string", "Postcode.", maxLength=7),
                      city=_f("string", "City.", maxLength=100),
                      birth_date=_f("date", "Birth date (only for invoices on account).", null=True)),
        supplier=_obj("Snapshot of the practice that issued the invoice.",
                      name=_f("string", "Practice name.", **_TEXT200),
                      address=_f("string", "Practice address.", maxLength=400),
                      vat_number=_f("string", "Practice BTW (VAT) number.", maxLength=20),
                      kvk=_f("string", "Practice KvK (Chamber of Commerce) number.", maxLength=20),
                      iban=_f("string", "Practice IBAN.", maxLength=40)),
        net_cents=_f("integer", "Total excluding VAT, in cents.", **_CENTS),
        vat_cents=_f("integer", "Total VAT, in cents.", **_CENTS),
        gross_cents=_f("integer", "Total including VAT, in cents.", **_CENTS),
        paid_cents=_f("integer", "Sum of the payments, in cents.", **_CENTS),
        vat_totals=_arr("Amounts per VAT rate, highest rate first.", vat_total),
        lines=_arr("Invoice lines in order.", line),
        payments=_arr("Payments, oldest first.", payment),
    )
    consent = _obj(
        "A consent for one purpose; a withdrawn consent stays as history.",
        purpose=_f("string", "Purpose: care (and administration), reminders, chip-registration, referral, lab, pharmacy.",
                   enum=list(CONSENT_PURPOSES)),
        given_on=_f("date", "Date the consent was given."),
        statement_version=_f("string", "Version of the privacy statement the consent refers to.", maxLength=50),
        method=_f("string", "How it was given.", enum=list(CONSENT_METHODS)),
        withdrawn_on=_f("date", "Date withdrawn; null while in force.", null=True),
    )
    disclosure = _obj(
        "One disclosure of the client's data to a recipient (disclosure log).",
        recipient=_obj("The recipient.",
                       name=_f("string", "Name of the recipient (lab, pharmacy, specialist, ...).", **_TEXT200),
                       kind=_f("string", "Kind of recipient: " + ", ".join(RECIPIENT_KINDS) + ".",
                               pattern=r"^[a-z][a-z_-]{0,29}$")),
        pet_number=pet_number,
        disclosed_on=_f("date", "Date of the disclosure."),
        categories=_f("string", "Categories of data disclosed.", maxLength=500),
        basis=_f("string", "Legal basis: consent, contract or legal_obligation.", enum=list(DISCLOSURE_BASES)),
        consent_index=_f("integer", "Position (from 0) in `consents` of the consent it relied on; null if none.",
                         null=True, minimum=0),
        at_client_request=_f("boolean", "True when made at the client's request."),
    )
    request = _obj(
        "A data-subject request (GDPR art. 12(3): answered within a month, extendable by two).",
        type=_f("string", "access, erasure, rectification or portability.", enum=list(REQUEST_TYPES)),
        received_on=_f("date", "Date received."),
        due_on=_f("date", "Date the answer is due."),
        extended_reason=_f("string", "Why the deadline was extended; null if not extended.", null=True, maxLength=500),
        closed_on=_f("date", "Date answered; null while open.", null=True),
    )
    client = _obj(
        "The client card (klantenkaart).",
        number=_f("string", "Client number in the source practice, e.g. K000012 (a new one is given on import).",
                  **_CLIENT_NUMBER),
        name=_f("string", "Full name.", **_TEXT200),
        street=_f("string", "Street and house number.", **_TEXT200),
        postcode=_f("string", "Dutch postcode, normalised as 1234 AB.", pattern=r"^[1-9][0-9]{3} [A-Z]{2}$"),
        city=_f("string", "City.", maxLength=100),
        phone=_f("string", "Phone number in E.164 form, e.g. +31612345678.", null=True, pattern=r"^\+[1-9][0-9]{6,14}$"),
        email=_f("string", "E-mail address.", null=True, maxLength=254),
        birth_date=_f("date", "Birth date; only kept for invoices on account.", null=True),
        created_at=_f("datetime", "When the client card was made (UTC)."),
        legal_hold_reason=_f("string", "Reason of a manual legal hold; null when none.", null=True, maxLength=500),
        restricted=_f("boolean", "True when the card is kept only for a hold (processing restricted, art. 18)."),
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "vetcards export, schema version 1",
        "description": (
            "Everything a veterinary practice using vetcards holds on one client and their animals "
            "(GDPR art. 15 access and art. 20 portability), plus what the practice must tell them: "
            "controller, purposes, recipients, retention, source and rights. Money is in integer euro "
            "cents, dates are ISO 8601 (YYYY-MM-DD), moments are UTC ending in Z. Every field is always "
            "present; null means unknown or not applicable. Lists are in date order, oldest first."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "schema_version", "generated_at", "controller", "purposes", "retention",
                     "source", "rights", "supervisory_authority", "client", "consents", "pets",
                     "medicine_records", "invoices", "disclosures", "requests"],
        "properties": {
            "format": _f("string", "Always vetcards-export.", const=FORMAT_NAME),
            "schema_version": _f("string", "Version of this schema; this is version 1.", const=SCHEMA_VERSION),
            "generated_at": _f("datetime", "When the export was made (UTC)."),
            "controller": _obj("The practice (controller under the GDPR) that made the export.",
                               name=_f("string", "Practice name.", **_TEXT200),
                               street=_f("string", "Street and number.", **_TEXT200),
                               postcode=_f("string", "Postcode.", maxLength=7),
                               city=_f("string", "City.", maxLength=100),
                               kvk=_f("string", "KvK (Chamber of Commerce) number.", maxLength=20),
                               vat_number=_f("string", "BTW (VAT) number.", maxLength=20)),
            "purposes": _code_list("The purposes the data are processed for.", "One purpose."),
            "retention": _obj(
                "How long the data are kept.",
                inactivity_years=_f("integer", "Years of inactivity after which the client's data are deleted.", minimum=1),
                fiscal_years=_f("integer", "Years invoices are kept after the end of their year.", minimum=1),
                medicine_years=_f("integer", "Years medicine records are kept.", minimum=1),
                last_activity=_f("date", "The client's last activity (visit, invoice, ...); null if none.", null=True),
                delete_after=_f("date", "Without new activity, the data may be deleted after this date "
                                "(holds may keep parts longer); null if unknown.", null=True),
                rules=_code_list("The retention rules in words.", "One retention rule."),
            ),
            "source": _code_list("Where the data came from.", "One source."),
            "rights": _code_list("The data subject's rights.", "One right."),
            "supervisory_authority": _obj("Where to complain.",
                                          name=_f("string", "Name of the supervisory authority."),
                                          website=_f("string", "Its website.")),
            "client": client,
            "consents": _arr("Consents, oldest first.", consent),
            "pets": _arr("The client's animals, in the order they were registered.", pet),
            "medicine_records": _arr("Veterinary medicines administered or dispensed, oldest first.", medicine),
            "invoices": _arr("Invoices and credit notes, oldest first.", invoice),
            "disclosures": _arr("Disclosure log: to whom the client's data were given, oldest first.", disclosure),
            "requests": _arr("Data-subject requests of the client, oldest first.", request),
        },
    }


# --------------------------------------------------------------------------
# Export: reading
# --------------------------------------------------------------------------


def _iso_dt(value: Any) -> Optional[str]:
    """A stored UTC datetime ('2026-11-27 10:00:00.123456') as ISO 8601 with Z."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    s = str(value).replace(" ", "T", 1)
    if s.endswith("+00:00"):
        s = s[:-6]
    return s if s.endswith("Z") else s + "Z"


def _bool(value: Any) -> Optional[bool]:
    return None if value is None else bool(value)


def _original_number(number: Optional[str], kind: Optional[str]) -> Optional[str]:
    """The number an invoice was issued under (imported ones carry a prefix here)."""
    if number is not None and kind is not None and kind.startswith(IMPORTED_KIND_PREFIX):
        return number.split(":", 1)[1]
    return number


def _original_kind(kind: str) -> str:
    return kind[len(IMPORTED_KIND_PREFIX):] if kind.startswith(IMPORTED_KIND_PREFIX) else kind


def resolve_client(conn: Any, ref: str) -> tuple[int, str]:
    """(id, number) of a client by number or id, restricted ones included."""
    how, value = numbering.parse_ref(str(ref), "client")
    col = "id" if how == "id" else "number"
    row = conn.execute(text(f"SELECT id, number FROM client WHERE {col} = :v"), {"v": value}).first()
    if row is None:
        raise NotFound(f"client {shown_ref(ref)} not found")
    return row[0], row[1]


def about(conn: Any) -> dict[str, Any]:
    """The parts of an export that describe the practice, not the client."""
    from . import settings

    s = settings.get_all(conn)
    periods = {k: int(s[k]) for k in ("inactivity_years", "fiscal_years", "medicine_years")}
    return {
        "controller": {"name": s["name"], "street": s["street"], "postcode": s["postcode"],
                       "city": s["city"], "kvk": s["kvk"], "vat_number": s["vat_number"]},
        "purposes": [{"code": c, "description": d} for c, d in PURPOSES],
        "periods": periods,
        "retention_rules": _retention_rules(periods),
        "rights": [{"code": c, "description": d} for c, d in RIGHTS],
        "supervisory_authority": dict(SUPERVISORY_AUTHORITY),
    }


def _source(imported_on: Optional[str], other_practices: list[str]) -> list[dict[str, str]]:
    out = [
        {"code": "data-subject", "description": "Given by you (or on your behalf) when you registered and at visits."},
        {"code": "practice", "description": "Recorded by the practice's staff while caring for your animals "
                                            "(medical record, medicines, invoices)."},
    ]
    if imported_on or other_practices:
        desc = "Received from another veterinary practice at your request (data portability)"
        if other_practices:
            desc += ": " + ", ".join(other_practices)
        if imported_on:
            desc += f"; imported on {imported_on}"
        out.append({"code": "other-practice", "description": desc + "."})
    return out


# One query per record type. ``{f}`` is the client filter: ``= :cid`` for one
# client, ``IS NOT NULL`` for all. Every query is ordered by client id first
# (the merge key), then by date and id (stable, so an import keeps the order).
_Q_CLIENT = """SELECT id, number, name, street, postcode, city, phone, email, birth_date,
    created_at, legal_hold_reason, restricted FROM client WHERE id {f} ORDER BY id"""
_Q_CONSENT = """SELECT client_id, id, purpose, given_on, statement_version, method, withdrawn_on
    FROM consent WHERE client_id {f} ORDER BY client_id, given_on, id"""
_Q_PET = """SELECT client_id, id, number, name, species, breed, sex, birth_date, chip, colour, coat,
    insured, deceased_on, created_at FROM pet WHERE client_id {f} ORDER BY client_id, id"""
_Q_WEIGHT = """SELECT p.client_id, w.pet_id, w.measured_on, w.grams
    FROM weight w JOIN pet p ON p.id = w.pet_id WHERE p.client_id {f}
    ORDER BY p.client_id, w.pet_id, w.measured_on, w.id"""
_Q_VISIT = """SELECT p.client_id, v.pet_id, v.visit_date, v.reason, v.findings, v.diagnosis, v.treatment, v.vet
    FROM visit v JOIN pet p ON p.id = v.pet_id WHERE p.client_id {f}
    ORDER BY p.client_id, v.pet_id, v.visit_date, v.id"""
_Q_VACC = """SELECT p.client_id, x.pet_id, x.given_on, x.vaccine, x.batch, x.next_due
    FROM vaccination x JOIN pet p ON p.id = x.pet_id WHERE p.client_id {f}
    ORDER BY p.client_id, x.pet_id, x.given_on, x.id"""
_Q_MED = """SELECT m.client_id, p.number, m.record_date, m.product, m.batch, m.quantity, m.expiry, m.vet,
    m.dispensed, m.owner_name, m.owner_address, m.restricted
    FROM medicine_record m LEFT JOIN pet p ON p.id = m.pet_id WHERE m.client_id {f}
    ORDER BY m.client_id, m.record_date, m.id"""
_Q_INVOICE = """SELECT i.client_id, i.id, i.number, i.kind, ci.number, ci.kind, p.number, i.invoice_date,
    i.payment_method, i.status, i.reason, i.restricted,
    i.customer_name, i.customer_street, i.customer_postcode, i.customer_city, i.customer_birth_date,
    i.supplier_name, i.supplier_address, i.supplier_vat_number, i.supplier_kvk, i.supplier_iban,
    i.net_cents, i.vat_cents, i.gross_cents
    FROM invoice i LEFT JOIN invoice ci ON ci.id = i.credits_invoice_id LEFT JOIN pet p ON p.id = i.pet_id
    WHERE i.client_id {f} ORDER BY i.client_id, i.invoice_date, i.id"""
_Q_LINE = """SELECT i.client_id, l.invoice_id, l.position, l.description, l.quantity, l.unit_price_cents,
    l.vat_rate, l.net_cents FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id
    WHERE i.client_id {f} ORDER BY i.client_id, l.invoice_id, l.position, l.id"""
_Q_PAYMENT = """SELECT i.client_id, y.invoice_id, y.paid_on, y.amount_cents, y.method
    FROM payment y JOIN invoice i ON i.id = y.invoice_id
    WHERE i.client_id {f} ORDER BY i.client_id, y.invoice_id, y.paid_on, y.id"""
_Q_DISCLOSURE = """SELECT d.client_id, d.consent_id, r.name, r.kind, p.number, d.disclosed_on, d.categories,
    d.basis, d.at_client_request
    FROM disclosure d JOIN recipient r ON r.id = d.recipient_id LEFT JOIN pet p ON p.id = d.pet_id
    WHERE d.client_id {f} ORDER BY d.client_id, d.disclosed_on, d.id"""
_Q_REQUEST = """SELECT client_number, type, received_on, due_on, extended_reason, closed_on
    FROM subject_request WHERE client_number {f} ORDER BY client_number, received_on, id"""
_Q_IMPORTED = "SELECT entity_ids, ts FROM audit_log WHERE action = 'import' ORDER BY id"


class _Groups:
    """Rows sorted by their first column, taken one key at a time (a merge join)."""

    __slots__ = ("_it", "_next")

    def __init__(self, rows: Iterable[tuple]) -> None:
        self._it = iter(rows)
        self._next = next(self._it, None)

    def take(self, key: Any) -> list[tuple]:
        out = []
        nxt = self._next
        it = self._it
        while nxt is not None and nxt[0] < key:
            nxt = next(it, None)
        while nxt is not None and nxt[0] == key:
            out.append(nxt)
            nxt = next(it, None)
        self._next = nxt
        return out


def _by_second(rows: list[tuple]) -> dict[Any, list[tuple]]:
    out: dict[Any, list[tuple]] = {}
    for r in rows:
        out.setdefault(r[1], []).append(r)
    return out


def _vat_totals(lines: list[tuple]) -> list[dict[str, int]]:
    nets: dict[int, int] = {}
    for r in lines:
        nets[r[6]] = nets.get(r[6], 0) + r[7]
    return [{"rate": rate, "net_cents": net, "vat_cents": round_half_up_div(net * rate, 100)}
            for rate, net in sorted(nets.items(), reverse=True)]


def _delete_after(last: Optional[str], years: int) -> Optional[str]:
    """The last day of the inactivity period (``last`` + N years, clamped like the purge)."""
    if not last:
        return None
    d = date.fromisoformat(last)
    try:
        return d.replace(year=d.year + years).isoformat()
    except ValueError:  # 29 February -> 28 February, as relativedelta does
        return d.replace(year=d.year + years, day=28).isoformat()


def iter_exports(conn: Any, generated_at: datetime, client_id: Optional[int] = None) -> Iterator[dict[str, Any]]:
    """Export documents, one per client in id order (all clients, or just ``client_id``).

    One query per record type, each filtered by the client (or ordered by it
    and merged), streamed row by row: memory stays at one client's rows plus
    the cursors' pages.
    """
    from .activity import LAST_ACTIVITY_SQL, last_activity

    if client_id is None:
        f, params, fr = "IS NOT NULL", {}, "IS NOT NULL"
    else:
        number = conn.execute(text("SELECT number FROM client WHERE id = :cid"), {"cid": client_id}).scalar()
        if number is None:
            raise NotFound(f"client {client_id} not found")
        f, params, fr = "= :cid", {"cid": client_id}, "= :num"
        params["num"] = number

    info = about(conn)
    periods = info["periods"]
    generated = _iso_dt(generated_at)

    def q(sql: str, filt: str = f) -> Iterable[tuple]:
        return conn.execute(text(sql.format(f=filt)), params).yield_per(2000)

    if client_id is None:
        last_rows = q(LAST_ACTIVITY_SQL + " ORDER BY client_id")
    else:
        last = last_activity(conn, client_id)
        last_rows = [(client_id, last.isoformat())] if last else []
    requests: dict[str, list[tuple]] = {}
    for r in q(_Q_REQUEST, fr):
        requests.setdefault(r[0], []).append(r)
    imported: dict[str, str] = {}
    for ids, ts in conn.execute(text(_Q_IMPORTED)):
        for num in json.loads(ids)[:1]:
            imported[num] = ts[:10]

    lasts = _Groups(last_rows)
    consents, pets = _Groups(q(_Q_CONSENT)), _Groups(q(_Q_PET))
    weights, visits, vaccs = _Groups(q(_Q_WEIGHT)), _Groups(q(_Q_VISIT)), _Groups(q(_Q_VACC))
    meds, invoices = _Groups(q(_Q_MED)), _Groups(q(_Q_INVOICE))
    lines, payments = _Groups(q(_Q_LINE)), _Groups(q(_Q_PAYMENT))
    disclosures = _Groups(q(_Q_DISCLOSURE))

    for c in q(_Q_CLIENT):
        cid = c[0]
        number = c[1]
        consent_rows = consents.take(cid)
        consent_index = {r[1]: i for i, r in enumerate(consent_rows)}
        w_by_pet = _by_second(weights.take(cid))
        v_by_pet = _by_second(visits.take(cid))
        x_by_pet = _by_second(vaccs.take(cid))
        pet_out = []
        for p in pets.take(cid):
            pid = p[1]
            pet_out.append({
                "number": p[2], "name": p[3], "species": p[4], "breed": p[5], "sex": p[6],
                "birth_date": p[7], "chip": p[8], "colour": p[9], "coat": p[10],
                "insured": _bool(p[11]), "deceased_on": p[12], "created_at": _iso_dt(p[13]),
                "weights": [{"measured_on": r[2], "grams": r[3]} for r in w_by_pet.get(pid, ())],
                "visits": [{"visit_date": r[2], "reason": r[3], "findings": r[4], "diagnosis": r[5],
                            "treatment": r[6], "vet": r[7]} for r in v_by_pet.get(pid, ())],
                "vaccinations": [{"given_on": r[2], "vaccine": r[3], "batch": r[4], "next_due": r[5]}
                                 for r in x_by_pet.get(pid, ())],
            })
        l_by_inv = _by_second(lines.take(cid))
        y_by_inv = _by_second(payments.take(cid))
        inv_out = []
        other_practices: list[str] = []
        for i in invoices.take(cid):
            iid, kind = i[1], i[3]
            inv_lines = l_by_inv.get(iid, [])
            inv_pays = y_by_inv.get(iid, [])
            if kind.startswith(IMPORTED_KIND_PREFIX) and i[17] and i[17] not in other_practices:
                other_practices.append(i[17])
            inv_out.append({
                "number": _original_number(i[2], kind), "kind": _original_kind(kind),
                "credits_invoice_number": _original_number(i[4], i[5]), "pet_number": i[6],
                "invoice_date": i[7], "payment_method": i[8], "status": i[9], "reason": i[10],
                "restricted": bool(i[11]),
                "customer": {"name": i[12], "street": i[13], "postcode": i[14], "city": i[15],
                             "birth_date": i[16]},
                "supplier": {"name": i[17], "address": i[18], "vat_number": i[19], "kvk": i[20],
                             "iban": i[21]},
                "net_cents": i[22], "vat_cents": i[23], "gross_cents": i[24],
                "paid_cents": sum(r[3] for r in inv_pays),
                "vat_totals": _vat_totals(inv_lines),
                "lines": [{"position": r[2], "description": r[3], "quantity": r[4],
                           "unit_price_cents": r[5], "vat_rate": r[6], "net_cents": r[7]} for r in inv_lines],
                "payments": [{"paid_on": r[2], "amount_cents": r[3], "method": r[4]} for r in inv_pays],
            })
        last = lasts.take(cid)
        last_activity = last[0][1] if last else None
        yield {
            "format": FORMAT_NAME,
            "schema_version": SCHEMA_VERSION,
            "generated_at": generated,
            "controller": info["controller"],
            "purposes": info["purposes"],
            "retention": {
                **periods,
                "last_activity": last_activity,
                "delete_after": _delete_after(last_activity, periods["inactivity_years"]),
                "rules": info["retention_rules"],
            },
            "source": _source(imported.get(number), other_practices),
            "rights": info["rights"],
            "supervisory_authority": info["supervisory_authority"],
            "client": {
                "number": number, "name": c[2], "street": c[3], "postcode": c[4], "city": c[5],
                "phone": c[6], "email": c[7], "birth_date": c[8], "created_at": _iso_dt(c[9]),
                "legal_hold_reason": c[10], "restricted": bool(c[11]),
            },
            "consents": [{"purpose": r[2], "given_on": r[3], "statement_version": r[4], "method": r[5],
                          "withdrawn_on": r[6]} for r in consent_rows],
            "pets": pet_out,
            "medicine_records": [
                {"pet_number": r[1], "record_date": r[2], "product": r[3], "batch": r[4], "quantity": r[5],
                 "expiry": r[6], "vet": r[7], "dispensed": bool(r[8]), "owner_name": r[9],
                 "owner_address": r[10], "restricted": bool(r[11])}
                for r in meds.take(cid)
            ],
            "invoices": inv_out,
            "disclosures": [
                {"recipient": {"name": r[2], "kind": r[3]}, "pet_number": r[4], "disclosed_on": r[5],
                 "categories": r[6], "basis": r[7], "consent_index": consent_index.get(r[1]),
                 "at_client_request": bool(r[8])}
                for r in disclosures.take(cid)
            ],
            "requests": [
                {"type": r[1], "received_on": r[2], "due_on": r[3], "extended_reason": r[4], "closed_on": r[5]}
                for r in requests.get(number, ())
            ],
        }


def export_client(conn: Any, client_ref: str, generated_at: datetime) -> dict[str, Any]:
    """Everything held on one client and their animals (export schema v1)."""
    cid, _number = resolve_client(conn, client_ref)
    return next(iter_exports(conn, generated_at, client_id=cid))


def client_numbers(conn: Any) -> list[str]:
    """Every client's number in id order (the order of :func:`iter_exports`)."""
    return [r[0] for r in conn.execute(text("SELECT number FROM client ORDER BY id"))]


def close_request(conn: Any, ref: str, client_number: str, today: date) -> int:
    """Close the access or portability request an export answers; returns its id.

    It must exist, be about ``client_number``, be an access or portability
    request and still be open (:func:`vetcards.subject_requests.answer`).
    """
    from .subject_requests import answer

    return answer(conn, ref, client_number=client_number, types=EXPORT_REQUEST_TYPES, on=today)


# --------------------------------------------------------------------------
# Export: formats
# --------------------------------------------------------------------------


def to_json(doc: dict[str, Any], *, compact: bool = False) -> str:
    """The JSON text of one export (UTF-8, not ASCII-escaped)."""
    if compact:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(doc, ensure_ascii=False, indent=2)


#: CSV files of the bundle and their columns (one CSV per record type).
CSV_FILES: dict[str, tuple[str, ...]] = {
    "client.csv": ("number", "name", "street", "postcode", "city", "phone", "email", "birth_date",
                   "created_at", "legal_hold_reason", "restricted"),
    "consents.csv": ("purpose", "given_on", "statement_version", "method", "withdrawn_on"),
    "pets.csv": ("number", "name", "species", "breed", "sex", "birth_date", "chip", "colour", "coat",
                 "insured", "deceased_on", "created_at"),
    "weights.csv": ("pet_number", "measured_on", "grams"),
    "visits.csv": ("pet_number", "visit_date", "reason", "findings", "diagnosis", "treatment", "vet"),
    "vaccinations.csv": ("pet_number", "given_on", "vaccine", "batch", "next_due"),
    "medicines.csv": ("pet_number", "record_date", "product", "batch", "quantity", "expiry", "vet",
                      "dispensed", "owner_name", "owner_address", "restricted"),
    "invoices.csv": ("number", "kind", "credits_invoice_number", "pet_number", "invoice_date", "payment_method",
                     "status", "reason", "restricted", "customer_name", "customer_street", "customer_postcode",
                     "customer_city", "customer_birth_date", "supplier_name", "supplier_address",
                     "supplier_vat_number", "supplier_kvk", "supplier_iban", "net_cents", "vat_cents",
                     "gross_cents", "paid_cents"),
    "invoice_vat.csv": ("invoice_number", "rate", "net_cents", "vat_cents"),
    "invoice_lines.csv": ("invoice_number", "position", "description", "quantity", "unit_price_cents",
                          "vat_rate", "net_cents"),
    "payments.csv": ("invoice_number", "paid_on", "amount_cents", "method"),
    "disclosures.csv": ("recipient_name", "recipient_kind", "pet_number", "disclosed_on", "categories", "basis",
                        "consent_index", "at_client_request"),
    "requests.csv": ("type", "received_on", "due_on", "extended_reason", "closed_on"),
    "about.csv": ("section", "key", "value"),
}


def _csv_cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        body = value[1:]
        if not (value[0] in "+-" and body.replace(".", "", 1).isdigit()):
            return "'" + value
    return value


def csv_tables(doc: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """The rows of every CSV file of the bundle (without header)."""
    t: dict[str, list[list[Any]]] = {name: [] for name in CSV_FILES}

    def add(name: str, rec: dict[str, Any], **extra: Any) -> None:
        merged = {**rec, **extra}
        t[name].append([merged.get(col) for col in CSV_FILES[name]])

    add("client.csv", doc["client"])
    for c in doc["consents"]:
        add("consents.csv", c)
    for p in doc["pets"]:
        add("pets.csv", p)
        for w in p["weights"]:
            add("weights.csv", w, pet_number=p["number"])
        for v in p["visits"]:
            add("visits.csv", v, pet_number=p["number"])
        for x in p["vaccinations"]:
            add("vaccinations.csv", x, pet_number=p["number"])
    for m in doc["medicine_records"]:
        add("medicines.csv", m)
    for inv in doc["invoices"]:
        flat = {f"customer_{k}": v for k, v in inv["customer"].items()}
        flat.update({f"supplier_{k}": v for k, v in inv["supplier"].items()})
        add("invoices.csv", inv, **flat)
        for v in inv["vat_totals"]:
            add("invoice_vat.csv", v, invoice_number=inv["number"])
        for ln in inv["lines"]:
            add("invoice_lines.csv", ln, invoice_number=inv["number"])
        for y in inv["payments"]:
            add("payments.csv", y, invoice_number=inv["number"])
    for d in doc["disclosures"]:
        add("disclosures.csv", d, recipient_name=d["recipient"]["name"], recipient_kind=d["recipient"]["kind"])
    for r in doc["requests"]:
        add("requests.csv", r)
    about_rows = t["about.csv"]
    for key in ("format", "schema_version", "generated_at"):
        about_rows.append(["export", key, doc[key]])
    for key, value in doc["controller"].items():
        about_rows.append(["controller", key, value])
    for section in ("purposes", "source", "rights"):
        for item in doc[section]:
            about_rows.append([section, item["code"], item["description"]])
    for key, value in doc["retention"].items():
        if key != "rules":
            about_rows.append(["retention", key, value])
    for item in doc["retention"]["rules"]:
        about_rows.append(["retention", item["code"], item["description"]])
    for key, value in doc["supervisory_authority"].items():
        about_rows.append(["supervisory_authority", key, value])
    return t


def to_csv_zip(doc: dict[str, Any]) -> bytes:
    """A zip with one CSV (UTF-8, comma, header row) per record type."""
    buf = io.BytesIO()
    stamp = (2000, 1, 1, 0, 0, 0)
    if isinstance(doc.get("generated_at"), str) and len(doc["generated_at"]) >= 19:
        g = doc["generated_at"]
        stamp = (int(g[0:4]), int(g[5:7]), int(g[8:10]), int(g[11:13]), int(g[14:16]), int(g[17:19]))
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, rows in csv_tables(doc).items():
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(CSV_FILES[name])
            for row in rows:
                writer.writerow([_csv_cell(v) for v in row])
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, out.getvalue().encode("utf-8"))
    return buf.getvalue()


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def _schema_rule(error: Any) -> str:
    """A safe description of a schema error: never the offending value."""
    v, want = error.validator, error.validator_value
    if v == "required":
        inst = error.instance if isinstance(error.instance, dict) else {}
        missing = [k for k in want if k not in inst]
        return f"is missing field {missing[0]}" if missing else "is missing a field"
    if v == "additionalProperties":
        return "has a field the schema does not know"
    if v == "type":
        kinds = want if isinstance(want, list) else [want]
        return "must be " + " or ".join(kinds)
    if v in ("enum", "const"):
        allowed = want if isinstance(want, list) else [want]
        return "must be one of: " + ", ".join("null" if a is None else str(a) for a in allowed)
    if v in ("pattern", "format"):
        return "has the wrong format"
    if v in ("maxLength", "minLength"):
        return f"must be {'at most' if v == 'maxLength' else 'at least'} {want} characters"
    if v in ("minimum", "maximum"):
        return f"must be {'at least' if v == 'minimum' else 'at most'} {want}"
    return f"breaks the schema rule {v}"


_VALIDATOR = None


def validate_document(data: Any) -> None:
    """Check ``data`` against the export schema v1; one InvalidInput if not."""
    global _VALIDATOR
    if not isinstance(data, dict):
        raise InvalidInput("FILE", "is not a vetcards export (a JSON object is expected)")
    if data.get("format") != FORMAT_NAME:
        raise InvalidInput("format", f"must be {FORMAT_NAME} (not a vetcards export)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise InvalidInput("schema_version", f"must be {SCHEMA_VERSION}: this vetcards reads export schema v1")
    if _VALIDATOR is None:
        from jsonschema import Draft202012Validator, FormatChecker

        _VALIDATOR = Draft202012Validator(schema(), format_checker=FormatChecker())
    from jsonschema.exceptions import best_match

    error = best_match(_VALIDATOR.iter_errors(data))
    if error is not None:
        raise InvalidInput(_json_path(error.absolute_path), _schema_rule(error) + " (export schema v1)")


def _d(value: Optional[str]) -> Optional[date]:
    return None if value is None else date.fromisoformat(value)


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _check_fields(session: Any, data: dict[str, Any], today: date) -> dict[str, Any]:
    """Every field again with the validators of this practice; returns fixes
    (normalised client fields). Raises InvalidInput naming the JSON path."""
    from . import validation
    from .patients import known_species

    def again(path: str, fn: Any, value: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(value, *args, **kw)
        except InvalidInput as exc:
            raise InvalidInput(path, exc.rule) from None

    c = data["client"]
    client: dict[str, Any] = {}
    for name, n in (("name", 200), ("street", 200), ("city", 100)):
        client[name] = again(f"client.{name}", validation.text, c[name], field=name, max_len=n)
    client["postcode"] = again("client.postcode", validation.postcode, c["postcode"])
    client["phone"] = again("client.phone", validation.phone, c["phone"]) if c["phone"] else None
    client["email"] = again("client.email", validation.email, c["email"]) if c["email"] else None
    client["birth_date"] = (again("client.birth_date", validation.birth_date, c["birth_date"], today=today)
                            if c["birth_date"] else None)

    species = known_species(session)
    chips: set[str] = set()
    pets = []
    for i, p in enumerate(data["pets"]):
        at = f"pets[{i}]"
        fixed = {
            "name": again(f"{at}.name", validation.text, p["name"], field="name", max_len=100),
            "species": again(f"{at}.species", validation.species, p["species"], species),
            "sex": again(f"{at}.sex", validation.sex, p["sex"]),
            "birth_date": (again(f"{at}.birth_date", validation.birth_date, p["birth_date"], today=today)
                           if p["birth_date"] else None),
            "chip": again(f"{at}.chip", validation.chip, p["chip"]) if p["chip"] else None,
        }
        if fixed["chip"]:
            if fixed["chip"] in chips:
                raise InvalidInput(f"{at}.chip", "the same chip number is on two pets in the file")
            chips.add(fixed["chip"])
        if p["deceased_on"] and _d(p["deceased_on"]) > today:
            raise InvalidInput(f"{at}.deceased_on", validation.RULE_FUTURE)
        pets.append(fixed)
    if chips:
        taken = session.execute(
            text("SELECT count(*) FROM pet WHERE chip IN (SELECT value FROM json_each(:chips))"),
            {"chips": json.dumps(sorted(chips))},
        ).scalar()
        if taken:
            raise InvalidInput("pets.chip", "a chip number in the file is already registered on a pet here")

    numbers = [p["number"] for p in data["pets"]]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("pets.number", "two pets in the file have the same number")
    known_pets = set(numbers)

    def pet_ref(path: str, value: Optional[str]) -> None:
        if value is not None and value not in known_pets:
            raise InvalidInput(path, "names a pet that is not in the file")

    for i, m in enumerate(data["medicine_records"]):
        pet_ref(f"medicine_records[{i}].pet_number", m["pet_number"])
    inv_numbers = [inv["number"] for inv in data["invoices"]]
    if len(set(inv_numbers)) != len(inv_numbers):
        raise InvalidInput("invoices.number", "two invoices in the file have the same number")
    for i, inv in enumerate(data["invoices"]):
        at = f"invoices[{i}]"
        pet_ref(f"{at}.pet_number", inv["pet_number"])
        again(f"{at}.customer.postcode", validation.postcode, inv["customer"]["postcode"])
        if inv["net_cents"] != sum(ln["net_cents"] for ln in inv["lines"]):
            raise InvalidInput(f"{at}.net_cents", "must be the sum of the lines")
        if inv["gross_cents"] != inv["net_cents"] + inv["vat_cents"]:
            raise InvalidInput(f"{at}.gross_cents", "must be net_cents + vat_cents")
    for i, d in enumerate(data["disclosures"]):
        again(f"disclosures[{i}].recipient.name", validation.text, d["recipient"]["name"], field="name",
              max_len=200)
        pet_ref(f"disclosures[{i}].pet_number", d["pet_number"])
        if d["consent_index"] is not None and d["consent_index"] >= len(data["consents"]):
            raise InvalidInput(f"disclosures[{i}].consent_index", "names a consent that is not in the file")
    return {"client": client, "pets": pets}


def _next_imported_seq(conn: Any) -> int:
    return conn.execute(
        text("SELECT coalesce(max(seq), 0) + 1 FROM invoice WHERE year = :y"), {"y": IMPORTED_YEAR}
    ).scalar_one()


def imported_number(seq: int, original: str) -> str:
    """The stored number of an imported invoice: ``IMP<seq>:<original number>``."""
    return f"{IMPORTED_PREFIX}{seq}:{original}"


def import_client(session: Any, data: Any, *, today: Optional[date] = None,
                  counts_out: Optional[dict[str, int]] = None) -> str:
    """Read a vetcards export (schema v1) of another practice; returns the new client number.

    Validates the whole file first (schema, then every field with this
    practice's rules); writes nothing unless all of it is valid. Commits.
    """
    from sqlalchemy import insert

    from . import audit
    from .models import (
        Client,
        Consent,
        Disclosure,
        Invoice,
        InvoiceLine,
        MedicineRecord,
        Payment,
        Pet,
        Recipient,
        SubjectRequest,
        Vaccination,
        Visit,
        Weight,
        utcnow,
    )

    today = today or date.today()
    validate_document(data)
    fixed = _check_fields(session, data, today)
    now = utcnow()
    c = data["client"]

    number = numbering.next_number(session, "client")
    cf = fixed["client"]
    client_id = session.execute(insert(Client.__table__).values(
        number=number, name=cf["name"], street=cf["street"], postcode=cf["postcode"], city=cf["city"],
        phone=cf["phone"], email=cf["email"], birth_date=cf["birth_date"], created_at=_dt(c["created_at"]),
        updated_at=now, legal_hold_reason=c["legal_hold_reason"], restricted=c["restricted"],
    )).inserted_primary_key[0]

    consent_ids: list[int] = []
    for k in data["consents"]:
        consent_ids.append(session.execute(insert(Consent.__table__).values(
            client_id=client_id, purpose=k["purpose"], given_on=_d(k["given_on"]),
            statement_version=k["statement_version"], method=k["method"], withdrawn_on=_d(k["withdrawn_on"]),
            created_at=now,
        )).inserted_primary_key[0])

    pet_ids: dict[str, int] = {}
    weights, visits, vaccs = [], [], []
    for p, pf in zip(data["pets"], fixed["pets"]):
        pid = session.execute(insert(Pet.__table__).values(
            number=numbering.next_number(session, "pet"), client_id=client_id, name=pf["name"],
            species=pf["species"], breed=p["breed"], sex=pf["sex"], birth_date=pf["birth_date"], chip=pf["chip"],
            colour=p["colour"], coat=p["coat"], insured=p["insured"], deceased_on=_d(p["deceased_on"]),
            created_at=_dt(p["created_at"]), updated_at=now,
        )).inserted_primary_key[0]
        pet_ids[p["number"]] = pid
        weights += [{"pet_id": pid, "measured_on": _d(w["measured_on"]), "grams": w["grams"], "created_at": now}
                    for w in p["weights"]]
        visits += [{"pet_id": pid, "visit_date": _d(v["visit_date"]), "reason": v["reason"],
                    "findings": v["findings"], "diagnosis": v["diagnosis"], "treatment": v["treatment"],
                    "vet": v["vet"], "created_at": now} for v in p["visits"]]
        vaccs += [{"pet_id": pid, "given_on": _d(x["given_on"]), "vaccine": x["vaccine"], "batch": x["batch"],
                   "next_due": _d(x["next_due"]), "created_at": now} for x in p["vaccinations"]]
    for table, rows in ((Weight, weights), (Visit, visits), (Vaccination, vaccs)):
        if rows:
            session.execute(insert(table.__table__), rows)

    meds = [{"pet_id": pet_ids.get(m["pet_number"]) if m["pet_number"] else None, "client_id": client_id,
             "record_date": _d(m["record_date"]), "product": m["product"], "batch": m["batch"],
             "quantity": m["quantity"], "expiry": _d(m["expiry"]), "vet": m["vet"], "dispensed": m["dispensed"],
             "owner_name": m["owner_name"], "owner_address": m["owner_address"], "restricted": m["restricted"],
             "created_at": now} for m in data["medicine_records"]]
    if meds:
        session.execute(insert(MedicineRecord.__table__), meds)

    inv_ids: dict[str, int] = {}
    credits: list[tuple[int, str]] = []
    lines, pays = [], []
    seq = _next_imported_seq(session)
    for inv in data["invoices"]:
        cust, sup = inv["customer"], inv["supplier"]
        iid = session.execute(insert(Invoice.__table__).values(
            number=imported_number(seq, inv["number"]), year=IMPORTED_YEAR, seq=seq,
            kind=IMPORTED_KIND_PREFIX + inv["kind"], client_id=client_id,
            pet_id=pet_ids.get(inv["pet_number"]) if inv["pet_number"] else None,
            invoice_date=_d(inv["invoice_date"]), payment_method=inv["payment_method"], status=inv["status"],
            customer_name=cust["name"], customer_street=cust["street"], customer_postcode=cust["postcode"],
            customer_city=cust["city"], customer_birth_date=_d(cust["birth_date"]),
            supplier_name=sup["name"], supplier_address=sup["address"], supplier_vat_number=sup["vat_number"],
            supplier_kvk=sup["kvk"], supplier_iban=sup["iban"], net_cents=inv["net_cents"],
            vat_cents=inv["vat_cents"], gross_cents=inv["gross_cents"], reason=inv["reason"],
            restricted=inv["restricted"], created_at=now,
        )).inserted_primary_key[0]
        seq += 1
        inv_ids[inv["number"]] = iid
        if inv["credits_invoice_number"]:
            credits.append((iid, inv["credits_invoice_number"]))
        lines += [{"invoice_id": iid, "position": ln["position"], "description": ln["description"],
                   "quantity": ln["quantity"], "unit_price_cents": ln["unit_price_cents"],
                   "vat_rate": ln["vat_rate"], "net_cents": ln["net_cents"]} for ln in inv["lines"]]
        pays += [{"invoice_id": iid, "paid_on": _d(y["paid_on"]), "amount_cents": y["amount_cents"],
                  "method": y["method"], "created_at": now} for y in inv["payments"]]
    for iid, credited in credits:
        if credited in inv_ids:
            session.execute(text("UPDATE invoice SET credits_invoice_id = :c WHERE id = :id"),
                            {"c": inv_ids[credited], "id": iid})
    if lines:
        session.execute(insert(InvoiceLine.__table__), lines)
    if pays:
        session.execute(insert(Payment.__table__), pays)

    recipients: dict[str, int] = {}
    created_recipients = 0
    discl = []
    for d in data["disclosures"]:
        name = d["recipient"]["name"]
        if name not in recipients:
            rid = session.execute(text("SELECT id FROM recipient WHERE name = :n"), {"n": name}).scalar()
            if rid is None:
                kind = d["recipient"]["kind"].replace("_", "-")
                rid = session.execute(insert(Recipient.__table__).values(
                    name=name, kind=kind if kind in RECIPIENT_KINDS else "other", categories="", created_at=now,
                )).inserted_primary_key[0]
                created_recipients += 1
            recipients[name] = rid
        discl.append({"client_id": client_id, "recipient_id": recipients[name],
                      "pet_id": pet_ids.get(d["pet_number"]) if d["pet_number"] else None,
                      "disclosed_on": _d(d["disclosed_on"]), "categories": d["categories"], "basis": d["basis"],
                      "consent_id": consent_ids[d["consent_index"]] if d["consent_index"] is not None else None,
                      "at_client_request": d["at_client_request"], "created_at": now})
    if discl:
        session.execute(insert(Disclosure.__table__), discl)

    # Requests the other practice closed are history; one still open there
    # is that practice's duty, not ours, and is not carried.
    reqs = [{"client_number": number, "type": r["type"], "received_on": _d(r["received_on"]),
             "due_on": _d(r["due_on"]), "extended_reason": r["extended_reason"], "closed_on": _d(r["closed_on"]),
             "created_at": now} for r in data["requests"] if r["closed_on"]]
    if reqs:
        session.execute(insert(SubjectRequest.__table__), reqs)

    counts = {
        "pets": len(pet_ids), "consents": len(consent_ids), "weights": len(weights), "visits": len(visits),
        "vaccinations": len(vaccs), "medicine_records": len(meds), "invoices": len(inv_ids),
        "invoice_lines": len(lines), "payments": len(pays), "disclosures": len(discl),
        "recipients_created": created_recipients, "requests": len(reqs),
        "requests_open_not_carried": len(data["requests"]) - len(reqs),
    }
    audit.record(session, "import", "client", [number], {"schema_version": SCHEMA_VERSION, **counts})
    session.commit()
    if counts_out is not None:
        counts_out.update(counts)
        counts_out["id"] = client_id
    return number
