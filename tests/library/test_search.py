"""client search on a real file: the SQL candidate filter never loses a client the folded match
accepts (vetcards.search.find against a plain Python match over every client)."""

from __future__ import annotations

import pytest

from vetcards import search
from vetcards.db import open_database
from vetcards.keys import read_key_file
from vetcards.names import fold

CLIENTS = [
    # name, street, postcode, city, country, phone, landline, email, restricted, pets [(name, chip)]
    ("Ayşe Ölçer", "Ginnekenweg 3", "4818 JA", "Breda", "NL", "+31612345678", None, "ayse@example.nl", 0,
     [("Bléki", "528210000000001")]),
    ("Pieter van `t Hek", "Kerkstraat 5", "3511 AB", "Zeist", "NL", None, "+31201234567", None, 0, []),
    ("Anna Jansen", "Dorpsstraat 1", "1234 AB", "Utrecht", "NL", "+31687654321", None, "a_b%c@example.nl", 0,
     [("Bello", None), ("Minoes", "528210000000002")]),
    ("Lotte Peeters", "Meir 1", "2000", "Antwerpen", "BE", "+32470123456", "+3232345678", None, 0, []),
    ("Jürgen Müller", "Hauptstraße 5", "10115", "Berlin", "DE", "+4915123456789", "+49301234567", None, 0,
     [("Rex", None)]),
    ("Sam Smith", "10 Downing Street", "SW1A2AA", "London", "GB", None, None, "sam@example.co.uk", 0, []),
    ("Verborgen Jansen", "Geheim 1", "1234 AB", "Utrecht", "NL", "+31611111111", None, None, 1, []),
    ("Zoë de Boer", "Laan 2", "3811 AA", "Amersfoort", "NL", None, None, None, 0, [("Ωmega", None)]),
    ("Kees Bakker", "Markt 3", "5611 AB", "Eindhoven", "NL", None, None, None, 0, [("Fléur", "528210000000003")]),
]

QUERIES = ["jansen", "JANSEN utrecht", "olcer", "Ölçer", "ayşe", "van 't hek", "van `t hek", "hek", "bleki",
           "528210000000002", "bello jansen", "a_b%c", "a_b", "%", "_", "4818ja", "4818 JA", "sw1a 2aa",
           "sw1a2aa", "+32470", "0470 12 34 56", "+49 (0)30 1234567", "030 1234567", "06 1234 5678",
           "0687654321", "strasse", "hauptstraße", "müller", "MULLER", "zoe", "ωmega", "Ω", "k000003", "1234 ab",
           "e", "de boer", "2000 antwerpen", "nobody", "verborgen", "\\", "'", "fleur", "FLÉUR bakker",
           "528 210 000 000 002", "jansen minoes", "bakker 528210000000003", "minoes bello"]


@pytest.fixture
def uow(vet):
    for i, (name, street, postcode, city, country, phone, landline, email, restricted, pets) in enumerate(
            CLIENTS, start=1):
        cid = vet.sql_write(
            "INSERT INTO client (number, name, street, postcode, city, country, phone, landline, email, "
            "restricted, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            (f"K{i:06d}", name, street, postcode, city, country, phone, landline, email, restricted))
        for j, (pet, chip) in enumerate(pets):
            vet.sql_write("INSERT INTO pet (number, client_id, name, species, sex, chip, created_at, updated_at) "
                          "VALUES (?, ?, ?, 'dog', 'unknown', ?, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                          (f"P{i:04d}{j:02d}", cid, pet, chip))
    db = open_database(vet.db, read_key_file(vet.key_file))
    with db.unit() as unit:
        yield unit


def by_python(text: str) -> list[str]:
    """Every visible client matched in Python alone (what find did before SQLite kept candidates)."""
    query = search.Query.of(text)
    found = []
    for i, (name, street, postcode, city, _c, phone, landline, email, restricted, pets) in enumerate(
            CLIENTS, start=1):
        hay = "\x1f".join([f"K{i:06d}", name, street, postcode, postcode.replace(" ", ""), city, email or "",
                           *(v for pet in pets for v in pet if v)])
        if not restricted and query.matches(fold(hay), phone, landline):
            found.append(f"K{i:06d}")
    return found


@pytest.mark.parametrize("text", QUERIES)
def test_find_keeps_every_match(uow, text):
    assert [row["number"] for row in search.find(uow, text)] == by_python(text)


def test_find_rows_carry_the_list_columns(uow):
    (row,) = search.find(uow, "müller")
    assert tuple(row) == search.ROW_KEYS
    assert (row["country"], row["landline"], row["pets"]) == ("DE", "+49301234567", 1)
    assert [r["number"] for r in search.find(uow, "k000003")] == ["K000003"]
    assert search.find(uow, "   ") == []
