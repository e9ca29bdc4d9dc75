"""The formats of a document for people (vetcards.pdf, vetcards.money.format_eur)."""

from __future__ import annotations

from datetime import date

from vetcards import pdf
from vetcards.money import format_eur


def test_dutch_and_english_dates():
    assert pdf.format_date(date(2026, 12, 2)) == "2 december 2026"
    assert pdf.format_date("2024-02-29") == "29 februari 2024"
    assert pdf.format_date("2026-03-01T10:00:00") == "1 maart 2026"
    assert pdf.format_date(date(2026, 5, 9), "en") == "9 May 2026"
    assert pdf.format_date(None) == "" and pdf.format_date("onbekend") == "onbekend"


def test_euro_amounts():
    assert format_eur(123456) == "€ 1.234,56"
    assert format_eur(-1210) == "€ -12,10"
    assert format_eur(5) == "€ 0,05"
    assert format_eur(123456789, "en") == "€ 1,234,567.89"
    assert format_eur(-1210, "en") == "€ -12.10"


def test_weights():
    assert pdf.format_kg(4250) == "4,25 kg" and pdf.format_kg(4250, "en") == "4.25 kg"
    assert pdf.format_kg(None) == ""


def test_the_font_knows_the_scripts_of_the_practice_and_not_chinese():
    for name in ("Łukasz Wiśniewski", "Ayşe Ölçer", "Dvořák", "Nguyễn Thị Minh Khai", "Παπαδόπουλος", "Иванов", "€"):
        assert pdf.missing_characters(name) == [], name
    assert pdf.missing_characters("Wang 王秀英") == [6, 7, 8]
    assert pdf.missing_characters("Jose\u0301") == []  # composed first (NFC)


def test_decimals_as_typed_in_the_documents_language():
    """One rule for a quantity on the invoice PDF and in the access report."""
    from vetcards.dutch import decimal

    assert decimal("2.5") == "2,5" and decimal("2.5", "en") == "2.5"
    assert decimal("10") == "10" and decimal(None) == "" and decimal(None, "en") == ""


def test_labels_documents_share_are_one_entry():
    """A label the access report, the letter, the invoice and the register print is dutch.WORDS' own."""
    from vetcards import invoice_pdf, processing, referral_letter, report
    from vetcards.dutch import WORDS, translator

    assert report.COLS["species"] is WORDS["species"] is referral_letter._T["species"]
    assert invoice_pdf._T["description"] is report.COLS["description"] is WORDS["description"]
    assert processing._W["legal_basis"] is report.COLS["basis"] is WORDS["legal_basis"]
    t = translator({"paid": ("Voldaan op {on}.", "Paid on {on}.")}, "en")
    assert t("paid", on="2 May 2026") == "Paid on 2 May 2026."
    assert translator(WORDS, "nl")("species") == "Diersoort"
