"""cli/words: counted nouns and amounts for people (pure)."""

from __future__ import annotations

import pytest

from vetcards.cli.words import count, plural
from vetcards.money import format_eur


@pytest.mark.parametrize("n,noun,expected", [
    (1, "recall", "1 recall"), (2, "recall", "2 recalls"), (0, "client", "0 clients"),
    (1, "client", "1 client"), (3, "entry", "3 entries"), (2, "address", "2 addresses"),
    (2, "expired invoice", "2 expired invoices"), (1, "expired invoice", "1 expired invoice"),
    (5, "category", "5 categories"), (-1, "client", "-1 clients"),
])
def test_count(n, noun, expected):
    assert count(n, noun) == expected


def test_plural_keeps_the_noun_for_one():
    assert plural("disclosure", 1) == "disclosure" and plural("disclosure", 7) == "disclosures"


@pytest.mark.parametrize("cents,expected", [
    (8857, "€ 88,57"), (123456, "€ 1.234,56"), (0, "€ 0,00"), (-1250, "€ -12,50"), (100000000, "€ 1.000.000,00"),
])
def test_format_eur(cents, expected):
    assert format_eur(cents) == expected
