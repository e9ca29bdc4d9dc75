"""Export schema v2 (issue 14 point 7): as tight as the data, and import checks what a schema cannot.

A real export (a Belgian client with a landline, a 0 % exempt line, a supply date, a voided
payment, a corrected visit) validates against docs/export-schema-v2.json and survives an
import into another practice; tampered files are refused with one line, exit 1, nothing
written; a v1 file made by the v1 code (tests/data/export-v1.json) still imports.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, init_practice

DOCS = ROOT / "docs"
V1_FILE = ROOT / "tests" / "data" / "export-v1.json"


def validator(version: str = "2"):
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(json.loads((DOCS / f"export-schema-v{version}.json").read_text()),
                                format_checker=FormatChecker())


def second_practice(vet, tmp_path: Path, name: str):
    return init_practice(tmp_path / name)


def _module_practice(tmp_path_factory, name: str):
    return init_practice(tmp_path_factory.mktemp(name))


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    vet = _module_practice(tmp_path_factory, "source")
    return vet, make_rich(vet)


@pytest.fixture(scope="module")
def empty_practice(tmp_path_factory):
    """A practice that only ever sees refused imports."""
    return _module_practice(tmp_path_factory, "empty")


@pytest.fixture
def rich(source):
    return source[1]


def make_rich(vet):
    """A client with every v2 field filled, made through the CLI (void and correction rows by SQL:
    their commands are another module's)."""
    vet.set_practice()
    k = vet.add_client("Lotte Peeters", street="Meir 1", postcode="2000", city="Antwerpen", country="BE",
                       phone="0470 12 34 56", landline="03 212 34 56", email="lotte@example.be", birth_date="1980-03-04")
    p = vet.add_pet(k, "Bello", "dog", chip="528140000123456")
    vet.ok("visit", "add", p, "--date", "2026-10-01", "--reason", "mank", "--vet", "Dr. Bakker")
    vet.ok("visit", "add", p, "--date", "2026-10-01", "--reason", "mank rechtsvoor", "--vet", "Dr. Bakker")
    vet.ok("medicine", p, "--product", "Metacam", "--batch", "K1", "--vet", "Dr. Bakker", "--quantity", "10 ml", "--date", "2026-10-01")
    vet.ok("medicine", p, "--product", "Metacam 1,5 mg/ml", "--batch", "K1", "--vet", "Dr. Bakker", "--quantity", "10 ml",
           "--date", "2026-10-01")
    inv = vet.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--line", "NDG-registratie;1;7,50;outside",
                 "--line", "Voer;2,5;3,99;9", "--payment", "account", "--date", "2026-11-20",
                 "--supply-date", "2026-11-18", "--json").json()["number"]
    vet.ok("invoice", "pay", inv, "--amount", "1,00", "--method", "cash")
    vet.ok("invoice", "pay", inv, "--amount", "20,00", "--method", "transfer")
    ts = "2026-11-21 09:00:00.000000"
    first = vet.sql("SELECT min(id) FROM payment")[0][0]
    vet.sql_write("UPDATE payment SET voided_at = ?, void_reason = 'typed by mistake' WHERE id = ?", (ts, first))
    v1, v2 = (r[0] for r in vet.sql("SELECT id FROM visit ORDER BY id"))
    vet.sql_write("UPDATE visit SET voided_at = ?, void_reason = 'wrong leg' WHERE id = ?", (ts, v1))
    vet.sql_write("UPDATE visit SET corrects_id = ? WHERE id = ?", (v1, v2))
    m1, m2 = (r[0] for r in vet.sql("SELECT id FROM medicine_record ORDER BY id"))
    vet.sql_write("UPDATE medicine_record SET voided_at = ?, void_reason = 'strength' WHERE id = ?", (ts, m1))
    vet.sql_write("UPDATE medicine_record SET corrects_id = ? WHERE id = ?", (m1, m2))
    return k, inv


def test_an_export_validates_against_v2_and_carries_the_new_fields(source, rich):
    vet = source[0]
    k, inv = rich
    doc = vet.ok("export", k, "--out", "-").json()
    assert doc["schema_version"] == "2"
    errors = list(validator("2").iter_errors(doc))
    assert errors == [], [e.message for e in errors[:3]]
    assert not validator("1").is_valid(doc)  # v1 has no room for the new fields
    c = doc["client"]
    assert (c["country"], c["postcode"], c["phone"], c["landline"]) == ("BE", "2000", "+32470123456", "+3232123456")
    i = doc["invoices"][0]
    assert i["number"] == inv and i["supply_date"] == "2026-11-18" and i["customer"]["country"] == "BE"
    assert [ln["vat_category"] for ln in i["lines"]] == ["charged", "outside", "charged"]
    assert [(y["amount_cents"], (y["voided_at"] or "")[:19], y["void_reason"]) for y in i["payments"]] == [
        (100, "2026-11-21T09:00:00", "typed by mistake"), (2000, "", None)]
    assert i["paid_cents"] == 2000  # a voided payment pays nothing
    visits = doc["pets"][0]["visits"]
    assert visits[0]["voided_at"].startswith("2026-11-21T09:00:00") and visits[0]["corrects"] is None
    assert visits[1]["corrects"] == {"pet_number": doc["pets"][0]["number"], "index": 0}
    meds = doc["medicine_records"]
    assert meds[0]["void_reason"] == "strength" and meds[1]["corrects_index"] == 0
    assert doc["consents"][0]["controller"] is None


def test_v2_round_trip_keeps_the_new_fields(source, rich, tmp_path):
    vet = source[0]
    k, _ = rich
    first = vet.ok("export", k, "--out", "-").json()
    (tmp_path / "a.json").write_text(json.dumps(first), "utf-8")
    b = second_practice(vet, tmp_path, "b")
    number = b.ok("import", str(tmp_path / "a.json")).stdout.strip()
    second = b.ok("export", number, "--out", "-").json()
    assert validator("2").is_valid(second)
    for key in ("country", "landline", "phone", "postcode"):
        assert second["client"][key] == first["client"][key]
    assert second["invoices"] == first["invoices"]
    assert second["medicine_records"] == first["medicine_records"]
    assert [v["corrects"] for v in second["pets"][0]["visits"]] == [
        None, {"pet_number": second["pets"][0]["number"], "index": 0}]
    # the consents were given to the first practice: history here, and they say so
    assert {c["controller"] for c in second["consents"]} == {"Dierenkliniek De Linde"}
    entry = b.sql("SELECT details FROM audit_log WHERE action = 'import'")[0][0]
    assert json.loads(entry)["schema_version"] == "2"


TAMPERED = [
    (lambda d: d["invoices"][0]["lines"][0].__setitem__("vat_rate", 15),
     "invoices[0].lines[0].vat_rate: must be one of: 21, 9, 0"),
    (lambda d: d["invoices"][0].__setitem__("number", "ABC"), "invoices[0].number: has the wrong format"),
    (lambda d: d["client"].__setitem__("email", "not-an-email"), "client.email: has the wrong format"),
    (lambda d: d["invoices"][0].__setitem__("gross_cents", d["invoices"][0]["gross_cents"] + 1),
     "invoices[0].gross_cents: must be net_cents + vat_cents (invoice "),
    (lambda d: d["invoices"][0].__setitem__("vat_cents", d["invoices"][0]["vat_cents"] + 1),
     "invoices[0].vat_cents: must be the sum of the VAT per rate (invoice "),
    (lambda d: d["invoices"][0]["lines"][0].__setitem__("net_cents", 4400),
     "invoices[0].lines[0].net_cents: must be quantity x unit_price_cents"),
    (lambda d: d["invoices"][0]["lines"][1].__setitem__("vat_category", "charged") or
     d["invoices"][0]["lines"][1].__setitem__("vat_rate", 21),
     "invoices[0].vat_totals: must be the lines' amounts per VAT rate (invoice "),
    (lambda d: d["invoices"][0]["lines"][0].__setitem__("vat_category", "exempt"),
     "invoices[0].lines[0].vat_category: does not fit the VAT rate"),
    (lambda d: d["invoices"][0].__setitem__("paid_cents", 2100), "invoices[0].paid_cents: must be the sum"),
    (lambda d: d["client"].__setitem__("phone", "0612345678"), "client.phone: has the wrong format"),
    (lambda d: d["client"].__setitem__("country", "XX"), "client.country: must be one of"),
    (lambda d: d["client"].update(country="NL", postcode="2000"), "client.postcode: has the wrong format"),
    (lambda d: d["client"].__setitem__("number", "ABC"), "client.number: has the wrong format"),
    (lambda d: d["pets"][0]["visits"][1].__setitem__("corrects", {"pet_number": "P999999", "index": 0}),
     "corrects: names a record that is not in the file"),
]


@pytest.mark.parametrize("breakage, expect", TAMPERED, ids=[t[1].split(":")[0] for t in TAMPERED])
def test_a_tampered_export_is_refused_with_one_line_and_nothing_written(source, rich, empty_practice, tmp_path,
                                                                         breakage, expect):
    vet, b = source[0], empty_practice
    k, inv = rich
    doc = vet.ok("export", k, "--out", "-").json()
    assert validator("2").is_valid(doc)
    breakage(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), "utf-8")
    before = b.counts()
    audits = b.sql("SELECT count(*) FROM audit_log")
    r = b.run("import", str(path))
    assert r.exit_code == 1, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert expect in lines[0], lines[0]
    if "(invoice " in expect:
        assert lines[0].endswith(f"(invoice {inv})"), lines[0]
    assert "not-an-email" not in lines[0] and "Peeters" not in lines[0]
    assert b.counts() == before and b.sql("SELECT count(*) FROM audit_log") == audits


def test_a_v1_file_made_by_the_v1_code_still_imports(vet, tmp_path):
    doc = json.loads(V1_FILE.read_text("utf-8"))
    assert doc["schema_version"] == "1" and validator("1").is_valid(doc)
    vet.set_practice("Dierenartsenpraktijk Oost")
    new = vet.ok("import", str(V1_FILE), "--json").json()
    assert new["pets"] == 1 and new["invoices"] == 3 and new["payments"] == 2
    again = vet.ok("export", new["number"], "--out", "-").json()
    assert again["schema_version"] == "2" and validator("2").is_valid(again)
    assert again["client"]["country"] == "NL" and again["client"]["landline"] is None
    assert [ln["vat_category"] for i in again["invoices"] for ln in i["lines"]][:2] == ["charged", "charged"]
    assert again["invoices"][0]["lines"][0]["description"] == doc["invoices"][0]["lines"][0]["description"]
    entry = vet.sql("SELECT details FROM audit_log WHERE action = 'import'")[0][0]
    assert json.loads(entry)["schema_version"] == "1"


def test_a_v1_file_with_a_rate_outside_the_vocabulary_is_refused_too(vet, tmp_path):
    """v1's schema let a 15 % rate through; the import's own check does not."""
    doc = json.loads(V1_FILE.read_text("utf-8"))
    doc["invoices"][0]["lines"][0]["vat_rate"] = 15
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(doc), "utf-8")
    r = vet.run("import", str(path))
    assert r.exit_code == 1 and "invoices[0].lines[0].vat_rate: must be one of: 21, 9, 0" in r.stderr, r.stderr
    assert vet.sql("SELECT count(*) FROM client") == [(0,)]


def test_corrections_voids_and_refunds_made_at_the_desk_export_import_and_report(vet, tmp_path):
    """The trail made by the real commands (record correct/void, invoice void-payment/refund) is in the
    export (v2-valid), survives an import, and the access report shows it marked."""
    vet.set_practice()
    k = vet.add_client("Anna de Vries", birth_date="1980-03-04")
    p = vet.add_pet(k, "Bello")
    visit = vet.ok("visit", "add", p, "--date", "2026-10-01", "--reason", "mank", "--json").json()["id"]
    vacc = vet.ok("vaccinate", p, "--vaccine", "Nobivac", "--date", "2026-09-01", "--next-due", "2027-09-01",
                  "--json").json()["id"]
    vet.ok("record", "void", "visit", str(visit), "--reason", "verkeerd dier")
    vet.ok("record", "correct", "vaccination", str(vacc), "--next-due", "2027-10-01", "--why", "verkeerde datum")
    inv = vet.ok("invoice", "create", k, "--line", "Shampoo;1;12,00", "--payment", "account",
                 "--json").json()["number"]
    vet.ok("invoice", "pay", inv, "--amount", "1,00", "--method", "cash")
    card = vet.ok("invoice", "show", inv, "--format", "json").json()
    vet.ok("invoice", "void-payment", inv, str(card["payments"][0]["id"]), "--reason", "dubbel")
    vet.ok("invoice", "pay", inv, "--amount", "14,52", "--method", "transfer")
    note = vet.ok("invoice", "credit", inv, "--reason", "retour", "--json").json()["number"]
    vet.ok("invoice", "refund", note, "--amount", "14,52", "--method", "cash")
    doc = vet.ok("export", k, "--out", "-").json()
    errors = list(validator("2").iter_errors(doc))
    assert errors == [], [e.message for e in errors[:3]]
    pet = doc["pets"][0]
    assert pet["visits"][0]["void_reason"] == "verkeerd dier"
    assert pet["vaccinations"][0]["voided_at"] is not None
    assert pet["vaccinations"][1]["corrects"] == {"pet_number": p, "index": 0}
    assert pet["vaccinations"][1]["next_due"] == "2027-10-01"
    by_number = {i["number"]: i for i in doc["invoices"]}
    assert [y["void_reason"] for y in by_number[inv]["payments"]] == ["dubbel", None]
    assert by_number[inv]["paid_cents"] == card["gross_cents"]
    assert by_number[note]["paid_cents"] == -1452
    html = vet.ok("export", k, "--format", "report", "--out", "-").stdout
    assert "verkeerd dier" in html and "dubbel" in html and "correctie van de regel van 1 september 2026" in html
    (tmp_path / "a.json").write_text(json.dumps(doc), "utf-8")
    b = second_practice(vet, tmp_path, "b")
    number = b.ok("import", str(tmp_path / "a.json")).stdout.strip()
    again = b.ok("export", number, "--out", "-").json()
    assert again["invoices"] == doc["invoices"]
    assert [v["corrects"] for v in again["pets"][0]["vaccinations"]] == [None, {"pet_number": again["pets"][0]["number"],
                                                                            "index": 0}]
    # an imported voided vaccination makes no reminder here either
    cards = b.ok("reminders", "export", "--due-before", "2030-01-01", "--dry-run").stdout
    assert "2027-09-01" not in cards and "1 september 2027" not in cards
