"""The hash-chained audit log: every write appends an entry (actor, action,
ids), `audit verify` detects a changed, deleted or inserted entry and names the
first broken one, and the log never holds names, streets or e-mails.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest


def sql_write(vet, query: str, params: tuple = ()) -> None:
    """Tamper with the database directly through SQLCipher (the attacker's view)."""
    import sqlcipher3

    conn = sqlcipher3.connect(str(vet.db))
    try:
        conn.execute(f"PRAGMA key = \"x'{vet.key_file.read_text().strip()}'\"")
        conn.execute(query, params)
        conn.commit()
    finally:
        conn.close()


def entries(vet) -> list[dict]:
    cols = ["id", "ts", "actor", "action", "entity", "entity_ids", "details", "prev_hash", "hash", "os_user"]
    return [dict(zip(cols, r)) for r in vet.sql(f"SELECT {', '.join(cols)} FROM audit_log ORDER BY id")]


def last(vet) -> dict:
    return entries(vet)[-1]


def verify(vet):
    return vet.run("audit", "verify", "--json")


# --------------------------------------------------------------------------
# every write appends an entry
# --------------------------------------------------------------------------


def test_init_is_the_first_entry(vet):
    (entry,) = entries(vet)
    assert entry["action"] == "init"
    assert entry["prev_hash"] == "0" * 64
    assert entry["actor"] == "tester"


WRITES = [
    # (command, expected action, expected ids)
    (["client", "add", "--name", "Bert de Boer", "--street", "Kerkstraat 5", "--postcode", "3511 AB",
      "--city", "Zeist", "--consent"], "client.add", ["K000002"]),
    (["client", "edit", "K000001", "--city", "Zeist"], "client.edit", ["K000001"]),
    (["pet", "add", "K000001", "--name", "Rex", "--species", "dog"], "pet.add", ["P000002", "K000001"]),
    (["pet", "edit", "P000001", "--breed", "Labrador"], "pet.edit", ["P000001"]),
    (["pet", "weigh", "P000001", "12,5"], "pet.weigh", ["P000001"]),
    (["pet", "deceased", "P000001"], "pet.deceased", ["P000001"]),
    (["species", "add", "alpaca"], "species.add", []),
    (["practice", "set", "--name", "Dierenkliniek De Linde"], "practice.set", []),
]


@pytest.mark.parametrize("args,action,ids", WRITES, ids=[w[1] for w in WRITES])
def test_every_write_appends_one_entry(vet, args, action, ids):
    k = vet.add_client()
    vet.add_pet(k)
    before = entries(vet)
    vet.ok(*args)
    after = entries(vet)
    assert len(after) == len(before) + 1
    entry = after[-1]
    assert entry["action"] == action
    assert json.loads(entry["entity_ids"]) == ids
    assert entry["actor"] == "tester"
    assert entry["prev_hash"] == before[-1]["hash"]
    assert after[:-1] == before  # earlier entries untouched
    vet.ok("audit", "verify")


def test_a_refused_write_appends_nothing(vet):
    k = vet.add_client()
    n = len(entries(vet))
    assert vet.run("client", "add", "--name", "X", "--street", "Y 1", "--postcode", "1234 AB",
                   "--city", "Z").exit_code == 1
    assert vet.run("pet", "add", k, "--name", "Rex", "--species", "unicorn").exit_code == 1
    assert vet.run("client", "edit", k, "--city", "Utrecht").exit_code == 0  # nothing changed
    assert len(entries(vet)) == n


def test_reads_of_non_personal_data_append_nothing(vet):
    k = vet.add_client()
    vet.add_pet(k)
    n = len(entries(vet))
    for args in (["species", "list"], ["practice", "show"], ["audit", "show"], ["audit", "verify"]):
        vet.ok(*args)
    assert len(entries(vet)) == n


def test_every_view_of_personal_data_is_audited_by_number_only(vet):
    """SPEC §5: every access is in the audit log; the entry holds numbers and
    counts, never the search text (which may be a name)."""
    k = vet.add_client("Anna Jansen")
    p = vet.add_pet(k)
    for args, action, ids in (
        (["client", "show", k], "client.view", [k]),
        (["client", "list"], "client.list", []),
        (["client", "search", "Jansen"], "client.search", [k]),
        (["pet", "show", p], "pet.view", [p, k]),
        (["pet", "list"], "pet.list", []),
    ):
        n = len(entries(vet))
        vet.ok(*args)
        new = entries(vet)[n:]
        assert [e["action"] for e in new] == [action], args
        assert json.loads(new[0]["entity_ids"]) == ids
        assert "Jansen" not in json.dumps(new)
    assert vet.run("audit", "verify").exit_code == 0
    # Viewing is not activity (SPEC §3).
    before = vet.ok("client", "show", k, "--format", "json").json()["last_activity"]
    assert before == vet.ok("client", "show", k, "--format", "json").json()["last_activity"]


def test_actor_from_option_environment_or_os_user(vet):
    vet.ok("--actor", "jet.balie", "client", "add", "--name", "A", "--street", "S 1", "--postcode", "1234 AB",
           "--city", "C", "--consent")
    assert last(vet)["actor"] == "jet.balie"
    vet.add_client("B")  # VETCARDS_ACTOR=tester from the fixture
    assert last(vet)["actor"] == "tester"
    vet.ok("client", "edit", "K000001", "--city", "Zeist", env={"VETCARDS_ACTOR": "dr.visser"})
    assert last(vet)["actor"] == "dr.visser"
    # --actor beats the environment
    vet.ok("--actor", "jet.balie", "client", "edit", "K000001", "--city", "Ede", env={"VETCARDS_ACTOR": "x"})
    assert last(vet)["actor"] == "jet.balie"
    # neither: the OS user
    vet.ok("client", "edit", "K000001", "--city", "Baarn", env={"VETCARDS_ACTOR": ""})
    assert last(vet)["actor"] == getpass.getuser()
    vet.ok("audit", "verify")


def test_entries_have_time_and_chain(vet):
    vet.add_client()
    rows = entries(vet)
    for prev, cur in zip(rows, rows[1:]):
        assert cur["prev_hash"] == prev["hash"]
        assert cur["ts"] >= prev["ts"]
    assert all(len(r["hash"]) == 64 for r in rows)


def test_audit_show_formats(vet):
    k = vet.add_client()
    data = vet.ok("audit", "show", "--format", "json").json()
    assert [d["action"] for d in data] == ["init", "client.add"]
    assert json.loads(data[1]["entity_ids"]) == [k]
    assert vet.ok("audit", "show", "--action", "client", "--format", "json").json()[0]["action"] == "client.add"
    assert len(vet.ok("audit", "show", "--last", "1", "--format", "json").json()) == 1
    for fmt in ("plain", "csv", "table"):
        assert "client.add" in vet.ok("audit", "show", "--format", fmt, env={"COLUMNS": "200"}).stdout


# --------------------------------------------------------------------------
# audit verify
# --------------------------------------------------------------------------


@pytest.fixture
def chain(vet):
    """Six entries: init, 2 clients, 2 pets, 1 edit."""
    a = vet.add_client("Anna Jansen")
    b = vet.add_client("Bert de Boer")
    vet.add_pet(a, "Bello")
    vet.add_pet(b, "Rex")
    vet.ok("client", "edit", a, "--city", "Zeist")
    assert [e["id"] for e in entries(vet)] == [1, 2, 3, 4, 5, 6]
    return vet


def test_verify_passes_on_an_intact_log(chain):
    r = verify(chain)
    assert r.exit_code == 0
    assert r.json() == {"ok": True, "entries": 6, "first_broken_id": None, "problem": None,
                        "ledger_ok": True, "ledger_problem": None}
    r = chain.run("audit", "verify")
    assert r.exit_code == 0 and "6 entries" in r.stderr


def _assert_broken_at(vet, entry_id: int) -> None:
    r = verify(vet)
    assert r.exit_code == 1
    out = r.json()
    assert out["ok"] is False and out["first_broken_id"] == entry_id, out
    r = vet.run("audit", "verify")
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and f"entry {entry_id}" in lines[0]


@pytest.mark.parametrize("column,value", [("actor", "mallory"), ("action", "client.view"),
                                          ("entity_ids", '["K000009"]'), ("details", "{}"),
                                          ("ts", "2020-01-01T00:00:00.000000+00:00")])
def test_verify_detects_a_changed_entry(chain, column, value):
    sql_write(chain, f"UPDATE audit_log SET {column} = ? WHERE id = 3", (value,))
    _assert_broken_at(chain, 3)


def test_verify_detects_a_changed_entry_with_its_hash_recomputed(chain):
    """Rewriting an entry and its own hash still breaks the link to the next one."""
    from vetcards.audit import entry_hash

    e = entries(chain)[2]
    new = entry_hash(e["prev_hash"], e["ts"], "mallory", e["action"], e["entity"], e["entity_ids"], e["details"],
                     e["os_user"])
    sql_write(chain, "UPDATE audit_log SET actor = 'mallory', hash = ? WHERE id = 3", (new,))
    _assert_broken_at(chain, 4)


def test_verify_detects_a_deleted_entry(chain):
    sql_write(chain, "DELETE FROM audit_log WHERE id = 3")
    _assert_broken_at(chain, 4)


def test_verify_detects_a_deleted_first_entry(chain):
    sql_write(chain, "DELETE FROM audit_log WHERE id = 1")
    _assert_broken_at(chain, 2)


def test_verify_detects_an_inserted_entry(chain):
    """An entry slipped in between 3 and 4, even with a correct hash of its own."""
    from vetcards.audit import entry_hash

    e3 = entries(chain)[2]
    # make room: move 4..6 up by one (highest first, ids are unique)
    for i in (6, 5, 4):
        sql_write(chain, "UPDATE audit_log SET id = ? WHERE id = ?", (i + 1, i))
    ts, actor, action, entity, ids, details = (e3["ts"], "mallory", "client.edit", "client", '["K000002"]',
                                               '{"fields":["city"]}')
    digest = entry_hash(e3["hash"], ts, actor, action, entity, ids, details)
    sql_write(chain, "INSERT INTO audit_log (id, ts, actor, action, entity, entity_ids, details, prev_hash, hash) "
                     "VALUES (4, ?, ?, ?, ?, ?, ?, ?, ?)", (ts, actor, action, entity, ids, details, e3["hash"], digest))
    _assert_broken_at(chain, 5)


def test_verify_detects_an_appended_forgery_with_a_wrong_link(chain):
    sql_write(chain, "INSERT INTO audit_log (ts, actor, action, entity, entity_ids, details, prev_hash, hash) "
                     "VALUES ('2030-01-01', 'mallory', 'client.add', 'client', '[]', '{}', ?, ?)",
              ("f" * 64, "e" * 64))
    _assert_broken_at(chain, 7)


def test_new_entries_after_tampering_do_not_hide_it(chain):
    sql_write(chain, "UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    chain.add_client("Cor Visser")
    _assert_broken_at(chain, 2)


# --------------------------------------------------------------------------
# no personal data in the log
# --------------------------------------------------------------------------


def test_audit_log_holds_no_names_streets_or_emails(vet):
    personal = ["Wilhelmina Zonderland", "Zonderland", "Kastanjelaan", "Zwaagdijk", "wilhelmina",
                "voorbeeld.nl", "612345678", "Snuffelientje", "Patrijshond", "zwart-wit", "1980-02-03",
                "9999 ZZ", "Hoefijzerstraat", "Dronten", "Pluisje", "Vlekje"]
    k = vet.ok("client", "add", "--name", "Wilhelmina Zonderland", "--street", "Kastanjelaan 987",
               "--postcode", "9999 ZZ", "--city", "Zwaagdijk-Oost", "--phone", "06 12345678",
               "--email", "wilhelmina@voorbeeld.nl", "--birth-date", "1980-02-03", "--consent", "--reminders",
               "--json").json()["number"]
    p = vet.add_pet(k, "Snuffelientje", breed="Drentsche Patrijshond", colour="zwart-wit", weight="21")
    vet.ok("client", "edit", k, "--street", "Hoefijzerstraat 1", "--city", "Dronten")
    vet.ok("pet", "edit", p, "--name", "Pluisje", "--coat", "Vlekje")
    vet.ok("pet", "weigh", p, "22")
    vet.ok("practice", "set", "--name", "Dierenkliniek Zonderland")
    # refused input is not logged either
    vet.run("client", "add", "--name", "Vlekje Pluisje", "--street", "Dronten 1", "--postcode", "bad",
            "--city", "Dronten", "--consent")
    dump = json.dumps(entries(vet), ensure_ascii=False).lower()
    for text in personal:
        assert text.lower() not in dump, text
    edit = [e for e in entries(vet) if e["action"] == "client.edit"][-1]
    assert json.loads(edit["details"]) == {"fields": ["city", "street"]}  # which fields, never their values


def test_record_refuses_free_text(vet):
    """The library guard: a careless caller cannot log a name."""
    from sqlalchemy import text

    from vetcards import audit
    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    database = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        with pytest.raises(ValueError):
            with database.unit() as conn:
                conn.info["actor"] = "tester"
                audit.record(conn, "client.add", "client", ["Anna Jansen"])
        with pytest.raises(ValueError):
            with database.unit() as conn:
                audit.record(conn, "client.add", "client", [], {"name": "Anna Jansen"})
        with database.unit() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1
    finally:
        database.close()


def test_library_reads_audit_the_access_themselves(vet, tmp_path):
    """"Every access is audited" is the library's rule, not the CLI's: each read
    of personal data, called directly on a unit of work, logs one entry (numbers
    and counts only) and commits it."""
    from vetcards import access, consents, disclosures, invoice_views, views
    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    k = vet.add_client("Anna Jansen")
    p = vet.add_pet(k)
    vet.set_practice()
    number = vet.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "pin", "--json").json()["number"]
    reads = [
        (lambda u: views.client_card(u, k), "client.view", [k]),
        (lambda u: views.list_clients(u), "client.list", []),
        (lambda u: views.search_clients(u, "Jansen"), "client.search", [k]),
        (lambda u: views.pet_card(u, p), "pet.view", [p, k]),
        (lambda u: views.list_pets(u), "pet.list", []),
        (lambda u: invoice_views.invoice_card(u, number), "invoice.view", [number]),
        (lambda u: invoice_views.list_invoices(u), "invoice.list", []),
        (lambda u: invoice_views.write_pdf(u, number, tmp_path / "f.pdf"), "invoice.pdf", [number]),
        (lambda u: consents.history(u, k), "consent.view", []),
        (lambda u: disclosures.list_disclosures(u), "disclosure.view", []),
        (lambda u: access.export_one(u, k, fmt="json", lang="nl", out=str(tmp_path / "e.json"), stream=None,
                                     generated_at=datetime(2026, 11, 27, tzinfo=UTC), today=date(2026, 11, 27)),
         "export", [k]),
    ]
    database = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        for read, action, ids in reads:
            n = len(entries(vet))
            with database.unit("tester") as uow:
                read(uow)
            # The unit ended without a commit by the caller: the entry is there all the same.
            new = entries(vet)[n:]
            assert [e["action"] for e in new] == [action]
            assert json.loads(new[0]["entity_ids"]) == ids
            assert "Jansen" not in json.dumps(new)
    finally:
        database.close()
    assert vet.run("audit", "verify").exit_code == 0


def test_the_cli_leaves_auditing_and_committing_to_the_library():
    """No command module writes an audit entry, and only the outbox delivery
    commits (a file is staged before its disclosures are committed)."""
    from pathlib import Path

    import vetcards.cli

    cli = Path(vetcards.cli.__file__).parent
    for path in sorted(cli.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "audit.record" not in source, path.name
        commits = source.count(".commit()")
        assert commits == (1 if path.name == "sharing.py" else 0), path.name


def test_verify_detects_an_emptied_log(chain):
    sql_write(chain, "DELETE FROM audit_log")
    r = verify(chain)
    assert r.exit_code == 1 and r.json()["ok"] is False
    r = chain.run("audit", "verify")
    assert r.exit_code == 1 and len(r.stderr.splitlines()) == 1 and "empty" in r.stderr


def test_the_os_user_is_recorded_beside_the_declared_actor_and_hashed(vet):
    """--actor is what someone typed; os_user is the account the process ran under (migration 0005)."""
    from vetcards import audit

    vet.ok("--actor", "someone_else", "client", "list")
    vet.add_client()
    e = last(vet)
    assert e["actor"] == "tester" and e["os_user"] == audit.os_user() == getpass.getuser()
    assert vet.ok("audit", "show", "--format", "json").json()[-1]["os_user"] == getpass.getuser()
    # The OS user is part of the hash: blanking it (or changing it) is detected ...
    sql_write(vet, "UPDATE audit_log SET os_user = NULL WHERE id = ?", (e["id"],))
    assert vet.run("audit", "verify").exit_code != 0
    sql_write(vet, "UPDATE audit_log SET os_user = ? WHERE id = ?", (e["os_user"], e["id"]))
    assert vet.ok("audit", "verify").exit_code == 0


def test_entries_from_before_the_os_user_column_still_verify(vet):
    """An entry written before migration 0005 has no OS user and keeps its old hash."""
    from vetcards.audit import GENESIS, entry_hash

    first = entries(vet)[0]
    old = entry_hash(GENESIS, first["ts"], first["actor"], first["action"], first["entity"],
                     first["entity_ids"], first["details"])  # the hash as 0004 computed it
    sql_write(vet, "DELETE FROM audit_log WHERE id > 1")
    sql_write(vet, "UPDATE audit_log SET os_user = NULL, hash = ? WHERE id = 1", (old,))
    # A database of that time kept no audit head either (that one would name the entries deleted here).
    sql_write(vet, "DELETE FROM practice_setting WHERE key = 'audit_head_since'")
    Path(str(vet.db) + ".audit-head").unlink()
    assert vet.ok("audit", "verify").exit_code == 0
