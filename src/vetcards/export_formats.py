"""The formats of an export document (:mod:`vetcards.export`): JSON text and a zip of CSV files.

The access report, the third format, is :mod:`vetcards.report`.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from . import files
from .export import (
    CLIENT_FIELDS,
    CONSENT_FIELDS,
    LINE_FIELDS,
    MEDICINE_FIELDS,
    PARTY_FIELDS,
    PAYMENT_FIELDS,
    PET_FIELDS,
    REQUEST_FIELDS,
    SUPPLIER_FIELDS,
    VACCINATION_FIELDS,
    VISIT_FIELDS,
    WEIGHT_FIELDS,
)


def to_json(doc: dict[str, Any], *, compact: bool = False) -> str:
    """The JSON text of one export (UTF-8, not ASCII-escaped)."""
    if compact:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(doc, ensure_ascii=False, indent=2)


#: CSV files of the bundle and their columns (one CSV per record type).
CSV_FILES: dict[str, tuple[str, ...]] = {
    "client.csv": CLIENT_FIELDS,
    "consents.csv": CONSENT_FIELDS,
    "pets.csv": PET_FIELDS,
    "weights.csv": ("pet_number", *WEIGHT_FIELDS),
    "visits.csv": ("pet_number", *VISIT_FIELDS, "corrects_pet_number", "corrects_index"),
    "vaccinations.csv": ("pet_number", *VACCINATION_FIELDS, "corrects_pet_number", "corrects_index"),
    "medicines.csv": (*MEDICINE_FIELDS, "corrects_index"),
    "invoices.csv": ("number", "kind", "credits_invoice_number", "pet_number", "invoice_date", "payment_method",
                     "status", "reason", "restricted", *(f"customer_{f}" for f in PARTY_FIELDS),
                     *(f"supplier_{f}" for f in SUPPLIER_FIELDS), "net_cents", "vat_cents",
                     "gross_cents", "paid_cents", "supply_date"),
    "invoice_vat.csv": ("invoice_number", "rate", "net_cents", "vat_cents"),
    "invoice_lines.csv": ("invoice_number", *LINE_FIELDS),
    "payments.csv": ("invoice_number", *PAYMENT_FIELDS),
    "disclosures.csv": ("recipient_name", "recipient_kind", "pet_number", "disclosed_on", "categories", "basis",
                        "consent_index", "at_client_request"),
    "requests.csv": REQUEST_FIELDS,
    "about.csv": ("section", "key", "value"),
}


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
        for key in ("weights", "visits", "vaccinations"):
            for rec in p[key]:
                corrects = rec.get("corrects") or {}
                add(f"{key}.csv", rec, pet_number=p["number"], corrects_pet_number=corrects.get("pet_number"),
                    corrects_index=corrects.get("index"))
    for m in doc["medicine_records"]:
        add("medicines.csv", m)
    for inv in doc["invoices"]:
        flat = {f"customer_{k}": v for k, v in inv["customer"].items()}
        flat.update({f"supplier_{k}": v for k, v in inv["supplier"].items()})
        add("invoices.csv", inv, **flat)
        for key, name in (("vat_totals", "invoice_vat.csv"), ("lines", "invoice_lines.csv"),
                          ("payments", "payments.csv")):
            for rec in inv[key]:
                add(name, rec, invoice_number=inv["number"])
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
                writer.writerow([files.csv_cell(v) for v in row])
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, out.getvalue().encode("utf-8"))
    return buf.getvalue()
