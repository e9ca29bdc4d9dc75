"""The record of processing activities (GDPR art. 30(1)), built from the database.

The controller comes from the practice settings, the recipients from the
recipients register (grouped by the consent purpose they need), the
retention periods from the retention settings. The purposes, legal bases and
categories are those of the privacy statement that vetcards implements
(SPEC §1); they change with the code, not per practice.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from . import settings
from .recipients import DATA_CATEGORIES, list_recipients, required_purpose

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

SECURITY_MEASURES: tuple[str, ...] = (
    "encryption at rest of the whole database: SQLCipher 4 (AES-256, HMAC-SHA512 page authentication); "
    "a passphrase is stretched with PBKDF2-HMAC-SHA512, 256,000 iterations; key files hold a random "
    "256-bit key and are refused when readable by group or others",
    "no plaintext on disk: secure_delete on, temporary storage in memory, new files and exports mode 0600",
    "hash-chained audit log of every change, access, export, disclosure, erasure and purge "
    "(ids and counts only; `vetcards audit verify` checks the chain)",
    "consent recorded per purpose with date, statement version and method; withdrawal in one command",
    "disclosure log of every transfer to a recipient (who, what categories, when, basis or consent)",
    "restriction of processing (art. 18): data kept only for a legal hold are hidden from lists, "
    "reminders and statistics",
    "statistics are aggregate counts with cells under 5 suppressed",
    "erasure ledger kept apart from the database, re-applied after a backup restore",
)


def _activities(periods: dict[str, str]) -> list[dict[str, Any]]:
    inactive = f"{periods['inactivity_years']} years after the client's last activity"
    return [
        {
            "id": "care",
            "name": "Care and administration (client and patient cards, medical record)",
            "purpose": "treating animals and keeping the patient's medical history",
            "legal_basis": "consent (care) and contract (treatment agreement); legal obligation "
                           "for the medicine record (EU Regulation 2019/6 art. 103)",
            "data_subjects": ["clients (animal owners)", "practice staff (treating vet named in the record)"],
            "categories": ["naw", "contact", "animal", "chip", "record"],
            "retention": f"{inactive}; medicine records {periods['medicine_years']} years "
                         "(kept restricted after an erasure)",
        },
        {
            "id": "invoicing",
            "name": "Invoicing, payments and collection",
            "purpose": "billing the services rendered and collecting unpaid invoices",
            "legal_basis": "contract; legal obligation (fiscal retention, AWR art. 52; invoice rules, "
                           "Wet OB art. 35a)",
            "data_subjects": ["clients (animal owners)"],
            "categories": ["naw", "financial", "birth date (only for invoices paid on account)"],
            "retention": f"{periods['fiscal_years']} years from the end of the invoice's calendar year; "
                         "not purged while an invoice is unpaid or in collection",
        },
        {
            "id": "reminders",
            "name": "Vaccination reminder cards",
            "purpose": "posting a recall card when a vaccination is due",
            "legal_basis": "consent (reminders)",
            "data_subjects": ["clients (animal owners) who consented"],
            "categories": ["naw", "animal (name and species only)", "recall"],
            "retention": f"{inactive}; the printer keeps nothing",
        },
        {
            "id": "chip-registration",
            "name": "Chip registration at the Dutch pet database (NDG)",
            "purpose": "registering a chipped animal and its owner",
            "legal_basis": "consent (chip-registration)",
            "data_subjects": ["clients (animal owners) who consented"],
            "categories": ["naw", "animal", "chip"],
            "retention": inactive,
        },
        {
            "id": "referral",
            "name": "Referral to a specialist",
            "purpose": "referring one patient, at the client's request",
            "legal_basis": "consent (referral), at the client's request",
            "data_subjects": ["clients (animal owners) who asked for the referral"],
            "categories": ["naw", "animal", "record", "contact and chip when the register allows"],
            "retention": inactive,
        },
        {
            "id": "lab",
            "name": "Laboratory tests",
            "purpose": "having samples analysed",
            "legal_basis": "consent (lab)",
            "data_subjects": ["clients (animal owners) who consented"],
            "categories": ["naw", "animal", "record"],
            "retention": inactive,
        },
        {
            "id": "pharmacy",
            "name": "Pharmacy orders",
            "purpose": "supplying prescribed medicines",
            "legal_basis": "consent (pharmacy)",
            "data_subjects": ["clients (animal owners) who consented"],
            "categories": ["naw", "animal", "record"],
            "retention": inactive,
        },
        {
            "id": "statistics",
            "name": "Anonymised statistics",
            "purpose": "practice statistics from aggregate counts (no person identifiable)",
            "legal_basis": "legitimate interest; only anonymised aggregates leave (cells under 5 suppressed)",
            "data_subjects": ["clients (animal owners)"],
            "categories": ["animal (species, breed, age band)", "region (first two postcode digits)",
                           "visit counts per year"],
            "retention": "not stored; computed on demand",
        },
        {
            "id": "rights",
            "name": "Data-subject requests, erasure ledger and audit log",
            "purpose": "answering access, erasure, rectification and portability requests; accountability",
            "legal_basis": "legal obligation (GDPR art. 5(2), 12-20)",
            "data_subjects": ["clients (animal owners)", "practice staff (user name in the audit log)"],
            "categories": ["client numbers, dates and request types only"],
            "retention": "as long as the database is kept; no names or free text",
        },
    ]


def build(uow: UnitOfWork, *, today: Optional[date] = None) -> dict[str, Any]:
    """The register as a plain dict (JSON-ready)."""
    s = settings.get_all(uow)
    recipients = list_recipients(uow)
    activities = _activities(s)
    by_purpose: dict[Optional[str], list[dict[str, Any]]] = {}
    for r in recipients:
        by_purpose.setdefault(required_purpose(r), []).append(r)
    for act in activities:
        act["recipients"] = [
            {"name": r["name"], "kind": r["kind"], "agreement_date": r["agreement_date"],
             "categories": r["categories"]}
            for r in by_purpose.get(act["id"], [])
        ]
    address = ", ".join(x for x in (s["street"], f"{s['postcode']} {s['city']}".strip()) if x)
    return {
        "title": "Record of processing activities (GDPR art. 30(1))",
        "generated_on": (today or date.today()).isoformat(),
        "controller": {"name": s["name"] or None, "address": address or None,
                       "kvk": s["kvk"] or None, "vat_number": s["vat_number"] or None},
        "privacy_statement_version": s["privacy_statement_version"],
        "retention_settings": {"inactivity_years": int(s["inactivity_years"]),
                               "fiscal_years": int(s["fiscal_years"]),
                               "medicine_years": int(s["medicine_years"])},
        "data_categories": dict(DATA_CATEGORIES),
        "activities": activities,
        "other_recipients": [
            {"name": r["name"], "kind": r["kind"], "agreement_date": r["agreement_date"],
             "categories": r["categories"]}
            for r in by_purpose.get(None, [])
        ],
        "transfers_outside_eea": "none recorded",
        "security_measures": list(SECURITY_MEASURES),
    }


def render_text(reg: dict[str, Any]) -> str:
    """The register as plain text for printing."""
    c = reg["controller"]
    lines = [reg["title"], "=" * len(reg["title"]), ""]
    lines.append(f"Generated on: {reg['generated_on']}")
    lines.append(f"Controller: {c['name'] or '(not set: vetcards practice set --name ...)'}")
    for label, key in (("Address", "address"), ("KvK", "kvk"), ("VAT number", "vat_number")):
        if c[key]:
            lines.append(f"{label}: {c[key]}")
    lines.append(f"Privacy statement version: {reg['privacy_statement_version']}")
    r = reg["retention_settings"]
    lines.append(f"Retention settings: inactivity {r['inactivity_years']} years, fiscal "
                 f"{r['fiscal_years']} years, medicine records {r['medicine_years']} years")
    lines += ["", "Data categories:"]
    lines += [f"  {k}: {v}" for k, v in reg["data_categories"].items()]

    def recipient_line(x: dict[str, Any]) -> str:
        agreement = f"agreement {x['agreement_date']}" if x["agreement_date"] else "no agreement date recorded"
        return f"    - {x['name']} ({x['kind']}; {agreement}; may receive: {x['categories'] or '-'})"

    for act in reg["activities"]:
        lines += ["", f"{act['name']}", "-" * len(act["name"])]
        lines.append(f"  Purpose: {act['purpose']}")
        lines.append(f"  Legal basis: {act['legal_basis']}")
        lines.append(f"  Data subjects: {'; '.join(act['data_subjects'])}")
        lines.append(f"  Data categories: {', '.join(act['categories'])}")
        if act["recipients"]:
            lines.append("  Recipients:")
            lines += [recipient_line(x) for x in act["recipients"]]
        else:
            lines.append("  Recipients: none")
        lines.append(f"  Retention: {act['retention']}")
    if reg["other_recipients"]:
        lines += ["", "Other recipients (basis per disclosure: contract or legal obligation):"]
        lines += [recipient_line(x) for x in reg["other_recipients"]]
    lines += ["", f"Transfers outside the EEA: {reg['transfers_outside_eea']}", "", "Security measures:"]
    lines += [f"  - {m}" for m in reg["security_measures"]]
    return "\n".join(lines) + "\n"
