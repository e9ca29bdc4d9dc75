"""A printable invoice or credit note as PDF (fpdf2), in Dutch.

It shows every field art. 35a Wet OB requires of an invoice: the supplier's
name and address, BTW (VAT) identification number, the customer's name and
address, the invoice date, the unique number, per line the description,
quantity and unit price, per VAT rate the net amount, the rate and the VAT
amount, and the totals; the date of supply when it differs from the invoice
date; for a 0 % line why it carries no VAT (nultarief, vrijgesteld art. 11
Wet OB, buiten de reikwijdte van de btw: the labels of
:mod:`vetcards.vocab`), with the lines it concerns; plus the KvK number and
IBAN. A credit note says "Creditnota" and names the invoice it corrects.

The input is the card of :func:`vetcards.invoice_views.invoice_card` (the
stored snapshot: an issued invoice prints the same forever).

A core font (Helvetica) is used, so no font file is needed; core fonts know
only Latin-1, so text is made Latin-1 safe first: the euro sign becomes
``EUR``, typographic quotes and dashes become ASCII, accented letters outside
Latin-1 lose their accent, anything else becomes ``?``.

The file is written to a temporary name in the target directory with mode
0600 and renamed into place, so a crash never leaves half a file behind under
the real name.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from . import files, money
from .errors import InvalidInput
from .vocab import KIND_CREDIT_NOTE, label

__all__ = ["latin1_safe", "render_pdf", "write_pdf"]

_REPLACEMENTS = {
    "\u20ac": "EUR",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    # Latin letters outside Latin-1 that do not decompose into base + accent.
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0126": "H", "\u0127": "h",
    "\u0131": "i", "\u0152": "OE", "\u0153": "oe", "\u0166": "T", "\u0167": "t",
    "\u013f": "L", "\u0140": "l", "\u1e9e": "SS", "\u0149": "'n", "\u014a": "N", "\u014b": "n",
}


def _method(code: str) -> str:
    """A payment method in Dutch (:mod:`vetcards.vocab`)."""
    return label("payment_method", code)


def latin1_safe(value: Any) -> str:
    """Text the PDF core fonts can show (Latin-1), readable and never crashing."""
    if value is None:
        return ""
    out = []
    for ch in str(value):
        ch = _REPLACEMENTS.get(ch, ch)
        try:
            ch.encode("latin-1")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        try:
            base.encode("latin-1")
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def _eur(cents: int) -> str:
    return "EUR " + money.format_cents(int(cents), dutch=True)


def _iban(value: str) -> str:
    """An IBAN in groups of four, as printed on paper."""
    from stdnum import iban

    try:
        return iban.format(value)
    except Exception:  # noqa: BLE001 - a stored value is shown as it is
        return value


def _qty(quantity: str) -> str:
    return str(quantity).replace(".", ",")


def render_pdf(card: dict[str, Any]) -> bytes:
    """The PDF of one invoice card (see :func:`invoice_views.invoice_card`)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    credit_note = card["kind"] == KIND_CREDIT_NOTE
    title = "Creditnota" if credit_note else "Factuur"
    s = latin1_safe

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(f"{title} {card['number']}")
    pdf.set_author(s(card["supplier_name"]))
    pdf.set_creator("vetcards")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 10, style: str = "", h: float = 5, align: str = "L") -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(width, h, s(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # Supplier (art. 35a lid 1 sub e, g: name, address, VAT id).
    line(card["supplier_name"], size=14, style="B", h=7)
    line(card["supplier_address"])
    line(f"BTW-nummer: {card['supplier_vat_number']}")
    if card.get("supplier_kvk"):
        line(f"KvK-nummer: {card['supplier_kvk']}")
    if card.get("supplier_iban"):
        line(f"IBAN: {_iban(card['supplier_iban'])}")
    pdf.ln(6)

    line(title.upper(), size=18, style="B", h=9)
    pdf.ln(2)

    # Customer (art. 35a lid 1 sub f: name and address).
    line("Aan:", style="B")
    line(card["customer_name"])
    line(card["customer_street"])
    line(f"{card['customer_postcode']} {card['customer_city']}")
    pdf.ln(4)

    # Number and date (sub a, b).
    label = "Creditnotanummer" if credit_note else "Factuurnummer"
    line(f"{label}: {card['number']}", style="B")
    line(f"{'Datum creditnota' if credit_note else 'Factuurdatum'}: {card['invoice_date']}")
    if card.get("supply_date"):  # art. 35a lid 1 sub d: only when it differs from the invoice date
        line(f"Leverdatum: {card['supply_date']}")
    if credit_note:
        credited = card.get("credits") or "onbekend"
        when = f" van {card['credits_date']}" if card.get("credits_date") else ""
        line(f"Creditnota voor factuur {credited}{when}", style="B")
        if card.get("reason"):
            line(f"Reden: {card['reason']}")
    if card.get("client"):
        line(f"Klantnummer: {card['client']}")
    if card.get("pet"):
        line(f"Patiëntnummer: {card['pet']}")
    if not credit_note:
        line(f"Betaalwijze: {_method(card['payment_method'])}")
    pdf.ln(4)

    # Lines (sub h, i, j: quantity and nature, unit price excl. VAT, rate).
    pdf.set_font("Helvetica", size=9)
    with pdf.table(
        col_widths=(70, 18, 30, 16, 32),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        first_row_as_headings=True,
        line_height=5.5,
    ) as table:
        table.row(["Omschrijving", "Aantal", "Prijs per eenheid excl. BTW", "BTW %", "Bedrag excl. BTW"])
        for ln in card["lines"]:
            table.row([
                s(ln["description"]),
                _qty(ln["quantity"]),
                _eur(ln["unit_price_cents"]),
                f"{ln['vat_rate']}%",
                _eur(ln["net_cents"]),
            ])
    pdf.ln(4)

    # Per rate: net amount, rate, VAT amount (sub j, k, l).
    pdf.set_font("Helvetica", size=9)
    with pdf.table(
        col_widths=(40, 45, 40, 41),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
        first_row_as_headings=True,
        line_height=5.5,
    ) as table:
        table.row(["BTW-tarief", "Bedrag excl. BTW", "BTW-bedrag", "Bedrag incl. BTW"])
        for rt in card["vat_rates"]:
            table.row([f"{rt['rate']}%", _eur(rt["net_cents"]), _eur(rt["vat_cents"]),
                       _eur(rt["gross_cents"])])
    pdf.ln(4)

    # Why a 0 % line carries no VAT (SPEC §3): the statement and the lines it concerns.
    for st in card.get("vat_statements") or []:
        which = [ln["description"] for ln in card["lines"] if ln.get("vat_category") == st["category"]]
        line(f"{st['statement']}: {', '.join(which)}", size=9)
    if card.get("vat_statements"):
        pdf.ln(2)

    pdf.set_font("Helvetica", size=10)
    for label_, cents, bold in (
        ("Totaal excl. BTW", card["net_cents"], False),
        ("Totaal BTW", card["vat_cents"], False),
        ("Totaal incl. BTW", card["gross_cents"], True),
    ):
        pdf.set_font("Helvetica", style="B" if bold else "", size=11 if bold else 10)
        pdf.cell(width - 45, 6, label_, align="R")
        pdf.cell(45, 6, _eur(cents), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)

    # Payment.
    if credit_note:
        line(f"Deze creditnota corrigeert factuur {card.get('credits') or ''}. "
             "Een reeds betaald bedrag wordt terugbetaald.")
    elif card["status"] == "paid":
        paid = card.get("payments") or []
        last = paid[-1]["paid_on"] if paid else card["invoice_date"]
        how = _method(paid[-1]["method"]) if paid else ""
        line(f"Voldaan{(' per ' + how) if how else ''} op {last}.")
    elif card["status"] == "credited":
        line(f"Deze factuur is gecrediteerd met creditnota {card.get('credited_by') or ''}.")
    else:
        if card.get("paid_cents"):
            line(f"Reeds betaald: {_eur(card['paid_cents'])}")
            line(f"Nog te betalen: {_eur(card['balance_cents'])}", style="B")
        iban = _iban(card["supplier_iban"]) if card.get("supplier_iban") else ""
        due = card.get("due_date")
        text = "Gelieve het bedrag"
        if due:
            text += f" uiterlijk {due}"
        text += f" over te maken{(' op IBAN ' + iban) if iban else ''}"
        text += f" ten name van {card['supplier_name']}, onder vermelding van het factuurnummer."
        line(text)
        if card["status"] == "in_collection":
            line("Deze factuur is uit handen gegeven ter incasso.", style="B")
    return bytes(pdf.output())


def write_pdf(card: dict[str, Any], out: Path, field: str = "--out") -> Path:
    """Render and write the PDF to ``out`` (mode 0600, via a temp name and rename)."""
    out = files.check_target(out, field)  # a regular file only: never a device, FIFO, link or folder
    data = render_pdf(card)
    try:
        files.write_private(out, data, field=field)
    except OSError as exc:
        raise InvalidInput(field, f"cannot write the file ({exc.strerror or type(exc).__name__})") from None
    return out
