"""Right to erasure (GDPR art. 17) after an identity check, with holds (SPEC §4, §5).

:func:`plan_erasure` works out, without writing, what an erasure of one
client removes and what a hold keeps; :func:`erase` checks the identity
record, applies the plan in one transaction, audits it, commits, and then
appends the erasure to the ledger.

What is erased
    The client card, the patient cards with their weights, visits and
    vaccinations, medicine records not under hold, consents and the
    disclosure log of the client, and invoices no hold needs (with their lines
    and payments). Before the disclosure log goes, the distinct recipients in
    it are collected: the practice must tell them (art. 19).

What a hold keeps (art. 17(3)(b) and (e)), always restricted (art. 18)
    * fiscal hold (AWR art. 52): an invoice until 31 December of its year +
      ``fiscal_years``: kept with its name/address snapshot, lines, amounts and
      payments, detached from the client (``client_id``/``pet_id`` NULL,
      ``customer_birth_date`` NULL, ``restricted`` = 1);
    * claim hold: while an invoice is ``open`` or ``in_collection`` (unknown
      states count as a claim), what collection needs stays: the client row
      with name, address and birth date (phone and e-mail erased,
      ``restricted`` = 1) and those invoices with their lines and payments,
      still linked to it. The claim invoices themselves are *not* flagged
      restricted: payments and collection must still be booked on them, and
      the purge sees the claim by their state. Paid invoices of that client
      follow the fiscal hold as above;
    * medicine-record hold (EU 2019/6 art. 103): a medicine record until its
      date + ``medicine_years``: date, product, batch, quantity, expiry, vet,
      with ``owner_name``/``owner_address`` filled from the client card,
      ``pet_id``/``client_id`` NULL, ``restricted`` = 1;
    * manual legal hold (``client.legal_hold_reason``): the erasure is refused
      (:class:`HoldError`) and nothing is written.

    The purge (``vetcards.retention``) deletes restricted data when its hold
    ends; a restricted client whose claims are settled is no longer held.

Identity check
    The ``erasure`` table records the client number, when, who checked the
    identity and the *type* of document shown (:data:`ID_DOCUMENTS`), never a
    document number: a value with a digit in it is refused.

Audit
    One entry ``erase`` with the client number and counts only (no names).

The erasure ledger
    After the commit, the client number and time are appended to the ledger
    (:mod:`vetcards.ledger`), so that a restore of an older backup erases the
    client again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import text

from . import audit, refs, rules, settings, validation
from .errors import HoldError, InvalidInput
from .ledger import append_ledger, ledger_path_for

if TYPE_CHECKING:
    from .db import UnitOfWork

__all__ = [
    "ID_DOCUMENTS",
    "ErasurePlan",
    "ErasureResult",
    "KeptItem",
    "NotifyRecipient",
    "apply_plan",
    "erase",
    "parse_id_document",
    "plan_erasure",
]

#: Document types an identity may be checked with (never a document number).
ID_DOCUMENTS: tuple[str, ...] = ("passport", "id-card", "driving-licence", "residence-permit", "other")

_ID_ALIASES = {
    "paspoort": "passport",
    "id": "id-card",
    "idcard": "id-card",
    "identity-card": "id-card",
    "identiteitskaart": "id-card",
    "id-kaart": "id-card",
    "driving-license": "driving-licence",
    "drivers-licence": "driving-licence",
    "drivers-license": "driving-licence",
    "rijbewijs": "driving-licence",
    "residence-card": "residence-permit",
    "verblijfsdocument": "residence-permit",
    "verblijfsvergunning": "residence-permit",
    "anders": "other",
}

REASON_CLAIM = "claim hold"
REASON_FISCAL = "fiscal hold"
REASON_MEDICINE = "medicine-record hold"
UNTIL_PAID = "until paid"

BASIS_CLAIM = ("GDPR art. 17(3)(e): needed to collect an unpaid invoice or one in collection; "
               "then the fiscal hold applies")
BASIS_FISCAL = "AWR art. 52 (fiscal retention duty): {n} years after the end of the invoice's year"
BASIS_MEDICINE = "EU Regulation 2019/6 art. 103 (veterinary medicine records): {n} years"

#: Categories in ``erased``, in display order.
ERASED_CATEGORIES: tuple[str, ...] = (
    "client_card", "client_phone_email", "pets", "weights", "visits", "vaccinations",
    "medicine_records", "consents", "disclosures", "invoices", "invoice_lines", "payments",
)


# --------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------


def parse_id_document(value: Optional[str], field: str = "--id-document") -> str:
    """The document TYPE an identity was checked with; a number is refused."""
    v = unicodedata.normalize("NFKC", value or "").strip()
    if not v:
        raise InvalidInput(field, validation.RULE_REQUIRED)
    if any(ch.isdigit() for ch in v):
        raise InvalidInput(
            field,
            "give the document type only, never its number: one of " + ", ".join(ID_DOCUMENTS),
        )
    key = re.sub(r"[\s_]+", "-", v.lower()).replace("'", "")
    key = _ID_ALIASES.get(key, key)
    if key not in ID_DOCUMENTS:
        raise InvalidInput(field, "must be one of: " + ", ".join(ID_DOCUMENTS))
    return key


def _verified_by(value: Optional[str]) -> str:
    return validation.text(value, field="--verified-by", max_len=100)


# --------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptItem:
    """One thing a hold keeps: what, which, why and until when."""

    what: str            # client_card | invoice | medicine_record
    ref: str             # client number, invoice number, medicine record id
    reason: str          # REASON_*
    until: str           # ISO date, or UNTIL_PAID
    basis: str           # the rule, in words
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "ref": self.ref, "reason": self.reason,
                "until": self.until, "basis": self.basis, "fields": list(self.fields)}


@dataclass(frozen=True)
class NotifyRecipient:
    """A recipient in the client's disclosure log, to be told of the erasure."""

    name: str
    kind: str
    disclosures: int
    last_disclosed_on: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "disclosures": self.disclosures,
                "last_disclosed_on": self.last_disclosed_on}


@dataclass
class ErasurePlan:
    """What :func:`erase` would do for one client at ``as_of``."""

    client_id: int
    client_number: str
    as_of: date
    legal_hold: bool
    claim_hold: bool
    erased: dict[str, int]
    kept: list[KeptItem]
    notify_recipients: list[NotifyRecipient]
    # Row ids the writes act on (not part of the printed plan).
    claim_invoice_ids: list[int] = field(default_factory=list, repr=False)
    fiscal_invoice_ids: list[int] = field(default_factory=list, repr=False)
    delete_invoice_ids: list[int] = field(default_factory=list, repr=False)
    held_medicine_ids: list[int] = field(default_factory=list, repr=False)
    delete_medicine_ids: list[int] = field(default_factory=list, repr=False)
    owner_name: str = field(default="", repr=False)
    owner_address: str = field(default="", repr=False)

    def check(self) -> None:
        """Raise :class:`HoldError` when a manual legal hold forbids the erasure."""
        if self.legal_hold:
            raise HoldError(
                f"client {self.client_number} is under a legal hold; it cannot be erased "
                "until the hold is lifted (nothing was changed)"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "client": self.client_number,
            "as_of": self.as_of.isoformat(),
            "legal_hold": self.legal_hold,
            "claim_hold": self.claim_hold,
            "erased": dict(self.erased),
            "kept": [k.as_dict() for k in self.kept],
            "notify_recipients": [r.as_dict() for r in self.notify_recipients],
        }


@dataclass
class ErasureResult:
    """The outcome of :func:`erase` (or of its dry run)."""

    plan: ErasurePlan
    dry_run: bool
    verified_by: str
    id_document: str
    erasure_id: Optional[int] = None
    request_id: Optional[int] = None
    erased_at: Optional[str] = None
    ledger_path: Optional[Path] = None

    @property
    def erased(self) -> dict[str, int]:
        return self.plan.erased

    @property
    def kept(self) -> list[KeptItem]:
        return self.plan.kept

    @property
    def notify_recipients(self) -> list[NotifyRecipient]:
        return self.plan.notify_recipients

    def as_dict(self) -> dict[str, Any]:
        out = self.plan.as_dict()
        out.update({
            "id": self.erasure_id,
            "dry_run": self.dry_run,
            "erased_at": self.erased_at,
            "id_document": self.id_document,
            "request": self.request_id,
        })
        return out


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _is_claim(status: str) -> bool:
    """Open or in collection; a state we do not know counts as a claim (keep, do not lose)."""
    try:
        return rules.normalise_state(status) in rules.OPEN_STATES
    except InvalidInput:
        return True


_CLIENT_COLUMNS = ("name", "street", "postcode", "city", "phone", "email", "birth_date",
                   "legal_hold_reason", "restricted")


def _load_client(uow: UnitOfWork, client_ref: str) -> dict[str, Any]:
    return dict(refs.find(uow, "client", client_ref, _CLIENT_COLUMNS, include_restricted=True))


def _count(session: Any, sql: str, **params: Any) -> int:
    return int(session.execute(text(sql), params).scalar() or 0)


def _in(ids: list[int]) -> str:
    """An ``IN (...)`` list of integers (ids read from the database, never input)."""
    return "(" + ",".join(str(int(i)) for i in ids) + ")" if ids else "(NULL)"


def plan_erasure(session: Any, client_ref: str, as_of: date,
                 periods: Optional[rules.Periods] = None) -> ErasurePlan:
    """Work out what erasing ``client_ref`` at ``as_of`` removes and keeps; writes nothing.

    A client whose card is already restricted (kept for a claim by an earlier
    erasure) can be planned and erased again: the rules are simply applied to
    what is left. A manual legal hold shows as ``plan.legal_hold``;
    :meth:`ErasurePlan.check` turns it into an error.
    """
    if periods is None:
        periods = settings.periods(session)
    client = _load_client(session, client_ref)
    cid = client["id"]
    pet_sql = "SELECT id FROM pet WHERE client_id = :cid"

    # Invoices: claim, fiscal hold, or delete.
    invoices = session.execute(
        text("SELECT id, number, invoice_date, status FROM invoice WHERE client_id = :cid "
             "ORDER BY invoice_date, id"),
        {"cid": cid},
    ).mappings().all()
    claim_ids: list[int] = []
    fiscal_ids: list[int] = []
    delete_ids: list[int] = []
    kept: list[KeptItem] = []
    invoice_kept: list[KeptItem] = []
    basis_fiscal = BASIS_FISCAL.format(n=periods.fiscal_years)
    for inv in invoices:
        if _is_claim(inv["status"]):
            claim_ids.append(inv["id"])
            invoice_kept.append(KeptItem(
                "invoice", inv["number"], REASON_CLAIM, UNTIL_PAID, BASIS_CLAIM,
                ("customer snapshot incl. birth date", "lines", "amounts", "payments", "client link"),
            ))
        elif rules.under_fiscal_hold(_as_date(inv["invoice_date"]), as_of, periods):
            fiscal_ids.append(inv["id"])
            until = rules.fiscal_hold_until(_as_date(inv["invoice_date"]), periods)
            invoice_kept.append(KeptItem(
                "invoice", inv["number"], REASON_FISCAL, until.isoformat(), basis_fiscal,
                ("customer name and address snapshot", "lines", "amounts", "payments"),
            ))
        else:
            delete_ids.append(inv["id"])
    claim_hold = bool(claim_ids)
    if claim_hold:
        kept.append(KeptItem(
            "client_card", client["number"], REASON_CLAIM, UNTIL_PAID, BASIS_CLAIM,
            ("name", "street", "postcode", "city", "birth_date"),
        ))
    kept.extend(invoice_kept)

    # Medicine records of the client or of one of their pets.
    meds = session.execute(
        text(f"SELECT id, record_date FROM medicine_record WHERE client_id = :cid "
             f"OR pet_id IN ({pet_sql}) ORDER BY record_date, id"),
        {"cid": cid},
    ).mappings().all()
    held_meds: list[int] = []
    delete_meds: list[int] = []
    basis_med = BASIS_MEDICINE.format(n=periods.medicine_years)
    for m in meds:
        d = _as_date(m["record_date"])
        if rules.under_medicine_hold(d, as_of, periods):
            held_meds.append(m["id"])
            kept.append(KeptItem(
                "medicine_record", str(m["id"]), REASON_MEDICINE,
                rules.medicine_hold_until(d, periods).isoformat(), basis_med,
                ("date", "product", "batch", "quantity", "expiry", "vet", "owner name and address"),
            ))
        else:
            delete_meds.append(m["id"])

    # Recipients to tell (art. 19), before the disclosure log goes.
    recipients = [
        NotifyRecipient(r["name"], r["kind"], int(r["n"]), str(r["last"]))
        for r in session.execute(
            text("SELECT r.name, r.kind, count(*) AS n, max(d.disclosed_on) AS last "
                 "FROM disclosure d JOIN recipient r ON r.id = d.recipient_id "
                 "WHERE d.client_id = :cid GROUP BY r.id ORDER BY r.name COLLATE NOCASE, r.id"),
            {"cid": cid},
        ).mappings()
    ]

    erased = {
        "client_card": 0 if claim_hold else 1,
        "client_phone_email": (
            sum(1 for f in ("phone", "email") if client[f]) if claim_hold else 0
        ),
        "pets": _count(session, "SELECT count(*) FROM pet WHERE client_id = :cid", cid=cid),
        "weights": _count(session, f"SELECT count(*) FROM weight WHERE pet_id IN ({pet_sql})", cid=cid),
        "visits": _count(session, f"SELECT count(*) FROM visit WHERE pet_id IN ({pet_sql})", cid=cid),
        "vaccinations": _count(session, f"SELECT count(*) FROM vaccination WHERE pet_id IN ({pet_sql})",
                               cid=cid),
        "medicine_records": len(delete_meds),
        "consents": _count(session, "SELECT count(*) FROM consent WHERE client_id = :cid", cid=cid),
        "disclosures": _count(session, "SELECT count(*) FROM disclosure WHERE client_id = :cid", cid=cid),
        "invoices": len(delete_ids),
        "invoice_lines": _count(session, f"SELECT count(*) FROM invoice_line WHERE invoice_id IN {_in(delete_ids)}"),
        "payments": _count(session, f"SELECT count(*) FROM payment WHERE invoice_id IN {_in(delete_ids)}"),
    }
    address = f"{client['street']}, {client['postcode']} {client['city']}"
    return ErasurePlan(
        client_id=cid,
        client_number=client["number"],
        as_of=as_of,
        legal_hold=bool(client["legal_hold_reason"]),
        claim_hold=claim_hold,
        erased=erased,
        kept=kept,
        notify_recipients=recipients,
        claim_invoice_ids=claim_ids,
        fiscal_invoice_ids=fiscal_ids,
        delete_invoice_ids=delete_ids,
        held_medicine_ids=held_meds,
        delete_medicine_ids=delete_meds,
        owner_name=client["name"],
        owner_address=address,
    )


# --------------------------------------------------------------------------
# The erasure
# --------------------------------------------------------------------------


def apply_plan(session: Any, plan: ErasurePlan) -> None:
    """The writes of a plan, in the caller's transaction (no audit, no commit, no ledger).

    Used by :func:`erase` and by the ledger replay after a restore. The order
    leaves no dangling personal data: held medicine records are snapshotted
    and detached before pets go, held invoices detached before the card goes.
    """
    cid = plan.client_id
    x = session.execute
    if plan.held_medicine_ids:
        x(text("UPDATE medicine_record SET owner_name = coalesce(owner_name, :name), "
               "owner_address = coalesce(owner_address, :addr), pet_id = NULL, client_id = NULL, "
               f"restricted = 1 WHERE id IN {_in(plan.held_medicine_ids)}"),
          {"name": plan.owner_name, "addr": plan.owner_address})
    if plan.delete_medicine_ids:
        x(text(f"DELETE FROM medicine_record WHERE id IN {_in(plan.delete_medicine_ids)}"))
    if plan.fiscal_invoice_ids:
        x(text("UPDATE invoice SET client_id = NULL, pet_id = NULL, customer_birth_date = NULL, "
               f"restricted = 1 WHERE id IN {_in(plan.fiscal_invoice_ids)}"))
    if plan.claim_invoice_ids:
        x(text(f"UPDATE invoice SET pet_id = NULL WHERE id IN {_in(plan.claim_invoice_ids)}"))
    if plan.delete_invoice_ids:
        # Lines and payments go by ON DELETE CASCADE.
        x(text(f"DELETE FROM invoice WHERE id IN {_in(plan.delete_invoice_ids)}"))
    x(text("DELETE FROM disclosure WHERE client_id = :cid"), {"cid": cid})
    x(text("DELETE FROM consent WHERE client_id = :cid"), {"cid": cid})
    # Weights, visits and vaccinations go by ON DELETE CASCADE.
    x(text("DELETE FROM pet WHERE client_id = :cid"), {"cid": cid})
    if plan.claim_hold:
        x(text("UPDATE client SET phone = NULL, email = NULL, restricted = 1 WHERE id = :cid"),
          {"cid": cid})
    else:
        x(text("DELETE FROM client WHERE id = :cid"), {"cid": cid})


def erase(
    session: Any,
    client_ref: str,
    verified_by: str,
    id_document: str,
    as_of: Optional[date] = None,
    periods: Optional[rules.Periods] = None,
    dry_run: bool = False,
    *,
    request: Optional[str] = None,
    ledger_path: Optional[Path] = None,
) -> ErasureResult:
    """Erase a client after an identity check; see the module docstring.

    Everything is validated before anything is written: the identity record
    (``verified_by``, ``id_document``), the client (:class:`NotFound`), the
    legal hold (:class:`HoldError`) and the request it answers
    (``request``: an open erasure request of this client). With ``dry_run``
    nothing is written (not even an audit entry) and the plan is returned.

    ``as_of`` (default today) is the reference date of the holds. The ledger
    goes to ``ledger_path``, default :func:`ledger_path_for` the database.
    """
    from . import subject_requests
    from .models import Erasure

    who = _verified_by(verified_by)
    doc = parse_id_document(id_document)
    if as_of is None:
        as_of = date.today()
    plan = plan_erasure(session, client_ref, as_of, periods)
    plan.check()
    request_id = None
    if request is not None:
        request_id = subject_requests.answer(
            session, request, client_number=plan.client_number, types=("erasure",),
            on=date.today(),
        )
    result = ErasureResult(plan=plan, dry_run=dry_run, verified_by=who, id_document=doc,
                           request_id=request_id)
    if dry_run:
        session.rollback()
        return result

    if ledger_path is None:
        ledger_path = ledger_path_for(_db_path(session))
    now = datetime.now(UTC).replace(microsecond=0)
    apply_plan(session, plan)
    row = Erasure(client_number=plan.client_number, erased_at=now, verified_by=who, id_document=doc)
    session.add(row)
    session.flush()
    details: dict[str, Any] = {k: v for k, v in plan.erased.items()}
    details.update({
        "kept_client_card": int(plan.claim_hold),
        "kept_invoices_claim": len(plan.claim_invoice_ids),
        "kept_invoices_fiscal": len(plan.fiscal_invoice_ids),
        "kept_medicine_records": len(plan.held_medicine_ids),
        "notify_recipients": len(plan.notify_recipients),
        "id_document": doc,
    })
    ids: list[Any] = [plan.client_number]
    if request_id is not None:
        details["request"] = request_id
    audit.record(session, "erase", "client", ids, details)
    session.commit()

    result.erasure_id = row.id
    result.erased_at = now.isoformat().replace("+00:00", "Z")
    if ledger_path is not None:
        append_ledger(ledger_path, plan.client_number, result.erased_at)
        result.ledger_path = Path(ledger_path)
    return result


def _db_path(session: Any) -> Optional[str]:
    try:
        return str(session.path)
    except Exception:  # noqa: BLE001 - no database file: no ledger
        return None
