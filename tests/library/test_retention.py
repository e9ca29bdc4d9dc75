"""The retention purge, service ring: vetcards.retention on a real encrypted file.

Rows are inserted with SQLAlchemy Core into the real schema with chosen dates
(the invoicing use cases are not needed: invoices, payments and records are
plain rows here). Expectations come from the SPEC; a randomised test checks
that the set-based plan equals the pure rules applied row by row.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Optional

import pytest
from sqlalchemy import insert, text

from vetcards import models, retention, rules
from vetcards.db import open_database
from vetcards.errors import Conflict, DatabaseError, InvalidInput, NotFound
from vetcards.keys import read_key_file

D = date.fromisoformat
P = rules.Periods()
T = models.SQLModel.metadata.tables


def at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 12, 0, tzinfo=UTC)


class Seed:
    """Insert rows with chosen dates through Core (the real schema, real types)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._client = 0
        self._pet = 0
        self._seq: dict[int, int] = {}
        self.recipient_id = self.conn.execute(
            insert(T["recipient"]).values(name="Lab Noord", kind="lab", categories="NAW")
        ).inserted_primary_key[0]

    def client(self, created: date, *, updated: Optional[date] = None, name: Optional[str] = None,
               legal_hold: Optional[str] = None, restricted: bool = False) -> int:
        self._client += 1
        return self.conn.execute(insert(T["client"]).values(
            number=f"K{self._client:06d}", name=name or f"Klant Nummer {self._client}",
            street="Dorpsstraat 1", postcode="1234 AB", city="Utrecht",
            created_at=at(created), updated_at=at(updated or created),
            legal_hold_reason=legal_hold, restricted=restricted,
        )).inserted_primary_key[0]

    def number(self, cid: int) -> str:
        return self.conn.execute(text("SELECT number FROM client WHERE id = :i"), {"i": cid}).scalar()

    def pet(self, client_id: int, created: date, *, updated: Optional[date] = None,
            deceased: Optional[date] = None) -> int:
        self._pet += 1
        return self.conn.execute(insert(T["pet"]).values(
            number=f"P{self._pet:06d}", client_id=client_id, name="Bello", species="dog",
            created_at=at(created), updated_at=at(updated or created), deceased_on=deceased,
        )).inserted_primary_key[0]

    def visit(self, pet_id: int, d: date) -> None:
        self.conn.execute(insert(T["visit"]).values(pet_id=pet_id, visit_date=d, reason="check-up"))

    def weight(self, pet_id: int, d: date) -> None:
        self.conn.execute(insert(T["weight"]).values(pet_id=pet_id, measured_on=d, grams=4000))

    def vaccination(self, pet_id: int, d: date) -> None:
        self.conn.execute(insert(T["vaccination"]).values(pet_id=pet_id, given_on=d, vaccine="rabies",
                                                          next_due=d + timedelta(days=365)))

    def medicine(self, client_id: Optional[int], pet_id: Optional[int], d: date, *,
                 restricted: bool = False, owner: Optional[str] = None) -> int:
        return self.conn.execute(insert(T["medicine_record"]).values(
            client_id=client_id, pet_id=pet_id, record_date=d, product="Metacam", quantity="10 ml",
            restricted=restricted, owner_name=owner, owner_address="Dorpsstraat 1" if owner else None,
        )).inserted_primary_key[0]

    def consent(self, client_id: int, d: date) -> None:
        self.conn.execute(insert(T["consent"]).values(client_id=client_id, purpose="care", given_on=d,
                                                      statement_version="1", method="in-person"))

    def disclosure(self, client_id: int, d: date, *, at_request: bool) -> None:
        self.conn.execute(insert(T["disclosure"]).values(
            client_id=client_id, recipient_id=self.recipient_id, disclosed_on=d, categories="NAW",
            basis="consent", at_client_request=at_request))

    def invoice(self, client_id: Optional[int], d: date, *, status: str = "paid",
                pet_id: Optional[int] = None, restricted: bool = False,
                paid_on: Optional[date] = None, credits: Optional[str] = None) -> str:
        """An invoice (or, with ``credits``, a credit note correcting that invoice number)."""
        seq = self._seq[d.year] = self._seq.get(d.year, 0) + 1
        number = f"{d.year}-{seq:05d}"
        credited = None if credits is None else self.conn.execute(
            text("SELECT id FROM invoice WHERE number = :n"), {"n": credits}).scalar_one()
        iid = self.conn.execute(insert(T["invoice"]).values(
            number=number, year=d.year, seq=seq, client_id=client_id, pet_id=pet_id, invoice_date=d,
            kind="invoice" if credits is None else "credit_note", credits_invoice_id=credited,
            payment_method="account", status=status, customer_name="Klant Snapshot",
            customer_street="Dorpsstraat 1", customer_postcode="1234 AB", customer_city="Utrecht",
            customer_birth_date=D("1970-01-01"), net_cents=1000, vat_cents=210, gross_cents=1210,
            restricted=restricted,
        )).inserted_primary_key[0]
        self.conn.execute(insert(T["invoice_line"]).values(
            invoice_id=iid, position=1, description="consult", quantity="1", unit_price_cents=1000,
            vat_rate=21, net_cents=1000))
        if paid_on is not None:
            self.conn.execute(insert(T["payment"]).values(invoice_id=iid, paid_on=paid_on,
                                                          amount_cents=1210, method="pin"))
        return number

    def subject_request(self, number: str, d: date) -> None:
        self.conn.execute(insert(T["subject_request"]).values(client_number=number, type="access",
                                                              received_on=d, due_on=d))


@pytest.fixture
def db(vet):
    database = open_database(vet.db, read_key_file(vet.key_file), write=True,
                             cache_mib=retention.PURGE_CACHE_MIB)
    yield database
    database.close()


def seeded(db, build: Callable[[Seed], Any]) -> Any:
    with db.unit() as conn:
        result = build(Seed(conn))
        conn.commit()
        return result


def run_purge(db, as_of: date, periods: rules.Periods = P, dry_run: bool = False) -> retention.PurgeResult:
    with db.unit() as conn:
        conn.info["actor"] = "cron"
        return retention.purge(conn, as_of, periods, dry_run=dry_run)


def client_numbers(db) -> set[str]:
    with db.unit() as conn:
        return {r[0] for r in conn.execute(text("SELECT number FROM client"))}


def table_counts(db) -> dict[str, int]:
    with db.unit() as conn:
        names = [r[0] for r in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT IN ('alembic_version', 'audit_log')"))]
        return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names}


# --------------------------------------------------------------------------
# The table of dated cases
# --------------------------------------------------------------------------


def _plain(created: str) -> Callable[[Seed], int]:
    def build(s: Seed) -> int:
        cid = s.client(D(created))
        s.consent(cid, D(created))
        return cid
    return build


def _leap_day(s: Seed) -> int:
    cid = s.client(D("2010-05-01"))
    pid = s.pet(cid, D("2010-05-01"))
    s.visit(pid, D("2016-02-29"))
    return cid


def _visit_only(s: Seed) -> int:
    # Card and pet from 2015; only a visit of the pet in 2020 keeps it active.
    cid = s.client(D("2015-03-02"))
    pid = s.pet(cid, D("2015-03-02"))
    s.visit(pid, D("2020-01-10"))
    return cid


def _invoice_on(d: str, status: str = "paid") -> Callable[[Seed], int]:
    def build(s: Seed) -> int:
        cid = s.client(D("2012-01-01"))
        pid = s.pet(cid, D("2012-01-01"))
        s.invoice(cid, D(d), status=status, pet_id=pid)
        return cid
    return build


def _legal_hold(s: Seed) -> int:
    return s.client(D("2012-01-01"), legal_hold="rechtszaak 2026/17")


def _deceased(died: str) -> Callable[[Seed], int]:
    def build(s: Seed) -> int:
        # Marking a pet deceased edits the patient card (pet.updated_at).
        cid = s.client(D("2012-01-01"))
        s.pet(cid, D("2012-01-01"), updated=D(died), deceased=D(died))
        return cid
    return build


def _disclosure(at_request: bool) -> Callable[[Seed], int]:
    def build(s: Seed) -> int:
        cid = s.client(D("2012-01-01"))
        s.disclosure(cid, D("2020-01-01"), at_request=at_request)
        return cid
    return build


def _payment_late(s: Seed) -> int:
    cid = s.client(D("2012-01-01"))
    s.invoice(cid, D("2018-01-01"), paid_on=D("2020-01-01"))
    return cid


def _restricted_settled(s: Seed) -> int:
    # Left by an erasure for a claim, the claim since paid: goes at once,
    # although the payment is recent activity.
    cid = s.client(D("2024-01-01"), restricted=True)
    s.invoice(cid, D("2025-01-01"), status="paid", paid_on=D("2026-03-01"))
    return cid


def _restricted_claim(s: Seed) -> int:
    cid = s.client(D("2024-01-01"), restricted=True)
    s.invoice(cid, D("2025-01-01"), status="in_collection")
    return cid


AS_OF = D("2026-06-15")  # cut-off 2019-06-15

# (builder, as_of, expected action, invoices kept for the fiscal hold)
CASES = [
    pytest.param(_plain("2019-06-15"), AS_OF, "keep", 0, id="exactly-7-years-kept"),
    pytest.param(_plain("2019-06-14"), AS_OF, "purge", 0, id="7-years-and-1-day-purged"),
    pytest.param(_leap_day, D("2023-02-28"), "keep", 0, id="leap-day-29-feb-on-clamped-anniversary-kept"),
    pytest.param(_leap_day, D("2023-03-01"), "purge", 0, id="leap-day-29-feb-day-after-purged"),
    pytest.param(_visit_only, AS_OF, "keep", 0, id="activity-only-through-pet-visit-kept"),
    pytest.param(_visit_only, D("2027-01-11"), "purge", 0, id="pet-visit-7-years-and-1-day-purged"),
    # Both purged on 2026-06-15; the fiscal hold of an invoice of 31 Dec 2018
    # ended on 31 Dec 2025, that of 1 Jan 2019 runs until 31 Dec 2026.
    pytest.param(_invoice_on("2018-12-31"), AS_OF, "purge", 0, id="invoice-31-dec-deleted"),
    pytest.param(_invoice_on("2019-01-01"), AS_OF, "purge", 1, id="invoice-1-jan-kept-fiscal"),
    pytest.param(_invoice_on("2018-05-01", "open"), AS_OF, "claim_hold", 0, id="unpaid-invoice-claim-hold"),
    pytest.param(_invoice_on("2018-05-01", "in_collection"), AS_OF, "claim_hold", 0, id="in-collection-hold"),
    pytest.param(_invoice_on("2018-05-01", "credited"), AS_OF, "purge", 0, id="credited-purged"),
    pytest.param(_legal_hold, AS_OF, "legal_hold", 0, id="manual-legal-hold"),
    pytest.param(_deceased("2019-06-14"), AS_OF, "purge", 0, id="deceased-pet-purged"),
    pytest.param(_deceased("2020-02-01"), AS_OF, "keep", 0, id="pet-died-recently-kept"),
    pytest.param(_disclosure(True), AS_OF, "keep", 0, id="disclosure-at-request-is-activity"),
    pytest.param(_disclosure(False), AS_OF, "purge", 0, id="disclosure-not-at-request-is-not"),
    pytest.param(_payment_late, AS_OF, "keep", 0, id="payment-is-activity"),
    pytest.param(_restricted_settled, AS_OF, "purge", 1, id="restricted-claim-settled-purged"),
    pytest.param(_restricted_claim, AS_OF, "claim_hold", 0, id="restricted-claim-still-held"),
]


@pytest.mark.parametrize(("build", "as_of", "action", "fiscal_kept"), CASES)
def test_dated_cases(db, build, as_of, action, fiscal_kept):
    cid = seeded(db, build)
    with db.unit() as conn:
        number = conn.execute(text("SELECT number FROM client WHERE id = :i"), {"i": cid}).scalar()
        the_plan = retention.plan(conn, as_of, P)
    expected = {"purge": the_plan.purge_clients, "claim_hold": the_plan.claim_held,
                "legal_hold": the_plan.legal_held}
    for name, numbers in expected.items():
        assert (number in numbers) is (name == action), name
    assert len(the_plan.fiscal_kept) == fiscal_kept

    result = run_purge(db, as_of)
    assert result.plan == the_plan
    assert (number in client_numbers(db)) is (action != "purge")
    counts = table_counts(db)
    if action == "purge":
        for table in ("pet", "weight", "visit", "vaccination", "consent", "disclosure", "medicine_record"):
            assert counts[table] == 0, table
        assert counts["invoice"] == fiscal_kept
        assert counts["invoice_line"] == fiscal_kept
    # Idempotent: the second run purges nothing.
    again = run_purge(db, as_of)
    assert again.plan.purge_clients == []
    assert table_counts(db) == counts


# --------------------------------------------------------------------------
# What goes, what stays
# --------------------------------------------------------------------------


def test_purge_removes_everything_of_the_client_and_keeps_fiscal_invoices_detached(db):
    def build(s: Seed) -> dict[str, Any]:
        old = s.client(D("2012-01-01"), name="Gerrit Oud")
        pid = s.pet(old, D("2012-01-01"))
        s.visit(pid, D("2018-02-01"))
        s.weight(pid, D("2018-02-01"))
        s.vaccination(pid, D("2018-02-01"))
        s.medicine(old, pid, D("2018-02-01"))
        s.consent(old, D("2012-01-01"))
        s.disclosure(old, D("2018-02-01"), at_request=False)
        kept = s.invoice(old, D("2019-03-01"), pet_id=pid, paid_on=D("2019-03-01"))
        gone = s.invoice(old, D("2018-02-01"), pet_id=pid, paid_on=D("2018-02-01"))
        s.subject_request(s.number(old), D("2018-03-01"))
        young = s.client(D("2025-01-01"), name="Jonge Klant")
        ypet = s.pet(young, D("2025-01-01"))
        s.visit(ypet, D("2025-02-01"))
        s.invoice(young, D("2025-02-01"))
        return {"old": s.number(old), "young": s.number(young), "kept": kept, "gone": gone}

    ids = seeded(db, build)
    result = run_purge(db, AS_OF)
    assert result.plan.purge_clients == [ids["old"]]
    assert result.plan.fiscal_kept == [ids["kept"]]
    assert result.plan.invoices_deleted == [ids["gone"]]
    assert result.deleted["client"] == 1
    assert result.deleted["medicine_record"] == 1
    with db.unit() as conn:
        q = lambda sql, **p: conn.execute(text(sql), p).all()  # noqa: E731
        assert q("SELECT number FROM client") == [(ids["young"],)]
        assert q("SELECT count(*) FROM pet") == [(1,)]
        assert q("SELECT count(*) FROM visit") == [(1,)]
        assert q("SELECT count(*) FROM weight") == [(0,)]
        assert q("SELECT count(*) FROM vaccination") == [(0,)]
        assert q("SELECT count(*) FROM medicine_record") == [(0,)]
        assert q("SELECT count(*) FROM consent") == [(0,)]
        assert q("SELECT count(*) FROM disclosure") == [(0,)]
        kept = q("SELECT client_id, pet_id, restricted, customer_name, customer_street, "
                 "customer_birth_date, gross_cents FROM invoice WHERE number = :n", n=ids["kept"])
        assert kept == [(None, None, 1, "Klant Snapshot", "Dorpsstraat 1", None, 1210)]
        assert q("SELECT count(*) FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id "
                 "WHERE i.number = :n", n=ids["kept"]) == [(1,)]
        assert q("SELECT count(*) FROM payment p JOIN invoice i ON i.id = p.invoice_id "
                 "WHERE i.number = :n", n=ids["kept"]) == [(1,)]
        assert q("SELECT count(*) FROM invoice WHERE number = :n", n=ids["gone"]) == [(0,)]
        assert q("SELECT count(*) FROM invoice_line") == [(2,)]  # kept + young's
        assert q("SELECT count(*) FROM payment") == [(1,)]
        # subject_request rows keep the number (accountability, numbers only).
        assert q("SELECT client_number FROM subject_request") == [(ids["old"],)]
        # The audit entry: counts and numbers, never a name.
        entry = conn.execute(text("SELECT entity_ids, details FROM audit_log WHERE action = 'purge'")).one()
    assert json.loads(entry.entity_ids) == [ids["old"]]
    details = json.loads(entry.details)
    assert details["purged_clients"] == 1
    assert details["kept_for_fiscal_hold"] == 1
    for text_ in (entry.entity_ids, entry.details):
        for name in ("Gerrit", "Oud", "Klant", "Dorpsstraat"):
            assert name not in text_


def test_fiscal_invoice_is_deleted_by_the_first_purge_after_its_hold(db):
    number = seeded(db, lambda s: (lambda cid: s.invoice(cid, D("2019-01-01")))(s.client(D("2012-01-01"))))
    assert run_purge(db, AS_OF).plan.fiscal_kept == [number]
    # On the last day of the hold it stays ...
    last_day = run_purge(db, D("2026-12-31"))
    assert last_day.plan.expired_invoices == []
    assert table_counts(db)["invoice"] == 1
    # ... the first purge after it deletes it, lines and all.
    after = run_purge(db, D("2027-01-01"))
    assert after.plan.expired_invoices == [number]
    assert after.deleted["invoice"] == 1
    counts = table_counts(db)
    assert counts["invoice"] == counts["invoice_line"] == 0
    assert run_purge(db, D("2027-01-02")).plan.expired_invoices == []


def test_restricted_medicine_records_go_when_their_own_hold_ends(db):
    def build(s: Seed) -> None:
        s.medicine(None, None, D("2021-06-15"), restricted=True, owner="Eigenaar Een")  # until 2026-06-15
        s.medicine(None, None, D("2021-06-14"), restricted=True, owner="Eigenaar Twee")  # until 2026-06-14

    seeded(db, build)
    result = run_purge(db, AS_OF)
    assert result.plan.expired_medicine == 1
    with db.unit() as conn:
        left = conn.execute(text("SELECT record_date, owner_name FROM medicine_record")).all()
    assert [(str(r[0]), r[1]) for r in left] == [("2021-06-15", "Eigenaar Een")]
    assert run_purge(db, D("2026-06-16")).plan.expired_medicine == 1
    assert table_counts(db)["medicine_record"] == 0


def test_medicine_record_under_hold_of_a_purged_client_is_kept_with_owner_snapshot(db):
    # With an inactivity period shorter than the medicine period, a purged
    # client's medicine record may still be under its own hold.
    periods = rules.Periods(inactivity_years=3, medicine_years=5)

    def build(s: Seed) -> None:
        cid = s.client(D("2020-01-01"), name="Henk de Vries")
        pid = s.pet(cid, D("2020-01-01"))
        s.medicine(cid, pid, D("2022-01-01"))  # held until 2027-01-01
        s.medicine(None, pid, D("2020-06-01"))  # linked by pet only; held until 2025-06-01

    seeded(db, build)
    result = run_purge(db, AS_OF, periods)
    assert len(result.plan.purge_clients) == 1
    assert result.plan.medicine_kept == 1
    assert result.plan.medicine_deleted == 1
    with db.unit() as conn:
        rows = conn.execute(text("SELECT client_id, pet_id, restricted, owner_name, owner_address "
                                 "FROM medicine_record")).all()
    assert rows == [(None, None, 1, "Henk de Vries", "Dorpsstraat 1, 1234 AB Utrecht")]
    assert run_purge(db, D("2027-01-01"), periods).plan.expired_medicine == 0
    assert run_purge(db, D("2027-01-02"), periods).plan.expired_medicine == 1


def test_a_record_kept_through_its_pet_takes_its_own_owners_snapshot(db):
    """The owner of a record linked only to a pet is that pet's owner (the subquery is correlated to the
    row), not the owner of some other pet with a record."""
    periods = rules.Periods(inactivity_years=3, medicine_years=5)

    def build(s: Seed) -> None:
        active = s.client(D("2025-01-01"), name="Anna Actief")
        s.medicine(None, s.pet(active, D("2025-01-01")), D("2025-02-01"))
        gone = s.client(D("2020-01-01"), name="Henk de Vries")
        s.medicine(None, s.pet(gone, D("2020-01-01")), D("2022-01-01"))  # held until 2027-01-01

    seeded(db, build)
    assert run_purge(db, AS_OF, periods).plan.purge_clients == ["K000002"]
    with db.unit() as conn:
        rows = conn.execute(text("SELECT owner_name, owner_address, restricted FROM medicine_record "
                                 "ORDER BY id")).all()
    assert rows == [(None, None, 0), ("Henk de Vries", "Dorpsstraat 1, 1234 AB Utrecht", 1)]


def test_dry_run_changes_nothing_but_is_audited(db):
    seeded(db, lambda s: s.pet(s.client(D("2012-01-01")), D("2012-01-01")))
    before = table_counts(db)
    result = run_purge(db, AS_OF, dry_run=True)
    assert result.dry_run and len(result.plan.purge_clients) == 1
    assert result.deleted == {}
    assert table_counts(db) == before
    with db.unit() as conn:
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_log ORDER BY id"))]
        assert actions[-1] == "purge.dry_run"
        assert retention.last_purge(conn)["dry_run"] is True
        # No temp table survives the purge.
        assert conn.execute(text("SELECT count(*) FROM temp.sqlite_master")).scalar() == 0


def test_a_failing_purge_leaves_nothing_half_done(db):
    """All or nothing: a statement failing late in the purge rolls everything back.

    A real SQLite trigger makes the last DELETE (client cards) fail.
    """
    def build(s: Seed) -> None:
        for _ in range(5):
            cid = s.client(D("2012-01-01"))
            pid = s.pet(cid, D("2012-01-01"))
            s.visit(pid, D("2013-01-01"))
            s.invoice(cid, D("2013-01-01"))
        s.conn.execute(text("CREATE TRIGGER no_client_delete BEFORE DELETE ON client "
                            "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"))

    seeded(db, build)
    before = table_counts(db)
    with pytest.raises(DatabaseError):
        run_purge(db, AS_OF)
    assert table_counts(db) == before
    with db.unit() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'purge'")).scalar() == 0
        conn.execute(text("DROP TRIGGER no_client_delete"))
        conn.commit()
    assert len(run_purge(db, AS_OF).plan.purge_clients) == 5


def test_purge_connection_has_secure_delete_and_memory_temp_store(db):
    with db.unit() as conn:
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
        assert conn.execute(text("PRAGMA temp_store")).scalar() == 2  # MEMORY
        assert conn.execute(text("PRAGMA cache_size")).scalar() == -retention.PURGE_CACHE_MIB * 1024


# --------------------------------------------------------------------------
# Manual legal hold (library)
# --------------------------------------------------------------------------


def test_legal_hold_set_replace_clear(db):
    cid = seeded(db, lambda s: s.client(D("2012-01-01"), name="Piet Hold"))
    with db.unit() as conn:
        conn.info["actor"] = "admin"
        number, replaced = retention.set_legal_hold(conn, str(cid), "  dossier 2026/44 advocaat X ")
        assert replaced is False
        assert retention.set_legal_hold(conn, number.lower(), "dossier 2026/45")[1] is True
    with db.unit() as conn:
        assert retention.plan(conn, AS_OF).legal_held == [number]
        assert conn.execute(text("SELECT legal_hold_reason FROM client")).scalar() == "dossier 2026/45"
        with pytest.raises(InvalidInput):
            retention.set_legal_hold(conn, number, "   ")
        with pytest.raises(NotFound):
            retention.set_legal_hold(conn, "K999999", "x")
    with db.unit() as conn:
        retention.clear_legal_hold(conn, number)
    with db.unit() as conn:
        with pytest.raises(Conflict):
            retention.clear_legal_hold(conn, number)
        log = " ".join(r[0] + r[1] for r in conn.execute(text("SELECT entity_ids, details FROM audit_log")))
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_log ORDER BY id"))]
        # The hold is not client activity: the card's updated_at is unchanged.
        assert conn.execute(text("SELECT date(updated_at) FROM client")).scalar() == "2012-01-01"
    assert actions == ["init", "client.hold", "client.hold", "client.unhold"]
    assert "dossier" not in log and "advocaat" not in log
    assert len(run_purge(db, AS_OF).plan.purge_clients) == 1


# --------------------------------------------------------------------------
# The set-based plan equals the pure rules, row by row (randomised)
# --------------------------------------------------------------------------

STATES = ("open", "paid", "paid", "paid", "in_collection", "credited")


def _random_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _random_practice(s: Seed, rng: random.Random) -> None:
    lo, hi = D("2008-01-01"), D("2026-06-01")
    for _ in range(160):
        created = _random_day(rng, lo, hi)
        # Bias towards the cut-offs so that the boundaries are hit often.
        if rng.random() < 0.3:
            created = rng.choice([D("2016-02-29"), D("2018-12-31"), D("2019-01-01"),
                                  D("2019-06-14"), D("2019-06-15"), D("2019-06-16")])
        # Each client is active from `created` until its own `hi`.
        hi = _random_day(rng, created, D("2026-06-01")) if rng.random() < 0.7 else D("2026-06-01")
        updated = _random_day(rng, created, hi) if rng.random() < 0.3 else None
        cid = s.client(created, updated=updated,
                       legal_hold="x" if rng.random() < 0.1 else None,
                       restricted=rng.random() < 0.05)
        for _ in range(rng.randrange(3)):
            pid = s.pet(cid, _random_day(rng, created, hi) if rng.random() < 0.5 else created,
                        deceased=_random_day(rng, created, hi) if rng.random() < 0.1 else None)
            for _ in range(rng.randrange(3)):
                s.visit(pid, _random_day(rng, created, hi))
            if rng.random() < 0.3:
                s.weight(pid, _random_day(rng, created, hi))
            if rng.random() < 0.3:
                s.vaccination(pid, _random_day(rng, created, hi))
            if rng.random() < 0.2:
                s.medicine(cid, pid, _random_day(rng, created, hi))
        for _ in range(rng.randrange(3)):
            d = _random_day(rng, created, hi)
            number = s.invoice(cid, d, status=rng.choice(STATES),
                               paid_on=_random_day(rng, d, hi) if rng.random() < 0.3 else None)
            if rng.random() < 0.2:  # a credit note, sometimes years later
                s.invoice(cid, _random_day(rng, d, hi), status="credited", credits=number)
        if rng.random() < 0.3:
            s.disclosure(cid, _random_day(rng, created, hi), at_request=rng.random() < 0.5)
        if rng.random() < 0.5:
            s.consent(cid, created)
    # Leftovers of earlier purges and erasures.
    for _ in range(30):
        s.invoice(None, _random_day(rng, D("2015-01-01"), D("2026-06-01")), restricted=True)
        s.medicine(None, None, _random_day(rng, D("2018-01-01"), D("2026-06-01")), restricted=True,
                   owner="Iemand")


def _pure_expectation(conn: Any, as_of: date, periods: rules.Periods) -> dict[str, Any]:
    """Apply rules.* to every row in Python (no SQL beyond plain SELECTs)."""
    rows = lambda sql: [dict(r._mapping) for r in conn.execute(text(sql))]  # noqa: E731
    clients = rows("SELECT id, number, created_at, updated_at, legal_hold_reason, restricted FROM client")
    pets = rows("SELECT id, client_id, created_at, updated_at FROM pet")
    pet_owner = {p["id"]: p["client_id"] for p in pets}
    dates: dict[int, list[Any]] = {c["id"]: [D(c["created_at"][:10]), D(c["updated_at"][:10])] for c in clients}
    for p in pets:
        dates[p["client_id"]] += [D(p["created_at"][:10]), D(p["updated_at"][:10])]
    for table, col in (("weight", "measured_on"), ("visit", "visit_date"), ("vaccination", "given_on")):
        for r in rows(f"SELECT pet_id, {col} AS d FROM {table}"):
            dates[pet_owner[r["pet_id"]]].append(D(r["d"]))
    for r in rows("SELECT client_id, record_date AS d FROM medicine_record WHERE client_id IS NOT NULL"):
        dates[r["client_id"]].append(D(r["d"]))
    invoices = rows("SELECT id, number, client_id, invoice_date, status, restricted, credits_invoice_id "
                    "FROM invoice")
    states: dict[int, list[str]] = {c["id"]: [] for c in clients}
    for inv in invoices:
        if inv["client_id"] is not None:
            dates[inv["client_id"]].append(D(inv["invoice_date"]))
            states[inv["client_id"]].append(inv["status"])
    for r in rows("SELECT i.client_id, p.paid_on FROM payment p JOIN invoice i ON i.id = p.invoice_id "
                  "WHERE i.client_id IS NOT NULL"):
        dates[r["client_id"]].append(D(r["paid_on"]))
    for r in rows("SELECT client_id, disclosed_on, at_client_request FROM disclosure"):
        if r["at_client_request"]:
            dates[r["client_id"]].append(D(r["disclosed_on"]))

    out: dict[str, Any] = {"purge": set(), "claim_hold": set(), "legal_hold": set()}
    purged_ids = set()
    for c in clients:
        facts = rules.ClientFacts(rules.last_activity(dates[c["id"]]), states[c["id"]],
                                  c["legal_hold_reason"] is not None, bool(c["restricted"]))
        action = rules.decide(facts, as_of, periods).action
        if action != "keep":
            out[action].add(c["number"])
        if action == "purge":
            purged_ids.add(c["id"])
    # The fiscal term is the group's: an invoice, its credit notes and every payment on them.
    root = {i["id"]: i["credits_invoice_id"] or i["id"] for i in invoices}
    group_dates: dict[int, list[date]] = {}
    for i in invoices:
        group_dates.setdefault(root[i["id"]], []).append(D(i["invoice_date"]))
    for r in rows("SELECT invoice_id, paid_on FROM payment"):
        group_dates[root[r["invoice_id"]]].append(D(r["paid_on"]))
    kept = {g for g, ds in group_dates.items() if rules.under_fiscal_term(ds, as_of, periods)}
    candidate = {i["id"] for i in invoices if root[i["id"]] not in kept and (
        i["client_id"] in purged_ids or (i["restricted"] and i["client_id"] is None))}
    # A group goes whole or not at all.
    gone = {i for i in candidate if all(j in candidate for j in root if root[j] == root[i])}
    out["fiscal_kept"] = {i["number"] for i in invoices if i["client_id"] in purged_ids and i["id"] not in gone}
    out["invoices_deleted"] = {i["number"] for i in invoices if i["client_id"] in purged_ids and i["id"] in gone}
    out["expired_invoices"] = {i["number"] for i in invoices if i["restricted"] and i["client_id"] is None
                               and i["id"] in gone}
    meds = rows("SELECT client_id, pet_id, record_date, restricted FROM medicine_record")
    purged_pets = {pid for pid, owner in pet_owner.items() if owner in purged_ids}
    mine = [m for m in meds if m["client_id"] in purged_ids or m["pet_id"] in purged_pets]
    out["medicine_kept"] = sum(rules.under_medicine_hold(D(m["record_date"]), as_of, periods) for m in mine)
    out["medicine_deleted"] = len(mine) - out["medicine_kept"]
    out["expired_medicine"] = sum(1 for m in meds if m["restricted"] and m["client_id"] is None
                                  and not rules.under_medicine_hold(D(m["record_date"]), as_of, periods))
    out["pets"] = len(purged_pets)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_plan_equals_pure_rules_on_a_random_practice(db, seed):
    rng = random.Random(seed)
    seeded(db, lambda s: _random_practice(s, rng))
    as_ofs = [D("2023-02-28"), D("2023-03-01"), D("2024-02-29"), D("2025-12-31"),
              D("2026-01-01"), D("2026-06-15"), _random_day(rng, D("2020-01-01"), D("2030-12-31"))]
    period_sets = [P, rules.Periods(inactivity_years=3, fiscal_years=8, medicine_years=5)]
    seen: set[str] = set()
    with db.unit() as conn:
        for periods in period_sets:
            for as_of in as_ofs:
                got = retention.plan(conn, as_of, periods)
                want = _pure_expectation(conn, as_of, periods)
                where = f"as_of={as_of} periods={periods}"
                assert set(got.purge_clients) == want["purge"], where
                assert set(got.claim_held) == want["claim_hold"], where
                assert set(got.legal_held) == want["legal_hold"], where
                assert set(got.fiscal_kept) == want["fiscal_kept"], where
                assert set(got.invoices_deleted) == want["invoices_deleted"], where
                assert set(got.expired_invoices) == want["expired_invoices"], where
                assert got.medicine_kept == want["medicine_kept"], where
                assert got.medicine_deleted == want["medicine_deleted"], where
                assert got.expired_medicine == want["expired_medicine"], where
                assert got.pets == want["pets"], where
                seen.update(name for name in ("purge_clients", "claim_held", "legal_held", "fiscal_kept",
                                              "invoices_deleted", "expired_invoices")
                            if getattr(got, name))
                seen.update(name for name in ("medicine_kept", "medicine_deleted", "expired_medicine")
                            if getattr(got, name))
    # The random data must exercise every outcome, or the test proves little.
    assert seen == {"purge_clients", "claim_held", "legal_held", "fiscal_kept", "invoices_deleted",
                    "expired_invoices", "medicine_kept", "medicine_deleted", "expired_medicine"}

    # Then really purge, and check the result against the plan.
    as_of = D("2026-06-15")
    with db.unit() as conn:
        want = _pure_expectation(conn, as_of, P)
    before = client_numbers(db)
    result = run_purge(db, as_of)
    assert client_numbers(db) == before - want["purge"]
    with db.unit() as conn:
        inv = {r[0]: (r[1], r[2]) for r in conn.execute(text("SELECT number, client_id, restricted FROM invoice"))}
        for number in want["fiscal_kept"]:
            assert inv[number] == (None, 1)
        for number in want["invoices_deleted"] | want["expired_invoices"]:
            assert number not in inv
        orphans = conn.execute(text(
            "SELECT (SELECT count(*) FROM pet WHERE client_id NOT IN (SELECT id FROM client))"
            " + (SELECT count(*) FROM visit WHERE pet_id NOT IN (SELECT id FROM pet))"
            " + (SELECT count(*) FROM consent WHERE client_id NOT IN (SELECT id FROM client))")).scalar()
        assert orphans == 0
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    assert result.deleted["client"] == len(want["purge"])
    second = run_purge(db, as_of)
    assert second.plan.purge_clients == [] and second.deleted["client"] == 0
    assert second.plan.expired_invoices == [] and second.plan.expired_medicine == 0
