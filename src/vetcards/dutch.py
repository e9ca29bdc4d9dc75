"""Words and dates for people, in the document's language (pure, standard library only).

Dates: one rule for every document (access report, register, PDFs, letters):
the day without a leading zero, the month written out in lower case in Dutch
(capitalised in English), the year in full: ``2 december 2026``.

:data:`WORDS`: the labels more than one document prints (Dutch, English);
each document's own words stay in its module.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Union

__all__ = ["MONTHS", "WORDS", "format_date", "word"]

#: Labels shared by the documents (access report, register, invoice, referral letter): (Dutch, English).
WORDS: dict[str, tuple[str, str]] = {
    "controller": ("Verwerkingsverantwoordelijke", "Controller"),
    "generated": ("Opgesteld op", "Generated on"),
    "privacy_contact": ("Contactpersoon gegevensbescherming", "Data-protection contact"),
    "transfers": ("Doorgifte buiten de EER", "Transfers outside the EEA"),
    "none": ("geen", "none"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "phone": ("Telefoon", "Phone"),
    "email": ("E-mail", "E-mail"),
    "client_number": ("Klantnummer", "Client number"),
    "pet_number": ("Patiëntnummer", "Patient number"),
    "vaccinations": ("Vaccinaties", "Vaccinations"),
    "reason": ("Reden", "Reason"),
}


def word(key: str) -> dict[str, str]:
    """A shared label as ``{"nl": ..., "en": ...}`` (the access report's form)."""
    nl, en = WORDS[key]
    return {"nl": nl, "en": en}

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
