"""The export format: its JSON Schemas (draft 2020-12), v1 and v2, built from one table of fields.

Every field has a description; ``docs/export-schema-v1.json`` and
``docs/export-schema-v2.json`` are :func:`schema_text` written out (a test
checks they are the same bytes). v1 is frozen (old files must still import);
v2 adds fields and tightens the rules (:func:`_tighten`). The export
(:mod:`vetcards.export`) writes v2 documents and the import
(:mod:`vetcards.importer`) validates a file against the schema of its version.

Its only dependency is :mod:`vetcards.vocab` (standard library only): cheap to import.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from . import vocab

#: The version ``export`` writes; ``import`` reads every one of :data:`SCHEMA_VERSIONS`.
SCHEMA_VERSION = "2"
SCHEMA_VERSIONS: tuple[str, ...] = ("1", "2")
SCHEMA_ID = "https://vetcards.example/schemas/export-v{version}.json"
FORMAT_NAME = "vetcards-export"

#: Imported invoices are stored with ``year = 0`` (no real invoice year), a
#: running ``seq`` of their own and ``number = "IMP<seq>:<original number>"``,
#: with ``kind = "imported_" + original kind``. This practice's own numbering
#: (year >= 2000, consecutive per year) never meets them, the unique
#: constraints hold, and the original number comes back out unchanged.
IMPORTED_YEAR = 0
IMPORTED_PREFIX = "IMP"
IMPORTED_KIND_PREFIX = "imported_"

# The code lists of the schema's enums are vocab's (one list each in vetcards).
CONSENT_PURPOSES = vocab.CONSENT_PURPOSES
CONSENT_METHODS = vocab.CONSENT_METHODS
SEXES = vocab.SEXES
INVOICE_KINDS = vocab.INVOICE_KINDS
INVOICE_STATES = vocab.INVOICE_STATES
PAYMENT_METHODS = vocab.PAYMENT_METHODS
DISCLOSURE_BASES = vocab.DISCLOSURE_BASES
RECIPIENT_KINDS = vocab.RECIPIENT_KINDS
REQUEST_TYPES = vocab.REQUEST_TYPES


# --------------------------------------------------------------------------
# What the practice tells the data subject (art. 13/15): codes + English text.
# The access report (vetcards.report) has the Dutch and English wording.
# --------------------------------------------------------------------------

PURPOSES: tuple[tuple[str, str], ...] = tuple(
    (code, vocab.describe("processing_purpose", code, "en")) for code in vocab.PROCESSING_PURPOSES)

RIGHTS: tuple[tuple[str, str], ...] = tuple((code, vocab.describe("right", code, "en")) for code in vocab.RIGHTS)

SUPERVISORY_AUTHORITY = {
    "name": "Autoriteit Persoonsgegevens",
    "website": "https://www.autoriteitpersoonsgegevens.nl",
}


def retention_rules(periods: dict[str, int]) -> list[dict[str, str]]:
    return [
        {"code": "inactivity",
         "description": f"Client and patient cards, medical records, consents and the disclosure log are deleted "
                        f"when there has been no activity for more than {periods['inactivity_years']} years."},
        {"code": "fiscal",
         "description": f"Invoices are kept {periods['fiscal_years']} years from the end of the latest of the year "
                        "they were issued in, the year of any payment on them and the year of any credit note that "
                        "corrects them (Dutch tax law, AWR art. 52), with the name and address they were addressed "
                        "to; an invoice and its credit note are kept together."},
        {"code": "medicine",
         "description": f"Records of veterinary medicines administered or dispensed are kept "
                        f"{periods['medicine_years']} years (EU Regulation 2019/6 art. 103)."},
        {"code": "claim",
         "description": "While an invoice is unpaid or in collection, the data needed to collect it are kept."},
        {"code": "legal-hold",
         "description": "A legal hold (for example a court case) stops deletion until it is lifted."},
    ]


def source_items(imported_on: Optional[str], other_practices: list[str]) -> list[dict[str, str]]:
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


_CLIENT_NUMBER: dict[str, Any] = {"pattern": r"^[A-Z]{1,3}[0-9]{1,12}$", "maxLength": 20}
_TEXT200: dict[str, Any] = {"maxLength": 200}
_CENTS: dict[str, Any] = {"minimum": -1_000_000_000_000, "maximum": 1_000_000_000_000}


# Version 2 is as tight as the data (issue 14 point 7): numbers as vetcards gives them, codes from
# the vocabulary, e-mail and phone formats, countries. Amounts that must add up (gross = net + VAT,
# totals = the sum of the lines) are beyond JSON Schema: ``import`` checks them (importer.check_amounts).
_V2_CLIENT_NUMBER: dict[str, Any] = {"pattern": r"^K[0-9]{6,12}$", "maxLength": 20}
_V2_PET_NUMBER: dict[str, Any] = {"pattern": r"^P[0-9]{6,12}$", "maxLength": 20}
_V2_INVOICE_NUMBER: dict[str, Any] = {"pattern": r"^[0-9]{4}-[0-9]{5,9}$", "maxLength": 20}
_V2_EMAIL: dict[str, Any] = {"format": "email", "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "maxLength": 254}
_PHONE: dict[str, Any] = {"pattern": r"^\+[1-9][0-9]{6,14}$"}
_V2_COUNTRY: dict[str, Any] = {"enum": list(vocab.COUNTRIES)}
_DUTCH_POSTCODE = r"^[1-9][0-9]{3} [A-Z]{2}$"
_V2_POSTCODE: dict[str, Any] = {"pattern": r"^[0-9A-Z][0-9A-Z -]{1,6}$", "maxLength": 7}


def _dutch_postcode_in_nl(obj: dict[str, Any]) -> dict[str, Any]:
    """An address object whose postcode must be Dutch when its country is NL (v2)."""
    obj["if"] = {"properties": {"country": {"const": "NL"}}, "required": ["country"]}
    obj["then"] = {"properties": {"postcode": {"pattern": _DUTCH_POSTCODE}}}
    return obj


def _nullable(obj: dict[str, Any]) -> dict[str, Any]:
    obj["type"] = ["object", "null"]
    return obj


def _void_fields() -> dict[str, dict[str, Any]]:
    """The fields of a voided record (v2, SPEC §9): it stays in the history, marked."""
    return {"voided_at": _f("datetime", "When the record was voided (UTC); null while it stands.", null=True),
            "void_reason": _f("string", "Why it was voided; null while it stands.", null=True, maxLength=500)}


def schema(version: str = SCHEMA_VERSION) -> dict[str, Any]:
    """The export schema of ``version`` (JSON Schema draft 2020-12); v1 as published, never changed."""
    if version not in SCHEMA_VERSIONS:
        raise ValueError(f"no export schema version {version}")
    v2 = version != "1"
    pet_pattern = _V2_PET_NUMBER if v2 else {"pattern": r"^[A-Z]{1,3}[0-9]{1,12}$", "maxLength": 20}
    pet_number = _f("string", "Number of the patient card (pet) in the source practice, e.g. P000034; "
                    "null when the record is not (or no longer) tied to a pet.", null=True, **pet_pattern)
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
                  **pet_pattern),
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
    if v2:
        _tighten(client=client, pet=pet, visit=visit, vaccination=vaccination, medicine=medicine, line=line,
                 vat_total=vat_total, payment=payment, invoice=invoice, consent=consent)
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID.format(version=version),
        "title": f"vetcards export, schema version {version}",
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
            "schema_version": _f("string", f"Version of this schema; this is version {version}.", const=version),
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
    if v2:
        _add(root["properties"]["controller"],  # type: ignore[index]
             phone=_f("string", "The practice's phone number (E.164); null when not set.", null=True, **_PHONE),
             email=_f("string", "The practice's e-mail address; null when not set.", null=True, **_V2_EMAIL),
             privacy_contact=_f("string", "Name of the practice's data-protection contact; null when not set.",
                                null=True, **_TEXT200),
             privacy_email=_f("string", "E-mail address of the data-protection contact; null when not set.",
                              null=True, **_V2_EMAIL))
    return root


def _add(obj: dict[str, Any], **props: dict[str, Any]) -> None:
    """Fields added by a later version: required like the others, at the end of the record."""
    obj["properties"].update(props)
    obj["required"].extend(props)


def _tighten(*, client: dict[str, Any], pet: dict[str, Any], visit: dict[str, Any], vaccination: dict[str, Any],
             medicine: dict[str, Any], line: dict[str, Any], vat_total: dict[str, Any], payment: dict[str, Any],
             invoice: dict[str, Any], consent: dict[str, Any]) -> None:
    """What version 2 adds to version 1: new fields (only added, never renamed) and tighter rules."""
    rates = list(vocab.VAT_RATES)
    cp = client["properties"]
    cp["number"].update(_V2_CLIENT_NUMBER)
    cp["postcode"].update(description="Postcode as stored for the client's country (NL: 1234 AB; GB compact, "
                                      "e.g. SW1A1AA).", **_V2_POSTCODE)
    cp["email"].update(_V2_EMAIL)
    _add(client,
         country=_f("string", "Country of the address, ISO 3166-1 alpha-2 (NL, BE, DE, ...), from the vocabulary.", **_V2_COUNTRY),
         landline=_f("string", "Landline number in E.164 form; `phone` is the mobile (or only) number.",
                     null=True, **_PHONE))
    _dutch_postcode_in_nl(client)
    for record in (visit, vaccination):
        _add(record, **_void_fields(),
             corrects=_nullable(_obj("For a correction: the record it replaces, by place in this file; null "
                                     "for an original.",
                                     pet_number=_f("string", "The pet whose list holds the original.",
                                                   **_V2_PET_NUMBER),
                                     index=_f("integer", "Position (from 0) of the original in that list.",
                                              minimum=0))))
    _add(medicine, **_void_fields(),
         corrects_index=_f("integer", "For a correction: position (from 0) in `medicine_records` of the record "
                                      "it replaces; null for an original.", null=True, minimum=0))
    line["properties"]["vat_rate"].update(description="VAT rate in percent: " + vocab.one_of(rates) + ".",
                                          enum=rates)
    _add(line, vat_category=_f("string", "Why the line carries its VAT: charged (21 or 9), zero (0 % rate), "
                                         "exempt (art. 11 Wet OB) or outside (outside the scope of VAT).",
                               enum=list(vocab.VAT_CATEGORIES)))
    vat_total["properties"]["rate"].update(enum=rates)
    _add(payment, **_void_fields())
    payment["properties"]["method"].update(enum=list(vocab.codes("payment_method")))
    ip = invoice["properties"]
    ip["number"].update(description="Invoice number as issued by the supplier named below: YYYY-NNNNN, e.g. "
                                    "2026-00042.", **_V2_INVOICE_NUMBER)
    ip["credits_invoice_number"].update(_V2_INVOICE_NUMBER)
    customer = ip["customer"]
    customer["properties"]["postcode"].update(_V2_POSTCODE)
    _add(customer, country=_f("string", "Country of the address, ISO 3166-1 alpha-2.", **_V2_COUNTRY))
    _dutch_postcode_in_nl(customer)
    _add(invoice, supply_date=_f("date", "Date of supply when it differs from the invoice date (art. 35a Wet OB); "
                                         "null when the same.", null=True))
    _add(consent, controller=_f("string", "The practice the consent was given to when not the exporting one "
                                          "(carried by an import: history, not a consent to this practice); "
                                          "null when given to the exporting practice.", null=True, maxLength=200))


def schema_text(version: str = SCHEMA_VERSION) -> str:
    """The schema as published in ``docs/export-schema-vN.json`` (UTF-8, indent 2, final newline)."""
    return json.dumps(schema(version), indent=2, ensure_ascii=False) + "\n"
