"""Erasure with holds (SPEC §4, §5), on a real encrypted file through the library.

Records the CLI cannot make yet (visits, vaccinations, medicine records,
disclosures, invoices) are written with SQL through SQLCipher, with chosen
dates and states. After each erasure a full decrypted dump of the database
(``iterdump``) is searched for every personal value of the client: each must
be gone, or remain only in the tables a hold keeps it in.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import tables_holding
from dateutil.relativedelta import relativedelta

from vetcards import erasure
from vetcards.db import open_database
from vetcards.errors import HoldError, InvalidInput, NotFound
from vetcards.keys import read_key_file
from vetcards.ledger import LedgerError, read_ledger
from vetcards.rules import Periods

TODAY = date.today()

# The client to erase: every value unique in the database.
NAME = "Zebedeus Quaxelaar"
STREET = "Kwikstraat 77"
POSTCODE = "9876 ZX"
CITY = "Quaxelstad"
PHONE = "+31611223344"
LANDLINE = "+31302345678"
EMAIL = "zeb.quax@example.nl"
BIRTH = "1970-05-04"
PET1, PET2 = "Fikkiewoef", "Mauwtje"
CHIP = "528140000012345"
VISIT_TEXTS = ("Kreupelheid links", "Zwelling pootkussen", "Abcesvorming", "Spoelen met betadine")
VAC_BATCH = "VACBATCH77"
MED_HELD_BATCH, MED_OLD_BATCH, MED_OLD_PRODUCT = "MEDB-HELD-1", "MEDB-OLD-9", "Oldmedicijn"
OLD_LINE = "Oude behandeling uniek"

# Another client that must come through untouched.
OTHER = ("Otto Overblijver", "Rexie", "528140000099999")


# --------------------------------------------------------------------------
# Helpers: write and read the encrypted file directly
# --------------------------------------------------------------------------


def client_id(vet, number: str) -> int:
    return vet.sql("SELECT id FROM client WHERE number = ?", (number,))[0][0]


def pet_id(vet, number: str) -> int:
    return vet.sql("SELECT id FROM pet WHERE number = ?", (number,))[0][0]


_INV_SEQ = {"n": 0}


def add_invoice(vet, cid: int | None, when: date, status: str, *, pet: int | None = None,
                line: str = "Consult", gross: int = 4840, paid: int = 0,
                snapshot: tuple = (NAME, STREET, POSTCODE, CITY, BIRTH)) -> tuple[int, str]:
    """An invoice with one line and an optional payment, written directly."""
    _INV_SEQ["n"] += 1
    seq = _INV_SEQ["n"]
    number = f"{when.year}-{seq:05d}"
    net = round(gross / 1.21)
    iid = vet.sql_write(
        "INSERT INTO invoice (number, year, seq, kind, client_id, pet_id, invoice_date, payment_method,"
        " status, customer_name, customer_street, customer_postcode, customer_city, customer_birth_date,"
        " supplier_name, supplier_address, supplier_vat_number, supplier_kvk, supplier_iban,"
        " net_cents, vat_cents, gross_cents, restricted, created_at)"
        " VALUES (?, ?, ?, 'invoice', ?, ?, ?, 'account', ?, ?, ?, ?, ?, ?, 'Dierenkliniek', 'Laan 1',"
        " 'NL000099998B57', '12345678', 'NL91ABNA0417164300', ?, ?, ?, 0, ?)",
        (number, when.year, seq, cid, pet, when.isoformat(), status, *snapshot,
         net, gross - net, gross, f"{when.isoformat()} 10:00:00.000000"),
    )
    vet.sql_write("INSERT INTO invoice_line (invoice_id, position, description, quantity,"
               " unit_price_cents, vat_rate, net_cents) VALUES (?, 1, ?, '1', ?, 21, ?)",
          (iid, line, net, net))
    if paid:
        vet.sql_write("INSERT INTO payment (invoice_id, paid_on, amount_cents, method, created_at)"
                   " VALUES (?, ?, ?, 'bank', ?)", (iid, when.isoformat(), paid, f"{when.isoformat()} 11:00:00"))
    return iid, number


def add_medicine(vet, cid: int, pid: int, when: date, product: str, batch: str) -> int:
    return vet.sql_write(
        "INSERT INTO medicine_record (pet_id, client_id, record_date, product, batch, quantity,"
        " expiry, vet, dispensed, restricted, created_at) VALUES (?, ?, ?, ?, ?, '10 ml', ?,"
        " 'Dr. Vos', 1, 0, ?)",
        (pid, cid, when.isoformat(), product, batch, (when + timedelta(days=700)).isoformat(),
         f"{when.isoformat()} 09:00:00"),
    )


def add_recipient(vet, name: str, kind: str) -> int:
    return vet.sql_write("INSERT INTO recipient (name, kind, categories, created_at) VALUES (?, ?, 'NAW', "
                      "'2024-01-01 00:00:00')", (name, kind))


def add_disclosure(vet, cid: int, rid: int, when: date) -> int:
    return vet.sql_write("INSERT INTO disclosure (client_id, recipient_id, disclosed_on, categories, basis,"
                      " at_client_request, created_at) VALUES (?, ?, ?, 'NAW, diergegevens', 'consent', 1,"
                      " ?)", (cid, rid, when.isoformat(), f"{when.isoformat()} 12:00:00"))


@dataclass
class Seeded:
    number: str
    cid: int
    pets: tuple[str, str]
    other: str
    recipients: tuple[int, int]


def seed(vet) -> Seeded:
    """One client with everything a card can hold, and one other client."""
    k = vet.add_client(NAME, street=STREET, postcode=POSTCODE, city=CITY, phone="06 11223344",
                       landline="030 234 5678", email=EMAIL, birth_date=BIRTH, reminders=True)
    p1 = vet.add_pet(k, PET1, chip=CHIP, weight="12,5")
    p2 = vet.add_pet(k, PET2, species="cat", weight="4")
    cid = client_id(vet, k)
    pid1, pid2 = pet_id(vet, p1), pet_id(vet, p2)
    visit_day = (TODAY - timedelta(days=100)).isoformat()
    vet.sql_write("INSERT INTO visit (pet_id, visit_date, reason, findings, diagnosis, treatment, vet,"
               " created_at) VALUES (?, ?, ?, ?, ?, ?, 'Dr. Vos', ?)",
          (pid1, visit_day, *VISIT_TEXTS, f"{visit_day} 09:00:00"))
    vet.sql_write("INSERT INTO vaccination (pet_id, given_on, vaccine, batch, next_due, created_at)"
               " VALUES (?, ?, 'Nobivac', ?, ?, ?)",
          (pid2, visit_day, VAC_BATCH, (TODAY + timedelta(days=200)).isoformat(), f"{visit_day} 09:00:00"))
    lab = add_recipient(vet, "Lab Noord", "lab")
    ndg = add_recipient(vet, "NDG Huisdierenregistratie", "chip-registry")
    add_disclosure(vet, cid, lab, TODAY - timedelta(days=50))
    add_disclosure(vet, cid, lab, TODAY - timedelta(days=20))
    add_disclosure(vet, cid, ndg, TODAY - timedelta(days=90))
    other = vet.add_client(OTHER[0], street="Anderweg 2", postcode="1111 AA", city="Elders")
    vet.add_pet(other, OTHER[1], chip=OTHER[2])
    ocid = client_id(vet, other)
    add_disclosure(vet, ocid, add_recipient(vet, "Apotheek Zuid", "pharmacy"), TODAY)
    return Seeded(k, cid, (p1, p2), other, (lab, ndg))


def open_db(vet):
    return open_database(vet.db, read_key_file(vet.key_file), write=True)


def run_erase(vet, number: str, *, as_of: date = TODAY, dry_run: bool = False, **kw: Any):
    db = open_db(vet)
    try:
        with db.unit() as session:
            session.info["actor"] = "tester"
            return erasure.erase(session, number, kw.pop("verified_by", "Jet Balie"),
                                 kw.pop("id_document", "passport"), as_of=as_of,
                                 dry_run=dry_run, **kw)
    finally:
        db.close()


def other_client_intact(vet, text_dump: str) -> None:
    for value in OTHER:
        assert tables_holding(text_dump, value), value
    assert vet.sql("SELECT count(*) FROM disclosure d JOIN client c ON c.id = d.client_id "
                   "WHERE c.name = ?", (OTHER[0],)) == [(1,)]


ERASED_ALWAYS = (PHONE, LANDLINE, EMAIL, PET1, PET2, CHIP, *VISIT_TEXTS, VAC_BATCH, MED_OLD_BATCH,
                 MED_OLD_PRODUCT, OLD_LINE)


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


def test_plain_erasure_leaves_no_value_in_a_full_dump(vet):
    s = seed(vet)
    before = vet.dump()
    recipients = vet.sql("SELECT id, name FROM recipient ORDER BY id")
    for value in (NAME, STREET, POSTCODE, CITY, BIRTH, *ERASED_ALWAYS[:-3]):
        assert tables_holding(before, value), f"seed did not store {value!r}"

    result = run_erase(vet, s.number)

    after = vet.dump()
    for value in (NAME, STREET, POSTCODE, CITY, BIRTH, *ERASED_ALWAYS):
        assert tables_holding(after, value) == set(), value
    assert result.kept == []
    assert result.erased["client_card"] == 1
    assert result.erased["pets"] == 2
    assert result.erased["weights"] == 2
    assert result.erased["visits"] == 1
    assert result.erased["vaccinations"] == 1
    assert result.erased["consents"] == 2
    assert result.erased["disclosures"] == 3
    # Recipients to tell: the distinct ones, with their disclosure counts.
    notify = [(r.name, r.kind, r.disclosures) for r in result.notify_recipients]
    assert notify == [("Lab Noord", "lab", 2), ("NDG Huisdierenregistratie", "chip-registry", 1)]
    other_client_intact(vet, after)
    # The register of recipients stays (it is the practice's, not the client's).
    assert vet.sql("SELECT id, name FROM recipient ORDER BY id") == recipients
    # The identity check is recorded: number, who, document type.
    rows = vet.sql("SELECT client_number, verified_by, id_document FROM erasure")
    assert rows == [(s.number, "Jet Balie", "passport")]


def test_fiscal_hold_keeps_only_the_invoice_snapshot(vet):
    s = seed(vet)
    p1 = pet_id(vet, s.pets[0])
    held_day = date(TODAY.year - 1, 6, 15)
    old_day = date(TODAY.year - 9, 3, 1)
    held_id, held_no = add_invoice(vet, s.cid, held_day, "paid", pet=p1, line="Consult bewaard",
                                   gross=4840, paid=4840)
    old_id, old_no = add_invoice(vet, s.cid, old_day, "paid", line=OLD_LINE, paid=1000)

    result = run_erase(vet, s.number)

    after = vet.dump()
    # The snapshot (name and address) stays, in the invoice only.
    for value in (NAME, STREET, POSTCODE, CITY, held_no, "Consult bewaard"):
        assert tables_holding(after, value) <= {"invoice", "invoice_line"}, value
        assert tables_holding(after, value), value
    # The birth date is not needed for the fiscal hold: gone.
    for value in (BIRTH, *ERASED_ALWAYS, old_no):
        assert tables_holding(after, value) == set(), value
    row = vet.sql("SELECT client_id, pet_id, restricted, customer_birth_date, gross_cents, "
                  "customer_name FROM invoice WHERE id = ?", (held_id,))
    assert row == [(None, None, 1, None, 4840, NAME)]
    assert vet.sql("SELECT count(*) FROM invoice_line WHERE invoice_id = ?", (held_id,)) == [(1,)]
    assert vet.sql("SELECT amount_cents FROM payment WHERE invoice_id = ?", (held_id,)) == [(4840,)]
    # The old invoice is past its fiscal hold: gone with its line and payment.
    assert vet.sql("SELECT count(*) FROM invoice WHERE id = ?", (old_id,)) == [(0,)]
    assert vet.sql("SELECT count(*) FROM payment") == [(1,)]
    assert result.erased["invoices"] == 1
    assert result.erased["invoice_lines"] == 1
    assert result.erased["payments"] == 1
    kept = [k.as_dict() for k in result.kept]
    assert kept == [{
        "what": "invoice", "ref": held_no, "reason": "fiscal hold",
        "until": f"{TODAY.year - 1 + 7}-12-31",
        "basis": erasure.BASIS_FISCAL.format(n=7),
        "fields": ["customer name and address snapshot", "lines", "amounts", "payments"],
    }]
    # The client card itself is gone.
    assert vet.sql("SELECT count(*) FROM client WHERE number = ?", (s.number,)) == [(0,)]


@pytest.mark.parametrize("state", ["open", "in_collection"])
def test_claim_hold_keeps_what_collection_needs_and_nothing_else(vet, state):
    s = seed(vet)
    p1 = pet_id(vet, s.pets[0])
    claim_id, claim_no = add_invoice(vet, s.cid, TODAY - timedelta(days=40), state, pet=p1,
                                     gross=12100, paid=2100)
    paid_id, paid_no = add_invoice(vet, s.cid, TODAY - timedelta(days=400), "paid", paid=4840)

    result = run_erase(vet, s.number)

    after = vet.dump()
    # Collection keeps name, address and birth date on the (restricted) card ...
    assert vet.sql("SELECT name, street, postcode, city, birth_date, phone, email, restricted "
                   "FROM client WHERE number = ?", (s.number,)) == [
        (NAME, STREET, POSTCODE, CITY, BIRTH, None, None, 1)]
    # ... and the claim invoice, still linked, with its lines and payments.
    # Not flagged restricted: payments and collection are still booked on it.
    assert vet.sql("SELECT client_id, pet_id, status, customer_birth_date, restricted FROM invoice "
                   "WHERE id = ?", (claim_id,)) == [(s.cid, None, state, BIRTH, 0)]
    assert vet.sql("SELECT amount_cents FROM payment WHERE invoice_id = ?", (claim_id,)) == [(2100,)]
    # A paid invoice is not needed for the claim: fiscal hold, detached.
    assert vet.sql("SELECT client_id, restricted, customer_birth_date FROM invoice WHERE id = ?",
                   (paid_id,)) == [(None, 1, None)]
    # Nothing else.
    assert tables_holding(after, NAME) == {"client", "invoice"}
    assert tables_holding(after, STREET) == {"client", "invoice"}
    assert tables_holding(after, BIRTH) == {"client", "invoice"}
    assert vet.sql("SELECT count(*) FROM invoice WHERE customer_birth_date IS NOT NULL "
                   "AND customer_name = ?", (NAME,)) == [(1,)]
    for value in ERASED_ALWAYS:
        assert tables_holding(after, value) == set(), value
    for table in ("consent", "disclosure", "pet"):
        assert vet.sql(f"SELECT count(*) FROM {table} WHERE client_id = ?", (s.cid,)) == [(0,)], table
    assert result.plan.claim_hold
    assert result.erased["client_card"] == 0
    assert result.erased["client_phone_email"] == 3  # mobile, landline, e-mail
    kept = {(k.what, k.ref): (k.reason, k.until) for k in result.kept}
    assert kept == {
        ("client_card", s.number): ("claim hold", "until paid"),
        ("invoice", claim_no): ("claim hold", "until paid"),
        ("invoice", paid_no): ("fiscal hold", f"{(TODAY - timedelta(days=400)).year + 7}-12-31"),
    }
    # Restricted: hidden from the normal lists and cards.
    listed = vet.ok("client", "list", "--format", "json").json()
    assert [c["number"] for c in listed] == [s.other]
    assert vet.run("client", "show", s.number).exit_code == 1
    other_client_intact(vet, after)


def test_erasing_again_after_the_claim_is_paid_removes_the_card(vet):
    s = seed(vet)
    claim_id, _ = add_invoice(vet, s.cid, TODAY - timedelta(days=40), "open")
    run_erase(vet, s.number)
    vet.sql_write("UPDATE invoice SET status = 'paid' WHERE id = ?", (claim_id,))

    result = run_erase(vet, s.number)

    assert not result.plan.claim_hold
    assert vet.sql("SELECT count(*) FROM client WHERE number = ?", (s.number,)) == [(0,)]
    assert vet.sql("SELECT client_id, restricted, customer_birth_date FROM invoice WHERE id = ?",
                   (claim_id,)) == [(None, 1, None)]
    assert tables_holding(vet.dump(), BIRTH) == set()
    assert len(read_ledger(Path(str(vet.db) + ".erasures"))) == 2


def test_medicine_record_under_hold_is_kept_with_an_owner_snapshot(vet):
    s = seed(vet)
    pid1 = pet_id(vet, s.pets[0])
    held = add_medicine(vet, s.cid, pid1, TODAY - relativedelta(years=1), "Metacam", MED_HELD_BATCH)
    old = add_medicine(vet, s.cid, pid1, TODAY - relativedelta(years=6), MED_OLD_PRODUCT, MED_OLD_BATCH)

    result = run_erase(vet, s.number)

    row = vet.sql("SELECT pet_id, client_id, restricted, owner_name, owner_address, product, batch, "
                  "quantity, vet, record_date FROM medicine_record WHERE id = ?", (held,))
    assert row == [(None, None, 1, NAME, f"{STREET}, {POSTCODE} {CITY}", "Metacam", MED_HELD_BATCH,
                    "10 ml", "Dr. Vos", (TODAY - relativedelta(years=1)).isoformat())]
    assert vet.sql("SELECT count(*) FROM medicine_record WHERE id = ?", (old,)) == [(0,)]
    after = vet.dump()
    assert tables_holding(after, NAME) == {"medicine_record"}
    assert tables_holding(after, STREET) == {"medicine_record"}
    for value in (BIRTH, *ERASED_ALWAYS):
        assert tables_holding(after, value) == set(), value
    assert result.erased["medicine_records"] == 1
    assert [(k.what, k.ref, k.reason, k.until) for k in result.kept] == [
        ("medicine_record", str(held), "medicine-record hold",
         (TODAY - relativedelta(years=1) + relativedelta(years=5)).isoformat())]
    # Restricted medicine records do not show on any pet card.
    other_pet = vet.ok("pet", "list", "--format", "json").json()
    assert [p["name"] for p in other_pet] == [OTHER[1]]


def test_medicine_hold_boundary_and_periods_setting(vet):
    s = seed(vet)
    pid1 = pet_id(vet, s.pets[0])
    as_of = date(2030, 3, 15)
    on_edge = add_medicine(vet, s.cid, pid1, date(2025, 3, 15), "Edge", "EDGE-1")   # until 2030-03-15
    past = add_medicine(vet, s.cid, pid1, date(2025, 3, 14), "Past", "PAST-1")      # until 2030-03-14
    db = open_db(vet)
    try:
        with db.unit() as session:
            plan = erasure.plan_erasure(session, s.number, as_of, Periods())
            assert plan.held_medicine_ids == [on_edge]
            assert plan.delete_medicine_ids == [past]
            longer = erasure.plan_erasure(session, s.number, as_of, Periods(medicine_years=6))
            assert sorted(longer.held_medicine_ids) == sorted([on_edge, past])
    finally:
        db.close()


def test_legal_hold_refuses_and_writes_nothing(vet):
    s = seed(vet)
    vet.sql_write("UPDATE client SET legal_hold_reason = 'beslag OM' WHERE id = ?", (s.cid,))
    counts, before = vet.counts(), vet.dump()
    with pytest.raises(HoldError, match="legal hold"):
        run_erase(vet, s.number)
    assert vet.counts() == counts
    assert vet.dump() == before
    assert not Path(str(vet.db) + ".erasures").exists()


def test_unknown_client_and_bad_identity_input_write_nothing(vet):
    s = seed(vet)
    counts = vet.counts()
    with pytest.raises(NotFound):
        run_erase(vet, "K999999")
    with pytest.raises(InvalidInput, match="never its number"):
        run_erase(vet, s.number, id_document="NW12345XY")
    with pytest.raises(InvalidInput, match="--id-document"):
        run_erase(vet, s.number, id_document="library card")
    with pytest.raises(InvalidInput, match="--verified-by"):
        run_erase(vet, s.number, verified_by="  ")
    assert vet.counts() == counts


@pytest.mark.parametrize("raw,stored", [("passport", "passport"), ("Paspoort", "passport"),
                                        ("ID card", "id-card"), ("rijbewijs", "driving-licence"),
                                        ("residence_permit", "residence-permit"), ("other", "other")])
def test_id_document_types(raw, stored):
    assert erasure.parse_id_document(raw) == stored


@pytest.mark.parametrize("raw", ["passport 123", "IX7Y8", "٣", "id-card-1"])
def test_id_document_with_a_digit_is_refused(raw):
    with pytest.raises(InvalidInput, match="never its number"):
        erasure.parse_id_document(raw)


def test_an_unknown_id_document_names_the_types():
    with pytest.raises(InvalidInput) as err:
        erasure.parse_id_document("library card")
    assert (err.value.field, err.value.rule) == (
        "--id-document", "must be one of: passport, id-card, driving-licence, residence-permit, other")


def test_dry_run_writes_nothing_and_plans_the_same(vet):
    s = seed(vet)
    add_invoice(vet, s.cid, date(TODAY.year - 1, 2, 2), "paid")
    counts, before = vet.counts(), vet.dump()
    planned = run_erase(vet, s.number, dry_run=True)
    assert planned.dry_run and planned.erasure_id is None
    assert vet.counts() == counts
    assert vet.dump() == before
    assert not Path(str(vet.db) + ".erasures").exists()
    done = run_erase(vet, s.number)
    assert done.plan.as_dict() == planned.plan.as_dict()


def test_audit_log_holds_no_personal_value(vet):
    s = seed(vet)
    add_invoice(vet, s.cid, TODAY - timedelta(days=10), "open")
    run_erase(vet, s.number)
    log = vet.sql("SELECT action, entity_ids, details FROM audit_log")
    text = json.dumps(log)
    for value in (NAME, "Zebedeus", "Quaxelaar", STREET, POSTCODE, CITY, PHONE, EMAIL, BIRTH, PET1,
                  PET2, CHIP, "Jet Balie", "Lab Noord"):
        assert value not in text, value
    erase_rows = [r for r in log if r[0] == "erase"]
    assert len(erase_rows) == 1
    assert json.loads(erase_rows[0][1]) == [s.number]
    details = json.loads(erase_rows[0][2])
    assert details["pets"] == 2 and details["kept_invoices_claim"] == 1
    assert all(isinstance(v, int) or v == "passport" for v in details.values())
    r = vet.ok("audit", "verify", "--json")
    assert r.json()["ok"] is True


def test_ledger_holds_only_number_and_time_mode_0600(vet):
    s = seed(vet)
    ledger = Path(str(vet.db) + ".erasures")
    result = run_erase(vet, s.number)
    assert result.ledger_path == ledger
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    lines = ledger.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert {k: entry[k] for k in ("v", "event", "client_number", "erased_at")} == {
        "v": 2, "event": "erase", "client_number": s.number, "erased_at": result.erased_at}
    assert set(entry) == {"v", "event", "client_number", "erased_at", "anchor", "prev", "mac"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["erased_at"])
    assert entry["erased_at"][:10] == vet.sql("SELECT date(erased_at) FROM erasure")[0][0]
    # Appending: a second erasure adds a line; a loosened mode is tightened again.
    os.chmod(ledger, 0o644)
    run_erase(vet, s.other)
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600
    numbers = [e["client_number"] for e in read_ledger(ledger)]
    assert numbers == [s.number, s.other]


def test_ledger_failure_stops_the_erasure(vet):
    s = seed(vet)
    blocked = vet.dir / "ledger-dir"
    blocked.mkdir()
    with pytest.raises(LedgerError, match="nothing was changed"):
        run_erase(vet, s.number, ledger_path=blocked)
    # Write-ahead: without its ledger line the erasure does not commit.
    assert vet.sql("SELECT count(*) FROM client WHERE number = ?", (s.number,)) == [(1,)]
    assert vet.sql("SELECT client_number FROM erasure") == []
