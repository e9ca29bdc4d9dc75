"""Rules ring: what is owed, when it is due, how old it is (vetcards.daybook), with dates written out."""

from __future__ import annotations

from datetime import date

import pytest

from vetcards import daybook


@pytest.mark.parametrize("as_of,days,bucket", [
    (date(2026, 1, 14), -1, "not_due"),
    (date(2026, 1, 15), 0, "0-30"),     # the due day itself
    (date(2026, 2, 14), 30, "0-30"),
    (date(2026, 2, 15), 31, "31-60"),
    (date(2026, 3, 16), 60, "31-60"),
    (date(2026, 3, 17), 61, "61-90"),
    (date(2026, 4, 15), 90, "61-90"),
    (date(2026, 4, 16), 91, "over_90"),
])
def test_bucket_edges_from_the_due_date(as_of, days, bucket):
    due = daybook.due_date(date(2026, 1, 1), 14)
    assert due == date(2026, 1, 15)
    assert daybook.days_overdue(due, as_of) == days
    assert daybook.bucket(days) == bucket


def test_due_date_over_a_leap_day():
    assert daybook.due_date(date(2024, 2, 20), 14) == date(2024, 3, 5)
    assert daybook.due_date(date(2024, 2, 29), 0) == date(2024, 2, 29)


@pytest.mark.parametrize("status,owed", [("open", 7000), ("in_collection", 7000), ("paid", 0), ("credited", 0)])
def test_only_open_and_in_collection_owe(status, owed):
    assert daybook.open_cents(status, 10000, 3000) == owed


@pytest.mark.parametrize("credited,paid,refunded,left", [
    (10000, 10000, 0, 10000),   # paid in full: all of it
    (10000, 4000, 0, 4000),     # partly paid: only what was paid
    (10000, 4000, 4000, 0),     # refunded already
    (10000, 0, 0, 0),           # never paid: nothing
    (10000, 10000, 2500, 7500),
    (10000, 3000, 4000, 0),     # a payment voided after a refund: never below zero
])
def test_refundable(credited, paid, refunded, left):
    assert daybook.refundable_cents(credited, paid, refunded) == left
