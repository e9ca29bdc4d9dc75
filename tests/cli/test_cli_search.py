"""Finding people at the desk (SPEC §9): `client search` and list order, end to end through the CLI."""

from __future__ import annotations

import pytest

from vetcards.search import Query, phone_digits


@pytest.fixture
def desk(vet):
    numbers = {
        "ayse": vet.add_client("Ayşe Ölçer", street="Ginnekenweg 3", postcode="4818 JA", city="Breda",
                               phone="06-1234 5678", email="ayse@example.nl"),
        "hek": vet.add_client("Pieter van 't Hek", street="Kerkstraat 5", postcode="3511 AB", city="Zeist",
                              phone="+32 470 12 34 56"),
        "jansen": vet.add_client("Anna Jansen", city="Utrecht", email="Anna.Jansen@Example.nl"),
        "boer": vet.add_client("Zoë de Boer", city="Amersfoort"),
    }
    vet.add_pet(numbers["boer"], "Bléki", chip="528210000000001")
    return numbers


def found(vet, text: str) -> list[str]:
    return [c["number"] for c in vet.ok("client", "search", text, "--format", "json").json()]


@pytest.mark.parametrize(("text", "who"), [
    ("ölçer", "ayse"), ("OLCER", "ayse"), ("AYŞE", "ayse"), ("ayse", "ayse"), ("Ölç", "ayse"),
    ("ginnekenweg", "ayse"), ("4818JA", "ayse"), ("4818 ja", "ayse"), ("breda", "ayse"),
    ("06-1234 5678", "ayse"), ("0612345678", "ayse"), ("+31612345678", "ayse"), ("0031 6 1234", "ayse"),
    ("+32470", "hek"), ("0032 470 123", "hek"), ("van 't hek", "hek"), ("HEK", "hek"), ("van ’t Hek", "hek"),
    ("anna.jansen@example", "jansen"), ("jansen utrecht", "jansen"),
    ("bleki", "boer"), ("BLÉKI", "boer"), ("528210000000001", "boer"), ("zoe", "boer"),
])
def test_search_finds(vet, desk, text, who):
    assert found(vet, text) == [desk[who]]


@pytest.mark.parametrize("text", ["nobody", "9999", "+31", "jansen breda", "   "])
def test_search_finds_nothing(vet, desk, text):
    assert found(vet, text) == []


def test_search_result_sorted_by_surname(vet, desk):
    # every client has an "e" somewhere; sorted by surname: de Boer, van 't Hek, Jansen, Ölçer
    assert found(vet, "e") == [desk["boer"], desk["hek"], desk["jansen"], desk["ayse"]]


def test_list_sorted_by_surname(vet, desk):
    data = vet.ok("client", "list", "--format", "json").json()
    assert [c["name"] for c in data] == ["Zoë de Boer", "Pieter van 't Hek", "Anna Jansen", "Ayşe Ölçer"]
    assert data[0]["pets"] == 1
    assert [c["name"] for c in vet.ok("client", "list", "--limit", "2", "--format", "json").json()] == [
        "Zoë de Boer", "Pieter van 't Hek"]


def test_search_is_audited_by_number_not_text(vet, desk):
    vet.ok("client", "search", "ölçer")
    rows = vet.sql("SELECT action, entity_ids, details FROM audit_log WHERE action = 'client.search'")
    assert rows and desk["ayse"] in rows[-1][1]
    assert "lçer" not in " ".join(str(v) for v in rows[-1])


@pytest.mark.parametrize(("typed", "forms"), [
    ("06-1234 5678", ("31612345678", "612345678")), ("+316 1234", ("3161234",)), ("0031 6 12", ("31612",)),
    ("+32470", ("32470",)), ("1234 5678", ("12345678",)), ("1234", ()), ("jansen", ()), ("", ()),
])
def test_phone_digits(typed, forms):
    assert phone_digits(typed) == forms


def test_query_needs_every_word():
    q = Query.of("Jansen  UTRECHT")
    assert q.matches("k000001\x1fanna jansen\x1futrecht", None)
    assert not q.matches("k000001\x1fanna jansen\x1fbreda", None)
