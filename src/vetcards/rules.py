"""Retention rules (SPEC §3 "Last activity", §4 purge, §5 request deadlines).

Everything here is a pure function of plain values: no database, no clock.
The reference date ``as_of`` is always passed in by the caller, and the
periods come from the practice settings (:class:`Periods`).

Every period is counted forward from its event by one function,
:func:`period_end` (``event + N years``; 29 February + N years is 28 February
when that year has no leap day): 7 years after 28 Feb 2017 end on 28 Feb 2024,
7 years after 29 Feb 2016 on 28 Feb 2023. :func:`period_cutoff` turns it into
the one date set-based SQL compares event dates with.

Boundary choices, all inclusive on the side of keeping data:

* Inactivity: a client is inactive iff the period counted from its last
  activity ended before ``as_of`` (``period_end(last) < as_of``). On the
  period's last day the client is *not* inactive; the day after it is.
* No activity date at all (``None``) is *not* inactive: we never purge what we
  cannot date.
* Fiscal term (AWR art. 52): an invoice is kept until the period counted from
  the end of the latest year among its issue year, the years of its payments
  and the years of the credit notes that correct it (and their payments), that
  day (31 December) included (:func:`fiscal_term_until`). An invoice and its
  credit notes form one group with one term.
* Medicine-record hold: kept until ``period_end(record date)``, that day
  included.
* Claim hold: any invoice open or in collection (or, when balances are given,
  with an amount still owed) holds the client.
* Precedence when inactive: legal hold > claim hold > purge.

Only the sibling modules :mod:`vetcards.errors` and :mod:`vetcards.vocab` are
imported from the package (stdlib only), so that bad settings or unknown
states raise the project's typed errors and the code lists are written once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from dateutil.relativedelta import relativedelta

from vetcards import vocab
from vetcards.errors import InvalidInput

__all__ = [
    "INVOICE_STATES",
    "OPEN_STATES",
    "SETTLED_STATES",
    "ClientFacts",
    "Periods",
    "PurgeDecision",
    "decide",
    "fiscal_hold_cutoff",
    "fiscal_hold_until",
    "fiscal_term_until",
    "has_claim",
    "inactivity_cutoff",
    "is_claim",
    "is_inactive",
    "last_activity",
    "medicine_hold_cutoff",
    "medicine_hold_until",
    "normalise_state",
    "period_cutoff",
    "period_end",
    "request_due",
    "under_fiscal_hold",
    "under_fiscal_term",
    "under_medicine_hold",
]


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Periods:
    """Retention periods in whole years (practice settings, SPEC §4)."""

    inactivity_years: int = 7
    fiscal_years: int = 7
    medicine_years: int = 5

    def __post_init__(self) -> None:
        for name in ("inactivity_years", "fiscal_years", "medicine_years"):
            value = getattr(self, name)
            # bool is an int subclass; True years is a settings bug, not 1.
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvalidInput(name, "must be a whole number of years")
            if value < 1:
                raise InvalidInput(name, "must be at least 1 year")


DEFAULT_PERIODS = Periods()


def _as_date(value: date | datetime) -> date:
    """Reduce a datetime to its date; a date stays as it is."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


# --------------------------------------------------------------------------
# Periods counted forward from an event (SPEC §4): the one date arithmetic
# --------------------------------------------------------------------------


def period_end(event: date | datetime, years: int) -> date:
    """The last day of a period of ``years`` counted forward from ``event``.

    ``event + years`` calendar years; a 29 February event ends on 28 February
    when the end year has no leap day (2016-02-29 + 7 = 2023-02-28;
    2017-02-28 + 7 = 2024-02-28). Inactivity, the fiscal term and the
    medicine-record hold all count with this function.
    """
    return _as_date(event) + relativedelta(years=years)


def period_cutoff(as_of: date | datetime, years: int) -> date:
    """The earliest event date whose period (:func:`period_end`) has not ended before ``as_of``.

    ``(period_end(d, years) >= as_of) == (d >= period_cutoff(as_of, years))``
    for every ``d`` (a property test checks it), so set-based SQL compares
    event dates with this one parameter. Not simply ``as_of - years``: on
    ``as_of`` 29 February that clamps to 28 February, whose period ended the
    day before; the cut-off is then 1 March.
    """
    as_of = _as_date(as_of)
    cut = as_of - relativedelta(years=years)
    if period_end(cut, years) < as_of:
        cut += timedelta(days=1)
    return cut


# --------------------------------------------------------------------------
# Last activity and inactivity (SPEC §3, §4)
# --------------------------------------------------------------------------


def last_activity(dates: Iterable[date | datetime | None]) -> date | None:
    """The latest of ``dates`` as a date; ``None`` values are ignored.

    The caller passes every activity date of the client (card created or
    edited, pets added or edited, visits, vaccinations, invoices, payments,
    disclosures at the client's request). Datetimes are reduced to their
    date. Returns ``None`` when there is no date at all.
    """
    latest: date | None = None
    for value in dates:
        if value is None:
            continue
        d = _as_date(value)
        if latest is None or d > latest:
            latest = d
    return latest


def inactivity_cutoff(as_of: date, periods: Periods = DEFAULT_PERIODS) -> date:
    """The earliest last-activity date that is not inactive on ``as_of``.

    A client whose last activity is strictly before this date is inactive
    (:func:`period_cutoff` of the inactivity period: on 2024-02-29 it is
    2017-03-01, so a card last active on 2017-02-28 is inactive).
    """
    return period_cutoff(as_of, periods.inactivity_years)


def is_inactive(
    last: date | datetime | None, as_of: date, periods: Periods = DEFAULT_PERIODS
) -> bool:
    """True when the inactivity period counted from ``last`` ended before ``as_of``.

    Precisely: ``period_end(last, N) < as_of``. On the period's last day the
    client is not inactive; the day after it is (last activity 2017-02-28:
    the period ends 2024-02-28, inactive on 2024-02-29).

    ``last is None`` (a card with no datable activity) returns False: we never
    purge what we cannot date.
    """
    if last is None:
        return False
    return period_end(last, periods.inactivity_years) < _as_date(as_of)


# --------------------------------------------------------------------------
# Fiscal term (SPEC §4, AWR art. 52): from the end of the latest year of the
# invoice, its payments and its credit notes
# --------------------------------------------------------------------------


def fiscal_term_until(dates: Iterable[date | datetime], periods: Periods = DEFAULT_PERIODS) -> date:
    """Last day (inclusive) a group of fiscal records must be kept.

    ``dates``: every date of the group, i.e. the issue dates of an invoice and
    of the credit notes that correct it, and the dates of the payments on
    any of them. The term is :func:`period_end` of ``fiscal_years`` counted
    from 31 December of the latest of their years: an invoice of 2017 paid on
    2026-05-01 is kept until 2033-12-31.
    """
    years = [_as_date(d).year for d in dates]
    if not years:
        raise InvalidInput("fiscal term", "needs at least the invoice's date")
    return period_end(date(max(years), 12, 31), periods.fiscal_years)


def under_fiscal_term(
    dates: Iterable[date | datetime], as_of: date, periods: Periods = DEFAULT_PERIODS
) -> bool:
    """True while ``as_of <= fiscal_term_until(dates)``: the group is still kept."""
    return _as_date(as_of) <= fiscal_term_until(dates, periods)


def fiscal_hold_until(invoice_date: date, periods: Periods = DEFAULT_PERIODS) -> date:
    """The term of an invoice with no payment or credit note in a later year: 31 Dec of year + N.

    2019-03-01 -> 2026-12-31; 2019-12-31 -> 2026-12-31; 2020-01-01 -> 2027-12-31.
    """
    return fiscal_term_until((invoice_date,), periods)


def under_fiscal_hold(
    invoice_date: date, as_of: date, periods: Periods = DEFAULT_PERIODS
) -> bool:
    """True while ``as_of <= fiscal_hold_until(invoice_date)``."""
    return under_fiscal_term((invoice_date,), as_of, periods)


def fiscal_hold_cutoff(as_of: date, periods: Periods = DEFAULT_PERIODS) -> date:
    """The earliest date that still keeps a fiscal group on ``as_of``.

    A group is kept iff any of its dates (issue or payment, of the invoice or
    of a credit note) is on or after this date: 1 January of the year whose
    end is at or after :func:`period_cutoff` (a property test checks that
    ``under_fiscal_term(ds, as_of) == any(d >= cutoff for d in ds)``).
    """
    return date(period_cutoff(as_of, periods.fiscal_years).year, 1, 1)


# --------------------------------------------------------------------------
# Medicine-record hold (SPEC §4, EU 2019/6 art. 103): 5 years from the record
# --------------------------------------------------------------------------


def medicine_hold_until(record_date: date, periods: Periods = DEFAULT_PERIODS) -> date:
    """Last day (inclusive) a medicine record must be kept: :func:`period_end` of N years.

    2020-02-29 + 5 years = 2025-02-28.
    """
    return period_end(record_date, periods.medicine_years)


def under_medicine_hold(
    record_date: date, as_of: date, periods: Periods = DEFAULT_PERIODS
) -> bool:
    """True while ``as_of <= medicine_hold_until(record_date)``.

    Choice: the anniversary day itself is still held (inclusive end), the same
    convention as the fiscal hold; the record may go from the next day on.
    """
    return _as_date(as_of) <= medicine_hold_until(record_date, periods)


def medicine_hold_cutoff(as_of: date, periods: Periods = DEFAULT_PERIODS) -> date:
    """The earliest record date whose medicine hold still runs on ``as_of``.

    ``under_medicine_hold(d, as_of) == (d >= medicine_hold_cutoff(as_of))``
    for every ``d`` (:func:`period_cutoff`).
    """
    return period_cutoff(as_of, periods.medicine_years)


# --------------------------------------------------------------------------
# Claim hold (SPEC §4)
# --------------------------------------------------------------------------

#: Every invoice state (SPEC §3: open, paid, in collection, credited); the
#: lists are :mod:`vetcards.vocab`'s.
INVOICE_STATES = frozenset(vocab.INVOICE_STATES)
#: States that mean money is still owed: they make a claim hold.
OPEN_STATES = frozenset(vocab.OPEN_STATES)
#: States that are settled: every other stored state (open, in collection, or
#: a spelling we do not know) is a claim: keep rather than lose. The SQL of the
#: purge and the erasure tests ``status NOT IN SETTLED_STATES`` (vetcards.deletion).
SETTLED_STATES = frozenset(vocab.SETTLED_STATES)


def is_claim(stored_state: str) -> bool:
    """True unless a stored invoice state is settled (an unknown state is a claim).

    The one claim rule: :func:`has_claim` applies it to normalised input and
    :mod:`vetcards.deletion` writes it as SQL for the purge and the erasure.
    """
    return stored_state not in SETTLED_STATES


def normalise_state(state: str) -> str:
    """Canonical spelling of an invoice state: ``"In collection"`` -> ``"in_collection"``.

    Raises :class:`~vetcards.errors.InvalidInput` for an unknown state, so a
    typo can never silently turn a claim into "no claim".
    """
    if not isinstance(state, str):
        raise InvalidInput("invoice state", "must be text")
    key = state.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in INVOICE_STATES:
        raise InvalidInput(
            "invoice state", "must be one of " + ", ".join(sorted(INVOICE_STATES))
        )
    return key


def has_claim(
    invoice_states: Iterable[str], balances_cents: Iterable[int] | None = None
) -> bool:
    """True when any invoice is open (unpaid or partly paid) or in collection.

    ``balances_cents``, when given, are the outstanding amounts of the same
    invoices in the same order (must be as many as the states). An invoice
    with a positive balance is then a claim too, whatever its state says
    (a belt-and-braces check: we keep rather than purge on inconsistent data).
    A zero or negative balance (overpaid: the practice owes the client) does
    not by itself make a claim; it does not clear an open state either.
    """
    states = [normalise_state(s) for s in invoice_states]
    if any(is_claim(s) for s in states):
        return True
    if balances_cents is None:
        return False
    balances = list(balances_cents)
    if len(balances) != len(states):
        raise InvalidInput("balances", "must be given for each invoice, in order")
    for b in balances:
        if isinstance(b, bool) or not isinstance(b, int):
            raise InvalidInput("balances", "must be whole cents")
    return any(b > 0 for b in balances)


# --------------------------------------------------------------------------
# Purge decision (SPEC §4)
# --------------------------------------------------------------------------

PurgeAction = Literal["purge", "claim_hold", "legal_hold", "keep"]


@dataclass(frozen=True)
class ClientFacts:
    """What the purge needs to know about one client, as plain values.

    ``invoice_states``: states of the invoices still linked to the client
    (restricted or not: a claim kept by an erasure still holds).
    ``legal_hold``: a manual legal hold is set on the client.
    ``restricted``: the card is kept only for a hold (left by an erasure); it
    goes as soon as no hold remains, however recent its last activity.
    """

    last_activity: date | None
    invoice_states: tuple[str, ...] = ()
    legal_hold: bool = False
    restricted: bool = False

    def __post_init__(self) -> None:
        # Accept any iterable (list, generator) but store a tuple: hashable.
        object.__setattr__(self, "invoice_states", tuple(self.invoice_states))


@dataclass(frozen=True)
class PurgeDecision:
    """The outcome for one client; ``reason`` names rules and dates, never people."""

    action: PurgeAction
    reason: str


def decide(
    facts: ClientFacts, as_of: date, periods: Periods = DEFAULT_PERIODS
) -> PurgeDecision:
    """Decide what the purge does with one client.

    ``keep`` unless inactive (see :func:`is_inactive`; no date -> keep) or
    restricted (an erased card kept for a hold). When inactive or restricted:
    a manual legal hold wins over a claim hold, which wins over purge. The fiscal hold is not decided here: it applies per invoice to
    what survives a purge (see :func:`under_fiscal_hold`).
    """
    n = periods.inactivity_years
    last = facts.last_activity
    if facts.restricted:
        # Erased already: kept only while a hold runs, whatever the activity.
        if facts.legal_hold:
            return PurgeDecision("legal_hold", "manual legal hold")
        if has_claim(facts.invoice_states):
            return PurgeDecision("claim_hold", "unpaid invoice or invoice in collection")
        return PurgeDecision("purge", "restricted (erased) and no hold remains")
    if last is None:
        return PurgeDecision("keep", "no activity date: never purged undated")
    if not is_inactive(last, as_of, periods):
        return PurgeDecision(
            "keep", f"active: last activity {_as_date(last).isoformat()} within {n} years"
        )
    if facts.legal_hold:
        return PurgeDecision("legal_hold", "manual legal hold")
    if has_claim(facts.invoice_states):
        return PurgeDecision("claim_hold", "unpaid invoice or invoice in collection")
    return PurgeDecision(
        "purge",
        f"inactive: last activity {_as_date(last).isoformat()} more than {n} years"
        f" before {_as_date(as_of).isoformat()}",
    )


# --------------------------------------------------------------------------
# Data-subject requests (SPEC §5, GDPR art. 12(3))
# --------------------------------------------------------------------------


def request_due(received: date, extended: bool = False) -> date:
    """Due date of a data-subject request: one month after receipt.

    Extended (by two further months, with a reason recorded by the caller):
    three months after receipt. Month ends clamp: 31 Jan -> 28/29 Feb;
    extended 30 Nov -> 28/29 Feb.
    """
    months = 3 if extended else 1
    return _as_date(received) + relativedelta(months=months)
