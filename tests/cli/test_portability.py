"""Export (access, portability) and import, on real encrypted files.

A 1,000-client practice is made with Core ``executemany`` (not 1,000 CLI
calls); the client under test is made through the CLI in the middle of it, so
its rows sit between other clients' rows in every table.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, init_practice

from vetcards import export, export_schema, importer

DOCS = ROOT / "docs"
TODAY = date.today()

# The rich client: distinctive values, with characters that need escaping.
NAME = "Anna <b>de Vries</b> & Zn"
EMAIL = "anna.devries@example.nl"
PHONE = "06 12345678"
CHIP1, CHIP2 = "528140000123456", "900123456789012"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def open_db(vet):
    from vetcards.db import open_database
    from vetcards.keys import resolve_key

    return open_database(vet.db, resolve_key(vet.key_file, {}, None), write=True)


def execute(vet, sql: str, params: dict | None = None) -> None:
    """One committed write straight into the database (for test setup)."""
    from sqlalchemy import text

    db = open_db(vet)
    try:
        with db.unit() as conn:
            conn.execute(text(sql), params or {})
    finally:
        db.close()


def rich_client(vet, *, request: bool = True) -> dict[str, Any]:
    """A client with every kind of record, made through the CLI."""
    k = vet.add_client(NAME, phone=PHONE, email=EMAIL, birth_date="04-03-1980", reminders=True)
    p1 = vet.add_pet(k, "Bello", "dog", chip=CHIP1, weight="12,5", birth_date="2019-05-01",
                     sex="male neutered", breed="Labrador", colour="zwart", coat="kort", insured=True)
    p2 = vet.add_pet(k, "Minoes", "kat", chip=CHIP2, weight="4,25", not_insured=True)
    vet.ok("pet", "weigh", p1, "13,1", "--date", "2026-10-01")
    vet.ok("visit", "add", p1, "--date", "2026-10-01", "--reason", "mank linksvoor",
           "--findings", "gezwollen carpus\nlichte koorts", "--diagnosis", "verstuiking",
           "--treatment", "rust", "--vet", "Dr. Bakker")
    vet.ok("vaccinate", p2, "--vaccine", "Felocell", "--date", "2026-09-01", "--batch", "FB-1",
           "--next-due", "2027-09-01")
    vet.ok("medicine", p1, "--product", "Metacam 1,5 mg/ml", "--batch", "K42", "--quantity", "10 ml",
           "--expiry", "2027-06-30", "--vet", "Dr. Bakker", "--dispensed", "--date", "2026-10-01")
    inv1 = vet.ok("invoice", "create", k, "--pet", p1, "--line", "Consult;1;45,00",
                  "--line", "Vaccinatie;1;32,50;9", "--line", "Voer;2,5;3,99;9", "--payment", "account",
                  "--date", "2026-10-01", "--json").json()["number"]
    vet.ok("invoice", "pay", inv1, "--amount", "20,00", "--method", "transfer")
    inv2 = vet.ok("invoice", "create", k, "--line", "Shampoo;1;12,00", "--payment", "pin",
                  "--date", "2026-10-02", "--json").json()["number"]
    vet.ok("invoice", "credit", inv2, "--reason", "verkeerd artikel", "--date", "2026-10-03")
    vet.ok("consent", "give", k, "--purpose", "lab", "--method", "written", "--date", "2026-09-15")
    vet.ok("recipient", "add", "--name", "Lab Utrecht BV", "--kind", "lab", "--categories", "naw,animal,record")
    vet.ok("disclose", k, "--to", "Lab Utrecht BV", "--categories", "naw,animal,record", "--pet", p1,
           "--at-client-request")
    req = None
    if request:
        req = vet.ok("request", "add", k, "--type", "portability", "--received", "2026-11-01",
                     "--json").json()["id"]
    return {"number": k, "pets": [p1, p2], "invoices": [inv1, inv2], "request": req}


def populate(vet, n: int, tag: str) -> list[dict[str, str]]:
    """``n`` other clients, each with a row in every table, by Core executemany."""
    from sqlalchemy import insert, text

    from vetcards.models import (
        Client,
        Consent,
        Disclosure,
        Invoice,
        InvoiceLine,
        MedicineRecord,
        Payment,
        Pet,
        SubjectRequest,
        Vaccination,
        Visit,
        Weight,
    )

    now = datetime.now(UTC)
    db = open_db(vet)
    people: list[dict[str, str]] = []
    try:
        with db.unit() as conn:
            c0 = conn.execute(text("SELECT value FROM counter WHERE name='client'")).scalar()
            p0 = conn.execute(text("SELECT value FROM counter WHERE name='pet'")).scalar()
            seq0 = conn.execute(text("SELECT coalesce(max(seq), 0) FROM invoice WHERE year = 2025")).scalar()
            rid = conn.execute(text("SELECT id FROM recipient ORDER BY id LIMIT 1")).scalar()
            clients, pets = [], []
            for i in range(n):
                u = f"{tag}{i:04d}"
                person = {"number": f"K{c0 + i + 1:06d}", "name": f"Persoon {u} Qz", "email": f"p{u}@example.org",
                          "phone": f"+3162{(c0 + i):07d}", "pet1": f"Dier {u} A", "pet2": f"Dier {u} B",
                          "chip1": f"528{2 * (c0 + i):012d}", "chip2": f"528{2 * (c0 + i) + 1:012d}",
                          "street": f"Straat {u}", "visit": f"Bezoek {u}", "product": f"Middel {u}",
                          "line": f"Regel {u}", "vaccine": f"Vaccin {u}"}
                people.append(person)
                clients.append({"number": person["number"], "name": person["name"], "street": person["street"],
                                "postcode": "1234 AB", "city": "Amersfoort", "phone": person["phone"],
                                "email": person["email"], "birth_date": date(1970, 1, 1), "created_at": now,
                                "updated_at": now, "restricted": False})
            conn.execute(insert(Client.__table__), clients)
            ids = dict(conn.execute(text("SELECT number, id FROM client")).all())
            for i, person in enumerate(people):
                cid = ids[person["number"]]
                for j, key in enumerate(("1", "2")):
                    pets.append({"number": f"P{p0 + 2 * i + j + 1:06d}", "client_id": cid,
                                 "name": person["pet" + key], "species": "dog", "sex": "female",
                                 "chip": person["chip" + key], "created_at": now, "updated_at": now})
            conn.execute(insert(Pet.__table__), pets)
            pet_ids = dict(conn.execute(text("SELECT chip, id FROM pet WHERE chip IS NOT NULL")).all())
            rows: dict[Any, list[dict]] = {t: [] for t in (Consent, Weight, Visit, Vaccination, MedicineRecord,
                                                           Disclosure, SubjectRequest)}
            invoices = []
            for i, person in enumerate(people):
                cid, pid = ids[person["number"]], pet_ids[person["chip1"]]
                rows[Consent].append({"client_id": cid, "purpose": "care", "given_on": date(2025, 1, 2),
                                      "statement_version": "1", "method": "written", "created_at": now})
                rows[Weight].append({"pet_id": pid, "measured_on": date(2025, 1, 2), "grams": 5000 + i,
                                     "created_at": now})
                rows[Visit].append({"pet_id": pid, "visit_date": date(2025, 1, 2), "reason": person["visit"],
                                    "vet": "Dr. Ander", "created_at": now})
                rows[Vaccination].append({"pet_id": pid, "given_on": date(2025, 1, 2), "vaccine": person["vaccine"],
                                          "created_at": now})
                rows[MedicineRecord].append({"pet_id": pid, "client_id": cid, "record_date": date(2025, 1, 2),
                                             "product": person["product"], "quantity": "1", "dispensed": False,
                                             "restricted": False, "created_at": now})
                rows[Disclosure].append({"client_id": cid, "recipient_id": rid, "pet_id": pid,
                                         "disclosed_on": date(2025, 1, 2), "categories": "naw", "basis": "contract",
                                         "at_client_request": False, "created_at": now})
                rows[SubjectRequest].append({"client_number": person["number"], "type": "access",
                                             "received_on": date(2025, 1, 2), "due_on": date(2025, 2, 2),
                                             "created_at": now})
                seq = seq0 + i + 1
                invoices.append({"number": f"2025-{seq:05d}", "year": 2025, "seq": seq, "kind": "invoice",
                                 "client_id": cid, "pet_id": pid, "invoice_date": date(2025, 1, 2),
                                 "payment_method": "pin", "status": "paid", "customer_name": person["name"],
                                 "customer_street": person["street"], "customer_postcode": "1234 AB",
                                 "customer_city": "Amersfoort", "supplier_name": "Dierenkliniek De Linde",
                                 "net_cents": 1000, "vat_cents": 210, "gross_cents": 1210,
                                 "restricted": False, "created_at": now})
            for table, data in rows.items():
                conn.execute(insert(table.__table__), data)
            conn.execute(insert(Invoice.__table__), invoices)
            inv_ids = dict(conn.execute(text("SELECT number, id FROM invoice WHERE year = 2025")).all())
            conn.execute(insert(InvoiceLine.__table__), [
                {"invoice_id": inv_ids[inv["number"]], "position": 1, "description": p["line"], "quantity": "1",
                 "unit_price_cents": 1000, "vat_rate": 21, "net_cents": 1000} for inv, p in zip(invoices, people)])
            conn.execute(insert(Payment.__table__), [
                {"invoice_id": inv_ids[inv["number"]], "paid_on": date(2025, 1, 2), "amount_cents": 1210,
                 "method": "pin", "created_at": now} for inv in invoices])
            conn.execute(text("UPDATE counter SET value = :v WHERE name = 'client'"), {"v": c0 + n})
            conn.execute(text("UPDATE counter SET value = :v WHERE name = 'pet'"), {"v": p0 + 2 * n})
            conn.commit()
    finally:
        db.close()
    return people


def export_doc(vet, number: str) -> dict[str, Any]:
    return vet.ok("export", number, "--out", "-").json()


ABOUT = ("generated_at", "controller", "purposes", "retention", "source", "rights", "supervisory_authority")


def normalised(doc: dict[str, Any]) -> dict[str, Any]:
    """The data part of an export with client and pet numbers replaced by their position."""
    d = json.loads(json.dumps({k: v for k, v in doc.items() if k not in ABOUT}))
    pets = {p["number"]: f"PET-{i}" for i, p in enumerate(d["pets"])}
    d["client"]["number"] = "CLIENT"
    for c in d["consents"]:  # given to the first practice: an import says so (history, not current)
        c.pop("controller", None)
    for p in d["pets"]:
        p["number"] = pets[p["number"]]
    for rec in d["medicine_records"] + d["invoices"] + d["disclosures"]:
        if rec["pet_number"] is not None:
            rec["pet_number"] = pets[rec["pet_number"]]
    return d


def second_practice(vet, tmp_path: Path, name: str = "b"):
    return init_practice(tmp_path / name)


def validator():
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(json.loads((DOCS / "export-schema-v2.json").read_text()),
                                format_checker=FormatChecker())


# --------------------------------------------------------------------------
# One client of a 1,000-client practice: nobody else's data, in any format
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """1,000 other clients around one rich client (built once for this module)."""
    vet = _module_practice(tmp_path_factory, "big")
    vet.set_practice()
    before = populate(vet, 500, "a")
    target = rich_client(vet)
    after = populate(vet, 500, "b")
    return vet, target, before + after


def _forbidden(people: list[dict[str, str]]) -> list[str]:
    keys = ("name", "email", "phone", "chip1", "chip2", "pet1", "pet2", "street", "visit", "product", "line",
            "vaccine")
    return [p[k] for p in people for k in keys]


def test_export_of_one_client_holds_no_other_clients_data_in_any_format(big, tmp_path):
    vet, target, others = big
    assert len(others) == 1000
    forbidden = _forbidden(others)
    # Every format, as the client would receive it.
    texts = {"json": vet.ok("export", target["number"], "--out", "-").stdout}
    texts["report-nl"] = vet.ok("export", target["number"], "--format", "report", "--out", "-").stdout
    texts["report-en"] = vet.ok("export", target["number"], "--format", "report", "--lang", "en",
                                "--out", "-").stdout
    out = tmp_path / "bundle.zip"
    vet.ok("export", target["number"], "--format", "csv", "--out", str(out))
    with zipfile.ZipFile(out) as zf:
        texts["csv"] = "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist())
    doc = json.loads(texts["json"])
    # The client's own data are all there ...
    assert doc["client"]["name"] == NAME and doc["client"]["email"] == EMAIL
    assert [p["chip"] for p in doc["pets"]] == [CHIP1, CHIP2]
    assert len(doc["invoices"]) == 3 and len(doc["disclosures"]) == 1 and len(doc["medicine_records"]) == 1
    for fmt, body in texts.items():
        assert CHIP1 in body and "Bello" in body, fmt
        # ... and nothing of anyone else.
        leaked = [s for s in forbidden if s in body]
        assert leaked == [], (fmt, leaked[:5])


def test_export_all_gives_each_client_exactly_their_own_rows(big, tmp_path):
    vet, target, others = big
    folder = tmp_path / "all"
    vet.ok("export", "--all", "--out", str(folder))
    files = sorted(folder.iterdir())
    assert len(files) == 1001
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    by_number = {p["number"]: p for p in others}
    v = validator()
    for f in files:
        doc = json.loads(f.read_text("utf-8"))
        number = doc["client"]["number"]
        assert f.name == f"{number}.json"
        if number == target["number"]:
            assert doc == {**export_doc(vet, number), "generated_at": doc["generated_at"]}
            continue
        p = by_number[number]
        assert doc["client"]["name"] == p["name"]
        assert [x["chip"] for x in doc["pets"]] == [p["chip1"], p["chip2"]]
        assert [x["reason"] for pet in doc["pets"] for x in pet["visits"]] == [p["visit"]]
        assert [x["vaccine"] for pet in doc["pets"] for x in pet["vaccinations"]] == [p["vaccine"]]
        assert [m["product"] for m in doc["medicine_records"]] == [p["product"]]
        assert [ln["description"] for inv in doc["invoices"] for ln in inv["lines"]] == [p["line"]]
        assert [i["customer"]["name"] for i in doc["invoices"]] == [p["name"]]
        assert len(doc["consents"]) == 1 and len(doc["disclosures"]) == 1 and len(doc["requests"]) == 1
        if number.endswith("7"):  # a sample is enough for the schema
            v.validate(doc)


def test_export_validates_against_the_published_schema(big):
    vet, target, _ = big
    doc = export_doc(vet, target["number"])
    errors = list(validator().iter_errors(doc))
    assert errors == [], [e.message for e in errors[:3]]
    # Invoice details: lines, VAT per rate, payments, status, snapshot, credit note.
    inv = {i["number"]: i for i in doc["invoices"]}
    first = inv[target["invoices"][0]]
    assert first["status"] == "open" and first["payment_method"] == "account"
    assert [v["rate"] for v in first["vat_totals"]] == [21, 9]
    assert first["net_cents"] == 4500 + 3250 + 998 and first["paid_cents"] == 2000
    assert first["customer"]["name"] == NAME and first["customer"]["birth_date"] == "1980-03-04"
    assert first["supplier"]["kvk"] == "12345678"
    notes = [i for i in doc["invoices"] if i["kind"] == "credit_note"]
    assert len(notes) == 1 and notes[0]["credits_invoice_number"] == target["invoices"][1]
    assert notes[0]["gross_cents"] == -inv[target["invoices"][1]]["gross_cents"]
    assert doc["disclosures"][0]["recipient"] == {"name": "Lab Utrecht BV", "kind": "lab"}
    assert doc["consents"][doc["disclosures"][0]["consent_index"]]["purpose"] == "lab"
    assert doc["controller"]["name"] == "Dierenkliniek De Linde"
    assert doc["retention"]["inactivity_years"] == 7 and doc["retention"]["last_activity"] == TODAY.isoformat()
    assert {r["code"] for r in doc["rights"]} >= {"access", "rectification", "erasure", "restriction",
                                                   "portability", "objection", "complaint"}
    visit = doc["pets"][0]["visits"][0]
    assert visit["findings"] == "gezwollen carpus\nlichte koorts"
    assert [w["grams"] for w in doc["pets"][0]["weights"]] == [13100, 12500]  # date order


# --------------------------------------------------------------------------
# The schema document
# --------------------------------------------------------------------------


def test_the_export_reads_every_table_the_data_map_exports():
    """A table given an export section in the data map must have its query in the export."""
    from vetcards import datamap

    exported = {t.name for t in datamap.MAP if t.export}
    assert "weight" in exported and "disclosure" in exported
    # subject requests hang off the client number and are read on their own
    assert exported - {"subject_request"} == set(export._queries(None))


@pytest.mark.parametrize("version", export_schema.SCHEMA_VERSIONS)
def test_docs_schema_is_the_one_the_code_builds_and_documents_every_field(version):
    published = json.loads((DOCS / f"export-schema-v{version}.json").read_text())
    assert published == export_schema.schema(version), f"regenerate docs/export-schema-v{version}.json"
    assert (DOCS / f"export-schema-v{version}.json").read_text(encoding="utf-8") == export_schema.schema_text(version)
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert published["$id"].endswith(f"export-v{version}.json")
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(published)

    def walk(node: dict, path: str) -> None:
        for name, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{path}.{name} has no description"
            walk(sub, f"{path}.{name}")
        if "items" in node:
            assert node["items"].get("description"), f"{path}[] has no description"
            walk(node["items"], f"{path}[]")

    walk(published, "$")


def test_schema_vocabularies_match_the_rest_of_vetcards():
    from vetcards import clients, disclosures, recipients, rules, subject_requests, validation

    assert export_schema.CONSENT_PURPOSES == clients.CONSENT_PURPOSES
    assert export_schema.CONSENT_METHODS == clients.CONSENT_METHODS
    assert export_schema.SEXES == validation.SEXES
    assert set(export_schema.INVOICE_STATES) == set(rules.INVOICE_STATES)
    assert export_schema.PAYMENT_METHODS == validation.PAYMENT_METHODS
    assert export_schema.DISCLOSURE_BASES == disclosures.BASES
    assert export_schema.RECIPIENT_KINDS == recipients.RECIPIENT_KINDS
    assert export_schema.REQUEST_TYPES == subject_requests.REQUEST_TYPES


# --------------------------------------------------------------------------
# Round trip: export -> import into another practice -> export
# --------------------------------------------------------------------------


def test_round_trip_is_lossless(vet, tmp_path):
    vet.set_practice()
    target = rich_client(vet)
    first = vet.ok("export", target["number"], "--out", "-", "--request", str(target["request"])).json()
    assert first["requests"][0]["closed_on"] == TODAY.isoformat()
    src = tmp_path / "from-a.json"
    src.write_text(json.dumps(first), "utf-8")

    b = second_practice(vet, tmp_path)
    b.set_practice("Dierenartsenpraktijk Oost")
    b.add_client("Iemand Anders")  # so numbers differ between the practices
    new = b.ok("import", str(src), "--json").json()
    assert new["number"] != target["number"] and new["pets"] == 2 and new["invoices"] == 3
    second = export_doc(b, new["number"])

    assert normalised(second) == normalised(first)
    assert second["client"]["number"] == new["number"]
    assert validator().is_valid(second)
    # Consent carried with its original date and method; the import is told where the data came from.
    assert [{**c, "controller": None} for c in second["consents"]] == first["consents"]
    assert {c["controller"] for c in second["consents"]} == {"Dierenkliniek De Linde"}
    assert "Dierenkliniek De Linde" in json.dumps(second["source"])

    # And once more, into a third practice: still the same data.
    c = second_practice(vet, tmp_path, "c")
    (tmp_path / "from-b.json").write_text(json.dumps(second), "utf-8")
    third = export_doc(c, c.ok("import", str(tmp_path / "from-b.json")).stdout.strip())
    assert normalised(third) == normalised(first)


def test_imported_invoices_never_touch_this_practices_numbering(vet, source, tmp_path):
    doc = source[1]
    originals = [i["number"] for i in doc["invoices"]]
    src = tmp_path / "a.json"
    src.write_text(json.dumps(doc), "utf-8")

    b = vet
    b.set_practice("Dierenartsenpraktijk Oost")
    number = b.ok("import", str(src)).stdout.strip()
    stored = b.sql("SELECT number, year, seq, kind FROM invoice ORDER BY id")
    assert [(n.split(":", 1)[1], y, k) for n, y, s, k in stored] == [
        (originals[0], 0, "imported_invoice"), (originals[1], 0, "imported_invoice"),
        (originals[2], 0, "imported_credit_note")]
    assert [s for _, _, s, _ in stored] == [1, 2, 3]
    # This practice's own first invoice of the year is still YYYY-00001, gap-free.
    k = b.add_client()
    own = b.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "pin", "--json").json()
    assert own["number"] == f"{TODAY.year}-00001"
    # A second import keeps its own invoice numbers apart.
    doc2 = json.loads(json.dumps(doc))
    for p in doc2["pets"]:
        p["chip"] = None
    (tmp_path / "a2.json").write_text(json.dumps(doc2), "utf-8")
    again = b.ok("import", str(tmp_path / "a2.json")).stdout.strip()
    assert again != number
    assert b.sql("SELECT count(*), count(DISTINCT number) FROM invoice WHERE year = 0") == [(6, 6)]
    # The credit note still points at the invoice it corrects, within the same import.
    pairs = b.sql("SELECT c.number, o.number FROM invoice c JOIN invoice o ON o.id = c.credits_invoice_id")
    assert [(x.split(":")[1], y.split(":")[1]) for x, y in pairs] == [(originals[2], originals[1])] * 2


def test_import_audited_with_number_and_counts_only(vet, source, tmp_path):
    src = tmp_path / "a.json"
    src.write_text(json.dumps(source[1]), "utf-8")
    b = vet
    number = b.ok("import", str(src)).stdout.strip()
    entry = b.ok("audit", "show", "--action", "import", "--format", "json").json()[-1]
    assert json.loads(entry["entity_ids"]) == [number]
    details = json.loads(entry["details"])
    assert details["pets"] == 2 and details["invoices"] == 3 and details["visits"] == 1
    blob = json.dumps(b.ok("audit", "show", "--format", "json").json())
    for value in ("Vries", EMAIL, CHIP1, "Bello", "Lab Utrecht"):
        assert value not in blob
    assert b.ok("audit", "verify").exit_code == 0


def test_open_request_of_the_other_practice_is_not_carried(vet, good_doc, tmp_path):
    good_doc["requests"] = [
        {"type": "access", "received_on": "2026-01-05", "due_on": "2026-02-05", "extended_reason": None,
         "closed_on": "2026-01-20"},
        {"type": "erasure", "received_on": "2026-03-01", "due_on": "2026-04-01", "extended_reason": None,
         "closed_on": None},
    ]
    src = tmp_path / "a.json"
    src.write_text(json.dumps(good_doc), "utf-8")
    new = vet.ok("import", str(src), "--json").json()
    assert new["requests"] == 1 and new["requests_open_not_carried"] == 1
    listed = vet.ok("request", "list", "--format", "json").json()
    assert [(r["client"], r["type"], r["status"]) for r in listed] == [(new["number"], "access", "closed")]
    assert export_doc(vet, new["number"])["requests"] == good_doc["requests"][:1]


# --------------------------------------------------------------------------
# Import refuses a bad file with one line and writes nothing
# --------------------------------------------------------------------------


def _module_practice(tmp_path_factory, name: str):
    return init_practice(tmp_path_factory.mktemp(name))


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A practice with the rich client, and its export (shared: refusals write nothing)."""
    a = _module_practice(tmp_path_factory, "source")
    a.set_practice()
    target = rich_client(a, request=False)
    return a, a.ok("export", target["number"], "--out", "-").json()


@pytest.fixture(scope="module")
def empty_practice(tmp_path_factory):
    """A second practice that only ever sees refused imports."""
    return _module_practice(tmp_path_factory, "empty")


@pytest.fixture
def good_doc(source) -> dict[str, Any]:
    return json.loads(json.dumps(source[1]))


def _refused(practice, doc: Any, path: Path) -> str:
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, "utf-8")
    before = practice.counts()
    audit_before = practice.sql("SELECT count(*) FROM audit_log")
    r = practice.run("import", str(path))
    assert r.exit_code == 1, (r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert practice.counts() == before
    assert practice.sql("SELECT count(*) FROM audit_log") == audit_before
    return lines[0]


@pytest.mark.parametrize("breakage, expect", [
    (lambda d: d["client"].pop("name"), "client: is missing field name"),
    (lambda d: d["pets"][0].__setitem__("chip", "12345"), "pets[0].chip: has the wrong format"),
    (lambda d: d["pets"][1]["weights"][0].__setitem__("grams", "4250"), "pets[1].weights[0].grams: must be integer"),
    (lambda d: d["invoices"][0].__setitem__("status", "betaald"), "invoices[0].status: must be one of"),
    (lambda d: d["invoices"][0]["lines"][0].__setitem__("net_cents", 45.5), "must be integer"),
    (lambda d: d["client"].__setitem__("postcode", "0123 AB"), "client.postcode: has the wrong format"),
    (lambda d: d.__setitem__("schema_version", "3"), "schema_version: must be 1 or 2"),
    (lambda d: d["consents"][0].__setitem__("given_on", "2026-02-30"), "consents[0].given_on: has the wrong format"),
    (lambda d: d["client"].__setitem__("nickname", "Annie"), "client: has a field the schema does not know"),
])
def test_a_file_failing_the_schema_is_refused_with_one_line(good_doc, empty_practice, tmp_path, breakage, expect):
    b = empty_practice
    breakage(good_doc)
    line = _refused(b, good_doc, tmp_path / "bad.json")
    assert expect in line
    for value in ("Annie", "Vries", "12345", "betaald", "0123"):
        assert value not in line


@pytest.mark.parametrize("breakage, expect", [
    (lambda d: d["client"].__setitem__("phone", "+31000000000"), "client.phone: must be a valid phone number"),
    (lambda d: d["pets"][0].__setitem__("chip", "999000000000001"), "pets[0].chip: 999 is a test chip"),
    (lambda d: d["pets"][0].__setitem__("species", "dragon"), "pets[0].species: must be one of the known species"),
    (lambda d: d["client"].__setitem__("birth_date", "2999-01-01"), "client.birth_date: must not be in the future"),
    (lambda d: d["pets"][1].__setitem__("chip", d["pets"][0]["chip"]), "pets[1].chip: the same chip number"),
    (lambda d: d["invoices"][0].__setitem__("net_cents", 1), "invoices[0].net_cents: must be the sum of the lines"),
    (lambda d: d["medicine_records"][0].__setitem__("pet_number", "P999999"), "names a pet that is not in the file"),
])
def test_a_field_failing_this_practices_rules_is_refused(good_doc, empty_practice, tmp_path, breakage, expect):
    b = empty_practice
    breakage(good_doc)
    assert expect in _refused(b, good_doc, tmp_path / "bad.json")


def test_not_json_and_chip_already_here_are_refused(good_doc, source, tmp_path):
    a = source[0]
    assert "FILE: is not valid JSON" in _refused(a, "{not json", tmp_path / "x.json")
    # Importing into the practice that already has these chips: refused, nothing written.
    assert "already registered on a pet here" in _refused(a, good_doc, tmp_path / "same.json")


def test_library_import_validates_before_writing(empty_practice, good_doc):
    """import_client on a session: InvalidInput, and the session wrote nothing."""
    from vetcards.errors import InvalidInput

    vet = empty_practice
    before = vet.counts()
    bad = json.loads(json.dumps(good_doc))
    bad["pets"][1]["vaccinations"][0]["given_on"] = "yesterday"
    db = open_db(vet)
    try:
        with pytest.raises(InvalidInput) as exc:
            with db.unit() as session:
                importer.import_client(session, bad)
    finally:
        db.close()
    assert str(exc.value) == "pets[1].vaccinations[0].given_on: has the wrong format (export schema v2)"
    assert vet.counts() == before


def test_csv_bundle_has_one_file_per_record_type(source, tmp_path):
    vet, doc = source
    out = tmp_path / "bundle.zip"
    vet.ok("export", doc["client"]["number"], "--format", "csv", "--out", str(out))
    zf = zipfile.ZipFile(out)
    names = set(zf.namelist())
    assert {"client.csv", "pets.csv", "weights.csv", "visits.csv", "vaccinations.csv", "medicines.csv",
            "invoices.csv", "invoice_lines.csv", "payments.csv", "consents.csv", "disclosures.csv",
            "about.csv"} <= names
    import csv as csvmod

    def rows(name):
        return list(csvmod.DictReader(io.StringIO(zf.read(name).decode("utf-8"))))

    assert [r["name"] for r in rows("client.csv")] == [NAME]
    assert [r["chip"] for r in rows("pets.csv")] == [CHIP1, CHIP2]
    assert len(rows("weights.csv")) == 3 and len(rows("invoice_lines.csv")) == 5
    assert {r["key"] for r in rows("about.csv") if r["section"] == "rights"} >= {"access", "complaint"}
    # A value a spreadsheet would run as a formula is defused.
    from vetcards import files

    assert files.csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert files.csv_cell("+31612345678") == "+31612345678"


# --------------------------------------------------------------------------
# Files that leave the database: only regular files, only where asked (files.check_target)
# --------------------------------------------------------------------------


def _hostile_targets(folder: Path) -> dict[str, Path]:
    """A symlink to a file, a FIFO and (when run as root, where it would be replaced) /dev/null."""
    import os

    (folder / "target.txt").write_text("keep\n")
    (folder / "link").symlink_to(folder / "target.txt")
    os.mkfifo(folder / "fifo")
    out = {"a symbolic link": folder / "link", "a FIFO": folder / "fifo"}
    out["a device"] = Path("/dev/null")
    return out


def _unchanged(folder: Path) -> None:
    import stat

    assert (folder / "link").is_symlink() and (folder / "target.txt").read_text() == "keep\n"
    assert stat.S_ISFIFO((folder / "fifo").lstat().st_mode)
    assert stat.S_ISCHR(Path("/dev/null").lstat().st_mode)
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_out_never_replaces_a_device_a_fifo_or_a_symlink(vet, tmp_path):
    k = vet.add_client("Anna Jansen")
    vet.set_practice()
    inv = vet.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "pin", "--json").json()
    folder = tmp_path / "out"
    folder.mkdir()
    commands = (("export", k), ("reminders", "export", "--due-before", "2030-01-01"),
                ("invoice", "show", inv["number"], "--format", "pdf"))
    audits = vet.sql("SELECT count(*) FROM audit_log")
    for kind, target in _hostile_targets(folder).items():
        for command in commands:
            r = vet.run(*command, "--out", str(target))
            assert r.exit_code == 1, (command, kind, r.stderr)
            assert r.stderr == f"error: --out: is {kind}; only regular files are written\n", r.stderr
            _unchanged(folder)
    assert vet.sql("SELECT count(*) FROM audit_log") == audits  # nothing left, nothing logged
    # A regular file is still replaced, mode 0600.
    (folder / "old.json").write_text("old")
    vet.ok("export", k, "--out", str(folder / "old.json"))
    assert json.loads((folder / "old.json").read_text())["client"]["number"] == k
    assert (folder / "old.json").stat().st_mode & 0o777 == 0o600


def test_check_target_refuses_every_kind_of_non_regular_file(tmp_path):
    from vetcards import files
    from vetcards.errors import InvalidInput

    for kind, target in _hostile_targets(tmp_path).items():
        with pytest.raises(InvalidInput, match=f"is {kind}"):
            files.check_target(target)
        with pytest.raises(InvalidInput, match=f"is {kind}"):
            files.write_private(target, b"data")
    with pytest.raises(InvalidInput, match="is a directory"):
        files.write_private(tmp_path, b"data")
    with pytest.raises(InvalidInput, match="cannot be used as a file name"):
        files.write_private(tmp_path / ("x" * 300), b"data")
    _unchanged(tmp_path)


def test_a_link_made_after_the_check_is_not_replaced_either(tmp_path, monkeypatch):
    """The rename checks again: a symlink put at the name while the file was written stays."""
    from vetcards import files
    from vetcards.errors import InvalidInput

    target = tmp_path / "f.json"
    real_write = files.os.write

    def write_then_plant(fd, data):
        if not target.is_symlink():
            target.symlink_to(tmp_path / "elsewhere")
        return real_write(fd, data)

    monkeypatch.setattr(files.os, "write", write_then_plant)
    with pytest.raises(InvalidInput, match="symbolic link"):
        files.write_private(target, b"data")
    assert target.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]


# --------------------------------------------------------------------------
# export --all: audited first, all files published at once or none
# --------------------------------------------------------------------------


def _run_export_all(vet, folder: Path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "VETCARDS_DB": str(vet.db), "VETCARDS_KEY_FILE": str(vet.key_file),
           "VETCARDS_ACTOR": "tester", "VETCARDS_PASSPHRASE": ""}
    return subprocess.Popen([sys.executable, "-m", "vetcards", "export", "--all", "--out", str(folder)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _many_clients(vet, n: int) -> None:
    rows = [(f"K{i:06d}", f"Client {i}", "Dorpsstraat 1", "1234 AB", "Utrecht") for i in range(1, n + 1)]
    conn = vet.connect()
    try:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(client)")]
        filler = {"created_at": "2026-01-01 10:00:00.000000", "updated_at": "2026-01-01 10:00:00.000000",
                  "restricted": 0}
        names = ["number", "name", "street", "postcode", "city", *[c for c in filler if c in cols]]
        conn.executemany(f"INSERT INTO client ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                         [(*r, *[filler[c] for c in filler if c in cols]) for r in rows])
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
def test_interrupted_export_all_leaves_no_plaintext_and_is_audited_first(vet, tmp_path, signal_name):
    """A bounded, seeded kill loop: whenever the run is killed, the target folder holds all files
    or none, the audit entry is there as soon as one file may exist, and the next run sweeps
    what SIGKILL left (hidden staging folders)."""
    import random
    import signal
    import time

    from vetcards import access

    _many_clients(vet, 400)
    rng = random.Random(20261202)
    sig = getattr(signal, signal_name)
    started = time.monotonic()
    assert _run_export_all(vet, tmp_path / "timed").wait(timeout=120) == 0
    took = time.monotonic() - started  # kill at random moments within one run's time
    stopped = 0
    for i in range(8):
        folder = tmp_path / f"all{i}"
        proc = _run_export_all(vet, folder)
        if i % 2:
            time.sleep(rng.uniform(0.2, 1.0) * took)  # any moment of a run
        else:
            # while files are being written: as soon as the staging folder exists (bounded wait)
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline and not any(
                    p.name.startswith(access.STAGING_PREFIX) for p in tmp_path.iterdir()):
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(sig)
        proc.wait(timeout=60)
        published = sorted(folder.iterdir()) if folder.exists() else []
        assert len(published) in (0, 400), (i, len(published))
        staging = [p for p in tmp_path.iterdir() if p.name.startswith(access.STAGING_PREFIX)]
        if sig == signal.SIGTERM:
            assert staging == [], "SIGTERM must remove the staging folder"
            if proc.returncode not in (0, -signal.SIGTERM):  # -15: stopped before the export began
                stopped += 1
                # stopped as by Ctrl-C, cleaned up: exit 130. Known gap: a SIGTERM that lands as the
                # first client is read ends the process by SIGINT (-2) after the same clean-up.
                assert proc.returncode in (130, -signal.SIGINT), proc.stderr.read()
        if published or staging:
            entries = vet.sql("SELECT details FROM audit_log WHERE action = 'export'")
            assert any(json.loads(d).get("all") for (d,) in entries), "files written before the audit entry"
        for p in published:
            json.loads(p.read_text("utf-8"))  # complete
    assert sig == signal.SIGKILL or stopped > 0, "no run was stopped in the middle: tune the delays"
    # The next run sweeps the staging folders left by killed runs, and publishes everything.
    done = _run_export_all(vet, tmp_path / "final")
    assert done.wait(timeout=120) == 0, done.stderr.read()
    assert len(list((tmp_path / "final").iterdir())) == 400
    assert [p for p in tmp_path.iterdir() if p.name.startswith(access.STAGING_PREFIX)] == []


def test_a_failed_export_all_publishes_nothing(vet, tmp_path, monkeypatch):
    from vetcards import access

    for name in ("Anna Jansen", "Bram de Vries", "Carla Smit"):
        vet.add_client(name)
    calls = []
    real = access.render

    def fail_on_third(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(access, "render", fail_on_third)
    r = vet.run("export", "--all", "--out", str(tmp_path / "all"))
    assert r.exit_code == 130, r.stderr
    assert "stopped after 2 of 3 clients; no file was published" in r.stderr
    assert not (tmp_path / "all").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_all_into_a_folder_with_a_link_at_a_client_name_publishes_nothing(vet, tmp_path):
    k = vet.add_client("Anna Jansen")
    k2 = vet.add_client("Bram de Vries")
    folder = tmp_path / "all"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (tmp_path / "target.txt").write_text("keep\n")
    (folder / f"{k2}.json").symlink_to(tmp_path / "target.txt")
    r = vet.run("export", "--all", "--out", str(folder))
    assert r.exit_code == 1 and "is a symbolic link" in r.stderr, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["K000002.json", "notes.txt"]
    assert (folder / f"{k2}.json").is_symlink() and (tmp_path / "target.txt").read_text() == "keep\n"
    assert not (folder / f"{k}.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
