"""The medical record and the sharing records through export, purge and erase
(issue 6 point 10), end to end through the CLI.

One client with two pets gets every record type from the real commands:
weighings, visits, vaccinations with next-due dates, medicines administered and
dispensed, consents per purpose (one withdrawn), disclosures by ``disclose``,
``chip register``, ``refer`` and ``reminders export``, and invoices with
payments. A bystander client with a row in every table must come through each
purge and erasure untouched.

The CLI stamps "now" on cards (and ``refer`` dates its disclosure today), so
for the purge those few stamps are back-dated with SQL; every other date is
given to the commands with ``--date``. The builder shifts all dates by whole
years: ``shift=0`` puts the activity 8-9 years back (purge), ``shift=7`` puts it
in the last two years (erase, where the medicine-record hold still runs).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date

from conftest import tables_holding
from dateutil.relativedelta import relativedelta

from vetcards import vocab

TODAY = date.today()
Y = TODAY.year

NAME = "Zebedeus Quaxelaar"
STREET = "Kwikstraat 77"
POSTCODE = "9876 ZX"
CITY = "Quaxelstad"
PHONE_E164 = "+31611223344"
EMAIL = "zeb.quax@example.nl"
BIRTH = "1970-05-04"
PET1, PET2 = "Fikkiewoef", "Mauwtje"
CHIP = "528140000012345"
SPECIALIST = "Dierenkliniek Specialisten Quax BV"
LAB = "Laboratorium (generiek)"
PHARMACY = "Apotheek (generiek)"
PRINTER = "Drukkerij herinneringskaarten (generiek)"
NDG = "NDG - Nederlandse Databank Gezelschapsdieren"

# Values that only this client's medical record holds.
VISIT_TEXTS = ("Kreupelheid linksvoor", "Zwelling carpus", "Verstuiking graad 1", "Rust en koelen",
               "Jaarlijkse controle kat", "Tandsteen bovenkaak")
VAC_BATCHES = ("VACB-QX-101", "VACB-QX-102", "VACB-QX-201")
MED_BATCHES = ("MEDB-QX-1", "MEDB-QX-2")

ERASE_ARGS = ("--verified-by", "Jet Balie", "--id-document", "passport", "--yes")
LIFECYCLE_TABLES = ("visit", "vaccination", "medicine_record", "weight", "consent", "disclosure", "pet",
                    "client")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def table_counts(vet) -> dict[str, int]:
    return {t: vet.sql(f'SELECT count(*) FROM "{t}"')[0][0]
            for t in (*LIFECYCLE_TABLES, "invoice", "invoice_line", "payment", "recipient")}


def last_activity(vet, number: str) -> str:
    return vet.ok("client", "show", number, "--format", "json").json()["last_activity"]


def bystander(vet) -> str:
    """Another client with a row in every record table; must never be touched."""
    b = vet.add_client("Otto Overblijver", street="Anderweg 2", postcode="1111 AA", city="Elders")
    bp = vet.add_pet(b, "Rexie", chip="528140000099999", birth_date="2015-01-01")
    vet.ok("pet", "weigh", bp, "20", "--date", "2020-01-01")
    vet.ok("visit", "add", bp, "--date", "2020-01-01", "--reason", "Controle Rexie")
    vet.ok("vaccinate", bp, "--vaccine", "Nobivac L4", "--date", "2020-01-01", "--batch", "OTHER-VAC")
    vet.ok("medicine", bp, "--product", "Drontal", "--batch", "OTHER-MED", "--quantity", "2 tablets",
           "--vet", "Dr. Vos", "--date", "2020-01-01")
    vet.ok("consent", "give", b, "--purpose", "lab", "--date", "2020-01-01")
    vet.ok("disclose", b, "--to", LAB, "--categories", "naw,animal", "--pet", bp, "--date", "2020-01-02")
    return b


@dataclass
class Rich:
    number: str
    pets: tuple[str, str]
    shift: int
    invoices: dict[str, str] = field(default_factory=dict)  # "pin" / "account" -> number
    weights: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    visits: dict[str, list[tuple]] = field(default_factory=dict)
    vaccinations: dict[str, list[tuple]] = field(default_factory=dict)
    medicines: list[tuple] = field(default_factory=list)
    consents: list[tuple] = field(default_factory=list)
    disclosures: list[tuple] = field(default_factory=list)
    last_activity: str = ""


def rich_client(vet, shift: int, tmp_path) -> Rich:
    """One client, two pets, every record type from the real commands.

    All dates are ``years_ago`` before this year, moved ``shift`` years later.
    The last activity is the payment of the account invoice (day(8, 3, 1)).
    """
    def day(years_ago: int, month: int, d: int) -> str:
        return date(Y - years_ago + shift, month, d).isoformat()

    k = vet.add_client(NAME, street=STREET, postcode=POSTCODE, city=CITY, phone="06 11223344",
                       email=EMAIL, birth_date=BIRTH)
    p1 = vet.add_pet(k, PET1, chip=CHIP, breed="Labrador", birth_date=f"{Y - 12}-05-01")
    p2 = vet.add_pet(k, PET2, species="cat", birth_date=f"{Y - 11}-03-15")
    r = Rich(number=k, pets=(p1, p2), shift=shift)
    spec = vet.ok("recipient", "add", "--name", SPECIALIST, "--kind", "specialist",
                  "--categories", "naw,animal,record", "--json").json()["id"]

    # Consents: care from `client add` (today), five more, pharmacy withdrawn later.
    r.consents.append(("care", TODAY.isoformat(), None))
    for purpose in ("reminders", "chip-registration", "referral", "lab", "pharmacy"):
        vet.ok("consent", "give", k, "--purpose", purpose, "--method", "written", "--date", day(9, 10, 1))
        r.consents.append((purpose, day(9, 10, 1), None))

    # Weights.
    r.weights = {p1: [(day(9, 10, 1), 31400), (day(8, 2, 1), 32050)], p2: [(day(9, 10, 1), 4250)]}
    for pet, rows in r.weights.items():
        for d, grams in rows:
            vet.ok("pet", "weigh", pet, f"{grams / 1000:.3f}".rstrip("0").replace(".", ","), "--date", d)

    # Visits.
    r.visits = {p1: [(day(9, 11, 20), *VISIT_TEXTS[:4], "Dr. Vos")],
                p2: [(day(8, 1, 15), VISIT_TEXTS[4], None, VISIT_TEXTS[5], None, "Dr. Bakker")]}
    for pet, rows in r.visits.items():
        for d, reason, findings, diagnosis, treatment, vet_name in rows:
            args = ["visit", "add", pet, "--date", d, "--reason", reason, "--vet", vet_name]
            for opt, value in (("--findings", findings), ("--diagnosis", diagnosis), ("--treatment", treatment)):
                if value is not None:
                    args += [opt, value]
            vet.ok(*args)

    # Vaccinations with next-due dates: the second L4 completes the first recall.
    r.vaccinations = {
        p1: [(day(9, 10, 5), "Nobivac L4", VAC_BATCHES[0], day(8, 10, 5)),
             (day(8, 1, 15), "Nobivac L4", VAC_BATCHES[1], day(7, 1, 15))],
        p2: [(day(8, 1, 15), "Purevax RCP", VAC_BATCHES[2], day(7, 1, 15))],
    }
    for pet, rows in r.vaccinations.items():
        for d, vaccine, batch, due in rows:
            vet.ok("vaccinate", pet, "--vaccine", vaccine, "--date", d, "--batch", batch, "--next-due", due)

    # Medicines: one administered, one dispensed.
    r.medicines = [
        (p1, day(9, 11, 20), "Metacam 1,5 mg/ml", MED_BATCHES[0], "10 ml", day(7, 6, 30), "Dr. Vos", False),
        (p2, day(8, 1, 15), "Milbemax kat", MED_BATCHES[1], "2 tablets", day(6, 1, 31), "Dr. Bakker", True),
    ]
    for pet, d, product, batch, qty, expiry, vet_name, dispensed in r.medicines:
        vet.ok("medicine", pet, "--product", product, "--batch", batch, "--quantity", qty, "--expiry", expiry,
               "--vet", vet_name, "--date", d, *(["--dispensed"] if dispensed else []))

    # Invoices: paid at once (pin), and on account paid later.
    r.invoices["pin"] = vet.ok("invoice", "create", k, "--pet", p1, "--line", "Consult;1;45,00",
                               "--payment", "pin", "--date", day(9, 11, 20), "--json").json()["number"]
    r.invoices["account"] = vet.ok("invoice", "create", k, "--pet", p2, "--line", "Vaccinatie;1;30,00;9",
                                   "--payment", "account", "--date", day(8, 1, 15), "--json").json()["number"]
    vet.ok("invoice", "pay", r.invoices["account"], "--amount", "32,70", "--date", day(8, 3, 1))

    # Disclosures: lab at the client's request, pharmacy not, then the
    # pharmacy consent is withdrawn; NDG chip registration; a referral; the
    # reminder cards.
    vet.ok("disclose", k, "--to", LAB, "--categories", "naw,animal,record", "--pet", p1,
           "--date", day(8, 2, 1), "--at-client-request")
    vet.ok("disclose", k, "--to", PHARMACY, "--categories", "naw,animal", "--pet", p2, "--date", day(8, 2, 15))
    vet.ok("consent", "withdraw", k, "--purpose", "pharmacy", "--date", day(8, 2, 28))
    r.consents[-1] = ("pharmacy", day(9, 10, 1), day(8, 2, 28))
    vet.ok("chip", "register", p1, "--date", day(8, 2, 20), "--out", str(tmp_path / "ndg.json"))
    vet.ok("refer", p1, "--to", str(spec), "--out", str(tmp_path / "referral.json"))
    due_before = date(Y + 3, 1, 1).isoformat()
    summary = vet.ok("reminders", "export", "--due-before", due_before, "--out", str(tmp_path / "cards.csv"),
                     "--json").json()
    assert (summary["recalls"], summary["clients"]) == (2, 1)  # the older L4 recall is completed

    # The CLI stamps "now": back-date the cards, and the referral (dated today
    # by `refer`) to a day before the last activity.
    stamp = f"{day(9, 10, 1)} 09:00:00.000000"
    vet.sql_write("UPDATE client SET created_at = ?, updated_at = ? WHERE number = ?", (stamp, stamp, k))
    vet.sql_write("UPDATE pet SET created_at = ?, updated_at = ? WHERE number IN (?, ?)", (stamp, stamp, p1, p2))
    vet.sql_write("UPDATE disclosure SET disclosed_on = ? WHERE at_client_request = 1 AND recipient_id = ?",
          (day(8, 2, 25), int(spec)))
    r.disclosures = [  # (date, recipient, kind, pet, categories, basis, consent purpose, at request)
        (day(8, 2, 1), LAB, "lab", p1, "naw,animal,record", "consent", "lab", True),
        (day(8, 2, 15), PHARMACY, "pharmacy", p2, "naw,animal", "consent", "pharmacy", False),
        (day(8, 2, 20), NDG, "chip-registry", p1, "naw,animal,chip", "consent", "chip-registration", False),
        (day(8, 2, 25), SPECIALIST, "specialist", p1, "naw,animal,record", "consent", "referral", True),
        (TODAY.isoformat(), PRINTER, "printer", None, "naw,animal,recall", "consent", "reminders", False),
    ]
    r.last_activity = day(8, 3, 1)
    return r


def _check_register(vet) -> None:
    names = {row["name"]: row["kind"] for row in vet.ok("recipient", "list", "--format", "json").json()}
    assert names[LAB] == "lab" and names[PHARMACY] == "pharmacy" and names[PRINTER] == "printer"
    assert names[NDG] == "chip-registry", names


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def test_export_holds_every_record_in_json_csv_and_report(vet, tmp_path):
    vet.set_practice()
    _check_register(vet)
    bystander(vet)
    r = rich_client(vet, 0, tmp_path)
    p1, p2 = r.pets

    doc = vet.ok("export", r.number, "--format", "json", "--out", "-").json()
    assert doc["client"]["number"] == r.number and doc["client"]["name"] == NAME
    assert doc["client"]["phone"] == PHONE_E164 and doc["client"]["email"] == EMAIL
    assert sorted((c["purpose"], c["given_on"], c["withdrawn_on"]) for c in doc["consents"]) == sorted(r.consents)
    assert [p["number"] for p in doc["pets"]] == [p1, p2]
    assert [p["chip"] for p in doc["pets"]] == [CHIP, None]
    for pet in doc["pets"]:
        n = pet["number"]
        assert [(w["measured_on"], w["grams"]) for w in pet["weights"]] == r.weights[n]
        assert [(v["visit_date"], v["reason"], v["findings"], v["diagnosis"], v["treatment"], v["vet"])
                for v in pet["visits"]] == r.visits[n]
        assert [(x["given_on"], x["vaccine"], x["batch"], x["next_due"])
                for x in pet["vaccinations"]] == r.vaccinations[n]
    assert sorted((m["pet_number"], m["record_date"], m["product"], m["batch"], m["quantity"], m["expiry"],
                   m["vet"], m["dispensed"]) for m in doc["medicine_records"]) == sorted(r.medicines)
    assert all(m["restricted"] is False and m["owner_name"] is None for m in doc["medicine_records"])
    inv = {i["number"]: i for i in doc["invoices"]}
    assert set(inv) == set(r.invoices.values())
    assert (inv[r.invoices["pin"]]["status"], inv[r.invoices["pin"]]["gross_cents"],
            inv[r.invoices["pin"]]["paid_cents"], inv[r.invoices["pin"]]["pet_number"]) == ("paid", 5445, 5445, p1)
    assert (inv[r.invoices["account"]]["status"], inv[r.invoices["account"]]["gross_cents"],
            inv[r.invoices["account"]]["paid_cents"]) == ("paid", 3270, 3270)
    assert [y["paid_on"] for y in inv[r.invoices["account"]]["payments"]] == [r.last_activity]
    got = [(d["disclosed_on"], d["recipient"]["name"], d["recipient"]["kind"], d["pet_number"], d["categories"],
            d["basis"], doc["consents"][d["consent_index"]]["purpose"], d["at_client_request"])
           for d in doc["disclosures"]]
    assert got == r.disclosures
    assert doc["retention"]["last_activity"] == r.last_activity
    assert "Otto Overblijver" not in json.dumps(doc) and "Rexie" not in json.dumps(doc)

    # CSV bundle: one row per record in the CSV of its type.
    out = tmp_path / "bundle.zip"
    vet.ok("export", r.number, "--format", "csv", "--out", str(out))
    zf = zipfile.ZipFile(out)

    def rows(name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8"))))

    expected_rows = {"client.csv": 1, "consents.csv": 6, "pets.csv": 2, "weights.csv": 3, "visits.csv": 2,
                     "vaccinations.csv": 3, "medicines.csv": 2, "invoices.csv": 2, "invoice_lines.csv": 2,
                     "payments.csv": 2, "disclosures.csv": 5}
    assert {name: len(rows(name)) for name in expected_rows} == expected_rows
    assert sorted((x["purpose"], x["withdrawn_on"]) for x in rows("consents.csv")) == \
        sorted((p, w or "") for p, _g, w in r.consents)
    assert sorted((w["pet_number"], w["measured_on"], int(w["grams"])) for w in rows("weights.csv")) == \
        sorted((pet, d, g) for pet, ws in r.weights.items() for d, g in ws)
    assert sorted((v["pet_number"], v["reason"]) for v in rows("visits.csv")) == \
        sorted((pet, v[1]) for pet, vs in r.visits.items() for v in vs)
    assert sorted((x["pet_number"], x["batch"], x["next_due"]) for x in rows("vaccinations.csv")) == \
        sorted((pet, x[2], x[3]) for pet, xs in r.vaccinations.items() for x in xs)
    assert sorted((m["pet_number"], m["product"], m["batch"], m["dispensed"]) for m in rows("medicines.csv")) == \
        sorted((m[0], m[2], m[3], "true" if m[7] else "false") for m in r.medicines)
    assert sorted(i["number"] for i in rows("invoices.csv")) == sorted(r.invoices.values())
    assert [(d["disclosed_on"], d["recipient_name"], d["recipient_kind"], d["pet_number"], d["at_client_request"])
            for d in rows("disclosures.csv")] == \
        [(d[0], d[1], d[2], d[3] or "", "true" if d[7] else "false") for d in r.disclosures]

    # The access report names every recipient, in its recipients section.
    for lang, heading in (("nl", "Ontvangers van uw gegevens"), ("en", "Recipients of your data")):
        html = vet.ok("export", r.number, "--format", "report", "--lang", lang, "--out", "-").stdout
        # the heading may name its article: "<h2>Ontvangers van uw gegevens <span ...>(AVG art. 15 ...)</span></h2>"
        section = html.split(f"<h2>{heading}", 1)[1].split("</h2>", 1)[1].split("<h2", 1)[0]
        for _d, name, kind, *_rest in r.disclosures:
            # the recipient's kind in the report's language (vetcards.vocab), never the code
            assert f"{name} ({vocab.label('recipient_kind', kind, lang)})" in section, (lang, name)


# --------------------------------------------------------------------------
# Purge
# --------------------------------------------------------------------------


def test_purge_deletes_every_record_and_keeps_only_the_held_invoice(vet, tmp_path):
    vet.set_practice()
    b = bystander(vet)
    baseline = table_counts(vet)
    r = rich_client(vet, 0, tmp_path)
    built = table_counts(vet)
    assert {t: built[t] - baseline[t] for t in LIFECYCLE_TABLES} == {
        "visit": 2, "vaccination": 3, "medicine_record": 2, "weight": 3, "consent": 6, "disclosure": 5,
        "pet": 2, "client": 1}
    assert last_activity(vet, r.number) == r.last_activity

    # A medicine record is activity: while the newest one is under its
    # 5-year hold the client is not even a candidate.
    newest_med = max(date.fromisoformat(m[1]) for m in r.medicines)
    preview = vet.ok("purge", "--as-of", (newest_med + relativedelta(years=5)).isoformat(), "--dry-run",
                     "--json").json()
    assert r.number not in preview["clients"] and preview["purged_clients"] == 0

    # Before the fiscal hold of the account invoice ends (31 Dec, year + 7):
    # the pin invoice (a year older) is past its hold, the other is kept.
    as_of = date(Y - 1, 12, 1)
    s = vet.ok("purge", "--as-of", as_of.isoformat(), "--json").json()
    assert (s["purged_clients"], s["purged_pets"], s["kept_for_fiscal_hold"], s["deleted_invoices"]) == (1, 2, 1, 1)
    # For the purge the medicine hold has always run out (SPEC §4).
    assert (s["kept_medicine_records"], s["deleted_medicine_records"]) == (0, 2)
    assert {t: s["deleted_rows"][t] for t in LIFECYCLE_TABLES} == {t: built[t] - baseline[t]
                                                                     for t in LIFECYCLE_TABLES}
    after = table_counts(vet)
    for table in LIFECYCLE_TABLES:
        assert after[table] == baseline[table], table
    assert vet.sql("SELECT count(*) FROM client WHERE number = ?", (b,)) == [(1,)]
    assert vet.sql("SELECT count(*) FROM medicine_record WHERE restricted = 1 OR client_id IS NULL") == [(0,)]
    assert vet.sql("SELECT number, client_id, pet_id, restricted, customer_name, customer_birth_date, status "
                   "FROM invoice") == [(r.invoices["account"], None, None, 1, NAME, None, "paid")]
    assert (after["invoice_line"], after["payment"]) == (1, 1)
    # The recipients register itself survives (the specialist added too).
    assert after["recipient"] == built["recipient"]
    assert SPECIALIST in {row[0] for row in vet.sql("SELECT name FROM recipient")}

    # After the hold: the first purge deletes the invoice; nothing of the client remains.
    s = vet.ok("purge", "--as-of", TODAY.isoformat(), "--json").json()
    assert (s["purged_clients"], s["deleted_expired_invoices"]) == (0, 1)
    after = table_counts(vet)
    assert (after["invoice"], after["invoice_line"], after["payment"]) == (0, 0, 0)
    assert after["recipient"] == built["recipient"]
    text_dump = vet.dump()
    for value in (NAME, STREET, POSTCODE, CITY, PHONE_E164, EMAIL, BIRTH, PET1, PET2, CHIP, *VISIT_TEXTS,
                  *VAC_BATCHES, *MED_BATCHES):
        assert tables_holding(text_dump, value) == set(), value
    assert tables_holding(text_dump, "Otto Overblijver") == {"client"}


# --------------------------------------------------------------------------
# Erase
# --------------------------------------------------------------------------


def test_erase_removes_the_record_keeps_held_medicines_and_names_every_recipient(vet, tmp_path):
    vet.set_practice()
    b = bystander(vet)
    baseline = table_counts(vet)
    r = rich_client(vet, 7, tmp_path)
    p1, _p2 = r.pets
    # One medicine record past its 5-year hold: it goes.
    old_day = (TODAY - relativedelta(years=6)).isoformat()
    vet.ok("medicine", p1, "--product", "Oudmiddel Quax", "--batch", "MEDB-QX-OLD", "--quantity", "1",
           "--vet", "Dr. Vos", "--date", old_day)
    before = vet.dump()
    for value in (PET1, PET2, CHIP, *VISIT_TEXTS, *VAC_BATCHES):
        assert tables_holding(before, value), value

    out = vet.ok("erase", r.number, *ERASE_ARGS, "--json").json()

    erased = out["erased"]
    assert {k: erased[k] for k in ("client_card", "pets", "weights", "visits", "vaccinations", "consents",
                                   "disclosures", "medicine_records", "invoices")} == {
        "client_card": 1, "pets": 2, "weights": 3, "visits": 2, "vaccinations": 3, "consents": 6,
        "disclosures": 5, "medicine_records": 1, "invoices": 0}
    kept = sorted((k["what"], k["reason"], k["until"]) for k in out["kept"])
    held_meds = sorted(r.medicines, key=lambda m: m[1])
    assert kept == sorted(
        [("invoice", "fiscal hold", f"{date.fromisoformat(d).year + 7}-12-31")
         for d in (f"{Y - 9 + 7}-11-20", f"{Y - 8 + 7}-01-15")]
        + [("medicine_record", "medicine-record hold",
            (date.fromisoformat(m[1]) + relativedelta(years=5)).isoformat()) for m in held_meds])
    # Every recipient in the disclosure log is to be told (art. 19).
    notify = {(n["name"], n["kind"], n["disclosures"], n["last_disclosed_on"]) for n in out["notify_recipients"]}
    assert notify == {(name, kind, 1, d) for d, name, kind, *_ in r.disclosures}

    after = table_counts(vet)
    for table in ("visit", "vaccination", "weight", "consent", "disclosure", "pet", "client"):
        assert after[table] == baseline[table], table
    assert after["recipient"] == baseline["recipient"] + 1  # the register keeps the specialist
    # The held medicine records: detached, restricted, with the owner snapshot.
    rows = vet.sql("SELECT record_date, product, batch, quantity, vet, dispensed, owner_name, owner_address, "
                   "client_id, pet_id, restricted FROM medicine_record WHERE restricted = 1 ORDER BY record_date")
    assert rows == [(m[1], m[2], m[3], m[4], m[6], int(m[7]), NAME, f"{STREET}, {POSTCODE} {CITY}", None, None, 1)
                    for m in held_meds]
    assert vet.sql("SELECT count(*) FROM medicine_record") == [(baseline["medicine_record"] + 2,)]
    assert vet.sql("SELECT count(*) FROM invoice WHERE restricted = 1 AND client_id IS NULL AND pet_id IS NULL") \
        == [(2,)]

    text_dump = vet.dump()
    for value in (PET1, PET2, CHIP, PHONE_E164, EMAIL, BIRTH, *VISIT_TEXTS, *VAC_BATCHES, "MEDB-QX-OLD",
                  "Oudmiddel Quax"):
        assert tables_holding(text_dump, value) == set(), value
    assert tables_holding(text_dump, NAME) == {"invoice", "medicine_record"}
    # The bystander is untouched.
    assert vet.sql("SELECT count(*) FROM disclosure d JOIN client c ON c.id = d.client_id WHERE c.number = ?",
                   (b,)) == [(1,)]
    for value in ("Otto Overblijver", "Rexie", "Controle Rexie", "OTHER-VAC", "OTHER-MED"):
        assert tables_holding(text_dump, value), value


# --------------------------------------------------------------------------
# Activity
# --------------------------------------------------------------------------


def test_each_record_type_moves_last_activity_but_not_a_disclosure_without_request(vet, tmp_path):
    vet.set_practice()
    k = vet.add_client(NAME, birth_date=BIRTH)
    p = vet.add_pet(k, PET1, chip=CHIP, birth_date="2009-01-01")
    spec = vet.ok("recipient", "add", "--name", SPECIALIST, "--kind", "specialist",
                  "--categories", "naw,animal,record", "--json").json()["id"]
    old = "2010-01-01 09:00:00.000000"
    vet.sql_write("UPDATE client SET created_at = ?, updated_at = ?", (old, old))
    vet.sql_write("UPDATE pet SET created_at = ?, updated_at = ?", (old, old))
    assert last_activity(vet, k) == "2010-01-01"

    # Consents are not in the activity list of SPEC §3.
    for purpose in ("lab", "chip-registration", "reminders", "referral"):
        vet.ok("consent", "give", k, "--purpose", purpose, "--date", "2010-06-01")
    assert last_activity(vet, k) == "2010-01-01"

    steps = [
        (("pet", "weigh", p, "12,5", "--date", "2011-02-01"), "2011-02-01"),
        (("visit", "add", p, "--date", "2012-03-01", "--reason", "Controle"), "2012-03-01"),
        (("vaccinate", p, "--vaccine", "Nobivac L4", "--date", "2013-04-01", "--next-due", "2014-04-01"),
         "2013-04-01"),
        (("medicine", p, "--product", "Metacam", "--batch", "K1", "--quantity", "10 ml", "--vet", "Dr. Vos",
          "--date", "2014-05-01"), "2014-05-01"),
        (("invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "account", "--date", "2015-06-01"),
         "2015-06-01"),
        (("disclose", k, "--to", LAB, "--categories", "naw", "--date", "2016-08-01"), "2015-06-01"),
        (("chip", "register", p, "--date", "2016-09-01", "--out", str(tmp_path / "ndg.json")), "2015-06-01"),
        (("reminders", "export", "--due-before", "2020-01-01", "--out", str(tmp_path / "cards.csv")),
         "2015-06-01"),
        (("disclose", k, "--to", LAB, "--categories", "naw", "--date", "2016-10-01", "--at-client-request"),
         "2016-10-01"),
    ]
    for args, expected in steps:
        vet.ok(*args)
        assert last_activity(vet, k) == expected, args
    invoice = vet.sql("SELECT number FROM invoice")[0][0]
    vet.ok("invoice", "pay", invoice, "--amount", "54,45", "--date", "2017-07-01")
    assert last_activity(vet, k) == "2017-07-01"
    # The reminder cards went out today, not at the client's request: no
    # activity. A referral is at the client's request: today.
    assert vet.sql("SELECT count(*) FROM disclosure WHERE disclosed_on = ? AND at_client_request = 0",
                   (TODAY.isoformat(),)) == [(1,)]
    vet.ok("refer", p, "--to", str(spec), "--out", str(tmp_path / "ref.json"))
    assert last_activity(vet, k) == TODAY.isoformat()
    # The export shows the same date, and exporting is not activity.
    assert vet.ok("export", k, "--out", "-").json()["retention"]["last_activity"] == TODAY.isoformat()
