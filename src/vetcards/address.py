"""Postal addresses at home and abroad (SPEC §3): each country's postcode rule, the forms a postcode
is stored and printed in, and the lines of an address on paper.

Pure: the standard library and the code lists of :mod:`vetcards.vocab` only, so a document (the
invoice PDF, a referral letter, the access report) may import it for free.

* :data:`POSTCODE_RULES`: one rule per country of :data:`vetcards.vocab.COUNTRIES`: the shape a
  postcode is typed in, the form it is stored in (at most 7 characters: a British ``SW1A 1AA`` is
  stored ``SW1A1AA``, a Luxembourg ``1234`` as ``L-1234``), the form it is printed in, and the
  python-stdnum module that checks it further where one exists (NL, AT, ES, SE; called by
  :func:`vetcards.validation.postcode`, which turns a miss into the error line of
  :func:`postcode_rule_text`).
* :func:`postcode_display`: a stored postcode as people read it.
* :func:`address_lines`: street, postcode and city, and the country's name when it is not the
  practice's own (``België``, ``Duitsland``; English with ``lang="en"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .vocab import DEFAULT_COUNTRY, label

__all__ = [
    "MAX_POSTCODE_LEN", "POSTCODE_RULES", "PostcodeRule", "address_line", "address_lines", "country_name",
    "postcode_display", "postcode_form", "postcode_rule_text",
]

#: The postcode column's width: every stored form fits it.
MAX_POSTCODE_LEN = 7


@dataclass(frozen=True)
class PostcodeRule:
    """How one country's postcodes are typed, stored and printed."""

    #: The English adjective of the error line: "must be a *Belgian* postcode like 2000".
    adjective: str
    #: A postcode as printed, for the error line.
    example: str
    #: The typed form (upper case, runs of spaces as one), matched whole; its groups are the parts.
    pattern: str
    #: The stored form, from the groups (``str.format``).
    stored: str = "{0}"
    #: The printed form, from the groups (default: as stored).
    display: Optional[str] = None
    #: The python-stdnum module (under ``stdnum.``) that checks the stored form further, if any.
    checker: Optional[str] = None

    def parts(self, typed: str) -> Optional[tuple[str, ...]]:
        match = re.fullmatch(self.pattern, " ".join(typed.upper().split()))
        return match.groups() if match else None


#: The postcode rule of each country vetcards takes addresses in (the keys are
#: :data:`vetcards.vocab.COUNTRIES`). An old car-plate prefix (``B-2000``, ``D-10115``) is accepted
#: where it was in use, and dropped, except for Luxembourg, whose post writes ``L-1234``.
POSTCODE_RULES: dict[str, PostcodeRule] = {
    "NL": PostcodeRule("Dutch", "1234 AB", r"([1-9][0-9]{3}) ?([A-Z]{2})", "{0} {1}", checker="nl.postcode"),
    "BE": PostcodeRule("Belgian", "2000", r"(?:B ?- ?)?([1-9][0-9]{3})"),
    "DE": PostcodeRule("German", "10115", r"(?:D ?- ?)?((?!00)[0-9]{5})"),
    "LU": PostcodeRule("Luxembourg", "L-1234", r"(?:L ?-? ?)?([1-9][0-9]{3})", "L-{0}"),
    "FR": PostcodeRule("French", "75001", r"(?:F ?- ?)?((?!00)[0-9]{5})"),
    "GB": PostcodeRule("British", "SW1A 1AA", r"([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})", "{0}{1}",
                       display="{0} {1}"),
    "AT": PostcodeRule("Austrian", "1010", r"(?:A ?- ?)?([1-9][0-9]{3})", checker="at.postleitzahl"),
    "CH": PostcodeRule("Swiss", "8001", r"(?:CH ?- ?)?([1-9][0-9]{3})"),
    "DK": PostcodeRule("Danish", "1050", r"(?:DK ?- ?)?([0-9]{4})"),
    "ES": PostcodeRule("Spanish", "28001", r"([0-9]{5})", checker="es.postal_code"),
    "IT": PostcodeRule("Italian", "00118", r"(?:I ?- ?)?([0-9]{5})"),
    "PL": PostcodeRule("Polish", "00-950", r"([0-9]{2}) ?-? ?([0-9]{3})", "{0}-{1}"),
    "SE": PostcodeRule("Swedish", "114 55", r"(?:SE? ?- ?)?([1-9][0-9]{2}) ?([0-9]{2})", "{0} {1}",
                       checker="se.postnummer"),
}


def postcode_form(typed: str, country: str = DEFAULT_COUNTRY) -> Optional[str]:
    """The stored form of a postcode typed for an address in ``country``, or ``None`` when it does
    not have the country's shape (the stdnum check, where there is one, is the caller's).

    ``postcode_form("sw1a 1aa", "GB")`` -> ``"SW1A1AA"``; ``("1234", "LU")`` -> ``"L-1234"``;
    ``("2000", "NL")`` -> ``None``. An unknown country raises ``KeyError``.
    """
    rule = POSTCODE_RULES[country]
    parts = rule.parts(typed)
    return rule.stored.format(*parts) if parts is not None else None


def postcode_display(stored: Optional[str], country: Optional[str] = DEFAULT_COUNTRY) -> str:
    """A stored postcode as people read it: ``("SW1A1AA", "GB")`` -> ``"SW1A 1AA"``; any other
    (a country without a rule, a value from an older file) as stored."""
    if not stored:
        return ""
    rule = POSTCODE_RULES.get(country or DEFAULT_COUNTRY)
    if rule is None or rule.display is None:
        return stored
    parts = rule.parts(stored)
    return rule.display.format(*parts) if parts is not None else stored


def postcode_rule_text(country: str = DEFAULT_COUNTRY) -> str:
    """The rule of the error line: ``"must be a Belgian postcode like 2000"``."""
    rule = POSTCODE_RULES[country]
    article = "an" if rule.adjective[0] in "AEIOU" else "a"
    return f"must be {article} {rule.adjective} postcode like {rule.example}"


def country_name(country: Optional[str], lang: str = "nl") -> str:
    """The name of a country: ``("BE")`` -> ``"België"``, ``("BE", "en")`` -> ``"Belgium"``."""
    return label("country", country or DEFAULT_COUNTRY, lang)


def address_lines(street: Optional[str], postcode: Optional[str], city: Optional[str],
                  country: Optional[str] = DEFAULT_COUNTRY, lang: str = "nl") -> list[str]:
    """The lines of an address on paper: street; postcode and city; the country's name when it is not
    the practice's own (:data:`vetcards.vocab.DEFAULT_COUNTRY`). Empty parts are left out.

    ``address_lines("Meir 1", "2000", "Antwerpen", "BE")`` -> ``["Meir 1", "2000 Antwerpen", "België"]``.
    """
    country = (country or DEFAULT_COUNTRY).upper()
    place = " ".join(p for p in (postcode_display(postcode, country), city or "") if p)
    lines = [line for line in (street or "", place) if line]
    if country != DEFAULT_COUNTRY:
        lines.append(country_name(country, lang))
    return lines


def address_line(street: Optional[str], postcode: Optional[str], city: Optional[str],
                 country: Optional[str] = DEFAULT_COUNTRY, lang: str = "nl") -> str:
    """:func:`address_lines` on one line: ``"Meir 1, 2000 Antwerpen, België"``."""
    return ", ".join(address_lines(street, postcode, city, country, lang))
