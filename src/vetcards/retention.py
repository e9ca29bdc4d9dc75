"""The retention purge (SPEC §4) and manual legal holds.

:func:`plan` works out what a purge on ``as_of`` would do; :func:`purge` does
it. Both are set-based SQL in the caller's unit of work: the per-client
decision is computed for every client in a few statements into TEMP tables
(``temp_store = MEMORY``, so no plaintext ever reaches a temp file), and the
deletion is :mod:`vetcards.deletion`'s, the same engine (and the same data
map, :mod:`vetcards.datamap`) as an erasure's.

The boundary arithmetic lives in :mod:`vetcards.rules` only: the inactivity,
fiscal and medicine cut-off dates are computed there in Python and passed to
the SQL as parameters, and the SQL merely compares dates with them. A test
checks that the plan equals :func:`rules.decide` / :func:`rules.under_fiscal_hold`
applied row by row on a randomised database.

What a purge does (SPEC §4):

* every client that :func:`rules.decide` says to purge (inactive for more than
  the inactivity period, or a restricted card left by an erasure, and neither a
  manual legal hold nor an open / in-collection invoice) goes, with pets,
  weights, visits, vaccinations, medicine records, consents and disclosures;
* each of its invoices still under the fiscal hold is kept *detached*
  (``client_id`` and ``pet_id`` NULL, ``restricted = 1``, the birth date
  cleared) with its name/address snapshot, lines, amounts and payments; the
  others go with their lines and payments;
* a medicine record of a purged client still under its own hold (possible only
  for a restricted card, or with an inactivity period shorter than the medicine
  period) is kept detached and restricted with the owner snapshot the
  regulation requires; the others go;
* restricted detached invoices and medicine records whose hold has ended go;
* ``subject_request``, ``erasure`` and the audit log keep their numbers.

The caller gives a writing unit of work (``BEGIN IMMEDIATE``); the purge
commits it, so a purge is all or nothing; open the database with
``cache_mib=PURGE_CACHE_MIB`` for bulk deletes. The audit entry (``purge`` or
``purge.dry_run``) holds counts and client numbers, never names.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import Column, Integer, Text, bindparam, case, func, insert, literal, or_, select, true, update
from sqlalchemy.schema import CreateTable, DropTable

from . import audit, datamap, refs, rules, validation
from .activity import last_activity_select
from .deletion import Deletion, Part, claim_exists, sql_table, temp_table
from .errors import Conflict

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    from .db import Database, UnitOfWork

#: Page cache for the purge (MiB). SQLCipher decrypts and re-encrypts every
#: page it touches; a large cache roughly halves the cost of bulk deletes.
PURGE_CACHE_MIB = 64

#: ``progress(description, steps_done, steps_total)``; called between steps.
Progress = Callable[[str, int, int], None]

#: The purge's own temp tables (the decision); the deletion engine has its own.
_LAST = temp_table("purge_last", Column("client_id", Integer, primary_key=True, autoincrement=False),
                   Column("last_activity", Text))
_DECISION = temp_table("purge_decision", Column("client_id", Integer, primary_key=True, autoincrement=False),
                       Column("number", Text, nullable=False), Column("action", Text, nullable=False))
_TEMP_TABLES = (_LAST, _DECISION)


@dataclass(frozen=True)
class PurgePlan:
    """What a purge on ``as_of`` does. Numbers only, never names."""

    as_of: date
    periods: rules.Periods
    inactivity_cutoff: date
    fiscal_cutoff: date
    medicine_cutoff: date
    purge_clients: list[str] = field(default_factory=list)
    claim_held: list[str] = field(default_factory=list)
    legal_held: list[str] = field(default_factory=list)
    #: invoices of purged clients kept detached under the fiscal hold
    fiscal_kept: list[str] = field(default_factory=list)
    #: invoices of purged clients whose fiscal hold has ended
    invoices_deleted: list[str] = field(default_factory=list)
    #: restricted detached invoices whose fiscal hold has ended
    expired_invoices: list[str] = field(default_factory=list)
    pets: int = 0
    medicine_kept: int = 0
    medicine_deleted: int = 0
    expired_medicine: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "purged_clients": len(self.purge_clients),
            "held_for_claims": len(self.claim_held),
            "held_by_legal_hold": len(self.legal_held),
            "kept_for_fiscal_hold": len(self.fiscal_kept),
            "deleted_invoices": len(self.invoices_deleted),
            "deleted_expired_invoices": len(self.expired_invoices),
            "purged_pets": self.pets,
            "kept_medicine_records": self.medicine_kept,
            "deleted_medicine_records": self.medicine_deleted,
            "deleted_expired_medicine_records": self.expired_medicine,
        }


@dataclass(frozen=True)
class PurgeResult:
    plan: PurgePlan
    dry_run: bool
    duration_seconds: float
    #: rows deleted per table (empty for a dry run)
    deleted: dict[str, int] = field(default_factory=dict)
    #: False: another connection's open read kept purged pages in the WAL
    wal_checkpointed: bool = True

    def summary(self) -> dict[str, Any]:
        """The ``purge --json`` object (SPEC §8), numbers and counts only."""
        out: dict[str, Any] = {"as_of": self.plan.as_of.isoformat(), "dry_run": self.dry_run}
        out.update(self.plan.counts())
        out["held_for_claims_clients"] = list(self.plan.claim_held)
        out["held_by_legal_hold_clients"] = list(self.plan.legal_held)
        if self.dry_run:
            out["clients"] = list(self.plan.purge_clients)
        else:
            out["deleted_rows"] = dict(self.deleted)
            out["wal_checkpointed"] = self.wal_checkpointed
        out["duration_seconds"] = round(self.duration_seconds, 3)
        return out


# --------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------


def _drop_temp(uow: UnitOfWork) -> None:
    for temp in _TEMP_TABLES:
        uow.execute(DropTable(temp, if_exists=True))


def _scalars(uow: UnitOfWork, query: Select[Any]) -> list[Any]:
    return [r[0] for r in uow.execute(query)]


def _count(uow: UnitOfWork, source: Any, *where: Any) -> int:
    return int(uow.execute(select(func.count()).select_from(source).where(*where)).scalar() or 0)


#: Clients a slice of the last-activity query covers: the query's sorts (one
#: GROUP BY a source) grow with the clients in a slice, not with the practice.
LAST_ACTIVITY_SLICE = 20000


def _fill_last_activity(uow: UnitOfWork) -> None:
    """``purge_last``: every client's last activity, in slices of client ids."""
    top = uow.execute(select(func.max(sql_table("client").c.id))).scalar() or 0
    fill = insert(_LAST).from_select(["client_id", "last_activity"], last_activity_select(ranged=True))
    for lo in range(1, top + 1, LAST_ACTIVITY_SLICE):
        uow.execute(fill, {"lo": lo, "hi": lo + LAST_ACTIVITY_SLICE})


def _build(uow: UnitOfWork, as_of: date, periods: rules.Periods) -> tuple[PurgePlan, Deletion]:
    """Decide per client, stage the deletion for ``as_of`` and return the plan it describes."""
    inactivity_cut = rules.inactivity_cutoff(as_of, periods)
    deletion = Deletion(uow, "purge", as_of, periods, sweep=True)

    _drop_temp(uow)
    for temp in _TEMP_TABLES:
        uow.execute(CreateTable(temp))
    _fill_last_activity(uow)
    # rules.decide, set-based: candidates are restricted cards and cards whose
    # last activity is before the cut-off (no date: never a candidate);
    # legal hold > claim hold > purge.
    c, la = sql_table("client").alias("c"), _LAST.alias("la")
    action = case((c.c.legal_hold_reason.isnot(None), literal("legal_hold")),
                  (claim_exists(c.c.id), literal("claim_hold")), else_=literal("purge"))
    candidates = (select(c.c.id, c.c.number, action).select_from(c.outerjoin(la, la.c.client_id == c.c.id))
                  .where(or_(c.c.restricted == true(),
                             la.c.last_activity < bindparam("inactivity_cut", inactivity_cut.isoformat()))))
    uow.execute(insert(_DECISION).from_select(["client_id", "number", "action"], candidates))
    d = _DECISION.c
    deletion.stage(select(d.client_id, literal(0)).where(d.action == "purge"))

    by_action: dict[str, list[str]] = {"purge": [], "claim_hold": [], "legal_hold": []}
    for row in uow.execute(select(d.action, d.number).order_by(d.number)):
        by_action[row.action].append(row.number)
    invoice, medicine = datamap.entry("invoice"), datamap.entry("medicine_record")
    inv, med = sql_table("invoice"), sql_table("medicine_record")

    def numbers(*parts: Part) -> list[str]:
        where = [deletion.clause(invoice, part) for part in parts]
        return _scalars(uow, select(inv.c.number).where(*where).order_by(inv.c.number))

    def medicines(*parts: Part) -> int:
        return _count(uow, med, *(deletion.clause(medicine, part) for part in parts))

    plan_ = PurgePlan(
        as_of=as_of,
        periods=periods,
        inactivity_cutoff=inactivity_cut,
        fiscal_cutoff=rules.fiscal_hold_cutoff(as_of, periods),
        medicine_cutoff=rules.medicine_hold_cutoff(as_of, periods),
        purge_clients=by_action["purge"],
        claim_held=by_action["claim_hold"],
        legal_held=by_action["legal_hold"],
        fiscal_kept=numbers("detach"),
        invoices_deleted=numbers("reached", "gone"),
        expired_invoices=numbers("sweep"),
        pets=_count(uow, deletion.staged("pet")),
        medicine_kept=medicines("detach"),
        medicine_deleted=medicines("reached", "gone"),
        expired_medicine=medicines("sweep"),
    )
    return plan_, deletion


def _cleanup(uow: UnitOfWork, deletion: Optional[Deletion], quietly: bool) -> None:
    if quietly:
        try:
            _drop_temp(uow)
        except Exception:  # noqa: BLE001 - already failing; the rollback drops them too
            pass
        if deletion is not None:
            deletion.drop_quietly()
    else:
        _drop_temp(uow)
        if deletion is not None:
            deletion.drop()


def plan(uow: UnitOfWork, as_of: date, periods: rules.Periods = rules.DEFAULT_PERIODS) -> PurgePlan:
    """What a purge on ``as_of`` would do; changes nothing in the database."""
    try:
        result, deletion = _build(uow, as_of, periods)
    except BaseException:
        _cleanup(uow, Deletion(uow, "purge", as_of, periods), quietly=True)
        raise
    _cleanup(uow, deletion, quietly=False)
    return result


# --------------------------------------------------------------------------
# Purge
# --------------------------------------------------------------------------


def _audit_details(plan_: PurgePlan) -> dict[str, Any]:
    details: dict[str, Any] = {"as_of": plan_.as_of.isoformat()}
    details.update(plan_.counts())
    details["held_for_claims_clients"] = list(plan_.claim_held)
    details["held_by_legal_hold_clients"] = list(plan_.legal_held)
    return details


def purge(
    uow: UnitOfWork,
    as_of: date,
    periods: rules.Periods = rules.DEFAULT_PERIODS,
    dry_run: bool = False,
    progress: Optional[Progress] = None,
) -> PurgeResult:
    """Purge (or with ``dry_run`` only plan) in one transaction, and commit it.

    Writes the audit entry (``purge`` / ``purge.dry_run``) in the same
    transaction: all or nothing. Running it twice purges nothing the
    second time. The deletes are those of :mod:`vetcards.deletion`, the
    same as an erasure's.
    """
    started = time.monotonic()
    deletion = Deletion(uow, "purge", as_of, periods, sweep=True)
    total = 2 + (0 if dry_run else len(deletion.steps()))
    done = 0

    def step(description: str) -> None:
        nonlocal done
        if progress is not None:
            progress(description, done, total)

    step("finding inactive clients")
    try:
        plan_, deletion = _build(uow, as_of, periods)
        done += 1
        deleted: dict[str, int] = {}
        if not dry_run:
            def each(description: str) -> None:
                nonlocal done
                if progress is not None:
                    progress(description, done, total)
                done += 1

            deleted = deletion.run(each)
        step("writing the audit entry")
        audit.record(uow, "purge.dry_run" if dry_run else "purge", "client",
                     plan_.purge_clients, _audit_details(plan_))
        done += 1
        step("done")
    except BaseException:
        _cleanup(uow, deletion, quietly=True)  # the caller rolls back; keep its error, not ours
        raise
    _cleanup(uow, deletion, quietly=False)
    uow.commit()
    checkpointed = True
    if not dry_run:
        from .backup import checkpoint_wal

        checkpointed = checkpoint_wal(uow)  # the purged rows must not linger in the WAL
    return PurgeResult(plan=plan_, dry_run=dry_run, duration_seconds=time.monotonic() - started,
                       deleted=deleted, wal_checkpointed=checkpointed)


def vacuum(database: Database) -> None:
    """``VACUUM`` the file (outside any transaction) and truncate the WAL.

    Run after a committed purge: the file shrinks to the pages in use. With
    ``temp_store = MEMORY`` the copy VACUUM makes stays in memory.
    """
    raw = database.engine.raw_connection()
    try:
        cur = raw.cursor()
        try:
            cur.execute("VACUUM")
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            cur.close()
    finally:
        raw.close()


def last_purge(uow: UnitOfWork) -> Optional[dict[str, Any]]:
    """The newest ``purge`` or ``purge.dry_run`` audit entry, decoded."""
    found = audit.entries(uow, action="purge", limit=1)
    if not found:
        return None
    entry = found[-1]
    details = json.loads(entry["details"] or "{}")
    return {"id": entry["id"], "ts": entry["ts"], "actor": entry["actor"],
            "action": entry["action"], "dry_run": entry["action"] == "purge.dry_run",
            "clients": json.loads(entry["entity_ids"] or "[]"), **details}


# --------------------------------------------------------------------------
# Manual legal hold (SPEC §4: stops purge and erase)
# --------------------------------------------------------------------------


def _find_client(uow: UnitOfWork, ref: str) -> tuple[int, str, Optional[str]]:
    """A client by number or id, restricted cards included (a hold may matter most there)."""
    row = refs.find(uow, "client", ref, ("legal_hold_reason",), include_restricted=True)
    return row["id"], row["number"], row["legal_hold_reason"]


def _set_hold(uow: UnitOfWork, client_id: int, reason: Optional[str]) -> None:
    client = sql_table("client")
    uow.execute(update(client).where(client.c.id == client_id).values(legal_hold_reason=reason))


def set_legal_hold(uow: UnitOfWork, ref: str, reason: str) -> tuple[str, bool]:
    """Put a manual legal hold on a client; returns (number, replaced an earlier hold).

    The reason is stored on the card only, never in the audit log. Placing a
    hold is not activity of the client (its ``updated_at`` stays), so lifting
    it later does not add years to the client's retention.
    """
    reason_text = validation.text(reason, field="--reason", max_len=500)
    cid, number, current = _find_client(uow, ref)
    _set_hold(uow, cid, reason_text)
    audit.record(uow, "client.hold", "client", [number], {"replaced": current is not None})
    uow.commit()
    return number, current is not None


def clear_legal_hold(uow: UnitOfWork, ref: str) -> str:
    """Lift a client's manual legal hold; returns the client number."""
    cid, number, current = _find_client(uow, ref)
    if current is None:
        raise Conflict(f"client {number} has no legal hold")
    _set_hold(uow, cid, None)
    audit.record(uow, "client.unhold", "client", [number], {})
    uow.commit()
    return number
