"""End to end: corrections in the medical record, pet remove, pet move (SPEC §9, issue 13 point 2)."""

from __future__ import annotations

import pytest


@pytest.fixture
def pet(vet):
    k = vet.add_client("Anna Jansen", reminders=True)
    return k, vet.add_pet(k, "Bello", birth_date="2015-03-01")


def _record(vet, p):
    return vet.ok("pet", "show", p, "--format", "json").json()["record"]


def _backdate(vet):
    """Cards and records made long ago: only a void or correction can be the last activity."""
    for sql in ("UPDATE client SET created_at = '2010-01-01 00:00:00', updated_at = '2010-01-01 00:00:00'",
                "UPDATE pet SET created_at = '2010-01-01 00:00:00', updated_at = '2010-01-01 00:00:00'"):
        vet.sql_write(sql)


def test_a_voided_vaccination_makes_no_recall(vet, pet):
    k, p = pet
    vid = vet.ok("vaccinate", p, "--vaccine", "Nobivac L4", "--date", "2023-01-01", "--next-due", "2024-01-01",
                 "--json").json()["id"]
    assert "Bello" in vet.ok("reminders", "export", "--due-before", "2026-01-01", "--dry-run").stdout
    r = vet.ok("record", "void", "vaccination", str(vid), "--reason", "booked on the wrong animal", "--json").json()
    assert r["id"] == r["voided"] == vid and r["pet"] == p and r["kind"] == "vaccination"
    assert "Bello" not in vet.ok("reminders", "export", "--due-before", "2026-01-01", "--dry-run").stdout
    entry = _record(vet, p)[0]
    assert entry["id"] == vid and entry["void_reason"] == "booked on the wrong animal"
    assert entry["voided_at"] and entry["status"] == "voided: booked on the wrong animal"
    # audited by ids, never the reason text
    rows = vet.sql("SELECT entity_ids, coalesce(details, '') FROM audit_log WHERE action = 'vaccination.void'")
    assert len(rows) == 1 and str(vid) in rows[0][0] and "wrong animal" not in "".join(rows[0])


def test_a_corrected_vaccination_recalls_on_the_new_date(vet, pet):
    _, p = pet
    vid = vet.ok("vaccinate", p, "--vaccine", "Nobivac L4", "--date", "2023-01-01", "--next-due", "2024-01-01",
                 "--json").json()["id"]
    r = vet.ok("record", "correct", "vaccination", str(vid), "--next-due", "2027-01-01", "--why", "typo in due date",
               "--json").json()
    assert r["corrects"] == vid and r["voided"] == vid and r["id"] != vid and r["changed"] == ["next_due"]
    assert "Bello" not in vet.ok("reminders", "export", "--due-before", "2026-01-01", "--dry-run").stdout
    assert "Bello" in vet.ok("reminders", "export", "--due-before", "2028-01-01", "--dry-run").stdout
    old, new = _record(vet, p)
    assert (old["id"], old["status"]) == (vid, f"corrected by {r['id']}: typo in due date")
    assert (new["id"], new["corrects_id"], new["status"], new["voided_at"]) == (r["id"], vid, f"corrects {vid}", None)
    assert "next due 2027-01-01" in new["details"]


def test_pet_show_prints_ids_and_status_for_people(vet, pet):
    _, p = pet
    v = vet.ok("visit", "add", p, "--date", "2024-01-15", "--reason", "limping", "--vet", "Dr. A", "--json").json()
    vet.ok("record", "correct", "visit", str(v["id"]), "--diagnosis", "sprain", "--why", "diagnosis forgotten")
    plain = vet.ok("pet", "show", p, "--format", "plain").stdout
    assert f"corrected by {v['id'] + 1}: diagnosis forgotten" in plain and f"corrects {v['id']}" in plain
    table = vet.ok("pet", "show", p, "--format", "table", env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in table.splitlines()) <= 80 and "status" in table


def test_a_medicine_record_is_corrected_by_the_kind_shown(vet, pet):
    _, p = pet
    m = vet.ok("medicine", p, "--product", "Metacam", "--batch", "K1", "--quantity", "10 ml", "--vet", "Dr. A",
               "--json").json()["id"]
    r = vet.ok("record", "correct", "administered", str(m), "--quantity", "5 ml", "--dispensed", "--why", "half",
               "--json").json()
    new = _record(vet, p)[-1]
    assert (new["id"], new["kind"], new["corrects_id"]) == (r["id"], "dispensed", m)
    assert "quantity 5 ml" in new["details"]
    assert r["changed"] == ["dispensed", "quantity"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (["record", "void", "visit", "{v}", "--reason", ""], 1, "error: --reason: is required"),
    (["record", "void", "visit", "{v}", "--reason", "bad\u202ereason"], 1, "error: --reason: must not contain"),
    (["record", "void", "visit", "{v}"], 2, "--reason"),
    (["record", "correct", "visit", "{v}", "--vet", "Dr. B"], 2, "--why"),
    (["record", "correct", "visit", "{v}", "--vaccine", "X", "--why", "w"], 1,
     "error: --vaccine: does not apply to a visit"),
    (["record", "correct", "visit", "{v}", "--why", "w"], 1, "error: record correct: give at least one field"),
    (["record", "void", "weight", "{v}", "--reason", "r"], 1, "error: KIND: must be visit, vaccination or medicine"),
    (["record", "void", "visit", "Bello", "--reason", "r"], 1, "error: ID: must be the record's id"),
    (["record", "void", "visit", "999", "--reason", "r"], 1, "error: visit 999 not found"),
    (["record", "void", "vaccination", "{v}", "--reason", "r"], 1, "error: vaccination {v} not found"),
])
def test_bad_corrections_are_one_line_and_write_nothing(vet, pet, args, code, message):
    _, p = pet
    v = str(vet.ok("visit", "add", p, "--reason", "limping", "--json").json()["id"])
    before = vet.counts()
    r = vet.run(*[a.format(v=v) for a in args])
    assert r.exit_code == code, r.stderr
    assert message.format(v=v) in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr and vet.counts() == before
    assert vet.sql("SELECT count(*) FROM visit WHERE voided_at IS NOT NULL") == [(0,)]


def test_void_twice_and_correct_a_voided_record_are_refused(vet, pet):
    _, p = pet
    v = str(vet.ok("visit", "add", p, "--reason", "limping", "--json").json()["id"])
    vet.ok("record", "void", "visit", v, "--reason", "wrong pet")
    for args in (["void", "visit", v, "--reason", "again"], ["correct", "visit", v, "--vet", "X", "--why", "w"]):
        r = vet.run("record", *args)
        assert r.exit_code == 1 and f"visit {v} is already voided" in r.stderr
    assert vet.sql("SELECT void_reason FROM visit") == [("wrong pet",)]


def test_records_of_an_erased_client_cannot_be_corrected(vet, pet):
    k, p = pet
    v = str(vet.ok("visit", "add", p, "--reason", "limping", "--json").json()["id"])
    vet.sql_write("UPDATE client SET restricted = 1 WHERE number = ?", (k,))
    r = vet.run("record", "void", "visit", v, "--reason", "r")
    assert r.exit_code == 1 and f"visit {v} not found" in r.stderr


@pytest.mark.parametrize("kind", ["visit", "vaccination", "medicine"])
def test_a_void_is_activity_of_the_owner(vet, pet, kind):
    k, p = pet
    add = {"visit": ["visit", "add", p, "--reason", "x"],
           "vaccination": ["vaccinate", p, "--vaccine", "x"],
           "medicine": ["medicine", p, "--product", "M", "--batch", "B", "--quantity", "1", "--vet", "V"]}[kind]
    rid = vet.ok(*add, "--date", "2016-01-01", "--json").json()["id"]
    _backdate(vet)
    assert vet.ok("client", "show", k, "--format", "json").json()["last_activity"] == "2016-01-01"
    vet.ok("record", "void", kind, str(rid), "--reason", "mistake")
    today = vet.sql("SELECT date(voided_at) FROM {} WHERE id = ?".format(
        "medicine_record" if kind == "medicine" else kind), (rid,))[0][0]
    assert vet.ok("client", "show", k, "--format", "json").json()["last_activity"] == today


# --------------------------------------------------------------------------
# pet remove / pet move
# --------------------------------------------------------------------------


def test_pet_remove_needs_yes_in_a_script_and_removes_a_pet_without_records(vet):
    k = vet.add_client()
    p = vet.add_pet(k, weight="4,2")
    r = vet.run("pet", "remove", p)
    assert r.exit_code == 2 and "pet remove needs --yes" in r.stderr
    assert vet.sql("SELECT count(*) FROM pet") == [(1,)]
    r = vet.ok("pet", "remove", p, "--yes", "--json").json()
    assert r["removed"] == p and r["client"] == k and isinstance(r["id"], int)
    assert vet.sql("SELECT count(*) FROM pet") == [(0,)] and vet.sql("SELECT count(*) FROM weight") == [(0,)]
    assert vet.run("pet", "show", p).exit_code == 1
    ids = vet.sql("SELECT entity_ids FROM audit_log WHERE action = 'pet.remove'")
    assert len(ids) == 1 and p in ids[0][0] and k in ids[0][0]
    assert vet.add_pet(k, "Max") != p  # the number is not given out again


def test_pet_remove_refuses_a_pet_with_records_and_names_them(vet, pet):
    k, p = pet
    vid = vet.ok("vaccinate", p, "--vaccine", "x", "--json").json()["id"]
    vet.ok("record", "void", "vaccination", str(vid), "--reason", "wrong animal")
    vet.ok("pet", "weigh", p, "12")
    before = vet.counts()
    r = vet.run("pet", "remove", p, "--yes")
    assert r.exit_code == 1 and f"pet {p} has records (1 weight, 1 vaccination)" in r.stderr
    assert vet.counts() == before


def test_pet_remove_asks_on_a_terminal(vet):
    k = vet.add_client()
    p = vet.add_pet(k)
    code, seen = vet.run_on_tty(["pet", "remove", p], "n", prompt=b"Remove pet")
    assert code != 0 and vet.sql("SELECT count(*) FROM pet") == [(1,)]
    code, seen = vet.run_on_tty(["pet", "remove", p], "y", prompt=b"Remove pet")
    assert code == 0, seen
    assert vet.sql("SELECT count(*) FROM pet") == [(0,)]


def test_pet_move_takes_the_record_and_leaves_the_invoices(vet, pet):
    vet.set_practice()
    old, p = pet
    new = vet.add_client("Bert de Vries", postcode="4818 JA")
    inv = vet.ok("invoice", "create", old, "--pet", p, "--line", "Consult;1;45,00", "--payment", "pin",
                 "--json").json()["number"]
    vet.ok("visit", "add", p, "--reason", "limping")
    vet.ok("medicine", p, "--product", "M", "--batch", "B", "--quantity", "1", "--vet", "V")
    r = vet.run("pet", "move", p, "--to", new)
    assert r.exit_code == 2 and "pet move needs --yes" in r.stderr
    r = vet.ok("pet", "move", p, "--to", new, "--yes", "--json").json()
    assert (r["number"], r["from"], r["to"], r["medicine_records"]) == (p, old, new, 1)
    assert vet.ok("pet", "show", p, "--format", "json").json()["client"] == new
    assert len(_record(vet, p)) == 2
    assert [x["number"] for x in vet.ok("pet", "list", "--client", new, "--format", "json").json()] == [p]
    assert vet.ok("pet", "list", "--client", old, "--format", "json").json() == []
    assert vet.sql("SELECT c.number FROM invoice i JOIN client c ON c.id = i.client_id WHERE i.number = ?",
                   (inv,)) == [(old,)]
    assert vet.sql("SELECT c.number FROM medicine_record m JOIN client c ON c.id = m.client_id") == [(new,)]
    assert vet.sql("SELECT entity_ids FROM audit_log WHERE action = 'pet.move'")[0][0].count("K0000") == 2


@pytest.mark.parametrize(("to", "message"), [("{old}", "--to: pet {p} already belongs to client {old}"),
                                             ("K999999", "client K999999 not found")])
def test_pet_move_refusals(vet, pet, to, message):
    old, p = pet
    before = vet.counts()
    r = vet.run("pet", "move", p, "--to", to.format(old=old), "--yes")
    assert r.exit_code == 1 and message.format(p=p, old=old) in r.stderr
    assert vet.counts() == before


def test_pet_move_is_activity_of_both_clients(vet, pet):
    old, p = pet
    new = vet.add_client("Bert de Vries", postcode="4818 JA")
    _backdate(vet)
    vet.ok("pet", "move", p, "--to", new, "--yes")
    for k in (old, new):
        assert vet.ok("client", "show", k, "--format", "json").json()["last_activity"] != "2010-01-01"



def test_erase_keeps_a_voided_medicine_record_for_its_hold_without_the_reason(vet, pet):
    k, p = pet
    m = vet.ok("medicine", p, "--product", "M", "--batch", "B", "--quantity", "1", "--vet", "V", "--json").json()["id"]
    vet.ok("record", "void", "medicine", str(m), "--reason", "wrong owner Pietersen")
    vet.ok("erase", k, "--verified-by", "Jet Balie", "--id-document", "passport", "--yes")
    rows = vet.sql("SELECT restricted, pet_id, client_id, voided_at IS NOT NULL, void_reason FROM medicine_record")
    assert rows == [(1, None, None, 1, None)]
    assert "Pietersen" not in " ".join(str(r) for r in vet.sql("SELECT * FROM medicine_record"))


def test_the_trail_follows_the_pet_in_a_merge(vet, pet):
    dup, p = pet
    keep = vet.add_client("Anna Jansen", street="Kerkstraat 2")
    v = vet.ok("visit", "add", p, "--reason", "limping", "--json").json()["id"]
    c = vet.ok("record", "correct", "visit", str(v), "--vet", "Dr. B", "--why", "other vet", "--json").json()["id"]
    vet.ok("client", "merge", keep, dup, "--yes")
    card = vet.ok("pet", "show", p, "--format", "json").json()
    assert card["client"] == keep
    assert [(r["id"], r["corrects_id"], r["status"]) for r in card["record"]] == [
        (v, None, f"corrected by {c}: other vet"), (c, v, f"corrects {v}")]
