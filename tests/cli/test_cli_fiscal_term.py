"""The fiscal term and kept records, end to end through the CLI (issue 11, SPEC §3-§5).

Every date is written out. "Today" is set per test by replacing the ``today``
the command modules imported (the CLI reads the clock nowhere else); cards
are back-dated straight in the file, since the CLI always stamps "now".
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

D = date.fromisoformat


@pytest.fixture(autouse=True)
def practice(vet):
    """The practice details every invoice carries."""
    vet.set_practice()


@pytest.fixture
def on(monkeypatch):
    """``on("2026-06-02")``: the day the commands think it is."""
    import vetcards.cli.books  # noqa: F401 - loaded so that their `today` can be replaced
    import vetcards.cli.erase  # noqa: F401
    import vetcards.cli.invoice  # noqa: F401
    import vetcards.cli.purge  # noqa: F401

    def set_day(day: str) -> None:
        for module in ("erase", "invoice", "purge", "state"):
            monkeypatch.setattr(f"vetcards.cli.{module}.today", lambda: D(day))

    return set_day


def backdate(vet, client: str, day: str) -> None:
    """The client card and its pets created (and last edited) on ``day``."""
    stamp = f"{day} 12:00:00.000000"
    vet.sql_write("UPDATE client SET created_at = ?, updated_at = ? WHERE number = ?", (stamp, stamp, client))
    vet.sql_write("UPDATE pet SET created_at = ?, updated_at = ? WHERE client_id = "
                  "(SELECT id FROM client WHERE number = ?)", (stamp, stamp, client))


def invoice(vet, client: str, day: str, payment: str = "account", line: str = "Consult;1;45,00") -> str:
    return vet.ok("invoice", "create", client, "--line", line, "--payment", payment, "--date", day,
                  "--json").json()["number"]


def erase(vet, client: str) -> dict:
    return vet.ok("erase", client, "--verified-by", "J. de Vries", "--id-document", "passport", "--yes",
                  "--json").json()


def purge(vet, as_of: str) -> dict:
    return vet.ok("purge", "--as-of", as_of, "--json").json()


def invoice_row(vet, number: str):
    rows = vet.sql("SELECT client_id, restricted, credits_invoice_id FROM invoice WHERE number = ?", (number,))
    return rows[0] if rows else None


def audited(vet, action: str) -> int:
    return vet.sql("SELECT count(*) FROM audit_log WHERE action = ?", (action,))[0][0]


# --------------------------------------------------------------------------
# Periods counted forward (29 February)
# --------------------------------------------------------------------------


def test_card_of_2017_02_28_is_purged_on_2024_02_29(vet, on):
    on("2024-02-29")
    k = vet.add_client("Anna Jansen")
    backdate(vet, k, "2017-02-28")
    assert purge(vet, "2024-02-28")["purged_clients"] == 0  # the period's last day: kept
    assert purge(vet, "2024-02-29")["purged_clients"] == 1
    assert vet.sql("SELECT count(*) FROM client WHERE number = ?", (k,))[0][0] == 0


def test_card_of_2016_02_29_is_kept_until_2023_02_28(vet, on):
    on("2023-03-01")
    k = vet.add_client("Bert de Boer")
    backdate(vet, k, "2016-02-29")
    assert purge(vet, "2023-02-28")["purged_clients"] == 0
    assert purge(vet, "2023-03-01")["purged_clients"] == 1


# --------------------------------------------------------------------------
# Payments and credit notes extend the fiscal term
# --------------------------------------------------------------------------


def test_erase_keeps_a_2017_invoice_paid_2026_05_01_until_2033_12_31(vet, on):
    on("2026-06-02")
    k = vet.add_client("Carla Claes", birth_date="1980-02-29")
    number = invoice(vet, k, "2017-03-10")
    vet.ok("invoice", "pay", number, "--amount", "54,45", "--method", "transfer", "--date", "2026-05-01")
    result = erase(vet, k)
    kept = {item["ref"]: item for item in result["kept"] if item["what"] == "invoice"}
    assert kept[number]["reason"] == "fiscal hold"
    assert kept[number]["until"] == "2033-12-31"
    assert result["erased"]["invoices"] == 0 and result["erased"]["payments"] == 0
    client_id, restricted, _ = invoice_row(vet, number)
    assert client_id is None and restricted == 1
    assert vet.sql("SELECT paid_on FROM payment p JOIN invoice i ON i.id = p.invoice_id WHERE i.number = ?",
                   (number,)) == [("2026-05-01",)]
    # Kept until 2033-12-31 inclusive, gone on 2034-01-01.
    on("2034-01-01")
    assert purge(vet, "2033-12-31")["deleted_expired_invoices"] == 0
    assert invoice_row(vet, number) is not None
    assert purge(vet, "2034-01-01")["deleted_expired_invoices"] == 1
    assert invoice_row(vet, number) is None
    assert vet.sql("SELECT count(*) FROM payment")[0][0] == 0


def test_a_2017_invoice_paid_in_2020_is_not_purged_in_2027(vet, on):
    on("2020-02-29")
    k = vet.add_client("Dirk Dekker", birth_date="1975-05-05")
    number = invoice(vet, k, "2017-06-01")
    vet.ok("invoice", "pay", number, "--amount", "54,45", "--date", "2020-02-29")
    backdate(vet, k, "2017-06-01")
    on("2027-06-01")
    summary = purge(vet, "2027-06-01")  # last activity 2020-02-29: inactive since 2027-03-01
    assert summary["purged_clients"] == 1
    assert summary["kept_for_fiscal_hold"] == 1 and summary["deleted_invoices"] == 0
    assert invoice_row(vet, number)[1] == 1
    on("2028-01-01")
    assert purge(vet, "2027-12-31")["deleted_expired_invoices"] == 0
    assert purge(vet, "2028-01-01")["deleted_expired_invoices"] == 1


def test_an_invoice_and_its_credit_note_are_kept_and_go_together(vet, on):
    on("2019-02-01")
    k = vet.add_client("Els Evers")
    original = invoice(vet, k, "2018-06-01", payment="pin")
    assert original == "2018-00001"
    note = vet.ok("invoice", "credit", original, "--reason", "wrong client", "--date", "2019-01-15",
                  "--json").json()["number"]
    assert note == "2019-00001"
    backdate(vet, k, "2018-06-01")
    on("2026-06-01")
    summary = purge(vet, "2026-06-01")
    assert summary["purged_clients"] == 1
    assert summary["kept_for_fiscal_hold"] == 2 and summary["deleted_invoices"] == 0
    original_id = vet.sql("SELECT id FROM invoice WHERE number = ?", (original,))[0][0]
    assert invoice_row(vet, note)[2] == original_id  # the credit note still names its invoice
    shown = vet.ok("invoice", "show", note, "--format", "json").json()
    assert shown["credits"] == original and shown["restricted"] is True
    # Both go on the first purge after 2026-12-31, together.
    on("2027-01-01")
    assert purge(vet, "2027-01-01")["deleted_expired_invoices"] == 2
    assert vet.sql("SELECT count(*) FROM invoice")[0][0] == 0


def test_erase_keeps_a_credit_note_with_its_invoice(vet, on):
    on("2026-03-01")
    k = vet.add_client("Frits Fokker")
    original = invoice(vet, k, "2018-06-01", payment="pin")
    vet.ok("invoice", "credit", original, "--date", "2019-01-15")
    result = erase(vet, k)
    kept = {item["ref"]: item["until"] for item in result["kept"] if item["what"] == "invoice"}
    assert kept == {"2018-00001": "2026-12-31", "2019-00001": "2026-12-31"}


# --------------------------------------------------------------------------
# Kept records are readable for their purpose
# --------------------------------------------------------------------------


@pytest.fixture
def kept(vet, on):
    """Invoice 2019-00001 kept under the fiscal hold after its client's purge in 2026."""
    on("2019-04-01")
    k = vet.add_client("Gerda Gans", birth_date="1960-01-01")
    number = invoice(vet, k, "2019-03-01", line="=HYPERLINK(\"x\");1;10,00")
    vet.ok("invoice", "pay", number, "--amount", "12,10", "--date", "2019-03-20")
    backdate(vet, k, "2019-03-01")
    on("2026-06-15")
    assert purge(vet, "2026-06-15")["kept_for_fiscal_hold"] == 1
    return number


def test_invoice_show_reads_a_kept_invoice_audited_as_fiscal_read(vet, kept):
    card = vet.ok("invoice", "show", kept, "--format", "json").json()
    assert card["number"] == kept and card["restricted"] is True and card["client"] is None
    assert card["customer_name"] == "Gerda Gans" and card["total"] == "12.10"
    assert audited(vet, "invoice.fiscal_read") == 1
    human = vet.ok("invoice", "show", kept, "--format", "plain").stdout
    assert "restricted" in human.splitlines()[0]


def test_invoice_list_hides_kept_invoices_and_lists_them_with_restricted(vet, kept):
    assert vet.ok("invoice", "list", "--year", "2019", "--format", "json").json() == []
    rows = vet.ok("invoice", "list", "--restricted", "--format", "json").json()
    assert [r["number"] for r in rows] == [kept]
    assert audited(vet, "invoice.list.restricted") == 1


def test_books_export_json_has_restricted_invoices_and_totals_per_rate(vet, kept, on):
    k = vet.add_client("Hans Hop")
    other = invoice(vet, k, "2019-05-01", payment="pin", line="Vaccinatie;3;10,01;9")
    exempt = invoice(vet, k, "2019-05-02", payment="pin", line="Registratie NDG;1;7,50;outside")
    doc = json.loads(vet.ok("books", "export", "--year", "2019", "--format", "json", "--out", "-").stdout)
    assert [i["number"] for i in doc["invoices"]] == [kept, other, exempt]
    assert [i["restricted"] for i in doc["invoices"]] == [True, False, False]
    assert doc["totals_match_invoices"] is True
    # 3 x 10.01 at 9 %: net 30.03, VAT 2.70; 10.00 at 21 %: VAT 2.10.
    assert doc["totals_per_rate"] == [
        {"rate": 21, "vat_category": "charged", "net_cents": 1000, "vat_cents": 210, "gross_cents": 1210},
        {"rate": 9, "vat_category": "charged", "net_cents": 3003, "vat_cents": 270, "gross_cents": 3273},
        {"rate": 0, "vat_category": "outside", "net_cents": 750, "vat_cents": 0, "gross_cents": 750}]
    stored = vet.sql("SELECT sum(vat_cents), sum(gross_cents) FROM invoice WHERE year = 2019")[0]
    assert (doc["totals"]["vat_cents"], doc["totals"]["gross_cents"]) == stored
    assert [(p["invoice_number"], p["paid_on"]) for p in doc["payments"]][0] == (kept, "2019-03-20")
    assert audited(vet, "books.export") == 1


def test_books_export_csv_for_a_dutch_bookkeeper(vet, kept, tmp_path):
    out = tmp_path / "boeken-2019.csv"
    r = vet.ok("books", "export", "--year", "2019", "--format", "csv", "--out", str(out))
    assert f"written to {out}: 1 invoice or credit note (1 restricted), 1 payment\n" in r.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")), delimiter=";"))
    line = next(r for r in rows if r["record"] == "line")
    assert line["number"] == kept and line["restricted"] == "true"
    assert line["description"].startswith("'=")  # a formula is neutralised
    assert (line["vat_rate"], line["net"], line["vat"], line["gross"]) == ("21", "10,00", "2,10", "12,10")
    assert [r["amount"] for r in rows if r["record"] == "payment"] == ["12,10"]
    totals = [r for r in rows if r["record"] == "total"]
    assert [(r["vat_rate"], r["vat_category"], r["net"], r["vat"]) for r in totals] == [
        ("21", "charged", "10,00", "2,10")]


def test_an_erased_clients_unpaid_invoice_is_not_listed_but_can_be_paid_and_collected(vet, on):
    on("2026-06-02")
    k = vet.add_client("Ingrid Iepen", birth_date="1970-07-07")
    first = invoice(vet, k, "2026-06-01")
    second = invoice(vet, k, "2026-06-02")
    result = erase(vet, k)
    assert result["claim_hold"] is True
    assert vet.ok("invoice", "list", "--format", "json").json() == []
    listed = vet.ok("invoice", "list", "--restricted", "--format", "json").json()
    assert {r["number"] for r in listed} == {first, second}
    assert vet.ok("invoice", "show", first, "--format", "json").json()["restricted"] is True
    vet.ok("invoice", "pay", first, "--amount", "54,45", "--date", "2026-06-02")
    vet.ok("invoice", "collect", second)
    assert vet.sql("SELECT number, status FROM invoice ORDER BY number") == [
        (first, "paid"), (second, "in_collection")]
