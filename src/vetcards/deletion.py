"""The one deletion engine of erase and purge (SPEC §4, §5), driven by the data map.

The caller says which clients go (a ``SELECT id, keep_card ...``: ``keep_card``
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
the owner's address of a kept record in :func:`owner_address`.

The statements are SQLAlchemy Core constructs generated from the map, on
lightweight ``table()``/``column()`` clauses (:func:`sql_table`; the ORM models
are not imported: the purge runs from cron), compiled per database: the TEMP
tables are ``Table(..., prefixes=["TEMPORARY"])`` in a throwaway MetaData with
unqualified names (a temporary table is found before the database's own, in
SQLite and in PostgreSQL's ``pg_temp`` alike), dates are ISO parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Optional

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    and_,
    bindparam,
    case,
    column,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    not_,
    null,
    or_,
    select,
    text,
    true,
    union,
    union_all,
    update,
)
from sqlalchemy import Table as CoreTable
from sqlalchemy import table as table_clause
from sqlalchemy.schema import CreateTable, DropTable

from . import rules
from .datamap import MAP, Act, Hold, Table, entry, holders

if TYPE_CHECKING:
    from sqlalchemy.sql import ColumnElement, Executable, FromClause, Select
    from sqlalchemy.sql.expression import BindParameter, TableClause

    from .db import UnitOfWork

__all__ = ["BATCH_IDS", "Deletion", "Step", "claim_exists", "claim_sql", "cutoffs", "erased_client",
           "held_sql", "hold_until", "owner_address", "reached_rows", "sql_table", "temp_table", "term_dates"]

Mode = Literal["erase", "purge"]
Part = Literal["reached", "gone", "detach", "claim", "sweep"]
Condition = Any  # ColumnElement[bool]; Any so that and_/or_/not_ accept it under mypy

_PARAM = {Hold.FISCAL: "fiscal_cut", Hold.MEDICINE: "medicine_cut"}


# -- the tables, as Core clauses ------------------------------------------------

#: Columns of the client card read besides those the map names: the owner snapshot
#: (:func:`owner_address`) and the purge's decision (number, legal hold).
_CLIENT_READS = ("number", "name", "street", "postcode", "city", "country", "legal_hold_reason")
#: Columns joined into text (the owner's name and address): typed, so that ``||`` concatenates.
_TEXT = {"name", "street", "postcode", "city", "country"}
#: ``restricted`` is a boolean (1 in SQLite, true in PostgreSQL).
_TYPES: dict[str, Any] = {**{n: String for n in _TEXT}, "restricted": Boolean}


def _column_names(t: Table) -> set[str]:
    """Every column of ``t`` the engine, the purge and the erasure read or write, from the map."""
    names = {"id", *(link.column for link in t.links), *t.restrict_clears, *(t.owner_snapshot or ())}
    names |= {c for c in (t.hold_date, t.hold_pair, t.claim_state) if c}
    if t.hold is not None or Act.CLAIM in (t.erase, t.purge):
        names.add("restricted")
    for other in MAP:
        names |= {link.key for link in other.links if link.parent == t.name}
        names |= {f for child, link, col in other.hold_extended_by if child == t.name for f in (link, col)}
    if t.name == "client":
        names |= set(_CLIENT_READS)
    if t.claim_state:  # the purge plan and the erasure list these rows by number
        names.add("number")
    return names


@cache
def sql_table(name: str) -> TableClause:
    """The lightweight Core clause of map table ``name`` (one object per table, so subqueries correlate)."""
    return table_clause(name, *(column(n, _TYPES.get(n)) for n in sorted(_column_names(entry(name)))))


#: TEMP tables: a throwaway MetaData, never created as a whole.
_TEMP = MetaData()


def temp_table(name: str, *columns: Column[Any]) -> CoreTable:
    """A TEMPORARY table (``CREATE TEMPORARY TABLE name``, unqualified: portable)."""
    if name in _TEMP.tables:
        return _TEMP.tables[name]
    return CoreTable(name, _TEMP, *columns, prefixes=["TEMPORARY"])


_STAGED = ("client", "pet", *(t.name for t in holders()))
_GONE: dict[str, CoreTable] = {
    name: temp_table(f"gone_{name}", Column("id", Integer, primary_key=True, autoincrement=False),
                     *([Column("keep_card", Integer, nullable=False)] if name == "client" else []))
    for name in _STAGED}

#: The slice of staged ids a batched step takes (:data:`BATCH_IDS`).
_LO: BindParameter[Any] = bindparam("lo")
_HI: BindParameter[Any] = bindparam("hi")


def _sliced(ids: ColumnElement[Any]) -> list[Condition]:
    return [ids >= _LO, ids < _HI]


# -- the rules, as SQL ----------------------------------------------------------


def cutoffs(as_of: date, periods: rules.Periods) -> dict[str, str]:
    """The SQL parameters of the holds: the earliest date each hold still keeps on ``as_of``."""
    return {_PARAM[Hold.FISCAL]: rules.fiscal_hold_cutoff(as_of, periods).isoformat(),
            _PARAM[Hold.MEDICINE]: rules.medicine_hold_cutoff(as_of, periods).isoformat()}


def hold_until(hold: Hold, dates: Iterable[date], periods: rules.Periods) -> date:
    """The last day (inclusive) ``hold`` keeps a row whose group has these dates (:func:`term_dates`)."""
    if hold is Hold.FISCAL:
        return rules.fiscal_term_until(dates, periods)
    return rules.medicine_hold_until(max(dates), periods)


def _root(table: Table, row: FromClause) -> ColumnElement[Any]:
    """The id of the row's group: the row it corrects, else itself."""
    return func.coalesce(row.c[table.hold_pair], row.c.id) if table.hold_pair else row.c.id


def _in_group(table: Table, member: FromClause, row: FromClause) -> Condition:
    """Row ``member`` is in the group of row ``row`` (both of ``table``, with a :attr:`Table.hold_pair`)."""
    assert table.hold_pair is not None
    root = _root(table, row)
    return or_(member.c.id == root, member.c[table.hold_pair] == root)


def held_sql(table: Table, row: FromClause, cut: ColumnElement[Any]) -> Condition:
    """The hold of ``row`` (a row of ``table``) still runs: a date on or after ``cut``.

    A row without a group keeps while its own date is on or after the cut-off;
    a row of a group (:attr:`Table.hold_pair`) while any date of any member
    (its own, or one of :attr:`Table.hold_extended_by`: a payment) is.
    """
    assert table.hold is not None and table.hold_date is not None
    date_column = table.hold_date

    def dated(g: FromClause) -> list[Condition]:
        out: list[Condition] = [g.c[date_column] >= cut]
        for child, link, col in table.hold_extended_by:
            x = sql_table(child).alias("x_")
            out.append(exists().where(x.c[link] == g.c.id, x.c[col] >= cut).correlate(g))
        return out

    if not table.hold_pair:
        ways = dated(row)
        return ways[0] if len(ways) == 1 else or_(*ways)
    g = sql_table(table.name).alias("g_")
    return exists().where(_in_group(table, g, row), or_(*dated(g))).correlate(row)


@cache
def _term_dates_query(name: str) -> Any:
    table = entry(name)
    assert table.hold_date is not None
    r, g = sql_table(name).alias("r_"), sql_table(name).alias("g_")
    group = _in_group(table, g, r) if table.hold_pair else g.c.id == r.c.id
    wanted = r.c.id.in_(bindparam("ids", expanding=True))
    parts = [select(r.c.id.label("id"), g.c[table.hold_date].label("d")).join_from(r, g, group).where(wanted)]
    for child, link, col in table.hold_extended_by:
        x = sql_table(child).alias("x_")
        parts.append(select(r.c.id, x.c[col]).join_from(r, g, group).join(x, x.c[link] == g.c.id).where(wanted))
    return union_all(*parts)


def term_dates(uow: UnitOfWork, table: Table, ids: list[int]) -> dict[int, list[date]]:
    """Every date the hold of each row counts from: of its whole group and the children that extend it."""
    out: dict[int, list[date]] = {i: [] for i in ids}
    if not ids:
        return out
    for row in uow.execute(_term_dates_query(table.name), {"ids": ids}):
        out[row.id].append(row.d if isinstance(row.d, date) else date.fromisoformat(str(row.d)[:10]))
    return out


def claim_sql(state: ColumnElement[Any]) -> Condition:
    """``state`` (an invoice state) is a claim: not settled (:func:`rules.is_claim`)."""
    return state.not_in(sorted(rules.SETTLED_STATES))


def claim_exists(client_id: ColumnElement[Any]) -> Condition:
    """The client ``client_id`` has a claim: a row with a claim state linked to it."""
    (t,) = (t for t in MAP if t.claim_state)
    link = t.link
    assert link is not None and t.claim_state is not None
    k = sql_table(t.name).alias("k")
    return exists().where(k.c[link.column] == client_id, claim_sql(k.c[t.claim_state])).correlate_except(k)


@cache
def owner_address(c: FromClause) -> ColumnElement[Any]:
    """The owner's address on a kept record, from the client card ``c`` (the country only when not NL)."""
    country = case((c.c.country != "NL", literal(", ").concat(c.c.country)), else_=literal(""))
    return (c.c.street.concat(", ").concat(c.c.postcode).concat(" ").concat(c.c.city).concat(country))


def _gone(name: str, sliced: bool = False, keep_card: Optional[int] = None) -> Select[Any]:
    """The staged ids of ``name`` (``sliced``: only ``:lo <= id < :hi``; ``keep_card``: of the client cards so kept)."""
    g = _GONE[name]
    conditions = [g.c.keep_card == keep_card] if keep_card is not None else []
    # correlate(None): a staged table is never the statement's own row, even in a DELETE from it
    return select(g.c.id).where(*conditions, *(_sliced(g.c.id) if sliced else ())).correlate(None)


def _reached(table: Table) -> Condition:
    """The rows of ``table`` that belong to a client or pet that goes."""
    t = sql_table(table.name)
    ways = [t.c[link.column].in_(_gone(link.parent)) for link in table.links if link.owns]
    return ways[0] if len(ways) == 1 else or_(*ways)


def _owner_id(table: Table) -> ColumnElement[Any]:
    """The owner's client id of a row, through whichever owning link is set."""
    t = sql_table(table.name)
    ways: list[ColumnElement[Any]] = []
    for link in table.links:
        if not link.owns:
            continue
        if link.parent == "client":
            ways.append(t.c[link.column])
        else:
            up = entry(link.parent).link
            assert up is not None
            o = sql_table(link.parent).alias("o")
            ways.append(select(o.c[up.column]).where(o.c[link.key] == t.c[link.column]).correlate(t)
                        .scalar_subquery())
    return ways[0] if len(ways) == 1 else func.coalesce(*ways)


@dataclass(frozen=True)
class Step:
    """One statement of a deletion: progress text, table counted (None: a detach), the statement.

    ``batched``: the table (a staged ``gone_NAME``, or the updated table itself) whose
    ids the statement takes in slices (``:lo <= id < :hi``, see :data:`BATCH_IDS`), else
    None (one statement).
    """

    description: str
    table: Optional[str]
    statement: Executable
    batched: Optional[FromClause] = None

    @property
    def sql(self) -> str:
        """The statement as text (generic SQL, parameters as ``:name``): to read, log and compare."""
        return str(self.statement)


#: Ids a slice of a batched step covers. A delete from a table that other rows refer to
#: (an invoice, a pet, a client), or an update of many rows, keeps a statement journal of
#: every page it changes, in memory (``temp_store = MEMORY``): in slices, memory stays that of one slice however large
#: the practice (issue 15: the purge of a 200,000-client practice peaked at 361 MB in one statement, 196 MB in
#: slices of 20,000 ids and 179 MB in slices of 10,000, for 10 % more time).
BATCH_IDS = 10000

# -- the statements, built once per process -------------------------------------
# The statements do not depend on the date: the cut-offs are parameters bound when they run
# (:attr:`Deletion.bind`), so each is built once and SQLAlchemy compiles it once (an erasure
# runs them for one client at a time).

#: The cut-off of each hold, as a date parameter given when the statement runs.
_CUT: dict[Hold, BindParameter[Any]] = {hold: bindparam(name, type_=Date) for hold, name in _PARAM.items()}


def _act(mode: Mode, table: Table) -> Act:
    return table.erase if mode == "erase" else table.purge


def _swept(table: Table, cut: dict[Hold, BindParameter[Any]]) -> Condition:
    """Restricted rows kept detached by an earlier erase or purge whose hold has ended."""
    t, link = sql_table(table.name), table.link
    assert link is not None and table.hold is not None
    return and_(t.c.restricted == true(), t.c[link.column].is_(None), not_(held_sql(table, t, cut[table.hold])))


def _part(table: Table, part: Part, cut: dict[Hold, BindParameter[Any]]) -> Condition:
    """See :meth:`Deletion.clause`."""
    t = sql_table(table.name)
    if part == "reached":
        return _reached(table)
    if part == "gone":
        return t.c.id.in_(_gone(table.name))
    if part == "sweep":
        return _swept(table, cut)
    claim = claim_sql(t.c[table.claim_state]) if table.claim_state else None
    if part == "claim":
        return and_(_reached(table), claim) if claim is not None else false()
    detach = [_reached(table), t.c.id.not_in(_gone(table.name))]
    return and_(*detach, not_(claim)) if claim is not None else and_(*detach)


@cache
def _staging(sweep: bool) -> tuple[Executable, ...]:
    """The statements that stage the pets and the rows of the hold tables (after ``gone_client``)."""
    pet = sql_table("pet")
    out: list[Executable] = [insert(_GONE["pet"]).from_select(["id"], select(pet.c.id).where(_reached(entry("pet"))))]
    for table in holders():
        t, gone = sql_table(table.name), _GONE[table.name]
        assert table.hold is not None
        conditions = [_reached(table), not_(held_sql(table, t, _CUT[table.hold]))]
        if table.claim_state:
            conditions.append(not_(claim_sql(t.c[table.claim_state])))
        rows: Any = select(t.c.id).where(*conditions)
        if sweep:
            rows = union(rows, select(t.c.id).where(_swept(table, _CUT)))
        out.append(insert(gone).from_select(["id"], rows))
        if table.hold_pair:
            # A group goes whole or not at all (an invoice and its credit notes).
            r, s, g = t.alias("r_"), gone.alias("s_"), t.alias("g_")
            broken = exists().where(_in_group(table, g, r), g.c.id.not_in(_gone(table.name)))
            out.append(delete(gone).where(gone.c.id.in_(
                select(r.c.id).join_from(r, s, s.c.id == r.c.id).where(broken))))
    return tuple(out)


_DDL: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _ddl(uow: UnitOfWork) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(create, drop) of the staged tables, compiled once per database kind (SQLAlchemy compiles
    DDL anew on every run, and an erasure creates and drops them twice)."""
    dialect = uow.conn.dialect
    if dialect.name not in _DDL:
        _DDL[dialect.name] = (
            tuple(str(CreateTable(t).compile(dialect=dialect)) for t in _GONE.values()),
            tuple(str(DropTable(t, if_exists=True).compile(dialect=dialect)) for t in _GONE.values()))
    return _DDL[dialect.name]


def _delete_where(mode: Mode, table: Table, sliced: bool = False) -> Optional[Condition]:
    """The rows of ``table`` the deletion deletes (None: it deletes none); ``sliced``: of a
    staged table, only the staged ids ``:lo <= id < :hi``."""
    act = _act(mode, table)
    if act is Act.KEEP:
        return None
    t = sql_table(table.name)
    if table.name in _STAGED:
        return t.c.id.in_(_gone(table.name, sliced, 0 if table.name == "client" else None))
    if act is Act.FOLLOW:
        link = table.link
        assert link is not None
        return t.c[link.column].in_(_gone(link.parent))
    return _reached(table)


def _restrict(mode: Mode, table: Table) -> Optional[Step]:
    """The update that keeps rows of ``table`` restricted (a hold, or a card kept for a claim)."""
    act = _act(mode, table)
    t = sql_table(table.name)
    sets: dict[str, Any] = {c: null() for c in table.restrict_clears}
    if act is Act.CLAIM:
        return Step("keeping client cards for claims", None, update(t).where(
            t.c.id.in_(_gone("client", keep_card=1))).values({**sets, "restricted": True}))
    if act is not Act.HOLD:
        return None
    if table.owner_snapshot:
        name_col, address_col = table.owner_snapshot
        c = sql_table("client").alias("c")

        def owner(value: ColumnElement[Any]) -> ColumnElement[Any]:
            return select(value).where(c.c.id == _owner_id(table)).correlate(t).scalar_subquery()

        sets[name_col] = func.coalesce(t.c[name_col], owner(c.c.name))
        sets[address_col] = func.coalesce(t.c[address_col], owner(owner_address(c)))
    # Detached from the person (client and pet), not from other records.
    sets.update({link.column: null() for link in table.links if link.parent in ("client", "pet")})
    assert table.hold is not None
    # In slices of the table's own ids: the statement journal of an update keeps every page it changes.
    return Step(f"keeping {table.label.replace('_', ' ')} under {table.hold.value} hold", None,
                update(t).where(_part(table, "detach", _CUT), *_sliced(t.c.id))
                .values({**sets, "restricted": True}), t)


@cache
def _steps(mode: Mode) -> tuple[Step, ...]:
    """The statements, children before parents (the map backwards)."""
    out: list[Step] = []
    for table in reversed(MAP):
        restrict = _restrict(mode, table)
        if restrict is not None:
            out.append(restrict)
        sliced = table.name in _STAGED  # by the staged ids, in slices
        where = _delete_where(mode, table, sliced)
        if where is None:
            continue
        out.append(Step(f"deleting {table.label.replace('_', ' ')}", table.name,
                        delete(sql_table(table.name)).where(where), _GONE[table.name] if sliced else None))
    return tuple(out)


@cache
def _counts(mode: Mode) -> tuple[tuple[str, Select[Any]], ...]:
    out = []
    for table in MAP:
        where = _delete_where(mode, table)
        if where is not None:
            out.append((table.label, select(func.count()).select_from(sql_table(table.name)).where(where)))
    return tuple(out)


@cache
def erased_client() -> Select[Any]:
    """``id, keep_card`` of the client ``:cid`` an erasure stages: the card is kept (restricted)
    while a claim runs."""
    c = sql_table("client")
    return select(c.c.id, case((claim_exists(c.c.id), 1), else_=0)).where(c.c.id == bindparam("cid"))


@cache
def reached_rows(name: str, ref: str) -> Select[Any]:
    """The rows of hold table ``name`` a staged deletion reaches, by their hold's date: ``id``,
    ``ref`` (column ``ref``), ``claim`` (kept linked for a claim) and ``gone`` (deleted)."""
    table, t = entry(name), sql_table(name)
    assert table.hold_date is not None
    return (select(t.c.id, t.c[ref].label("ref"), _part(table, "claim", _CUT).label("claim"),
                   _part(table, "gone", _CUT).label("gone"))
            .where(_part(table, "reached", _CUT)).order_by(t.c[table.hold_date], t.c.id))


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
        #: the cut-offs as dates, the parameters the statements run with (ISO text in SQLite)
        self.bind: dict[str, date] = {name: date.fromisoformat(value) for name, value in self.params.items()}
        #: the cut-off of each hold, as a parameter with its value (for :meth:`clause`)
        self.cut: dict[Hold, BindParameter[Any]] = {
            hold: bindparam(name, self.bind[name], type_=Date) for hold, name in _PARAM.items()}

    # -- which rows ---------------------------------------------------------

    def clause(self, table: Table, part: Part) -> Condition:
        """A condition on ``table`` (its :func:`sql_table`): the rows of one part of the deletion.

        ``reached``: belonging to a client or pet that goes; ``gone``: deleted;
        ``claim``: reached and kept linked for a claim; ``detach``: reached and
        kept detached by a hold; ``sweep``: restricted rows whose hold ended
        (the cut-off is a parameter with its value: the condition runs as it is).
        """
        return _part(table, part, self.cut)

    # -- staging ------------------------------------------------------------

    def stage(self, clients: Select[Any], params: Optional[dict[str, Any]] = None) -> None:
        """Fill the temp tables; ``clients`` selects ``id, keep_card`` of the clients that go (its
        own values in ``params``)."""
        x = self.uow.execute
        self.drop()
        for create in _ddl(self.uow)[0]:
            x(text(create))
        x(insert(_GONE["client"]).from_select(["id", "keep_card"], clients), {**self.params, **(params or {})})
        for statement in _staging(self.sweep):
            x(statement, self.bind)

    @staticmethod
    def staged(name: str) -> CoreTable:
        """The TEMP table of the staged ids of ``name`` (``gone_NAME``)."""
        return _GONE[name]

    def drop(self) -> None:
        for drop in _ddl(self.uow)[1]:
            self.uow.execute(text(drop))

    def drop_quietly(self) -> None:
        try:
            self.drop()
        except Exception:  # noqa: BLE001 - already failing; the rollback drops them too
            pass

    # -- the statements -----------------------------------------------------

    def steps(self) -> list[Step]:
        """The statements, children before parents (the map backwards)."""
        return list(_steps(self.mode))

    def counts(self) -> dict[str, int]:
        """Rows each table would lose, by map label (before :meth:`run`)."""
        return {label: int(self.uow.execute(count).scalar() or 0) for label, count in _counts(self.mode)}

    def _run_batched(self, step: Step) -> int:
        assert step.batched is not None
        ids = step.batched.c.id
        low, high = self.uow.execute(select(func.min(ids), func.max(ids))).one()
        if low is None:
            return 0
        rowcount = 0
        for lo in range(int(low), int(high) + 1, BATCH_IDS):
            rowcount += max(self.uow.execute(step.statement, {"lo": lo, "hi": lo + BATCH_IDS}).rowcount, 0)
        return rowcount

    def run(self, progress: Optional[Callable[[str], None]] = None) -> dict[str, int]:
        """Run :meth:`steps`; rows deleted per table, in the order deleted."""
        deleted: dict[str, int] = {}
        for step in self.steps():
            if progress is not None:
                progress(step.description)
            if step.batched is None:
                rowcount = self.uow.execute(step.statement).rowcount
            else:
                rowcount = self._run_batched(step)
            if step.table is not None:
                deleted[step.table] = deleted.get(step.table, 0) + max(rowcount, 0)
        return deleted
