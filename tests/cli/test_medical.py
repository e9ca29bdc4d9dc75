"""The medical record: visits, vaccinations, medicines (issue 6, point 1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@pytest.fixture
def pet(vet):
    k = vet.add_client()
    return k, vet.add_pet(k, birth_date="2015-03-01", chip="528210000000001")


def _backdate_client(vet, k):
    """Make the card itself old, so that only record entries can be the last activity."""
    import sqlcipher3

    key = vet.key_file.read_text().strip()
    conn = sqlcipher3.connect(str(vet.db))
    conn.execute(f"PRAGMA key = \"x'{key}'\"")
    conn.execute("UPDATE client SET created_at = '2010-01-01 00:00:00', updated_at = '2010-01-01 00:00:00' "
                 "WHERE number = ?", (k,))
    conn.execute("UPDATE pet SET created_at = '2010-01-01 00:00:00', updated_at = '2010-01-01 00:00:00' "
                 "WHERE client_id = (SELECT id FROM client WHERE number = ?)", (k,))
    conn.commit()
    conn.close()


def _last_activity(vet, k):
    return vet.ok("client", "show", k, "--format", "json").json()["last_activity"]


def test_record_is_shown_in_date_order(vet, pet):
    k, p = pet
    vac = vet.ok("vaccinate", p, "--vaccine", "Nobivac L4", "--date", "01-03-2025", "--batch", "A1",
                 "--next-due", "2026-03-01", "--json").json()
    visit = vet.ok("visit", "add", p, "--date", "2024-01-15", "--reason", "limping",
                   "--findings", "swollen carpus\nno fracture", "--diagnosis", "sprain",
                   "--treatment", "rest", "--vet", "Dr. De Vries", "--json").json()
    med = vet.ok("medicine", p, "--product", "Metacam 1,5 mg/ml", "--batch", "K42", "--quantity", "10 ml",
                 "--expiry", "2030-06-30", "--vet", "Dr. De Vries", "--dispensed", "--date", "2025-01-10",
                 "--json").json()
    for r in (vac, visit, med):
        assert isinstance(r["id"], int) and r["pet"] == p
    card = vet.ok("pet", "show", p, "--format", "json").json()
    record = card["record"]
    assert [(r["date"], r["kind"]) for r in record] == [
        ("2024-01-15", "visit"), ("2025-01-10", "dispensed"), ("2025-03-01", "vaccination")]
    assert "swollen carpus\nno fracture" in record[0]["details"]
    assert record[0]["vet"] == "Dr. De Vries"
    assert "next due 2026-03-01" in record[2]["details"]
    assert "batch K42" in record[1]["details"] and "expiry 2030-06-30" in record[1]["details"]
    plain = vet.ok("pet", "show", p, "--format", "plain").stdout
    assert plain.index("limping") < plain.index("Metacam") < plain.index("Nobivac")


def test_medicine_record_keeps_client_and_leaves_owner_snapshot_empty(vet, pet):
    k, p = pet
    vet.ok("medicine", p, "--product", "Drontal", "--batch", "B7", "--quantity", "2 tablets",
           "--vet", "Dr. X")
    rows = vet.sql("SELECT m.client_id = c.id, m.owner_name, m.owner_address, m.dispensed, m.quantity, "
                   "m.record_date FROM medicine_record m, client c WHERE c.number = ?", (k,))
    assert rows == [(1, None, None, 0, "2 tablets", date.today().isoformat())]


@pytest.mark.parametrize("args", [
    ("visit", "add", "{p}", "--date", "2024-01-15", "--reason", "x", "--vet", "Dr. X"),
    ("vaccinate", "{p}", "--vaccine", "Nobivac", "--date", "2024-01-15", "--next-due", "2025-01-15"),
    ("medicine", "{p}", "--product", "Metacam", "--batch", "K", "--quantity", "1", "--vet", "Dr. X",
     "--date", "2024-01-15"),
])
def test_each_record_entry_is_activity(vet, pet, args):
    k, p = pet
    _backdate_client(vet, k)
    assert _last_activity(vet, k) == "2010-01-01"
    vet.ok(*[a.format(p=p) for a in args])
    assert _last_activity(vet, k) == "2024-01-15"


BAD_INPUT = [
    (("visit", "add", "{p}", "--reason", "x", "--date", TOMORROW), "--date"),
    (("visit", "add", "{p}", "--reason", "x", "--date", "2010-01-01"), "--date"),  # before birth
    (("visit", "add", "{p}", "--reason", "x", "--date", "31-02-2024"), "--date"),
    (("visit", "add", "{p}"), "--reason"),
    (("visit", "add", "{p}", "--reason", "two\nlines"), "--reason"),
    (("visit", "add", "{p}", "--reason", "x", "--diagnosis", "a\nb"), "--diagnosis"),
    (("visit", "add", "{p}", "--reason", "x", "--findings", "bell\x07"), "--findings"),
    (("visit", "add", "{p}", "--reason", "x", "--findings", "y" * 4001), "--findings"),
    (("visit", "add", "{p}", "--reason", "r" * 501), "--reason"),
    (("vaccinate", "{p}"), "--vaccine"),
    (("vaccinate", "{p}", "--vaccine", "Nobivac", "--date", "2024-01-01", "--next-due", "2023-12-31"), "--next-due"),
    (("vaccinate", "{p}", "--vaccine", "Nobivac", "--date", TOMORROW), "--date"),
    (("vaccinate", "{p}", "--vaccine", "Nobivac", "--next-due", "soon"), "--next-due"),
    (("medicine", "{p}", "--product", "M", "--batch", "B", "--quantity", "1"), "--vet"),
    (("medicine", "{p}", "--product", "M", "--quantity", "1", "--vet", "V"), "--batch"),
    (("medicine", "{p}", "--product", "M", "--batch", "B", "--quantity", "0", "--vet", "V"), "--quantity"),
    (("medicine", "{p}", "--product", "M", "--batch", "B", "--quantity", "some", "--vet", "V"), "--quantity"),
    (("medicine", "{p}", "--product", "M", "--batch", "B", "--quantity", "1", "--vet", "V",
      "--date", "2024-05-01", "--expiry", "2024-04-30"), "--expiry"),
    (("medicine", "{p}", "--batch", "B", "--quantity", "1", "--vet", "V"), "--product"),
]


def test_bad_input_is_one_line_and_writes_nothing(vet, pet):
    k, p = pet
    before = vet.counts()
    for args, field in BAD_INPUT:
        r = vet.run(*[a.format(p=p) for a in args])
        assert r.exit_code == (1 if field in args else 2), (args, r.stderr)
        assert r.stderr.startswith(f"error: {field}: ") and r.stderr.count("\n") == 1, (args, r.stderr)
        assert "two" not in r.stderr and "bell" not in r.stderr
    assert vet.counts() == before


def test_next_due_and_expiry_may_be_in_the_future(vet, pet):
    k, p = pet
    future = (date.today() + timedelta(days=365)).isoformat()
    vet.ok("vaccinate", p, "--vaccine", "Nobivac", "--next-due", future)
    vet.ok("medicine", p, "--product", "M", "--batch", "B", "--quantity", "0,5 ml", "--vet", "V",
           "--expiry", future)


def test_no_vaccination_or_medicine_after_death(vet, pet):
    k, p = pet
    vet.ok("pet", "deceased", p, "--date", "2024-01-01")
    r = vet.run("vaccinate", p, "--vaccine", "Nobivac", "--date", "2024-02-01")
    assert r.exit_code == 1 and "date of death" in r.stderr
    r = vet.run("medicine", p, "--product", "M", "--batch", "B", "--quantity", "1", "--vet", "V")
    assert r.exit_code == 1 and "date of death" in r.stderr
    vet.ok("visit", "add", p, "--date", "2024-02-01", "--reason", "post-mortem")


def test_unknown_or_restricted_pet_is_not_found(vet, pet):
    k, p = pet
    r = vet.run("visit", "add", "P999999", "--reason", "x")
    assert r.exit_code == 1 and "not found" in r.stderr
    import sqlcipher3

    key = vet.key_file.read_text().strip()
    conn = sqlcipher3.connect(str(vet.db))
    conn.execute(f"PRAGMA key = \"x'{key}'\"")
    conn.execute("UPDATE client SET restricted = 1")
    conn.commit()
    conn.close()
    r = vet.run("vaccinate", p, "--vaccine", "Nobivac")
    assert r.exit_code == 1 and "not found" in r.stderr


def test_audit_has_ids_only(vet, pet):
    k, p = pet
    vet.ok("visit", "add", p, "--reason", "Secret-Reason", "--findings", "Secret-Findings", "--vet", "Dr-Secret")
    vet.ok("vaccinate", p, "--vaccine", "Secret-Vaccine", "--batch", "Secret-Batch")
    vet.ok("medicine", p, "--product", "Secret-Product", "--batch", "Secret-B", "--quantity", "1",
           "--vet", "Dr-Secret")
    entries = vet.sql("SELECT action, entity_ids, details FROM audit_log WHERE action IN "
                      "('visit.add', 'vaccination.add', 'medicine.add') ORDER BY id")
    assert [e[0] for e in entries] == ["visit.add", "vaccination.add", "medicine.add"]
    for _action, ids, details in entries:
        assert p in ids and k in ids
        assert "Secret" not in ids + details
    assert vet.ok("audit", "verify").exit_code == 0
