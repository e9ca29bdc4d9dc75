"""`refer` writes the letter a specialist reads (PDF, Dutch) beside the JSON bundle (issue 14 point 5):
one disclosure for both, staged then published; the JSON keeps its form."""

from __future__ import annotations

import json
import stat

import pytest


def pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


@pytest.fixture
def referral(vet):
    vet.ok("practice", "set", "--name", "Dierenkliniek De Linde", "--street", "Lindelaan 3", "--postcode", "3511 AA",
           "--city", "Utrecht")
    k = vet.add_client("Ayşe Ölçer", phone="06 12345678", street="Şehitlerstraat 7")
    p = vet.add_pet(k, "Bello", "dog", breed="Labrador", birth_date="2020-05-01", sex="male neutered",
                    chip="528210000000001", weight="31.5")
    vet.ok("consent", "give", k, "--purpose", "referral")
    vet.ok("recipient", "add", "--name", "Dierenkliniek Specialisten BV", "--kind", "specialist",
           "--agreement-date", "2026-01-15", "--categories", "naw,contact,animal,record")
    vet.ok("visit", "add", p, "--date", "2024-01-15", "--reason", "kreupel linksvoor", "--diagnosis", "artrose",
           "--vet", "Dr. Dvořák")
    vet.ok("vaccinate", p, "--vaccine", "Nobivac L4", "--date", "2024-01-15", "--next-due", "2025-01-15")
    return vet, k, p


def test_the_letter_beside_the_json(referral, tmp_path):
    vet, k, p = referral
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "verwijzing.json"
    r = vet.ok("refer", p, "--to", "Dierenkliniek Specialisten BV", "--out", str(out),
               "--note", "graag beoordeling van de linker elleboog")
    letter = folder / "verwijzing.pdf"
    assert sorted(x.name for x in folder.iterdir()) == ["verwijzing.json", "verwijzing.pdf"]  # no temp file left
    assert stat.S_IMODE(letter.stat().st_mode) == 0o600 and str(letter) in r.stderr
    text = pdf_text(letter)
    for needed in ("Dierenkliniek De Linde", "Aan: Dierenkliniek Specialisten BV", "VERWIJZING",
                   "Bello", p, "Diersoort: hond", "Ras: Labrador", "Geslacht: mannelijk, gecastreerd",
                   "Geboortedatum: 1 mei 2020", "Ayşe Ölçer", "Şehitlerstraat 7", "1234 AB Utrecht",
                   "Telefoon: +31612345678", "Reden van verwijzing", "graag beoordeling van de linker elleboog",
                   "kreupel linksvoor", "artrose", "Dr. Dvořák", "Nobivac L4", "15 januari 2024", "31,5 kg"):
        assert needed in text, needed
    assert "Chipnummer" not in text  # the register does not allow the chip to this recipient
    bundle = json.loads(out.read_text())
    assert list(bundle) == ["format", "format_version", "generated_on", "referring_practice", "recipient",
                            "categories", "note", "owner", "patient", "record"]  # the JSON keeps its form
    assert list(bundle["record"]) == ["weights", "visits", "vaccinations", "medicines"]
    assert list(bundle["record"]["visits"][0]) == ["date", "reason", "findings", "diagnosis", "treatment", "vet"]
    disclosures = vet.sql("SELECT count(*) FROM disclosure")
    assert disclosures == [(1,)]  # one disclosure for the bundle and the letter


def test_letter_with_json_on_stdout_and_in_english(referral, tmp_path):
    vet, k, p = referral
    letter = tmp_path / "letter.pdf"
    r = vet.ok("refer", p, "--to", "Dierenkliniek Specialisten BV", "--letter", str(letter), "--lang", "en")
    assert json.loads(r.stdout)["format"] == "vetcards-referral"
    text = pdf_text(letter)
    assert "REFERRAL" in text and "Species: dog" in text and "Ayşe Ölçer" in text and "15 January 2024" in text
    # Without a file and without --letter: the JSON only, and the message says so.
    r = vet.ok("refer", p, "--to", "Dierenkliniek Specialisten BV")
    assert "no letter" in r.stderr


def test_a_voided_record_is_left_out_of_the_letter(referral, tmp_path):
    vet, k, p = referral
    vet.sql_write("UPDATE visit SET voided_at = '2024-01-16 10:00:00', void_reason = 'verkeerde patiënt'")
    out = tmp_path / "v.json"
    vet.ok("refer", p, "--to", "Dierenkliniek Specialisten BV", "--out", str(out))
    text = pdf_text(tmp_path / "v.pdf")
    assert "kreupel linksvoor" not in text and "1 vervallen registratie(s)" in text
    assert "Nobivac L4" in text
    # The bundle a specialist's software reads leaves it out too (in the same form).
    bundle = json.loads(out.read_text())
    assert bundle["record"]["visits"] == []
    assert [v["vaccine"] for v in bundle["record"]["vaccinations"]] == ["Nobivac L4"]


def test_a_letter_that_cannot_be_printed_writes_nothing_and_logs_nothing(referral, tmp_path):
    vet, k, p = referral
    vet.ok("visit", "add", p, "--date", "2024-02-01", "--reason", "controle 🐕")
    folder = tmp_path / "out"
    folder.mkdir()
    before = vet.counts()
    r = vet.run("refer", p, "--to", "Dierenkliniek Specialisten BV", "--out", str(folder / "v.json"))
    assert r.exit_code == 1 and "has a character the PDF font cannot print" in r.stderr
    assert list(folder.iterdir()) == [] and vet.counts() == before


def test_refer_letter_refusals(referral, tmp_path):
    vet, k, p = referral
    same = tmp_path / "x.pdf"
    r = vet.run("refer", p, "--to", "Dierenkliniek Specialisten BV", "--out", str(same))
    assert r.exit_code == 2 and "--letter" in r.stderr
    r = vet.run("refer", p, "--to", "Dierenkliniek Specialisten BV", "--out", str(tmp_path / "a.json"),
                "--letter", str(tmp_path / "a.json"))
    assert r.exit_code == 2 and "same file" in r.stderr
    r = vet.run("refer", p, "--to", "Dierenkliniek Specialisten BV", "--letter", str(tmp_path / "no" / "l.pdf"))
    assert r.exit_code == 1 and "--letter" in r.stderr
    r = vet.run("refer", p, "--to", "Dierenkliniek Specialisten BV", "--letter", "/dev/null")
    assert r.exit_code == 1 and r.stderr == "error: --letter: is a device; only regular files are written\n"
    assert vet.sql("SELECT count(*) FROM disclosure") == [(0,)]
    assert not [x for x in tmp_path.iterdir() if x.suffix in (".pdf", ".json", ".part")]
