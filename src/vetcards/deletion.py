"""The one deletion engine of erase and purge (SPEC §4, §5), driven by the data map.

The caller says which clients go (``SELECT id, keep_card ...``: ``keep_card``
is 1 for a card that an erasure keeps restricted for a claim) and on which
date; :class:`Deletion` then stages, set-based, in TEMP tables
(``temp_store = MEMORY``, so no plaintext reaches a temp file):

* ``gone_client``: the clients whose data goes;
* ``gone_pet``: their pets;
* for each table with a hold (:func:`datamap.holders`): the rows reached from
  a client or pet that goes which no hold keeps, and no claim keeps linked
  (with ``sweep``, the purge's, also the restricted detached rows whose hold
  has ended); a group of rows that belong together for the hold
  (:attr:`Table.hold_pair`: an invoice and its credit notes) goes only as a
  whole, so the credit note's reference to its invoice is never cleared.

:meth:`Deletion.steps` are the statements, built from :data:`datamap.MAP`
run backwards (children before parents, so the foreign-key actions find
nothing left to cascade): held rows are detached (links NULL, ``restricted``
= 1, the owner snapshot filled), the rest deleted, and a card kept for a claim
is restricted instead of deleted. Erase and purge run the same steps; they
differ only in which clients they stage and in the purge's sweep.

Where each rule lives: the periods' arithmetic in :mod:`vetcards.rules`
(cut-off dates passed to the SQL as parameters, :func:`cutoffs`); the claim in
:data:`rules.SETTLED_STATES` (:func:`claim_sql`); which dates keep a row in
:func:`held_sql` (the fiscal term of SPEC §4: any issue or payment date of the
invoice's group on or after the cut-off) and the same dates for the printed
term in :func:`term_dates` / :func:`hold_until`, for erase and purge alike;
the owner's address of a kept record in :data:`OWNER_ADDRESS_SQL`.

The statements are text generated from the map, in portable SQL: ``CREATE
TEMP TABLE`` and unqualified names (a temporary table is found before the
database's own, in SQLite and in PostgreSQL's ``pg_temp`` alike), dates as
ISO parameters, no SQLite-only function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Optional

from sqlalchemy import bindparam, text

from . import rules
from .datamap import MAP, Act, Hold, Table, entry, holders

if TYPE_CHECKING:
    from .db import UnitOfWork

__all__ = ["OWNER_ADDRESS_SQL", "Deletion", "Step", "claim_exists_sql", "claim_sql", "cutoffs", "held_sql",
           "hold_until", "term_dates"]

Mode = Literal["erase", "purge"]
Part = Literal["reached", "gone", "detach", "claim", "sweep"]

#: The owner's address on a kept record, from the client card ``c``.
OWNER_ADDRESS_SQL = ("c.street || ', ' || c.postcode || ' ' || c.city"
                     " || CASE WHEN c.country <> 'NL' THEN ', ' || c.country ELSE '' END")

_PARAM = {Hold.FISCAL: "fiscal_cut", Hold.MEDICINE: "medicine_cut"}


def cutoffs(as_of: date, periods: rules.Periods) -> dict[str, str]:
    """The SQL parameters of the holds: the earliest date each hold still keeps on ``as_of``."""
    return {_PARAM[Hold.FISCAL]: rules.fiscal_hold_cutoff(as_of, periods).isoformat(),
            _PARAM[Hold.MEDICINE]: rules.medicine_hold_cutoff(as_of, periods).isoformat()}


def hold_until(hold: Hold, dates: Iterable[date], periods: rules.Periods) -> date:
    """The last day (inclusive) ``hold`` keeps a row whose group has these dates (:func:`term_dates`)."""
    if hold is Hold.FISCAL:
        return rules.fiscal_term_until(dates, periods)
    return rules.medicine_hold_until(max(dates), periods)


def _root(table: Table, alias: str) -> str:
    """The id of the row's group: the row it corrects, else itself."""
    return f"coalesce({alias}{table.hold_pair}, {alias}id)" if table.hold_pair else f"{alias}id"


def _in_group(table: Table, member: str, alias: str) -> str:
    """Row ``member`` (an alias) is in the group of the row ``alias``."""
    root = _root(table, alias)
    return f"({member}.id = {root} OR {member}.{table.hold_pair} = {root})"


def held_sql(table: Table, alias: Optional[str] = None) -> str:
    """The row's hold still runs (on the date of the parameters of :func:`cutoffs`).

    A row without a group keeps while its own date is on or after the cut-off;
    a row of a group (:attr:`Table.hold_pair`) while any date of any member
    (its own, or one of :attr:`Table.hold_extended_by`: a payment) is.
    ``alias``: how the row is named (default the table's name).
    """
    assert table.hold is not None and table.hold_date is not None
    a = f"{alias or table.name}."
    cut = f":{_PARAM[table.hold]}"
    if not table.hold_pair and not table.hold_extended_by:
        return f"{a}{table.hold_date} >= {cut}"
    m = "g_"
    dated = [f"{m}.{table.hold_date} >= {cut}"] + [
        f"EXISTS (SELECT 1 FROM {child} x_ WHERE x_.{link} = {m}.id AND x_.{column} >= {cut})"
        for child, link, column in table.hold_extended_by]
    if not table.hold_pair:
        return " OR ".join(d.replace(f"{m}.", a) for d in dated)
    return (f"EXISTS (SELECT 1 FROM {table.name} {m} WHERE {_in_group(table, m, a)} "
            f"AND ({' OR '.join(dated)}))")


def term_dates(uow: UnitOfWork, table: Table, ids: list[int]) -> dict[int, list[date]]:
    """Every date the hold of each row counts from: of its whole group and the children that extend it."""
    assert table.hold_date is not None
    out: dict[int, list[date]] = {i: [] for i in ids}
    if not ids:
        return out
    a, m = "r_", "g_"
    group = _in_group(table, m, f"{a}.") if table.hold_pair else f"{m}.id = {a}.id"
    base = f"FROM {table.name} {a} JOIN {table.name} {m} ON {group}"
    parts = [f"SELECT {a}.id AS id, {m}.{table.hold_date} AS d {base} WHERE {a}.id IN :ids"] + [
        f"SELECT {a}.id, x_.{column} {base} JOIN {child} x_ ON x_.{link} = {m}.id WHERE {a}.id IN :ids"
        for child, link, column in table.hold_extended_by]
    stmt = text(" UNION ALL ".join(parts)).bindparams(bindparam("ids", expanding=True))
    for row in uow.execute(stmt, {"ids": ids}):
        out[row.id].append(row.d if isinstance(row.d, date) else date.fromisoformat(str(row.d)[:10]))
    return out


def claim_sql(column: str) -> str:
    """``column`` (an invoice state) is a claim: not settled (:func:`rules.is_claim`)."""
    settled = ", ".join(f"'{s}'" for s in sorted(rules.SETTLED_STATES))
    return f"{column} NOT IN ({settled})"


def claim_exists_sql(client_id: str) -> str:
    """The client ``client_id`` (an SQL expression) has a claim: a row with a claim state linked to it."""
    (table,) = (t for t in MAP if t.claim_state)
    link = table.link
    assert link is not None and table.claim_state is not None
    return (f"EXISTS (SELECT 1 FROM {table.name} k WHERE k.{link.column} = {client_id} "
            f"AND {claim_sql('k.' + table.claim_state)})")


#: The slice of staged ids a batched step takes (:data:`BATCH_IDS`).
_SLICE = "id >= :lo AND id < :hi"


def _gone(table: str, sliced: bool = False) -> str:
    return f"(SELECT id FROM gone_{table}{' WHERE ' + _SLICE if sliced else ''})"


def _reached(table: Table) -> str:
    """The rows of ``table`` that belong to a client or pet that goes."""
    owning = [link for link in table.links if link.owns]
    return "(" + " OR ".join(f"{link.column} IN {_gone(link.parent)}" for link in owning) + ")"


def _sweep(table: Table) -> str:
    """Restricted rows kept detached by an earlier erase or purge whose hold has ended."""
    link = table.link
    assert link is not None
    return f"restricted = 1 AND {link.column} IS NULL AND NOT ({held_sql(table)})"


def _owner_id(table: Table) -> str:
    """The owner's client id of a row, through whichever owning link is set."""
    ways = []
    for link in table.links:
        if not link.owns:
            continue
        if link.parent == "client":
            ways.append(f"{table.name}.{link.column}")
        else:
            up = entry(link.parent).link
            assert up is not None
            ways.append(f"(SELECT o.{up.column} FROM {link.parent} o WHERE o.{link.key} = {table.name}.{link.column})")
    return ways[0] if len(ways) == 1 else f"coalesce({', '.join(ways)})"


@dataclass(frozen=True)
class Step:
    """One statement of a deletion: progress text, table counted (None: a detach), SQL.

    ``batched``: the table (a staged ``gone_NAME``, or the updated table itself) whose
    ids the statement takes in slices (``:lo <= id < :hi``, see :data:`BATCH_IDS`), else
    None (one statement).
    """

    description: str
    table: Optional[str]
    sql: str
    batched: Optional[str] = None


#: Ids a slice of a batched step covers. A delete from a table that other rows refer to
#: (an invoice, a pet, a client), or an update of many rows, keeps a statement journal of
#: every page it changes, in memory (``temp_store = MEMORY``): in slices, memory stays that of one slice however large
#: the practice (issue 15: the purge of a 200,000-client practice peaked at 361 MB).
BATCH_IDS = 20000


_STAGED = ("client", "pet", *(t.name for t in holders()))


class Deletion:
    """One erase or purge: stage what goes (:meth:`stage`), then :meth:`run` the steps."""

    def __init__(self, uow: UnitOfWork, mode: Mode, as_of: date, periods: rules.Periods, *,
                 sweep: bool = False) -> None:
        self.uow = uow
        self.mode = mode
        self.as_of = as_of
        self.periods = periods
        self.sweep = sweep
        self.params = cutoffs(as_of, periods)

    # -- which rows ---------------------------------------------------------

    def act(self, table: Table) -> Act:
        return table.erase if self.mode == "erase" else table.purge

    def where(self, table: Table, part: Part) -> str:
        """A condition on ``table`` (no alias): the rows of one part of the deletion.

        ``reached``: belonging to a client or pet that goes; ``gone``: deleted;
        ``claim``: reached and kept linked for a claim; ``detach``: reached and
        kept detached by a hold; ``sweep``: restricted rows whose hold ended.
        """
        if part == "reached":
            return _reached(table)
        if part == "gone":
            return f"id IN {_gone(table.name)}"
        if part == "sweep":
            return _sweep(table)
        if part == "claim":
            return f"{_reached(table)} AND {claim_sql(table.claim_state)}" if table.claim_state else "0 = 1"
        detach = f"{_reached(table)} AND id NOT IN {_gone(table.name)}"
        return f"{detach} AND NOT ({claim_sql(table.claim_state)})" if table.claim_state else detach

    # -- staging ------------------------------------------------------------

    def stage(self, clients_sql: str, params: Optional[dict[str, Any]] = None) -> None:
        """Fill the temp tables; ``clients_sql`` selects ``id, keep_card`` of the clients that go."""
        x = self.uow.execute
        self.drop()
        x(text("CREATE TEMP TABLE gone_client (id INTEGER PRIMARY KEY, keep_card INTEGER NOT NULL)"))
        for name in _STAGED[1:]:
            x(text(f"CREATE TEMP TABLE gone_{name} (id INTEGER PRIMARY KEY)"))
        x(text(f"INSERT INTO gone_client (id, keep_card) {clients_sql}"), {**self.params, **(params or {})})
        x(text(f"INSERT INTO gone_pet (id) SELECT id FROM pet WHERE {_reached(entry('pet'))}"))
        for table in holders():
            claim = f" AND NOT ({claim_sql(table.claim_state)})" if table.claim_state else ""
            sql = (f"SELECT id FROM {table.name} WHERE {_reached(table)} AND NOT ({held_sql(table)}){claim}")
            if self.sweep:
                sql += f" UNION SELECT id FROM {table.name} WHERE {_sweep(table)}"
            x(text(f"INSERT INTO gone_{table.name} (id) {sql}"), self.params)
            if table.hold_pair:
                # A group goes whole or not at all (an invoice and its credit notes).
                x(text(f"DELETE FROM gone_{table.name} WHERE id IN (SELECT r_.id FROM {table.name} r_ "
                       f"JOIN gone_{table.name} s_ ON s_.id = r_.id WHERE EXISTS (SELECT 1 FROM "
                       f"{table.name} g_ WHERE {_in_group(table, 'g_', 'r_.')} "
                       f"AND g_.id NOT IN {_gone(table.name)}))"))

    def drop(self) -> None:
        for name in _STAGED:
            self.uow.execute(text(f"DROP TABLE IF EXISTS gone_{name}"))

    def drop_quietly(self) -> None:
        try:
            self.drop()
        except Exception:  # noqa: BLE001 - already failing; the rollback drops them too
            pass

    # -- the statements -----------------------------------------------------

    def _delete_where(self, table: Table, sliced: bool = False) -> Optional[str]:
        """The rows of ``table`` this deletion deletes (None: it deletes none); ``sliced``: of a
        staged table, only the staged ids ``:lo <= id < :hi``."""
        act = self.act(table)
        if act is Act.KEEP:
            return None
        if table.name in _STAGED:
            if table.name == "client":
                return f"id IN (SELECT id FROM gone_client WHERE keep_card = 0{' AND ' + _SLICE if sliced else ''})"
            return f"id IN {_gone(table.name, sliced)}"
        if act is Act.FOLLOW:
            link = table.link
            assert link is not None
            return f"{link.column} IN {_gone(link.parent)}"
        return _reached(table)

    def _restrict(self, table: Table) -> Optional[Step]:
        """The update that keeps rows of ``table`` restricted (a hold, or a card kept for a claim)."""
        act = self.act(table)
        sets = [f"{c} = NULL" for c in table.restrict_clears]
        if act is Act.CLAIM:
            where = "id IN (SELECT id FROM gone_client WHERE keep_card = 1)"
            return Step("keeping client cards for claims", None,
                        f"UPDATE {table.name} SET {', '.join([*sets, 'restricted = 1'])} WHERE {where}")
        if act is not Act.HOLD:
            return None
        if table.owner_snapshot:
            name_col, address_col = table.owner_snapshot
            owner = f"FROM client c WHERE c.id = {_owner_id(table)}"
            sets += [f"{name_col} = coalesce({name_col}, (SELECT c.name {owner}))",
                     f"{address_col} = coalesce({address_col}, (SELECT {OWNER_ADDRESS_SQL} {owner}))"]
        # Detached from the person (client and pet), not from other records.
        sets += [f"{link.column} = NULL" for link in table.links if link.parent in ("client", "pet")]
        assert table.hold is not None
        # In slices of the table's own ids: the statement journal of an update keeps every page it changes.
        return Step(f"keeping {table.label.replace('_', ' ')} under {table.hold.value} hold", None,
                    f"UPDATE {table.name} SET {', '.join([*sets, 'restricted = 1'])} "
                    f"WHERE {self.where(table, 'detach')} AND {_SLICE}", table.name)

    def steps(self) -> list[Step]:
        """The statements, children before parents (the map backwards)."""
        out: list[Step] = []
        for table in reversed(MAP):
            restrict = self._restrict(table)
            if restrict is not None:
                out.append(restrict)
            sliced = table.name in _STAGED  # by the staged ids, in slices
            where = self._delete_where(table, sliced)
            if where is None:
                continue
            batched = f"gone_{table.name}" if sliced else None
            out.append(Step(f"deleting {table.label.replace('_', ' ')}", table.name,
                            f"DELETE FROM {table.name} WHERE {where}", batched))
        return out

    def counts(self) -> dict[str, int]:
        """Rows each table would lose, by map label (before :meth:`run`)."""
        out: dict[str, int] = {}
        for table in MAP:
            where = self._delete_where(table)
            if where is not None:
                out[table.label] = int(self.uow.execute(
                    text(f"SELECT count(*) FROM {table.name} WHERE {where}")).scalar() or 0)
        return out

    def _run_batched(self, step: Step) -> int:
        assert step.batched is not None
        low, high = self.uow.execute(text(f"SELECT min(id), max(id) FROM {step.batched}")).one()
        if low is None:
            return 0
        stmt, rowcount = text(step.sql), 0
        for lo in range(int(low), int(high) + 1, BATCH_IDS):
            rowcount += max(self.uow.execute(stmt, {"lo": lo, "hi": lo + BATCH_IDS}).rowcount, 0)
        return rowcount

    def run(self, progress: Optional[Callable[[str], None]] = None) -> dict[str, int]:
        """Run :meth:`steps`; rows deleted per table, in the order deleted."""
        deleted: dict[str, int] = {}
        for step in self.steps():
            if progress is not None:
                progress(step.description)
            if step.batched is None:
                rowcount = self.uow.execute(text(step.sql)).rowcount
            else:
                rowcount = self._run_batched(step)
            if step.table is not None:
                deleted[step.table] = deleted.get(step.table, 0) + max(rowcount, 0)
        return deleted
