"""Addresses at home and abroad (pure): each country's postcode and phone rule, the printed forms,
the lines of an address (SPEC §3, issue 13 point 5)."""

from __future__ import annotations

import pytest

from vetcards import address, validation, vocab
from vetcards.errors import InvalidInput


def test_every_country_has_a_postcode_rule_and_names():
    assert tuple(address.POSTCODE_RULES) == vocab.COUNTRIES
    assert vocab.COUNTRIES[0] == vocab.DEFAULT_COUNTRY == "NL"
    for code, rule in address.POSTCODE_RULES.items():
        assert len(code) == 2 and code.isupper()
        # The example of the error line is itself accepted, and every stored form fits the column.
        stored = validation.postcode(rule.example, country=code)
        assert len(stored) <= address.MAX_POSTCODE_LEN, code
        assert address.postcode_display(stored, code) == rule.example, code
        assert vocab.label("country", code, "nl") != code
        assert vocab.label("country", code, "en") != code


@pytest.mark.parametrize(("country", "typed", "stored", "shown"), [
    ("NL", "1234ab", "1234 AB", "1234 AB"),
    ("NL", " 1234  AB ", "1234 AB", "1234 AB"),
    ("BE", "2000", "2000", "2000"),
    ("BE", "B-2000", "2000", "2000"),
    ("DE", "10115", "10115", "10115"),
    ("DE", "D-01067", "01067", "01067"),
    ("FR", "75001", "75001", "75001"),
    ("LU", "1234", "L-1234", "L-1234"),
    ("LU", "L-1234", "L-1234", "L-1234"),
    ("LU", "l 1234", "L-1234", "L-1234"),
    ("GB", "SW1A 1AA", "SW1A1AA", "SW1A 1AA"),
    ("GB", "sw1a1aa", "SW1A1AA", "SW1A 1AA"),
    ("GB", "M1 1AE", "M11AE", "M1 1AE"),
    ("GB", "EC1A 1BB", "EC1A1BB", "EC1A 1BB"),
    ("AT", "1010", "1010", "1010"),
    ("CH", "8001", "8001", "8001"),
    ("DK", "1050", "1050", "1050"),
    ("ES", "28001", "28001", "28001"),
    ("IT", "00118", "00118", "00118"),
    ("PL", "00950", "00-950", "00-950"),
    ("SE", "11455", "114 55", "114 55"),
])
def test_postcode_per_country(country, typed, stored, shown):
    assert validation.postcode(typed, country=country) == stored
    assert address.postcode_display(stored, country) == shown


@pytest.mark.parametrize(("country", "typed", "rule"), [
    ("NL", "2000", "must be a Dutch postcode like 1234 AB"),
    ("NL", "1234 SS", "must be a Dutch postcode like 1234 AB"),  # stdnum: SS, SA, SD are not used
    ("BE", "1234 AB", "must be a Belgian postcode like 2000"),
    ("BE", "0999", "must be a Belgian postcode like 2000"),
    ("BE", "20000", "must be a Belgian postcode like 2000"),
    ("DE", "2000", "must be a German postcode like 10115"),
    ("DE", "00123", "must be a German postcode like 10115"),
    ("FR", "7500", "must be a French postcode like 75001"),
    ("LU", "L-12345", "must be a Luxembourg postcode like L-1234"),
    ("GB", "SW1A", "must be a British postcode like SW1A 1AA"),
    ("GB", "1234 AB", "must be a British postcode like SW1A 1AA"),
    ("AT", "1999", "must be an Austrian postcode like 1010"),  # stdnum: no such post office
    ("ES", "60001", "must be a Spanish postcode like 28001"),  # stdnum: no such province
    ("PL", "0-950", "must be a Polish postcode like 00-950"),
    ("SE", "01234", "must be a Swedish postcode like 114 55"),
])
def test_postcode_refused_names_the_countrys_rule(country, typed, rule):
    with pytest.raises(InvalidInput) as exc:
        validation.postcode(typed, country=country)
    assert exc.value.field == "--postcode"
    assert exc.value.rule == rule


def test_postcode_of_the_practice_stays_dutch_by_default():
    assert validation.postcode("1234ab") == "1234 AB"
    with pytest.raises(InvalidInput) as exc:
        validation.postcode("12345")
    assert exc.value.rule == "must be a Dutch postcode like 1234 AB"


@pytest.mark.parametrize(("typed", "code"), [
    ("BE", "BE"), ("be", "BE"), (" de ", "DE"), ("België", "BE"), ("belgie", "BE"), ("Belgium", "BE"),
    ("Duitsland", "DE"), ("UK", "GB"), ("Verenigd Koninkrijk", "GB"), ("nl", "NL"), ("Nederland", "NL"),
])
def test_country(typed, code):
    assert validation.country(typed) == code


@pytest.mark.parametrize("typed", ["US", "XX", "Belgique", "B", "", "IE"])
def test_country_refused_names_the_known_ones(typed):
    with pytest.raises(InvalidInput) as exc:
        validation.country(typed)
    assert exc.value.field == "--country"
    assert "NL, BE, DE, LU, FR, GB" in exc.value.rule or exc.value.rule == "is required"


@pytest.mark.parametrize(("country", "typed", "e164"), [
    ("NL", "06 12345678", "+31612345678"),
    ("BE", "0470 12 34 56", "+32470123456"),
    ("BE", "03 234 56 78", "+3232345678"),
    ("BE", "+31 6 12345678", "+31612345678"),  # an international prefix wins over the country
    ("DE", "030 1234567", "+49301234567"),
    ("DE", "0151 23456789", "+4915123456789"),
    ("GB", "020 7946 0018", "+442079460018"),
    ("FR", "06 12 34 56 78", "+33612345678"),
    ("LU", "628 123 456", "+352628123456"),
])
def test_phone_national_in_the_clients_country(country, typed, e164):
    assert validation.phone(typed, country=country) == e164


@pytest.mark.parametrize(("country", "typed", "code"), [
    ("BE", "06 12345678", "+32 "), ("DE", "12", "+49 "), ("GB", "0470 12 34 56", "+44 ")])
def test_phone_refused_names_the_countrys_example(country, typed, code):
    with pytest.raises(InvalidInput) as exc:
        validation.phone(typed, field="--landline", country=country)
    assert exc.value.field == "--landline"
    assert exc.value.rule == validation.phone_rule(country)
    assert code in exc.value.rule


def test_phone_rule_of_a_belgian_number():
    assert validation.phone_rule("BE").startswith("must be a valid phone number like 04")
    assert "+32 4" in validation.phone_rule("BE")
    assert validation.phone_rule("NL") == validation.RULE_PHONE


@pytest.mark.parametrize(("args", "nl", "en"), [
    (("Dorpsstraat 1", "1234 AB", "Utrecht", "NL"), ["Dorpsstraat 1", "1234 AB Utrecht"], None),
    (("Meir 1", "2000", "Antwerpen", "BE"), ["Meir 1", "2000 Antwerpen", "België"], "Belgium"),
    (("Hauptstr. 5", "10115", "Berlin", "DE"), ["Hauptstr. 5", "10115 Berlin", "Duitsland"], "Germany"),
    (("10 Downing St", "SW1A2AA", "London", "GB"), ["10 Downing St", "SW1A 2AA London", "Verenigd Koninkrijk"],
     "United Kingdom"),
    (("Rue 1", "L-1234", "Luxembourg", "LU"), ["Rue 1", "L-1234 Luxembourg", "Luxemburg"], "Luxembourg"),
    (("Kerkstraat 2", "1234 AB", "Utrecht", None), ["Kerkstraat 2", "1234 AB Utrecht"], None),
    ((None, "2000", "Antwerpen", "be"), ["2000 Antwerpen", "België"], "Belgium"),
])
def test_address_lines(args, nl, en):
    assert address.address_lines(*args) == nl
    english = address.address_lines(*args, lang="en")
    assert english[:-1] == nl[:-1] if en else english == nl
    if en:
        assert english[-1] == en
    assert address.address_line(*args) == ", ".join(nl)


def test_a_stored_value_without_a_rule_is_shown_as_stored():
    assert address.postcode_display("XYZ", "GB") == "XYZ"
    assert address.postcode_display("12345", "US") == "12345"
    assert address.postcode_display(None, "NL") == ""
    assert address.address_lines("Main St 1", "12345", "Springfield", "US") == [
        "Main St 1", "12345 Springfield", "US"]
