"""`vetcards invoice ...` and `vetcards practice ...` through the CLI on a real encrypted file.

Also: gap-free numbering with two processes writing at the same moment, the
PDF (opened and read back with pypdf), and the client card's services.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import PRACTICE_BTW as BTW
from conftest import PRACTICE_IBAN as IBAN
from conftest import wait_for

TODAY = date.today()

NAME = "Anna Jansen"


@pytest.fixture
def client(practice):
    return practice.add_client(NAME, birth_date="01-02-1980")


def create(vet, client, *lines, payment="pin", extra=()):
    args = ["invoice", "create", client]
    for line in lines:
        args += ["--line", line]
    r = vet.ok(*args, "--payment", payment, *extra, "--json")
    return r.json()


def fails(vet, *args, code=1):
    """Run a command that must fail: one error line, nothing on stdout, nothing written."""
    before = vet.counts()
    r = vet.run(*args)
    assert r.exit_code == code, (r.exit_code, r.stdout, r.stderr)
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr
    assert vet.counts() == before
    return lines[0]


# --------------------------------------------------------------------------
# create
# --------------------------------------------------------------------------


def test_create_json_and_plain(practice, client):
    pet = practice.add_pet(client)
    out = create(practice, client, "Consult;1;45,00", "Vaccinatie;2;32.50;9", payment="pin",
                 extra=("--pet", pet))
    assert isinstance(out["id"], int)
    assert out["number"] == f"{TODAY.year}-00001"
    assert (out["net_cents"], out["vat_cents"], out["gross_cents"], out["total"]) == (11000, 1530, 12530, "125.30")
    assert out["vat_rates"] == [
        {"rate": 21, "net_cents": 4500, "vat_cents": 945, "gross_cents": 5445},
        {"rate": 9, "net_cents": 6500, "vat_cents": 585, "gross_cents": 7085},
    ]
    assert out["status"] == "paid"
    r = practice.ok("invoice", "create", client, "--line", "Consult;1;45,00", "--payment", "cash",
                    "--date", "27-11-2024")
    assert r.stdout.strip() == "2024-00001"
    assert "2024-00001" in r.stderr
    rows = practice.sql("SELECT number, invoice_date, pet_id IS NOT NULL FROM invoice ORDER BY id")
    assert rows == [(out["number"], TODAY.isoformat(), 1), ("2024-00001", "2024-11-27", 0)]


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Consult;1;-45,00", "--line: unit price must not be negative"),
        ("Consult;1;45,001", "--line: unit price at most two decimals"),
        ("Consult;1;vijftig", "--line: unit price must be a number"),
        ("Consult;0;45,00", "--line: quantity must be greater than zero"),
        ("Consult;1;45,00;19", "--line: VAT rate must be one of 21, 9, 0"),
    ],
)
def test_create_invalid_amounts_nothing_written(practice, client, line, rule):
    err = fails(practice, "invoice", "create", client, "--line", "Goed;1;10,00", "--line", line,
                "--payment", "pin")
    assert rule in err


def test_create_account_needs_birth_date(practice):
    k = practice.add_client("Bert Bakker")
    err = fails(practice, "invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "account")
    assert err.startswith("error: --payment:") and "--birth-date" in err
    assert "Bert" not in err
    practice.ok("client", "edit", k, "--birth-date", "1970-05-06")
    out = create(practice, k, "Consult;1;45,00", payment="account")
    assert out["status"] == "open"


def test_create_usage_errors(practice, client):
    err = fails(practice, "invoice", "create", client, "--payment", "pin")
    assert "--line" in err
    err = fails(practice, "invoice", "create", client, "--line", "Consult;1;45,00", code=2)
    assert "--payment" in err
    err = fails(practice, "invoice", "create", client, "--line", "Consult;1;45,00", "--payment", "pin",
                "--date", "31-02-2026")
    assert "--date" in err
    err = fails(practice, "invoice", "create", "K999999", "--line", "Consult;1;45,00", "--payment", "pin")
    assert "not found" in err


def test_create_without_practice_details_refused(vet):
    k = vet.add_client()
    err = fails(vet, "invoice", "create", k, "--line", "Consult;1;45,00", "--payment", "pin")
    assert "art. 35a" in err and "--btw" in err


def test_year_roll_over_starts_at_00001(practice, client):
    days = ["2024-12-30", "31-12-2024", "2025-01-01", "02-01-2025", "2024-12-31"]
    numbers = [create(practice, client, "A;1;1,00", extra=("--date", d))["number"] for d in days]
    assert numbers == ["2024-00001", "2024-00002", "2025-00001", "2025-00002", "2024-00003"]


# --------------------------------------------------------------------------
# show, list
# --------------------------------------------------------------------------


def test_show_formats(practice, client):
    out = create(practice, client, "Consult;1;45,00", "Voer;2;3,10;9", payment="account")
    number = out["number"]
    card = practice.ok("invoice", "show", number, "--format", "json").json()
    assert card["number"] == number and card["id"] == out["id"]
    assert card["customer_name"] == NAME and card["supplier_vat_number"] == BTW
    assert [l["description"] for l in card["lines"]] == ["Consult", "Voer"]
    assert [(v["rate"], v["net_cents"], v["vat_cents"]) for v in card["vat_rates"]] == [(21, 4500, 945), (9, 620, 56)]
    assert card["balance_cents"] == card["gross_cents"] == 6121
    assert card["due_date"] == (TODAY + timedelta(days=14)).isoformat()
    by_id = practice.ok("invoice", "show", str(out["id"]), "--format", "json").json()
    assert by_id == card

    plain = practice.ok("invoice", "show", number, "--format", "plain").stdout
    assert number in plain and "VAT per rate" in plain and "61.21" in plain and "Voer" in plain
    rows = list(csv.DictReader(io.StringIO(practice.ok("invoice", "show", number, "--format", "csv").stdout)))
    assert rows[0]["number"] == number and rows[0]["total"] == "61.21"
    table = practice.ok("invoice", "show", number, "--format", "table").stdout
    assert number in table

    assert "INVOICE" in fails(practice, "invoice", "show", "Anna")
    assert "not found" in fails(practice, "invoice", "show", "2020-00001")
    assert "--out" in fails(practice, "invoice", "show", number, "--format", "json", "--out", "x.json", code=2)


def test_list_filters_and_formats(practice, client):
    pet = practice.add_pet(client)
    k2 = practice.add_client("Bert Bakker", birth_date="1970-01-01")
    old = TODAY - timedelta(days=60)
    a = create(practice, client, "A;1;10,00", payment="account", extra=("--pet", pet, "--date", old.isoformat()))
    d = create(practice, k2, "D;1;10,00", payment="account", extra=("--date", old.isoformat()))  # dates in order
    b = create(practice, client, "B;1;10,00", payment="pin")
    c = create(practice, k2, "C;1;10,00", payment="account")
    practice.ok("invoice", "collect", d["number"])

    def listed(*args):
        data = practice.ok("invoice", "list", *args, "--format", "json").json()
        return [r["number"] for r in data]

    everything = [x["number"] for x in sorted((a, b, c, d), key=lambda x: (x["number"][:4], x["number"]))]
    assert listed() == everything
    assert set(listed("--client", client)) == {a["number"], b["number"]}
    assert listed("--pet", pet) == [a["number"]]
    assert set(listed("--status", "open")) == {a["number"], c["number"]}
    assert listed("--status", "in_collection") == [d["number"]]
    assert set(listed("--overdue")) == {a["number"], d["number"]}
    assert set(listed("--overdue", "--client", k2)) == {d["number"]}
    assert listed("--year", str(TODAY.year + 1)) == []
    data = practice.ok("invoice", "list", "--client", k2, "--format", "json").json()
    assert {r["number"]: r["balance_cents"] for r in data} == {c["number"]: 1210, d["number"]: 1210}
    assert all("id" in r for r in data)
    plain = practice.ok("invoice", "list", "--format", "plain").stdout
    assert all(n in plain for n in everything)
    rows = list(csv.DictReader(io.StringIO(practice.ok("invoice", "list", "--format", "csv").stdout)))
    assert [r["number"] for r in rows] == everything
    assert "--status" in fails(practice, "invoice", "list", "--status", "betaald")
    assert "not found" in fails(practice, "invoice", "list", "--client", "K999999")


# --------------------------------------------------------------------------
# pay, collect, credit
# --------------------------------------------------------------------------


def test_pay_collect_credit(practice, client):
    inv = create(practice, client, "Consult;1;45,00", payment="account")  # 54.45
    number = inv["number"]
    r = practice.ok("invoice", "pay", number, "--amount", "20,00", "--json").json()
    assert (r["number"], r["amount_cents"], r["balance_cents"], r["status"], r["method"]) == (
        number, 2000, 3445, "open", "transfer")
    assert isinstance(r["id"], int)
    err = fails(practice, "invoice", "pay", number, "--amount", "34,46")
    assert err == "error: --amount: exceeds the amount still owed (34.45); overpayment is refused"
    assert "--amount" in fails(practice, "invoice", "pay", number, "--amount", "12,345")
    assert "--amount" in fails(practice, "invoice", "pay", number, "--amount", "tien")
    assert "--amount" in fails(practice, "invoice", "pay", number, code=2)
    assert "--method" in fails(practice, "invoice", "pay", number, "--amount", "1", "--method", "ideal")
    c = practice.ok("invoice", "collect", number, "--json").json()
    assert (c["status"], c["balance_cents"]) == ("in_collection", 3445)
    fails(practice, "invoice", "collect", number)
    r = practice.ok("invoice", "pay", number, "--amount", "34.45", "--method", "pin",
                    "--date", TODAY.strftime("%d-%m-%Y"), "--json").json()
    assert (r["balance_cents"], r["status"]) == (0, "paid")
    assert "already paid" in fails(practice, "invoice", "pay", number, "--amount", "1")

    note = practice.ok("invoice", "credit", number, "--reason", "dubbel gefactureerd", "--json").json()
    assert note["kind"] == "credit_note" and note["credits"] == number
    assert (note["net_cents"], note["vat_cents"], note["gross_cents"]) == (-4500, -945, -5445)
    assert note["number"] != number and isinstance(note["id"], int)
    assert "already credited" in fails(practice, "invoice", "credit", number)
    assert "credit note" in fails(practice, "invoice", "credit", note["number"])
    shown = practice.ok("invoice", "show", number, "--format", "json").json()
    assert (shown["status"], shown["credited_by"], shown["paid_cents"]) == ("credited", note["number"], 5445)


def test_no_command_edits_or_deletes_an_issued_invoice(practice, client):
    inv = create(practice, client, "Consult;1;45,00", payment="account")
    snapshot = practice.sql("SELECT * FROM invoice_line")
    help_ = practice.ok("invoice", "--help").stdout
    for verb in ("edit", "delete", "remove", "update"):
        assert f" {verb} " not in help_
        assert practice.run("invoice", verb, inv["number"]).exit_code == 2
    assert practice.sql("SELECT * FROM invoice_line") == snapshot


def test_audit_has_no_customer_name(practice, client):
    pet = practice.add_pet(client, name="Bello")
    inv = create(practice, client, "Consult Bello;1;45,00", payment="account", extra=("--pet", pet))
    practice.ok("invoice", "pay", inv["number"], "--amount", "1")
    practice.ok("invoice", "credit", inv["number"], "--reason", "Anna Jansen verhuisd")
    out = practice.dir / "f.pdf"
    practice.ok("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out))
    log = practice.ok("audit", "show", "--format", "json").stdout
    entries = [e for e in json.loads(log) if e["action"].startswith("invoice.")]
    assert [e["action"] for e in entries] == ["invoice.create", "invoice.pay", "invoice.credit", "invoice.pdf"]
    text = json.dumps(entries)
    for secret in ("Anna", "Jansen", "Dorpsstraat", "Bello", "verhuisd", "1980"):
        assert secret not in text
    assert inv["number"] in text and "5445" in text
    assert out.exists()


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_has_the_fields_dutch_rules_require(practice, client, tmp_path):
    from vetcards.pdf import format_date

    pet = practice.add_pet(client)
    inv = create(practice, client, "Consult;1;45,00", "Vaccinatie;2;32,50;9", "Verklaring;1;5,00;0",
                 payment="account", extra=("--pet", pet))
    outdir = tmp_path / "out"
    outdir.mkdir()
    out = outdir / "factuur.pdf"
    r = practice.ok("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out))
    assert r.stdout == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in outdir.iterdir()] == ["factuur.pdf"]  # no temp file left
    text = pdf_text(out)
    for needed in (
        "Factuur", inv["number"], f"Factuurdatum: {format_date(TODAY)}",
        "Dierenkliniek De Linde", "Lindelaan 3, 3511 AA Utrecht",     # supplier
        f"BTW-nummer: {BTW}", "KvK-nummer: 12345678", f"IBAN: {IBAN}",
        NAME, "Dorpsstraat 1", "1234 AB Utrecht",                    # customer
        "Consult", "Vaccinatie", "€ 32,50",                        # lines, unit price
        "21% € 45,00 € 9,45", "9% € 65,00 € 5,85", "0% € 5,00 € 0,00",  # per rate
        "Totaal excl. BTW € 115,00", "Totaal BTW € 15,30", "Totaal incl. BTW € 130,30",
    ):
        assert needed in text, needed
    # Written again: replaced in place, still 0600.
    practice.ok("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_pdf_credit_note_and_unusual_characters(practice, tmp_path):
    # Printed exactly as stored (the embedded Unicode font; a script it lacks: tests/cli/test_pdf_unicode.py).
    k = practice.add_client("Łukasz Ørsted “Ŝ”", street="Straße 1", birth_date="1990-01-01")
    inv = create(practice, k, "Behandeling € 10 – spoed;1;10,00", payment="pin")
    note = practice.ok("invoice", "credit", inv["number"], "--reason", "fout — “dubbel”", "--json").json()
    out = tmp_path / "credit.pdf"
    practice.ok("invoice", "show", note["number"], "--format", "pdf", "--out", str(out))
    text = pdf_text(out)
    assert "Creditnota" in text and note["number"] in text
    assert f"Creditnota voor factuur {inv['number']}" in text
    assert "Łukasz Ørsted “Ŝ”" in text and "Straße 1" in text
    assert "Behandeling € 10 – spoed" in text and "fout — “dubbel”" in text
    assert "Totaal incl. BTW € -12,10" in text and BTW in text


def test_pdf_needs_out_and_a_writable_place(practice, client, tmp_path):
    inv = create(practice, client, "Consult;1;45,00")
    assert "--out" in fails(practice, "invoice", "show", inv["number"], "--format", "pdf", code=2)
    err = fails(practice, "invoice", "show", inv["number"], "--format", "pdf",
                "--out", str(tmp_path / "missing" / "f.pdf"))
    assert "--out" in err
    assert not (tmp_path / "missing").exists()


# --------------------------------------------------------------------------
# client card: services rendered
# --------------------------------------------------------------------------


def test_client_show_lists_invoice_lines_as_services(practice, client):
    pet = practice.add_pet(client)
    inv = create(practice, client, "Consult;1;45,00", "Vaccinatie;2;32,50;9", extra=("--pet", pet))
    card = practice.ok("client", "show", client, "--format", "json").json()
    services = [(s["kind"], s["reference"], s["pet"], s["description"], s["net_cents"])
                for s in card["services"]]
    assert services == [("invoice", inv["number"], pet, "Consult", 4500),
                        ("invoice", inv["number"], pet, "Vaccinatie", 6500)]
    assert card["last_activity"] == TODAY.isoformat()
    plain = practice.ok("client", "show", client, "--format", "plain").stdout
    assert "Services rendered" in plain and inv["number"] in plain


# --------------------------------------------------------------------------
# practice settings
# --------------------------------------------------------------------------


def test_practice_set_and_show(vet):
    vet.ok("practice", "set", "--name", "Dierenkliniek De Linde", "--btw", "nl 0000.99998.b57",
           "--kvk", "1234 5678", "--iban", "nl91 abna 0417 1643 00", "--postcode", "3511aa")
    shown = vet.ok("practice", "show", "--format", "json").json()
    assert (shown["name"], shown["vat_number"], shown["kvk"], shown["iban"], shown["postcode"]) == (
        "Dierenkliniek De Linde", BTW, "12345678", "NL91ABNA0417164300", "3511 AA")
    plain = vet.ok("practice", "show", "--format", "plain").stdout
    assert BTW in plain


@pytest.mark.parametrize(
    ("option", "value", "field"),
    [
        ("--btw", "NL000099998B58", "--btw"),
        ("--btw", "DE123456789", "--btw"),
        ("--btw", "hallo", "--btw"),
        ("--iban", "NL92ABNA0417164300", "--iban"),
        ("--iban", "NL91ABNA04171643", "--iban"),
        ("--kvk", "1234567", "--kvk"),
        ("--kvk", "1234567a", "--kvk"),
        ("--postcode", "12345", "--postcode"),
        ("--payment-term-days", "-1", "--payment-term-days"),
    ],
)
def test_practice_set_invalid(vet, option, value, field):
    vet.ok("practice", "set", "--name", "Kliniek")
    err = fails(vet, "practice", "set", option, value, "--name", "Andere naam")
    assert err.startswith(f"error: {field}:")
    assert value not in err
    assert vet.ok("practice", "show", "--format", "json").json()["name"] == "Kliniek"


# --------------------------------------------------------------------------
# two processes at the same moment
# --------------------------------------------------------------------------

# A worker process: imports everything first, waits for the start signal,
# then runs the real CLI command N times in this process (each run opens the
# database, takes the write lock, numbers, commits and closes, exactly as
# `vetcards invoice create` does; only the interpreter start-up and building
# Typer's command tree are saved: ~0.6 s a run, 200 runs would take ~65 s on
# 2 cores). test_two_console_script_processes_at_once uses real processes.
WORKER = r"""
import contextlib, io, json, os, sys, time
import typer
from vetcards.cli import app
import vetcards.invoicing, vetcards.invoice_views  # noqa: F401  (import before the start)
cli = typer.main.get_command(app)  # the command tree `vetcards` runs, built once
go, client, tag, n, day = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
open(go + "." + tag, "w").close()  # ready: everything imported
deadline = time.monotonic() + 60
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.001)
numbers, failures = [], []
for i in range(n):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(args=["invoice", "create", client, "--line", f"Consult {tag} {i};1;45,00",
                         "--payment", "pin", "--date", day, "--json"],
                   prog_name="vetcards", standalone_mode=False)
    if code:
        failures.append(err.getvalue().strip())
    else:
        numbers.append(json.loads(out.getvalue())["number"])
print(json.dumps({"numbers": numbers, "failures": failures}))
"""


def _env(vet) -> dict[str, str]:
    return dict(os.environ, VETCARDS_DB=str(vet.db), VETCARDS_KEY_FILE=str(vet.key_file),
                VETCARDS_PASSPHRASE="", VETCARDS_ACTOR="tester")


def test_two_concurrent_processes_number_without_gaps(practice, client):
    n = 100
    day = "2025-06-30"
    go = practice.dir / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(go), client, tag, str(n), day],
                         env=_env(practice), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for tag in ("A", "B")
    ]
    wait_for(lambda: all(Path(f"{go}.{tag}").exists() for tag in "AB"), timeout=60)  # both imported
    t0 = time.perf_counter()
    go.write_text("go")
    results = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    elapsed = time.perf_counter() - t0
    print(f"\n2 processes x {n} invoices: {elapsed:.1f} s")
    for r in results:
        assert r["failures"] == [] and len(r["numbers"]) == n
    got = sorted(results[0]["numbers"] + results[1]["numbers"])
    assert got == [f"2025-{i:05d}" for i in range(1, 2 * n + 1)]
    assert practice.sql("SELECT count(*), min(seq), max(seq), count(DISTINCT seq) FROM invoice") == [
        (2 * n, 1, 2 * n, 2 * n)]
    # The two really ran at the same time: their numbers interleave.
    a = sorted(int(x[5:]) for x in results[0]["numbers"])
    assert a != list(range(1, n + 1)) and a != list(range(n + 1, 2 * n + 1))
    # Each invoice got its own line and payment; the audit chain held.
    assert practice.sql("SELECT count(*) FROM invoice_line") == [(2 * n,)]
    assert practice.sql("SELECT count(*) FROM payment") == [(2 * n,)]
    assert practice.sql("SELECT count(*) FROM audit_log WHERE action = 'invoice.create'") == [(2 * n,)]
    practice.ok("audit", "verify")


def test_two_console_script_processes_at_once(practice, client):
    """The installed `vetcards` script, one process per invoice, two streams at once."""
    exe = Path(sys.executable).parent / "vetcards"
    if not exe.exists():
        pytest.skip("no vetcards console script next to the interpreter")
    n = 3  # each run costs ~0.6 s of interpreter and import start-up
    env = _env(practice)
    codes: list[int] = []
    errors: list[str] = []

    def stream(tag: str) -> None:
        for i in range(n):
            r = subprocess.run([str(exe), "invoice", "create", client, "--line", f"X {tag} {i};1;1,00",
                                "--payment", "cash", "--date", "2024-03-01", "--json"],
                               env=env, capture_output=True, text=True, timeout=60)
            codes.append(r.returncode)
            if r.returncode:
                errors.append(r.stderr)

    threads = [threading.Thread(target=stream, args=(t,)) for t in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and codes == [0] * (2 * n)
    numbers = [r[0] for r in practice.sql("SELECT number FROM invoice ORDER BY seq")]
    assert numbers == [f"2024-{i:05d}" for i in range(1, 2 * n + 1)]
