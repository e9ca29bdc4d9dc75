"""Invoice numbers from a stored counter per year, and the issue-date rules (SPEC §3, art. 35a Wet OB).

The rules ring: :func:`vetcards.invoicing.issue.issue_date_rule` (pure), then
end to end through the CLI on a real encrypted file: a number the purge
deleted is never issued again, ``--date`` is refused before the latest issue
date of its year and in a closed period (``practice set --books-closed-until``),
both with one line naming the field and the rule and nothing written.
"""

from __future__ import annotations

from datetime import date

import pytest

from vetcards.errors import InvalidInput
from vetcards.invoicing.issue import issue_date_rule

D = date.fromisoformat


# --------------------------------------------------------------------------
# the rule (pure)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "latest", "closed", "refused"),
    [
        ("2026-12-02", None, None, None),
        ("2026-12-02", "2026-12-02", None, None),  # the same day: fine
        ("2026-12-03", "2026-12-02", None, None),
        ("2026-11-28", "2026-12-02", None, "must not be before 2026-12-02, the latest issue date of the invoices of 2026"),
        ("2024-02-29", "2024-03-01", None, "must not be before 2024-03-01"),
        ("2024-03-01", "2024-02-29", None, None),
        ("2026-09-30", None, "2026-09-30", "falls in a closed period: the books are closed until 2026-09-30"),
        ("2026-10-01", None, "2026-09-30", None),
        ("2024-02-29", None, "2024-02-29", "closed until 2024-02-29"),
        ("2024-03-01", None, "2024-02-29", None),
        ("2025-06-01", None, "2025-12-31", "closed until 2025-12-31"),
    ],
)
def test_issue_date_rule(on, latest, closed, refused):
    args = (D(on), D(latest) if latest else None, D(closed) if closed else None)
    if refused is None:
        issue_date_rule(*args)
    else:
        with pytest.raises(InvalidInput, match=refused) as caught:
            issue_date_rule(*args)
        assert caught.value.field == "--date"


def test_issue_date_rule_names_the_field_it_is_given():
    with pytest.raises(InvalidInput) as caught:
        issue_date_rule(D("2026-01-01"), D("2026-01-02"), None, field="requests[0].on")
    assert caught.value.field == "requests[0].on"


# --------------------------------------------------------------------------
# end to end
# --------------------------------------------------------------------------


def create(vet, client, *extra, line="Consult;1;45,00", payment="pin"):
    return vet.ok("invoice", "create", client, "--line", line, "--payment", payment, *extra, "--json").json()


def fails(vet, *args):
    before = vet.counts()
    r = vet.run(*args)
    assert r.exit_code == 1, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert r.stdout == ""
    assert vet.counts() == before  # nothing written
    return lines[0]


def _backdate(vet, number: str, stamp: str) -> None:
    vet.sql_write("UPDATE client SET created_at = ?, updated_at = ? WHERE number = ?", (stamp, stamp, number))


def test_a_number_the_purge_deleted_is_never_issued_again(practice):
    old = practice.add_client("Otto Oud")
    first = create(practice, old, "--date", "2018-03-01")
    second = create(practice, old, "--date", "2018-03-02")
    assert (first["number"], second["number"]) == ("2018-00001", "2018-00002")
    _backdate(practice, old, "2012-01-01 12:00:00.000000")
    # 7 years after the end of 2018 ended on 2025-12-31: the purge of 2026-06-15 deletes both invoices.
    practice.ok("purge", "--as-of", "2026-06-15")
    assert practice.sql("SELECT number FROM invoice WHERE year = 2018") == []
    assert practice.sql("SELECT value FROM counter WHERE name = 'invoice-2018'") == [(2,)]
    other = practice.add_client("Nina Nieuw")
    third = create(practice, other, "--date", "2018-05-01")
    assert third["number"] == "2018-00003"  # never 2018-00001 again
    assert practice.sql("SELECT value FROM counter WHERE name = 'invoice-2018'") == [(3,)]


def test_numbers_come_from_the_counter_not_from_the_rows(practice):
    k = practice.add_client()
    create(practice, k, "--date", "2025-01-10")
    practice.sql_write("UPDATE counter SET value = 41 WHERE name = 'invoice-2025'")
    assert create(practice, k, "--date", "2025-01-11")["number"] == "2025-00042"
    assert create(practice, k, "--date", "2024-12-31")["number"] == "2024-00001"  # a year of its own


def test_an_error_takes_no_number(practice):
    k = practice.add_client()
    create(practice, k, "--date", "2025-03-01")
    fails(practice, "invoice", "create", k, "--line", "X;1;-1", "--payment", "pin", "--date", "2025-03-02")
    assert create(practice, k, "--date", "2025-03-02")["number"] == "2025-00002"


def test_date_before_the_latest_issue_date_of_its_year_is_refused(practice):
    k = practice.add_client()
    create(practice, k, "--date", "2026-12-02")
    line = fails(practice, "invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "pin",
                 "--date", "2026-11-28")
    assert line == ("error: --date: must not be before 2026-12-02, the latest issue date of the invoices of 2026 "
                    "(numbers follow the dates, art. 35a Wet OB)")
    # Another year has its own order; the same day is fine.
    assert create(practice, k, "--date", "2025-11-28")["number"] == "2025-00001"
    assert create(practice, k, "--date", "2026-12-02")["number"] == "2026-00002"


def test_credit_note_follows_the_issue_date_rules(practice):
    k = practice.add_client()
    inv = create(practice, k, "--date", "2026-03-01")
    create(practice, k, "--date", "2026-03-10")
    line = fails(practice, "invoice", "credit", inv["number"], "--date", "2026-03-05")
    assert "--date: must not be before 2026-03-10" in line
    practice.ok("invoice", "credit", inv["number"], "--date", "2026-03-10")


def test_books_closed_until_refuses_a_date_in_the_closed_period(practice):
    k = practice.add_client()
    practice.ok("practice", "set", "--books-closed-until", "29-02-2024")
    assert practice.ok("practice", "show", "--format", "json").json()["books_closed_until"] == "2024-02-29"
    line = fails(practice, "invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "pin",
                 "--date", "2024-02-29")
    assert line == ("error: --date: falls in a closed period: the books are closed until 2024-02-29 "
                    "(practice set --books-closed-until)")
    assert "closed until 2024-02-29" in fails(practice, "invoice", "create", k, "--line", "C;1;1", "--payment",
                                               "pin", "--date", "2023-12-31")
    assert create(practice, k, "--date", "2024-03-01")["number"] == "2024-00001"


def test_books_closed_until_must_be_a_date(practice):
    assert "--books-closed-until: must be a date" in fails(practice, "practice", "set", "--books-closed-until",
                                                           "gisteren")


def test_migration_0004_starts_each_year_s_counter_at_its_highest_number(practice):
    """Down to 0003 (no counters, no categories), then up again: the counters come from the rows."""
    from alembic import command

    from vetcards import migrate
    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    k = practice.add_client()
    for day in ("2025-01-01", "2025-02-01", "2025-03-01"):
        create(practice, k, "--date", day)
    create(practice, k, "--date", "2026-01-05", line="Registratie NDG;1;10,00;0")
    practice.sql_write("UPDATE counter SET value = 0 WHERE name LIKE 'invoice-%'")  # forgotten, as before 0004
    database = open_database(practice.db, read_key_file(practice.key_file), write=True)
    try:
        cfg = migrate._config()
        with database.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
    finally:
        database.close()
    assert practice.sql("SELECT version_num FROM alembic_version") == [("0003",)]
    assert practice.sql("SELECT count(*) FROM counter WHERE name LIKE 'invoice-%'") == [(0,)]
    practice.ok("invoice", "list")  # opening upgrades
    assert practice.sql("SELECT name, value FROM counter WHERE name LIKE 'invoice-%' ORDER BY name") == [
        ("invoice-2025", 3), ("invoice-2026", 1)]
    assert practice.sql("SELECT vat_rate, vat_category FROM invoice_line ORDER BY id") == [
        (21, "charged"), (21, "charged"), (21, "charged"), (0, "zero")]
    assert practice.sql("SELECT count(*) FROM invoice WHERE supply_date IS NOT NULL") == [(0,)]
    assert create(practice, k, "--date", "2025-03-01")["number"] == "2025-00004"


# --------------------------------------------------------------------------
# date of supply
# --------------------------------------------------------------------------


def pdf_text(vet, number, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / f"{number}.pdf"
    vet.ok("invoice", "show", number, "--format", "pdf", "--out", str(out))
    return "\n".join(page.extract_text() for page in PdfReader(str(out)).pages)


def test_supply_date_is_stored_and_printed_when_it_differs(practice, tmp_path):
    k = practice.add_client()
    r = practice.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "pin",
                    "--date", "2026-03-02", "--supply-date", "29-02-2024")
    assert r.stdout.strip() == "2026-00001"  # a script's form: the number
    card = practice.ok("invoice", "show", "2026-00001", "--format", "json").json()
    assert (card["invoice_date"], card["supply_date"]) == ("2026-03-02", "2024-02-29")
    plain = practice.ok("invoice", "show", "2026-00001", "--format", "plain").stdout
    assert "supply date" in plain and "2024-02-29" in plain
    assert "Leverdatum: 29 februari 2024" in pdf_text(practice, "2026-00001", tmp_path)
    # The same day as the invoice date (the default): not stored, not printed.
    same = create(practice, k, "--date", "2026-03-03", "--supply-date", "2026-03-03")
    assert same["supply_date"] is None
    assert practice.sql("SELECT supply_date FROM invoice WHERE number = '2026-00002'") == [(None,)]
    assert "supply date" not in practice.ok("invoice", "show", "2026-00002", "--format", "plain").stdout
    assert "Leverdatum" not in pdf_text(practice, "2026-00002", tmp_path)


def test_supply_date_errors_name_the_field(practice):
    k = practice.add_client()
    args = ("invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "pin")
    assert fails(practice, *args, "--supply-date", "31-02-2026") == (
        "error: --supply-date: must be a date like 2026-11-27 or 27-11-2026")
    assert fails(practice, *args, "--supply-date", "2999-01-01") == "error: --supply-date: must not be in the future"


# --------------------------------------------------------------------------
# 0 % categories
# --------------------------------------------------------------------------


def test_zero_rate_categories_parse(monkeypatch):
    from vetcards import money

    assert money.parse_line("Consult;1;45").vat_category == "charged"
    assert money.parse_line("Voer;1;5;9%").vat_category == "charged"
    zero = money.parse_line("Verklaring;1;0,00;0")
    assert (zero.vat_rate, zero.vat_category) == (0, "zero")
    exempt = money.parse_line("Keuring;1;30;exempt")
    assert (exempt.vat_rate, exempt.vat_category) == (0, "exempt")
    outside = money.parse_line("Registratie NDG;1;10,00; Outside ")
    assert (outside.vat_rate, outside.vat_category) == (0, "outside")
    assert outside.negated().vat_category == "outside"
    with pytest.raises(InvalidInput, match="VAT rate must be one of 21, 9, 0 \\(percent\\), exempt or outside"):
        money.parse_line("X;1;1;vrij")
    with pytest.raises(ValueError):
        money.Line("X", 1, 100, 21, "exempt")  # an exempt line carries no VAT
    # A 0 % row stored without a category (the column's default, "charged") reads as the 0 % rate.
    assert money.Line("X", 1, 100, 0, "charged").vat_category == "zero"


def test_zero_rate_lines_print_their_dutch_statement(practice, tmp_path):
    k = practice.add_client()
    inv = practice.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--line", "Registratie NDG;1;10,00;outside",
                      "--line", "Keuring;1;30,00;exempt", "--line", "Verklaring;1;5,00;0", "--payment", "pin",
                      "--json").json()
    assert inv["vat_categories"] == ["charged", "exempt", "outside", "zero"]
    assert inv["gross_cents"] == 4500 + 945 + 1000 + 3000 + 500
    card = practice.ok("invoice", "show", inv["number"], "--format", "json").json()
    assert [line["vat_category"] for line in card["lines"]] == ["charged", "outside", "exempt", "zero"]
    assert card["vat_statements"] == [
        {"category": "zero", "statement": "0% btw (nultarief)"},
        {"category": "exempt", "statement": "Vrijgesteld van btw (art. 11 Wet OB 1968)"},
        {"category": "outside", "statement": "Buiten de reikwijdte van de btw"},
    ]
    plain = practice.ok("invoice", "show", inv["number"], "--format", "plain").stdout
    assert "VAT statements" in plain and "Buiten de reikwijdte van de btw" in plain
    text = pdf_text(practice, inv["number"], tmp_path)
    assert "Buiten de reikwijdte van de btw: Registratie NDG" in text
    assert "Vrijgesteld van btw (art. 11 Wet OB 1968): Keuring" in text
    assert "0% btw (nultarief): Verklaring" in text
    # The credit note keeps each line's category.
    note = practice.ok("invoice", "credit", inv["number"], "--json").json()
    assert practice.sql("SELECT vat_category FROM invoice_line WHERE invoice_id = ? ORDER BY position",
                        (note["id"],)) == [("charged",), ("outside",), ("exempt",), ("zero",)]


def test_an_invoice_with_only_charged_lines_prints_no_statement(practice, tmp_path):
    k = practice.add_client()
    inv = create(practice, k)
    card = practice.ok("invoice", "show", inv["number"], "--format", "json").json()
    assert card["vat_statements"] == [] and card["supply_date"] is None
    assert "VAT statements" not in practice.ok("invoice", "show", inv["number"], "--format", "plain").stdout
    text = pdf_text(practice, inv["number"], tmp_path)
    assert "btw (nultarief)" not in text and "Vrijgesteld" not in text and "reikwijdte" not in text


# --------------------------------------------------------------------------
# legal floors of the retention settings (SPEC §4)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "years", "rule"), [
    ("medicine_years", 4, "must be at least 5 (veterinary medicine records, EU Regulation 2019/6 art. 103)"),
    ("medicine_years", 5, None),
    ("fiscal_years", 6, "must be at least 7 (Dutch fiscal retention duty, AWR art. 52)"),
    ("fiscal_years", 7, None),
    ("inactivity_years", 1, None),  # no floor: a practice may purge sooner
])
def test_legal_minimum_rule(key, years, rule):
    from vetcards.settings import legal_minimum_rule

    assert legal_minimum_rule(key, years) == rule


def test_practice_set_refuses_a_period_below_its_legal_minimum(practice):
    assert fails(practice, "practice", "set", "--medicine-years", "4") == (
        "error: --medicine-years: must be at least 5 (veterinary medicine records, EU Regulation 2019/6 art. 103)")
    assert fails(practice, "practice", "set", "--fiscal-years", "6") == (
        "error: --fiscal-years: must be at least 7 (Dutch fiscal retention duty, AWR art. 52)")
    practice.ok("practice", "set", "--medicine-years", "5", "--fiscal-years", "7", "--inactivity-years", "3")
    shown = practice.ok("practice", "show", "--format", "json").json()
    assert (shown["medicine_years"], shown["fiscal_years"], shown["inactivity_years"]) == ("5", "7", "3")
