"""The retention purge (SPEC §4) and manual legal holds.

:func:`plan` works out what a purge on ``as_of`` would do; :func:`purge` does
it. Both are set-based SQL over the caller's connection: the per-client
decision is computed for every client in a few statements into TEMP tables
(``temp_store = MEMORY``, so no plaintext ever reaches a temp file), and the
deletes are ``DELETE ... WHERE x IN (SELECT id FROM temp.purge_...)``.

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

The caller owns the transaction (``Database.connect()``: ``BEGIN IMMEDIATE``),
so a purge is all or nothing; open the database with
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

from sqlalchemy import text

from . import audit, refs, rules, validation
from .activity import LAST_ACTIVITY_SQL
from .errors import Conflict

if TYPE_CHECKING:
    from .db import UnitOfWork

#: Page cache for the purge (MiB). SQLCipher decrypts and re-encrypts every
#: page it touches; a large cache roughly halves the cost of bulk deletes.
PURGE_CACHE_MIB = 64

#: ``progress(description, steps_done, steps_total)``; called between steps.
Progress = Callable[[str, int, int], None]

#: Invoice states that are settled. Any other state (open, in collection, or
#: an unknown spelling) holds the client: keep rather than purge.
_SETTLED_STATES = ("paid", "credited")

_TEMP_TABLES = ("purge_last", "purge_decision", "purge_client", "purge_pet",
                "purge_invoice", "purge_medicine")


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
        out["duration_seconds"] = round(self.duration_seconds, 3)
        return out


# --------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------


def _drop_temp(conn: Any) -> None:
    for name in _TEMP_TABLES:
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{name}"))


def _drop_temp_quietly(conn: Any) -> None:
    try:
        _drop_temp(conn)
    except Exception:  # noqa: BLE001 - already failing; the rollback drops them too
        pass


def _scalars(conn: Any, sql: str, params: Optional[dict[str, Any]] = None) -> list[Any]:
    return [r[0] for r in conn.execute(text(sql), params or {})]


def _count(conn: Any, sql: str, params: Optional[dict[str, Any]] = None) -> int:
    return int(conn.execute(text(sql), params or {}).scalar() or 0)


def _build(conn: Any, as_of: date, periods: rules.Periods) -> PurgePlan:
    """Fill the temp tables for ``as_of`` and return the plan they describe."""
    inactivity_cut = rules.inactivity_cutoff(as_of, periods)
    fiscal_cut = rules.fiscal_hold_cutoff(as_of, periods)
    medicine_cut = rules.medicine_hold_cutoff(as_of, periods)
    p = {"inactivity_cut": inactivity_cut.isoformat(), "fiscal_cut": fiscal_cut.isoformat(),
         "medicine_cut": medicine_cut.isoformat()}

    _drop_temp(conn)
    conn.execute(text("CREATE TEMP TABLE purge_last (client_id INTEGER PRIMARY KEY, last_activity TEXT)"))
    conn.execute(text("CREATE TEMP TABLE purge_decision (client_id INTEGER PRIMARY KEY, "
                      "number TEXT NOT NULL, action TEXT NOT NULL)"))
    for name in ("purge_client", "purge_pet", "purge_invoice", "purge_medicine"):
        conn.execute(text(f"CREATE TEMP TABLE {name} (id INTEGER PRIMARY KEY)"))

    conn.execute(text(f"INSERT INTO temp.purge_last (client_id, last_activity) {LAST_ACTIVITY_SQL}"))
    # rules.decide, set-based: candidates are restricted cards and cards whose
    # last activity is before the cut-off (no date: never a candidate);
    # legal hold > claim hold > purge.
    settled = ", ".join(f"'{s}'" for s in _SETTLED_STATES)
    conn.execute(text(f"""
        INSERT INTO temp.purge_decision (client_id, number, action)
        SELECT c.id, c.number,
               CASE WHEN c.legal_hold_reason IS NOT NULL THEN 'legal_hold'
                    WHEN EXISTS (SELECT 1 FROM invoice i WHERE i.client_id = c.id
                                 AND i.status NOT IN ({settled})) THEN 'claim_hold'
                    ELSE 'purge' END
        FROM client c LEFT JOIN temp.purge_last la ON la.client_id = c.id
        WHERE c.restricted = 1 OR la.last_activity < :inactivity_cut
    """), p)
    conn.execute(text("INSERT INTO temp.purge_client (id) "
                      "SELECT client_id FROM temp.purge_decision WHERE action = 'purge'"))
    conn.execute(text("INSERT INTO temp.purge_pet (id) "
                      "SELECT id FROM pet WHERE client_id IN (SELECT id FROM temp.purge_client)"))
    # Invoices that go: the purged clients' invoices past the fiscal hold,
    # and restricted detached invoices whose hold has ended.
    conn.execute(text("""
        INSERT INTO temp.purge_invoice (id)
        SELECT id FROM invoice
        WHERE client_id IN (SELECT id FROM temp.purge_client) AND invoice_date < :fiscal_cut
        UNION
        SELECT id FROM invoice
        WHERE restricted = 1 AND client_id IS NULL AND invoice_date < :fiscal_cut
    """), p)
    # Medicine records that go: the purged clients' (or their pets') records
    # past the medicine hold, and restricted detached ones whose hold ended.
    conn.execute(text("""
        INSERT INTO temp.purge_medicine (id)
        SELECT id FROM medicine_record
        WHERE (client_id IN (SELECT id FROM temp.purge_client)
               OR pet_id IN (SELECT id FROM temp.purge_pet))
          AND record_date < :medicine_cut
        UNION
        SELECT id FROM medicine_record
        WHERE restricted = 1 AND client_id IS NULL AND record_date < :medicine_cut
    """), p)

    by_action: dict[str, list[str]] = {"purge": [], "claim_hold": [], "legal_hold": []}
    for action, number in conn.execute(text(
            "SELECT action, number FROM temp.purge_decision ORDER BY number")):
        by_action[action].append(number)
    return PurgePlan(
        as_of=as_of,
        periods=periods,
        inactivity_cutoff=inactivity_cut,
        fiscal_cutoff=fiscal_cut,
        medicine_cutoff=medicine_cut,
        purge_clients=by_action["purge"],
        claim_held=by_action["claim_hold"],
        legal_held=by_action["legal_hold"],
        fiscal_kept=_scalars(conn, "SELECT number FROM invoice WHERE client_id IN "
                             "(SELECT id FROM temp.purge_client) AND invoice_date >= :fiscal_cut "
                             "ORDER BY number", p),
        invoices_deleted=_scalars(conn, "SELECT number FROM invoice WHERE client_id IN "
                                  "(SELECT id FROM temp.purge_client) AND invoice_date < :fiscal_cut "
                                  "ORDER BY number", p),
        expired_invoices=_scalars(conn, "SELECT number FROM invoice WHERE restricted = 1 AND "
                                  "client_id IS NULL AND invoice_date < :fiscal_cut ORDER BY number", p),
        pets=_count(conn, "SELECT count(*) FROM temp.purge_pet"),
        medicine_kept=_count(conn, """
            SELECT count(*) FROM medicine_record
            WHERE (client_id IN (SELECT id FROM temp.purge_client)
                   OR pet_id IN (SELECT id FROM temp.purge_pet))
              AND record_date >= :medicine_cut""", p),
        medicine_deleted=_count(conn, """
            SELECT count(*) FROM medicine_record
            WHERE (client_id IN (SELECT id FROM temp.purge_client)
                   OR pet_id IN (SELECT id FROM temp.purge_pet))
              AND record_date < :medicine_cut""", p),
        expired_medicine=_count(conn, "SELECT count(*) FROM medicine_record WHERE restricted = 1 "
                                "AND client_id IS NULL AND record_date < :medicine_cut", p),
    )


def plan(conn: Any, as_of: date, periods: rules.Periods = rules.DEFAULT_PERIODS) -> PurgePlan:
    """What a purge on ``as_of`` would do; changes nothing in the database."""
    try:
        result = _build(conn, as_of, periods)
    except BaseException:
        _drop_temp_quietly(conn)
        raise
    _drop_temp(conn)
    return result


# --------------------------------------------------------------------------
# Purge
# --------------------------------------------------------------------------

_IN_CLIENTS = "(SELECT id FROM temp.purge_client)"
_IN_PETS = "(SELECT id FROM temp.purge_pet)"
_IN_INVOICES = "(SELECT id FROM temp.purge_invoice)"
_IN_MEDICINE = "(SELECT id FROM temp.purge_medicine)"

# (progress text, table counted, statement). Children before parents, so the
# foreign-key actions find nothing left to cascade.
_STEPS: tuple[tuple[str, Optional[str], str], ...] = (
    ("keeping invoices under fiscal hold", None,
     f"UPDATE invoice SET client_id = NULL, pet_id = NULL, restricted = 1, customer_birth_date = NULL "
     f"WHERE client_id IN {_IN_CLIENTS} AND id NOT IN {_IN_INVOICES}"),
    ("deleting invoice lines", "invoice_line",
     f"DELETE FROM invoice_line WHERE invoice_id IN {_IN_INVOICES}"),
    ("deleting payments", "payment", f"DELETE FROM payment WHERE invoice_id IN {_IN_INVOICES}"),
    ("deleting invoices", "invoice", f"DELETE FROM invoice WHERE id IN {_IN_INVOICES}"),
    ("keeping medicine records under hold", None,
     # The regulation wants the owner's name and address on a kept record.
     f"""UPDATE medicine_record SET
            owner_name = coalesce(owner_name, (SELECT c.name FROM client c WHERE c.id =
                coalesce(medicine_record.client_id,
                         (SELECT p.client_id FROM pet p WHERE p.id = medicine_record.pet_id)))),
            owner_address = coalesce(owner_address, (SELECT c.street || ', ' || c.postcode || ' ' || c.city
                FROM client c WHERE c.id = coalesce(medicine_record.client_id,
                         (SELECT p.client_id FROM pet p WHERE p.id = medicine_record.pet_id)))),
            client_id = NULL, pet_id = NULL, restricted = 1
        WHERE (client_id IN {_IN_CLIENTS} OR pet_id IN {_IN_PETS}) AND id NOT IN {_IN_MEDICINE}"""),
    ("deleting medicine records", "medicine_record",
     f"DELETE FROM medicine_record WHERE id IN {_IN_MEDICINE}"),
    ("deleting weights", "weight", f"DELETE FROM weight WHERE pet_id IN {_IN_PETS}"),
    ("deleting visits", "visit", f"DELETE FROM visit WHERE pet_id IN {_IN_PETS}"),
    ("deleting vaccinations", "vaccination", f"DELETE FROM vaccination WHERE pet_id IN {_IN_PETS}"),
    ("deleting disclosures", "disclosure", f"DELETE FROM disclosure WHERE client_id IN {_IN_CLIENTS}"),
    ("deleting consents", "consent", f"DELETE FROM consent WHERE client_id IN {_IN_CLIENTS}"),
    ("deleting patient cards", "pet", f"DELETE FROM pet WHERE id IN {_IN_PETS}"),
    ("deleting client cards", "client", f"DELETE FROM client WHERE id IN {_IN_CLIENTS}"),
)


def _audit_details(plan_: PurgePlan) -> dict[str, Any]:
    details: dict[str, Any] = {"as_of": plan_.as_of.isoformat()}
    details.update(plan_.counts())
    details["held_for_claims_clients"] = list(plan_.claim_held)
    details["held_by_legal_hold_clients"] = list(plan_.legal_held)
    return details


def purge(
    conn: Any,
    as_of: date,
    periods: rules.Periods = rules.DEFAULT_PERIODS,
    dry_run: bool = False,
    progress: Optional[Progress] = None,
) -> PurgeResult:
    """Purge (or with ``dry_run`` only plan) in one transaction, and commit it.

    Writes the audit entry (``purge`` / ``purge.dry_run``) in the same
    transaction: all or nothing. Running it twice purges nothing the
    second time.
    """
    started = time.monotonic()
    total = 2 + (0 if dry_run else len(_STEPS))
    done = 0

    def step(description: str) -> None:
        if progress is not None:
            progress(description, done, total)

    step("finding inactive clients")
    try:
        plan_ = _build(conn, as_of, periods)
        done += 1
        deleted: dict[str, int] = {}
        if not dry_run:
            for description, table, sql in _STEPS:
                step(description)
                rowcount = conn.execute(text(sql)).rowcount
                if table is not None:
                    deleted[table] = deleted.get(table, 0) + max(rowcount, 0)
                done += 1
        step("writing the audit entry")
        audit.record(conn, "purge.dry_run" if dry_run else "purge", "client",
                     plan_.purge_clients, _audit_details(plan_))
        done += 1
        step("done")
    except BaseException:
        _drop_temp_quietly(conn)  # the caller rolls back; keep its error, not ours
        raise
    _drop_temp(conn)
    conn.commit()
    return PurgeResult(plan=plan_, dry_run=dry_run, duration_seconds=time.monotonic() - started,
                       deleted=deleted)


def vacuum(database: Any) -> None:
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


def last_purge(conn: Any) -> Optional[dict[str, Any]]:
    """The newest ``purge`` or ``purge.dry_run`` audit entry, decoded."""
    found = audit.entries(conn, action="purge", limit=1)
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


def set_legal_hold(conn: Any, ref: str, reason: str) -> tuple[str, bool]:
    """Put a manual legal hold on a client; returns (number, replaced an earlier hold).

    The reason is stored on the card only, never in the audit log. Placing a
    hold is not activity of the client (its ``updated_at`` stays), so lifting
    it later does not add years to the client's retention.
    """
    reason = validation.text(reason, field="--reason", max_len=500)
    cid, number, current = _find_client(conn, ref)
    conn.execute(text("UPDATE client SET legal_hold_reason = :r WHERE id = :id"), {"r": reason, "id": cid})
    audit.record(conn, "client.hold", "client", [number], {"replaced": current is not None})
    conn.commit()
    return number, current is not None


def clear_legal_hold(conn: Any, ref: str) -> str:
    """Lift a client's manual legal hold; returns the client number."""
    cid, number, current = _find_client(conn, ref)
    if current is None:
        raise Conflict(f"client {number} has no legal hold")
    conn.execute(text("UPDATE client SET legal_hold_reason = NULL WHERE id = :id"), {"id": cid})
    audit.record(conn, "client.unhold", "client", [number], {})
    conn.commit()
    return number
