"""names.py: surname sort key with Dutch prefixes, and folding for search (pure, table-tested)."""

from __future__ import annotations

import pytest

from vetcards.names import fold, split_name, surname_key


@pytest.mark.parametrize(("name", "parts"), [
    ("Pieter van 't Hek", ("Pieter", "van 't", "Hek")),
    ("Pieter van ’t Hek", ("Pieter", "van ’t", "Hek")),
    ("Anna Jansen", ("Anna", "", "Jansen")),
    ("A. de Vries", ("A.", "de", "Vries")),
    ("Jan van der Berg", ("Jan", "van der", "Berg")),
    ("Kees ter Horst", ("Kees", "ter", "Horst")),
    ("Ria den Uyl", ("Ria", "den", "Uyl")),
    ("Joop van den Ende", ("Joop", "van den", "Ende")),
    ("Henk in 't Veld", ("Henk", "in 't", "Veld")),
    ("Marie de la Fontaine", ("Marie", "de la", "Fontaine")),
    ("Lotte Peeters", ("Lotte", "", "Peeters")),
    ("Jansen", ("", "", "Jansen")),
    ("van Dijk", ("", "van", "Dijk")),
    ("Els Jansen-van Dijk", ("Els", "", "Jansen-van Dijk")),
    ("Hek, Pieter van 't", ("Pieter", "van 't", "Hek")),
    ("Vries, A. de", ("A.", "de", "Vries")),
    ("Jansen, Anna", ("Anna", "", "Jansen")),
    ("Ayşe Ölçer", ("Ayşe", "", "Ölçer")),
    ("Anna  Maria   Bakker", ("Anna Maria", "", "Bakker")),
    ("", ("", "", "")),
])
def test_split_name(name, parts):
    assert split_name(name) == parts


def test_sorted_by_surname_with_prefixes():
    names = ["Pieter van 't Hek", "Anna Jansen", "Zoë de Boer", "Bram Hek", "Ayşe Ölçer", "Jan van der Berg",
             "Kees ter Horst", "ans janssen", "Émile Zola"]
    assert sorted(names, key=surname_key) == [
        "Jan van der Berg", "Zoë de Boer", "Bram Hek", "Pieter van 't Hek", "Kees ter Horst", "Anna Jansen",
        "ans janssen", "Ayşe Ölçer", "Émile Zola"]


@pytest.mark.parametrize(("typed", "folded"), [
    ("Ölçer", "olcer"), ("ölçer", "olcer"), ("AYŞE", "ayse"), ("Ayşe", "ayse"), ("Straße", "strasse"),
    ("Søren", "soren"), ("Łukasz", "lukasz"), ("Zoë", "zoe"), ("IJsselstein", "ijsselstein"),
    ("van ’t Hek", "van 't hek"), ("Ærø", "aero"),
])
def test_fold(typed, folded):
    assert fold(typed) == folded
