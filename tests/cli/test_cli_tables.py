"""Tables for people (SPEC §7): an 80-column terminal shows whole numbers and amounts as € 1.234,56,
drops the least useful columns (``--wide`` shows them all); machine formats keep their exact forms."""

from __future__ import annotations

import pytest

from vetcards.cli.output import euros, fit

NARROW = {"COLUMNS": "80"}


@pytest.fixture
def day(vet):
    vet.set_practice()
    k = vet.add_client("Pieter van 't Hek", street="Heel Lange Kerkstraatweg 1234", postcode="3511 AB",
                       city="Hoogezand-Sappemeer", phone="06 12345678",
                       email="pieter.van.t.hek.met.een.heel.lang.adres@example.nl")
    p = vet.add_pet(k, "Bello", chip="528210000000001", breed="Berner Sennenhond")
    inv = vet.ok("invoice", "create", k, "--pet", p, "--line", "Operatie onder narcose;1;1234,56",
                 "--payment", "pin", "--json").json()
    return k, p, inv["number"]


def table(vet, *args: str) -> str:
    out = vet.ok(*args, "--format", "table", env=NARROW).stdout
    assert max(len(line) for line in out.splitlines()) <= 80, out
    return out


def test_invoice_list_fits_80_with_whole_number_and_amount(vet, day):
    k, _, number = day
    out = table(vet, "invoice", "list")
    assert number in out and "€ 1.493,82" in out  # 1234,56 + 21% VAT, never cut
    assert "…" not in out
    wide = vet.ok("invoice", "list", "--format", "table", "--wide", env={"COLUMNS": "200"}).stdout
    assert "payment method" in wide and "payment method" not in out
    # machine formats keep their exact forms
    row = vet.ok("invoice", "list", "--format", "json").json()[0]
    assert row["total"] == "1493.82" and row["gross_cents"] == 149382
    assert "1493.82" in vet.ok("invoice", "list", "--format", "csv").stdout


def test_client_list_and_search_fit_80(vet, day):
    k, _, _ = day
    for args in (("client", "list"), ("client", "search", "hek")):
        out = table(vet, *args)
        assert k in out and "+31612345678" in out and "…" not in out
        assert "Kerkstraatweg" not in out  # the street is the first column left out
        assert "Kerkstraatweg" in vet.ok(*args, "--format", "table", "--wide", env={"COLUMNS": "250"}).stdout


def test_client_show_fits_80_with_readable_amounts(vet, day):
    k, p, number = day
    out = table(vet, "client", "show", k)
    assert k in out and p in out and number in out and "528210000000001" in out
    assert "€ 1.234,56" in out and "net cents" not in out
    card = vet.ok("client", "show", k, "--format", "json").json()
    assert card["services"][0]["net_cents"] == 123456


def test_pet_list_fits_80(vet, day):
    k, p, _ = day
    out = table(vet, "pet", "list")
    assert p in out and k in out and "528210000000001" in out


def test_wider_terminal_shows_more(vet, day):
    narrow = vet.ok("invoice", "list", "--format", "table", env=NARROW).stdout
    wide = vet.ok("invoice", "list", "--format", "table", env={"COLUMNS": "160"}).stdout
    assert "due date" not in narrow and "due date" in wide


@pytest.mark.parametrize(("value", "column", "shown"), [
    (123456, "net_cents", "€ 1.234,56"), ("1493.82", "total", "€ 1.493,82"), ("-12.50", "balance", "€ -12,50"),
    (0, "open_cents", "€ 0,00"), (None, "total", ""), ("1000000.00", "total", "€ 1.000.000,00"),
])
def test_euros(value, column, shown):
    assert euros(value, column) == shown


def test_fit_drops_in_priority_order_and_keeps_the_first_column():
    columns = ("number", "name", "street", "total")
    cells = [["K000001", "Pieter van 't Hek", "Kerkstraat 5", "€ 1,00"]]
    assert fit(columns, cells, 80) == list(columns)
    assert fit(columns, cells, 31, drop=("street",)) == ["number", "name", "total"]
    assert fit(columns, cells, 5, drop=("street",)) == ["number"]


def test_tables_for_people_show_codes_as_words_machine_formats_keep_codes(vet):
    """SPEC §7: codes are words for people (the vocabulary's English labels at the desk)."""
    vet.set_practice()
    k = vet.add_client("Anna Jansen", birth_date="1980-01-01")
    p = vet.add_pet(k, "Bello", sex="male neutered")
    number = vet.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "pin", "--json").json()["number"]
    vet.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "account")
    pet_table = vet.ok("pet", "show", p, "--format", "table", env={"COLUMNS": "120"}).stdout
    assert "male, neutered" in pet_table
    invoices = vet.ok("invoice", "list", "--format", "table", "--wide", env={"COLUMNS": "200"}).stdout
    assert "debit card" in invoices and "on account" in invoices
    card = vet.ok("invoice", "show", number, "--format", "table", env={"COLUMNS": "120"}).stdout
    assert "debit card" in card
    # scripts keep the codes
    assert vet.ok("pet", "show", p, "--format", "json").json()["sex"] == "male neutered"
    plain = vet.ok("invoice", "list", "--format", "plain").stdout
    assert " pin " in plain and "debit card" not in plain
