"""Tests for vetcards.rules: a table of dated cases plus property tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vetcards.errors import InvalidInput
from vetcards.rules import (
    OPEN_STATES,
    ClientFacts,
    Periods,
    PurgeDecision,
    decide,
    fiscal_hold_until,
    fiscal_term_until,
    has_claim,
    inactivity_cutoff,
    is_inactive,
    last_activity,
    medicine_hold_until,
    period_cutoff,
    period_end,
    request_due,
    under_fiscal_hold,
    under_fiscal_term,
    under_medicine_hold,
)

P = Periods()
D = date.fromisoformat


# --------------------------------------------------------------------------
# Periods counted forward from the event (the one function of every period)
# --------------------------------------------------------------------------

PERIOD_END_CASES = [
    # (event, years, last day of the period)
    pytest.param(D("2017-02-28"), 7, D("2024-02-28"), id="2017-02-28+7=2024-02-28"),
    pytest.param(D("2016-02-29"), 7, D("2023-02-28"), id="2016-02-29+7=2023-02-28"),
    pytest.param(D("2016-02-29"), 8, D("2024-02-29"), id="2016-02-29+8=2024-02-29"),
    pytest.param(D("2020-02-29"), 5, D("2025-02-28"), id="2020-02-29+5=2025-02-28"),
    pytest.param(D("2019-12-31"), 7, D("2026-12-31"), id="2019-12-31+7=2026-12-31"),
    pytest.param(D("2019-06-15"), 7, D("2026-06-15"), id="plain"),
]


@pytest.mark.parametrize(("event", "years", "end"), PERIOD_END_CASES)
def test_period_end_table(event, years, end):
    assert period_end(event, years) == end


PERIOD_CUTOFF_CASES = [
    # (as_of, years, earliest event whose period has not ended before as_of)
    pytest.param(D("2024-02-29"), 7, D("2017-03-01"), id="2024-02-29-7y-2017-03-01"),
    pytest.param(D("2024-02-28"), 7, D("2017-02-28"), id="2024-02-28-7y-2017-02-28"),
    pytest.param(D("2023-02-28"), 7, D("2016-02-28"), id="2023-02-28-7y-2016-02-28"),
    pytest.param(D("2023-03-01"), 7, D("2016-03-01"), id="2023-03-01-7y-2016-03-01"),
    pytest.param(D("2024-02-29"), 8, D("2016-02-29"), id="2024-02-29-8y-2016-02-29"),
]


@pytest.mark.parametrize(("as_of", "years", "cutoff"), PERIOD_CUTOFF_CASES)
def test_period_cutoff_table(as_of, years, cutoff):
    assert period_cutoff(as_of, years) == cutoff


def test_every_period_counts_with_period_end():
    # Inactivity, medicine and fiscal periods count forward the same way.
    p = Periods(inactivity_years=7, fiscal_years=7, medicine_years=7)
    assert medicine_hold_until(D("2016-02-29"), p) == period_end(D("2016-02-29"), 7) == D("2023-02-28")
    assert not is_inactive(D("2016-02-29"), D("2023-02-28"), p)
    assert is_inactive(D("2016-02-29"), D("2023-03-01"), p)
    assert fiscal_hold_until(D("2016-02-29"), p) == period_end(D("2016-12-31"), 7) == D("2023-12-31")


# --------------------------------------------------------------------------
# Inactivity table
# --------------------------------------------------------------------------

INACTIVITY_CASES = [
    # (last, as_of, expected inactive)
    pytest.param(D("2019-06-15"), D("2026-06-15"), False, id="exactly-7-years-not-inactive"),
    pytest.param(D("2019-06-14"), D("2026-06-15"), True, id="7-years-and-1-day-inactive"),
    pytest.param(D("2019-06-16"), D("2026-06-15"), False, id="1-day-short-of-7-years"),
    # Leap day. relativedelta clamps: 2023-02-28 - 7y = 2016-02-28, and
    # 2016-02-29 is not before that, so NOT inactive (2016-02-29 + 7y is
    # 2023-02-28 too: that is the "exactly 7 years" day).
    pytest.param(D("2016-02-29"), D("2023-02-28"), False, id="leap-day-on-clamped-anniversary"),
    # 2023-03-01 - 7y = 2016-03-01; 2016-02-29 < 2016-03-01 -> inactive.
    pytest.param(D("2016-02-29"), D("2023-03-01"), True, id="leap-day-day-after"),
    # Counted forward: 7 years after 2017-02-28 end on 2024-02-28, so on
    # 2024-02-29 the card is more than 7 years inactive (issue 11) ...
    pytest.param(D("2017-02-28"), D("2024-02-29"), True, id="as-of-leap-day-counted-forward"),
    pytest.param(D("2017-02-28"), D("2024-02-28"), False, id="2017-02-28-last-day-2024-02-28"),
    # ... 2017-03-01 is not (its period ends on 2024-03-01) ...
    pytest.param(D("2017-03-01"), D("2024-02-29"), False, id="2017-03-01-on-2024-02-29"),
    # ... and 2017-02-27 is.
    pytest.param(D("2017-02-27"), D("2024-02-29"), True, id="as-of-leap-day-one-more"),
    pytest.param(None, D("2026-01-01"), False, id="no-activity-date-never-purged"),
    pytest.param(D("2026-01-01"), D("2026-01-01"), False, id="activity-today"),
    pytest.param(D("2027-01-01"), D("2026-01-01"), False, id="activity-after-as-of"),
    pytest.param(
        datetime(2019, 6, 14, 23, 59), D("2026-06-15"), True, id="datetime-reduced-to-date"
    ),
]


@pytest.mark.parametrize(("last", "as_of", "expected"), INACTIVITY_CASES)
def test_is_inactive_table(last, as_of, expected):
    assert is_inactive(last, as_of, P) is expected


@pytest.mark.parametrize(
    ("as_of", "cutoff"),
    [
        pytest.param(D("2026-06-15"), D("2019-06-15"), id="plain"),
        pytest.param(D("2024-02-29"), D("2017-03-01"), id="leap-day-2017-02-28-period-ended"),
        pytest.param(D("2023-02-28"), D("2016-02-28"), id="2016-02-29-ends-2023-02-28"),
        pytest.param(D("2023-03-01"), D("2016-03-01"), id="march-first"),
    ],
)
def test_inactivity_cutoff(as_of, cutoff):
    assert inactivity_cutoff(as_of, P) == cutoff


def test_inactivity_uses_configured_period():
    three = Periods(inactivity_years=3)
    assert is_inactive(D("2022-12-31"), D("2026-01-01"), three)
    assert not is_inactive(D("2023-01-01"), D("2026-01-01"), three)


# --------------------------------------------------------------------------
# Last activity
# --------------------------------------------------------------------------

LAST_ACTIVITY_CASES = [
    pytest.param([], None, id="empty"),
    pytest.param([None, None], None, id="only-none"),
    pytest.param([D("2020-01-01")], D("2020-01-01"), id="single"),
    # Card created 2015, edited 2017; a pet's visit in 2021 is the latest.
    pytest.param(
        [D("2015-03-02"), D("2017-08-09"), None, D("2021-11-30"), D("2019-01-01")],
        D("2021-11-30"),
        id="activity-only-through-pet-visit",
    ),
    pytest.param(
        [datetime(2020, 5, 1, 8, 0), D("2020-04-30")], D("2020-05-01"), id="datetime-wins"
    ),
    pytest.param(
        [datetime(2020, 5, 1, 23, 59, 59), D("2020-05-01")], D("2020-05-01"), id="same-day-mixed"
    ),
]


@pytest.mark.parametrize(("dates", "expected"), LAST_ACTIVITY_CASES)
def test_last_activity_table(dates, expected):
    got = last_activity(dates)
    assert got == expected
    if got is not None:
        assert type(got) is date  # never a datetime


def test_last_activity_accepts_generator():
    assert last_activity(d for d in [D("2020-01-01"), D("2019-01-01")]) == D("2020-01-01")


def test_last_activity_pet_visit_makes_client_active():
    # The client card itself is old, but a visit for their pet is recent.
    card_dates = [D("2012-01-10")]
    pet_visit_dates = [D("2022-05-05")]
    last = last_activity([*card_dates, *pet_visit_dates])
    assert not is_inactive(last, D("2026-01-01"), P)
    assert is_inactive(last_activity(card_dates), D("2026-01-01"), P)


# --------------------------------------------------------------------------
# Fiscal hold
# --------------------------------------------------------------------------

FISCAL_UNTIL_CASES = [
    pytest.param(D("2018-12-31"), D("2025-12-31"), id="31-dec-2018"),
    pytest.param(D("2019-01-01"), D("2026-12-31"), id="1-jan-2019"),
    pytest.param(D("2019-03-01"), D("2026-12-31"), id="mid-year"),
    pytest.param(D("2019-12-31"), D("2026-12-31"), id="31-dec-2019"),
    pytest.param(D("2020-01-01"), D("2027-12-31"), id="1-jan-2020"),
    pytest.param(D("2020-02-29"), D("2027-12-31"), id="leap-day-invoice"),
]


@pytest.mark.parametrize(("invoice_date", "until"), FISCAL_UNTIL_CASES)
def test_fiscal_hold_until_table(invoice_date, until):
    assert fiscal_hold_until(invoice_date, P) == until


FISCAL_HELD_CASES = [
    # One day apart in issue date, a whole year apart in hold.
    pytest.param(D("2018-12-31"), D("2026-01-01"), False, id="31-dec-2018-free-on-2026-01-01"),
    pytest.param(D("2019-01-01"), D("2026-01-01"), True, id="1-jan-2019-held-on-2026-01-01"),
    pytest.param(D("2018-12-31"), D("2025-12-31"), True, id="last-day-of-hold-inclusive"),
    pytest.param(D("2019-01-01"), D("2026-12-31"), True, id="1-jan-2019-last-day"),
    pytest.param(D("2019-01-01"), D("2027-01-01"), False, id="1-jan-2019-free-after"),
]


@pytest.mark.parametrize(("invoice_date", "as_of", "held"), FISCAL_HELD_CASES)
def test_under_fiscal_hold_table(invoice_date, as_of, held):
    assert under_fiscal_hold(invoice_date, as_of, P) is held


def test_fiscal_period_is_a_setting():
    assert fiscal_hold_until(D("2019-06-01"), Periods(fiscal_years=10)) == D("2029-12-31")


FISCAL_TERM_CASES = [
    # (dates of the group: issue dates of invoice and credit notes, payments; term end)
    pytest.param([D("2017-03-10"), D("2026-05-01")], D("2033-12-31"), id="2017-invoice-paid-2026-05-01"),
    pytest.param([D("2017-03-10"), D("2020-02-29")], D("2027-12-31"), id="2017-invoice-paid-2020-02-29"),
    pytest.param([D("2018-06-01"), D("2019-01-15")], D("2026-12-31"), id="2018-00001-credited-2019-00001"),
    pytest.param([D("2018-06-01"), D("2018-06-01"), D("2019-01-15")], D("2026-12-31"),
                 id="credited-and-paid-same-day"),
    pytest.param([D("2016-02-29")], D("2023-12-31"), id="leap-day-invoice-alone"),
]


@pytest.mark.parametrize(("dates", "until"), FISCAL_TERM_CASES)
def test_fiscal_term_until_table(dates, until):
    assert fiscal_term_until(dates, P) == until
    assert under_fiscal_term(dates, until, P)
    assert not under_fiscal_term(dates, until + timedelta(days=1), P)


def test_fiscal_term_cases_of_issue_11():
    # A 2017 invoice paid in 2020 is not purged in 2027.
    assert under_fiscal_term([D("2017-05-01"), D("2020-03-01")], D("2027-06-01"), P)
    # 2018-00001 credited by 2019-00001: the 2026 purge keeps both (one term).
    assert under_fiscal_term([D("2018-04-01"), D("2019-02-01")], D("2026-06-01"), P)
    assert not under_fiscal_hold(D("2018-04-01"), D("2026-06-01"), P)


def test_fiscal_term_needs_a_date():
    with pytest.raises(InvalidInput):
        fiscal_term_until([], P)


# --------------------------------------------------------------------------
# Medicine-record hold
# --------------------------------------------------------------------------

MEDICINE_CASES = [
    # (record date, as_of, held)
    pytest.param(D("2020-06-15"), D("2025-06-14"), True, id="day-before-5-years"),
    pytest.param(D("2020-06-15"), D("2025-06-15"), True, id="exactly-5-years-still-held"),
    pytest.param(D("2020-06-15"), D("2025-06-16"), False, id="5-years-and-1-day-free"),
    # 2020-02-29 + 5y clamps to 2025-02-28.
    pytest.param(D("2020-02-29"), D("2025-02-28"), True, id="leap-day-clamped-end-held"),
    pytest.param(D("2020-02-29"), D("2025-03-01"), False, id="leap-day-free-next-day"),
]


@pytest.mark.parametrize(("record_date", "as_of", "held"), MEDICINE_CASES)
def test_medicine_hold_table(record_date, as_of, held):
    assert under_medicine_hold(record_date, as_of, P) is held


def test_medicine_hold_until():
    assert medicine_hold_until(D("2020-06-15"), P) == D("2025-06-15")
    assert medicine_hold_until(D("2020-02-29"), P) == D("2025-02-28")
    assert medicine_hold_until(D("2020-06-15"), Periods(medicine_years=2)) == D("2022-06-15")


# --------------------------------------------------------------------------
# Claim hold
# --------------------------------------------------------------------------

CLAIM_CASES = [
    pytest.param((), False, id="no-invoices"),
    pytest.param(("open",), True, id="unpaid-open"),
    pytest.param(("in_collection",), True, id="in-collection"),
    pytest.param(("paid",), False, id="paid"),
    pytest.param(("credited",), False, id="credited"),
    pytest.param(("paid", "credited", "paid"), False, id="paid-and-credited"),
    pytest.param(("paid", "open"), True, id="one-open-among-paid"),
    pytest.param(("In collection",), True, id="spec-spelling-normalised"),
]


@pytest.mark.parametrize(("states", "claim"), CLAIM_CASES)
def test_has_claim_table(states, claim):
    assert has_claim(states) is claim


def test_open_states():
    assert OPEN_STATES == frozenset({"open", "in_collection"})


def test_has_claim_balances():
    # Partly paid: still open, still a claim.
    assert has_claim(["open"], [1250])
    # A positive balance holds even if the state looks settled.
    assert has_claim(["paid"], [1])
    assert not has_claim(["paid", "credited"], [0, 0])
    # Overpaid (practice owes client) is not a claim on the client.
    assert not has_claim(["paid"], [-500])
    with pytest.raises(InvalidInput):
        has_claim(["paid", "paid"], [0])


def test_unknown_state_is_refused():
    with pytest.raises(InvalidInput):
        has_claim(["betaald"])


# --------------------------------------------------------------------------
# Purge decision
# --------------------------------------------------------------------------

AS_OF = D("2026-06-15")
OLD = D("2019-06-14")  # 7 years and one day before AS_OF
EXACT = D("2019-06-15")  # exactly 7 years before AS_OF

DECIDE_CASES = [
    pytest.param(ClientFacts(EXACT, ("paid",), False), "keep", id="exactly-7-years-keep"),
    pytest.param(ClientFacts(OLD, ("paid",), False), "purge", id="inactive-paid-purge"),
    pytest.param(ClientFacts(OLD, (), False), "purge", id="inactive-no-invoices-purge"),
    pytest.param(ClientFacts(OLD, ("credited",), False), "purge", id="inactive-credited-purge"),
    pytest.param(ClientFacts(OLD, ("paid", "open"), False), "claim_hold", id="unpaid-claim-hold"),
    pytest.param(ClientFacts(OLD, ("in_collection",), False), "claim_hold", id="collection-hold"),
    pytest.param(ClientFacts(OLD, ("open",), True), "legal_hold", id="legal-hold-beats-claim"),
    pytest.param(ClientFacts(OLD, (), True), "legal_hold", id="legal-hold-alone"),
    pytest.param(ClientFacts(EXACT, ("open",), True), "keep", id="active-with-holds-keep"),
    pytest.param(ClientFacts(None, (), False), "keep", id="no-date-keep"),
]


@pytest.mark.parametrize(("facts", "action"), DECIDE_CASES)
def test_decide_table(facts, action):
    decision = decide(facts, AS_OF, P)
    assert isinstance(decision, PurgeDecision)
    assert decision.action == action
    assert decision.reason


def test_client_facts_accepts_list_and_is_hashable():
    facts = ClientFacts(OLD, ["paid"], False)  # type: ignore[arg-type]
    assert facts.invoice_states == ("paid",)
    hash(facts)


# --------------------------------------------------------------------------
# Request deadlines (GDPR art. 12(3))
# --------------------------------------------------------------------------

REQUEST_CASES = [
    pytest.param(D("2026-03-10"), False, D("2026-04-10"), id="plain-month"),
    pytest.param(D("2026-01-31"), False, D("2026-02-28"), id="31-jan-non-leap"),
    pytest.param(D("2024-01-31"), False, D("2024-02-29"), id="31-jan-leap"),
    pytest.param(D("2026-03-10"), True, D("2026-06-10"), id="extended-plus-two-months"),
    pytest.param(D("2026-01-31"), True, D("2026-04-30"), id="extended-31-jan"),
    pytest.param(D("2025-11-30"), True, D("2026-02-28"), id="extended-clamps-to-feb"),
    pytest.param(D("2026-12-15"), False, D("2027-01-15"), id="year-rollover"),
]


@pytest.mark.parametrize(("received", "extended", "due"), REQUEST_CASES)
def test_request_due_table(received, extended, due):
    assert request_due(received, extended=extended) == due


# --------------------------------------------------------------------------
# Settings validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"inactivity_years": 0}, id="zero"),
        pytest.param({"fiscal_years": -1}, id="negative"),
        pytest.param({"medicine_years": 2.5}, id="float"),
        pytest.param({"inactivity_years": True}, id="bool"),
    ],
)
def test_bad_periods_refused(kwargs):
    with pytest.raises(InvalidInput):
        Periods(**kwargs)


def test_default_periods():
    assert Periods() == Periods(inactivity_years=7, fiscal_years=7, medicine_years=5)


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
periods = st.builds(
    Periods,
    inactivity_years=st.integers(1, 30),
    fiscal_years=st.integers(1, 30),
    medicine_years=st.integers(1, 30),
)


@given(d=dates, earlier=dates, as_of=dates, p=periods)
def test_inactive_is_monotone_in_last_activity(d, earlier, as_of, p):
    # If a client is inactive with last activity d, it is inactive with any
    # earlier last activity.
    if earlier > d:
        d, earlier = earlier, d
    if is_inactive(d, as_of, p):
        assert is_inactive(earlier, as_of, p)


@given(d=dates, as_of=dates, later=dates, p=periods)
def test_inactive_is_monotone_in_as_of(d, as_of, later, p):
    # Once inactive, a client stays inactive as the reference date moves on.
    if later < as_of:
        as_of, later = later, as_of
    if is_inactive(d, as_of, p):
        assert is_inactive(d, later, p)


@given(d=dates, p=periods)
def test_inactive_boundary(d, p):
    # The cutoff day itself is not inactive, the day before it is.
    as_of = d + timedelta(days=400)
    cutoff = inactivity_cutoff(as_of, p)
    assert not is_inactive(cutoff, as_of, p)
    assert is_inactive(cutoff - timedelta(days=1), as_of, p)


@given(d=dates, as_of=dates, p=periods)
def test_fiscal_hold_at_least_n_years(d, as_of, p):
    until = fiscal_hold_until(d, p)
    assert until.month == 12 and until.day == 31
    assert until.year == d.year + p.fiscal_years
    assert under_fiscal_hold(d, as_of, p) == (as_of <= until)


# --------------------------------------------------------------------------
# Cut-off dates for set-based SQL (the purge compares dates with these)
# --------------------------------------------------------------------------

from vetcards.rules import fiscal_hold_cutoff, medicine_hold_cutoff  # noqa: E402

_DATES = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
_YEARS = st.integers(min_value=1, max_value=12)


@given(d=_DATES, as_of=_DATES, n=_YEARS)
def test_fiscal_hold_cutoff_agrees_with_under_fiscal_hold(d, as_of, n):
    periods = Periods(fiscal_years=n)
    assert under_fiscal_hold(d, as_of, periods) is (d >= fiscal_hold_cutoff(as_of, periods))


@given(d=_DATES, as_of=_DATES, n=_YEARS)
def test_medicine_hold_cutoff_agrees_with_under_medicine_hold(d, as_of, n):
    periods = Periods(medicine_years=n)
    assert under_medicine_hold(d, as_of, periods) is (d >= medicine_hold_cutoff(as_of, periods))


@pytest.mark.parametrize(
    ("as_of", "years", "cutoff"),
    [
        pytest.param(D("2026-06-15"), 5, D("2021-06-15"), id="plain"),
        # 2024-02-29 - 1y clamps to 2023-02-28, whose hold ended on 2024-02-28.
        pytest.param(D("2024-02-29"), 1, D("2023-03-01"), id="as-of-leap-day-clamp"),
        pytest.param(D("2025-02-28"), 5, D("2020-02-28"), id="leap-record-still-held"),
    ],
)
def test_medicine_hold_cutoff_table(as_of, years, cutoff):
    assert medicine_hold_cutoff(as_of, Periods(medicine_years=years)) == cutoff


@given(d=_DATES, as_of=_DATES, n=_YEARS)
def test_period_cutoff_agrees_with_period_end(d, as_of, n):
    assert (period_end(d, n) >= as_of) is (d >= period_cutoff(as_of, n))


@given(ds=st.lists(_DATES, min_size=1, max_size=6), as_of=_DATES, n=_YEARS)
def test_fiscal_hold_cutoff_agrees_with_under_fiscal_term(ds, as_of, n):
    # The SQL keeps a group iff any of its dates is on or after the cut-off.
    periods = Periods(fiscal_years=n)
    cut = fiscal_hold_cutoff(as_of, periods)
    assert under_fiscal_term(ds, as_of, periods) is any(d >= cut for d in ds)


@given(ds=st.lists(_DATES, min_size=1, max_size=6), extra=_DATES, n=_YEARS)
def test_a_payment_or_credit_note_never_shortens_the_term(ds, extra, n):
    periods = Periods(fiscal_years=n)
    until = fiscal_term_until(ds, periods)
    assert fiscal_term_until([*ds, extra], periods) >= until
    # Kept at least N years after the end of every record's year.
    assert all(until >= period_end(date(d.year, 12, 31), n) for d in ds)


def test_fiscal_hold_cutoff_table():
    assert fiscal_hold_cutoff(D("2026-01-01"), P) == D("2019-01-01")
    assert fiscal_hold_cutoff(D("2026-12-31"), P) == D("2019-01-01")
    assert not under_fiscal_hold(D("2018-12-31"), D("2026-01-01"), P)
    assert under_fiscal_hold(D("2019-01-01"), D("2026-01-01"), P)


RESTRICTED_CASES = [
    # A card kept restricted by an erasure goes once no hold remains, even
    # when its last activity (a payment, say) is recent.
    pytest.param(ClientFacts(AS_OF, ("paid",), False, True), "purge", id="restricted-paid-purge"),
    pytest.param(ClientFacts(None, (), False, True), "purge", id="restricted-undated-purge"),
    pytest.param(ClientFacts(AS_OF, ("open",), False, True), "claim_hold", id="restricted-claim"),
    pytest.param(ClientFacts(AS_OF, ("open",), True, True), "legal_hold", id="restricted-legal"),
]


@pytest.mark.parametrize(("facts", "action"), RESTRICTED_CASES)
def test_decide_restricted(facts, action):
    assert decide(facts, AS_OF, P).action == action


def test_client_facts_restricted_defaults_to_false():
    assert ClientFacts(OLD).restricted is False
