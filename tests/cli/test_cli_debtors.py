"""``vetcards debtors`` and the open balance on ``client show``, end to end, with dates written out."""

from __future__ import annotations

ERASE = ("--verified-by", "Jet Balie", "--id-document", "passport")


def test_debtors_ages_and_totals(practice):
    vet = practice
    anna = vet.add_client("Anna Jansen", birth_date="01-02-1980")
    bert = vet.add_client("Bert Bakker", birth_date="01-01-1970")
    a = vet.add_invoice(anna, "A;1;10,00", "account", "2026-01-01")   # due 2026-01-15: 91 days on 04-16
    b = vet.add_invoice(bert, "B;1;20,00", "account", "2026-01-02")   # due 01-16: 90
    c = vet.add_invoice(bert, "C;1;30,00", "account", "2026-02-15")   # due 03-01: 46
    d = vet.add_invoice(anna, "D;1;40,00", "account", "2026-03-17")   # due 03-31: 16
    vet.add_invoice(anna, "E;1;50,00", "pin", "2026-03-18")           # paid: not a debtor
    vet.ok("invoice", "pay", c, "--amount", "6,30", "--method", "transfer", "--date", "2026-03-01")
    vet.ok("invoice", "collect", a)

    rows = vet.ok("debtors", "--as-of", "16-04-2026", "--json").json()
    assert [(r["invoice"], r["client"], r["due_date"], r["days_overdue"], r["open_cents"]) for r in rows] == [
        (a, anna, "2026-01-15", 91, 1210),
        (b, bert, "2026-01-16", 90, 2420),
        (c, bert, "2026-03-01", 46, 3000),
        (d, anna, "2026-03-31", 16, 4840),
    ]
    assert [r["bucket"] for r in rows] == ["over_90", "61-90", "31-60", "0-30"]

    out = vet.ok("debtors", "--as-of", "2026-04-16", "--format", "table", env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in out.splitlines()) <= 80, out
    assert "€ 114,70" in out and "€ 48,40" in out and a in out and "…" not in out  # never cut
    wide = vet.ok("debtors", "--as-of", "2026-04-16", "--format", "table", "--wide", env={"COLUMNS": "200"})
    assert "in collection" in wide.stdout
    csv_rows = vet.ok("debtors", "--as-of", "2026-04-16", "--format", "csv").stdout.splitlines()
    assert csv_rows[0].startswith("invoice,client,name,invoice_date,due_date,days_overdue,bucket")
    assert csv_rows[1].startswith(f"{a},{anna},Anna Jansen,2026-01-01,2026-01-15,91,over_90,in_collection,1210")
    excel = vet.ok("debtors", "--as-of", "2026-04-16", "--excel").stdout
    assert excel.startswith("\ufeffinvoice;client;name") and f"{a};{anna};Anna Jansen;" in excel


def test_erased_client_claim_is_a_debtor_marked_restricted(practice):
    vet = practice
    anna = vet.add_client("Anna Jansen", birth_date="01-02-1980")
    claim = vet.add_invoice(anna, "Operatie;1;100,00", "account", "2026-06-01")
    vet.ok("erase", anna, *ERASE, "--yes")
    assert claim not in vet.ok("invoice", "list", "--format", "csv").stdout  # hidden from the normal list
    rows = vet.ok("debtors", "--as-of", "2026-07-01", "--json").json()
    assert [(r["invoice"], r["restricted"], r["open_cents"], r["days_overdue"]) for r in rows] == [
        (claim, True, 12100, 16)]
    assert "restricted" in vet.ok("debtors", "--as-of", "2026-07-01", "--format", "plain").stdout
    ids, details = vet.sql("SELECT entity_ids, details FROM audit_log WHERE action = 'debtors.list'")[-1]
    assert claim in ids and '"restricted":1' in details


def test_debtors_empty_and_bad_date(practice):
    assert practice.ok("debtors", "--json").json() == []
    r = practice.run("debtors", "--as-of", "morgen")
    assert r.exit_code == 1 and r.stderr.startswith("error: --as-of") and "Traceback" not in r.stderr


def test_client_show_open_balance(practice):
    """One rule for "open": the card shows what debtors lists for the client, voided payments not counted."""
    vet = practice
    anna = vet.add_client("Anna Jansen", birth_date="01-02-1980")
    a = vet.add_invoice(anna, "Operatie;1;150,00", "account", "2026-09-01")   # 181.50
    vet.ok("invoice", "pay", a, "--amount", "20,00", "--method", "cash", "--date", "2026-09-02")
    b = vet.add_invoice(anna, "Consult;1;9,59", "pin", "2026-09-03")          # 11.60, paid at once
    pid = vet.sql("SELECT p.id FROM payment p JOIN invoice i ON i.id = p.invoice_id WHERE i.number = ?", (b,))[0][0]
    vet.ok("invoice", "void-payment", b, str(pid), "--reason", "pin mislukt")
    vet.add_invoice(anna, "Voer;1;10,00", "cash", "2026-09-04")               # paid: owes nothing
    card = vet.ok("client", "show", anna, "--format", "json").json()
    assert (card["open_cents"], card["open"]) == (16150 + 1160, "173.10")
    assert sum(r["open_cents"] for r in vet.ok("debtors", "--json").json() if r["client"] == anna) == 17310
    out = vet.ok("client", "show", anna, "--format", "table", env={"COLUMNS": "80"}).stdout
    assert "€ 173,10" in out
    bert = vet.add_client("Bert Bakker")
    assert vet.ok("client", "show", bert, "--format", "json").json()["open_cents"] == 0
