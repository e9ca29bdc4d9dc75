"""Read models of invoices: the invoice card and the invoice list.

Plain SQL over SQLAlchemy Core, like :mod:`views` (no ORM, no SQLModel), so
``invoice show`` and ``invoice list`` start fast. Restricted invoices (kept
only for a fiscal hold, GDPR art. 18) never appear here.

Amounts are integer cents (``*_cents``); each also comes formatted as a
string with two decimals (``net``, ``vat``, ``total`` ...) for people.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Optional

from sqlalchemy import text

from .errors import InvalidInput, NotFound, shown_ref

__all__ = [
    "CARD_FIELDS",
    "LIST_COLUMNS",
    "invoice_card",
    "invoice_id",
    "list_invoices",
    "parse_invoice_ref",
]

OPEN_STATES = ("open", "in_collection")

#: The card's own fields, in the order people read them.
CARD_FIELDS = (
    "number", "kind", "invoice_date", "status", "payment_method", "due_date", "client", "pet",
    "customer_name", "customer_street", "customer_postcode", "customer_city",
    "supplier_name", "supplier_address", "supplier_vat_number", "supplier_kvk", "supplier_iban",
    "credits", "credited_by", "reason", "net", "vat", "total", "paid", "balance",
)
LIST_COLUMNS = ("number", "invoice_date", "kind", "status", "client", "pet", "customer_name",
                "payment_method", "total", "paid", "balance", "due_date")
LINE_COLUMNS = ("position", "description", "quantity", "unit_price", "vat_rate", "net")
VAT_COLUMNS = ("rate", "net", "vat", "gross")
PAYMENT_COLUMNS = ("paid_on", "amount", "method")


def _rows(conn: Any, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def _fmt(cents: Optional[int]) -> Optional[str]:
    """Cents as ``"-12.34"`` (as :func:`money.format_cents`; kept here so that
    ``invoice list`` need not import :mod:`decimal`)."""
    if cents is None:
        return None
    cents = int(cents)
    euros, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{euros}.{rest:02d}"


def format_number(year: int, seq: int) -> str:
    """``(2026, 42)`` -> ``"2026-00042"``."""
    return f"{year:04d}-{seq:05d}"


_REF_NUMBER = re.compile(r"([0-9]{4})-([0-9]{5,})", re.ASCII)


def parse_invoice_ref(ref: str) -> tuple[str, Any]:
    """``"12"`` -> ("id", 12); ``"2026-00042"`` -> ("number", "2026-00042")."""
    value = str(ref).strip()
    if value.isascii() and value.isdigit():
        return "id", int(value)
    match = _REF_NUMBER.fullmatch(value)
    if match is None:
        raise InvalidInput("INVOICE", "must be an invoice number like 2026-00042 or a numeric id")
    return "number", format_number(int(match[1]), int(match[2]))


def _payment_term_days(conn: Any) -> int:
    value = conn.execute(
        text("SELECT value FROM practice_setting WHERE key = 'payment_term_days'")
    ).scalar()
    try:
        return int(value) if value is not None else 14
    except ValueError:  # pragma: no cover - settings.validate guards it
        return 14


def invoice_id(conn: Any, ref: str) -> int:
    """The id of a visible invoice by number (``2026-00042``) or numeric id."""
    how, value = parse_invoice_ref(ref)
    col = "id" if how == "id" else "number"
    row = conn.execute(
        text(f"SELECT id FROM invoice WHERE {col} = :v AND restricted = 0"), {"v": value}
    ).scalar()
    if row is None:
        raise NotFound(f"invoice {shown_ref(ref)} not found")
    return row


def _due_date(invoice_date: Any, method: str, kind: str, term: int) -> Optional[str]:
    if kind != "invoice" or method != "account" or invoice_date is None:
        return None
    d = date.fromisoformat(str(invoice_date)) if not isinstance(invoice_date, date) else invoice_date
    return (d + timedelta(days=term)).isoformat()


_HEADER_SQL = """
SELECT i.id, i.number, i.kind, i.invoice_date, i.status, i.payment_method,
       c.number AS client, p.number AS pet,
       i.customer_name, i.customer_street, i.customer_postcode, i.customer_city,
       i.customer_birth_date,
       i.supplier_name, i.supplier_address, i.supplier_vat_number, i.supplier_kvk,
       i.supplier_iban,
       o.number AS credits, o.invoice_date AS credits_date,
       (SELECT n.number FROM invoice n WHERE n.credits_invoice_id = i.id
         ORDER BY n.id LIMIT 1) AS credited_by,
       i.reason, i.net_cents, i.vat_cents, i.gross_cents,
       (SELECT coalesce(sum(amount_cents), 0) FROM payment WHERE invoice_id = i.id) AS paid_cents
  FROM invoice i
  LEFT JOIN client c ON c.id = i.client_id
  LEFT JOIN pet p ON p.id = i.pet_id
  LEFT JOIN invoice o ON o.id = i.credits_invoice_id
 WHERE i.id = :iid
"""


def _balance(status: str, gross: int, paid: int) -> int:
    """Money still owed: only an open invoice or one in collection owes any."""
    return gross - paid if status in OPEN_STATES else 0


def invoice_card(conn: Any, ref: str) -> dict[str, Any]:
    """One invoice or credit note: header, snapshots, lines, totals per VAT rate, payments, balance."""
    from decimal import Decimal

    from . import money

    iid = invoice_id(conn, ref)
    card = _rows(conn, _HEADER_SQL, iid=iid)[0]
    term = _payment_term_days(conn)
    lines = _rows(
        conn,
        "SELECT position, description, quantity, unit_price_cents, vat_rate, net_cents "
        "FROM invoice_line WHERE invoice_id = :iid ORDER BY position, id",
        iid=iid,
    )
    totals = money.compute_totals(
        money.Line(l["description"], Decimal(l["quantity"]), l["unit_price_cents"], l["vat_rate"])
        for l in lines
    )
    for l in lines:
        l["unit_price"] = _fmt(l["unit_price_cents"])
        l["net"] = _fmt(l["net_cents"])
    card["lines"] = lines
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
        dict(r, amount=_fmt(r["amount_cents"]))
        for r in _rows(conn, "SELECT paid_on, amount_cents, method FROM payment "
                             "WHERE invoice_id = :iid ORDER BY paid_on, id", iid=iid)
    ]
    card["balance_cents"] = _balance(card["status"], card["gross_cents"], card["paid_cents"])
    card["due_date"] = _due_date(card["invoice_date"], card["payment_method"], card["kind"], term)
    card["net"] = _fmt(card["net_cents"])
    card["vat"] = _fmt(card["vat_cents"])
    card["total"] = _fmt(card["gross_cents"])
    card["paid"] = _fmt(card["paid_cents"])
    card["balance"] = _fmt(card["balance_cents"])
    return card


def list_invoices(
    conn: Any,
    *,
    client: Optional[str] = None,
    pet: Optional[str] = None,
    status: Optional[str] = None,
    year: Optional[int] = None,
    overdue: bool = False,
    today: Optional[date] = None,
) -> list[dict[str, Any]]:
    """Invoices and credit notes (not restricted), oldest first, with filters.

    ``overdue``: open or in collection, and the invoice date plus the
    practice's payment term (``payment_term_days``) is before ``today``.
    """
    sql = (
        "SELECT i.id, i.number, i.invoice_date, i.kind, i.status, c.number AS client, "
        "p.number AS pet, i.customer_name, i.payment_method, i.gross_cents, "
        "(SELECT coalesce(sum(amount_cents), 0) FROM payment WHERE invoice_id = i.id) AS paid_cents "
        "FROM invoice i LEFT JOIN client c ON c.id = i.client_id "
        "LEFT JOIN pet p ON p.id = i.pet_id WHERE i.restricted = 0"
    )
    params: dict[str, Any] = {}
    if client is not None:
        from .views import client_id

        params["cid"] = client_id(conn, client)
        sql += " AND i.client_id = :cid"
    if pet is not None:
        from .views import pet_id

        params["pid"] = pet_id(conn, pet)
        sql += " AND i.pet_id = :pid"
    if status is not None:
        from .rules import normalise_state

        try:
            params["status"] = normalise_state(status)
        except InvalidInput:
            raise InvalidInput("--status", "must be one of: open, paid, in_collection, credited") from None
        sql += " AND i.status = :status"
    if year is not None:
        if not 1900 <= int(year) <= 9999:
            raise InvalidInput("--year", "must be a year like 2026")
        params["year"] = int(year)
        sql += " AND i.year = :year"
    term = _payment_term_days(conn)
    if overdue:
        today = today or date.today()
        params["cutoff"] = (today - timedelta(days=term)).isoformat()
        sql += " AND i.status IN ('open', 'in_collection') AND i.invoice_date < :cutoff"
    sql += " ORDER BY i.year, i.seq"
    out = []
    for r in _rows(conn, sql, **params):
        r["balance_cents"] = _balance(r["status"], r["gross_cents"], r["paid_cents"])
        r["total"] = _fmt(r["gross_cents"])
        r["paid"] = _fmt(r["paid_cents"])
        r["balance"] = _fmt(r["balance_cents"])
        r["due_date"] = _due_date(r["invoice_date"], r["payment_method"], r["kind"], term)
        out.append(r)
    return out
