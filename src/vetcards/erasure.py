"""Right to erasure (GDPR art. 17) after an identity check, with holds (SPEC §4, §5).

:func:`plan_erasure` works out, without writing, what an erasure of one
client removes and what a hold keeps; :func:`erase` checks the identity
record, applies the plan in one transaction, audits it, commits, and then
appends the erasure to the ledger (:mod:`vetcards.ledger`). Which rows go and
which are kept is decided, and written, by :mod:`vetcards.deletion` from the
data map (:mod:`vetcards.datamap`): the same engine and rules as the purge.

What is erased
    The client card, the patient cards with their weights, visits and
    vaccinations, medicine records not under hold, consents and the
    disclosure log of the client, and invoices no hold needs (with their lines
    and payments). Before the disclosure log goes, the distinct recipients in
    it are collected: the practice must tell them (art. 19).

What a hold keeps (art. 17(3)(b) and (e)), always restricted (art. 18)
    * fiscal hold (AWR art. 52): an invoice until 31 December of the latest
      year of the invoice, its payments and its credit notes, + ``fiscal_years``
      (one term for an invoice and its credit notes, which are kept and go
      together): kept with its name/address snapshot, lines, amounts and
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
    Before the commit (write-ahead), the client number and time are appended
    to the ledger (:mod:`vetcards.ledger`), authenticated and anchored to the
    erase entry's audit hash, so that a restore of an older backup erases the
    client again. After the commit the WAL is checkpointed (TRUNCATE), so the
    erased rows do not linger in it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from . import audit, datamap, ledger, refs, rules, settings, validation, vocab
from .deletion import Deletion, erased_client, hold_until, reached_rows, term_dates
from .disclosures import recipients_of
from .errors import HoldError, InvalidInput
from .ledger import ledger_path_for

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
ID_DOCUMENTS = vocab.ID_DOCUMENTS

REASON_CLAIM = "claim hold"
REASON_FISCAL = "fiscal hold"
REASON_MEDICINE = "medicine-record hold"
UNTIL_PAID = "until paid"

BASIS_CLAIM = ("GDPR art. 17(3)(e): needed to collect an unpaid invoice or one in collection; "
               "then the fiscal hold applies")
BASIS_FISCAL = ("AWR art. 52 (fiscal retention duty): {n} years after the end of the latest year of the "
                "invoice, its payments and its credit notes")
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
    key = vocab.ID_DOCUMENT_ALIASES.get(key, key)
    if key not in ID_DOCUMENTS:
        raise InvalidInput(field, vocab.rule_one_of(ID_DOCUMENTS))
    return key


def _verified_by(value: Optional[str]) -> str:
    return validation.text(value, field="--verified-by", max_len=100) or ""  # required: never empty


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
    periods: rules.Periods = field(default=rules.DEFAULT_PERIODS, repr=False)
    # Row ids kept and deleted (not part of the printed plan; the kept ones are counted in the audit entry).
    claim_invoice_ids: list[int] = field(default_factory=list, repr=False)
    fiscal_invoice_ids: list[int] = field(default_factory=list, repr=False)
    delete_invoice_ids: list[int] = field(default_factory=list, repr=False)
    held_medicine_ids: list[int] = field(default_factory=list, repr=False)
    delete_medicine_ids: list[int] = field(default_factory=list, repr=False)

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
    wal_checkpointed: bool = True  # False: another connection kept erased pages in the WAL

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
            # False: another program's open connection kept erased pages in the -wal (None: dry run).
            "wal_checkpointed": None if self.dry_run else self.wal_checkpointed,
        })
        return out


_CLIENT_COLUMNS = ("name", "street", "postcode", "city", "phone", "landline", "email", "birth_date",
                   "legal_hold_reason", "restricted")

_KEPT_FIELDS = {
    REASON_CLAIM: ("customer snapshot incl. birth date", "lines", "amounts", "payments", "client link"),
    REASON_FISCAL: ("customer name and address snapshot", "lines", "amounts", "payments"),
    REASON_MEDICINE: ("date", "product", "batch", "quantity", "expiry", "vet", "owner name and address"),
}


def _stage(uow: UnitOfWork, client_id: int, as_of: date, periods: rules.Periods) -> Deletion:
    """The deletion of one client, staged: the card is kept (restricted) while a claim runs."""
    deletion = Deletion(uow, "erase", as_of, periods)
    deletion.stage(erased_client(), {"cid": client_id})
    return deletion


@dataclass(frozen=True)
class _Held:
    """A row of a hold table reached by the erasure, and what becomes of it."""

    id: int
    ref: str
    claim: bool
    gone: bool
    until: date  # the last day its hold keeps it (its group's term)


def _held_rows(uow: UnitOfWork, deletion: Deletion, name: str, number: str) -> list[_Held]:
    """The rows of a hold table reached by the erasure, by the end of their term, with what becomes of each."""
    table = datamap.entry(name)
    assert table.hold is not None
    rows = list(uow.execute(reached_rows(name, number)))
    dates = term_dates(uow, table, [r.id for r in rows])
    held = [_Held(r.id, str(r.ref), bool(r.claim), bool(r.gone),
                  hold_until(table.hold, dates[r.id], deletion.periods)) for r in rows]
    return sorted(held, key=lambda h: h.until)  # stable: issue order within one term


def plan_erasure(uow: UnitOfWork, client_ref: str, as_of: date,
                 periods: Optional[rules.Periods] = None) -> ErasurePlan:
    """Work out what erasing ``client_ref`` at ``as_of`` removes and keeps; writes nothing.

    The rows are those :mod:`vetcards.deletion` stages for the client (the
    same engine as the purge). A client whose card is already restricted
    (kept for a claim by an earlier erasure) can be planned and erased again:
    the rules are simply applied to what is left. A manual legal hold shows
    as ``plan.legal_hold``; :meth:`ErasurePlan.check` turns it into an error.
    """
    if periods is None:
        periods = settings.periods(uow)
    client = refs.find(uow, "client", client_ref, _CLIENT_COLUMNS, include_restricted=True)
    cid = client["id"]
    deletion = _stage(uow, cid, as_of, periods)
    try:
        invoices = _held_rows(uow, deletion, "invoice", "number")
        medicines = _held_rows(uow, deletion, "medicine_record", "id")
        erased = deletion.counts()
    finally:
        deletion.drop()

    claim_ids = [r.id for r in invoices if r.claim]
    fiscal_ids = [r.id for r in invoices if not r.claim and not r.gone]
    held_meds = [r.id for r in medicines if not r.gone]
    claim_hold = bool(claim_ids)
    kept: list[KeptItem] = []
    if claim_hold:
        kept.append(KeptItem(
            "client_card", client["number"], REASON_CLAIM, UNTIL_PAID, BASIS_CLAIM,
            ("name", "street", "postcode", "city", "birth_date"),
        ))
    basis_fiscal = BASIS_FISCAL.format(n=periods.fiscal_years)
    for inv in invoices:
        # A settled invoice whose term has ended is kept only with an unpaid one of its group.
        if inv.claim or (not inv.gone and inv.until < as_of):
            kept.append(KeptItem("invoice", inv.ref, REASON_CLAIM, UNTIL_PAID, BASIS_CLAIM,
                                 _KEPT_FIELDS[REASON_CLAIM]))
        elif not inv.gone:
            kept.append(KeptItem("invoice", inv.ref, REASON_FISCAL, inv.until.isoformat(), basis_fiscal,
                                 _KEPT_FIELDS[REASON_FISCAL]))
    basis_med = BASIS_MEDICINE.format(n=periods.medicine_years)
    for med in medicines:
        if not med.gone:
            kept.append(KeptItem("medicine_record", med.ref, REASON_MEDICINE, med.until.isoformat(),
                                 basis_med, _KEPT_FIELDS[REASON_MEDICINE]))

    # Recipients to tell (art. 19), before the disclosure log goes.
    recipients = [NotifyRecipient(*told) for told in recipients_of(uow, cid)]
    client_table = datamap.entry("client")
    erased["client_phone_email"] = (
        sum(1 for f in client_table.restrict_clears if client[f]) if claim_hold else 0)
    return ErasurePlan(
        client_id=cid,
        client_number=client["number"],
        as_of=as_of,
        legal_hold=bool(client["legal_hold_reason"]),
        claim_hold=claim_hold,
        erased={k: erased.get(k, 0) for k in ERASED_CATEGORIES},
        kept=kept,
        notify_recipients=recipients,
        periods=periods,
        claim_invoice_ids=claim_ids,
        fiscal_invoice_ids=fiscal_ids,
        delete_invoice_ids=[r.id for r in invoices if r.gone],
        held_medicine_ids=held_meds,
        delete_medicine_ids=[r.id for r in medicines if r.gone],
    )


# --------------------------------------------------------------------------
# The erasure
# --------------------------------------------------------------------------


def apply_plan(uow: UnitOfWork, plan: ErasurePlan) -> None:
    """The writes of a plan, in the caller's transaction (no audit, no commit, no ledger).

    Used by :func:`erase` and by the ledger replay after a restore: the steps
    of :mod:`vetcards.deletion` (those of the purge), staged again for the
    plan's client and date.
    """
    deletion = _stage(uow, plan.client_id, plan.as_of, plan.periods)
    try:
        deletion.run()
    except BaseException:
        deletion.drop_quietly()
        raise
    deletion.drop()


def erase(
    uow: UnitOfWork,
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
    if ledger_path is None:
        ledger_path = ledger_path_for(uow.path)
    for first_key in (False, True):
        if first_key:
            # The first erasure, all checked: the ledger key alone is committed first, then all is done again.
            uow.rollback()
            ledger.ensure_key(uow)
        plan = plan_erasure(uow, client_ref, as_of, periods)
        plan.check()
        request_id = None
        if request is not None:
            request_id = subject_requests.answer(
                uow, request, client_number=plan.client_number, types=("erasure",),
                on=date.today(),
            )
        if dry_run or ledger_path is None or ledger.ledger_key(uow) is not None:
            break
    result = ErasureResult(plan=plan, dry_run=dry_run, verified_by=who, id_document=doc,
                           request_id=request_id)
    if dry_run:
        uow.rollback()
        return result

    now = datetime.now(UTC).replace(microsecond=0)
    apply_plan(uow, plan)
    row = Erasure(client_number=plan.client_number, erased_at=now, verified_by=who, id_document=doc)
    uow.add(row)
    uow.flush()
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
    anchor = audit.record(uow, "erase", "client", ids, details)
    result.erased_at = ledger.now_text(now)
    if ledger_path is not None:  # write-ahead: the line is on disk before the erasure commits
        ledger.append(uow, ledger_path, "erase", anchor=anchor, client_number=plan.client_number,
                      at=result.erased_at)
        result.ledger_path = Path(ledger_path)
    uow.commit()
    result.erasure_id = row.id
    from .backup import checkpoint_wal

    result.wal_checkpointed = checkpoint_wal(uow)
    return result
