"""Library ring: vetcards.invoicing and vetcards.invoice_views on a real encrypted file.

Clients and pets are made through the CLI (the ``vet`` fixture); invoices
through the library with an ORM session from :class:`vetcards.db.Database`,
as the CLI does. Assertions read the database back directly (``vet.sql``).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from conftest import PRACTICE_BTW as BTW
from conftest import ROOT, init_practice
from sqlalchemy import text

from vetcards import invoice_views, invoicing, money
from vetcards.db import open_database
from vetcards.errors import Conflict, InvalidInput, NotFound
from vetcards.keys import read_key_file

TODAY = date(2026, 11, 27)

NAME = "Anna Jansen-Ødegård"
STREET = "Dorpsstraat 17"


@pytest.fixture
def client(practice):
    return practice.add_client(NAME, street=STREET, birth_date="1980-02-29")


def create(db, client, lines, payment="pin", on=TODAY, pet=None, today=TODAY):
    with db.unit() as s:
        s.info["actor"] = "tester"
        return invoicing.create_invoice(s, client, lines, payment, on=on, pet_ref=pet, today=today)


def card(db, ref):
    with db.unit() as conn:
        return invoice_views.invoice_card(conn, ref)


def audit_rows(vet, action_prefix="invoice."):
    return vet.sql("SELECT action, entity_ids, details FROM audit_log WHERE action LIKE ? ORDER BY id",
                   (action_prefix + "%",))


# --------------------------------------------------------------------------
# VAT and totals
# --------------------------------------------------------------------------


def test_mixed_rates_totals_per_rate_rounded_once(db, client, vet):
    inv = create(db, client, [
        "Consult;1;45,00",              # 21 % default
        "Vaccinatie;2;32.50;9",         # 9 %
        "Dierenarts-verklaring;1;0,00;0",  # 0 %, zero price allowed on a line
        "Voer;3;1,19;9%",               # 9 %: 3.57
        "Ontworming;0,5;0,05;21",       # 0.025 -> 0.03 (half up)
    ])
    # 21 %: 45.00 + 0.03 = 45.03 -> VAT 9.4563 -> 9.46
    # 9 %: 65.00 + 3.57 = 68.57 -> VAT 6.1713 -> 6.17
    # 0 %: 0.00
    assert [(rt.rate, rt.net_cents, rt.vat_cents) for rt in inv.totals.per_rate] == [
        (21, 4503, 946), (9, 6857, 617), (0, 0, 0)]
    assert (inv.net_cents, inv.vat_cents, inv.gross_cents) == (11360, 1563, 12923)
    row = vet.sql("SELECT number, status, net_cents, vat_cents, gross_cents, payment_method "
                  "FROM invoice WHERE id = ?", (inv.id,))
    assert row == [(inv.number, "paid", 11360, 1563, 12923, "pin")]
    lines = vet.sql("SELECT position, description, quantity, unit_price_cents, vat_rate, net_cents "
                    "FROM invoice_line WHERE invoice_id = ? ORDER BY position", (inv.id,))
    assert lines == [
        (1, "Consult", "1", 4500, 21, 4500),
        (2, "Vaccinatie", "2", 3250, 9, 6500),
        (3, "Dierenarts-verklaring", "1", 0, 0, 0),
        (4, "Voer", "3", 119, 9, 357),
        (5, "Ontworming", "0.5", 5, 21, 3),
    ]
    # The card recomputes the same per-rate totals from the stored lines.
    c = card(db, inv.number)
    assert c["totals_match_lines"] is True
    assert [(v["rate"], v["net_cents"], v["vat_cents"]) for v in c["vat_rates"]] == [
        (21, 4503, 946), (9, 6857, 617), (0, 0, 0)]
    assert c["total"] == "129.23" and c["balance_cents"] == 0


def test_vat_rounded_per_rate_not_per_line(db, client):
    # Two lines of 0.50 at 9 %: per line 4.5 cents each would round to 5 + 5 = 10;
    # per rate it is 9 % of 1.00 = 9 cents.
    inv = create(db, client, ["A;1;0,50;9", "B;1;0.50;9"])
    assert [(rt.rate, rt.net_cents, rt.vat_cents) for rt in inv.totals.per_rate] == [(9, 100, 9)]
    # Half a cent of VAT rounds up: 9 % of 0.50 = 4.5 -> 5.
    inv2 = create(db, client, ["A;1;0,50;9"])
    assert inv2.vat_cents == 5 and inv2.gross_cents == 55
    # Just under half rounds down: 21 % of 0.02 = 0.42 -> 0; of 0.03 = 0.63 -> 1.
    inv3 = create(db, client, ["A;1;0,02", "B;1;1,00;9"])
    assert [(rt.rate, rt.vat_cents) for rt in inv3.totals.per_rate] == [(21, 0), (9, 9)]


def test_comma_and_dot_amounts_are_the_same(db, client, vet):
    a = create(db, client, ["Consult;1,5;45,10;9"])
    b = create(db, client, ["Consult;1.5;45.10;9"])
    c = create(db, client, ["Consult;1.500;45.1;9%"])
    assert a.gross_cents == b.gross_cents == c.gross_cents == 6765 + 609
    stored = vet.sql("SELECT quantity, unit_price_cents, net_cents FROM invoice_line ORDER BY id")
    assert stored == [("1.5", 4510, 6765)] * 3


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Consult;1;-45,00", "must not be negative"),
        ("Consult;1;45,001", "at most two decimals"),
        ("Consult;1;veertig", "unit price must be a number"),
        ("Consult;0;45,00", "greater than zero"),
        ("Consult;0,000;45,00", "greater than zero"),
        ("Consult;-1;45,00", "positive number"),
        ("Consult;1;45,00;6", "VAT rate must be one of 21, 9, 0"),
        ("Consult;1", "expected DESCRIPTION;QTY;UNIT_PRICE"),
        (";1;45,00", "description is required"),
        ("Consult;1;1.000,00", "one decimal separator"),
    ],
)
def test_invalid_lines_rejected_nothing_written(db, client, vet, line, rule):
    before = vet.counts()
    with pytest.raises(InvalidInput) as exc:
        create(db, client, ["Goed;1;10,00", line])
    assert exc.value.field == "--line"
    assert rule in exc.value.rule
    assert vet.counts() == before


def test_zero_total_and_no_lines_refused(db, client, vet):
    before = vet.counts()
    with pytest.raises(InvalidInput, match="--line: the invoice total must be greater than zero"):
        create(db, client, ["Gratis controle;1;0,00"])
    with pytest.raises(InvalidInput, match="at least one line"):
        create(db, client, [])
    with pytest.raises(InvalidInput, match="--payment"):
        create(db, client, ["Consult;1;45,00"], payment="creditcard")
    with pytest.raises(InvalidInput, match="--date: must not be in the future"):
        create(db, client, ["Consult;1;45,00"], on=date(2026, 11, 28))
    assert vet.counts() == before


# --------------------------------------------------------------------------
# payment on account needs the birth date; snapshots
# --------------------------------------------------------------------------


def test_account_without_birth_date_refused_nothing_written(db, practice):
    k = practice.add_client("Bert Bakker")  # no birth date
    before = practice.counts()
    with pytest.raises(InvalidInput) as exc:
        create(db, k, ["Consult;1;45,00"], payment="account")
    assert exc.value.field == "--payment"
    assert "--birth-date" in str(exc.value) and "birth date" in str(exc.value)
    assert practice.counts() == before
    # cash and pin need no birth date; neither is it copied onto the invoice.
    inv = create(db, k, ["Consult;1;45,00"], payment="cash")
    assert practice.sql("SELECT status, customer_birth_date FROM invoice WHERE id = ?", (inv.id,)) == [
        ("paid", None)]


def test_account_invoice_is_open_with_birth_date_snapshot(db, client, vet):
    inv = create(db, client, ["Consult;1;45,00"], payment="account")
    assert inv.status == "open"
    assert vet.sql("SELECT status, customer_birth_date FROM invoice WHERE id = ?", (inv.id,)) == [
        ("open", "1980-02-29")]
    assert vet.sql("SELECT count(*) FROM payment WHERE invoice_id = ?", (inv.id,)) == [(0,)]


def test_cash_and_pin_paid_on_the_invoice_date(db, client, vet):
    inv = create(db, client, ["Consult;1;45,00"], payment="PIN", on=date(2026, 3, 4))
    assert vet.sql("SELECT paid_on, amount_cents, method FROM payment WHERE invoice_id = ?", (inv.id,)) == [
        ("2026-03-04", 5445, "pin")]
    assert inv.status == "paid"
    # Data minimisation (SPEC §1): the birth date is copied only for payment on account.
    assert vet.sql("SELECT status, customer_birth_date FROM invoice WHERE id = ?", (inv.id,)) == [
        ("paid", None)]


def test_snapshot_survives_client_and_practice_edits(db, client, vet):
    inv = create(db, client, ["Consult;1;45,00"])
    vet.ok("client", "edit", client, "--name", "Anna de Vries", "--street", "Kerkweg 2")
    vet.ok("practice", "set", "--name", "Nieuwe Kliniek", "--btw", "NL004495445B01")
    c = card(db, inv.number)
    assert (c["customer_name"], c["customer_street"], c["customer_postcode"], c["customer_city"]) == (
        NAME, STREET, "1234 AB", "Utrecht")
    assert (c["supplier_name"], c["supplier_address"], c["supplier_vat_number"], c["supplier_kvk"],
            c["supplier_iban"]) == ("Dierenkliniek De Linde", "Lindelaan 3, 3511 AA Utrecht", BTW,
                                    "12345678", "NL91ABNA0417164300")
    # A new invoice takes the new details.
    new = card(db, create(db, client, ["Consult;1;45,00"]).number)
    assert (new["customer_name"], new["supplier_name"], new["supplier_vat_number"]) == (
        "Anna de Vries", "Nieuwe Kliniek", "NL004495445B01")


def test_missing_practice_details_refused(vet):
    k = vet.add_client()
    database = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        before = vet.counts()
        with pytest.raises(Conflict, match="art. 35a") as exc:
            create(database, k, ["Consult;1;45,00"])
        assert "--btw" in str(exc.value) and "--name" in str(exc.value)
        assert vet.counts() == before
    finally:
        database.close()


def test_pet_must_belong_to_the_client(db, client, practice):
    own = practice.add_pet(client)
    other = practice.add_pet(practice.add_client("Carla Claes"), name="Minoes", species="cat")
    before = practice.counts()
    with pytest.raises(InvalidInput, match="--pet: is not an animal of this client"):
        create(db, client, ["Consult;1;45,00"], pet=other)
    with pytest.raises(NotFound):
        create(db, client, ["Consult;1;45,00"], pet="P999999")
    with pytest.raises(NotFound):
        create(db, "K999999", ["Consult;1;45,00"])
    assert practice.counts() == before
    inv = create(db, client, ["Consult;1;45,00"], pet=own)
    assert card(db, inv.number)["pet"] == own


# --------------------------------------------------------------------------
# numbering
# --------------------------------------------------------------------------


def test_numbers_consecutive_per_year_and_roll_over(db, client, vet):
    numbers = [
        create(db, client, ["A;1;1,00"], on=date(2025, 12, 30)).number,
        create(db, client, ["A;1;1,00"], on=date(2025, 12, 31)).number,
        create(db, client, ["A;1;1,00"], on=date(2026, 1, 1)).number,
        create(db, client, ["A;1;1,00"], on=date(2026, 1, 2)).number,
        # A late invoice for last year continues last year's series.
        create(db, client, ["A;1;1,00"], on=date(2025, 12, 31), today=date(2026, 1, 3)).number,
    ]
    assert numbers == ["2025-00001", "2025-00002", "2026-00001", "2026-00002", "2025-00003"]
    assert vet.sql("SELECT year, seq FROM invoice ORDER BY id") == [
        (2025, 1), (2025, 2), (2026, 1), (2026, 2), (2025, 3)]


def test_a_failed_invoice_takes_no_number(db, client, practice):
    create(db, client, ["A;1;1,00"])
    k2 = practice.add_client("Bert Bakker")
    with pytest.raises(InvalidInput):
        create(db, k2, ["A;1;1,00"], payment="account")
    assert create(db, client, ["A;1;1,00"]).number == "2026-00002"


def test_invoice_refs(db, client):
    inv = create(db, client, ["A;1;1,00"])
    assert card(db, str(inv.id))["number"] == inv.number
    assert card(db, "2026-00001")["id"] == inv.id
    with pytest.raises(NotFound):
        card(db, "2026-00002")
    with pytest.raises(InvalidInput, match="INVOICE: must be an invoice number"):
        card(db, "Anna Jansen")


# --------------------------------------------------------------------------
# payments, collection, credit notes
# --------------------------------------------------------------------------


def pay(db, ref, amount, method="transfer", on=TODAY):
    with db.unit() as s:
        s.info["actor"] = "tester"
        return invoicing.pay_invoice(s, ref, amount, method, on, today=TODAY)


def collect(db, ref):
    with db.unit() as s:
        s.info["actor"] = "tester"
        return invoicing.collect(s, ref)


def credit(db, ref, reason=None, on=None):
    with db.unit() as s:
        s.info["actor"] = "tester"
        return invoicing.credit(s, ref, reason, on=on, today=TODAY)


def test_partial_payments_overpayment_and_collection(db, client, vet):
    inv = create(db, client, ["Consult;1;45,00"], payment="account", on=date(2026, 10, 1))  # 54.45
    _, _, balance = pay(db, inv.number, "20,00", on=date(2026, 10, 10))
    assert balance == 3445
    before = vet.counts()
    with pytest.raises(InvalidInput, match="--amount: exceeds the amount still owed \\(34.45\\)"):
        pay(db, inv.number, "34,46")
    with pytest.raises(InvalidInput, match="--amount"):
        pay(db, inv.number, "0")
    with pytest.raises(InvalidInput, match="--amount"):
        pay(db, inv.number, "-5")
    with pytest.raises(InvalidInput, match="--method"):
        pay(db, inv.number, "5", method="bitcoin")
    with pytest.raises(InvalidInput, match="--date: must not be before the invoice date"):
        pay(db, inv.number, "5", on=date(2026, 9, 30))
    assert vet.counts() == before

    invoice, balance = collect(db, inv.number)
    assert invoice.status == "in_collection" and balance == 3445
    with pytest.raises(Conflict, match="only an open invoice"):
        collect(db, inv.number)
    # Payments still come in while in collection; the last one closes it.
    pay(db, inv.number, "30.00")
    invoice, _, balance = pay(db, inv.number, "4,45", method="pin")
    assert balance == 0 and invoice.status == "paid"
    assert vet.sql("SELECT status FROM invoice WHERE id = ?", (inv.id,)) == [("paid",)]
    assert vet.sql("SELECT amount_cents, method FROM payment WHERE invoice_id = ? ORDER BY id", (inv.id,)) == [
        (2000, "transfer"), (3000, "transfer"), (445, "pin")]
    with pytest.raises(Conflict, match="already paid"):
        pay(db, inv.number, "0,01")
    with pytest.raises(Conflict):
        collect(db, inv.number)
    c = card(db, inv.number)
    assert (c["paid_cents"], c["balance_cents"]) == (5445, 0)


def test_credit_note_negates_exactly(db, client, vet):
    inv = create(db, client, [
        "Consult;1;45,00", "Ontworming;0,5;0,05;21", "A;1;0,50;9", "B;1;0,50;9", "Voer;3;1,19;0",
    ], payment="account")
    original_row = vet.sql("SELECT * FROM invoice WHERE id = ?", (inv.id,))[0]
    original_lines = vet.sql("SELECT * FROM invoice_line WHERE invoice_id = ? ORDER BY position", (inv.id,))

    note, original = credit(db, inv.number, reason="verkeerde klant")
    assert note.number == "2026-00002" and note.kind == "credit_note"
    assert original.status == "credited"
    assert (note.net_cents, note.vat_cents, note.gross_cents) == (
        -inv.net_cents, -inv.vat_cents, -inv.gross_cents)
    assert [(rt.rate, rt.net_cents, rt.vat_cents) for rt in note.totals.per_rate] == [
        (rt.rate, -rt.net_cents, -rt.vat_cents) for rt in inv.totals.per_rate]
    note_lines = vet.sql("SELECT position, description, quantity, unit_price_cents, vat_rate, net_cents "
                         "FROM invoice_line WHERE invoice_id = ? ORDER BY position", (note.id,))
    assert note_lines == [(l[2], l[3], l[4], -l[5], l[6], -l[7]) for l in original_lines]
    stored = vet.sql("SELECT kind, credits_invoice_id, status, customer_name, net_cents, vat_cents, "
                     "gross_cents, reason FROM invoice WHERE id = ?", (note.id,))
    assert stored == [("credit_note", inv.id, "credited", NAME, -inv.net_cents, -inv.vat_cents,
                       -inv.gross_cents, "verkeerde klant")]
    # The original is untouched but for its status.
    after_row = vet.sql("SELECT * FROM invoice WHERE id = ?", (inv.id,))[0]
    status_col = [r[1] for r in vet.sql("PRAGMA table_info(invoice)")].index("status")
    assert [v for i, v in enumerate(after_row) if i != status_col] == [
        v for i, v in enumerate(original_row) if i != status_col]
    assert after_row[status_col] == "credited"
    assert vet.sql("SELECT * FROM invoice_line WHERE invoice_id = ? ORDER BY position", (inv.id,)) == original_lines

    # The cards agree and point at each other.
    c_note, c_orig = card(db, note.number), card(db, inv.number)
    assert c_note["credits"] == inv.number and c_orig["credited_by"] == note.number
    assert c_note["balance_cents"] == 0 and c_orig["balance_cents"] == 0
    assert c_note["totals_match_lines"]

    before = vet.counts()
    with pytest.raises(Conflict, match="already credited"):
        credit(db, inv.number)
    with pytest.raises(Conflict, match="credit note cannot be credited"):
        credit(db, note.number)
    with pytest.raises(Conflict, match="credited; it takes no payments"):
        pay(db, inv.number, "1,00")
    with pytest.raises(Conflict, match="credit note"):
        pay(db, note.number, "1,00")
    with pytest.raises(Conflict):
        collect(db, inv.number)
    assert vet.counts() == before


def test_credit_note_numbered_in_its_own_year(db, client):
    inv = create(db, client, ["Consult;1;45,00"], on=date(2025, 12, 20), today=date(2025, 12, 20))
    with pytest.raises(InvalidInput, match="--date"):
        credit(db, inv.number, on=date(2025, 12, 19))
    note, _ = credit(db, inv.number, on=date(2026, 1, 5))
    assert (inv.number, note.number) == ("2025-00001", "2026-00001")


def test_credit_a_paid_invoice_keeps_its_payments(db, client, vet):
    inv = create(db, client, ["Consult;1;45,00"], payment="pin")
    note, _ = credit(db, inv.number)
    assert vet.sql("SELECT amount_cents FROM payment WHERE invoice_id = ?", (inv.id,)) == [(5445,)]
    details = json.loads(audit_rows(vet, "invoice.credit")[0][2])
    assert details["paid_cents"] == 5445 and details["gross_cents"] == -5445


# --------------------------------------------------------------------------
# audit, restriction, views
# --------------------------------------------------------------------------


def test_audit_entries_hold_numbers_and_amounts_no_names(db, client, vet):
    pet = vet.add_pet(client, name="Bello")
    inv = create(db, client, ["Consult Bello spoed;1;45,00"], payment="account", pet=pet)
    pay(db, inv.number, "10,00")
    collect(db, inv.number)
    credit(db, inv.number, reason="Anna wilde het anders")
    rows = audit_rows(vet)
    assert [r[0] for r in rows] == ["invoice.create", "invoice.pay", "invoice.collect", "invoice.credit"]
    create_ids, create_details = json.loads(rows[0][1]), json.loads(rows[0][2])
    assert create_ids == [inv.number, client, pet]
    assert create_details == {"lines": 1, "net_cents": 4500, "vat_cents": 945, "gross_cents": 5445,
                              "payment": "account", "paid_cents": 0}
    assert json.loads(rows[1][2])["amount_cents"] == 1000
    # (not ts or the hashes: "1980" may turn up among their digits by chance)
    everything = json.dumps(vet.sql("SELECT actor, action, entity, entity_ids, details FROM audit_log"))
    for secret in ("Anna", "Jansen", "Dorpsstraat", "Bello", "Consult", "wilde", "1980"):
        assert secret not in everything
    assert vet.ok("audit", "verify").exit_code == 0
    assert vet.sql("SELECT actor FROM audit_log WHERE action = 'invoice.create'") == [("tester",)]


def test_restricted_invoices_are_hidden(db, client, vet):
    hidden = create(db, client, ["Consult;1;45,00"], payment="account")
    shown = create(db, client, ["Consult;1;45,00"], payment="account")
    with db.unit() as conn:
        conn.execute(text("UPDATE invoice SET restricted = 1 WHERE id = :i"), {"i": hidden.id})
        conn.commit()
    # Shown for the purpose it is kept for, marked restricted (SPEC §4); not paid, collected or credited.
    assert card(db, hidden.number)["restricted"] is True
    with pytest.raises(NotFound):
        pay(db, hidden.number, "1,00")
    with pytest.raises(NotFound):
        collect(db, hidden.number)
    with pytest.raises(NotFound):
        credit(db, hidden.number)
    with db.unit() as conn:
        listed = [r["number"] for r in invoice_views.list_invoices(conn)]
    assert listed == [shown.number]


def test_list_filters(db, client, practice):
    pet = practice.add_pet(client)
    k2 = practice.add_client("Bert Bakker", birth_date="1970-01-01")
    a = create(db, client, ["A;1;10,00"], payment="account", on=date(2025, 3, 1), pet=pet)  # overdue
    b = create(db, client, ["B;1;10,00"], payment="pin", on=date(2026, 1, 5))
    d = create(db, k2, ["D;1;10,00"], payment="account", on=date(2026, 11, 1))  # due 11-15
    c = create(db, k2, ["C;1;10,00"], payment="account", on=date(2026, 11, 20))  # due 12-04
    collect(db, d.number)

    def numbers(**kw):
        with db.unit() as conn:
            return [r["number"] for r in invoice_views.list_invoices(conn, today=TODAY, **kw)]

    assert numbers() == [a.number, b.number, d.number, c.number]
    assert numbers(client=client) == [a.number, b.number]
    assert numbers(pet=pet) == [a.number]
    assert numbers(status="open") == [a.number, c.number]
    assert numbers(status="In collection") == [d.number]
    assert numbers(year=2025) == [a.number]
    assert numbers(overdue=True) == [a.number, d.number]
    assert numbers(overdue=True, client=k2) == [d.number]
    with pytest.raises(InvalidInput, match="--status"):
        numbers(status="betaald")
    with pytest.raises(NotFound):
        numbers(client="K999999")
    # The payment term is a practice setting.
    practice.ok("practice", "set", "--payment-term-days", "30")
    assert numbers(overdue=True) == [a.number]
    with db.unit() as conn:
        row = invoice_views.list_invoices(conn, client=k2, today=TODAY)[1]
    assert row["due_date"] == "2026-12-20" and row["balance_cents"] == 1210


def test_lines_of_round_trip_quantity(db, client):
    inv = create(db, client, ["A;1,250;10,00", "B;100000;0,01", "C;10;1,00"])
    c = card(db, inv.number)
    assert [l["quantity"] for l in c["lines"]] == ["1.25", "100000", "10"]
    assert [money.Line(l["description"], Decimal(l["quantity"]), l["unit_price_cents"], l["vat_rate"]).net_cents
            for l in c["lines"]] == [1250, 100000, 1000]


def test_view_amount_format_matches_money():
    for cents in (0, 1, -1, 99, -100, 12345, -123456789, 1_000_000_000):
        assert invoice_views._fmt(cents) == money.format_cents(cents)


# --------------------------------------------------------------------------
# the batch path: create_invoices
# --------------------------------------------------------------------------


def _second_practice(tmp_path):
    """Another fresh practice with the same settings, for side-by-side runs."""
    return init_practice(tmp_path / "second").set_practice()


def _people(v):
    """The same clients and pets, in the same order, in a practice."""
    a = v.add_client(NAME, street=STREET, birth_date="1980-02-29")
    b = v.add_client("Bert Bakker", postcode="5678 CD", city="Zwolle")  # no birth date
    c = v.add_client("Carla Claes", birth_date="1975-05-05")
    return {"a": a, "b": b, "c": c, "pa": v.add_pet(a), "pc": v.add_pet(c, name="Minoes", species="cat")}


def _mixed_requests(p):
    R = invoicing.InvoiceRequest
    return [
        R(p["a"], ["Consult;1;45,00", "Vaccinatie;2;32.50;9"], "account", date(2026, 3, 1), p["pa"]),
        R(p["b"], ["Ontworming;0,5;0,05;21", "Voer;3;1,19;9%"], "pin", date(2025, 12, 31)),
        R(p["c"], ["A;1;0,50;9", "B;1;0.50;9"], "cash", date(2026, 3, 2), p["pc"]),
        R(p["a"], ["Consult;1;45,00"], "PIN", date(2025, 12, 31)),  # dates in order per year (art. 35a)
        R(p["c"], ["Consult;1;45,00", "Verklaring;1;0,00;0"], "account", date(2026, 11, 27)),
        R(p["b"], ["Dieetvoer 2 kg;2;27,95;9"], "cash", date(2026, 11, 27)),
        R(p["a"].lower(), ["X;1,250;10,00"], "account", None, p["pa"]),  # today; ref in lower case
    ]


def _invoice_state(v):
    invoices = v.sql("SELECT * FROM invoice ORDER BY id")
    cols = [r[1] for r in v.sql("PRAGMA table_info(invoice)")]
    skip = cols.index("created_at")
    return {
        "invoice": [tuple(x for i, x in enumerate(r) if i != skip) for r in invoices],
        "invoice_line": v.sql("SELECT * FROM invoice_line ORDER BY id"),
        "payment": v.sql("SELECT id, invoice_id, paid_on, amount_cents, method FROM payment ORDER BY id"),
        "audit": v.sql("SELECT id, actor, action, entity, entity_ids, details FROM audit_log "
                       "WHERE action LIKE 'invoice.%' ORDER BY id"),
    }


def test_batch_equals_the_same_invoices_one_by_one(db, practice, tmp_path):
    """Numbers, totals, snapshots, lines, payments and audit content as single creates."""
    p1 = _people(practice)
    other = _second_practice(tmp_path)
    p2 = _people(other)
    assert p1 == p2
    db2 = open_database(other.db, read_key_file(other.key_file), write=True)
    try:
        # Both start with an invoice in each year, so numbering continues a series.
        for d in (db, db2):
            create(d, p1["a"], ["Eerder;1;1,00"], on=date(2025, 2, 2))
            create(d, p1["a"], ["Eerder;1;1,00"], on=date(2026, 2, 2))
        requests = _mixed_requests(p1)
        with db.unit() as s:
            s.info["actor"] = "tester"
            batch = invoicing.create_invoices(s, requests, today=TODAY)
        single = [
            create(db2, r.client_ref, r.lines, r.payment, on=r.on, pet=r.pet_ref) for r in requests
        ]
    finally:
        db2.close()
    assert [i.number for i in batch] == [
        "2026-00002", "2025-00002", "2026-00003", "2025-00003", "2026-00004", "2026-00005", "2026-00006"]
    assert batch == single  # ids, numbers, status, dates, refs, parsed lines, totals per rate
    assert [i.status for i in batch] == ["open", "paid", "paid", "paid", "open", "paid", "open"]
    assert batch[-1].invoice_date == TODAY and batch[0].pet_number == p1["pa"]
    state1, state2 = _invoice_state(practice), _invoice_state(other)
    assert state1 == state2
    assert len(state1["invoice_line"]) == 2 + 11 and len(state1["payment"]) == 2 + 4
    # The snapshot: the birth date only on account invoices.
    assert practice.sql("SELECT number, customer_name, customer_birth_date FROM invoice "
                        "WHERE number IN ('2026-00002', '2025-00003', '2026-00004') ORDER BY id") == [
        ("2026-00002", NAME, "1980-02-29"), ("2025-00003", NAME, None), ("2026-00004", "Carla Claes", "1975-05-05")]
    # One audit entry per invoice, same content; both chains verify.
    assert [json.loads(r[4])[0] for r in state1["audit"][2:]] == [i.number for i in batch]
    assert practice.ok("audit", "verify").exit_code == 0
    assert other.ok("audit", "verify").exit_code == 0


def test_batch_rows_are_stored_as_core_and_the_orm_store_them(db, practice):
    """Dates, booleans and timestamps of batch rows go through the column types'
    own processing: they read back like the rows Core and the ORM write."""
    from datetime import UTC, datetime, timedelta

    p = _people(practice)
    with db.unit() as s:
        s.info["actor"] = "tester"
        batch = invoicing.create_invoices(s, _mixed_requests(p)[:2], today=TODAY)
    note, _ = credit(db, batch[1].number)  # Core insert with dicts (credit notes)
    pay(db, batch[0].number, "1,00")  # an ORM-written payment
    rows = practice.sql("SELECT number, invoice_date, customer_birth_date, typeof(restricted), restricted, "
                        "created_at FROM invoice ORDER BY id")
    assert [r[:5] for r in rows] == [
        (batch[0].number, "2026-03-01", "1980-02-29", "integer", 0),
        (batch[1].number, "2025-12-31", None, "integer", 0),
        (note.number, TODAY.isoformat(), None, "integer", 0),
    ]
    shape = [(len(r[5]), r[5][10], r[5][19]) for r in rows]
    assert shape == [(26, " ", ".")] * 3  # as Core wrote the credit note's
    payments = practice.sql("SELECT paid_on, created_at FROM payment ORDER BY id")
    assert [p_[0] for p_ in payments] == ["2025-12-31", TODAY.isoformat()]
    assert {(len(c), c[10], c[19]) for _, c in payments} == {(26, " ", ".")}
    with db.unit() as s:
        inv = invoicing.get_invoice(s, batch[0].number)
        assert inv.invoice_date == date(2026, 3, 1) and inv.restricted is False
        assert inv.created_at.tzinfo is not None
        assert abs(datetime.now(UTC) - inv.created_at) < timedelta(minutes=5)
        assert [(pm.paid_on, pm.method) for pm in invoicing.get_invoice(s, batch[1].number).payments] == [
            (date(2025, 12, 31), "pin")]


def test_batch_with_one_invalid_request_writes_nothing(db, practice):
    p = _people(practice)
    R = invoicing.InvoiceRequest
    good = R(p["a"], ["Consult;1;45,00"], "pin", TODAY)
    before = practice.counts()
    # A rule that needs no database: found before any lookup.
    with pytest.raises(invoicing.BatchInvalidInput) as exc:
        with db.unit() as s:
            invoicing.create_invoices(s, [good, good, good, R(p["a"], ["Consult;1;veertig"], "pin"), good],
                                      today=TODAY)
    assert (exc.value.field, exc.value.index) == ("--line", 3)
    assert isinstance(exc.value, InvalidInput)
    assert str(exc.value) == "--line: unit price must be a number like 45.00 or 45,00 (requests[3])"
    # Rules that need the database, each naming its request.
    cases = [
        (R(p["b"], ["Consult;1;45,00"], "account"), InvalidInput, "--payment", "birth date"),
        (R(p["a"], ["Consult;1;45,00"], "pin", None, p["pc"]), InvalidInput, "--pet", "not an animal"),
        (R("K999999", ["Consult;1;45,00"], "pin"), NotFound, None, "client K999999 not found"),
        (R(p["a"], ["Consult;1;45,00"], "pin", None, "P999999"), NotFound, None, "pet P999999 not found"),
        (R(p["a"], ["Consult;1;45,00"], "pin", date(2026, 11, 28)), InvalidInput, "--date", "future"),
        (R(p["a"], ["Gratis;1;0,00"], "pin"), InvalidInput, "--line", "greater than zero"),
        (R(p["a"], ["Consult;1;45,00"], "bitcoin"), InvalidInput, "--payment", "must be"),
    ]
    for bad, kind, field, words in cases:
        with pytest.raises(kind) as exc:
            with db.unit() as s:
                invoicing.create_invoices(s, [good, good, bad], today=TODAY)
        assert exc.value.index == 2, bad
        assert getattr(exc.value, "field", None) == field, bad
        assert words in str(exc.value) and str(exc.value).endswith("(requests[2])"), str(exc.value)
        assert practice.counts() == before
    # The first invalid request is the one named.
    with pytest.raises(InvalidInput) as exc:
        with db.unit() as s:
            invoicing.create_invoices(s, [good, R(p["b"], ["Consult;1;45,00"], "account"),
                                          R(p["a"], ["Consult;1;45,00"], "account", None, p["pc"])], today=TODAY)
    assert (exc.value.field, exc.value.index) == ("--payment", 1)
    assert practice.counts() == before
    # Nothing was taken: the next batch starts at 00001; an empty batch writes nothing.
    with db.unit() as s:
        assert invoicing.create_invoices(s, [], today=TODAY) == []
        assert [i.number for i in invoicing.create_invoices(s, [good, good], today=TODAY)] == [
            "2026-00001", "2026-00002"]
    with pytest.raises(TypeError):
        with db.unit() as s:
            invoicing.create_invoices(s, good, today=TODAY)


def test_batch_reads_clients_and_settings_once(db, practice):
    """The number of statements does not grow with the batch (no per-invoice queries)."""
    from sqlalchemy import event

    p = _people(practice)
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany):
        statements.append(statement.split()[0] + " " + statement.split()[2 if statement.startswith("INSERT") else 1])

    # Each year's counter exists from its first invoice on (then: one UPDATE a year).
    create(db, p["a"], ["Eerder;1;1,00"], on=date(2025, 2, 2))
    create(db, p["a"], ["Eerder;1;1,00"], on=date(2026, 2, 2))
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        runs = []
        for n in (2, 40):
            statements.clear()
            requests = [r for _ in range(n // 2) for r in _mixed_requests(p)[:2]]
            with db.unit() as s:
                invoicing.create_invoices(s, requests, today=TODAY)
            runs.append(list(statements))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert runs[0] == runs[1] == [
        "BEGIN IMMEDIATE", "SELECT client.id,", "SELECT pet.id,", "SELECT key,",  # clients, pets, settings
        "SELECT value", "SELECT max(invoice.invoice_date)", "SELECT max(invoice.invoice_date)",  # issue dates
        "SELECT counter.value", "UPDATE counter", "SELECT counter.value", "UPDATE counter",  # numbers 2025, 2026
        "SELECT max(invoice.id)",  # ids
        "INSERT invoice", "INSERT invoice_line", "INSERT payment",
        "SELECT hash", "INSERT audit_log",
    ]
    assert practice.sql("SELECT count(*) FROM invoice") == [(44,)]


def test_record_many_writes_what_record_would(db, practice, tmp_path):
    from vetcards import audit

    entries = [
        ("invoice.create", "invoice", ["2026-00001", "K000001"], {"lines": 2, "payment": "pin", "b": -5}),
        ("invoice.pay", "invoice", ["2026-00001"], None),
        ("thing.done", "", [], {"nested": {"x": [1, 2]}, "ok": True, "n": None}),
    ]
    other = _second_practice(tmp_path)
    db2 = open_database(other.db, read_key_file(other.key_file), write=True)
    try:
        with db.unit() as conn:
            conn.info["actor"] = "a b/c"
            hashes = audit.record_many(conn, entries)
            conn.commit()
        with db2.unit() as conn:
            conn.info["actor"] = "a b/c"
            singles = [audit.record(conn, *e) for e in entries]
            conn.commit()
    finally:
        db2.close()
    q = "SELECT actor, action, entity, entity_ids, details FROM audit_log WHERE id > 2 ORDER BY id"
    assert practice.sql(q) == other.sql(q) == [
        ("a_b_c", "invoice.create", "invoice", '["2026-00001","K000001"]', '{"b":-5,"lines":2,"payment":"pin"}'),
        ("a_b_c", "invoice.pay", "invoice", '["2026-00001"]', "{}"),
        ("a_b_c", "thing.done", "", "[]", '{"n":null,"nested":{"x":[1,2]},"ok":true}'),
    ]
    rows = practice.sql("SELECT id, ts, actor, action, entity, entity_ids, details, prev_hash, hash, os_user "
                        "FROM audit_log ORDER BY id")
    assert [r[8] for r in rows[-3:]] == hashes and len(singles) == 3
    for prev, row in zip(rows, rows[1:]):  # chained, and hashed as entry_hash does
        assert row[7] == prev[8]
        assert row[8] == audit.entry_hash(*row[7:8], *row[1:7], row[9])
    assert practice.ok("audit", "verify").exit_code == 0
    # Every entry is checked before any is written.
    before = practice.sql("SELECT count(*) FROM audit_log")
    with pytest.raises(ValueError, match="only codes and numbers"):
        with db.unit() as conn:
            audit.record_many(conn, [entries[0], ("x.y", "", [], {"name": "Anna Jansen"})])
    assert practice.sql("SELECT count(*) FROM audit_log") == before
    with db.unit() as conn:
        assert audit.record_many(conn, []) == []


# A worker process: opens the database, waits for the start signal, then
# creates one batch of N invoices (alternating 2025 and 2026) in one call.
BATCH_WORKER = r"""
import json, os, sys, time
from datetime import date
from vetcards import invoicing
from vetcards.db import open_database
from vetcards.keys import read_key_file
db_path, key_file, go, client, tag, n = sys.argv[1:7]
db = open_database(db_path, read_key_file(key_file), write=True)
requests = [invoicing.InvoiceRequest(client, [f"Consult {tag} {i};1;45,00"], "pin",
                                     date(2025 + i % 2, 6, 30)) for i in range(int(n))]
open(go + "." + tag, "w").close()  # ready: imported, opened, requests built
deadline = time.monotonic() + 60
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("no start signal")
    time.sleep(0.001)
with db.unit() as s:
    s.info["actor"] = "worker"
    issued = invoicing.create_invoices(s, requests, today=date(2026, 11, 27))
db.close()
print(json.dumps([i.number for i in issued]))
"""


def test_two_processes_each_create_a_batch_at_once(practice, client):
    import subprocess
    import sys

    from conftest import wait_for

    n = 100
    go = practice.dir / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", BATCH_WORKER, str(practice.db), str(practice.key_file),
                          str(go), client, tag, str(n)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for tag in ("A", "B")
    ]
    # Both workers have imported, opened the database and built their requests.
    wait_for(lambda: all((practice.dir / f"go.{tag}").exists() for tag in "AB"), timeout=60)
    go.write_text("go")
    results = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    for year in (2025, 2026):
        got = sorted(x for r in results for x in r if x.startswith(f"{year}-"))
        assert got == [f"{year}-{i:05d}" for i in range(1, n + 1)]
        # One batch is one transaction: its numbers of a year are one run.
        runs = [[int(x[5:]) for x in r if x.startswith(f"{year}-")] for r in results]
        assert sorted(runs) == [list(range(1, n // 2 + 1)), list(range(n // 2 + 1, n + 1))]
    assert practice.sql("SELECT count(*), count(DISTINCT number) FROM invoice") == [(2 * n, 2 * n)]
    assert practice.sql("SELECT count(*) FROM invoice_line") == [(2 * n,)]
    assert practice.sql("SELECT count(*) FROM payment") == [(2 * n,)]
    assert practice.sql("SELECT count(*) FROM audit_log WHERE action = 'invoice.create'") == [(2 * n,)]
    # Each invoice got its own line (ids are assigned inside each transaction):
    # the i-th number a worker got carries that worker's i-th line.
    described = dict(practice.sql("SELECT i.number, l.description FROM invoice i "
                                  "JOIN invoice_line l ON l.invoice_id = i.id"))
    for tag, numbers in zip("AB", results):
        assert [described[x] for x in numbers] == [f"Consult {tag} {i}" for i in range(n)]
    practice.ok("audit", "verify")


def test_bench_invoices_runs(capsys):
    """The benchmark script of the batch path still runs (tiny sizes; its ratio is not checked here)."""
    import importlib.util

    path = ROOT / "benchmarks" / "bench_invoices.py"
    spec = importlib.util.spec_from_file_location("bench_invoices", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--n", "6", "--repeat", "1"]) in (0, 1)
    out = capsys.readouterr().out
    for label in ("(a) library create_invoices", "(b) library create_invoice x n",
                  "(c) DB-API executemany, 1 tx", "(d) DB-API executemany, 1 tx/inv", "a/c (batch"):
        assert label in out


def test_bulk_rows_give_every_column_of_the_table(db, client, monkeypatch):
    """Issuing (an invoice paid at once) and crediting write rows built by name from
    light tables, not from the models: every column of the model's table is given a
    value (the database numbers lines and payments), so a column added to a table
    and forgotten here fails this test."""
    from sqlmodel import SQLModel

    from vetcards.invoicing.bulk import BulkInsert

    written: dict[str, set[tuple[str, ...]]] = {}
    real = BulkInsert.execute

    def spy(self, conn, rows):
        written.setdefault(self.name, set()).update(row._fields for row in rows)
        return real(self, conn, rows)

    monkeypatch.setattr(BulkInsert, "execute", spy)
    inv = create(db, client, ["Consult;1;45,00"], payment="pin")
    credit(db, inv.number)
    tables = SQLModel.metadata.tables
    expected = {"invoice": {c.name for c in tables["invoice"].columns},
                "invoice_line": {c.name for c in tables["invoice_line"].columns} - {"id"},
                "payment": {c.name for c in tables["payment"].columns} - {"id"}}
    assert {name: [set(f) for f in fields] for name, fields in written.items()} == {
        name: [columns] for name, columns in expected.items()}


def test_bulk_rows_of_one_batch_name_the_same_columns(db):
    """A row is a named tuple of the names given; a batch mixing two shapes is refused, nothing written."""
    from vetcards.invoicing.issue import BULK_PAYMENT

    row = BULK_PAYMENT.row(invoice_id=7, paid_on=None, amount_cents=5, method="pin")
    assert row._fields == ("invoice_id", "paid_on", "amount_cents", "method") and tuple(row) == (7, None, 5, "pin")
    other = BULK_PAYMENT.row(invoice_id=7, paid_on=None, amount_cents=5, method="pin", created_at=None)
    with db.unit() as s, pytest.raises(ValueError, match="same columns"):
        BULK_PAYMENT.execute(s.connection(), [row, other])
