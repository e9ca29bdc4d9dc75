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
from sqlalchemy import text

from vetcards import invoice_views, invoicing, money
from vetcards.db import open_database
from vetcards.errors import Conflict, InvalidInput, NotFound
from vetcards.keys import read_key_file

TODAY = date(2026, 11, 27)
BTW = "NL000099998B57"
NAME = "Anna Jansen-Ødegård"
STREET = "Dorpsstraat 17"


@pytest.fixture
def practice(vet):
    vet.ok("practice", "set", "--name", "Dierenkliniek De Linde", "--street", "Lindelaan 3",
           "--postcode", "3511 AA", "--city", "Utrecht", "--btw", BTW, "--kvk", "12345678",
           "--iban", "NL91 ABNA 0417 1643 00")
    return vet


@pytest.fixture
def db(practice):
    database = open_database(practice.db, read_key_file(practice.key_file), write=True)
    yield database
    database.close()


@pytest.fixture
def client(practice):
    return practice.add_client(NAME, street=STREET, birth_date="1980-02-29")


def create(db, client, lines, payment="pin", on=TODAY, pet=None, today=TODAY):
    with db.session() as s:
        s.info["actor"] = "tester"
        return invoicing.create_invoice(s, client, lines, payment, on=on, pet_ref=pet, today=today)


def card(db, ref):
    with db.connect() as conn:
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
    with db.session() as s:
        s.info["actor"] = "tester"
        return invoicing.pay_invoice(s, ref, amount, method, on, today=TODAY)


def collect(db, ref):
    with db.session() as s:
        s.info["actor"] = "tester"
        return invoicing.collect(s, ref)


def credit(db, ref, reason=None, on=None):
    with db.session() as s:
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
    everything = json.dumps(vet.sql("SELECT * FROM audit_log"))
    for secret in ("Anna", "Jansen", "Dorpsstraat", "Bello", "Consult", "wilde", "1980"):
        assert secret not in everything
    assert vet.ok("audit", "verify").exit_code == 0
    assert vet.sql("SELECT actor FROM audit_log WHERE action = 'invoice.create'") == [("tester",)]


def test_restricted_invoices_are_hidden(db, client, vet):
    hidden = create(db, client, ["Consult;1;45,00"], payment="account")
    shown = create(db, client, ["Consult;1;45,00"], payment="account")
    with db.connect() as conn:
        conn.execute(text("UPDATE invoice SET restricted = 1 WHERE id = :i"), {"i": hidden.id})
    with pytest.raises(NotFound):
        card(db, hidden.number)
    with pytest.raises(NotFound):
        pay(db, hidden.number, "1,00")
    with pytest.raises(NotFound):
        collect(db, hidden.number)
    with pytest.raises(NotFound):
        credit(db, hidden.number)
    with db.connect() as conn:
        listed = [r["number"] for r in invoice_views.list_invoices(conn)]
    assert listed == [shown.number]


def test_list_filters(db, client, practice):
    pet = practice.add_pet(client)
    k2 = practice.add_client("Bert Bakker", birth_date="1970-01-01")
    a = create(db, client, ["A;1;10,00"], payment="account", on=date(2025, 3, 1), pet=pet)  # overdue
    b = create(db, client, ["B;1;10,00"], payment="pin", on=date(2026, 1, 5))
    c = create(db, k2, ["C;1;10,00"], payment="account", on=date(2026, 11, 20))  # due 12-04
    d = create(db, k2, ["D;1;10,00"], payment="account", on=date(2026, 11, 1))  # due 11-15
    collect(db, d.number)

    def numbers(**kw):
        with db.connect() as conn:
            return [r["number"] for r in invoice_views.list_invoices(conn, today=TODAY, **kw)]

    assert numbers() == [a.number, b.number, c.number, d.number]
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
    with db.connect() as conn:
        row = invoice_views.list_invoices(conn, client=k2, today=TODAY)[0]
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
