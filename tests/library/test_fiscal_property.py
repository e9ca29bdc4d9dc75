"""Property: for random histories of invoices, payments and credit notes, erase and
purge delete no record before its fiscal term ends and keep none after it.

The expectation is the pure rule (:func:`rules.under_fiscal_term` over the
dates of each invoice's group: its issue date, the credit notes that correct
it and every payment on them); the outcome is what the real erasure and purge
(the one deletion engine, set-based SQL) leave in a real encrypted file.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, text
from test_retention import Seed, T, db  # noqa: F401 - db is the fixture used here

from vetcards import erasure, retention, rules

P = rules.Periods()

days = st.dates(min_value=date(2010, 1, 1), max_value=date(2026, 12, 31))
#: One invoice: issue date, payment offsets (days after issue), and a credit note
#: (days after issue) or None; payment offsets can reach years later.
invoices = st.tuples(days, st.lists(st.integers(0, 3000), max_size=2), st.none() | st.integers(0, 3000))
histories = st.lists(invoices, min_size=1, max_size=4)


def _wipe(uow) -> None:
    for table in ("payment", "invoice_line", "invoice", "client", "recipient"):
        uow.execute(text(f"DELETE FROM {table}"))


def _build(uow, history) -> tuple[str, dict[str, list[date]]]:
    """One client with the history; returns its number and each invoice's group dates."""
    s = Seed(uow)
    cid = s.client(date(2009, 6, 1))
    groups: dict[str, list[date]] = {}
    for issued, pays, credit_after in sorted(history, key=lambda h: h[0]):
        number = s.invoice(cid, issued, status="paid" if credit_after is None else "credited")
        iid = uow.execute(text("SELECT id FROM invoice WHERE number = :n"), {"n": number}).scalar_one()
        dates = [issued]
        for offset in pays:
            paid_on = issued + timedelta(days=offset)
            uow.execute(insert(T["payment"]).values(invoice_id=iid, paid_on=paid_on, amount_cents=100,
                                                    method="pin"))
            dates.append(paid_on)
        members = [number]
        if credit_after is not None:
            noted = issued + timedelta(days=credit_after)
            members.append(s.invoice(cid, noted, status="credited", credits=number))
            dates.append(noted)
        for member in members:
            groups[member] = dates
    return s.number(cid), groups


def _left(uow) -> set[str]:
    return {r.number for r in uow.execute(text("SELECT number FROM invoice"))}


def _payments_left(uow) -> int:
    return int(uow.execute(text("SELECT count(*) FROM payment")).scalar_one())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, erase_on=st.dates(min_value=date(2018, 1, 1), max_value=date(2036, 12, 31)),
       later=st.integers(0, 4000))
def test_fiscal_term_erase_then_purge(db, history, erase_on, later):  # noqa: F811 - db fixture
    with db.unit() as uow:
        _wipe(uow)
        number, groups = _build(uow, history)
        uow.commit()
    with db.unit() as uow:
        erasure.apply_plan(uow, erasure.plan_erasure(uow, number, erase_on, P))
        uow.commit()
    with db.unit() as uow:
        kept = _left(uow)
        credits_cleared = uow.execute(text(
            "SELECT count(*) FROM invoice WHERE kind = 'credit_note' AND credits_invoice_id IS NULL")).scalar_one()
    want = {n for n, ds in groups.items() if rules.under_fiscal_term(ds, erase_on, P)}
    assert kept == want, f"erase on {erase_on}"
    assert credits_cleared == 0
    purge_on = erase_on + timedelta(days=later)
    with db.unit() as uow:
        retention.purge(uow, purge_on, P)
    with db.unit() as uow:
        kept = _left(uow)
        payments = _payments_left(uow)
        credits_cleared = uow.execute(text(
            "SELECT count(*) FROM invoice WHERE kind = 'credit_note' AND credits_invoice_id IS NULL")).scalar_one()
    want = {n for n, ds in groups.items() if rules.under_fiscal_term(ds, purge_on, P)}
    assert kept == want, f"purge on {purge_on}"
    assert credits_cleared == 0
    if not kept:
        assert payments == 0
