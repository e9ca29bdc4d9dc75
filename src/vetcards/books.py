"""The books of a year for the bookkeeper or a tax inspection (SPEC §4, AWR art. 47 and 52).

:func:`books_year` reads every invoice and credit note issued in a year and
every payment made in it, restricted ones included (kept for the fiscal or
the claim hold: they are kept for exactly this purpose); :func:`export_books`
writes it (JSON or CSV, a file of mode 0600 or a stream) and audits the read
(``books.export``: the year, format and counts, never names). The document has

* ``lines``: one row per invoice line, with its VAT rate (and for 0 % why:
  ``vat_category``) and amounts. The
  VAT of an invoice is rounded once per rate (:func:`money.compute_totals`);
  each line carries its share, the rounding difference on the last line of
  that rate, so the lines of an invoice add up to its stored totals;
* ``invoices``: one row per invoice or credit note with its stored totals;
* ``payments``: the payments dated in the year (on invoices of any year; a
  refund on a credit note is negative); a payment voided as booked in error
  is listed with ``voided: true`` and ``voided_on`` and counts in no total;
* ``totals_per_rate`` and ``totals``, and ``totals_match_invoices``: the sum
  of the lines equals the sum of the invoices' stored totals.

:func:`csv_text` writes the lines, payments and totals as one CSV a Dutch
bookkeeping package imports: ``;`` between fields, a decimal comma, ISO
dates, a first column saying what the row is; text a spreadsheet would run as
a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Optional

from sqlalchemy import text

from . import audit, files, money
from .errors import InvalidInput
from .files import csv_cell

if TYPE_CHECKING:
    from .db import UnitOfWork

__all__ = ["CSV_COLUMNS", "books_year", "csv_text", "export_books"]

BooksFormat = Literal["json", "csv"]

_INVOICES_SQL = """
SELECT i.id, i.number, i.kind, i.invoice_date, o.number AS credits, i.status, i.payment_method,
       i.customer_name, i.customer_street, i.customer_postcode, i.customer_city,
       i.net_cents, i.vat_cents, i.gross_cents,
       (i.restricted = 1 OR coalesce(c.restricted, 0) = 1) AS restricted
  FROM invoice i
  LEFT JOIN invoice o ON o.id = i.credits_invoice_id
  LEFT JOIN client c ON c.id = i.client_id
 WHERE i.year = :year
 ORDER BY i.seq
"""
_LINES_SQL = """
SELECT l.invoice_id, l.position, l.description, l.quantity, l.unit_price_cents, l.vat_rate, l.vat_category,
       l.net_cents
  FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id
 WHERE i.year = :year
 ORDER BY l.invoice_id, l.position, l.id
"""
_PAYMENTS_SQL = """
SELECT i.number AS invoice_number, p.id, p.paid_on, p.amount_cents, p.method,
       (i.restricted = 1 OR coalesce(c.restricted, 0) = 1) AS restricted, p.voided_at
  FROM payment p JOIN invoice i ON i.id = p.invoice_id
  LEFT JOIN client c ON c.id = i.client_id
 WHERE p.paid_on >= :first AND p.paid_on <= :last
 ORDER BY p.paid_on, p.id
"""

_INVOICE_KEYS = ("number", "kind", "invoice_date", "credits", "status", "payment_method", "customer_name",
                 "customer_street", "customer_postcode", "customer_city", "restricted")

#: The CSV's columns; ``record`` is ``line``, ``payment``, ``voided_payment`` (counts in no total),
#: ``total`` (per rate) or ``total_all``.
CSV_COLUMNS = ("record", "number", "kind", "invoice_date", "credits", "customer_name", "customer_city",
               "restricted", "position", "description", "quantity", "unit_price", "vat_rate", "vat_category",
               "net", "vat",
               "gross", "paid_on", "amount", "method")


def _line_vat(lines: list[dict[str, Any]]) -> None:
    """Give each line of one invoice its VAT share; per rate they add up to the invoice's rounded VAT."""
    totals = money.compute_totals(
        money.Line(r["description"], Decimal(str(r["quantity"])), int(r["unit_price_cents"]), int(r["vat_rate"]))
        for r in lines)
    for rt in totals.per_rate:
        mine = [r for r in lines if int(r["vat_rate"]) == rt.rate]
        shares = [money.round_half_up_div(int(r["net_cents"]) * rt.rate, 100) for r in mine]
        shares[-1] += rt.vat_cents - sum(shares)
        for r, share in zip(mine, shares):
            r["vat_cents"] = share
            r["gross_cents"] = int(r["net_cents"]) + share


def _sum(rows: Iterable[dict[str, Any]], *keys: str) -> dict[str, int]:
    out = dict.fromkeys(keys, 0)
    for r in rows:
        for k in keys:
            out[k] += int(r[k])
    return out


def books_year(uow: UnitOfWork, year: int) -> dict[str, Any]:
    """Every invoice, credit note and payment of ``year``, restricted ones included (writes nothing)."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
        raise InvalidInput("--year", "must be a year like 2026")
    invoices = [dict(r._mapping) for r in uow.execute(text(_INVOICES_SQL), {"year": year})]
    by_id = {r["id"]: r for r in invoices}
    lines_of: dict[int, list[dict[str, Any]]] = {}
    for r in uow.execute(text(_LINES_SQL), {"year": year}):
        lines_of.setdefault(r.invoice_id, []).append(dict(r._mapping))
    lines: list[dict[str, Any]] = []
    for inv in invoices:
        inv["restricted"] = bool(inv["restricted"])
        own = lines_of.get(inv["id"], [])
        if own:
            _line_vat(own)
        for line in own:
            head = by_id[line.pop("invoice_id")]
            lines.append({**{k: head[k] for k in _INVOICE_KEYS}, **line,
                          "quantity": str(line["quantity"])})
    payments = [dict(r._mapping, restricted=bool(r.restricted)) for r in uow.execute(
        text(_PAYMENTS_SQL), {"first": f"{year:04d}-01-01", "last": f"{year:04d}-12-31"})]
    for p in payments:
        p["paid_on"] = str(p["paid_on"])
        voided_at = p.pop("voided_at")
        p["voided"] = voided_at is not None
        p["voided_on"] = str(voided_at)[:10] if voided_at is not None else None
    # Per rate, and a 0 % rate per reason (zero-rated, exempt, outside the scope): the VAT return tells them apart.
    rates: dict[tuple[int, str], dict[str, int]] = {}
    for line in lines:
        t = rates.setdefault((int(line["vat_rate"]), str(line["vat_category"])),
                             dict.fromkeys(("net_cents", "vat_cents", "gross_cents"), 0))
        for k in t:
            t[k] += int(line[k])
    per_rate = [{"rate": rate, "vat_category": category, **rates[rate, category]}
                for rate, category in sorted(rates, key=lambda rc: (-rc[0], rc[1]))]
    totals = _sum(per_rate, "net_cents", "vat_cents", "gross_cents")
    stored = _sum(invoices, "net_cents", "vat_cents", "gross_cents")
    return {
        "year": year,
        "invoices": [{k: v for k, v in inv.items() if k != "id"} | {"invoice_date": str(inv["invoice_date"])}
                     for inv in invoices],
        "lines": [dict(line, invoice_date=str(line["invoice_date"])) for line in lines],
        "payments": payments,
        "totals_per_rate": per_rate,
        "totals": {**totals, "payments_cents": sum(int(p["amount_cents"]) for p in payments if not p["voided"])},
        "totals_match_invoices": totals == stored,
    }


def export_books(uow: UnitOfWork, year: int, fmt: BooksFormat, out: Optional[Path],
                 stream: Optional[IO[bytes]] = None) -> dict[str, Any]:
    """Write the books of ``year`` to ``out`` (mode 0600) or, when None, to ``stream``; audit and commit.

    Returns a summary (year, counts, totals, where written): numbers, never names.
    """
    if fmt not in ("json", "csv"):
        raise InvalidInput("--format", "must be json or csv")
    doc = books_year(uow, year)
    payload = (csv_text(doc) if fmt == "csv" else json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    data = payload.encode("utf-8")
    if out is None:
        if stream is None:
            raise InvalidInput("--out", "give a file or - for stdout")
        stream.write(data)
        stream.flush()
    else:
        try:
            files.write_private(out, data)
        except OSError as exc:
            raise InvalidInput("--out", f"cannot write the file ({exc.strerror or type(exc).__name__})") from None
    restricted = sum(1 for inv in doc["invoices"] if inv["restricted"])
    summary = {"year": year, "format": fmt, "invoices": len(doc["invoices"]), "lines": len(doc["lines"]),
               "payments": sum(1 for p in doc["payments"] if not p["voided"]),
               "voided_payments": sum(1 for p in doc["payments"] if p["voided"]), "restricted": restricted,
               "totals_match_invoices": doc["totals_match_invoices"]}
    audit.record(uow, "books.export", "invoice", [], summary)
    uow.commit()
    return {**summary, "totals": doc["totals"], "out": str(out) if out is not None else "-"}


def _amount(cents: Any) -> str:
    """Cents as a Dutch decimal: ``-1234,50`` (no thousands separator)."""
    return "" if cents is None else money.format_cents(int(cents)).replace(".", ",")


def csv_text(doc: dict[str, Any]) -> str:
    """The books of one year as one CSV (``;``, decimal comma); see the module docstring."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def row(**cells: Any) -> None:
        writer.writerow([csv_cell(cells.get(c)) for c in CSV_COLUMNS])

    for line in doc["lines"]:
        row(record="line", **{k: line[k] for k in ("number", "kind", "invoice_date", "credits", "customer_name",
                                                   "customer_city", "restricted", "position", "description",
                                                   "vat_rate", "vat_category")},
            quantity=line["quantity"].replace(".", ","), unit_price=_amount(line["unit_price_cents"]),
            net=_amount(line["net_cents"]), vat=_amount(line["vat_cents"]), gross=_amount(line["gross_cents"]))
    for p in doc["payments"]:
        row(record="voided_payment" if p["voided"] else "payment", number=p["invoice_number"],
            restricted=p["restricted"], paid_on=p["paid_on"],
            amount=_amount(p["amount_cents"]), method=p["method"])
    for t in doc["totals_per_rate"]:
        row(record="total", vat_rate=t["rate"], vat_category=t["vat_category"], net=_amount(t["net_cents"]),
            vat=_amount(t["vat_cents"]), gross=_amount(t["gross_cents"]))
    total = doc["totals"]
    row(record="total_all", net=_amount(total["net_cents"]), vat=_amount(total["vat_cents"]),
        gross=_amount(total["gross_cents"]), amount=_amount(total["payments_cents"]))
    return buf.getvalue()
