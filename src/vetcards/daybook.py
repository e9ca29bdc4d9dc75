"""The money of the day (SPEC §8, §9): the cash-up, the debtors list, a client's open balance.

One rule for what is owed, used by all three (and by the invoice card and
list, :mod:`vetcards.invoice_views`):

* a payment counts while it is not voided (:data:`LIVE_PAYMENT`): a payment
  booked in error is voided with a reason, never deleted, and then counts
  nowhere (paid sums, cash-up, debtors, balance);
* an invoice owes its gross total minus its live payments while its state is
  open or in collection (:func:`open_cents`); paid and credited invoices and
  credit notes owe nothing;
* it is due ``payment_term_days`` (the practice's payment term, 14 by
  default) after its invoice date (:func:`due_date`), the same term
  ``invoice list --overdue`` uses; its age is counted from that day in the
  buckets of :data:`BUCKETS` (:func:`bucket`).

Reads are SQLAlchemy Core over light ``table()`` constructs (no ORM): the
day's documents by the invoice-date index; the day's payments and the open
invoices are a scan of their table (``payment.paid_on`` and ``invoice.status``
have no index: about 0.1 s and 0.5 s on the 100,000-invoice benchmark
practice on a loaded machine). Dates are bound and read as ISO strings (how
SQLite stores them).

Restricted invoices (the unpaid invoices of an erased client, kept for the
claim, GDPR art. 18(2)) are in the debtors list, marked ``restricted``, with
the name they were addressed to (the snapshot, needed to collect the claim);
that read is audited (``debtors.list``: the count, and the restricted
invoices' numbers). Every function that reads writes its audit entry (numbers
and counts only) and commits.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import column, func, select, table

from . import audit, money, settings
from .vocab import KIND_CREDIT_NOTE, KIND_INVOICE, OPEN_STATES, PAY_METHODS, PAYMENT_METHODS

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import ColumnElement

    from .db import UnitOfWork

__all__ = [
    "BUCKETS",
    "LIVE_PAYMENT",
    "bucket",
    "cashup",
    "client_open_cents",
    "days_overdue",
    "debtors",
    "due_date",
    "open_cents",
    "open_invoices",
    "paid_sum",
    "payment_term",
    "refundable_cents",
]

_INVOICE = table("invoice", *(column(n) for n in (
    "id", "number", "kind", "client_id", "invoice_date", "status", "payment_method", "customer_name",
    "net_cents", "vat_cents", "gross_cents", "restricted")))
_LINE = table("invoice_line", *(column(n) for n in (
    "invoice_id", "position", "description", "quantity", "unit_price_cents", "vat_rate", "vat_category")))
_PAYMENT = table("payment", *(column(n) for n in (
    "id", "invoice_id", "paid_on", "amount_cents", "method", "voided_at")))
_CLIENT = table("client", column("id"), column("number"), column("restricted"))

#: A payment that counts: not voided (SPEC §9). Text form for the read models' plain SQL.
LIVE_PAYMENT = "voided_at IS NULL"

#: Age buckets of the debtors list: (name, last day past due or None). Not yet due first.
BUCKETS: tuple[tuple[str, Optional[int]], ...] = (
    ("not_due", -1), ("0-30", 30), ("31-60", 60), ("61-90", 90), ("over_90", None))


# --------------------------------------------------------------------------
# The rules (pure)
# --------------------------------------------------------------------------


def open_cents(status: str, gross_cents: int, paid_cents: int) -> int:
    """Money still owed on a document: only an open invoice or one in collection owes any."""
    return int(gross_cents) - int(paid_cents) if status in OPEN_STATES else 0


def refundable_cents(credited_cents: int, paid_on_original_cents: int, refunded_cents: int) -> int:
    """What can still be refunded on a credit note: its total, at most what was paid on the
    invoice it corrects, minus what was refunded already (never below zero)."""
    return max(min(credited_cents, paid_on_original_cents) - refunded_cents, 0)


def due_date(invoice_date: date, term_days: int) -> date:
    """The day an invoice is due: its date plus the practice's payment term."""
    return invoice_date + timedelta(days=term_days)


def days_overdue(due: date, as_of: date) -> int:
    """Days past due on ``as_of``: 0 on the due day, negative before it."""
    return (as_of - due).days


def bucket(days: int) -> str:
    """The age bucket of an invoice ``days`` past due: ``not_due``, ``0-30``, ``31-60``, ``61-90``, ``over_90``."""
    for name, last in BUCKETS:
        if last is None or days <= last:
            return name
    raise AssertionError("unreachable")  # pragma: no cover


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def payment_term(uow: UnitOfWork) -> int:
    """The practice's payment term in days (``practice set --payment-term-days``)."""
    return int(settings.get(uow, "payment_term_days"))


# --------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------


def paid_sum(invoice_id: ColumnElement[Any]) -> Any:
    """The live payments of the invoice ``invoice_id`` names, in cents (a correlated subquery)."""
    p = _PAYMENT.alias("paid")
    return (select(func.coalesce(func.sum(p.c.amount_cents), 0))
            .where(p.c.invoice_id == invoice_id, p.c.voided_at.is_(None))
            .scalar_subquery())


def open_invoices(uow: UnitOfWork, *, client_id: Optional[int] = None,
                  as_of: Optional[date] = None) -> list[dict[str, Any]]:
    """Every invoice that still owes money (restricted ones included), oldest first.

    ``client_id``: only that client's; ``as_of``: only invoices dated on or
    before it. Each row: ``id``, ``number``, ``client``, ``customer_name``,
    ``invoice_date``, ``status``, ``payment_method``, ``gross_cents``,
    ``paid_cents``, ``open_cents``, ``restricted``. Writes nothing.
    """
    i, c = _INVOICE, _CLIENT
    paid = paid_sum(i.c.id).label("paid_cents")
    restricted = ((i.c.restricted == 1) | (func.coalesce(c.c.restricted, 0) == 1)).label("restricted")
    stmt = (select(i.c.id, i.c.number, c.c.number.label("client"), i.c.customer_name, i.c.invoice_date,
                   i.c.status, i.c.payment_method, i.c.gross_cents, paid, restricted)
            .select_from(i.outerjoin(c, c.c.id == i.c.client_id))
            .where(i.c.kind == KIND_INVOICE, i.c.status.in_(OPEN_STATES)))
    if client_id is not None:
        stmt = stmt.where(i.c.client_id == client_id)
    if as_of is not None:
        stmt = stmt.where(i.c.invoice_date <= as_of.isoformat())
    stmt = stmt.order_by(i.c.invoice_date, i.c.id)
    out = []
    for row in uow.execute(stmt).mappings():
        r = dict(row)
        r["open_cents"] = open_cents(r["status"], r["gross_cents"], r["paid_cents"])
        if r["open_cents"] > 0:
            r["invoice_date"] = _day(r["invoice_date"])
            r["restricted"] = bool(r["restricted"])
            out.append(r)
    return out


def client_open_cents(uow: UnitOfWork, client_id: int) -> int:
    """What a client owes now: the sum of :func:`open_invoices` of that client (writes nothing)."""
    return sum(r["open_cents"] for r in open_invoices(uow, client_id=client_id))


def debtors(uow: UnitOfWork, as_of: date) -> dict[str, Any]:
    """The open invoices on ``as_of`` by age past their due date, with totals per bucket (audited).

    ``invoices``: one row per invoice (``invoice``, ``client``, ``name`` (the
    name it was addressed to), ``invoice_date``, ``due_date``,
    ``days_overdue`` (negative: not yet due), ``bucket``, ``status``,
    ``open_cents``, ``restricted``), the longest overdue first. ``buckets``:
    ``{name: {"count", "open_cents"}}`` for every bucket; ``open_cents``: the
    total. Invoices dated after ``as_of`` are left out.
    """
    term = payment_term(uow)
    rows = []
    for r in open_invoices(uow, as_of=as_of):
        due = due_date(r["invoice_date"], term)
        days = days_overdue(due, as_of)
        rows.append({"invoice": r["number"], "client": r["client"], "name": r["customer_name"],
                     "invoice_date": r["invoice_date"].isoformat(), "due_date": due.isoformat(),
                     "days_overdue": days, "bucket": bucket(days), "status": r["status"],
                     "open_cents": r["open_cents"], "restricted": r["restricted"]})
    rows.sort(key=lambda r: (-r["days_overdue"], r["invoice"]))
    buckets = {name: {"count": 0, "open_cents": 0} for name, _ in BUCKETS}
    for r in rows:
        buckets[r["bucket"]]["count"] += 1
        buckets[r["bucket"]]["open_cents"] += r["open_cents"]
    restricted = [r["invoice"] for r in rows if r["restricted"]]
    audit.record(uow, "debtors.list", "invoice", restricted,
                 {"as_of": as_of.isoformat(), "count": len(rows), "restricted": len(restricted)})
    uow.commit()
    return {"as_of": as_of.isoformat(), "payment_term_days": term, "invoices": rows, "buckets": buckets,
            "open_cents": sum(r["open_cents"] for r in rows)}


def cashup(uow: UnitOfWork, day: date) -> dict[str, Any]:
    """The money of one day (audited: the date and counts).

    The day's invoices and credit notes (a credit note counts negative) by
    how they were to be paid (``by_method``: cash, pin, account) and per VAT
    rate (``by_vat_rate``: the VAT of each document rounded once per rate,
    as on the document); and the payments received that day by method
    (cash, pin, transfer: ``received_by_method``), the refunds paid out
    (``refunded_by_method``, positive amounts) and the payments of that day
    voided since (``voided_payments``, ``voided_cents``: they count nowhere).
    ``cash_cents`` is the cash that went into the till (cash received minus
    cash refunded).
    """
    iso = day.isoformat()
    i, ln, p = _INVOICE, _LINE, _PAYMENT
    docs = uow.execute(select(i.c.id, i.c.kind, i.c.payment_method, i.c.net_cents, i.c.vat_cents,
                              i.c.gross_cents).where(i.c.invoice_date == iso)).mappings().all()
    by_method = dict.fromkeys(PAYMENT_METHODS, 0)
    for d in docs:
        by_method[d["payment_method"]] = by_method.get(d["payment_method"], 0) + int(d["gross_cents"])
    lines: dict[int, list[money.Line]] = {}
    for r in uow.execute(select(ln.c.invoice_id, ln.c.description, ln.c.quantity, ln.c.unit_price_cents,
                                ln.c.vat_rate, ln.c.vat_category)
                         .select_from(ln.join(i, i.c.id == ln.c.invoice_id))
                         .where(i.c.invoice_date == iso).order_by(ln.c.invoice_id, ln.c.position)):
        lines.setdefault(r.invoice_id, []).append(
            money.Line(r.description, Decimal(str(r.quantity)), int(r.unit_price_cents), int(r.vat_rate),
                       r.vat_category))
    rates: dict[int, list[int]] = {}
    for own in lines.values():
        for rt in money.compute_totals(own).per_rate:
            acc = rates.setdefault(rt.rate, [0, 0])
            acc[0] += rt.net_cents
            acc[1] += rt.vat_cents
    by_vat_rate = [{"rate": rate, "net_cents": net, "vat_cents": vat, "gross_cents": net + vat}
                   for rate, (net, vat) in sorted(rates.items(), reverse=True)]

    received = dict.fromkeys(PAY_METHODS, 0)
    refunded = dict.fromkeys(PAY_METHODS, 0)
    voided, voided_cents, count = 0, 0, 0
    for r in uow.execute(select(p.c.amount_cents, p.c.method, p.c.voided_at).where(p.c.paid_on == iso)):
        amount = int(r.amount_cents)
        if r.voided_at is not None:
            voided += 1
            voided_cents += amount
            continue
        count += 1
        into = received if amount >= 0 else refunded
        into[r.method] = into.get(r.method, 0) + abs(amount)
    invoices = sum(1 for d in docs if d["kind"] == KIND_INVOICE)
    credit_notes = sum(1 for d in docs if d["kind"] == KIND_CREDIT_NOTE)
    result = {
        "date": iso,
        "invoices": invoices,
        "credit_notes": credit_notes,
        "net_cents": sum(int(d["net_cents"]) for d in docs),
        "vat_cents": sum(int(d["vat_cents"]) for d in docs),
        "gross_cents": sum(int(d["gross_cents"]) for d in docs),
        "invoiced_cents": sum(int(d["gross_cents"]) for d in docs if d["kind"] == KIND_INVOICE),
        "credited_cents": sum(int(d["gross_cents"]) for d in docs if d["kind"] == KIND_CREDIT_NOTE),
        "by_method": by_method,
        "by_vat_rate": by_vat_rate,
        "payments": count,
        "received_by_method": received,
        "refunded_by_method": refunded,
        "received_cents": sum(received.values()) - sum(refunded.values()),
        "cash_cents": received.get("cash", 0) - refunded.get("cash", 0),
        "voided_payments": voided,
        "voided_cents": voided_cents,
    }
    audit.record(uow, "cashup", "invoice", [],
                 {"date": iso, "invoices": invoices, "credit_notes": credit_notes, "payments": count})
    uow.commit()
    return result

