"""The vocabulary (pure): every code has a Dutch and an English label, lists agree."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vetcards import vocab


@pytest.mark.parametrize("kind", sorted(vocab.KINDS))
def test_every_code_has_a_dutch_and_an_english_label(kind):
    codes = vocab.codes(kind)
    assert codes and len(codes) == len(set(codes))
    for code in codes:
        nl, en = vocab.label(kind, code, "nl"), vocab.label(kind, code, "en")
        assert nl and en, (kind, code)
    # Labels tell codes apart.
    assert len({vocab.label(kind, c) for c in codes}) == len(codes)
    assert len({vocab.label(kind, c, "en") for c in codes}) == len(codes)


def test_labels_are_the_only_ones():
    assert set(vocab._LABELS) == set(vocab.KINDS)
    for kind, codes in vocab.KINDS.items():
        assert set(vocab._LABELS[kind]) == set(codes), kind
    for kind, texts in vocab._DESCRIPTIONS.items():
        assert set(texts) == set(vocab.KINDS[kind]), kind


@pytest.mark.parametrize("kind,code,lang,expected", [
    ("invoice_state", "in_collection", "nl", "in incasso"),
    ("invoice_state", "in_collection", "en", "in collection"),
    ("invoice_state", "paid", "nl", "betaald"),
    ("payment_method", "account", "nl", "op rekening"),
    ("payment_method", "transfer", "nl", "overboeking"),
    ("invoice_kind", "credit_note", "nl", "creditnota"),
    ("sex", "female spayed", "nl", "vrouwelijk, gesteriliseerd"),
    ("species", "dog", "nl", "hond"),
    ("species", "guinea pig", "nl", "cavia"),
    ("consent_method", "in-person", "nl", "persoonlijk"),
    ("recipient_kind", "chip-registry", "nl", "chipregister"),
    ("data_category", "naw", "nl", "naam en adres"),
    ("request_type", "portability", "nl", "overdraagbaarheid"),
    ("id_document", "driving-licence", "nl", "rijbewijs"),
    ("vat_rate", 9, "nl", "9% (verlaagd tarief)"),
])
def test_label(kind, code, lang, expected):
    assert vocab.label(kind, code, lang) == expected


def test_unknown_code_is_shown_as_stored_and_unknown_kind_or_lang_refused():
    assert vocab.label("species", "alpaca") == "alpaca"
    assert vocab.describe("sex", "male", "en") == "male"
    with pytest.raises(KeyError):
        vocab.label("colour", "red")
    with pytest.raises(ValueError):
        vocab.label("sex", "male", "de")


def test_descriptions_and_helpers():
    assert vocab.describe("data_category", "record", "en").startswith("medical record (visits")
    assert list(vocab.descriptions("right", "en")) == list(vocab.RIGHTS)
    assert vocab.labels("data_category", ["naw", "chip"]) == "naam en adres, chipnummer"
    assert vocab.one_of(vocab.PAY_METHODS) == "pin, cash or transfer"
    assert vocab.rule_one_of(vocab.PAYMENT_METHODS) == "must be one of: cash, pin, account"


def test_states_split_into_open_and_settled():
    assert set(vocab.OPEN_STATES) | set(vocab.SETTLED_STATES) == set(vocab.INVOICE_STATES)
    assert not set(vocab.OPEN_STATES) & set(vocab.SETTLED_STATES)
    assert set(vocab.PAID_AT_ONCE) < set(vocab.PAYMENT_METHODS)
    assert vocab.PAYMENT_TERM_DAYS == 14


def test_aliases_point_at_codes():
    assert set(vocab.SPECIES_ALIASES.values()) == set(vocab.SPECIES)
    assert vocab.SPECIES_ALIASES["hond"] == "dog"
    assert set(vocab.SEX_ALIASES.values()) <= set(vocab.SEXES)
    assert set(vocab.ID_DOCUMENT_ALIASES.values()) <= set(vocab.ID_DOCUMENTS)


@pytest.mark.parametrize("grams,en,nl", [
    (None, None, None), (4250, "4.25", "4,25"), (4000, "4", "4"), (42100, "42.1", "42,1"),
    (1, "0.001", "0,001"), (2_000_000, "2000", "2000"),
])
def test_format_kg(grams, en, nl):
    assert vocab.format_kg(grams) == en
    assert vocab.format_kg(grams, "nl") == nl


def test_cheap_to_import():
    """Standard library only: importing vocab pulls in nothing else of vetcards or third parties."""
    code = ("import sys; before = set(sys.modules); import vetcards.vocab; "
            "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] != 'vetcards' "
            "and m.split('.')[0] not in sys.stdlib_module_names))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import sys, vetcards.vocab; print(sorted(m for m in sys.modules if m.startswith('vetcards')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['vetcards', 'vetcards.vocab']"


def test_seeded_species_are_the_vocabulary(vet):
    """A new database holds exactly the species of the vocabulary (seeded by migration 0001)."""
    assert sorted(r[0] for r in vet.sql("SELECT name FROM species")) == sorted(vocab.SPECIES)
