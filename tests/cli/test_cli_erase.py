"""``vetcards erase`` through the CLI, as a script or a person at a terminal uses it."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import tables_holding
from dateutil.relativedelta import relativedelta
from test_erasure import BIRTH, CITY, EMAIL, NAME, PET1, STREET, TODAY, add_invoice, add_medicine, pet_id, seed

ERASE = ("--verified-by", "Jet Balie", "--id-document", "passport")


def ledger(vet) -> Path:
    return Path(str(vet.db) + ".erasures")


def test_erase_json_lists_erased_kept_and_recipients(vet):
    s = seed(vet)
    p1 = pet_id(vet, s.pets[0])
    _, claim_no = add_invoice(vet, s.cid, TODAY - timedelta(days=30), "open", pet=p1)
    fiscal_day = date(TODAY.year - 2, 12, 31)
    _, fiscal_no = add_invoice(vet, s.cid, fiscal_day, "paid")
    med_day = TODAY - relativedelta(years=2)
    med = add_medicine(vet, s.cid, p1, med_day, "Metacam", "MEDB-HELD-1")

    out = vet.ok("erase", s.number, *ERASE, "--yes", "--json").json()

    assert {"erased", "kept", "notify_recipients"} <= set(out)
    assert isinstance(out["id"], int) and out["dry_run"] is False
    assert out["erased"]["pets"] == 2 and out["erased"]["client_card"] == 0
    for item in out["kept"]:
        assert {"reason", "until"} <= set(item), item
    kept = {(k["what"], k["ref"]): (k["reason"], k["until"]) for k in out["kept"]}
    assert kept == {
        ("client_card", s.number): ("claim hold", "until paid"),
        ("invoice", claim_no): ("claim hold", "until paid"),
        ("invoice", fiscal_no): ("fiscal hold", f"{fiscal_day.year + 7}-12-31"),
        ("medicine_record", str(med)): ("medicine-record hold",
                                        (med_day + relativedelta(years=5)).isoformat()),
    }
    assert [(r["name"], r["kind"]) for r in out["notify_recipients"]] == [
        ("Lab Noord", "lab"), ("NDG Huisdierenregistratie", "chip-registry")]
    # The JSON names no personal value of the client.
    text = json.dumps(out)
    for value in (NAME, STREET, BIRTH, EMAIL, PET1):
        assert value not in text


def test_erase_human_output_says_what_why_until_and_whom_to_tell(vet):
    s = seed(vet)
    _, fiscal_no = add_invoice(vet, s.cid, date(TODAY.year - 1, 5, 5), "paid")
    r = vet.ok("erase", s.number, *ERASE, "--yes")
    assert f"Client {s.number} erased" in r.stdout
    assert "pets: 2" in r.stdout and "visits: 1" in r.stdout
    assert f"invoice {fiscal_no}: fiscal hold, until {TODAY.year - 1 + 7}-12-31" in r.stdout
    assert "GDPR art. 19" in r.stdout
    assert "Lab Noord (lab)" in r.stdout and "NDG Huisdierenregistratie (chip-registry)" in r.stdout
    assert NAME not in r.stdout + r.stderr


def test_erase_removes_the_values_from_a_full_dump(vet):
    s = seed(vet)
    vet.ok("erase", s.number, *ERASE, "--yes")
    after = vet.dump()
    for value in (NAME, STREET, CITY, BIRTH, EMAIL, PET1, "528140000012345", "Kreupelheid links"):
        assert tables_holding(after, value) == set(), value
    assert vet.ok("client", "list", "--format", "json").json()[0]["number"] == s.other


def test_unknown_client_exit_1_writes_nothing(vet):
    seed(vet)
    counts = vet.counts()
    r = vet.run("erase", "K999999", *ERASE, "--yes")
    assert r.exit_code == 1
    assert r.stderr.strip() == "error: client K999999 not found"
    assert vet.counts() == counts
    assert not ledger(vet).exists()


def test_non_interactive_without_yes_refuses_exit_2_writes_nothing(vet):
    s = seed(vet)
    counts, before = vet.counts(), vet.dump()
    r = vet.run("erase", s.number, *ERASE, input="y\n")
    assert r.exit_code == 2
    assert "--yes" in r.stderr and "nothing was erased" in r.stderr
    assert vet.counts() == counts
    assert vet.dump() == before
    assert not ledger(vet).exists()


def test_dry_run_writes_nothing(vet):
    s = seed(vet)
    add_invoice(vet, s.cid, TODAY - timedelta(days=3), "open")
    counts = vet.counts()
    r = vet.ok("erase", s.number, *ERASE, "--dry-run")
    assert r.stdout.startswith("Dry run: nothing was changed.")
    assert "claim hold" in r.stdout
    assert vet.counts() == counts
    j = vet.ok("erase", s.number, *ERASE, "--dry-run", "--json").json()
    assert j["dry_run"] is True and j["id"] is None and j["erased"]["pets"] == 2
    assert vet.counts() == counts
    assert not ledger(vet).exists()


def test_legal_hold_refuses_exit_1(vet):
    s = seed(vet)
    vet.ok("client", "hold", s.number, "--reason", "beslag")
    counts = vet.counts()
    for extra in (("--yes",), ("--dry-run",)):
        r = vet.run("erase", s.number, *ERASE, *extra)
        assert r.exit_code == 1, extra
        assert "legal hold" in r.stderr
        assert "beslag" not in r.stderr
    assert vet.counts() == counts


def test_id_document_with_digits_refused_and_not_echoed(vet):
    s = seed(vet)
    counts = vet.counts()
    r = vet.run("erase", s.number, "--verified-by", "Jet", "--id-document", "NX4711PQ", "--yes")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: --id-document: give the document type only, never its number")
    assert "4711" not in r.stderr
    assert vet.counts() == counts
    r = vet.run("erase", s.number, "--verified-by", "Jet", "--yes")
    assert r.exit_code == 2  # a required option is missing
    assert vet.counts() == counts


def test_ledger_after_cli_erase(vet):
    s = seed(vet)
    out = vet.ok("erase", s.number, *ERASE, "--yes", "--json").json()
    assert oct(ledger(vet).stat().st_mode & 0o777) == "0o600"
    assert [{k: v for k, v in json.loads(x).items() if k not in ("anchor", "prev", "mac")}
            for x in ledger(vet).read_text().splitlines()] == [
        {"v": 2, "event": "erase", "client_number": s.number, "erased_at": out["erased_at"]}]
    # Gone now: a second erase finds nothing.
    assert vet.run("erase", s.number, *ERASE, "--yes").exit_code == 1


def test_erase_request_closes_the_erasure_request(vet):
    s = seed(vet)
    access = vet.ok("request", "add", s.number, "--type", "access", "--received",
                    TODAY.isoformat(), "--json").json()["id"]
    other = vet.ok("request", "add", s.other, "--type", "erasure", "--received",
                   TODAY.isoformat(), "--json").json()["id"]
    req = vet.ok("request", "add", s.number, "--type", "erasure", "--received",
                 (TODAY - timedelta(days=3)).isoformat(), "--json").json()["id"]
    counts = vet.counts()
    # A request of another type or another client is refused; nothing written.
    for bad in (access, other, 999):
        r = vet.run("erase", s.number, *ERASE, "--yes", "--request", str(bad))
        assert r.exit_code == 1, bad
        assert r.stderr.startswith("error: --request")
    assert vet.counts() == counts
    # A dry run names the request but leaves it open.
    assert vet.ok("erase", s.number, *ERASE, "--dry-run", "--json", "--request", str(req)).json()["request"] == req
    assert vet.sql("SELECT closed_on FROM subject_request WHERE id = ?", (req,)) == [(None,)]
    out = vet.ok("erase", s.number, *ERASE, "--yes", "--json", "--request", str(req)).json()
    assert out["request"] == req
    assert vet.sql("SELECT closed_on FROM subject_request WHERE id = ?", (req,)) == [(date.today().isoformat(),)]
    listed = {r["id"]: r["status"] for r in vet.ok("request", "list", "--format", "json").json()}
    assert listed[req] == "closed" and listed[access] == "open"
    audit = vet.sql("SELECT details FROM audit_log WHERE action = 'erase'")
    assert json.loads(audit[0][0])["request"] == req


# --------------------------------------------------------------------------
# At a terminal: the confirmation prompt (a real pseudo-terminal, a real process)
# --------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_on_a_terminal_erase_asks_and_no_changes_nothing(vet):
    s = seed(vet)
    counts = vet.counts()
    code, out = vet.run_on_tty(["erase", s.number, *ERASE], "n")
    assert "Plan for client" in out and f"Erase client {s.number}?" in out
    assert code != 0
    assert vet.counts() == counts
    code, out = vet.run_on_tty(["erase", s.number, *ERASE], "y")
    assert code == 0, out
    assert f"Client {s.number} erased" in out
    assert vet.sql("SELECT count(*) FROM client WHERE number = ?", (s.number,)) == [(0,)]


def test_lifecycle_all_through_the_cli_erase_pay_purge(vet):
    """Real records from the real commands; then erase, the claim is paid, the purge ends it."""
    vet.ok("practice", "set", "--name", "Dierenkliniek De Linde", "--street", "Laan 1",
           "--postcode", "1234 AB", "--city", "Utrecht", "--btw", "NL000099998B57")
    k = vet.add_client(NAME, street=STREET, postcode="9876 ZX", city=CITY, phone="06 11223344",
                       email=EMAIL, birth_date=BIRTH, reminders=True)
    p = vet.add_pet(k, PET1, chip="528140000012345", weight="3")
    vet.ok("visit", "add", p, "--reason", "Kreupelheid links", "--findings", "Zwelling pootkussen",
           "--vet", "Dr. Vos")
    vet.ok("vaccinate", p, "--vaccine", "Nobivac", "--batch", "VACBATCH77", "--next-due",
           (TODAY + timedelta(days=300)).isoformat())
    vet.ok("medicine", p, "--product", "Metacam", "--batch", "MEDB1", "--quantity", "10 ml",
           "--vet", "Dr. Vos")
    vet.ok("consent", "give", k, "--purpose", "lab")
    vet.ok("disclose", k, "--to", "Laboratorium (generiek)", "--categories", "naw,animal", "--pet", p)
    open_no = vet.ok("invoice", "create", k, "--pet", p, "--line", "Consult;1;45,00",
                     "--payment", "account", "--json").json()["number"]
    paid_no = vet.ok("invoice", "create", k, "--line", "Voer;2;10,00;9", "--payment", "pin",
                     "--json").json()["number"]

    out = vet.ok("erase", k, *ERASE, "--yes", "--json").json()

    assert {(i["what"], i["ref"], i["reason"]) for i in out["kept"]} == {
        ("client_card", k, "claim hold"), ("invoice", open_no, "claim hold"),
        ("invoice", paid_no, "fiscal hold"), ("medicine_record", "1", "medicine-record hold")}
    assert [r["name"] for r in out["notify_recipients"]] == ["Laboratorium (generiek)"]
    after = vet.dump()
    for value in ("+31611223344", EMAIL, PET1, "528140000012345", "Kreupelheid links",
                  "Zwelling pootkussen", "VACBATCH77"):
        assert tables_holding(after, value) == set(), value
    assert tables_holding(after, BIRTH) == {"client", "invoice"}
    # Restricted: not in the lists.
    assert vet.ok("client", "list", "--format", "json").json() == []
    # The claim is still workable: the payment is booked, then the purge ends the hold.
    vet.ok("invoice", "pay", open_no, "--amount", "54,45")
    purge = vet.ok("purge", "--json").json()
    assert purge["purged_clients"] == 1
    after = vet.dump()
    assert tables_holding(after, BIRTH) == set()
    assert tables_holding(after, NAME) == {"invoice", "medicine_record"}
    assert vet.sql("SELECT count(*) FROM invoice WHERE client_id IS NULL AND restricted = 1") == [(2,)]
