"""Validation and normalisation of raw field values (SPEC §3).

Code lists (sexes, species, payment methods) are those of :mod:`vetcards.vocab`.
Every function takes the raw string as typed on the command line and returns
the normalised value to store, or raises :class:`vetcards.errors.InvalidInput`
naming the CLI field and the rule that was broken. Error messages never contain
the rejected value: it may be personal data.

Heavy libraries (phonenumbers, email_validator, python-stdnum, python-dateutil)
are imported inside the functions that need them to keep CLI start-up fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from vetcards.address import POSTCODE_RULES, postcode_rule_text
from vetcards.errors import InvalidInput
from vetcards.vocab import (
    COUNTRIES,
    DEFAULT_COUNTRY,
    PAYMENT_METHODS,
    SEX_ALIASES,
    SEXES,
    SPECIES,
    SPECIES_ALIASES,
    label,
    rule_one_of,
)

__all__ = [
    "DEFAULT_SPECIES",
    "PAYMENT_METHODS",
    "SEXES",
    "SPECIES_ALIASES",
    "birth_date",
    "chip",
    "country",
    "email",
    "parse_date",
    "payment_method",
    "phone",
    "postcode",
    "sex",
    "species",
    "text",
    "weight_grams",
]

# --------------------------------------------------------------------------
# Rules (the messages shown to the user, after "FIELD: ")
# --------------------------------------------------------------------------

RULE_REQUIRED = "is required"
RULE_CONTROL = "must not contain control, invisible or bidirectional characters"
RULE_CONTROL_LINES = RULE_CONTROL + " other than line breaks"

#: Characters no text may hold (SPEC §3): controls (Cc), invisible and bidirectional formatting
#: (Cf: U+200B, U+202E, U+FEFF ...), line and paragraph separators (Zl, Zp), and lone surrogates
#: (Cs: bytes that were not UTF-8 on the command line).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
RULE_COUNTRY = ("must be a country whose postcodes vetcards knows, as its ISO code or name: "
                + ", ".join(COUNTRIES))
RULE_EMAIL = "must be a valid e-mail address like name@example.nl"
RULE_PHONE = "must be a valid phone number like 06 12345678 or +31 20 123 4567"
RULE_DATE = "must be a date like 2026-11-27 or 27-11-2026"
RULE_FUTURE = "must not be in the future"
RULE_TOO_OLD = "must not be before 1900-01-01"
RULE_CHIP_FORMAT = "must be a chip number of exactly 15 digits"
RULE_CHIP_000 = "000 is not a valid country or manufacturer code"
RULE_CHIP_999 = "999 is a test chip number and cannot be registered"
RULE_WEIGHT_FORMAT = "must be a weight in kilograms like 4,25 (at most 3 decimals)"
RULE_WEIGHT_POSITIVE = "must be greater than 0 kg"
RULE_WEIGHT_MAX = "must be at most 2000 kg"
RULE_SPECIES = "must be one of the known species (see `vetcards species list`)"

MIN_BIRTH_DATE = date(1900, 1, 1)
MAX_WEIGHT_GRAMS = 2_000_000

RULE_SEX = rule_one_of(SEXES)
RULE_PAYMENT = rule_one_of(PAYMENT_METHODS)

#: The seeded species (the code list is :data:`vetcards.vocab.SPECIES`).
DEFAULT_SPECIES = SPECIES

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DUTCH_DATE_RE = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4})", re.ASCII)
_CHIP_RE = re.compile(r"[0-9]{15}", re.ASCII)
_WEIGHT_RE = re.compile(r"([+-]?)([0-9]{1,12})(?:[.,]([0-9]+))?", re.ASCII)
_SPACES_RE = re.compile(r"\s+")


def _stripped(value: str | None, field: str) -> str:
    """Strip surrounding whitespace; an empty value is an error."""
    v = (value or "").strip()
    if not v:
        raise InvalidInput(field, RULE_REQUIRED)
    return v


def _words(value: str) -> str:
    """Lower-case, treat '-' and '_' as spaces, collapse runs of whitespace."""
    v = value.lower().replace("-", " ").replace("_", " ")
    return _SPACES_RE.sub(" ", v).strip()


# --------------------------------------------------------------------------
# Public validators
# --------------------------------------------------------------------------


def text(
    value: str | None,
    *,
    field: str,
    max_len: int = 200,
    required: bool = True,
) -> str | None:
    """Free text (a name, a street ...): stripped, NFC-normalised, one line.

    Empty returns ``None`` when not ``required``. Control characters
    (including newlines and tabs), invisible and bidirectional ones are
    refused (:func:`check_visible`).
    """
    v = unicodedata.normalize("NFC", (value or "")).strip()
    if not v:
        if required:
            raise InvalidInput(field, RULE_REQUIRED)
        return None
    check_visible(v, field)
    if len(v) > max_len:
        raise InvalidInput(field, f"must be at most {max_len} characters")
    return v


def check_visible(value: str, field: str, *, line_breaks: bool = False) -> str:
    """``value`` if it holds no control, invisible or bidirectional character
    (:data:`REFUSED_CATEGORIES`; ``line_breaks``: a ``\\n`` is allowed). The one rule for every text."""
    for ch in value:
        if unicodedata.category(ch) in REFUSED_CATEGORIES and not (line_breaks and ch == "\n"):
            raise InvalidInput(field, RULE_CONTROL_LINES if line_breaks else RULE_CONTROL)
    return value


def country(value: str, field: str = "--country") -> str:
    """A country of :data:`vetcards.vocab.COUNTRIES`, as its upper-case ISO code: ``be``, ``BE``,
    ``België``, ``Belgie`` or ``Belgium`` -> ``BE`` (``UK`` -> ``GB``)."""
    from vetcards.names import fold

    v = fold(" ".join(_stripped(value, field).split()))
    found = _COUNTRY_WORDS.get(v)
    if found is None:
        raise InvalidInput(field, RULE_COUNTRY)
    return found


#: What may be typed for a country (folded): its code, its Dutch and English names, and ``uk``.
_COUNTRY_WORDS: dict[str, str] = {
    **{code.lower(): code for code in COUNTRIES},
    **{label("country", code, lang).lower(): code for code in COUNTRIES for lang in ("nl", "en")},
    "uk": "GB", "belgie": "BE", "italie": "IT", "the netherlands": "NL", "great britain": "GB",
}


def postcode(value: str, field: str = "--postcode", country: str = DEFAULT_COUNTRY) -> str:
    """A postcode of an address in ``country`` (default NL), in its stored form (``1234 AB``,
    ``2000``, ``SW1A1AA``, ``L-1234``: see :data:`vetcards.address.POSTCODE_RULES`), checked further
    by python-stdnum where it has the country (NL, AT, ES, SE)."""
    from vetcards.address import postcode_form

    v = _stripped(value, field)
    stored = postcode_form(v, country)
    checker = POSTCODE_RULES[country].checker
    if stored is not None and checker is not None and not _stdnum_valid(checker, stored):
        stored = None
    if stored is None:
        raise InvalidInput(field, postcode_rule_text(country))
    return stored


def _stdnum_valid(module: str, value: str) -> bool:
    from importlib import import_module

    from stdnum.exceptions import ValidationError

    try:
        import_module(f"stdnum.{module}").validate(value)
    except (ValidationError, ValueError, TypeError):
        return False
    return True


def email(value: str, field: str = "--email") -> str:
    """E-mail address (syntax only, no DNS look-up), returned normalised."""
    from email_validator import EmailNotValidError, validate_email

    v = _stripped(value, field)
    try:
        result = validate_email(v, check_deliverability=False)
    except (EmailNotValidError, ValueError, TypeError):
        raise InvalidInput(field, RULE_EMAIL) from None
    return result.normalized


def phone(value: str, field: str = "--phone", country: str = DEFAULT_COUNTRY) -> str:
    """A phone number, as E.164: national as in ``country`` (the client's; default NL: ``06 ...`` is
    +316..., for a Belgian client ``0470 12 34 56`` is +32470...) unless an international prefix
    (``+32``, ``0032``) is given."""
    import phonenumbers

    v = _stripped(value, field)
    try:
        number = phonenumbers.parse(v, country)
    except phonenumbers.NumberParseException:
        raise InvalidInput(field, phone_rule(country)) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(field, phone_rule(country))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_rule(country: str = DEFAULT_COUNTRY) -> str:
    """The rule of a phone's error line: a national example of ``country`` (its mobile numbers, from
    phonenumbers' metadata) and the same number written internationally."""
    if country == DEFAULT_COUNTRY:
        return RULE_PHONE
    import phonenumbers

    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:  # pragma: no cover - every country of vocab.COUNTRIES has one
        return RULE_PHONE
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return f"must be a valid phone number like {national} or {international}"


def parse_date(value: str, field: str = "--date") -> date:
    """ISO ``2026-11-27`` or Dutch day-first ``27-11-2026`` (also with / or .), not before 1900-01-01
    (no date in a practice is older; periods counted back from year 1 would leave the calendar)."""
    d = _parse_date(value, field)
    if d < MIN_BIRTH_DATE:
        raise InvalidInput(field, RULE_TOO_OLD)
    return d


def _parse_date(value: str, field: str) -> date:
    from dateutil import parser as du_parser

    v = _stripped(value, field)
    try:
        if _ISO_DATE_RE.fullmatch(v):
            return du_parser.isoparse(v).date()
        m = _DUTCH_DATE_RE.fullmatch(v)
        if m:
            parsed = du_parser.parse(v, dayfirst=True).date()
            # dateutil silently swaps day and month when the month would be
            # out of range (05-13-2026 -> 13 May); insist on what was typed.
            if (parsed.day, parsed.month, parsed.year) != (
                int(m.group(1)),
                int(m.group(3)),
                int(m.group(4)),
            ):
                raise ValueError("day/month mismatch")
            return parsed
    except (ValueError, OverflowError):
        raise InvalidInput(field, RULE_DATE) from None
    raise InvalidInput(field, RULE_DATE)


def birth_date(value: str, *, today: date, field: str = "--birth-date") -> date:
    """A date of birth: not after ``today`` and not before 1900-01-01."""
    d = parse_date(value, field=field)
    if d > today:
        raise InvalidInput(field, RULE_FUTURE)
    if d < MIN_BIRTH_DATE:
        raise InvalidInput(field, RULE_TOO_OLD)
    return d


def chip(value: str, field: str = "--chip") -> str:
    """ISO 11784 chip number: 15 digits, country 001-899 or manufacturer 900-998."""
    v = _stripped(value, field).replace(" ", "")
    if not _CHIP_RE.fullmatch(v):
        raise InvalidInput(field, RULE_CHIP_FORMAT)
    prefix = v[:3]
    if prefix == "000":
        raise InvalidInput(field, RULE_CHIP_000)
    if prefix == "999":
        raise InvalidInput(field, RULE_CHIP_999)
    return v


def weight_grams(value: str, field: str = "--weight") -> int:
    """Weight in kilograms (``4,25`` or ``4.25``) returned as integer grams."""
    v = _stripped(value, field).replace(" ", "")
    m = _WEIGHT_RE.fullmatch(v)
    if not m:
        raise InvalidInput(field, RULE_WEIGHT_FORMAT)
    sign, whole, frac = m.group(1), m.group(2), m.group(3) or ""
    if len(frac) > 3:
        raise InvalidInput(field, RULE_WEIGHT_FORMAT)
    try:
        kg = Decimal(f"{sign}{whole}.{frac or '0'}")
    except InvalidOperation:  # pragma: no cover - the regex guards the shape
        raise InvalidInput(field, RULE_WEIGHT_FORMAT) from None
    grams = kg * 1000
    if grams <= 0:
        raise InvalidInput(field, RULE_WEIGHT_POSITIVE)
    if grams > MAX_WEIGHT_GRAMS:
        raise InvalidInput(field, RULE_WEIGHT_MAX)
    return int(grams)


def sex(value: str, field: str = "--sex") -> str:
    """One of :data:`SEXES`; case-insensitive, '-'/'_' as space, Dutch aliases."""
    v = _words(_stripped(value, field))
    v = SEX_ALIASES.get(v, v)
    if v not in SEXES:
        raise InvalidInput(field, RULE_SEX)
    return v


def species(value: str, known: Iterable[str], field: str = "--species") -> str:
    """A species from ``known`` (kept in the database); Dutch names accepted."""
    v = _SPACES_RE.sub(" ", _stripped(value, field).lower())
    known_set = {_SPACES_RE.sub(" ", k.strip().lower()) for k in known}
    candidate = SPECIES_ALIASES.get(v, v)
    if candidate in known_set:
        return candidate
    if v in known_set:
        return v
    raise InvalidInput(field, RULE_SPECIES)


def payment_method(value: str, field: str = "--payment") -> str:
    """One of :data:`PAYMENT_METHODS` (cash, pin, account), case-insensitive."""
    v = _stripped(value, field).lower()
    if v not in PAYMENT_METHODS:
        raise InvalidInput(field, RULE_PAYMENT)
    return v
