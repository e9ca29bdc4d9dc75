"""`vetcards client ...` through the CLI on a real encrypted file.

Every command with valid input, every field with invalid input (one line
naming the field, exit 1, nothing on stdout, nothing written), consent,
last activity, restricted clients and every output format.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest

TODAY = date.today()
TOMORROW = TODAY + timedelta(days=1)

BASE = ["--name", "Anna Jansen", "--street", "Dorpsstraat 1", "--postcode", "1234 AB",
        "--city", "Utrecht"]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def snapshot(vet) -> tuple:
    """Everything a failed command must leave as it was: row counts and counters."""
    return vet.counts(), vet.sql("SELECT name, value FROM counter ORDER BY name")


def assert_refused(vet, args: list[str], field: str, code: int = 1, secret: str | None = None):
    before = snapshot(vet)
    r = vet.run(*args)
    assert r.exit_code == code, (args, r.exit_code, r.stdout, r.stderr, r.exception)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    assert field in lines[0], (field, lines[0])
    if secret:  # the rejected (possibly personal) value is never echoed
        assert secret not in r.stderr
    assert snapshot(vet) == before
    return lines[0]


def client_row(vet, number: str) -> dict:
    cols = ["id", "number", "name", "street", "postcode", "city", "phone", "email", "birth_date",
            "created_at", "updated_at", "legal_hold_reason", "restricted"]
    rows = vet.sql(f"SELECT {', '.join(cols)} FROM client WHERE number = ?", (number,))
    assert len(rows) == 1
    return dict(zip(cols, rows[0]))


def show(vet, ref: str) -> dict:
    return vet.ok("client", "show", ref, "--format", "json").json()


# --------------------------------------------------------------------------
# client add: valid input
# --------------------------------------------------------------------------


def test_add_with_all_fields_normalises_and_stores(vet):
    r = vet.ok("client", "add", "--name", "  Anna  Jansen ", "--street", "Dorpsstraat 1",
               "--postcode", "1234ab", "--city", "Utrecht", "--phone", "06 12345678",
               "--email", "Anna.Jansen@Example.NL", "--birth-date", "27-11-1980", "--consent")
    assert r.stdout.strip() == "K000001"
    row = client_row(vet, "K000001")
    assert row["name"] == "Anna  Jansen"  # stripped, inner text kept as typed
    assert row["postcode"] == "1234 AB"
    assert row["phone"] == "+31612345678"
    assert row["email"] == "Anna.Jansen@example.nl"
    assert row["birth_date"] == "1980-11-27"
    assert row["restricted"] == 0


def test_add_minimal_fields(vet):
    vet.ok("client", "add", *BASE, "--consent")
    row = client_row(vet, "K000001")
    assert (row["phone"], row["email"], row["birth_date"]) == (None, None, None)


def test_add_json_prints_id_and_number(vet):
    r = vet.ok("client", "add", *BASE, "--consent", "--json")
    out = r.json()
    assert set(out) >= {"id", "number"}
    assert out["number"] == "K000001"
    assert vet.sql("SELECT id FROM client WHERE number = 'K000001'") == [(out["id"],)]
    out2 = vet.ok("client", "add", *BASE, "--consent", "--allow-duplicate", "--json").json()
    assert out2["number"] == "K000002" and out2["id"] != out["id"]


def test_add_iso_and_dutch_birth_dates(vet):
    a = vet.add_client(birth_date="1980-02-03")
    b = vet.add_client(birth_date="03-02-1980")
    assert client_row(vet, a)["birth_date"] == client_row(vet, b)["birth_date"] == "1980-02-03"


def test_add_records_care_consent_with_date_version_and_method(vet):
    vet.ok("practice", "set", "--statement-version", "2026-03")
    vet.ok("client", "add", *BASE, "--consent", "--consent-method", "written")
    rows = vet.sql("SELECT purpose, given_on, statement_version, method, withdrawn_on FROM consent")
    assert rows == [("care", TODAY.isoformat(), "2026-03", "written", None)]


def test_add_reminders_records_reminder_consent(vet):
    k = vet.add_client(reminders=True)
    card = show(vet, k)
    assert sorted(c["purpose"] for c in card["consents"]) == ["care", "reminders"]
    rem = [c for c in card["consents"] if c["purpose"] == "reminders"][0]
    assert rem["given_on"] == TODAY.isoformat() and rem["withdrawn_on"] is None


def test_add_without_reminders_has_only_care_consent(vet):
    k = vet.add_client()
    assert [c["purpose"] for c in show(vet, k)["consents"]] == ["care"]


def test_add_without_consent_is_refused_and_says_why(vet):
    line = assert_refused(vet, ["client", "add", *BASE], "--consent")
    assert "consent" in line.lower() and "required" in line
    assert vet.sql("SELECT count(*) FROM client") == [(0,)]
    assert vet.sql("SELECT count(*) FROM consent") == [(0,)]


def test_failed_add_does_not_use_up_a_number(vet):
    assert_refused(vet, ["client", "add", *BASE], "--consent")
    assert vet.add_client() == "K000001"


def test_unknown_consent_method_is_refused(vet):
    assert_refused(vet, ["client", "add", *BASE, "--consent", "--consent-method", "telepathy"],
                   "--consent-method")


# --------------------------------------------------------------------------
# client add / edit: invalid input, field by field
# --------------------------------------------------------------------------

INVALID = [
    # (option, value)
    ("--postcode", "123"),
    ("--postcode", "1234 A"),
    ("--postcode", "0123 AB"),
    ("--postcode", "12345 AB"),
    ("--postcode", "abcd ef"),
    ("--postcode", "1234 SA"),
    ("--postcode", ""),
    ("--email", "anna@"),
    ("--email", "anna.voorbeeld.nl"),
    ("--email", "@voorbeeld.nl"),
    ("--email", "anna jansen@voorbeeld.nl"),
    ("--email", "anna@voorbeeld"),
    ("--phone", "123"),
    ("--phone", "06-1234"),
    ("--phone", "telefoon"),
    ("--phone", "06 1234 5678 9"),
    ("--birth-date", TOMORROW.isoformat()),
    ("--birth-date", TOMORROW.strftime("%d-%m-%Y")),
    ("--birth-date", "2999-01-01"),
    ("--birth-date", "32-01-1980"),
    ("--birth-date", "1980-13-01"),
    ("--birth-date", "31-02-1980"),
    ("--birth-date", "gisteren"),
    ("--birth-date", "1-2"),
    ("--birth-date", "1899-12-31"),
    ("--name", ""),
    ("--name", "   "),
    ("--name", "Anna\nJansen"),
    ("--name", "A" * 201),
    ("--street", ""),
    ("--city", ""),
]


def _with(option: str, value: str) -> list[str]:
    args = list(BASE)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    return args


@pytest.mark.parametrize("option,value", INVALID)
def test_add_invalid_field_is_refused(vet, option, value):
    vet.add_client("Other Client")  # so that "unchanged" means more than "empty"
    secret = value if len(value.strip()) > 3 and option in ("--email", "--phone") else None
    assert_refused(vet, ["client", "add", *_with(option, value), "--consent"], option, secret=secret)


@pytest.mark.parametrize("missing", ["--name", "--street", "--postcode", "--city"])
def test_add_missing_required_field_is_refused(vet, missing):
    args = list(BASE)
    i = args.index(missing)
    del args[i:i + 2]
    assert_refused(vet, ["client", "add", *args, "--consent"], missing, code=2)


@pytest.mark.parametrize("option,value", INVALID)
def test_edit_invalid_field_is_refused(vet, option, value):
    k = vet.add_client(phone="0612345678", email="anna@example.nl")
    before = client_row(vet, k)
    assert_refused(vet, ["client", "edit", k, option, value], option)
    assert client_row(vet, k) == before


def test_add_invalid_fields_report_one_line_even_with_several_errors(vet):
    assert_refused(vet, ["client", "add", "--name", "", "--street", "", "--postcode", "x",
                         "--city", "", "--email", "x", "--consent"], "--")


# --------------------------------------------------------------------------
# client edit
# --------------------------------------------------------------------------


def test_edit_changes_only_given_fields(vet):
    k = vet.add_client(phone="0612345678", email="anna@example.nl", birth_date="1980-01-02")
    before = client_row(vet, k)
    r = vet.ok("client", "edit", k, "--city", "Amersfoort", "--phone", "020 123 4567", "--json")
    assert sorted(r.json()["changed"]) == ["city", "phone"]
    after = client_row(vet, k)
    assert after["city"] == "Amersfoort"
    assert after["phone"] == "+31201234567"
    for col in ("id", "number", "name", "street", "postcode", "email", "birth_date", "created_at",
                "legal_hold_reason", "restricted"):
        assert after[col] == before[col], col


def test_edit_each_field(vet):
    k = vet.add_client()
    vet.ok("client", "edit", k, "--name", "Anna de Vries")
    vet.ok("client", "edit", k, "--street", "Kerkstraat 5")
    vet.ok("client", "edit", k, "--postcode", "3511ab")
    vet.ok("client", "edit", k, "--city", "Zeist")
    vet.ok("client", "edit", k, "--phone", "0612345678")
    vet.ok("client", "edit", k, "--email", "anna@example.nl")
    vet.ok("client", "edit", k, "--birth-date", "02-01-1980")
    card = show(vet, k)
    assert (card["name"], card["street"], card["postcode"], card["city"], card["phone"],
            card["email"], card["birth_date"]) == (
        "Anna de Vries", "Kerkstraat 5", "3511 AB", "Zeist", "+31612345678",
        "anna@example.nl", "1980-01-02")


def test_edit_empty_optional_field_clears_it(vet):
    k = vet.add_client(phone="0612345678", email="anna@example.nl", birth_date="1980-01-02")
    vet.ok("client", "edit", k, "--phone", "", "--email", "", "--birth-date", "")
    row = client_row(vet, k)
    assert (row["phone"], row["email"], row["birth_date"]) == (None, None, None)


def test_edit_bumps_last_activity(vet):
    k = vet.add_client()
    vet.sql_write("UPDATE client SET created_at = '2015-03-04 10:00:00.000000', "
                   "updated_at = '2015-03-04 10:00:00.000000' WHERE number = ?", (k,))
    assert show(vet, k)["last_activity"] == "2015-03-04"
    vet.ok("client", "edit", k, "--city", "Zeist")
    card = show(vet, k)
    assert card["last_activity"] == TODAY.isoformat()
    assert card["created_on"] == "2015-03-04"


def test_edit_without_change_does_not_bump_last_activity(vet):
    k = vet.add_client(city="Utrecht")
    vet.sql_write("UPDATE client SET created_at = '2015-03-04 10:00:00.000000', "
                   "updated_at = '2015-03-04 10:00:00.000000' WHERE number = ?", (k,))
    r = vet.ok("client", "edit", k, "--city", "Utrecht", "--json")
    assert r.json()["changed"] == []
    assert show(vet, k)["last_activity"] == "2015-03-04"


def test_edit_by_numeric_id_and_lower_case_number(vet):
    vet.add_client()
    vet.ok("client", "edit", "1", "--city", "Zeist")
    vet.ok("client", "edit", "k000001", "--street", "Laan 2")
    card = show(vet, "K000001")
    assert (card["city"], card["street"]) == ("Zeist", "Laan 2")


def test_edit_with_no_fields_is_refused(vet):
    k = vet.add_client()
    r = vet.run("client", "edit", k)
    assert r.exit_code != 0 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("error: ")


# --------------------------------------------------------------------------
# unknown clients
# --------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["K000099", "99", "k999999", "nobody", "99999999999999999999999"])
def test_unknown_client(vet, ref):
    vet.add_client()
    assert_refused(vet, ["client", "show", ref], "not found")
    assert_refused(vet, ["client", "edit", ref, "--city", "Zeist"], "not found")


# --------------------------------------------------------------------------
# show, list, search and their formats
# --------------------------------------------------------------------------


def test_show_card_has_details_pets_consents_activity_and_services(vet):
    k = vet.add_client(phone="0612345678", email="anna@example.nl", reminders=True)
    p1 = vet.add_pet(k, "Bello", weight="12,5")
    p2 = vet.add_pet(k, "Minoes", "cat")
    card = show(vet, k)
    assert card["number"] == k
    assert (card["name"], card["street"], card["postcode"], card["city"]) == (
        "Anna Jansen", "Dorpsstraat 1", "1234 AB", "Utrecht")
    assert card["last_activity"] == TODAY.isoformat()
    assert [p["number"] for p in card["pets"]] == [p1, p2]
    assert card["pets"][0]["weight_kg"] == "12.5"
    assert card["pets"][1]["species"] == "cat"
    assert len(card["consents"]) == 2
    assert card["services"] == []


def test_show_plain(vet):
    k = vet.add_client(reminders=True)
    vet.add_pet(k, "Bello")
    out = vet.ok("client", "show", k, "--format", "plain").stdout
    assert f"Client {k}" in out
    for text in ("Anna Jansen", "1234 AB", "Bello", "Pets", "Consents", "reminders", "Services rendered"):
        assert text in out


def test_show_table(vet):
    k = vet.add_client()
    vet.add_pet(k, "Bello")
    out = vet.ok("client", "show", k, "--format", "table", env={"COLUMNS": "200"}).stdout
    for text in (k, "Anna Jansen", "Bello", "Pets", "Consents"):
        assert text in out


def test_show_csv(vet):
    k = vet.add_client(phone="0612345678")
    rows = list(csv.DictReader(io.StringIO(vet.ok("client", "show", k, "--format", "csv").stdout)))
    assert len(rows) == 1
    assert rows[0]["number"] == k and rows[0]["phone"] == "+31612345678"
    assert rows[0]["name"] == "Anna Jansen"


def test_show_default_format_off_terminal_is_plain(vet):
    k = vet.add_client()
    assert vet.ok("client", "show", k).stdout == vet.ok("client", "show", k, "--format", "plain").stdout


def _three_clients(vet):
    a = vet.add_client("Anna Jansen", phone="0612345678", email="anna@example.nl")
    b = vet.add_client("Bert de Boer", street="Kerkstraat 5", postcode="3511 AB", city="Zeist")
    c = vet.add_client("Cor Visser", city="Amersfoort")
    vet.add_pet(b, "Rex", chip="528210000000001")
    return a, b, c


def test_list_json(vet):
    a, b, c = _three_clients(vet)
    data = vet.ok("client", "list", "--format", "json").json()
    assert [d["number"] for d in data] == [b, a, c]  # by surname: de Boer, Jansen, Visser
    assert data[0]["pets"] == 1 and data[1]["pets"] == 0
    assert data[1]["email"] == "anna@example.nl"


def test_list_csv(vet):
    a, b, c = _three_clients(vet)
    rows = list(csv.DictReader(io.StringIO(vet.ok("client", "list", "--format", "csv").stdout)))
    assert [r["number"] for r in rows] == [b, a, c]  # by surname
    assert rows[0]["postcode"] == "3511 AB"


def test_list_plain_and_table(vet):
    a, b, c = _three_clients(vet)
    plain = vet.ok("client", "list", "--format", "plain").stdout
    table = vet.ok("client", "list", "--format", "table", env={"COLUMNS": "200"}).stdout
    for out in (plain, table):
        for text in (a, b, c, "Anna Jansen", "Bert de Boer", "Cor Visser"):
            assert text in out


def test_list_empty(vet):
    assert vet.ok("client", "list", "--format", "json").json() == []
    assert "(none)" in vet.ok("client", "list", "--format", "plain").stdout


def test_list_limit(vet):
    _three_clients(vet)
    assert len(vet.ok("client", "list", "--limit", "2", "--format", "json").json()) == 2
    assert len(vet.ok("client", "list", "--limit", "99999999999999999999999", "--format", "json").json()) == 3


@pytest.mark.parametrize("query,expected", [
    ("jansen", "a"), ("JANSEN", "a"), ("kerkstraat", "b"), ("3511ab", "b"), ("3511 AB", "b"),
    ("Amersfoort", "c"), ("0612345678", "a"), ("06 12345678", "a"), ("anna@example", "a"),
    ("K000003", "c"), ("rex", "b"), ("528210000000001", "b"),
])
def test_search(vet, query, expected):
    a, b, c = _three_clients(vet)
    data = vet.ok("client", "search", query, "--format", "json").json()
    assert [d["number"] for d in data] == [{"a": a, "b": b, "c": c}[expected]]


def test_search_no_match_and_wildcards_are_literal(vet):
    _three_clients(vet)
    assert vet.ok("client", "search", "zzzz", "--format", "json").json() == []
    assert vet.ok("client", "search", "%", "--format", "json").json() == []
    assert vet.ok("client", "search", "_", "--format", "json").json() == []


@pytest.mark.parametrize("fmt", ["table", "plain", "csv", "json"])
def test_search_formats(vet, fmt):
    a, b, c = _three_clients(vet)
    out = vet.ok("client", "search", "de boer", "--format", fmt, env={"COLUMNS": "200"}).stdout
    assert b in out and a not in out and c not in out
    if fmt == "json":
        assert json.loads(out)[0]["name"] == "Bert de Boer"


# --------------------------------------------------------------------------
# restricted clients (kept only for a hold) are hidden
# --------------------------------------------------------------------------


def test_restricted_client_is_hidden(vet):
    a, b, c = _three_clients(vet)
    vet.sql_write("UPDATE client SET restricted = 1 WHERE number = ?", (b,))
    assert [d["number"] for d in vet.ok("client", "list", "--format", "json").json()] == [a, c]
    assert vet.ok("client", "search", "de boer", "--format", "json").json() == []
    assert vet.ok("client", "search", "rex", "--format", "json").json() == []
    assert "Bert" not in vet.ok("client", "list", "--format", "plain").stdout
    assert_refused(vet, ["client", "show", b], "not found")
    assert_refused(vet, ["client", "show", "2"], "not found")
    assert_refused(vet, ["client", "edit", b, "--city", "Zeist"], "not found")
    assert_refused(vet, ["pet", "add", b, "--name", "Max", "--species", "dog"], "not found")


def test_values_that_look_like_markup_are_shown_as_data(vet):
    """Rich table output must not read "[...]" in a name as markup (or crash on it)."""
    name, street = "Jansen [B.V.] [/x] [bold]", "Straat [red]1"
    k = vet.add_client(name, street=street)
    for args in (["client", "show", k], ["client", "list"], ["client", "search", "jansen"]):
        for fmt in ("table", "plain"):
            r = vet.ok(*args, "--format", fmt, env={"COLUMNS": "250"})
            assert name.strip() in r.stdout and street in r.stdout, (args, fmt, r.stdout)
