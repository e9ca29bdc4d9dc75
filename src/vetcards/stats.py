"""Anonymised statistics: aggregate counts with small cells suppressed (SPEC §1).

Only counts leave this module, never a row about one client or animal.
Restricted data (kept only for a hold, art. 18) is excluded, and so are
deceased animals from the population tables (species, breed, age, region).

Disclosure control (:func:`suppress`, a pure function):

* primary suppression: a count from 1 to ``k - 1`` is shown as ``"<5"``;
* no totals are printed;
* complementary suppression: a reader may know a group's total from another
  table (the species table gives the total of each species' breeds; every
  population table sums to the same number of animals). Within a group,
  more cells are hidden (shown as ``"x"``, meaning "hidden so that a small
  cell cannot be worked out") until no hidden cell's value follows from the
  group total and the markers (``"<5"`` = 1..k-1, ``"x"`` = k or more).
  Only when every cell of a group is hidden can that fail; the group total is
  then itself small or its cells' values are forced (e.g. six breeds of one
  animal each), and :func:`suppress` reports it in ``Table.exposed_groups``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import Select, case, column, func, select, table

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

K = 5
SMALL = "<5"
HIDDEN = "x"
INF = float("inf")

BY_CHOICES: tuple[str, ...] = ("species", "breed", "age", "region", "year")

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-1", 0, 1), ("2-4", 2, 4), ("5-9", 5, 9), ("10-14", 10, 14), ("15+", 15, 10_000),
)


# --------------------------------------------------------------------------
# Pure disclosure control
# --------------------------------------------------------------------------


@dataclass
class Table:
    """Suppressed cells in input order (zero cells dropped) and the groups that stay exposed."""

    cells: list[tuple[Any, int | str]] = field(default_factory=list)
    exposed_groups: list[Hashable] = field(default_factory=list)


def _bounds(kind: str, k: int) -> tuple[float, float]:
    return (1, k - 1) if kind == SMALL else (k, INF)


def determined(hidden: Sequence[str], total_hidden: int, k: int = K) -> bool:
    """True when some hidden cell's value follows from the markers and their sum.

    Each marker bounds its cell: ``"<5"`` to ``[1, k-1]``, ``"x"`` to
    ``[k, inf)``. The feasible values of one cell form the integer interval
    ``[max(lo_i, S - sum(hi_others)), min(hi_i, S - sum(lo_others))]``;
    the cell is determined when that interval has one value.
    """
    if not hidden:
        return False
    bounds = [_bounds(m, k) for m in hidden]
    for i, (lo, hi) in enumerate(bounds):
        others = bounds[:i] + bounds[i + 1:]
        low = max(lo, total_hidden - sum(b[1] for b in others))
        high = min(hi, total_hidden - sum(b[0] for b in others))
        if low == high:
            return True
    return False


def suppress_group(counts: Sequence[int], k: int = K) -> tuple[list[int | str], bool]:
    """Suppress one group of counts; returns the shown values and whether it is safe.

    Zero counts are returned as 0 (callers drop them); they carry no person.
    """
    shown: list[int | str] = [SMALL if 0 < c < k else c for c in counts]
    while True:
        hidden = [i for i, s in enumerate(shown) if isinstance(s, str)]
        total = sum(counts[i] for i in hidden)
        if not determined([str(shown[i]) for i in hidden], total, k):
            return shown, True
        candidates = [i for i, s in enumerate(shown) if not isinstance(s, str) and counts[i] > 0]
        if not candidates:
            return shown, False
        smallest = min(candidates, key=lambda i: (counts[i], i))
        shown[smallest] = HIDDEN


def suppress(cells: Iterable[tuple[Any, int]], k: int = K,
             group: Optional[Callable[[Any], Hashable]] = None) -> Table:
    """Suppress a table of ``(key, count)`` cells, group by group (default: one group)."""
    items = [(key, int(n)) for key, n in cells if int(n) > 0]
    group = group or (lambda _key: None)
    order: dict[Hashable, list[int]] = {}
    for i, (key, _n) in enumerate(items):
        order.setdefault(group(key), []).append(i)
    shown: list[int | str] = [0] * len(items)
    table = Table()
    for g, idx in order.items():
        values, safe = suppress_group([items[i][1] for i in idx], k)
        for i, v in zip(idx, values):
            shown[i] = v
        if not safe:
            table.exposed_groups.append(g)
    table.cells = [(items[i][0], shown[i]) for i in range(len(items))]
    return table


# --------------------------------------------------------------------------
# Aggregation (SQL, counts only)
# --------------------------------------------------------------------------

_pet = table("pet", column("id"), column("client_id"), column("species"), column("breed"), column("birth_date"),
             column("deceased_on"))
_client = table("client", column("id"), column("postcode"), column("country"), column("restricted"))
_visit = table("visit", column("pet_id"), column("visit_date"), column("voided_at"))


def _living(*cols: Any) -> Select[Any]:
    """Living animals of clients that are not restricted (the population tables)."""
    p, c = _pet.c, _client.c
    return (select(*cols).select_from(_pet.join(_client, c.id == p.client_id))
            .where(c.restricted == 0, p.deceased_on.is_(None)))


def _cells(uow: UnitOfWork, stmt: Select[Any], width: int) -> list[tuple[tuple[Any, ...], int]]:
    """``(key, count)`` cells of a query whose first ``width`` columns are the key, then the count."""
    return [(tuple(r[:width]), r[width]) for r in uow.execute(stmt)]


def age_band(birth: Optional[date], as_of: date) -> str:
    if birth is None:
        return "unknown"
    years = as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))
    for label, lo, hi in AGE_BANDS:
        if lo <= max(years, 0) <= hi:
            return label
    return "unknown"  # pragma: no cover


def counts(uow: UnitOfWork, by: str, as_of: date) -> tuple[list[str], list[tuple[tuple[Any, ...], int]], str]:
    """Raw counts (before suppression): key columns, ``(key, count)`` cells, what is counted."""
    p, c, n = _pet.c, _client.c, func.count().label("n")
    if by == "species":
        return ["species"], _cells(uow, _living(p.species, n).group_by(p.species).order_by(p.species), 1), \
            "living animals"
    if by == "breed":
        breed = func.coalesce(func.nullif(func.lower(func.trim(p.breed)), ""), "(unknown)").label("breed")
        stmt = _living(p.species, breed, n).group_by(p.species, breed).order_by(p.species, breed)
        return ["species", "breed"], _cells(uow, stmt, 2), "living animals"
    if by == "age":
        tally: dict[str, int] = {}
        for birth in uow.execute(_living(p.birth_date)).scalars():
            band = age_band(date.fromisoformat(str(birth)) if birth else None, as_of)
            tally[band] = tally.get(band, 0) + 1
        labels = [b[0] for b in AGE_BANDS] + ["unknown"]
        return ["age"], [((b,), tally[b]) for b in labels if b in tally], "living animals by age in years"
    if by == "region":
        # Dutch clients by the first two postcode digits; clients abroad by their country code only.
        region = case((c.country == "NL", func.substr(c.postcode, 1, 2)), else_=c.country).label("region")
        stmt = select(region, n).where(c.restricted == 0).group_by(region).order_by(region)
        return ["region"], _cells(uow, stmt, 1), "clients by first two postcode digits (abroad: by country)"
    if by == "year":
        v = _visit.c
        year = func.substr(v.visit_date, 1, 4).label("year")
        stmt = (select(year, n).select_from(_visit.join(_pet, p.id == v.pet_id).join(_client, c.id == p.client_id))
                .where(c.restricted == 0, v.voided_at.is_(None)).group_by(year).order_by(year))
        return ["year"], _cells(uow, stmt, 1), "visits (consultations) per year"
    from .errors import InvalidInput
    from .vocab import rule_one_of

    raise InvalidInput("--by", rule_one_of(BY_CHOICES))


def statistics(uow: UnitOfWork, by: str = "species", *, as_of: Optional[date] = None, k: int = K) -> dict[str, Any]:
    """Suppressed counts: ``{"by", "counting", "columns", "rows"}`` (rows are dicts)."""
    as_of = as_of or date.today()
    keys, cells, counting = counts(uow, by, as_of)
    suppressed = suppress(cells, k, group=(lambda key: key[0]) if by == "breed" else None)
    rows = [dict(zip(keys, key), count=value) for key, value in suppressed.cells]
    return {"by": by, "counting": counting, "columns": keys + ["count"], "rows": rows, "k": k}
