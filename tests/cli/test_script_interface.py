"""SPEC §8, the stable script interface: each form exactly as written, with
the JSON keys scripts rely on. If one of these tests has to change, the
change breaks somebody's cron job: don't."""

from __future__ import annotations

import zipfile
from datetime import date

import pytest
from conftest import Vet


@pytest.fixture
def flags(tmp_path):
    """A database made and used only through the global --db/--key-file flags."""
    return practice_by_flags(tmp_path, Vet)


def practice_by_flags(tmp_path, vet_class):
    """The practice of :func:`flags`, run by ``vet_class`` (tests/test_shell.py runs each form in the shell)."""
    v = vet_class(dir=tmp_path, db=tmp_path / "p.db", key_file=tmp_path / "p.key",
                  env={"VETCARDS_DB": "", "VETCARDS_KEY_FILE": ""})
    r = v.run("--db", str(v.db), "init", "--new-key-file", str(v.key_file))
    assert r.exit_code == 0, r.stderr
    base = ["--db", str(v.db), "--key-file", str(v.key_file)]
    v.ok(*base, "practice", "set", "--name", "Dierenkliniek De Linde", "--street", "Lindelaan 3",
         "--postcode", "3511 AB", "--city", "Utrecht", "--btw", "NL000099998B57")
    return v, base


def test_client_pet_invoice_forms(flags):
    v, base = flags
    r = v.ok(*base, "client", "add", "--name", "Anna de Vries", "--street", "Dorpsstraat 12",
             "--postcode", "1234 AB", "--city", "Utrecht", "--phone", "06 12345678",
             "--email", "anna@example.nl", "--birth-date", "15-03-1980", "--consent", "--json")
    client = r.json()
    assert isinstance(client["id"], int) and client["number"].startswith("K")

    for ref in (client["number"], str(client["id"])):
        card = v.ok(*base, "client", "show", ref, "--format", "json").json()
        assert card["number"] == client["number"]
    for fmt in ("table", "plain", "csv"):
        assert client["number"] in v.ok(*base, "client", "show", client["number"], "--format", fmt).stdout
    listed = v.ok(*base, "client", "list", "--format", "json").json()
    assert [c["number"] for c in listed] == [client["number"]]
    for fmt in ("table", "plain", "csv"):
        assert client["number"] in v.ok(*base, "client", "list", "--format", fmt).stdout

    pet = v.ok(*base, "pet", "add", client["number"], "--name", "Bello", "--species", "dog",
               "--breed", "Labrador", "--sex", "male neutered", "--birth-date", "2020-05-01",
               "--chip", "528210000000001", "--weight", "31,4", "--colour", "blond",
               "--coat", "short", "--insured", "--json").json()
    assert isinstance(pet["id"], int) and pet["number"].startswith("P")
    other = v.ok(*base, "pet", "add", str(client["id"]), "--name", "Minoes", "--species", "cat",
                 "--not-insured", "--json").json()
    assert other["number"] != pet["number"]

    inv = v.ok(*base, "invoice", "create", client["number"], "--pet", pet["number"],
               "--line", "Consult;1;45,00", "--line", "Vaccinatie;2;32.50;9",
               "--payment", "account", "--date", date.today().strftime("%d-%m-%Y"), "--json").json()
    assert isinstance(inv["id"], int)
    assert inv["number"] == f"{date.today().year}-00001"
    for payment in ("cash", "pin"):
        again = v.ok(*base, "invoice", "create", client["number"], "--line", "Consult;1;45.00",
                     "--payment", payment, "--json").json()
        assert again["number"].startswith(f"{date.today().year}-0000")


def test_purge_form(flags):
    v, base = flags
    for args in ((), ("--dry-run",), ("--as-of", "2026-11-27", "--dry-run"), ("--as-of", "27-11-2026")):
        out = v.ok(*base, "purge", *args, "--json").json()
        for key in ("purged_clients", "kept_for_fiscal_hold", "held_for_claims", "dry_run"):
            assert key in out, (args, key)
        assert out["dry_run"] is ("--dry-run" in args)
        assert isinstance(out["purged_clients"], int)


def test_export_forms(flags, tmp_path):
    v, base = flags
    k = v.ok(*base, "client", "add", "--name", "Anna de Vries", "--street", "Dorpsstraat 12",
             "--postcode", "1234 AB", "--city", "Utrecht", "--consent", "--json").json()["number"]
    data = v.ok(*base, "export", k, "--out", "-").json()
    assert data["client"]["number"] == k
    explicit = v.ok(*base, "export", k, "--format", "json", "--out", "-").json()
    explicit.pop("generated_at"), data.pop("generated_at")
    assert explicit == data
    csv_path = tmp_path / "k.zip"
    v.ok(*base, "export", k, "--format", "csv", "--out", str(csv_path))
    assert zipfile.is_zipfile(csv_path)
    report = tmp_path / "k.html"
    v.ok(*base, "export", k, "--format", "report", "--out", str(report))
    assert "Anna de Vries" in report.read_text(encoding="utf-8")
    for path in (csv_path, report):
        assert path.stat().st_mode & 0o777 == 0o600


def test_erase_form(flags):
    v, base = flags
    k = v.ok(*base, "client", "add", "--name", "Anna de Vries", "--street", "Dorpsstraat 12",
             "--postcode", "1234 AB", "--city", "Utrecht", "--consent", "--json").json()["number"]
    plan = v.ok(*base, "erase", k, "--verified-by", "J. Bakker", "--id-document", "passport",
                "--dry-run", "--json").json()
    done = v.ok(*base, "erase", k, "--verified-by", "J. Bakker", "--id-document", "passport",
                "--yes", "--json").json()
    for out in (plan, done):
        for key in ("erased", "kept", "notify_recipients"):
            assert key in out
        for item in out["kept"]:
            assert "reason" in item and "until" in item
    assert v.run(*base, "client", "show", k).exit_code == 1
