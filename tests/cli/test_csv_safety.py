"""Every CSV for people or partners neutralises spreadsheet formulas, and --excel writes it for a
Dutch spreadsheet (issue 14 point 3); the reminder cards file keeps its documented format."""

from __future__ import annotations

import csv
import io
import re

import pytest
from conftest import ROOT

EVIL = '=HYPERLINK("http://x","y")'
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def practice(vet):
    vet.set_practice()
    k = vet.add_client(EVIL, birth_date="01-02-1980", phone="+31612345678", reminders=True,
                       street="@SUM(1+1)", city="-2+3")
    pet = vet.add_pet(k, "+Bello")
    vet.ok("vaccinate", pet, "--vaccine", "=cmd|' /C calc'!A0", "--date", "2023-01-01", "--next-due", "2024-01-01")
    number = vet.ok("invoice", "create", k, "--line", "=1+1;1;12,50", "--payment", "account", "--json").json()["number"]
    vet.k, vet.invoice = k, number
    return vet


def cells(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def assert_no_formula(rows: list[list[str]]) -> None:
    flat = [c for row in rows for c in row]
    assert flat, "no cells"
    bad = [c for c in flat if c.startswith(FORMULA_START) and not re.fullmatch(r"[+-][0-9.,]+", c)]
    assert bad == []


def listings(vet) -> list[tuple[str, ...]]:
    return [("client", "list"), ("client", "show", vet.k), ("client", "search", "HYPERLINK"),
            ("invoice", "list"), ("invoice", "show", vet.invoice)]


def test_no_csv_starts_a_cell_with_a_formula(practice, tmp_path):
    for args in listings(practice):
        out = practice.ok(*args, "--format", "csv").stdout
        rows = cells(out)
        assert_no_formula(rows)
        assert any(f"'{EVIL}" in row for row in rows) or args[0] == "invoice" and args[1] == "show", args
    lines = cells(practice.ok("invoice", "show", practice.invoice, "--format", "csv").stdout)
    assert lines[1][lines[0].index("customer_name")] == f"'{EVIL}"
    # The reminder cards, on standard output and as a file.
    preview = practice.ok("reminders", "export", "--due-before", "2026-01-01").stdout
    rows = cells(preview)
    assert_no_formula(rows)
    assert rows[1][:4] == [f"'{EVIL}", "'@SUM(1+1)", "1234 AB", "'-2+3"]
    assert rows[1][4:7] == ["'+Bello", "hond", "'=cmd|' /C calc'!A0"]
    out = tmp_path / "cards.csv"
    practice.ok("reminders", "export", "--due-before", "2026-01-01", "--out", str(out))
    assert_no_formula(cells(out.read_text(encoding="utf-8")))


def test_plain_csv_keeps_the_phone_number_as_stored(practice):
    rows = cells(practice.ok("client", "show", practice.k, "--format", "csv").stdout)
    assert rows[1][rows[0].index("phone")] == "+31612345678"


def has_excel(vet, *command: str) -> bool:
    return "--excel" in vet.ok(*command, "--help").stdout


def excel_rows(raw: bytes, crlf: bool = True) -> list[list[str]]:
    """The cells of an --excel CSV, after checking its form: BOM, CRLF, ';' splitting every row alike.
    (The test runner turns CRLF on standard output into LF: ``crlf=False`` there.)"""
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    text = raw.decode("utf-8-sig")
    if crlf:
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = cells(text, ";")
    assert len(rows[0]) > 3 and len({len(row) for row in rows}) == 1
    assert_no_formula(rows)
    return rows


def test_excel_csv_of_a_listing(capsysbinary):
    from vetcards.cli import output

    data = [{"number": "2026-00001", "customer_name": EVIL, "phone": "+31612345678", "total": "12.50",
             "gross_cents": 1250, "refund": "-3.10"}]
    output.rows(data, list(data[0]), None, excel=True)
    rows = excel_rows(capsysbinary.readouterr().out)
    assert rows == [list(data[0]), ["2026-00001", f"'{EVIL}", "'+31612345678", "12,50", "1250", "-3,10"]]
    output.record(data[0], list(data[0]), None, "Invoice", excel=True)
    assert excel_rows(capsysbinary.readouterr().out) == rows


def test_excel_csv_of_the_recipients_register(practice):
    practice.ok("recipient", "add", "--name", "=Lab;Noord", "--kind", "lab", "--agreement-date", "2026-01-15",
                "--categories", "naw,animal,record")
    rows = excel_rows(practice.ok("recipient", "list", "--excel").stdout.encode("utf-8"), crlf=False)
    assert ["'=Lab;Noord"] == [c for row in rows for c in row if "Lab;Noord" in c]
    practice.ok("reminders", "export", "--due-before", "2026-01-01", "--to", "Drukkerij herinneringskaarten (generiek)")
    log = excel_rows(practice.ok("recipient", "log", "--excel").stdout.encode("utf-8"), crlf=False)
    assert log[1][log[0].index("categories")] == "naw,animal,recall"


def test_excel_csv_of_client_and_invoice_listings(practice):
    assert all(has_excel(practice, *args[:2]) for args in listings(practice))
    for args in listings(practice):
        excel_rows(practice.ok(*args, "--excel").stdout.encode("utf-8"), crlf=False)
    show = excel_rows(practice.ok("invoice", "show", practice.invoice, "--excel").stdout.encode("utf-8"), crlf=False)
    assert show[1][show[0].index("total")] == "15,13"  # 12,50 + 21 % VAT, decimal comma
    lines = excel_rows(practice.ok("invoice", "list", "--excel").stdout.encode("utf-8"), crlf=False)
    assert lines[1][lines[0].index("total")] == "15,13"
    client = excel_rows(practice.ok("client", "show", practice.k, "--excel").stdout.encode("utf-8"), crlf=False)
    assert client[1][client[0].index("phone")] == "'+31612345678"  # text, never the number 31612345678


def test_excel_goes_with_csv_only(practice):
    r = practice.run("recipient", "list", "--excel", "--format", "json")
    assert r.exit_code == 2 and "--excel" in r.stderr
    assert practice.ok("recipient", "list", "--excel", "--format", "csv").stdout.startswith("\ufeff")


def test_the_reminder_file_has_its_documented_format(practice, tmp_path):
    from vetcards.reminders import COLUMNS

    out = tmp_path / "cards.csv"
    r = practice.ok("reminders", "export", "--due-before", "2026-01-01", "--out", str(out))
    assert "1 recall for 1 client written to" in r.stderr and "1 disclosure logged" in r.stderr
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    rows = cells(raw.decode("utf-8"))
    assert rows[0] == list(COLUMNS) and rows[1][COLUMNS.index("species")] == "hond"
    assert rows[1][COLUMNS.index("due_date")] == "2024-01-01"
    excel = tmp_path / "cards-excel.csv"
    practice.ok("reminders", "export", "--due-before", "2026-01-01", "--out", str(excel), "--excel")
    data = excel.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and cells(data.decode("utf-8-sig"), ";")[0] == list(COLUMNS)


def test_the_doc_lists_the_columns_of_the_code():
    from vetcards.reminders import COLUMNS

    doc = (ROOT / "docs" / "reminder-cards.md").read_text(encoding="utf-8")
    section = doc.split("## The columns", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)
    assert documented == list(COLUMNS)


def test_csv_cell_rule():
    from vetcards.files import csv_cell, csv_text

    assert csv_cell(EVIL) == "'" + EVIL
    assert csv_cell("-5") == "-5" and csv_cell("+31612345678") == "+31612345678"
    assert csv_cell("+31612345678", text=True) == "'+31612345678"
    assert csv_cell("@x") == "'@x" and csv_cell("\tx") == "'\tx" and csv_cell("Jansen") == "Jansen"
    assert csv_text(("a", "b"), [("12.50", "2026-12-02")], excel=True) == "a;b\r\n12,50;2026-12-02\r\n"
