"""Clients from abroad and a second phone (SPEC §3, issue 13 point 5), end to end through the CLI:
register a Belgian and a German client, show, list, search, edit; every refusal is one line, exit 1,
nothing written."""

from __future__ import annotations

import pytest

BELGIAN = ["--name", "Lotte Peeters", "--street", "Meir 1", "--country", "BE", "--postcode", "2000",
           "--city", "Antwerpen", "--phone", "0470 12 34 56"]
GERMAN = ["--name", "Jürgen Müller", "--street", "Hauptstraße 5", "--country", "de", "--postcode", "10115",
          "--city", "Berlin", "--phone", "0151 23456789", "--landline", "030 1234567"]


def snapshot(vet) -> tuple:
    return vet.counts(), vet.sql("SELECT name, value FROM counter ORDER BY name"), vet.sql(
        "SELECT number, country, postcode, phone, landline FROM client ORDER BY id")


def refused(vet, *args: str, field: str) -> str:
    before = snapshot(vet)
    r = vet.run(*args)
    assert r.exit_code == 1, (args, r.exit_code, r.stdout, r.stderr, r.exception)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}: "), r.stderr
    assert snapshot(vet) == before
    return lines[0]


def card(vet, number: str) -> dict:
    return vet.ok("client", "show", number, "--format", "json").json()


@pytest.fixture
def abroad(vet):
    be = vet.ok("client", "add", *BELGIAN, "--consent", "--json").json()["number"]
    de = vet.ok("client", "add", *GERMAN, "--consent", "--json").json()["number"]
    nl = vet.add_client("Anna Jansen", phone="06 12345678")
    return {"be": be, "de": de, "nl": nl}


def test_a_belgian_and_a_german_client_are_registered(vet, abroad):
    be, de, nl = card(vet, abroad["be"]), card(vet, abroad["de"]), card(vet, abroad["nl"])
    assert (be["country"], be["postcode"], be["city"], be["phone"], be["landline"]) == (
        "BE", "2000", "Antwerpen", "+32470123456", None)
    assert (de["country"], de["postcode"], de["phone"], de["landline"]) == (
        "DE", "10115", "+4915123456789", "+49301234567")
    assert (nl["country"], nl["postcode"], nl["phone"]) == ("NL", "1234 AB", "+31612345678")
    assert vet.sql("SELECT country FROM client ORDER BY id") == [("BE",), ("DE",), ("NL",)]


@pytest.mark.parametrize(("country", "postcode", "stored", "shown"), [
    ("GB", "sw1a 1aa", "SW1A1AA", "SW1A 1AA"),
    ("lu", "1234", "L-1234", "L-1234"),
    ("LU", "L-1234", "L-1234", "L-1234"),
    ("België", "B-2000", "2000", "2000"),
])
def test_postcode_stored_in_seven_characters_and_shown_as_people_write_it(vet, country, postcode, stored, shown):
    number = vet.ok("client", "add", "--name", "Sam Smith", "--street", "High St 1", "--country", country,
                    "--postcode", postcode, "--city", "London", "--consent", "--json").json()["number"]
    assert card(vet, number)["postcode"] == stored
    assert vet.sql("SELECT postcode FROM client WHERE number = ?", (number,)) == [(stored,)]
    table = vet.ok("client", "show", number, "--format", "table", env={"COLUMNS": "80"}).stdout
    assert shown in table
    listed = vet.ok("client", "list", "--format", "table", env={"COLUMNS": "80"}).stdout
    assert shown in listed


def test_the_country_is_shown_for_people_only_when_not_nl(vet, abroad):
    be = vet.ok("client", "show", abroad["be"], "--format", "table", env={"COLUMNS": "80"}).stdout
    assert "country" in be and "Belgium" in be and "landline" in be
    nl = vet.ok("client", "show", abroad["nl"], "--format", "table", env={"COLUMNS": "80"}).stdout
    assert "country" not in nl and "NL" not in nl.replace("NL0", "")
    # csv and json keep every field
    assert "country" in vet.ok("client", "show", abroad["nl"], "--format", "csv").stdout.splitlines()[0]


def test_list_and_search_json_have_country_and_landline(vet, abroad):
    rows = {r["number"]: r for r in vet.ok("client", "list", "--format", "json").json()}
    assert rows[abroad["de"]]["country"] == "DE" and rows[abroad["de"]]["landline"] == "+49301234567"
    assert rows[abroad["nl"]]["country"] == "NL" and rows[abroad["nl"]]["landline"] is None
    found = vet.ok("client", "search", "berlin", "--format", "json").json()
    assert [(r["number"], r["country"], r["landline"]) for r in found] == [
        (abroad["de"], "DE", "+49301234567")]
    header = vet.ok("client", "list", "--format", "csv").stdout.splitlines()[0].split(",")
    assert header == ["number", "name", "street", "postcode", "city", "country", "phone", "landline", "email",
                      "pets"]


def test_list_fits_80_columns_with_clients_abroad(vet, abroad):
    vet.ok("client", "edit", abroad["de"], "--email", "juergen.mueller@example.de")
    for cmd in (["client", "list"], ["client", "search", "e"]):
        out = vet.ok(*cmd, "--format", "table", env={"COLUMNS": "80"}).stdout
        assert max(len(line) for line in out.splitlines()) <= 80, out
        assert "+49301234567" not in out or "landline" in out
        assert "+4915123456789" in out  # the mobile is never cut
        assert "Germany" in out and "Belgium" in out  # the country column stays on 80 columns, as a word
    wide = vet.ok("client", "list", "--format", "table", "--wide", env={"COLUMNS": "200"}).stdout
    assert "+49301234567" in wide and "landline" in wide


def test_no_country_column_when_every_client_lives_here(vet):
    vet.add_client("Anna Jansen")
    out = vet.ok("client", "list", "--format", "table", "--wide", env={"COLUMNS": "200"}).stdout
    assert "country" not in out and "landline" in out


@pytest.mark.parametrize(("text", "who"), [
    ("+32470", "be"), ("+32 470 12", "be"), ("0032470123456", "be"), ("0470 12 34 56", "be"),
    ("+49 (0)30 1234567", "de"), ("030 1234567", "de"), ("+4930123", "de"), ("0151 2345", "de"),
    ("antwerpen", "be"), ("muller", "de"), ("MÜLLER", "de"), ("hauptstrasse", "de"), ("HAUPTSTRASSE 5", "de"), ("hauptstraße", "de"), ("nowhere", None), ("10115", "de"),
    ("2000", "be"),
])
def test_search_over_both_phones_in_any_countrys_form(vet, abroad, text, who):
    found = [c["number"] for c in vet.ok("client", "search", text, "--format", "json").json()]
    assert found == ([abroad[who]] if who else [])


def test_search_finds_a_british_postcode_typed_either_way(vet):
    number = vet.add_client("Sam Smith", country="GB", postcode="SW1A 1AA", city="London")
    for text in ("SW1A 1AA", "sw1a1aa", "sw1a"):
        assert [c["number"] for c in vet.ok("client", "search", text, "--format", "json").json()] == [number]


def test_edit_landline_country_and_postcode(vet, abroad):
    nl = abroad["nl"]
    # A landline beside the mobile: the mobile stays.
    vet.ok("client", "edit", nl, "--landline", "020 123 4567")
    got = card(vet, nl)
    assert (got["phone"], got["landline"]) == ("+31612345678", "+31201234567")
    # Moving abroad needs a postcode of the new country ...
    line = refused(vet, "client", "edit", nl, "--country", "BE", field="--postcode")
    assert "must be a Belgian postcode like 2000" in line and "--postcode" in line
    # ... and then the phones typed are of the new country; the old ones stay as they were.
    r = vet.ok("client", "edit", nl, "--country", "BE", "--postcode", "2000", "--city", "Antwerpen",
               "--landline", "03 234 56 78", "--json").json()
    assert sorted(r["changed"]) == ["city", "country", "landline", "postcode"]
    got = card(vet, nl)
    assert (got["country"], got["postcode"], got["phone"], got["landline"]) == (
        "BE", "2000", "+31612345678", "+3232345678")
    # A postcode alone is checked against the card's country.
    refused(vet, "client", "edit", nl, "--postcode", "1234 AB", field="--postcode")
    vet.ok("client", "edit", nl, "--postcode", "B-9000")
    assert card(vet, nl)["postcode"] == "9000"
    # A Luxembourg postcode that fits both: the card's is kept, in Luxembourg's form.
    vet.ok("client", "edit", nl, "--country", "LU")
    assert card(vet, nl)["postcode"] == "L-9000"
    # Clearing the landline.
    vet.ok("client", "edit", nl, "--landline", "")
    assert card(vet, nl)["landline"] is None
    fields = vet.sql("SELECT details FROM audit_log WHERE action = 'client.edit' ORDER BY id")
    assert '{"fields":["city","country","landline","postcode"]}' in [f[0] for f in fields]
    assert "Antwerpen" not in " ".join(f[0] for f in fields)


@pytest.mark.parametrize(("args", "field", "rule"), [
    (["--country", "US", "--postcode", "12345"], "--country", "NL, BE, DE, LU, FR, GB"),
    (["--country", "BE", "--postcode", "1234 AB"], "--postcode", "must be a Belgian postcode like 2000"),
    (["--country", "DE", "--postcode", "2000"], "--postcode", "must be a German postcode like 10115"),
    (["--country", "GB", "--postcode", "SW1A"], "--postcode", "must be a British postcode like SW1A 1AA"),
    (["--postcode", "2000"], "--postcode", "must be a Dutch postcode like 1234 AB"),
    (["--country", "BE", "--postcode", "2000", "--phone", "06 12345678"], "--phone", "+32 4"),
    (["--country", "BE", "--postcode", "2000", "--landline", "12"], "--landline", "+32"),
    (["--postcode", "1234 AB", "--landline", "not a number"], "--landline", "06 12345678"),
])
def test_add_refused_names_the_field_and_the_countrys_rule(vet, args, field, rule):
    line = refused(vet, "client", "add", "--name", "Lotte Peeters", "--street", "Meir 1", "--city", "Antwerpen",
                   *args, "--consent", field=field)
    assert rule in line


def test_same_phone_as_a_landline_is_a_look_alike(vet, abroad):
    # The German client's landline typed as the new card's mobile, in international form.
    before = snapshot(vet)
    r = vet.run("client", "add", "--name", "Petra Schmidt", "--street", "Ring 2", "--country", "DE",
                "--postcode", "50667", "--city", "Köln", "--phone", "+49 30 1234567", "--consent")
    assert r.exit_code == 1 and abroad["de"] in r.stderr and "same phone" in r.stderr
    assert snapshot(vet) == before
    # A landline that is another card's mobile, too.
    r = vet.run("client", "add", "--name", "Petra Schmidt", "--street", "Ring 2", "--postcode", "1234 AB",
                "--city", "Utrecht", "--landline", "06 12345678", "--consent")
    assert r.exit_code == 1 and abroad["nl"] in r.stderr and "same phone" in r.stderr
    # Same name and postcode in another country is not the same address.
    vet.ok("client", "add", "--name", "Lotte Peeters", "--street", "Hauptplatz 1", "--country", "AT",
           "--postcode", "2000", "--city", "Stockerau", "--consent")


def test_an_invoice_to_a_client_abroad_names_the_country_a_dutch_one_does_not(vet, abroad):
    vet.set_practice()
    be = vet.ok("invoice", "create", abroad["be"], "--line", "Consult;1;45,00", "--payment", "pin",
                "--json").json()["number"]
    nl = vet.ok("invoice", "create", abroad["nl"], "--line", "Consult;1;45,00", "--payment", "pin",
                "--json").json()["number"]
    assert vet.ok("invoice", "show", be, "--format", "json").json()["customer_country"] == "BE"
    assert vet.ok("invoice", "show", nl, "--format", "json").json()["customer_country"] == "NL"
    assert "customer country     BE" in vet.ok("invoice", "show", be, "--format", "plain").stdout
    assert "customer country" not in vet.ok("invoice", "show", nl, "--format", "plain").stdout
    # The snapshot stays what it was: the client moving home does not change an issued invoice.
    vet.ok("client", "edit", abroad["be"], "--country", "NL", "--postcode", "1234 AB")
    assert vet.ok("invoice", "show", be, "--format", "json").json()["customer_country"] == "BE"
