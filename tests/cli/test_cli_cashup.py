"""``vetcards cashup`` end to end on a real encrypted file: closing the till of one day."""

from __future__ import annotations


def test_cashup_json_and_table(practice):
    vet = practice
    anna = vet.add_client("Anna Jansen", birth_date="01-02-1980")
    bert = vet.add_client("Bert Bakker", birth_date="01-01-1970")
    before = vet.add_invoice(bert, "Operatie;1;200,00", "account", "2026-11-30")          # 242.00
    vet.add_invoice(anna, "Consult;1;45,00", "pin", "2026-12-01")                          # 54.45
    vet.add_invoice(anna, "Voer;2;10,00;9", "cash", "2026-12-01")                          # 21.80
    acc = vet.add_invoice(bert, "Controle;1;30,00", "account", "2026-12-01")               # 36.30
    vet.add_invoice(anna, "Chip;1;20,00;outside", "cash", "2026-12-01")                    # 20.00, 0 %
    vet.ok("invoice", "pay", before, "--amount", "42,00", "--method", "pin", "--date", "01-12-2026")
    stray = vet.ok("invoice", "pay", acc, "--amount", "1,00", "--method", "cash", "--date", "2026-12-01",
                   "--json").json()["id"]
    vet.ok("invoice", "void-payment", acc, str(stray), "--reason", "tik-fout")

    r = vet.ok("cashup", "--date", "01-12-2026", "--json").json()
    assert {k: r[k] for k in ("date", "invoices", "gross_cents", "by_method", "by_vat_rate")} == {
        "date": "2026-12-01",
        "invoices": 4,
        "gross_cents": 5445 + 2180 + 3630 + 2000,
        "by_method": {"cash": 2180 + 2000, "pin": 5445, "account": 3630},
        "by_vat_rate": [
            {"rate": 21, "net_cents": 7500, "vat_cents": 945 + 630, "gross_cents": 9075},
            {"rate": 9, "net_cents": 2000, "vat_cents": 180, "gross_cents": 2180},
            {"rate": 0, "net_cents": 2000, "vat_cents": 0, "gross_cents": 2000},
        ],
    }
    assert r["received_by_method"] == {"pin": 5445 + 4200, "cash": 2180 + 2000, "transfer": 0}
    assert (r["cash_cents"], r["voided_payments"], r["voided_cents"]) == (4180, 1, 100)

    for fmt in ("table", "plain"):
        out = vet.ok("cashup", "--date", "2026-12-01", "--format", fmt, env={"COLUMNS": "80"}).stdout
        assert max(len(line) for line in out.splitlines()) <= 80, out
        assert "Cash-up 2026-12-01" in out
        assert "€ 132,55" in out          # total invoiced
        assert "€ 41,80" in out           # cash into the till
        assert "voided payments (not counted)" in out
        assert "€ 15,75" in out           # VAT at 21 %: 9,45 + 6,30

    empty = vet.ok("cashup", "--date", "2026-11-29", "--json").json()
    assert (empty["invoices"], empty["gross_cents"], empty["by_vat_rate"]) == (0, 0, [])


def test_cashup_bad_date(practice):
    r = practice.run("cashup", "--date", "31-02-2026")
    assert r.exit_code == 1 and r.stdout == "" and r.stderr.startswith("error: --date")
    assert "Traceback" not in r.stderr
