"""codes.parse: the one rule for reading a code a person typed (pure)."""

from __future__ import annotations

import pytest

from vetcards import codes
from vetcards.errors import InvalidInput
from vetcards.vocab import CONSENT_METHODS, CONSENT_PURPOSES, ID_DOCUMENT_ALIASES, ID_DOCUMENTS, PAYMENT_METHODS, SEXES


@pytest.mark.parametrize("typed,allowed,code", [
    ("Written", CONSENT_METHODS, "written"),
    ("IN-PERSON", CONSENT_METHODS, "in-person"),
    ("in_person", CONSENT_METHODS, "in-person"),
    ("  E-Mail ", CONSENT_METHODS, "e-mail"),
    ("Chip_Registration", CONSENT_PURPOSES, "chip-registration"),
    ("PIN", PAYMENT_METHODS, "pin"),
    ("Male  Neutered", SEXES, "male neutered"),
    ("Rijbewijs", ID_DOCUMENTS, "driving-licence"),
])
def test_a_code_is_read_whatever_its_case(typed, allowed, code):
    assert codes.parse(typed, allowed, "--x", aliases=ID_DOCUMENT_ALIASES) == code


@pytest.mark.parametrize("typed,rule", [
    ("", "is required"), ("   ", "is required"), (None, "is required"),
    ("telepathy", "must be one of: in-person, written, e-mail, phone, web, import"),
    ("written!", "must be one of:"),
])
def test_refusals_name_the_field_and_the_codes(typed, rule):
    with pytest.raises(InvalidInput) as exc:
        codes.parse(typed, CONSENT_METHODS, "--consent-method")
    assert exc.value.field == "--consent-method" and exc.value.rule.startswith(rule)
