"""Recipients register, disclosure log, reminder cards, chip registration,
referrals and ad-hoc disclosures (issue 6, points 3-7, 11)."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import stat
import time
from datetime import date, timedelta

import pytest

from vetcards.reminders import COLUMNS
from vetcards.vocab import label

TODAY = date.today()
SEEDED_KINDS = {"lab", "pharmacy", "printer", "chip-registry"}


def _write_sql(vet, sql, params=()):
    import sqlcipher3

    key = vet.key_file.read_text().strip()
    conn = sqlcipher3.connect(str(vet.db))
    try:
        conn.execute(f"PRAGMA key = \"x'{key}'\"")
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def _disclosures(vet):
    return vet.sql("SELECT d.client_id, r.kind, d.pet_id, d.disclosed_on, d.categories, d.basis, d.consent_id, "
                   "d.at_client_request FROM disclosure d JOIN recipient r ON r.id = d.recipient_id ORDER BY d.id")


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# --------------------------------------------------------------------------
# Migration and the seeded register
# --------------------------------------------------------------------------


def test_new_database_has_the_seeded_recipients(vet):
    rows = vet.ok("recipient", "list", "--format", "json").json()
    assert {r["kind"] for r in rows} == SEEDED_KINDS
    by_kind = {r["kind"]: r for r in rows}
    assert by_kind["printer"]["categories"] == "naw,animal,recall"
    assert by_kind["printer"]["needs_consent"] == "reminders"
    assert by_kind["chip-registry"]["needs_consent"] == "chip-registration"
    assert all("generiek" in r["name"] or "NDG" in r["name"] for r in rows)


def test_database_at_0001_is_upgraded_to_head_on_open(tmp_path):
    from vetcards import db as dbmod
    from vetcards.keys import write_new_key_file
    from vetcards.migrate import head_revision, upgrade

    assert head_revision() == dbmod.SCHEMA_HEAD
    key = write_new_key_file(tmp_path / "k.key")
    path = tmp_path / "old.db"
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    engine = dbmod._make_engine(path, key, write=True)
    upgrade(engine, "0001")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0001"
        assert conn.exec_driver_sql("SELECT count(*) FROM recipient").scalar() == 0
        conn.rollback()
    engine.dispose()
    db = dbmod.open_database(path, key)
    try:
        with db.unit() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == dbmod.SCHEMA_HEAD
            kinds = {r[0] for r in conn.exec_driver_sql("SELECT kind FROM recipient")}
            assert kinds == SEEDED_KINDS
    finally:
        db.close()


# --------------------------------------------------------------------------
# Recipients register
# --------------------------------------------------------------------------


def test_recipient_add_and_list(vet):
    r = vet.ok("recipient", "add", "--name", "Dierenkliniek Specialisten BV", "--kind", "specialist",
               "--agreement-date", "15-01-2026", "--categories", "naw, contact,animal,record",
               "--json").json()
    assert isinstance(r["id"], int) and r["categories"] == "naw,contact,animal,record"
    rows = vet.ok("recipient", "list", "--kind", "specialist", "--format", "json").json()
    assert rows == [{"id": r["id"], "name": "Dierenkliniek Specialisten BV", "kind": "specialist",
                     "agreement_date": "2026-01-15", "categories": "naw,contact,animal,record",
                     "needs_consent": None}]
    audit = vet.sql("SELECT entity_ids, details FROM audit_log WHERE action = 'recipient.add'")
    assert audit and "Dierenkliniek" not in audit[0][0] + audit[0][1]


RECIPIENT_REFUSALS = [
    (("--kind", "lab", "--categories", "naw"), "--name"),
    (("--name", "X", "--kind", "bakery", "--categories", "naw"), "--kind"),
    (("--name", "X", "--kind", "lab"), "--categories"),
    (("--name", "X", "--kind", "lab", "--categories", "naw,dna"), "--categories"),
    (("--name", "X", "--kind", "lab", "--categories", "naw", "--needs-consent", "marketing"), "--needs-consent"),
    (("--name", "X", "--kind", "lab", "--categories", "naw",
      "--agreement-date", (TODAY + timedelta(days=3)).isoformat()), "--agreement-date"),
    (("--name", "laboratorium (GENERIEK)", "--kind", "lab", "--categories", "naw"), "--name"),
]


def test_recipient_add_refusals(vet):
    before = vet.counts()
    for args, field in RECIPIENT_REFUSALS:
        r = vet.run("recipient", "add", *args)
        assert r.exit_code == (1 if field in args else 2) and r.stderr.startswith(f"error: {field}: "), (args, r.stderr)
    assert vet.counts() == before


# --------------------------------------------------------------------------
# Reminder cards
# --------------------------------------------------------------------------


def _generate_practice(vet, n_clients=1000, seed=6):
    """Fill the database with Core executemany; return what an independent oracle expects."""
    from sqlalchemy import text

    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    rnd = random.Random(seed)
    vaccines = ["Nobivac L4", "Nobivac DHP", "Purevax RCP", "Versifel FeLV"]
    clients, pets, consents, vaccinations = [], [], [], []
    meta = {}  # client id -> (restricted, consent_current)
    pet_meta = {}  # pet id -> (client id, name, species, deceased)
    vac_by_pet: dict[int, list] = {}
    vid = 0
    now = "2020-01-01 00:00:00.000000"
    for cid in range(1, n_clients + 1):
        restricted = rnd.random() < 0.05
        pc = f"{rnd.randint(1000, 9999)} {rnd.choice(['AB', 'CD', 'XY'])}"
        clients.append({"id": cid, "number": f"K{cid:06d}", "name": f"Client {cid:04d}",
                        "street": f"Straat {cid}", "postcode": pc, "city": "Utrecht",
                        "created_at": now, "updated_at": now, "restricted": restricted})
        state = rnd.choice(["current", "current", "withdrawn", "never", "regiven"])
        consents.append({"client_id": cid, "purpose": "care", "given_on": "2019-01-01", "withdrawn_on": None})
        if state in ("current",):
            consents.append({"client_id": cid, "purpose": "reminders", "given_on": "2019-01-01", "withdrawn_on": None})
        elif state == "withdrawn":
            consents.append({"client_id": cid, "purpose": "reminders", "given_on": "2019-01-01",
                             "withdrawn_on": "2021-01-01"})
        elif state == "regiven":
            consents.append({"client_id": cid, "purpose": "reminders", "given_on": "2019-01-01",
                             "withdrawn_on": "2021-01-01"})
            consents.append({"client_id": cid, "purpose": "reminders", "given_on": "2022-01-01", "withdrawn_on": None})
        meta[cid] = (restricted, state in ("current", "regiven"))
        for _ in range(rnd.randint(1, 2)):
            pid = len(pets) + 1
            species = rnd.choice(["dog", "cat"])
            deceased = "2024-06-01" if rnd.random() < 0.1 else None
            pets.append({"id": pid, "number": f"P{pid:06d}", "client_id": cid, "name": f"Pet {pid}",
                         "species": species, "sex": "unknown", "created_at": now, "updated_at": now,
                         "deceased_on": deceased})
            pet_meta[pid] = (cid, f"Pet {pid}", species, deceased)
            for _ in range(rnd.randint(0, 4)):
                vid += 1
                given = date(2020, 1, 1) + timedelta(days=rnd.randint(0, 1800))
                vaccine = rnd.choice(vaccines)
                if rnd.random() < 0.1:
                    vaccine = vaccine.upper()  # same vaccine, typed differently
                next_due = given + timedelta(days=365) if rnd.random() < 0.9 else None
                vaccinations.append({"id": vid, "pet_id": pid, "given_on": given.isoformat(), "vaccine": vaccine,
                                     "batch": "B1", "next_due": next_due.isoformat() if next_due else None,
                                     "created_at": now})
                vac_by_pet.setdefault(pid, []).append((vid, given.isoformat(), vaccine.lower(),
                                                       next_due.isoformat() if next_due else None, vaccine))
    db = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        with db.unit() as conn:
            conn.execute(text("INSERT INTO client (id, number, name, street, postcode, city, created_at, updated_at, "
                              "restricted) VALUES (:id, :number, :name, :street, :postcode, :city, :created_at, "
                              ":updated_at, :restricted)"), clients)
            conn.execute(text("INSERT INTO pet (id, number, client_id, name, species, sex, created_at, updated_at, "
                              "deceased_on) VALUES (:id, :number, :client_id, :name, :species, :sex, :created_at, "
                              ":updated_at, :deceased_on)"), pets)
            conn.execute(text("INSERT INTO consent (client_id, purpose, given_on, statement_version, method, "
                              "withdrawn_on, created_at) VALUES (:client_id, :purpose, :given_on, '1', 'written', "
                              ":withdrawn_on, '2019-01-01 00:00:00')"), consents)
            conn.execute(text("INSERT INTO vaccination (id, pet_id, given_on, vaccine, batch, next_due, created_at) "
                              "VALUES (:id, :pet_id, :given_on, :vaccine, :batch, :next_due, :created_at)"),
                         vaccinations)
            conn.execute(text("UPDATE counter SET value = :n WHERE name = 'client'"), {"n": n_clients})
            conn.execute(text("UPDATE counter SET value = :n WHERE name = 'pet'"), {"n": len(pets)})
            conn.commit()
    finally:
        db.close()
    return meta, pet_meta, vac_by_pet, {c["id"]: c for c in clients}


def _expected_recalls(meta, pet_meta, vac_by_pet, clients, before):
    """Independent oracle for the printer's rows."""
    out = set()
    for pid, vacs in vac_by_pet.items():
        cid, pet_name, species, deceased = pet_meta[pid]
        restricted, consent = meta[cid]
        if restricted or not consent or deceased:
            continue
        for vid, given, kind, due, vaccine in vacs:
            if due is None or due >= before:
                continue
            newer = [v for v in vacs if v[2] == kind and (v[1], v[0]) > (given, vid)]
            if newer:
                continue
            c = clients[cid]
            # The printer's file names the species in Dutch (docs/reminder-cards.md).
            out.add((c["name"], c["street"], c["postcode"], c["city"], pet_name, label("species", species), vaccine,
                     due))
    return out


def test_reminders_export_of_1000_clients(vet, tmp_path):
    meta, pet_meta, vac_by_pet, clients = _generate_practice(vet, 1000)
    before = "2025-06-01"
    out = tmp_path / "cards.csv"
    t0 = time.perf_counter()
    r = vet.ok("reminders", "export", "--due-before", before, "--out", str(out), "--json")
    elapsed = time.perf_counter() - t0
    print(f"reminders export of 1000 clients: {elapsed:.2f} s")
    assert _mode(out) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".vetcards-")]  # no temp file left
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [tuple(row) for row in reader]
    assert header == list(COLUMNS) == ["name", "street", "postcode", "city", "pet_name", "species",
                                       "vaccine", "due_date"]
    assert all(len(row) == len(COLUMNS) for row in rows)
    expected = _expected_recalls(meta, pet_meta, vac_by_pet, clients, before)
    assert len(expected) > 300  # the data set exercises the export
    assert set(rows) == expected and len(rows) == len(expected)

    by_name = {c["name"]: cid for cid, c in clients.items()}
    exported = {by_name[row[0]] for row in rows}
    assert all(meta[cid][1] for cid in exported), "a client without a current reminders consent"
    assert not any(meta[cid][0] for cid in exported), "a restricted client"
    dead = {pet_meta[p][1] for p in pet_meta if pet_meta[p][3]}
    assert not any(row[4] in dead for row in rows), "a deceased pet"

    summary = r.json()
    assert summary["recalls"] == len(rows) and summary["clients"] == len(exported)
    logged = _disclosures(vet)
    assert sorted(d[0] for d in logged) == sorted(exported)  # one disclosure per client
    assert {(d[1], d[4], d[5], d[7]) for d in logged} == {("printer", "naw,animal,recall", "consent", 0)}
    consent_ok = vet.sql("SELECT d.client_id FROM disclosure d JOIN consent k ON k.id = d.consent_id "
                         "WHERE k.client_id = d.client_id AND k.purpose = 'reminders' AND k.withdrawn_on IS NULL")
    assert len(consent_ok) == len(logged)
    audit = vet.sql("SELECT details FROM audit_log WHERE action = 'reminders.export'")
    assert len(audit) == 1 and json.loads(audit[0][0])["clients"] == len(exported)
    assert "Client" not in audit[0][0]


def test_newer_vaccination_completes_recall_and_filters(vet):
    k = vet.add_client("Anna Jansen", reminders=True)
    dog = vet.add_pet(k, "Bello")
    cat = vet.add_pet(k, "Minoes", "cat")
    vet.ok("vaccinate", dog, "--vaccine", "Nobivac L4", "--date", "2023-01-01", "--next-due", "2024-01-01")
    vet.ok("vaccinate", dog, "--vaccine", "nobivac l4", "--date", "2024-01-05", "--next-due", "2025-01-05")
    vet.ok("vaccinate", dog, "--vaccine", "Nobivac DHP", "--date", "2023-02-01", "--next-due", "2024-02-01")
    vet.ok("vaccinate", cat, "--vaccine", "Purevax", "--date", "2023-03-01", "--next-due", "2024-03-01")
    no_consent = vet.add_client("Bert Zonder")
    vet.ok("vaccinate", vet.add_pet(no_consent, "Rex"), "--vaccine", "Nobivac L4", "--date", "2023-01-01",
           "--next-due", "2024-01-01")

    def export(*extra):
        r = vet.ok("reminders", "export", "--due-before", "2026-01-01", *extra)
        return list(csv.DictReader(io.StringIO(r.stdout)))

    rows = export()
    assert [(r["pet_name"], r["vaccine"], r["due_date"]) for r in rows] == [
        ("Bello", "Nobivac DHP", "2024-02-01"), ("Bello", "nobivac l4", "2025-01-05"),
        ("Minoes", "Purevax", "2024-03-01")]
    assert export("--due-after", "2024-03-01") == [rows[1], rows[2]]
    vet.ok("pet", "deceased", cat, "--date", "2024-06-01")
    assert [r["pet_name"] for r in export()] == ["Bello", "Bello"]
    vet.ok("consent", "withdraw", k, "--purpose", "reminders")
    assert export() == []
    vet.ok("consent", "give", k, "--purpose", "reminders")
    assert len(export()) == 2
    _write_sql(vet, "UPDATE client SET restricted = 1 WHERE number = ?", (k,))
    assert export() == []
    # Previews on standard output (no --out, no --to) hand nothing over: no disclosure is logged.
    assert _disclosures(vet) == []


def _card_client(vet):
    k = vet.add_client("Anna Jansen", reminders=True)
    dog = vet.add_pet(k, "Bello")
    vet.ok("vaccinate", dog, "--vaccine", "Nobivac L4", "--date", "2023-01-01", "--next-due", "2024-01-01")
    vet.ok("vaccinate", vet.add_pet(k, "Rex"), "--vaccine", "Nobivac L4", "--date", "2023-01-01",
           "--next-due", "2024-02-29")
    return k


def test_reminders_preview_logs_no_disclosure(vet, tmp_path):
    """--dry-run and a look without --out/--to show the cards; only a file handed over is logged, once a client."""
    k = _card_client(vet)
    dry = vet.ok("reminders", "export", "--due-before", "2026-01-01", "--dry-run")
    cards = list(csv.DictReader(io.StringIO(dry.stdout)))
    assert [(c["pet_name"], c["due_date"]) for c in cards] == [("Bello", "2024-01-01"), ("Rex", "2024-02-29")]
    plain = vet.ok("reminders", "export", "--due-before", "2026-01-01")
    assert plain.stdout == dry.stdout
    assert _disclosures(vet) == []
    previews = vet.sql("SELECT details FROM audit_log WHERE action = 'reminders.preview'")
    assert len(previews) == 2 and json.loads(previews[0][0])["clients"] == 1 and "Anna" not in previews[0][0]
    assert vet.sql("SELECT count(*) FROM audit_log WHERE action = 'reminders.export'") == [(0,)]
    # The access report lists no printer after previews.
    assert vet.ok("recipient", "log", "--client", k, "--format", "json").json() == []
    # A file handed over: one disclosure for the client (two cards), logged once.
    out = tmp_path / "cards.csv"
    r = vet.ok("reminders", "export", "--due-before", "2026-01-01", "--out", str(out), "--json").json()
    assert (r["clients"], r["recalls"], r["disclosures"]) == (1, 2, 1)
    assert [d[1] for d in _disclosures(vet)] == ["printer"]
    # Named printer on standard output (--to): handed over, logged; --dry-run with --to: not.
    vet.ok("reminders", "export", "--due-before", "2026-01-01", "--to", "Drukkerij herinneringskaarten (generiek)",
           "--dry-run")
    assert len(_disclosures(vet)) == 1
    vet.ok("reminders", "export", "--due-before", "2026-01-01", "--to", "Drukkerij herinneringskaarten (generiek)")
    assert len(_disclosures(vet)) == 2


def test_reminders_dry_run_writes_no_file(vet, tmp_path):
    _card_client(vet)
    out = tmp_path / "cards.csv"
    before = vet.counts()
    r = vet.run("reminders", "export", "--due-before", "2026-01-01", "--dry-run", "--out", str(out))
    assert r.exit_code == 2 and "--dry-run" in r.stderr
    assert not out.exists() and vet.counts() == before


def test_reminders_export_refusals(vet, tmp_path):
    before = vet.counts()
    r = vet.run("reminders", "export")
    assert r.exit_code == 2 and r.stderr.startswith("error: --due-before: is required")
    r = vet.run("reminders", "export", "--due-before", "soon")
    assert r.exit_code == 1 and "--due-before" in r.stderr
    r = vet.run("reminders", "export", "--due-before", "2026-01-01", "--out", str(tmp_path / "no" / "x.csv"))
    assert r.exit_code == 1 and "--out" in r.stderr
    r = vet.run("reminders", "export", "--due-before", "2026-01-01", "--json")
    assert r.exit_code == 2
    r = vet.run("reminders", "export", "--due-before", "2026-01-01", "--to", "Laboratorium (generiek)")
    assert r.exit_code == 1 and "printer" in r.stderr
    assert vet.counts() == before


# --------------------------------------------------------------------------
# Chip registration
# --------------------------------------------------------------------------


@pytest.fixture
def chipped(vet):
    k = vet.add_client("Anna Jansen", phone="06 12345678")
    p = vet.add_pet(k, "Bello", breed="Labrador", birth_date="2020-05-01", chip="528210000000001")
    return k, p


def test_chip_register_needs_consent_and_writes_nothing_without(vet, chipped, tmp_path):
    k, p = chipped
    out = tmp_path / "ndg.json"
    before = vet.counts()
    r = vet.run("chip", "register", p, "--out", str(out))
    assert r.exit_code == 1 and "no current consent for chip-registration" in r.stderr
    assert r.stdout == "" and not out.exists() and list(tmp_path.glob(".vetcards-*")) == []
    assert vet.counts() == before

    vet.ok("consent", "give", k, "--purpose", "chip-registration")
    vet.ok("chip", "register", p, "--out", str(out))
    assert _mode(out) == 0o600
    rec = json.loads(out.read_text())
    assert rec["chip_number"] == "528210000000001"
    assert rec["registration_date"] == TODAY.isoformat()
    assert rec["owner"] == {"name": "Anna Jansen", "street": "Dorpsstraat 1", "postcode": "1234 AB",
                            "city": "Utrecht"}
    assert rec["animal"]["name"] == "Bello" and rec["animal"]["breed"] == "Labrador"
    assert "phone" not in json.dumps(rec) and "+31" not in json.dumps(rec)
    [d] = _disclosures(vet)
    assert d[1:2] == ("chip-registry",) and d[2] is not None and d[4] == "naw,animal,chip" and d[5] == "consent"

    vet.ok("consent", "withdraw", k, "--purpose", "chip-registration")
    r = vet.run("chip", "register", p)
    assert r.exit_code == 1 and r.stdout == ""
    assert len(_disclosures(vet)) == 1


def test_chip_register_refusals(vet, chipped):
    k, p = chipped
    vet.ok("consent", "give", k, "--purpose", "chip-registration")
    no_chip = vet.add_pet(k, "Minoes", "cat")
    r = vet.run("chip", "register", no_chip)
    assert r.exit_code == 1 and "has no chip number" in r.stderr
    # pet add/edit refuse a chip number that is on another pet; so does the registration's own check.
    r = vet.run("pet", "edit", no_chip, "--chip", "528210000000001")
    assert r.exit_code == 1 and "already registered" in r.stderr
    vet.ok("pet", "deceased", p)
    r = vet.run("chip", "register", p)
    assert r.exit_code == 1 and "deceased" in r.stderr
    assert _disclosures(vet) == []


def test_chip_register_to_stdout(vet, chipped):
    k, p = chipped
    vet.ok("consent", "give", k, "--purpose", "chip-registration")
    r = vet.ok("chip", "register", p, "--out", "-")
    assert r.json()["chip_number"] == "528210000000001"


# --------------------------------------------------------------------------
# Referral
# --------------------------------------------------------------------------


def _specialist(vet, categories="naw,animal,record"):
    return str(vet.ok("recipient", "add", "--name", "Specialist BV", "--kind", "specialist",
                      "--categories", categories, "--json").json()["id"])


def test_refer_needs_consent_and_is_at_client_request(vet, chipped, tmp_path):
    k, p = chipped
    spec = _specialist(vet)
    vet.ok("visit", "add", p, "--date", "2024-01-15", "--reason", "limping", "--vet", "Dr. X")
    vet.ok("vaccinate", p, "--vaccine", "Nobivac L4", "--date", "2024-01-15")
    out = tmp_path / "ref.json"
    before = vet.counts()
    r = vet.run("refer", p, "--to", spec, "--out", str(out))
    assert r.exit_code == 1 and "no current consent for referral" in r.stderr
    assert not out.exists() and vet.counts() == before

    vet.ok("consent", "give", k, "--purpose", "referral")
    vet.ok("refer", p, "--to", "specialist bv", "--out", str(out), "--note", "please check the carpus")
    assert _mode(out) == 0o600
    bundle = json.loads(out.read_text())
    assert bundle["owner"] == {"number": k, "name": "Anna Jansen", "street": "Dorpsstraat 1",
                               "postcode": "1234 AB", "city": "Utrecht"}  # no contact: not allowed
    assert bundle["patient"]["number"] == p and "chip" not in bundle["patient"]
    assert [v["reason"] for v in bundle["record"]["visits"]] == ["limping"]
    assert [v["vaccine"] for v in bundle["record"]["vaccinations"]] == ["Nobivac L4"]
    assert bundle["note"] == "please check the carpus"
    [d] = _disclosures(vet)
    assert d[1] == "specialist" and d[4] == "naw,animal,record" and d[7] == 1


def test_refer_includes_contact_and_chip_when_allowed(vet, chipped):
    k, p = chipped
    spec = _specialist(vet, "naw,contact,animal,chip,record")
    vet.ok("consent", "give", k, "--purpose", "referral")
    bundle = vet.ok("refer", p, "--to", spec).json()
    assert bundle["owner"]["phone"] == "+31612345678"
    assert bundle["patient"]["chip"] == "528210000000001"
    assert _disclosures(vet)[0][4] == "naw,animal,record,contact,chip"


def test_refer_refusals(vet, chipped):
    k, p = chipped
    vet.ok("consent", "give", k, "--purpose", "referral")
    r = vet.run("refer", p)
    assert r.exit_code == 2 and "--to" in r.stderr
    r = vet.run("refer", p, "--to", "Drukkerij herinneringskaarten (generiek)")
    assert r.exit_code == 1 and "not a referral recipient" in r.stderr
    narrow = _specialist(vet, "naw,animal")
    r = vet.run("refer", p, "--to", narrow)
    assert r.exit_code == 1 and "may not receive: record" in r.stderr
    r = vet.run("refer", p, "--to", "nobody")
    assert r.exit_code == 1 and "not found" in r.stderr
    assert _disclosures(vet) == []


# --------------------------------------------------------------------------
# Ad-hoc disclosures
# --------------------------------------------------------------------------


def test_disclose_checks_consent_categories_and_basis(vet, chipped):
    k, p = chipped
    lab = "Laboratorium (generiek)"
    before = vet.counts()
    r = vet.run("disclose", k, "--to", lab, "--categories", "naw,animal")
    assert r.exit_code == 1 and "no current consent for lab" in r.stderr
    vet.ok("consent", "give", k, "--purpose", "lab", "--date", "2024-01-01")
    counts = vet.counts()
    r = vet.run("disclose", k, "--to", lab, "--categories", "naw,contact")
    assert r.exit_code == 1 and "may not receive: contact" in r.stderr
    r = vet.run("disclose", k, "--to", lab, "--categories", "naw", "--date", "2023-12-31")
    assert r.exit_code == 1 and "no current consent" in r.stderr  # not yet given on that date
    r = vet.run("disclose", k, "--to", lab, "--categories", "naw", "--basis", "contract")
    assert r.exit_code == 1 and "--basis" in r.stderr
    other = vet.add_pet(vet.add_client("Other Owner"), "Rex")
    r = vet.run("disclose", k, "--to", lab, "--categories", "naw", "--pet", other)
    assert r.exit_code == 1 and "--pet" in r.stderr
    counts = vet.counts()
    d = vet.ok("disclose", k, "--to", lab, "--categories", "naw,animal,record", "--pet", p,
               "--date", "2024-03-01", "--json").json()
    assert d["basis"] == "consent" and d["consent_id"] and d["disclosed_on"] == "2024-03-01"
    assert vet.counts()["disclosure"] == counts["disclosure"] + 1 == before["disclosure"] + 1

    vet.ok("recipient", "add", "--name", "Incassobureau", "--kind", "other", "--categories", "naw,financial")
    r = vet.run("disclose", k, "--to", "Incassobureau", "--categories", "naw,financial")
    assert r.exit_code == 1 and "--basis" in r.stderr
    d2 = vet.ok("disclose", k, "--to", "Incassobureau", "--categories", "naw,financial", "--basis",
                "contract", "--json").json()
    assert d2["basis"] == "contract" and d2["consent_id"] is None


def test_disclosure_at_client_request_is_activity(vet):
    k = vet.add_client()
    vet.ok("consent", "give", k, "--purpose", "pharmacy", "--date", "2020-01-01")
    _write_sql(vet, "UPDATE client SET created_at = '2010-01-01 00:00:00', updated_at = '2010-01-01 00:00:00'")
    vet.ok("disclose", k, "--to", "Apotheek (generiek)", "--categories", "naw", "--date", "2021-05-05")
    assert vet.ok("client", "show", k, "--format", "json").json()["last_activity"] == "2010-01-01"
    vet.ok("disclose", k, "--to", "Apotheek (generiek)", "--categories", "naw", "--date", "2022-05-05",
           "--at-client-request")
    assert vet.ok("client", "show", k, "--format", "json").json()["last_activity"] == "2022-05-05"


def test_every_disclosure_appears_in_the_clients_export(vet, chipped, tmp_path):
    k, p = chipped
    for purpose in ("reminders", "chip-registration", "referral", "lab"):
        vet.ok("consent", "give", k, "--purpose", purpose)
    vet.ok("vaccinate", p, "--vaccine", "Nobivac", "--date", "2024-01-01", "--next-due", "2025-01-01")
    spec = _specialist(vet)
    vet.ok("reminders", "export", "--due-before", "2026-01-01", "--out", str(tmp_path / "r.csv"))
    vet.ok("chip", "register", p, "--out", str(tmp_path / "c.json"))
    vet.ok("refer", p, "--to", spec, "--out", str(tmp_path / "v.json"))
    vet.ok("disclose", k, "--to", "Laboratorium (generiek)", "--categories", "naw,animal", "--pet", p)
    other = vet.add_client("Other Owner", reminders=True)
    vet.ok("vaccinate", vet.add_pet(other, "Rex"), "--vaccine", "Nobivac", "--date", "2024-01-01",
           "--next-due", "2025-01-01")
    vet.ok("reminders", "export", "--due-before", "2026-01-01", "--out", str(tmp_path / "r2.csv"))

    logged = vet.ok("recipient", "log", "--client", k, "--format", "json").json()
    assert len(logged) == 5
    export = vet.ok("export", k, "--format", "json", "--out", "-").json()
    got = sorted((d["recipient"]["kind"], d["categories"], d["basis"], d["at_client_request"])
                 for d in export["disclosures"])
    want = sorted((kind, cats, basis, bool(req)) for _c, kind, _p, _d, cats, basis, _k, req in _disclosures(vet)
                  if _c == vet.sql("SELECT id FROM client WHERE number = ?", (k,))[0][0])
    assert got == want and len(got) == 5
    assert {d["recipient"]["kind"] for d in export["disclosures"]} == {"printer", "chip-registry",
                                                                      "specialist", "lab"}
    assert "Other Owner" not in json.dumps(export)


def test_outbox_publishes_only_after_staging_and_discards_cleanly(tmp_path):
    from vetcards.sharing import Outbox

    target = tmp_path / "file.json"
    box = Outbox(target)
    box.stage(b"data")
    [tmp] = list(tmp_path.glob(".vetcards-*"))
    assert _mode(tmp) == 0o600 and not target.exists()
    box.discard()
    assert list(tmp_path.iterdir()) == []
    box = Outbox(target)
    box.stage(b"data")
    box.publish()
    assert target.read_bytes() == b"data" and _mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]
    stream = io.BytesIO()
    box = Outbox("-")
    box.stage(b"out")
    box.publish(stream)
    assert stream.getvalue() == b"out"


def test_disclosure_audit_entries_have_no_names(vet, chipped, tmp_path):
    k, p = chipped
    vet.ok("consent", "give", k, "--purpose", "chip-registration")
    vet.ok("consent", "give", k, "--purpose", "lab")
    vet.ok("chip", "register", p, "--out", str(tmp_path / "c.json"))
    vet.ok("disclose", k, "--to", "Laboratorium (generiek)", "--categories", "naw")
    rows = vet.sql("SELECT entity_ids || details FROM audit_log WHERE action IN ('chip.register', 'disclosure.add')")
    assert len(rows) == 2
    for (text_,) in rows:
        assert k in text_ and "Anna" not in text_ and "Laboratorium" not in text_
    vet.ok("audit", "verify")


def test_a_kind_and_a_basis_are_codes_typed_in_any_case(vet):
    """``recipient add --kind`` and ``disclose --basis`` read a code by the one rule of vetcards.codes."""
    k = vet.add_client()
    r = vet.run("recipient", "add", "--name", "Bureau", "--kind", "bureau", "--categories", "naw")
    assert r.exit_code == 1 and r.stderr.strip() == (
        "error: --kind: must be one of: lab, pharmacy, specialist, printer, chip-registry, other")
    vet.ok("recipient", "add", "--name", "Incassobureau", "--kind", " Other ", "--categories", "naw,financial")
    vet.ok("recipient", "add", "--name", "Register", "--kind", "Chip_Registry", "--categories", "naw,chip")
    assert {r["name"]: r["kind"] for r in vet.ok("recipient", "list", "--format", "json").json()}["Register"] \
        == "chip-registry"
    r = vet.run("disclose", k, "--to", "Incassobureau", "--categories", "naw", "--basis", "law")
    assert r.exit_code == 1 and r.stderr.strip() == (
        "error: --basis: must be one of: consent, contract, legal_obligation")
    d = vet.ok("disclose", k, "--to", "Incassobureau", "--categories", "naw", "--basis", "Legal-Obligation",
               "--json").json()
    assert d["basis"] == "legal_obligation"
    r = vet.run("disclose", k, "--to", "Incassobureau", "--categories", "naw,bank")
    assert r.exit_code == 1 and r.stderr.strip() == (
        "error: --categories: each must be one of: naw, contact, animal, chip, record, recall, financial")
