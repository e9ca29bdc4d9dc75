"""End to end: a payment booked in error is voided with a reason; a refund is recorded on a
credit note; ``invoice list --date/--from/--to``; ``books export`` marks a voided payment."""

from __future__ import annotations

import pytest


@pytest.fixture
def client(practice):
    return practice.add_client("Anna Jansen", birth_date="01-02-1980")


def fails(vet, *args, code=1):
    """One error line, exit ``code``, nothing on stdout, nothing written."""
    before = vet.counts()
    r = vet.run(*args)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    assert r.stdout == "" and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert vet.counts() == before
    return lines[0]


def test_void_of_the_payment_that_settled_an_invoice_in_collection_puts_it_back_in_collection(practice, client):
    """An invoice handed over for collection and then paid is owed again when that payment was booked
    in error: it goes back to the collection agency's list, not to open (the day it went is kept)."""
    vet = practice
    number = vet.add_invoice(client, "Operatie;1;100,00", "account", "2026-03-02")   # 121.00
    assert vet.ok("invoice", "collect", number, "--json").json()["status"] == "in_collection"
    [(collected_on,)] = vet.sql("SELECT collected_on FROM invoice WHERE number = ?", (number,))
    assert collected_on is not None
    paid = vet.ok("invoice", "pay", number, "--amount", "121,00", "--method", "transfer", "--date", "2026-03-20",
                  "--json").json()
    assert paid["status"] == "paid"
    out = vet.ok("invoice", "void-payment", number, str(paid["id"]), "--reason", "storting van een ander",
                 "--json").json()
    assert (out["status"], out["balance_cents"]) == ("in_collection", 12100)
    assert vet.ok("invoice", "show", number, "--format", "json").json()["status"] == "in_collection"
    assert vet.sql("SELECT collected_on FROM invoice WHERE number = ?", (number,)) == [(collected_on,)]


def test_void_a_stray_payment(practice, client):
    vet = practice
    number = vet.add_invoice(client, "Operatie;1;100,00", "account", "2026-03-02")   # 121.00
    good = vet.ok("invoice", "pay", number, "--amount", "121,00", "--method", "pin", "--date", "2026-03-03",
                  "--json").json()
    assert good["status"] == "paid"
    # the payment's id is on the card, so it can be named
    card = vet.ok("invoice", "show", number, "--format", "json").json()
    assert [p["id"] for p in card["payments"]] == [good["id"]]

    out = vet.ok("invoice", "void-payment", number, str(good["id"]), "--reason", "pinbon van een ander",
                 "--json").json()
    assert (out["id"], out["status"], out["balance_cents"]) == (good["id"], "open", 12100)
    assert vet.sql("SELECT count(*), void_reason FROM payment WHERE voided_at IS NOT NULL") == [
        (1, "pinbon van een ander")]  # kept, marked, never deleted
    card = vet.ok("invoice", "show", number, "--format", "json").json()
    assert (card["status"], card["paid_cents"], card["balance_cents"]) == ("open", 0, 12100)
    assert card["payments"][0]["voided"] is True and card["payments"][0]["void_reason"] == "pinbon van een ander"
    plain = vet.ok("invoice", "show", number, "--format", "plain").stdout
    assert "voided_on" in plain and "pinbon van een ander" in plain
    assert [r["invoice"] for r in vet.ok("debtors", "--as-of", "2026-04-01", "--json").json()] == [number]
    details = vet.sql("SELECT entity_ids, details FROM audit_log WHERE action = 'payment.void'")
    assert len(details) == 1 and "pinbon" not in details[0][1]

    assert "already voided" in fails(vet, "invoice", "void-payment", number, str(good["id"]), "--reason", "x")
    assert "not found" in fails(vet, "invoice", "void-payment", number, "999", "--reason", "x")
    fails(vet, "invoice", "void-payment", number, str(good["id"]), code=2)  # --reason is required
    # paid again, properly
    assert vet.ok("invoice", "pay", number, "--amount", "121,00", "--method", "transfer", "--date",
                  "2026-03-05", "--json").json()["status"] == "paid"


def test_refund_on_a_credit_note(practice, client):
    vet = practice
    number = vet.add_invoice(client, "Consult;1;45,00", "pin", "2026-05-04")          # 54.45 paid at once
    note = vet.ok("invoice", "credit", number, "--reason", "dubbel geboekt", "--date", "2026-05-04",
                  "--json").json()["number"]
    err = fails(vet, "invoice", "refund", note, "--amount", "54,46", "--method", "pin")
    assert err == "error: --amount: exceeds what can still be refunded (54.45)"
    assert "not a credit note" in fails(vet, "invoice", "refund", number, "--amount", "1", "--method", "pin")
    fails(vet, "invoice", "refund", note, "--method", "pin", code=2)              # --amount is required

    out = vet.ok("invoice", "refund", note, "--amount", "50,00", "--method", "pin", "--date", "05-05-2026",
                 "--json").json()
    assert (out["amount_cents"], out["refundable_cents"], out["paid_on"]) == (-5000, 445, "2026-05-05")
    card = vet.ok("invoice", "show", note, "--format", "json").json()
    assert (card["refunded_cents"], card["refundable_cents"]) == (5000, 445)
    cashup = vet.ok("cashup", "--date", "2026-05-05", "--json").json()
    assert cashup["refunded_by_method"]["pin"] == 5000 and cashup["received_cents"] == -5000
    vet.ok("invoice", "refund", note, "--amount", "4,45", "--method", "cash", "--date", "2026-05-05")
    assert "refunded in full" in fails(vet, "invoice", "refund", note, "--amount", "0,01", "--method", "cash")
    audit = vet.sql("SELECT entity_ids FROM audit_log WHERE action = 'invoice.refund'")
    assert [a[0] for a in audit] == [f'["{note}","{number}"]'] * 2


def test_books_export_marks_a_voided_payment(practice, client):
    vet = practice
    number = vet.add_invoice(client, "Consult;1;10,00", "pin", "2026-07-01")          # 12.10
    pid = vet.sql("SELECT id FROM payment")[0][0]
    vet.ok("invoice", "void-payment", number, str(pid), "--reason", "test")
    vet.ok("invoice", "pay", number, "--amount", "12,10", "--method", "cash", "--date", "2026-07-02")
    doc = vet.ok("books", "export", "--year", "2026").json()
    assert [(p["amount_cents"], p["voided"]) for p in doc["payments"]] == [(1210, True), (1210, False)]
    assert doc["totals"]["payments_cents"] == 1210
    csv_text = vet.ok("books", "export", "--year", "2026", "--format", "csv").stdout
    records = [line.split(";")[0] for line in csv_text.splitlines()]
    assert records.count("voided_payment") == 1 and records.count("payment") == 1


def test_invoice_list_by_date(practice, client):
    vet = practice
    a = vet.add_invoice(client, "A;1;10,00", "pin", "2026-06-01")
    b = vet.add_invoice(client, "B;1;10,00", "account", "2026-06-02")
    c = vet.add_invoice(client, "C;1;10,00", "pin", "2026-06-30")

    def listed(*args):
        return [r["number"] for r in vet.ok("invoice", "list", *args, "--format", "json").json()]

    assert listed("--date", "02-06-2026") == [b]
    assert listed("--from", "2026-06-02", "--to", "2026-06-30") == [b, c]
    assert listed("--from", "2026-06-01", "--to", "2026-06-30", "--status", "paid", "--client", client) == [a, c]
    assert listed("--to", "2026-06-01") == [a]
    assert listed("--date", "2026-06-03") == []
    assert "--date" in fails(vet, "invoice", "list", "--date", "2026-06-02", "--from", "2026-06-01", code=2)
    assert "--from" in fails(vet, "invoice", "list", "--from", "2026-06-30", "--to", "2026-06-01")
    assert "--to" in fails(vet, "invoice", "list", "--to", "30-30-2026")


def test_a_payment_and_a_refund_take_the_same_amount_and_method(practice, client):
    """One rule for money paid in or back: the amount first, then the method, any case, one line."""
    vet = practice
    number = vet.add_invoice(client, "Operatie;1;100,00", "account", "2026-03-02")   # 121.00
    for command in (("invoice", "pay", number), ("invoice", "refund", number)):
        assert fails(vet, *command, "--amount", "12,345", "--method", "bitcoin").startswith("error: --amount: ")
        assert fails(vet, *command, "--amount", "10", "--method", "bitcoin") == \
            "error: --method: must be one of: pin, cash, transfer"
    assert vet.ok("invoice", "pay", number, "--amount", "121", "--method", " PIN ", "--date", "2026-03-03",
                  "--json").json()["status"] == "paid"
    note = vet.ok("invoice", "credit", number, "--reason", "dubbel", "--json").json()["number"]
    assert fails(vet, "invoice", "refund", note, "--amount", "10", "--method", "") == \
        "error: --method: must be one of: pin, cash, transfer"
    vet.ok("invoice", "refund", note, "--amount", "10", "--method", "Cash")
    assert vet.sql("SELECT amount_cents, method FROM payment ORDER BY id") == [(12100, "pin"), (-1000, "cash")]
