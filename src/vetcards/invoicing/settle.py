"""After issue: payments, collection and credit notes (SPEC §3, §8).

An issued invoice is never edited or deleted: only its ``status`` moves
(open -> paid / in_collection / credited). Corrections are credit notes: a
new invoice row (``kind='credit_note'``) with its own number, every line's
unit price negated, so its totals are exactly the negation. States and their
labels are those of :mod:`vetcards.vocab`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

from sqlalchemy import func, select
from sqlmodel import select as orm_select

from .. import audit, money, validation
from ..daybook import refundable_cents
from ..errors import Conflict, InvalidInput, NotFound, shown_ref
from ..models import Invoice, Payment, SQLModel, utcnow
from ..refs import format_invoice_number, parse
from ..vocab import KIND_CREDIT_NOTE, OPEN_STATES, PAY_METHODS, label, rule_one_of
from .issue import (
    BULK_INVOICE,
    Issued,
    check_date,
    check_issue_date,
    line_rows,
    next_id,
    next_seq,
    practice_snapshot,
    write_documents,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..db import UnitOfWork

__all__ = ["collect", "credit", "get_invoice", "lines_of", "paid_cents", "pay_invoice", "refund", "totals_of",
           "void_payment"]

_INVOICE = SQLModel.metadata.tables["invoice"]
_PAYMENT = SQLModel.metadata.tables["payment"]


def lines_of(invoice: Invoice) -> list[money.Line]:
    """The stored lines of an invoice as :class:`money.Line` objects."""
    return [
        money.Line(line.description, Decimal(line.quantity), line.unit_price_cents, line.vat_rate,
                   line.vat_category)
        for line in sorted(invoice.lines, key=lambda line: line.position)
    ]


def totals_of(invoice: Invoice) -> money.Totals:
    """Totals per VAT rate, computed again from the stored lines."""
    return money.compute_totals(lines_of(invoice))


def paid_cents(uow: UnitOfWork, invoice_id: Optional[int]) -> int:
    """The sum of the live (not voided) payments on an invoice, in cents; on a credit note minus its refunds."""
    stmt = select(func.coalesce(func.sum(_PAYMENT.c.amount_cents), 0)).where(
        _PAYMENT.c.invoice_id == invoice_id, _PAYMENT.c.voided_at.is_(None))
    return int(uow.execute(stmt).scalar_one())


def get_invoice(uow: UnitOfWork, ref: str, *, include_restricted: bool = False) -> Invoice:
    """Find an invoice or credit note by number (``2026-00042``) or id."""
    how, value = parse(ref, "invoice")
    invoice = uow.exec(orm_select(Invoice).where(
        Invoice.id == value if how == "id" else Invoice.number == value)).first()
    if invoice is None or (invoice.restricted and not include_restricted):
        raise NotFound(f"invoice {shown_ref(ref)} not found")
    return invoice


def _issued_document(uow: UnitOfWork, ref: str, on: Optional[date], today: Optional[date],
                     if_credit_note: str) -> tuple[Invoice, date]:
    """The invoice ``ref`` names and the date of what is done to it (default today).

    A credit note is refused with ``if_credit_note`` (``{number}`` filled in).
    """
    day = check_date(on, today or date.today())
    invoice = get_invoice(uow, ref)
    if invoice.kind == KIND_CREDIT_NOTE:
        raise Conflict(if_credit_note.format(number=invoice.number))
    return invoice, day


def _amount_and_method(amount_str: str, method: Optional[str]) -> tuple[int, str]:
    """The amount (cents) and method of money paid in or back: ``--amount`` and ``--method``."""
    amount = money.parse_amount(amount_str, "--amount")
    method_ = (method or "").strip().lower()
    if method_ not in PAY_METHODS:
        raise InvalidInput("--method", rule_one_of(PAY_METHODS))
    return amount, method_


def pay_invoice(
    uow: UnitOfWork,
    ref: str,
    amount_str: str,
    method: str = "transfer",
    on: Optional[date] = None,
    *,
    today: Optional[date] = None,
) -> tuple[Invoice, Payment, int]:
    """Record a (partial) payment; returns (invoice, payment, balance left in cents).

    Overpayment is refused; when the balance reaches zero the invoice is paid.
    Credit notes and credited invoices take no payments.
    """
    amount, method_ = _amount_and_method(amount_str, method)
    invoice, paid_on = _issued_document(
        uow, ref, on, today, "invoice {number} is a credit note; it takes no payments")
    if invoice.status == "credited":
        raise Conflict(f"invoice {invoice.number} is credited; it takes no payments")
    if paid_on < invoice.invoice_date:
        raise InvalidInput("--date", "must not be before the invoice date")
    owed = invoice.gross_cents - paid_cents(uow, invoice.id)
    if owed <= 0:
        raise Conflict(f"invoice {invoice.number} is already paid")
    if amount > owed:
        raise InvalidInput(
            "--amount", f"exceeds the amount still owed ({money.format_cents(owed)}); overpayment is refused"
        )
    payment = Payment(invoice_id=invoice.id or 0, paid_on=paid_on, amount_cents=amount, method=method_)
    uow.add(payment)
    balance = owed - amount
    if balance == 0:
        invoice.status = "paid"
        uow.add(invoice)
    uow.flush()
    audit.record(
        uow, "invoice.pay", "invoice", [invoice.number],
        {"amount_cents": amount, "method": method_, "balance_cents": balance, "status": invoice.status},
    )
    uow.commit()
    return invoice, payment, balance


def collect(uow: UnitOfWork, ref: str, *, today: Optional[date] = None) -> tuple[Invoice, int]:
    """Hand an open invoice over for collection on ``today``; returns (invoice, balance in cents)."""
    invoice = get_invoice(uow, ref)
    if invoice.kind == KIND_CREDIT_NOTE:
        raise Conflict(f"invoice {invoice.number} is a credit note; it cannot be collected")
    if invoice.status != "open":
        state = label("invoice_state", invoice.status, "en")
        raise Conflict(f"invoice {invoice.number} is {state}; only an open invoice can go to collection")
    balance = invoice.gross_cents - paid_cents(uow, invoice.id)
    invoice.status = "in_collection"
    invoice.collected_on = today or date.today()
    uow.add(invoice)
    uow.flush()
    audit.record(uow, "invoice.collect", "invoice", [invoice.number], {"balance_cents": balance})
    uow.commit()
    return invoice, balance


def _number_of(uow: UnitOfWork, table_name: str, row_id: Optional[int]) -> Optional[str]:
    if row_id is None:
        return None
    table = SQLModel.metadata.tables[table_name]
    number = uow.execute(select(table.c.number).where(table.c.id == row_id)).scalar()
    return None if number is None else str(number)


def credit(
    uow: UnitOfWork,
    ref: str,
    reason: Optional[str] = None,
    *,
    on: Optional[date] = None,
    today: Optional[date] = None,
) -> tuple[Issued, Invoice]:
    """Correct an invoice with a credit note; returns (credit note, original).

    The credit note gets its own next number (in the year of its date), the
    original's customer snapshot, the practice's current details, every line
    with its unit price negated (so every total is exactly the negation), and
    ``credits_invoice_id``. Its date follows the issue-date rules of an
    invoice (:func:`~vetcards.invoicing.issue.issue_date_rule`). The
    original's status becomes ``credited``; its rows are not otherwise touched.
    """
    reason_text = validation.text(reason, field="--reason", max_len=500, required=False)
    original, credit_date = _issued_document(
        uow, ref, on, today, "{number} is a credit note; a credit note cannot be credited")
    if original.status == "credited":
        raise Conflict(f"invoice {original.number} is already credited")
    already = uow.execute(
        select(func.count()).select_from(_INVOICE).where(_INVOICE.c.credits_invoice_id == original.id)
    ).scalar_one()
    if already:  # pragma: no cover - status says so too; belt and braces
        raise Conflict(f"invoice {original.number} is already credited")
    if credit_date < original.invoice_date:
        raise InvalidInput("--date", "must not be before the date of the invoice it credits")
    check_issue_date(uow, credit_date)

    negated = [line.negated() for line in lines_of(original)]
    totals = money.compute_totals(negated)
    if (totals.net_cents, totals.vat_cents, totals.gross_cents) != (
        -original.net_cents, -original.vat_cents, -original.gross_cents
    ):  # pragma: no cover - money's rounding is symmetric; this guards stored data
        raise Conflict(f"invoice {original.number}: stored totals do not match its lines; not credited")
    supplier = practice_snapshot(uow)

    year = credit_date.year
    seq = next_seq(uow, year)
    number = format_invoice_number(year, seq)
    note_id = next_id(uow)
    note = BULK_INVOICE.row(
        id=note_id, number=number, year=year, seq=seq, kind=KIND_CREDIT_NOTE,
        credits_invoice_id=original.id, client_id=original.client_id, pet_id=original.pet_id,
        invoice_date=credit_date, supply_date=None, payment_method=original.payment_method, status="credited",
        collected_on=None,
        customer_name=original.customer_name, customer_street=original.customer_street,
        customer_postcode=original.customer_postcode, customer_city=original.customer_city,
        customer_country=original.customer_country,
        customer_birth_date=original.customer_birth_date, **supplier,
        net_cents=totals.net_cents, vat_cents=totals.vat_cents, gross_cents=totals.gross_cents,
        reason=reason_text, restricted=False, created_at=utcnow(),
    )
    write_documents(uow, [note], line_rows(note_id, negated))
    original.status = "credited"
    uow.add(original)
    uow.flush()
    audit.record(
        uow, "invoice.credit", "invoice", [number, original.number],
        {
            "lines": len(negated),
            "net_cents": totals.net_cents,
            "vat_cents": totals.vat_cents,
            "gross_cents": totals.gross_cents,
            "paid_cents": paid_cents(uow, original.id),
            "reason_given": reason_text is not None,
        },
    )
    client_number = _number_of(uow, "client", original.client_id)
    pet_number = _number_of(uow, "pet", original.pet_id)
    uow.commit()
    issued = Issued(note_id, number, year, seq, KIND_CREDIT_NOTE, "credited", credit_date,
                    original.payment_method, client_number, pet_number, tuple(negated), totals,
                    credits_number=original.number)
    return issued, original


def _refunded_cents(uow: UnitOfWork, note_id: Optional[int]) -> int:
    """What was refunded on a credit note so far (live refunds), as a positive amount."""
    return -paid_cents(uow, note_id)


def _original_of(uow: UnitOfWork, note: Invoice) -> Optional[Invoice]:
    return None if note.credits_invoice_id is None else uow.get(Invoice, note.credits_invoice_id)


def _note_of(uow: UnitOfWork, invoice: Invoice) -> Optional[Invoice]:
    return uow.exec(orm_select(Invoice).where(Invoice.credits_invoice_id == invoice.id)).first()


def void_payment(
    uow: UnitOfWork,
    ref: str,
    payment_id: str,
    reason: Optional[str],
) -> tuple[Invoice, Payment, int]:
    """Void a payment (or a refund) booked in error, with a reason (SPEC §9); returns
    (invoice, payment, balance left in cents).

    The payment row stays, marked (``voided_at``, ``void_reason``); from now
    on it counts nowhere. A paid invoice that is no longer paid in full is
    owed again: back in collection when it had been handed over
    (``collected_on``), else open (an invoice in collection stays there). A payment on an
    invoice whose credit note has refunds cannot be voided while the refunds
    would then exceed what was paid (void the refund first).
    """
    reason_text = validation.text(reason, field="--reason", max_len=500)
    invoice = get_invoice(uow, ref)
    value = str(payment_id).strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise InvalidInput("PAYMENT", "must be the payment's number as invoice show lists it (id)")
    payment = uow.get(Payment, int(value))
    if payment is None or payment.invoice_id != invoice.id:
        raise NotFound(f"payment {int(value)} not found on invoice {invoice.number} "
                       f"(invoice show {invoice.number} lists its payments)")
    if payment.voided_at is not None:
        raise Conflict(f"payment {payment.id} on invoice {invoice.number} is already voided")
    paid_after = paid_cents(uow, invoice.id) - payment.amount_cents
    if invoice.kind != KIND_CREDIT_NOTE:
        note = _note_of(uow, invoice) if invoice.status == "credited" else None
        refunded = _refunded_cents(uow, note.id) if note is not None else 0
        if refunded > max(paid_after, 0):
            raise Conflict(f"credit note {note.number if note else ''} refunds "
                           f"{money.format_cents(refunded)} of this payment; void that refund first")
        if invoice.status == "paid" and paid_after < invoice.gross_cents:
            invoice.status = "open" if invoice.collected_on is None else "in_collection"
            uow.add(invoice)
    payment.voided_at = utcnow()
    payment.void_reason = reason_text
    uow.add(payment)
    uow.flush()
    balance = invoice.gross_cents - paid_after if invoice.status in OPEN_STATES else 0
    audit.record(
        uow, "payment.void", "invoice", [invoice.number],
        {"payment_id": payment.id, "amount_cents": payment.amount_cents, "method": payment.method,
         "balance_cents": balance, "status": invoice.status},
    )
    uow.commit()
    return invoice, payment, balance


def refund(
    uow: UnitOfWork,
    ref: str,
    amount_str: str,
    method: str,
    on: Optional[date] = None,
    *,
    today: Optional[date] = None,
) -> tuple[Invoice, Payment, int]:
    """Record money paid back to the client on a credit note (SPEC §9); returns
    (credit note, refund, what can still be refunded in cents).

    A refund is a payment with a negative amount on the credit note. All
    refunds together never exceed the credit note's total, nor what was paid
    (live payments) on the invoice it corrects.
    """
    amount, method_ = _amount_and_method(amount_str, method)
    day = check_date(on, today or date.today())
    note = get_invoice(uow, ref)
    if note.kind != KIND_CREDIT_NOTE:
        raise Conflict(f"invoice {note.number} is not a credit note; a refund is recorded on the credit note "
                       "that corrects the invoice (invoice credit)")
    if day < note.invoice_date:
        raise InvalidInput("--date", "must not be before the date of the credit note")
    original = _original_of(uow, note)
    paid = paid_cents(uow, original.id) if original is not None else 0
    refunded = _refunded_cents(uow, note.id)
    limit = refundable_cents(-note.gross_cents, paid, refunded)
    if limit == 0:
        why = "was refunded in full" if refunded else "corrects an invoice that was not paid"
        raise Conflict(f"credit note {note.number} {why}; nothing to refund")
    if amount > limit:
        raise InvalidInput("--amount", f"exceeds what can still be refunded ({money.format_cents(limit)})")
    payment = Payment(invoice_id=note.id or 0, paid_on=day, amount_cents=-amount, method=method_)
    uow.add(payment)
    uow.flush()
    left = limit - amount
    audit.record(
        uow, "invoice.refund", "invoice", [note.number] + ([original.number] if original is not None else []),
        {"payment_id": payment.id, "amount_cents": -amount, "method": method_, "refundable_cents": left},
    )
    uow.commit()
    return note, payment, left
