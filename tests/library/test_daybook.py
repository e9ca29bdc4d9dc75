"""Library ring: the money of the day (vetcards.daybook) and the corrections of payments
(vetcards.invoicing.void_payment / refund) on a real encrypted file, dates written out.

Clients are made through the CLI (the ``vet`` fixture); invoices, payments and
reads through the library, as the CLI calls them.
"""

from __future__ import annotations

from datetime import date

import pytest

from vetcards import daybook, invoice_views, invoicing
from vetcards.errors import Conflict, InvalidInput, NotFound, UsageError

TODAY = date(2026, 11, 27)


@pytest.fixture
def client(practice):
    return practice.add_client("Anna Jansen", birth_date="1980-02-29")


def create(db, client, lines, payment, on):
    with db.unit() as s:
        s.info["actor"] = "tester"
        return invoicing.create_invoice(s, client, lines, payment, on=on, today=TODAY)


def call(db, fn, *args, **kw):
    with db.unit() as s:
        s.info["actor"] = "tester"
        return fn(s, *args, **kw)


def test_cashup_of_a_day(db, client, practice):
    other = practice.add_client("Bert Bakker", birth_date="1970-01-01")
    earlier = create(db, other, ["Operatie;1;200,00"], "account", date(2026, 11, 2))
    day = date(2026, 11, 10)
    create(db, client, ["Consult;1;45,00", "Voer;2;10,00;9"], "pin", day)   # 54.45 + 21.80 = 76.25
    cash = create(db, client, ["Nagels knippen;1;10,00"], "cash", day)           # 12.10
    account = create(db, other, ["Controle;1;30,00"], "account", day)            # 36.30
    note, _ = call(db, invoicing.credit, cash.number, "wrong animal", on=day, today=TODAY)
    call(db, invoicing.refund, note.number, "12,10", "cash", day, today=TODAY)
    call(db, invoicing.pay_invoice, earlier.number, "100,00", "transfer", day, today=TODAY)
    _, stray, _ = call(db, invoicing.pay_invoice, account.number, "1,00", "pin", day, today=TODAY)
    call(db, invoicing.void_payment, account.number, str(stray.id), "booked in error")

    c = call(db, daybook.cashup, day)
    assert c["date"] == "2026-11-10"
    assert (c["invoices"], c["credit_notes"]) == (3, 1)
    assert c["gross_cents"] == 7625 + 1210 + 3630 - 1210 == 11255
    assert c["by_method"] == {"cash": 0, "pin": 7625, "account": 3630}
    assert c["by_vat_rate"] == [
        {"rate": 21, "net_cents": 4500 + 1000 + 3000 - 1000, "vat_cents": 945 + 210 + 630 - 210,
         "gross_cents": 7500 + 1575},
        {"rate": 9, "net_cents": 2000, "vat_cents": 180, "gross_cents": 2180},
    ]
    assert c["received_by_method"] == {"pin": 7625, "cash": 1210, "transfer": 10000}
    assert c["refunded_by_method"] == {"pin": 0, "cash": 1210, "transfer": 0}
    assert c["cash_cents"] == 0 and c["received_cents"] == 7625 + 10000
    assert (c["voided_payments"], c["voided_cents"]) == (1, 100)
    assert c["payments"] == 4
    assert call(db, daybook.cashup, date(2026, 11, 11))["invoices"] == 0
    assert practice.sql("SELECT entity_ids, details FROM audit_log WHERE action = 'cashup'")[0] == (
        "[]", '{"credit_notes":1,"date":"2026-11-10","invoices":3,"payments":4}')


def test_void_payment_reopens_and_counts_nowhere(db, client, practice):
    inv = create(db, client, ["Consult;1;45,00"], "pin", date(2026, 3, 2))   # 54.45, paid at once
    pid = practice.sql("SELECT id FROM payment WHERE invoice_id = ?", (inv.id,))[0][0]
    invoice, payment, balance = call(db, invoicing.void_payment, inv.number, str(pid), "pin failed")
    assert (invoice.status, balance, payment.void_reason) == ("open", 5445, "pin failed")
    assert practice.sql("SELECT count(*) FROM payment WHERE voided_at IS NOT NULL") == [(1,)]
    card = call(db, invoice_views.invoice_card, inv.number)
    assert (card["paid_cents"], card["balance_cents"], card["due_date"]) == (0, 5445, "2026-03-16")
    assert card["payments"][0]["voided"] is True and card["payments"][0]["id"] == pid
    with db.unit() as s:
        assert daybook.client_open_cents(s, 1) == 5445
        assert [r["number"] for r in daybook.open_invoices(s)] == [inv.number]
    # voided twice, or a payment of another invoice, or no reason: refused, nothing written
    with pytest.raises(Conflict, match="already voided"):
        call(db, invoicing.void_payment, inv.number, str(pid), "again")
    other = create(db, client, ["Voer;1;5,00"], "pin", date(2026, 3, 3))
    with pytest.raises(NotFound, match=f"not found on invoice {other.number}"):
        call(db, invoicing.void_payment, other.number, str(pid), "x")
    with pytest.raises(InvalidInput, match="--reason"):
        call(db, invoicing.void_payment, other.number, "2", " ")
    with pytest.raises(InvalidInput, match="PAYMENT"):
        call(db, invoicing.void_payment, other.number, "two", "x")
    audit = practice.sql("SELECT entity_ids, details FROM audit_log WHERE action = 'payment.void'")
    assert len(audit) == 1 and "pin failed" not in audit[0][1] and inv.number in audit[0][0]
    # the payment can be made again
    _, _, left = call(db, invoicing.pay_invoice, inv.number, "54,45", "cash", date(2026, 3, 4), today=TODAY)
    assert left == 0


def test_refund_limits(db, client, practice):
    inv = create(db, client, ["Operatie;1;100,00"], "account", date(2026, 5, 1))   # 121.00
    call(db, invoicing.pay_invoice, inv.number, "50,00", "transfer", date(2026, 5, 2), today=TODAY)
    note, _ = call(db, invoicing.credit, inv.number, "not done", on=date(2026, 5, 3), today=TODAY)
    with pytest.raises(InvalidInput, match=r"--amount: exceeds what can still be refunded \(50.00\)"):
        call(db, invoicing.refund, note.number, "50,01", "transfer", date(2026, 5, 4), today=TODAY)
    with pytest.raises(Conflict, match="not a credit note"):
        call(db, invoicing.refund, inv.number, "1", "cash", date(2026, 5, 4), today=TODAY)
    with pytest.raises(InvalidInput, match="--method"):
        call(db, invoicing.refund, note.number, "1", "cheque", date(2026, 5, 4), today=TODAY)
    with pytest.raises(InvalidInput, match="--date"):
        call(db, invoicing.refund, note.number, "1", "cash", date(2026, 5, 2), today=TODAY)
    _, r1, left = call(db, invoicing.refund, note.number, "30,00", "transfer", date(2026, 5, 4), today=TODAY)
    assert (r1.amount_cents, left) == (-3000, 2000)
    card = call(db, invoice_views.invoice_card, note.number)
    assert (card["refunded_cents"], card["refundable_cents"], card["balance_cents"]) == (3000, 2000, 0)
    # the payment the refund rests on cannot be voided while the refund stands
    pay_id = practice.sql("SELECT id FROM payment WHERE invoice_id = ?", (inv.id,))[0][0]
    with pytest.raises(Conflict, match="void that refund first"):
        call(db, invoicing.void_payment, inv.number, str(pay_id), "bounced")
    call(db, invoicing.void_payment, note.number, str(r1.id), "refund booked twice")
    invoice, _, balance = call(db, invoicing.void_payment, inv.number, str(pay_id), "bounced")
    assert (invoice.status, balance) == ("credited", 0)
    with pytest.raises(Conflict, match="corrects an invoice that was not paid"):
        call(db, invoicing.refund, note.number, "1", "cash", date(2026, 5, 5), today=TODAY)


def test_debtors_buckets_and_restricted(db, client, practice):
    k2 = practice.add_client("Bert Bakker", birth_date="1970-01-01")
    old = create(db, client, ["A;1;10,00"], "account", date(2026, 1, 1))     # due 01-15
    mid = create(db, k2, ["B;1;20,00"], "account", date(2026, 2, 1))         # due 02-15
    new = create(db, k2, ["C;1;30,00"], "account", date(2026, 4, 10))        # due 04-24
    create(db, k2, ["D;1;40,00"], "pin", date(2026, 4, 11))                  # paid: not listed
    call(db, invoicing.pay_invoice, mid.number, "4,20", "cash", date(2026, 2, 2), today=TODAY)
    call(db, invoicing.collect, old.number)
    practice.sql_write("UPDATE client SET restricted = 1 WHERE number = ?", (client,))

    d = call(db, daybook.debtors, date(2026, 4, 16))
    assert [(r["invoice"], r["days_overdue"], r["bucket"], r["open_cents"], r["restricted"]) for r in d["invoices"]] == [
        (old.number, 91, "over_90", 1210, True),
        (mid.number, 60, "31-60", 2420 - 420, False),
        (new.number, -8, "not_due", 3630, False),
    ]
    assert d["invoices"][0]["status"] == "in_collection" and d["invoices"][0]["name"] == "Anna Jansen"
    assert d["buckets"]["over_90"] == {"count": 1, "open_cents": 1210}
    assert d["buckets"]["0-30"] == {"count": 0, "open_cents": 0}
    assert d["open_cents"] == 1210 + 2000 + 3630
    # as of a day before the newest invoice: that one is left out
    assert [r["invoice"] for r in call(db, daybook.debtors, date(2026, 4, 9))["invoices"]] == [old.number, mid.number]
    ids, details = practice.sql("SELECT entity_ids, details FROM audit_log WHERE action = 'debtors.list' "
                                "ORDER BY id LIMIT 1")[0]
    assert ids == f'["{old.number}"]' and '"restricted":1' in details and "Jansen" not in ids + details


def test_invoice_list_by_date(db, client, practice):
    a = create(db, client, ["A;1;10,00"], "pin", date(2026, 6, 1))
    b = create(db, client, ["B;1;10,00"], "account", date(2026, 6, 2))
    c = create(db, client, ["C;1;10,00"], "pin", date(2026, 6, 30))

    def numbers(**kw):
        with db.unit() as s:
            return [r["number"] for r in invoice_views.list_invoices(s, today=TODAY, **kw)]

    assert numbers(on=date(2026, 6, 2)) == [b.number]
    assert numbers(from_=date(2026, 6, 2)) == [b.number, c.number]
    assert numbers(to=date(2026, 6, 2)) == [a.number, b.number]
    assert numbers(from_=date(2026, 6, 1), to=date(2026, 6, 30), status="paid") == [a.number, c.number]
    assert numbers(from_=date(2026, 6, 3), to=date(2026, 6, 29)) == []
    with pytest.raises(UsageError):
        numbers(on=date(2026, 6, 2), to=date(2026, 6, 30))
    with pytest.raises(InvalidInput, match="--from"):
        numbers(from_=date(2026, 6, 30), to=date(2026, 6, 1))
