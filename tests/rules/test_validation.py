"""Tests for vetcards.validation (SPEC §3): pure, fast, no I/O."""

from __future__ import annotations

from datetime import date

import pytest

from vetcards import validation as v
from vetcards.errors import InvalidInput

TODAY = date(2026, 11, 27)


# --------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jansen", "Jansen"),
        ("  de Vries  ", "de Vries"),
        ("Özdemir-’t Hart", "Özdemir-’t Hart"),
        ("e\u0301", "\u00e9"),  # NFC
    ],
)
def test_text_valid(raw, expected):
    assert v.text(raw, field="--name") == expected


@pytest.mark.parametrize(
    ("raw", "kwargs", "rule"),
    [
        ("", {}, "is required"),
        ("   ", {}, "is required"),
        (None, {}, "is required"),
        ("a\nb", {}, v.RULE_CONTROL),
        ("a\tb", {}, v.RULE_CONTROL),
        ("a\x00b", {}, v.RULE_CONTROL),
        ("a\x7fb", {}, v.RULE_CONTROL),
        ("Anna\u202eJansen", {}, v.RULE_CONTROL),
        ("Anna\u200bJansen", {}, v.RULE_CONTROL),
        ("\ufeffAnna", {}, v.RULE_CONTROL),
        ("Anna\u2028Jansen", {}, v.RULE_CONTROL),
        ("Anna\u2029Jansen", {}, v.RULE_CONTROL),
        ("Anna\udcffJansen", {}, v.RULE_CONTROL),
        ("x" * 201, {}, "must be at most 200 characters"),
        ("abcdef", {"max_len": 5}, "must be at most 5 characters"),
    ],
)
def test_text_invalid(raw, kwargs, rule):
    with pytest.raises(InvalidInput) as exc:
        v.text(raw, field="--name", **kwargs)
    assert exc.value.field == "--name"
    assert exc.value.rule == rule


def test_text_optional_and_limits():
    assert v.text("", field="--notes", required=False) is None
    assert v.text("   ", field="--notes", required=False) is None
    assert v.text(None, field="--notes", required=False) is None
    assert v.text("x" * 200, field="--name") == "x" * 200
    assert v.text("abcde", field="--name", max_len=5) == "abcde"


# --------------------------------------------------------------------------
# postcode
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234ab", "1234 AB"),
        ("1234 AB", "1234 AB"),
        (" 1234  ab ", "1234 AB"),
        ("9999ZZ", "9999 ZZ"),
        ("1000 aa", "1000 AA"),
    ],
)
def test_postcode_valid(raw, expected):
    assert v.postcode(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["1234 SA", "1234 SD", "1234 SS", "0123 AB", "123 AB", "12345 AB", "1234 A", "ABCD 12", "", "1234 ÄB"],
)
def test_postcode_invalid(raw):
    with pytest.raises(InvalidInput) as exc:
        v.postcode(raw)
    assert exc.value.field == "--postcode"


def test_postcode_rule():
    with pytest.raises(InvalidInput) as exc:
        v.postcode("0123 AB")
    assert exc.value.rule == "must be a Dutch postcode like 1234 AB"


# --------------------------------------------------------------------------
# email
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jan@example.nl", "jan@example.nl"),
        ("Jan.Jansen@Example.COM", "Jan.Jansen@example.com"),
        ("  info@dierenarts.nl ", "info@dierenarts.nl"),
    ],
)
def test_email_valid(raw, expected):
    assert v.email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "jan", "jan@", "@example.nl", "jan@@example.nl", "jan example@x.nl", "jan@example", "a@b..nl"],
)
def test_email_invalid(raw):
    with pytest.raises(InvalidInput) as exc:
        v.email(raw)
    assert exc.value.field == "--email"


# --------------------------------------------------------------------------
# phone
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12345678", "+31612345678"),
        ("06-12345678", "+31612345678"),
        ("+31 6 12345678", "+31612345678"),
        ("0031612345678", "+31612345678"),
        ("020 123 4567", "+31201234567"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_phone_valid(raw, expected):
    assert v.phone(raw) == expected


@pytest.mark.parametrize("raw", ["123", "", "abc", "06 1234", "+99 123456789", "06 123456789012"])
def test_phone_invalid(raw):
    with pytest.raises(InvalidInput) as exc:
        v.phone(raw)
    assert exc.value.field == "--phone"


# --------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-27", date(2026, 11, 27)),
        ("27-11-2026", date(2026, 11, 27)),
        ("27/11/2026", date(2026, 11, 27)),
        ("27.11.2026", date(2026, 11, 27)),
        ("1-2-2026", date(2026, 2, 1)),
        ("05-12-2026", date(2026, 12, 5)),  # day first, not month first
        ("29-02-2024", date(2024, 2, 29)),
        ("2024-02-29", date(2024, 2, 29)),
        (" 2026-01-01 ", date(2026, 1, 1)),
    ],
)
def test_parse_date_valid(raw, expected):
    assert v.parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "29-02-2025",
        "2025-02-29",
        "31-02-2026",
        "2026-27-11",
        "05-13-2026",  # dateutil would silently swap to 13 May
        "32-01-2026",
        "00-01-2026",
        "0000-01-01",
        "27-11-26",
        "27-11/2026",
        "20261127",
        "2026/11/27",
        "2026-1-5",
        "tomorrow",
        "5",
        "",
        "garbage",
        "27 november 2026",
        "2026-11-27T10:00",
        "١٢-١١-٢٠٢٦",  # non-ASCII digits
    ],
)
def test_parse_date_invalid(raw):
    with pytest.raises(InvalidInput) as exc:
        v.parse_date(raw)
    assert exc.value.field == "--date"


def test_parse_date_rule():
    with pytest.raises(InvalidInput) as exc:
        v.parse_date("2026-27-11", field="--given")
    assert str(exc.value) == "--given: must be a date like 2026-11-27 or 27-11-2026"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-27", TODAY),
        ("26-11-2026", date(2026, 11, 26)),
        ("1900-01-01", date(1900, 1, 1)),
        ("15-03-2019", date(2019, 3, 15)),
    ],
)
def test_birth_date_valid(raw, expected):
    assert v.birth_date(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("2026-11-28", "must not be in the future"),
        ("01-01-2030", "must not be in the future"),
        ("1899-12-31", "must not be before 1900-01-01"),
        ("31-02-2020", "must be a date like 2026-11-27 or 27-11-2026"),
    ],
)
def test_birth_date_invalid(raw, rule):
    with pytest.raises(InvalidInput) as exc:
        v.birth_date(raw, today=TODAY)
    assert exc.value.field == "--birth-date"
    assert exc.value.rule == rule


def test_birth_date_uses_passed_today():
    assert v.birth_date("2030-01-01", today=date(2031, 1, 1)) == date(2030, 1, 1)
    with pytest.raises(InvalidInput):
        v.birth_date("2030-01-01", today=date(2029, 12, 31))


# --------------------------------------------------------------------------
# chip
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("528140000123456", "528140000123456"),
        ("528 140 000 123 456", "528140000123456"),
        ("001000000000000", "001000000000000"),
        ("899999999999999", "899999999999999"),
        ("900000000000000", "900000000000000"),
        ("998999999999999", "998999999999999"),
    ],
)
def test_chip_valid(raw, expected):
    assert v.chip(raw) == expected


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("000123456789012", "000 is not a valid country or manufacturer code"),
        ("999123456789012", "999 is a test chip number and cannot be registered"),
        ("52814000012345", "must be a chip number of exactly 15 digits"),  # 14
        ("5281400001234567", "must be a chip number of exactly 15 digits"),  # 16
        ("52814000012345A", "must be a chip number of exactly 15 digits"),
        ("ABCDEFGHIJKLMNO", "must be a chip number of exactly 15 digits"),
        ("528-140-000-123-456", "must be a chip number of exactly 15 digits"),
        ("٥٢٨١٤٠٠٠٠١٢٣٤٥٦", "must be a chip number of exactly 15 digits"),
        ("", "is required"),
    ],
)
def test_chip_invalid(raw, rule):
    with pytest.raises(InvalidInput) as exc:
        v.chip(raw)
    assert exc.value.field == "--chip"
    assert exc.value.rule == rule


# --------------------------------------------------------------------------
# weight
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("4,25", 4250),
        ("4.25", 4250),
        ("4", 4000),
        ("0,001", 1),
        ("0.5", 500),
        ("12,345", 12345),
        ("2000", 2_000_000),
        ("2000,000", 2_000_000),
        (" 3,1 ", 3100),
    ],
)
def test_weight_valid(raw, expected):
    result = v.weight_grams(raw)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("0", "must be greater than 0 kg"),
        ("0,000", "must be greater than 0 kg"),
        ("-1", "must be greater than 0 kg"),
        ("2000,001", "must be at most 2000 kg"),
        ("5000", "must be at most 2000 kg"),
        ("1.2345", "must be a weight in kilograms like 4,25 (at most 3 decimals)"),
        ("abc", "must be a weight in kilograms like 4,25 (at most 3 decimals)"),
        ("1e3", "must be a weight in kilograms like 4,25 (at most 3 decimals)"),
        ("1.000,5", "must be a weight in kilograms like 4,25 (at most 3 decimals)"),
        ("4,", "must be a weight in kilograms like 4,25 (at most 3 decimals)"),
        ("nan", "must be a weight in kilograms like 4,25 (at most 3 decimals)"),
        ("inf", "must be a weight in kilograms like 4,25 (at most 3 decimals)"),
        ("4 kg", "must be a weight in kilograms like 4,25 (at most 3 decimals)"),
        ("", "is required"),
    ],
)
def test_weight_invalid(raw, rule):
    with pytest.raises(InvalidInput) as exc:
        v.weight_grams(raw)
    assert exc.value.field == "--weight"
    assert exc.value.rule == rule


# --------------------------------------------------------------------------
# sex
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("male", "male"),
        ("Female", "female"),
        ("male neutered", "male neutered"),
        ("male-neutered", "male neutered"),
        ("FEMALE_SPAYED", "female spayed"),
        ("  female   spayed ", "female spayed"),
        ("unknown", "unknown"),
        ("reu", "male"),
        ("Teef", "female"),
        ("reu gecastreerd", "male neutered"),
        ("reu-gecastreerd", "male neutered"),
        ("teef gesteriliseerd", "female spayed"),
        ("onbekend", "unknown"),
    ],
)
def test_sex_valid(raw, expected):
    assert v.sex(raw) == expected
    assert v.sex(raw) in v.SEXES


@pytest.mark.parametrize("raw", ["m", "neutered", "mannetje", "", "malee"])
def test_sex_invalid(raw):
    with pytest.raises(InvalidInput) as exc:
        v.sex(raw)
    assert exc.value.field == "--sex"


def test_sex_rule_lists_allowed_values():
    with pytest.raises(InvalidInput) as exc:
        v.sex("x")
    for allowed in v.SEXES:
        assert allowed in exc.value.rule


# --------------------------------------------------------------------------
# species
# --------------------------------------------------------------------------


def test_species_constants():
    assert len(v.DEFAULT_SPECIES) == len(set(v.DEFAULT_SPECIES)) == 26
    assert all(s == s.lower() for s in v.DEFAULT_SPECIES)
    assert set(v.SPECIES_ALIASES.values()) == set(v.DEFAULT_SPECIES)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("dog", "dog"),
        ("Cat", "cat"),
        (" guinea pig ", "guinea pig"),
        ("Guinea  Pig", "guinea pig"),
        ("hond", "dog"),
        ("Kat", "cat"),
        ("cavia", "guinea pig"),
        ("schildpad", "tortoise"),
        ("overig", "other"),
        ("pony", "pony"),
    ],
)
def test_species_valid(raw, expected):
    assert v.species(raw, v.DEFAULT_SPECIES) == expected


@pytest.mark.parametrize("raw", ["dragon", "", "honden", "dogs"])
def test_species_invalid(raw):
    with pytest.raises(InvalidInput) as exc:
        v.species(raw, v.DEFAULT_SPECIES)
    assert exc.value.field == "--species"


def test_species_rule_and_extensible_list():
    with pytest.raises(InvalidInput) as exc:
        v.species("alpaca", v.DEFAULT_SPECIES)
    assert exc.value.rule == "must be one of the known species (see `vetcards species list`)"
    known = [*v.DEFAULT_SPECIES, "alpaca"]
    assert v.species("Alpaca", known) == "alpaca"
    # A generator works, and a species missing from the caller's list is refused
    assert v.species("hond", (s for s in ["dog"])) == "dog"
    with pytest.raises(InvalidInput):
        v.species("kat", ["dog"])


# --------------------------------------------------------------------------
# payment method
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("cash", "cash"), ("PIN", "pin"), (" Account ", "account")],
)
def test_payment_valid(raw, expected):
    assert v.payment_method(raw) == expected


@pytest.mark.parametrize("raw", ["card", "contant", "", "pinnen"])
def test_payment_invalid(raw):
    with pytest.raises(InvalidInput) as exc:
        v.payment_method(raw)
    assert exc.value.field == "--payment"


# --------------------------------------------------------------------------
# messages: name the field, never echo the value
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "bad", "field"),
    [
        (lambda x, f: v.text(x, field=f, max_len=10), "Geheimnaam Vertrouwelijk", "--name"),
        (lambda x, f: v.text(x, field=f), "Jansen\nSecretline", "--name"),
        (lambda x, f: v.postcode(x, field=f), "9876 SS", "--postcode"),
        (lambda x, f: v.email(x, field=f), "geheim.persoon@@voorbeeld.nl", "--email"),
        (lambda x, f: v.phone(x, field=f), "06 98765", "--phone"),
        (lambda x, f: v.parse_date(x, field=f), "31-02-1987", "--date"),
        (lambda x, f: v.birth_date(x, today=TODAY, field=f), "17-08-2031", "--birth-date"),
        (lambda x, f: v.chip(x, field=f), "999876543210123", "--chip"),
        (lambda x, f: v.chip(x, field=f), "52876543210", "--chip"),
        (lambda x, f: v.weight_grams(x, field=f), "7,6543", "--weight"),
        (lambda x, f: v.weight_grams(x, field=f), "98765", "--weight"),
        (lambda x, f: v.sex(x, field=f), "hermafrodiet", "--sex"),
        (lambda x, f: v.species(x, v.DEFAULT_SPECIES, field=f), "eenhoorn", "--species"),
        (lambda x, f: v.payment_method(x, field=f), "bitcoin", "--payment"),
        (lambda x, f: v.email(x, field=f), "persoon@voorbeeld", "--contact-email"),
    ],
)
def test_error_names_field_and_hides_value(func, bad, field):
    with pytest.raises(InvalidInput) as exc:
        func(bad, field)
    message = str(exc.value)
    assert exc.value.field == field
    assert message.startswith(f"{field}: ")
    assert bad not in message
    assert bad.strip() not in message
    # Nor the exception chain: nothing of the value leaks via __cause__/__context__.
    assert exc.value.__cause__ is None
    assert exc.value.__suppress_context__ or exc.value.__context__ is None


def test_heavy_libraries_not_imported_at_module_level():
    names = vars(v)
    for lib in (
        "phonenumbers",
        "email_validator",
        "stdnum",
        "dateutil",
        "typer",
        "rich",
        "sqlalchemy",
        "sqlmodel",
    ):
        assert lib not in names


INVISIBLE = ["\u202e", "\u200b", "\ufeff", "\u2028", "\u2029", "\u00ad", "\u200e"]


@pytest.mark.parametrize("ch", INVISIBLE)
def test_invisible_and_bidirectional_characters_are_refused_everywhere(vet, ch):
    """Names, streets, cities and record texts (SPEC §3): one rule, validation.check_visible."""
    base = {"--name": "Anna Jansen", "--street": "Dorpsstraat 1", "--city": "Utrecht"}
    for option in base:
        args = ["client", "add", "--postcode", "1234 AB", "--consent"]
        for name, value in base.items():
            args += [name, f"Anna{ch}Jansen" if name == option else value]
        r = vet.run(*args)
        assert r.exit_code == 1 and r.stderr == f"error: {option}: {v.RULE_CONTROL}\n", (option, r.stderr)
    assert vet.sql("SELECT count(*) FROM client") == [(0,)]
    k = vet.add_client()
    p = vet.add_pet(k)
    r = vet.run("pet", "add", k, "--name", f"Bel{ch}lo", "--species", "dog")
    assert r.exit_code == 1 and "--name" in r.stderr
    for option in ("--reason", "--findings"):
        extra = {"--reason": "Controle", "--findings": "Geen bijzonderheden"}
        extra[option] = f"Con{ch}trole"
        args = ["visit", "add", p]
        for name, value in extra.items():
            args += [name, value]
        r = vet.run(*args)
        assert r.exit_code == 1 and r.stderr.startswith(f"error: {option}: must not contain control"), r.stderr
    assert vet.sql("SELECT count(*) FROM visit") == [(0,)]


def test_record_text_keeps_line_breaks_but_not_invisible_characters():
    assert v.check_visible("regel 1\nregel 2", "--findings", line_breaks=True) == "regel 1\nregel 2"
    with pytest.raises(InvalidInput) as exc:
        v.check_visible("regel\u202e1", "--findings", line_breaks=True)
    assert exc.value.rule == v.RULE_CONTROL_LINES
    with pytest.raises(InvalidInput):
        v.check_visible("regel 1\nregel 2", "--name")
