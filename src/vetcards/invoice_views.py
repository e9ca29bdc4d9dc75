"""Read models of invoices: the invoice card and the invoice list.

Plain SQL over SQLAlchemy Core, like :mod:`views` (no ORM, no SQLModel), so
``invoice show`` and ``invoice list`` start fast.

Restricted invoices (GDPR art. 18: kept only for a hold, SPEC §4, §5) are
hidden from the normal list: those kept detached under the fiscal hold, and
the unpaid invoices of an erased client (kept linked for the claim). They are
read only for their purpose: ``invoice show`` shows one (``restricted:
true``; audited as ``invoice.fiscal_read``) and ``invoice list --restricted``
lists them (audited as ``invoice.list.restricted``).

Payments count while they are not voided (:mod:`vetcards.daybook`, the one
rule for what is owed): ``paid`` and ``balance`` leave a voided payment out;
the card lists every payment with its ``id`` (what ``invoice void-payment``
takes), a voided one marked (``voided``, ``voided_on``, ``void_reason``). A
credit note's card also has ``refunded`` and ``refundable``.

Amounts are integer cents (``*_cents``); each also comes formatted as a
string with two decimals (``net``, ``vat``, ``total`` ...) for people.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import bindparam, text

from . import audit, daybook, refs
from .errors import InvalidInput, UsageError
from .vocab import (
    DEFAULT_COUNTRY,
    KIND_CREDIT_NOTE,
    KIND_INVOICE,
    OPEN_STATES,
    VAT_CATEGORIES,
    ZERO_VAT_CATEGORIES,
    codes,
    label,
    rule_one_of,
)

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

__all__ = [
    "CARD_FIELDS",
    "LINE_COLUMNS",
    "LIST_COLUMNS",
    "PAYMENT_COLUMNS",
    "REFUND_FIELDS",
    "STATEMENT_COLUMNS",
    "VAT_COLUMNS",
    "card_fields",
    "invoice_card",
    "invoice_state",
    "list_invoices",
    "vat_statements",
    "write_pdf",
]

#: The card's own fields, in the order people read them.
CARD_FIELDS = (
    "number", "kind", "invoice_date", "status", "payment_method", "due_date", "client", "pet",
    "customer_name", "customer_street", "customer_postcode", "customer_city", "customer_country",
    "supplier_name", "supplier_address", "supplier_vat_number", "supplier_kvk", "supplier_iban",
    "credits", "credited_by", "reason", "net", "vat", "total", "paid", "balance",
)
#: A credit note's extra fields: refunded so far, and what can still be refunded.
REFUND_FIELDS = ("refunded", "refundable")
LIST_COLUMNS = ("number", "invoice_date", "kind", "status", "client", "pet", "customer_name",
                "payment_method", "total", "paid", "balance", "due_date")
LINE_COLUMNS = ("position", "description", "quantity", "unit_price", "vat_rate", "net")
VAT_COLUMNS = ("rate", "net", "vat", "gross")
#: ``id`` is the number ``invoice void-payment`` takes; a voided payment is listed, marked.
PAYMENT_COLUMNS = ("id", "paid_on", "amount", "method", "voided_on", "void_reason")
STATEMENT_COLUMNS = ("category", "statement")


def card_fields(card: dict[str, Any]) -> tuple[str, ...]:
    """The card's fields for people: the date of supply only when it differs from the invoice date;
    a credit note's refunds."""
    fields: tuple[str, ...] = CARD_FIELDS
    if card.get("customer_country") in (None, DEFAULT_COUNTRY):
        fields = tuple(f for f in fields if f != "customer_country")
    if card.get("supply_date"):
        at = CARD_FIELDS.index("invoice_date") + 1
        fields = fields[:at] + ("supply_date",) + fields[at:]
    if card.get("kind") == KIND_CREDIT_NOTE:
        fields += REFUND_FIELDS
    return fields


def vat_statements(categories: Any) -> list[dict[str, str]]:
    """The Dutch statement of each 0 % category present (SPEC §3), in :data:`VAT_CATEGORIES` order."""
    present = set(categories)
    return [{"category": c, "statement": label("vat_category", c)}
            for c in VAT_CATEGORIES if c in present and c in ZERO_VAT_CATEGORIES]


def _rows(uow: UnitOfWork, sql: str, **params: Any) -> list[dict[str, Any]]:
    stmt = text(sql)
    if "open_states" in params:
        stmt = stmt.bindparams(bindparam("open_states", expanding=True))
    return [dict(r._mapping) for r in uow.execute(stmt, params)]


def _fmt(cents: Optional[int]) -> Optional[str]:
    """Cents as ``"-12.34"`` (:func:`money.format_cents`), None stays None."""
    from .money import format_cents

    return None if cents is None else format_cents(int(cents))


def _due_date(invoice_date: Any, method: str, kind: str, status: str, term: int) -> Optional[str]:
    """The due date of an invoice on account, or of any invoice still owed (a voided pin payment)."""
    if kind != KIND_INVOICE or invoice_date is None or (method != "account" and status not in OPEN_STATES):
        return None
    d = date.fromisoformat(str(invoice_date)) if not isinstance(invoice_date, date) else invoice_date
    return daybook.due_date(d, term).isoformat()


#: The live (not voided) payments of invoice ``{of}``, in cents.
_PAID_SQL = ("(SELECT coalesce(sum(amount_cents), 0) FROM payment WHERE invoice_id = {of} AND "
             + daybook.LIVE_PAYMENT + ")")


_HEADER_SQL = """
SELECT i.id, i.number, i.kind, i.invoice_date, i.supply_date, i.status, i.payment_method,
       c.number AS client, p.number AS pet,
       i.customer_name, i.customer_street, i.customer_postcode, i.customer_city, i.customer_country,
       i.customer_birth_date,
       i.supplier_name, i.supplier_address, i.supplier_vat_number, i.supplier_kvk,
       i.supplier_iban,
       o.number AS credits, o.invoice_date AS credits_date,
       (SELECT n.number FROM invoice n WHERE n.credits_invoice_id = i.id
         ORDER BY n.id LIMIT 1) AS credited_by,
       i.reason, i.net_cents, i.vat_cents, i.gross_cents,
       {paid} AS paid_cents, {paid_original} AS credits_paid_cents,
       {restricted} AS restricted
  FROM invoice i
  LEFT JOIN client c ON c.id = i.client_id
  LEFT JOIN pet p ON p.id = i.pet_id
  LEFT JOIN invoice o ON o.id = i.credits_invoice_id
 WHERE i.id = :iid
"""


#: An invoice is restricted: kept detached for the fiscal hold, or its client's card kept for a claim.
_RESTRICTED_SQL = "(i.restricted = 1 OR coalesce(c.restricted, 0) = 1)"
_HEADER_SQL = _HEADER_SQL.format(restricted=_RESTRICTED_SQL, paid=_PAID_SQL.format(of="i.id"),
                                 paid_original=_PAID_SQL.format(of="i.credits_invoice_id"))
_balance = daybook.open_cents


def invoice_card(uow: UnitOfWork, ref: str) -> dict[str, Any]:
    """One invoice or credit note: header, snapshots, lines, totals per VAT rate,
    payments, balance. The view is audited (the number only) and committed.

    A restricted invoice (kept for a hold) is shown too, for the purpose it is
    kept for: ``restricted`` is True and the read is audited as
    ``invoice.fiscal_read``.
    """
    card = _card(uow, ref, include_restricted=True)
    action = "invoice.fiscal_read" if card["restricted"] else "invoice.view"
    audit.record(uow, action, "invoice", [card["number"]])
    uow.commit()
    return card


def write_pdf(uow: UnitOfWork, ref: str, out: Path, lang: str = "nl") -> tuple[dict[str, Any], Path]:
    """Write the PDF of one invoice or credit note to ``out`` (mode 0600); returns the card and the path.

    A PDF is a copy of personal data outside the encrypted file: it is audited
    (number and format) and committed only once the file is written.
    """
    from . import invoice_pdf

    card = _card(uow, ref)
    path = invoice_pdf.write_pdf(card, out, lang=lang)
    audit.record(uow, "invoice.pdf", "invoice", [card["number"]], {"format": "pdf"})
    uow.commit()
    return card, path


def _card(uow: UnitOfWork, ref: str, *, include_restricted: bool = False) -> dict[str, Any]:
    from decimal import Decimal

    from . import money

    iid = refs.find_id(uow, "invoice", ref, include_restricted=include_restricted)
    card = _rows(uow, _HEADER_SQL, iid=iid)[0]
    card["restricted"] = bool(card["restricted"])
    term = daybook.payment_term(uow)
    lines = _rows(
        uow,
        "SELECT position, description, quantity, unit_price_cents, vat_rate, vat_category, net_cents "
        "FROM invoice_line WHERE invoice_id = :iid ORDER BY position, id",
        iid=iid,
    )
    totals = money.compute_totals(
        money.Line(l["description"], Decimal(l["quantity"]), l["unit_price_cents"], l["vat_rate"],
                   l["vat_category"])
        for l in lines
    )
    for l in lines:
        l["unit_price"] = _fmt(l["unit_price_cents"])
        l["net"] = _fmt(l["net_cents"])
    card["lines"] = lines
    card["vat_statements"] = vat_statements(l["vat_category"] for l in lines)
    card["vat_rates"] = [
        {"rate": rt.rate, "net_cents": rt.net_cents, "vat_cents": rt.vat_cents,
         "gross_cents": rt.gross_cents, "net": _fmt(rt.net_cents), "vat": _fmt(rt.vat_cents),
         "gross": _fmt(rt.gross_cents)}
        for rt in totals.per_rate
    ]
    # The stored totals are what was issued; the lines must agree with them.
    card["totals_match_lines"] = (totals.net_cents, totals.vat_cents, totals.gross_cents) == (
        card["net_cents"], card["vat_cents"], card["gross_cents"]
    )
    card["payments"] = [
        dict(r, amount=_fmt(r["amount_cents"]), voided=r["voided_at"] is not None,
             voided_on=str(r["voided_at"])[:10] if r["voided_at"] else None)
        for r in _rows(uow, "SELECT id, paid_on, amount_cents, method, voided_at, void_reason FROM payment "
                             "WHERE invoice_id = :iid ORDER BY paid_on, id", iid=iid)
    ]
    credits_paid = card.pop("credits_paid_cents")
    if card["kind"] == KIND_CREDIT_NOTE:
        card["refunded_cents"] = -card["paid_cents"]
        card["refundable_cents"] = daybook.refundable_cents(-card["gross_cents"], credits_paid,
                                                            card["refunded_cents"])
        card["refunded"] = _fmt(card["refunded_cents"])
        card["refundable"] = _fmt(card["refundable_cents"])
    card["balance_cents"] = _balance(card["status"], card["gross_cents"], card["paid_cents"])
    card["due_date"] = _due_date(card["invoice_date"], card["payment_method"], card["kind"], card["status"],
                                 term)
    card["net"] = _fmt(card["net_cents"])
    card["vat"] = _fmt(card["vat_cents"])
    card["total"] = _fmt(card["gross_cents"])
    card["paid"] = _fmt(card["paid_cents"])
    card["balance"] = _fmt(card["balance_cents"])
    return card


def invoice_state(value: str) -> str:
    """An invoice state as typed (``in_collection``, ``In collection``); raises
    :class:`InvalidInput` naming ``--status``."""
    from .rules import normalise_state

    try:
        return normalise_state(value)
    except InvalidInput:
        raise InvalidInput("--status", rule_one_of(codes("invoice_state"))) from None


def list_invoices(
    uow: UnitOfWork,
    *,
    client: Optional[str] = None,
    pet: Optional[str] = None,
    status: Optional[str] = None,
    year: Optional[int] = None,
    overdue: bool = False,
    today: Optional[date] = None,
    restricted: bool = False,
    on: Optional[date] = None,
    from_: Optional[date] = None,
    to: Optional[date] = None,
) -> list[dict[str, Any]]:
    """Invoices and credit notes, oldest first, with filters.

    ``on``: dated that day; ``from_``/``to``: dated in that range (both ends
    included; either may be left open); ``on`` with a range is a usage error.
    ``status``: a state's code (``in_collection``, also ``in collection``).
    Without ``restricted`` the invoices that are not restricted; with it only
    the restricted ones (kept for the fiscal hold, or for a claim on an
    erased client), for the purpose they are kept for.
    ``overdue``: open or in collection, and the invoice date plus the
    practice's payment term (``payment_term_days``) is before ``today``.
    The listing is audited (the count; ``invoice.list.restricted`` for the
    restricted ones) and committed.
    """
    sql = (
        "SELECT i.id, i.number, i.invoice_date, i.kind, i.status, c.number AS client, "
        "p.number AS pet, i.customer_name, i.payment_method, i.gross_cents, "
        f"{_PAID_SQL.format(of='i.id')} AS paid_cents "
        "FROM invoice i LEFT JOIN client c ON c.id = i.client_id "
        f"LEFT JOIN pet p ON p.id = i.pet_id WHERE {'' if restricted else 'NOT '}{_RESTRICTED_SQL}"
    )
    params: dict[str, Any] = {}
    if client is not None:
        params["cid"] = refs.find_id(uow, "client", client, include_restricted=restricted)
        sql += " AND i.client_id = :cid"
    if pet is not None:
        params["pid"] = refs.find_id(uow, "pet", pet)
        sql += " AND i.pet_id = :pid"
    if status is not None:
        params["status"] = invoice_state(status)
        sql += " AND i.status = :status"
    if on is not None and (from_ is not None or to is not None):
        raise UsageError("give --date or --from/--to, not both")
    if from_ is not None and to is not None and from_ > to:
        raise InvalidInput("--from", "must not be after --to")
    for key, value, op in (("on", on, "="), ("from_", from_, ">="), ("to", to, "<=")):
        if value is not None:
            params[key] = value.isoformat()
            sql += f" AND i.invoice_date {op} :{key}"
    if year is not None:
        if not 1900 <= int(year) <= 9999:
            raise InvalidInput("--year", "must be a year like 2026")
        params["year"] = int(year)
        sql += " AND i.year = :year"
    term = daybook.payment_term(uow)
    if overdue:
        today = today or date.today()
        params["cutoff"] = (today - timedelta(days=term)).isoformat()
        params["open_states"] = list(OPEN_STATES)
        sql += " AND i.status IN :open_states AND i.invoice_date < :cutoff"
    sql += " ORDER BY i.year, i.seq"
    out = []
    for r in _rows(uow, sql, **params):
        r["balance_cents"] = _balance(r["status"], r["gross_cents"], r["paid_cents"])
        r["total"] = _fmt(r["gross_cents"])
        r["paid"] = _fmt(r["paid_cents"])
        r["balance"] = _fmt(r["balance_cents"])
        r["due_date"] = _due_date(r["invoice_date"], r["payment_method"], r["kind"], r["status"], term)
        out.append(r)
    audit.record(uow, "invoice.list.restricted" if restricted else "invoice.list", "invoice", [],
                 {"count": len(out)})
    uow.commit()
    return out
