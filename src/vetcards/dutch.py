"""Words and dates for people, in the document's language (pure, standard library only).

Dates: one rule for every document (access report, register, PDFs, letters):
the day without a leading zero, the month written out in lower case in Dutch
(capitalised in English), the year in full: ``2 december 2026``.

:data:`WORDS`: the labels more than one document prints (Dutch, English);
each document's own words stay in its module, in a table of the same shape
(:data:`Labels`) that starts with the shared ones it prints (:func:`shared`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Union

__all__ = ["MONTHS", "WORDS", "Labels", "decimal", "format_date", "lang_index", "shared", "translator"]

#: A table of labels: key -> (Dutch, English).
Labels = dict[str, tuple[str, str]]

#: Labels more than one document prints (access report, register, invoice, referral letter).
WORDS: Labels = {
    "controller": ("Verwerkingsverantwoordelijke", "Controller"),
    "generated": ("Opgesteld op", "Generated on"),
    "privacy_contact": ("Contactpersoon gegevensbescherming", "Data-protection contact"),
    "transfers": ("Doorgifte buiten de EER", "Transfers outside the EEA"),
    "statement_version": ("Versie privacyverklaring", "Privacy statement version"),
    "purpose": ("Doel", "Purpose"),
    "legal_basis": ("Grondslag", "Legal basis"),
    "none": ("geen", "none"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "date": ("Datum", "Date"),
    "name": ("Naam", "Name"),
    "address": ("Adres", "Address"),
    "phone": ("Telefoon", "Phone"),
    "email": ("E-mail", "E-mail"),
    "vat_number": ("Btw-nummer", "VAT number"),
    "client_number": ("Klantnummer", "Client number"),
    "owner": ("Eigenaar", "Owner"),
    # the patient card
    "pet_number": ("Patiëntnummer", "Patient number"),
    "species": ("Diersoort", "Species"),
    "breed": ("Ras", "Breed"),
    "sex": ("Geslacht", "Sex"),
    "birth_date": ("Geboortedatum", "Birth date"),
    "colour": ("Kleur", "Colour"),
    "coat": ("Vacht", "Coat"),
    "chip": ("Chipnummer", "Chip number"),
    "insured": ("Verzekerd", "Insured"),
    # the medical record and the invoice lines
    "vaccinations": ("Vaccinaties", "Vaccinations"),
    "reason": ("Reden", "Reason"),
    "findings": ("Bevindingen", "Findings"),
    "diagnosis": ("Diagnose", "Diagnosis"),
    "treatment": ("Behandeling", "Treatment"),
    "vet": ("Dierenarts", "Vet"),
    "vaccine": ("Vaccin", "Vaccine"),
    "batch": ("Batch", "Batch"),
    "next_due": ("Volgende", "Next due"),
    "dispensed": ("Meegegeven", "Dispensed"),
    "description": ("Omschrijving", "Description"),
    "quantity": ("Aantal", "Quantity"),
}


def decimal(value: object, lang: str = "nl") -> str:
    """A decimal as typed (``2.5``, a quantity) in the document's language: ``2,5`` in Dutch; None is ""."""
    text = "" if value is None else str(value)
    return text.replace(".", ",") if lang == "nl" else text


def shared(*keys: str) -> Labels:
    """The shared labels ``keys``: a document's own table starts with them (``{**shared("phone"), ...}``)."""
    return {key: WORDS[key] for key in keys}


def lang_index(lang: str) -> int:
    """Which side of a label a document in ``lang`` prints: Dutch for ``nl``, else English."""
    return 0 if lang == "nl" else 1


def translator(labels: Labels, lang: str) -> Callable[..., str]:
    """``t(key, **fields)``: the ``lang`` side of ``labels[key]``, its ``{fields}`` filled in."""
    i = lang_index(lang)

    def t(key: str, **fields: Any) -> str:
        return labels[key][i].format(**fields)

    return t


MONTHS: dict[str, tuple[str, ...]] = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


def format_date(value: Union[date, str, None], lang: str = "nl") -> str:
    """``2 december 2026`` (``2 December 2026`` in English). An ISO string (a date, or a moment such
    as ``2026-12-02T10:00:00Z``) is read first; None prints as ""; a value that is no date prints as
    it is (a document never breaks on stored data)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        day = value
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"
