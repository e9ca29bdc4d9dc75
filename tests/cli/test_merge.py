"""``vetcards client merge KEEP DUPLICATE`` (SPEC §3), through the CLI on a real encrypted file."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

TODAY = date.today()
KEEP_NAME, DUP_NAME = "Anna Jansen", "A. Jansen-de Vries"
DUP_STREET, DUP_PHONE, DUP_EMAIL, DUP_BIRTH = "Kerkweg 5", "06 12345678", "anna@example.nl", "1980-04-01"
LAB = "Laboratorium (generiek)"
SNAPSHOT = ("number, kind, status, pet_id, invoice_date, customer_name, customer_street, customer_postcode, "
            "customer_city, customer_birth_date, supplier_name, supplier_address, supplier_vat_number, "
            "net_cents, vat_cents, gross_cents, restricted")


@dataclass
class Seed:
    keep: str
    dup: str
    keep_id: int
    dup_id: int
    keep_pet: str
    dup_pet: str
    invoices: list[str]
    request_id: int


def cid(vet, number: str) -> int:
    return vet.sql("SELECT id FROM client WHERE number = ?", (number,))[0][0]


def seed(vet) -> Seed:
    """A kept card with one pet, and a duplicate with everything a card can have."""
    vet.set_practice()
    keep = vet.add_client(KEEP_NAME)
    dup = vet.add_client(DUP_NAME, street=DUP_STREET, postcode="3511 AB", phone=DUP_PHONE,
                         email=DUP_EMAIL, birth_date=DUP_BIRTH, reminders=True)
    keep_pet = vet.add_pet(keep, "Minoes", "cat")
    p = vet.add_pet(dup, "Bello", weight="12,5", chip="528140000012345")
    vet.ok("visit", "add", p, "--reason", "Controle", "--date", (TODAY - timedelta(days=10)).isoformat())
    vet.ok("vaccinate", p, "--vaccine", "Nobivac", "--next-due", (TODAY + timedelta(days=300)).isoformat())
    vet.ok("medicine", p, "--product", "Metacam", "--batch", "MB1", "--quantity", "10 ml", "--vet", "Dr. Vos")
    vet.ok("consent", "give", dup, "--purpose", "lab")
    vet.ok("disclose", dup, "--to", LAB, "--categories", "naw,animal", "--pet", p)
    paid = vet.ok("invoice", "create", dup, "--pet", p, "--line", "Consult;1;45,00", "--payment", "pin",
                  "--json").json()["number"]
    open_ = vet.ok("invoice", "create", dup, "--line", "Voer;1;10,00;9", "--payment", "account",
                   "--json").json()["number"]
    vet.ok("invoice", "pay", open_, "--amount", "5,00")
    req = vet.ok("request", "add", dup, "--type", "access", "--received", TODAY.isoformat(), "--json").json()
    return Seed(keep, dup, cid(vet, keep), cid(vet, dup), keep_pet, p, [paid, open_], req["id"])


def audit_count(vet) -> int:
    return vet.sql("SELECT count(*) FROM audit_log")[0][0]


def test_merge_moves_everything_and_keeps_invoice_snapshots(vet):
    s = seed(vet)
    snapshots = vet.sql(f"SELECT {SNAPSHOT} FROM invoice ORDER BY id")
    before = vet.counts()

    out = vet.ok("client", "merge", s.keep, s.dup, "--yes", "--json").json()

    assert out["id"] == s.keep_id and out["number"] == s.keep and out["duplicate"] == s.dup
    assert out["moved"] == {"pets": 1, "weights": 1, "visits": 1, "vaccinations": 1, "medicine_records": 1,
                            "invoices": 2, "payments": 2, "consents": 3, "disclosures": 1, "requests": 1}
    assert out["filled"] == ["phone", "email", "birth_date"] and out["merged"] is True
    assert out["current_consents"] == ["care", "lab", "reminders"]
    # Only the duplicate's card is gone (and one audit entry added); no row of anything else.
    after = vet.counts()
    assert after == {**before, "client": before["client"] - 1, "audit_log": before["audit_log"] + 1}
    assert vet.sql("SELECT count(*) FROM client WHERE number = ?", (s.dup,)) == [(0,)]
    for table in ("pet", "invoice", "medicine_record", "consent", "disclosure"):
        assert vet.sql(f"SELECT count(*) FROM {table} WHERE client_id = ?", (s.dup_id,)) == [(0,)], table
    assert vet.sql("SELECT DISTINCT client_number FROM subject_request") == [(s.keep,)]
    assert vet.sql("SELECT DISTINCT client_id FROM invoice") == [(s.keep_id,)]
    # Issued invoices: the snapshot is exactly as it was (the duplicate's name and address).
    assert vet.sql(f"SELECT {SNAPSHOT} FROM invoice ORDER BY id") == snapshots
    assert {r[0] for r in vet.sql("SELECT customer_name FROM invoice")} == {DUP_NAME}

    card = vet.ok("client", "show", s.keep, "--format", "json").json()
    # The kept card's own details stay; only its empty fields were filled.
    assert (card["name"], card["street"]) == (KEEP_NAME, "Dorpsstraat 1")
    assert (card["phone"], card["email"], card["birth_date"]) == ("+31612345678", DUP_EMAIL, DUP_BIRTH)
    assert [p["number"] for p in card["pets"]] == [s.keep_pet, s.dup_pet]
    assert sorted(c["purpose"] for c in card["consents"]) == ["care", "care", "lab", "reminders"]
    assert {x["reference"] for x in card["services"] if x["kind"] == "invoice"} == set(s.invoices)
    assert [x["description"] for x in card["services"] if x["kind"] == "visit"] == ["Controle"]
    assert vet.run("client", "show", s.dup).exit_code == 1
    assert vet.ok("pet", "show", s.dup_pet, "--format", "json").json()["client"] == s.keep
    assert {i["number"] for i in vet.ok("invoice", "list", "--client", s.keep, "--format", "json").json()} \
        == set(s.invoices)

    # The export of the kept card holds it all, and closes the request made under the old number.
    doc = json.loads(vet.ok("export", s.keep, "--out", "-", "--request", str(s.request_id)).stdout)
    assert doc["client"]["number"] == s.keep
    assert [p["number"] for p in doc["pets"]] == [s.keep_pet, s.dup_pet]
    assert [i["number"] for i in doc["invoices"]] == s.invoices
    assert sum(len(i["payments"]) for i in doc["invoices"]) == 2
    assert [d["recipient"]["name"] for d in doc["disclosures"]] == [LAB]
    assert [m["product"] for m in doc["medicine_records"]] == ["Metacam"]
    assert [r["type"] for r in doc["requests"]] == ["access"]
    assert vet.sql("SELECT closed_on FROM subject_request") == [(TODAY.isoformat(),)]

    # Audited with both numbers and counts, never a name or other value.
    entry = vet.ok("audit", "show", "--action", "client.merge", "--format", "json").json()
    assert len(entry) == 1
    ids, details = entry[0]["entity_ids"], entry[0]["details"]
    ids = json.loads(ids) if isinstance(ids, str) else ids
    details = json.loads(details) if isinstance(details, str) else details
    assert ids == [s.keep, s.dup]
    assert details == {**out["moved"], "filled": ["phone", "email", "birth_date"], "consents_closed": 0}
    text = json.dumps(entry)
    for value in (KEEP_NAME, DUP_NAME, "Jansen", DUP_STREET, "612345678", DUP_EMAIL, DUP_BIRTH, "Bello"):
        assert value not in text, value
    assert vet.ok("audit", "verify").exit_code == 0
    # The duplicate's number is not given out again.
    new = vet.add_client("Piet Bakker")
    assert new not in (s.keep, s.dup) and int(new[1:]) > int(s.dup[1:])


def test_kept_card_fields_are_not_overwritten(vet):
    keep = vet.add_client(KEEP_NAME, phone="06 11111111")
    dup = vet.add_client(DUP_NAME, street=DUP_STREET, phone=DUP_PHONE, email=DUP_EMAIL)
    out = vet.ok("client", "merge", keep, dup, "--yes", "--json").json()
    assert out["filled"] == ["email"]
    assert out["moved"]["pets"] == 0 and out["moved"]["consents"] == 1
    assert vet.sql("SELECT name, street, phone, email, birth_date FROM client") == [
        (KEEP_NAME, "Dorpsstraat 1", "+31611111111", DUP_EMAIL, None)]


def test_merge_by_numeric_id_and_human_output(vet):
    keep = vet.add_client(KEEP_NAME)
    dup = vet.add_client(DUP_NAME)
    vet.add_pet(dup)
    r = vet.ok("client", "merge", str(cid(vet, keep)), str(cid(vet, dup)), "--yes")
    assert r.stdout == ""
    assert f"client {dup} merged into {keep}: pets: 1, consents: 1 moved" in r.stderr
    assert KEEP_NAME not in r.stderr and DUP_NAME not in r.stderr


def test_last_activity_of_the_kept_client_moves(vet):
    keep = vet.add_client(KEEP_NAME)
    dup = vet.add_client(DUP_NAME)
    # Both cards last touched long ago (the database is written directly, as time would).
    import sqlcipher3

    conn = sqlcipher3.connect(str(vet.db))
    conn.execute(f"PRAGMA key = \"x'{vet.key_file.read_text().strip()}'\"")
    conn.execute("UPDATE client SET created_at = '2016-03-01 10:00:00', updated_at = '2016-03-01 10:00:00'")
    conn.commit()
    conn.close()
    assert vet.ok("client", "show", keep, "--format", "json").json()["last_activity"] == "2016-03-01"

    vet.ok("client", "merge", keep, dup, "--yes")

    card = vet.ok("client", "show", keep, "--format", "json").json()
    assert card["last_activity"] == TODAY.isoformat()
    assert card["created_on"] == "2016-03-01"


def test_every_refusal_writes_nothing(vet):
    vet.set_practice()
    keep = vet.add_client(KEEP_NAME)
    dup = vet.add_client(DUP_NAME, birth_date=DUP_BIRTH)
    vet.add_pet(dup)
    held = vet.add_client("Cor Held")
    vet.ok("client", "hold", held, "--reason", "beslag rechtbank")
    # A restricted card: erased while an invoice on account is unpaid (claim hold).
    gone = vet.add_client("Rien Strikt", birth_date=DUP_BIRTH)
    vet.ok("invoice", "create", gone, "--line", "Consult;1;45,00", "--payment", "account")
    vet.ok("erase", gone, "--verified-by", "Jet", "--id-document", "passport", "--yes")
    assert vet.sql("SELECT restricted FROM client WHERE number = ?", (gone,)) == [(1,)]
    counts, entries = vet.counts(), audit_count(vet)
    snapshot = vet.sql("SELECT * FROM client ORDER BY id")

    cases = [
        ((keep, keep), 1, "DUPLICATE: must be another client than KEEP"),
        ((keep, str(cid(vet, keep))), 1, "DUPLICATE: must be another client than KEEP"),
        ((keep, "K999999"), 1, "client K999999 not found"),
        (("K999999", dup), 1, "client K999999 not found"),
        ((keep, "Anna Jansen"), 1, "not found"),
        ((keep, held), 1, f"client {held} is under a manual legal hold: lift it first"),
        ((keep, gone), 1, f"client {gone} is restricted"),
        ((gone, dup), 1, f"client {gone} is restricted"),
    ]
    for args, code, message in cases:
        r = vet.run("client", "merge", *args, "--yes")
        assert r.exit_code == code, (args, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        for secret in ("beslag", "Anna Jansen", "Rien"):
            assert secret not in r.stderr, (args, r.stderr)
    # Not on a terminal and no --yes: exit 2, nothing merged.
    r = vet.run("client", "merge", keep, dup, input="y\n")
    assert r.exit_code == 2
    assert "--yes" in r.stderr and "nothing was merged" in r.stderr
    assert vet.counts() == counts and audit_count(vet) == entries
    assert vet.sql("SELECT * FROM client ORDER BY id") == snapshot
    # A legal hold on the kept card is no obstacle: nothing of it is deleted.
    out = vet.ok("client", "merge", held, dup, "--yes", "--json").json()
    assert out["moved"]["pets"] == 1
    assert vet.sql("SELECT legal_hold_reason FROM client WHERE number = ?", (held,)) == [("beslag rechtbank",)]


def test_withdrawal_on_either_card_is_honoured(vet):
    # The kept card's reminders consent was given before the person withdrew it
    # under the duplicate's number: after the merge it is no longer current.
    keep = vet.add_client(KEEP_NAME, reminders=True)
    dup = vet.add_client(DUP_NAME)
    vet.ok("consent", "give", dup, "--purpose", "reminders", "--date", (TODAY - timedelta(days=30)).isoformat())
    vet.ok("consent", "withdraw", dup, "--purpose", "reminders")
    out = vet.ok("client", "merge", keep, dup, "--yes", "--json").json()
    assert out["consents_closed"] == 1 and out["current_consents"] == ["care"]
    rows = vet.ok("consent", "list", keep, "--purpose", "reminders", "--format", "json").json()
    assert len(rows) == 2 and not any(r["current"] for r in rows)
    assert {r["withdrawn_on"] for r in rows} == {TODAY.isoformat()}


def test_consent_given_after_a_withdrawal_stays_current(vet):
    keep = vet.add_client(KEEP_NAME)
    dup = vet.add_client(DUP_NAME)
    vet.ok("consent", "give", dup, "--purpose", "reminders", "--date", (TODAY - timedelta(days=60)).isoformat())
    vet.ok("consent", "withdraw", dup, "--purpose", "reminders", "--date",
           (TODAY - timedelta(days=50)).isoformat())
    vet.ok("consent", "give", keep, "--purpose", "reminders")
    out = vet.ok("client", "merge", keep, dup, "--yes", "--json").json()
    assert out["consents_closed"] == 0 and out["current_consents"] == ["care", "reminders"]


def test_two_open_consents_are_withdrawn_with_one_command(vet):
    keep = vet.add_client(KEEP_NAME, reminders=True)
    dup = vet.add_client(DUP_NAME, reminders=True)
    vet.ok("client", "merge", keep, dup, "--yes")
    assert vet.sql("SELECT count(*) FROM consent WHERE purpose = 'reminders' AND withdrawn_on IS NULL") == [(2,)]
    vet.ok("consent", "withdraw", keep, "--purpose", "reminders")
    rows = vet.ok("consent", "list", keep, "--purpose", "reminders", "--format", "json").json()
    assert len(rows) == 2 and not any(r["current"] for r in rows)
    assert vet.sql("SELECT count(*) FROM consent WHERE purpose = 'reminders' AND withdrawn_on IS NULL") == [(0,)]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_on_a_terminal_merge_shows_counts_and_asks(vet):
    keep = vet.add_client(KEEP_NAME)
    dup = vet.add_client(DUP_NAME)
    vet.add_pet(dup)
    counts = vet.counts()
    code, out = vet.run_on_tty(["client", "merge", keep, dup], "n")
    assert f"Merge client {dup} into client {keep}:" in out
    assert "pets: 1, consents: 1" in out
    assert f"Merge client {dup} into {keep}? This cannot be undone" in out
    assert code != 0
    assert vet.counts() == counts
    code, out = vet.run_on_tty(["client", "merge", keep, dup], "y")
    assert code == 0, out
    assert f"client {dup} merged into {keep}" in out
    assert vet.sql("SELECT count(*) FROM client WHERE number = ?", (dup,)) == [(0,)]
