"""`vetcards pet ...` and `vetcards species ...` through the CLI on a real encrypted file."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

TODAY = date.today()
TOMORROW = TODAY + timedelta(days=1)
CHIP = "528210000000001"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def snapshot(vet) -> tuple:
    return (vet.counts(), vet.sql("SELECT name, value FROM counter ORDER BY name"),
            vet.sql("SELECT * FROM pet ORDER BY id"), vet.sql("SELECT * FROM weight ORDER BY id"))


def assert_refused(vet, args: list[str], field: str, code: int = 1) -> str:
    before = snapshot(vet)
    r = vet.run(*args)
    assert r.exit_code == code, (args, r.exit_code, r.stdout, r.stderr, r.exception)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    assert field in lines[0], (field, lines[0])
    assert snapshot(vet) == before
    return lines[0]


def pet_row(vet, number: str) -> dict:
    cols = ["id", "number", "client_id", "name", "species", "breed", "sex", "birth_date", "chip",
            "colour", "coat", "insured", "deceased_on", "created_at", "updated_at"]
    rows = vet.sql(f"SELECT {', '.join(cols)} FROM pet WHERE number = ?", (number,))
    assert len(rows) == 1
    return dict(zip(cols, rows[0]))


def pet_card(vet, ref: str) -> dict:
    return vet.ok("pet", "show", ref, "--format", "json").json()


@pytest.fixture
def owner(vet) -> str:
    return vet.add_client()


# --------------------------------------------------------------------------
# pet add: valid input
# --------------------------------------------------------------------------


def test_add_with_all_fields(vet, owner):
    r = vet.ok("pet", "add", owner, "--name", "Bello", "--species", "hond", "--breed", "Labrador",
               "--sex", "Male-Neutered", "--birth-date", "01-05-2020", "--chip", "528 210 000 000 001",
               "--weight", "31,4", "--colour", "blond", "--coat", "short", "--insured")
    assert r.stdout.strip() == "P000001"
    row = pet_row(vet, "P000001")
    assert row["name"] == "Bello"
    assert row["species"] == "dog"
    assert row["breed"] == "Labrador"
    assert row["sex"] == "male neutered"
    assert row["birth_date"] == "2020-05-01"
    assert row["chip"] == CHIP
    assert (row["colour"], row["coat"], row["insured"], row["deceased_on"]) == ("blond", "short", 1, None)
    assert vet.sql("SELECT measured_on, grams FROM weight") == [(TODAY.isoformat(), 31400)]
    assert vet.sql("SELECT c.number FROM pet p JOIN client c ON c.id = p.client_id") == [(owner,)]


def test_add_minimal(vet, owner):
    vet.ok("pet", "add", owner, "--name", "Minoes", "--species", "cat")
    row = pet_row(vet, "P000001")
    assert (row["sex"], row["chip"], row["insured"], row["birth_date"]) == ("unknown", None, None, None)
    assert vet.sql("SELECT count(*) FROM weight") == [(0,)]


def test_add_not_insured(vet, owner):
    vet.add_pet(owner, not_insured=True)
    assert pet_row(vet, "P000001")["insured"] == 0


def test_add_json_prints_id_and_number(vet, owner):
    out = vet.ok("pet", "add", owner, "--name", "Bello", "--species", "dog", "--json").json()
    assert set(out) >= {"id", "number"} and out["number"] == "P000001"
    assert vet.sql("SELECT id FROM pet WHERE number = 'P000001'") == [(out["id"],)]


def test_add_by_client_id(vet, owner):
    vet.ok("pet", "add", "1", "--name", "Bello", "--species", "dog")
    assert pet_card(vet, "P000001")["client"] == owner


@pytest.mark.parametrize("sex,stored", [("male", "male"), ("female", "female"),
                                        ("male neutered", "male neutered"),
                                        ("female_spayed", "female spayed"), ("unknown", "unknown"),
                                        ("teef", "female")])
def test_add_each_sex(vet, owner, sex, stored):
    vet.add_pet(owner, sex=sex)
    assert pet_row(vet, "P000001")["sex"] == stored


@pytest.mark.parametrize("chip", ["528210000000001", "900123456789012", "998000000000000",
                                  "001000000000000", "899999999999999"])
def test_add_valid_chips(vet, owner, chip):
    vet.add_pet(owner, chip=chip)
    assert pet_row(vet, "P000001")["chip"] == chip


# --------------------------------------------------------------------------
# pet add / edit: invalid input, field by field
# --------------------------------------------------------------------------

INVALID = [
    ("--chip", "999000000000001"),
    ("--chip", "999123456789012"),
    ("--chip", "000123456789012"),
    ("--chip", "52821000000001"),     # 14 digits
    ("--chip", "5282100000000012"),   # 16 digits
    ("--chip", "52821000000000A"),
    ("--chip", "chipnummer"),
    ("--weight", "0"),
    ("--weight", "0,0"),
    ("--weight", "-1"),
    ("--weight", "-0,5"),
    ("--weight", "zwaar"),
    ("--weight", "12kg"),
    ("--weight", "1,2345"),
    ("--weight", "2001"),
    ("--species", "unicorn"),
    ("--species", ""),
    ("--sex", "robot"),
    ("--sex", ""),
    ("--birth-date", TOMORROW.isoformat()),
    ("--birth-date", TOMORROW.strftime("%d-%m-%Y")),
    ("--birth-date", "2999-01-01"),
    ("--birth-date", "31-02-2020"),
    ("--birth-date", "2020-13-01"),
    ("--birth-date", "vorig jaar"),
    ("--name", ""),
    ("--name", "   "),
    ("--name", "Bel\tlo"),
    ("--breed", "x" * 101),
]


@pytest.mark.parametrize("option,value", INVALID)
def test_add_invalid_field_is_refused(vet, owner, option, value):
    vet.add_pet(owner, "Existing")
    args = ["pet", "add", owner, "--name", "Bello", "--species", "dog"]
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    assert_refused(vet, args, option)


@pytest.mark.parametrize("option,value", [iv for iv in INVALID if iv[0] != "--weight"])
def test_edit_invalid_field_is_refused(vet, owner, option, value):
    p = vet.add_pet(owner, "Bello", chip=CHIP, birth_date="2020-01-01")
    assert_refused(vet, ["pet", "edit", p, option, value], option)


@pytest.mark.parametrize("missing", ["--name", "--species"])
def test_add_missing_required_field_is_refused(vet, owner, missing):
    args = ["pet", "add", owner, "--name", "Bello", "--species", "dog"]
    i = args.index(missing)
    del args[i:i + 2]
    assert_refused(vet, args, missing, code=2)


def test_duplicate_chip_is_refused_on_add_and_edit(vet, owner):
    vet.add_pet(owner, "Bello", chip=CHIP)
    other = vet.add_client("Bert de Boer")
    line = assert_refused(vet, ["pet", "add", other, "--name", "Rex", "--species", "dog", "--chip", CHIP],
                          "--chip")
    assert "already" in line
    p2 = vet.add_pet(other, "Rex")
    assert_refused(vet, ["pet", "edit", p2, "--chip", CHIP], "--chip")
    # the same chip on the same pet is not a conflict
    vet.ok("pet", "edit", "P000001", "--chip", CHIP)


def test_added_pet_to_unknown_client_is_refused(vet, owner):
    assert_refused(vet, ["pet", "add", "K000099", "--name", "Bello", "--species", "dog"], "not found")


# --------------------------------------------------------------------------
# pet edit
# --------------------------------------------------------------------------


def test_edit_changes_only_given_fields(vet, owner):
    p = vet.add_pet(owner, "Bello", breed="Labrador", sex="male", birth_date="2020-01-01",
                    chip=CHIP, colour="black", coat="short", insured=True, weight="30")
    before = pet_row(vet, p)
    r = vet.ok("pet", "edit", p, "--breed", "Golden retriever", "--not-insured", "--json")
    assert sorted(r.json()["changed"]) == ["breed", "insured"]
    after = pet_row(vet, p)
    assert (after["breed"], after["insured"]) == ("Golden retriever", 0)
    for col in ("id", "number", "client_id", "name", "species", "sex", "birth_date", "chip",
                "colour", "coat", "deceased_on", "created_at"):
        assert after[col] == before[col], col
    assert vet.sql("SELECT grams FROM weight") == [(30000,)]


def test_edit_each_field(vet, owner):
    p = vet.add_pet(owner)
    for args in (["--name", "Max"], ["--species", "kat"], ["--breed", "Pers"], ["--sex", "female spayed"],
                 ["--birth-date", "2019-06-07"], ["--chip", "900123456789012"], ["--colour", "grijs"],
                 ["--coat", "lang"], ["--insured"]):
        vet.ok("pet", "edit", p, *args)
    card = pet_card(vet, p)
    assert (card["name"], card["species"], card["breed"], card["sex"], card["birth_date"], card["chip"],
            card["colour"], card["coat"], card["insured"]) == (
        "Max", "cat", "Pers", "female spayed", "2019-06-07", "900123456789012", "grijs", "lang", True)


def test_edit_empty_chip_clears_it(vet, owner):
    p = vet.add_pet(owner, chip=CHIP)
    vet.ok("pet", "edit", p, "--chip", "")
    assert pet_row(vet, p)["chip"] is None


def test_edit_bumps_owner_last_activity(vet, owner):
    p = vet.add_pet(owner)
    vet.sql_write("UPDATE client SET created_at = '2015-01-01 10:00:00', updated_at = '2015-01-01 10:00:00'")
    vet.sql_write("UPDATE pet SET created_at = '2016-02-02 10:00:00', updated_at = '2016-02-02 10:00:00'")
    card = vet.ok("client", "show", owner, "--format", "json").json()
    assert card["last_activity"] == "2016-02-02"
    vet.ok("pet", "edit", p, "--colour", "bruin")
    card = vet.ok("client", "show", owner, "--format", "json").json()
    assert card["last_activity"] == TODAY.isoformat()


def test_edit_with_no_fields_is_refused(vet, owner):
    p = vet.add_pet(owner)
    r = vet.run("pet", "edit", p)
    assert r.exit_code != 0 and r.stdout == "" and len(r.stderr.splitlines()) == 1


# --------------------------------------------------------------------------
# weigh and deceased
# --------------------------------------------------------------------------


def test_weigh_builds_history(vet, owner):
    p = vet.add_pet(owner, weight="4,25")
    r = vet.ok("pet", "weigh", p, "4,5", "--date", "2024-03-01", "--json")
    out = r.json()
    assert out["pet"] == p and out["date"] == "2024-03-01" and out["grams"] == 4500 and out["id"]
    vet.ok("pet", "weigh", "1", "4.75", "--date", "01-06-2025")
    vet.ok("pet", "weigh", p, "5")
    card = pet_card(vet, p)
    assert card["weights"] == [
        {"date": "2024-03-01", "kg": "4.5"},
        {"date": "2025-06-01", "kg": "4.75"},
        {"date": TODAY.isoformat(), "kg": "4.25"},
        {"date": TODAY.isoformat(), "kg": "5"},
    ]
    assert card["weight_kg"] == "5"  # the latest weighing


def test_weigh_bumps_last_activity(vet, owner):
    p = vet.add_pet(owner)
    vet.sql_write("UPDATE client SET created_at = '2015-01-01 10:00:00', updated_at = '2015-01-01 10:00:00'")
    vet.sql_write("UPDATE pet SET created_at = '2015-01-01 10:00:00', updated_at = '2015-01-01 10:00:00'")
    vet.ok("pet", "weigh", p, "4", "--date", "2019-09-09")
    assert vet.ok("client", "show", owner, "--format", "json").json()["last_activity"] == "2019-09-09"


@pytest.mark.parametrize("kg", ["0", "0,000", "-1", "-2,5", "zwaar", "1,2345", "2001", ""])
def test_weigh_invalid_weight(vet, owner, kg):
    p = vet.add_pet(owner, weight="4")
    # "--" so that "-1" reaches the validation instead of the option parser
    assert_refused(vet, ["pet", "weigh", p, "--", kg], "KG")


def test_weigh_negative_without_separator_is_a_usage_error(vet, owner):
    p = vet.add_pet(owner, weight="4")
    assert_refused(vet, ["pet", "weigh", p, "-1"], "-1", code=2)


@pytest.mark.parametrize("when", [TOMORROW.isoformat(), "2026-02-30", "morgen", "2019-12-31"])
def test_weigh_invalid_date(vet, owner, when):
    p = vet.add_pet(owner, birth_date="2020-01-01")
    assert_refused(vet, ["pet", "weigh", p, "4", "--date", when], "--date")


def test_weigh_after_death_is_refused(vet, owner):
    p = vet.add_pet(owner)
    vet.ok("pet", "deceased", p, "--date", "2024-01-01")
    assert_refused(vet, ["pet", "weigh", p, "4", "--date", "2024-01-02"], "--date")
    vet.ok("pet", "weigh", p, "4", "--date", "2024-01-01")


def test_deceased(vet, owner):
    p = vet.add_pet(owner, birth_date="2015-01-01")
    vet.ok("pet", "deceased", p, "--date", "27-11-2025")
    assert pet_row(vet, p)["deceased_on"] == "2025-11-27"
    assert pet_card(vet, p)["deceased_on"] == "2025-11-27"
    listed = vet.ok("pet", "list", "--format", "json").json()
    assert listed[0]["deceased_on"] == "2025-11-27"


def test_deceased_defaults_to_today(vet, owner):
    p = vet.add_pet(owner)
    vet.ok("pet", "deceased", p)
    assert pet_row(vet, p)["deceased_on"] == TODAY.isoformat()


@pytest.mark.parametrize("when", [TOMORROW.isoformat(), "30-02-2024", "gisteren", "2014-12-31"])
def test_deceased_invalid_date(vet, owner, when):
    p = vet.add_pet(owner, birth_date="2015-01-01")
    assert_refused(vet, ["pet", "deceased", p, "--date", when], "--date")


# --------------------------------------------------------------------------
# unknown pets
# --------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["P000099", "99", "bello", "99999999999999999999999"])
def test_unknown_pet(vet, owner, ref):
    vet.add_pet(owner)
    for args in (["pet", "show", ref], ["pet", "edit", ref, "--name", "X"], ["pet", "weigh", ref, "4"],
                 ["pet", "deceased", ref]):
        assert_refused(vet, args, "not found")


def test_pet_list_of_unknown_client(vet, owner):
    assert_refused(vet, ["pet", "list", "--client", "K000099"], "not found")


# --------------------------------------------------------------------------
# show and list, every format
# --------------------------------------------------------------------------


def _pets(vet):
    a = vet.add_client("Anna Jansen")
    b = vet.add_client("Bert de Boer")
    p1 = vet.add_pet(a, "Bello", "dog", chip=CHIP, weight="31,4")
    p2 = vet.add_pet(a, "Minoes", "cat")
    p3 = vet.add_pet(b, "Rex", "dog")
    return a, b, p1, p2, p3


def test_show_json(vet):
    a, b, p1, p2, p3 = _pets(vet)
    card = pet_card(vet, p1)
    assert (card["number"], card["client"], card["name"], card["species"], card["chip"],
            card["weight_kg"]) == (p1, a, "Bello", "dog", CHIP, "31.4")
    assert card["weights"] == [{"date": TODAY.isoformat(), "kg": "31.4"}]
    assert card["record"] == []


@pytest.mark.parametrize("fmt", ["table", "plain", "csv"])
def test_show_other_formats(vet, fmt):
    a, b, p1, p2, p3 = _pets(vet)
    out = vet.ok("pet", "show", p1, "--format", fmt, env={"COLUMNS": "200"}).stdout
    for text in (p1, a, "Bello", CHIP, "31.4"):
        assert text in out
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert len(rows) == 1 and rows[0]["number"] == p1 and rows[0]["weight_kg"] == "31.4"
    else:
        assert "Weight history" in out


def test_list_json_all_by_client_and_by_species(vet):
    a, b, p1, p2, p3 = _pets(vet)
    assert [p["number"] for p in vet.ok("pet", "list", "--format", "json").json()] == [p1, p2, p3]
    mine = vet.ok("pet", "list", "--client", a, "--format", "json").json()
    assert [(p["number"], p["client"]) for p in mine] == [(p1, a), (p2, a)]
    dogs = vet.ok("pet", "list", "--species", "dog", "--format", "json").json()
    assert [p["number"] for p in dogs] == [p1, p3]
    honden = vet.ok("pet", "list", "--species", "Hond", "--format", "json").json()
    assert [p["number"] for p in honden] == [p1, p3]


@pytest.mark.parametrize("fmt", ["table", "plain", "csv"])
def test_list_other_formats(vet, fmt):
    a, b, p1, p2, p3 = _pets(vet)
    out = vet.ok("pet", "list", "--format", fmt, env={"COLUMNS": "200"}).stdout
    for text in (p1, p2, p3, "Bello", "Minoes", "Rex"):
        assert text in out
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [r["number"] for r in rows] == [p1, p2, p3]
        assert rows[0]["chip"] == CHIP


def test_list_empty(vet):
    assert vet.ok("pet", "list", "--format", "json").json() == []


def test_pets_of_restricted_client_are_hidden(vet):
    a, b, p1, p2, p3 = _pets(vet)
    vet.sql_write("UPDATE client SET restricted = 1 WHERE number = ?", (a,))
    assert [p["number"] for p in vet.ok("pet", "list", "--format", "json").json()] == [p3]
    for args in (["pet", "show", p1], ["pet", "edit", p1, "--name", "X"], ["pet", "weigh", p1, "4"],
                 ["pet", "deceased", p1], ["pet", "list", "--client", a]):
        assert_refused(vet, args, "not found")


# --------------------------------------------------------------------------
# species
# --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "plain", "csv", "json"])
def test_species_list(vet, fmt):
    out = vet.ok("species", "list", "--format", fmt).stdout
    for name in ("dog", "cat", "rabbit", "guinea pig", "horse"):
        assert name in out
    if fmt == "json":
        import json

        names = [d["species"] for d in json.loads(out)]
        assert names == sorted(names) and "dog" in names


def test_species_add_then_use(vet, owner):
    assert_refused(vet, ["pet", "add", owner, "--name", "Lama", "--species", "alpaca"], "--species")
    vet.ok("species", "add", "Alpaca")
    names = [d["species"] for d in vet.ok("species", "list", "--format", "json").json()]
    assert "alpaca" in names
    vet.add_pet(owner, "Lama", "alpaca")
    assert pet_row(vet, "P000001")["species"] == "alpaca"


def test_species_add_duplicate_and_empty_are_refused(vet):
    assert_refused(vet, ["species", "add", "dog"], "dog")
    assert_refused(vet, ["species", "add", "DOG"], "dog")
    assert_refused(vet, ["species", "add", "  "], "NAME")
