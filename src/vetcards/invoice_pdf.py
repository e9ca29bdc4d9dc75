"""A printable invoice or credit note as PDF, in Dutch (English on request).

It shows every field art. 35a Wet OB requires of an invoice: the supplier's
name and address, BTW (VAT) identification number, the customer's name and
address (with the country when it is not the Netherlands), the invoice date,
the unique number, per line the description, quantity and unit price, per VAT
rate the net amount, the rate and the VAT amount, and the totals; the date of
supply when it differs from the invoice date; for a 0 % line why it carries no
VAT (nultarief, vrijgesteld art. 11 Wet OB, buiten de reikwijdte van de btw:
the labels of :mod:`vetcards.vocab`), with the lines it concerns; plus the KvK
number and IBAN. A credit note says "Creditnota" and names the invoice it
corrects.

The input is the card of :func:`vetcards.invoice_views.invoice_card` (the
stored snapshot: an issued invoice prints the same forever). Names print
exactly as stored, amounts as ``€ 1.234,56``, dates as ``2 december 2026``
(:mod:`vetcards.pdf`: the embedded Unicode font, the formats, the refusal of a
character the font lacks). The file is written mode 0600 via a temporary name
and a rename, so a crash never leaves half a file under the real name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .address import address_lines
from .dutch import Labels, catalog, decimal, shared, translator
from .pdf import Document, format_date, format_eur, write
from .vocab import KIND_CREDIT_NOTE, label

__all__ = ["document", "render_pdf", "write_pdf"]

#: The words of the document, Dutch and English: documents.toml [invoice].
_T: Labels = {**shared("reason", "description", "quantity", client="client_number", pet="pet_number"),
              **catalog("invoice")}


def _iban(value: str) -> str:
    """An IBAN in groups of four, as printed on paper."""
    from stdnum import iban

    try:
        return iban.format(value)
    except Exception:  # noqa: BLE001 - a stored value is shown as it is
        return value


def document(card: dict[str, Any], lang: str = "nl") -> Document:
    """The document of one invoice card (see :func:`invoice_views.invoice_card`)."""
    t = translator(_T, lang)

    def eur(cents: Any) -> str:
        return format_eur(int(cents), lang)

    def method(code: str) -> str:
        return label("payment_method", code, lang)

    credit_note = card["kind"] == KIND_CREDIT_NOTE
    title = t("credit_note" if credit_note else "invoice")
    doc = Document(f"{title} {card['number']}", author=card["supplier_name"])

    # Supplier (art. 35a lid 1 sub e, g: name, address, VAT id).
    doc.text(card["supplier_name"], field="supplier_name", size=14, bold=True, h=7)
    doc.text(card["supplier_address"], field="supplier_address")
    doc.text(f"{t('vat_number')}: {card['supplier_vat_number']}")
    if card.get("supplier_kvk"):
        doc.text(f"{t('kvk')}: {card['supplier_kvk']}")
    if card.get("supplier_iban"):
        doc.text(f"IBAN: {_iban(card['supplier_iban'])}")
    doc.gap(6)
    doc.text(title.upper(), size=18, bold=True, h=9)
    doc.gap(2)

    # Customer (art. 35a lid 1 sub f: name and address; the country when abroad).
    doc.text(t("to"), bold=True)
    doc.text(card["customer_name"], field="customer_name")
    for n, line in enumerate(address_lines(card["customer_street"], card["customer_postcode"],
                                           card["customer_city"], card.get("customer_country"), lang)):
        doc.text(line, field="customer_street" if n == 0 else "customer_city")
    doc.gap(4)

    # Number and date (sub a, b); the date of supply only when it differs (sub d).
    doc.text(f"{t('number_credit_note' if credit_note else 'number_invoice')}: {card['number']}", bold=True)
    doc.text(f"{t('date_credit_note' if credit_note else 'date_invoice')}: "
             f"{format_date(card['invoice_date'], lang)}")
    if card.get("supply_date"):
        doc.text(f"{t('supply_date')}: {format_date(card['supply_date'], lang)}")
    if credit_note:
        when = f" {t('of')} {format_date(card['credits_date'], lang)}" if card.get("credits_date") else ""
        doc.text(f"{t('credits')} {card.get('credits') or t('unknown')}{when}", bold=True)
        if card.get("reason"):
            doc.text(card["reason"], field="reason", label=f"{t('reason')}: ")
    if card.get("client"):
        doc.text(f"{t('client')}: {card['client']}")
    if card.get("pet"):
        doc.text(f"{t('pet')}: {card['pet']}")
    if not credit_note:
        doc.text(f"{t('method')}: {method(card['payment_method'])}")
    doc.gap(4)

    # Lines (sub h, i, j: quantity and nature, unit price excl. VAT, rate).
    doc.table([t("description"), t("quantity"), t("unit_price"), t("rate_pct"), t("net")],
              ([ln["description"], decimal(ln["quantity"], lang), eur(ln["unit_price_cents"]), f"{ln['vat_rate']}%",
                eur(ln["net_cents"])] for ln in card["lines"]),
              widths=(70, 18, 30, 16, 32), align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"), field="line")
    doc.gap(4)

    # Per rate: net amount, rate, VAT amount (sub j, k, l).
    doc.table([t("rate"), t("net"), t("vat"), t("gross")],
              ([f"{rt['rate']}%", eur(rt["net_cents"]), eur(rt["vat_cents"]), eur(rt["gross_cents"])]
               for rt in card["vat_rates"]),
              widths=(40, 45, 40, 41), align=("LEFT", "RIGHT", "RIGHT", "RIGHT"))
    doc.gap(4)

    # Why a 0 % line carries no VAT (SPEC §3): the statement and the lines it concerns.
    for st in card.get("vat_statements") or []:
        which = [ln["description"] for ln in card["lines"] if ln.get("vat_category") == st["category"]]
        doc.text(f"{label('vat_category', st['category'], lang)}: {', '.join(which)}", size=9)
    if card.get("vat_statements"):
        doc.gap(2)

    doc.amount(t("total_net"), eur(card["net_cents"]))
    doc.amount(t("total_vat"), eur(card["vat_cents"]))
    doc.amount(t("total_gross"), eur(card["gross_cents"]), bold=True)
    doc.gap(6)

    # Payment.
    if credit_note:
        doc.text(t("corrects", n=card.get("credits") or ""))
    elif card["status"] == "paid":
        paid = [p for p in card.get("payments") or [] if not p.get("voided_on")]
        on = format_date(paid[-1]["paid_on"] if paid else card["invoice_date"], lang)
        how = t("paid_by", m=method(paid[-1]["method"])) if paid else ""
        doc.text(t("paid", how=how, on=on))
    elif card["status"] == "credited":
        doc.text(t("credited", n=card.get("credited_by") or ""))
    else:
        if card.get("paid_cents"):
            doc.text(f"{t('paid_so_far')}: {eur(card['paid_cents'])}")
            doc.text(f"{t('to_pay')}: {eur(card['balance_cents'])}", bold=True)
        due = t("due", d=format_date(card["due_date"], lang)) if card.get("due_date") else ""
        iban = t("iban_to", i=_iban(card["supplier_iban"])) if card.get("supplier_iban") else ""
        doc.text(t("please", due=due, iban=iban, name=card["supplier_name"]))
        if card["status"] == "in_collection":
            doc.text(t("collection"), bold=True)
    return doc


def render_pdf(card: dict[str, Any], lang: str = "nl") -> bytes:
    """The PDF of one invoice card."""
    return document(card, lang).render()


def write_pdf(card: dict[str, Any], out: Path, field: str = "--out", lang: str = "nl") -> Path:
    """Render and write the PDF to ``out`` (mode 0600, via a temp name and rename)."""
    return write(document(card, lang), out, field)
