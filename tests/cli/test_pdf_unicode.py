"""Every PDF prints every name exactly as stored (issue 14): an embedded, subset Unicode font
(Noto Sans), € amounts, Dutch dates; a character the font lacks is refused naming the field.

Read back with pypdf and, when the machine has them, with poppler's pdftotext and pdffonts
(tools vetcards does not use itself)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

#: Names in the scripts a Dutch practice meets (Polish, Turkish, Czech, Vietnamese, Greek, Cyrillic).
NAMES = ("Łukasz Wiśniewski", "Ayşe Ölçer", "Antonín Dvořák", "Nguyễn Thị Minh Khai", "Γιώργος Παπαδόπουλος",
         "Иван Иванов")
STREET = "Şehitlerstraat 7"

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")


def dutch(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def pypdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


def poppler(tool: str, path: Path) -> str | None:
    """The output of a poppler tool on ``path``, or None when the machine lacks it."""
    exe = shutil.which(tool)
    if exe is None:
        return None
    args = [exe, str(path), "-"] if tool == "pdftotext" else [exe, str(path)]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def practice(vet):
    return vet.set_practice("Dierenkliniek Ĳsselmonde")


def client(vet, name: str, **extra: str) -> str:
    return vet.add_client(name, birth_date="01-02-1980", **extra)


def invoice(vet, client: str, *lines: str, extra: tuple[str, ...] = ()) -> dict:
    args = ["invoice", "create", client, "--payment", "account", "--json", *extra]
    for line in lines:
        args += ["--line", line]
    return vet.ok(*args).json()


@pytest.mark.parametrize("name", NAMES)
def test_every_name_prints_exactly_as_stored(practice, tmp_path, name):
    k = client(practice, name, street=STREET)
    inv = invoice(practice, k, f"Consult {name.split()[0]};1;1234,56")
    out = tmp_path / "f.pdf"
    practice.ok("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out))
    text = pypdf_text(out)
    assert name in text
    assert STREET in text
    assert "Dierenkliniek Ĳsselmonde" in text
    assert f"Consult {name.split()[0]}" in text
    assert "€ 1.234,56" in text and "€ 1.493,82" in text  # 21 % VAT on top
    assert f"Factuurdatum: {dutch(date.today())}" in text
    assert "?" not in text and "EUR" not in text
    poppler_text = poppler("pdftotext", out)
    if poppler_text is not None:
        assert name in poppler_text and STREET in poppler_text and "€ 1.234,56" in poppler_text


def test_the_font_is_embedded_as_a_subset(practice, tmp_path):
    k = client(practice, NAMES[0])
    inv = invoice(practice, k, "Consult;1;45,00")
    out = tmp_path / "f.pdf"
    practice.ok("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out))
    from pypdf import PdfReader

    fonts = set()
    for page in PdfReader(str(out)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]).lstrip("/"))
    assert fonts and all("NotoSans" in f and f[6] == "+" for f in fonts), fonts  # ABCDEF+NotoSans...
    assert out.stat().st_size < 60_000  # a subset, not the 2 MB font
    listing = poppler("pdffonts", out)
    if listing is not None:
        rows = [line.split() for line in listing.splitlines()[2:]]
        assert rows and all("NotoSans" in r[0] and r[0][6] == "+" for r in rows)
        assert all("yes" in r[-5:-2] for r in rows)  # emb, sub columns


def test_supply_date_statements_and_country_in_dutch(practice, tmp_path):
    k = client(practice, "Jürgen Öztürk")
    inv = invoice(practice, k, "Consult;1;45,00", "Registratie NDG;1;10,00;outside", "Keuring;1;30,00;exempt",
                  "Verklaring;1;5,00;0", extra=("--date", "2026-03-02", "--supply-date", "2024-02-29"))
    out = tmp_path / "f.pdf"
    practice.ok("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out))
    text = pypdf_text(out)
    assert "Factuurdatum: 2 maart 2026" in text
    assert "Leverdatum: 29 februari 2024" in text
    assert "Buiten de reikwijdte van de btw: Registratie NDG" in text
    assert "Vrijgesteld van btw (art. 11 Wet OB 1968): Keuring" in text
    assert "0% btw (nultarief): Verklaring" in text
    assert "uiterlijk 16 maart 2026" in text


def test_a_credit_note_prints_the_same_way(practice, tmp_path):
    k = client(practice, "Ayşe Ölçer")
    inv = invoice(practice, k, "Behandeling – spoed;1;10,00")
    note = practice.ok("invoice", "credit", inv["number"], "--reason", "fout — “dubbel”", "--json").json()
    out = tmp_path / "c.pdf"
    practice.ok("invoice", "show", note["number"], "--format", "pdf", "--out", str(out))
    text = pypdf_text(out)
    assert f"Creditnota voor factuur {inv['number']}" in text
    assert "Ayşe Ölçer" in text and "fout — “dubbel”" in text and "Behandeling – spoed" in text
    assert "Totaal incl. BTW € -12,10" in text


@pytest.mark.parametrize(("name", "line", "field", "where"), [
    ("王秀英 (Wang Xiuying)", "Consult;1;45,00", "customer_name", "character 1 and 2 more"),
    ("Anna Jansen", "Behandeling 🐕;1;10,00", "line 1", "character 13:"),
])
def test_a_character_the_font_lacks_is_refused_naming_the_field(practice, tmp_path, name, line, field, where):
    k = client(practice, name)
    inv = invoice(practice, k, line)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "f.pdf"
    r = practice.run("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out))
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {field}: has a character the PDF font cannot print")
    assert where in lines[0]  # counted within the field, so it can be found
    assert "Wang" not in r.stderr and "王" not in r.stderr  # no personal data in the error line
    assert list(folder.iterdir()) == []  # no file, no temporary file


def test_decomposed_accents_print_composed(practice, tmp_path):
    decomposed = "Jose\u0301 Mun\u0303oz"  # e + combining acute, n + combining tilde
    k = client(practice, decomposed)
    inv = invoice(practice, k, "Consult;1;45,00")
    out = tmp_path / "f.pdf"
    practice.ok("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out))
    assert "José Muñoz" in pypdf_text(out)


def test_an_invoice_in_english_on_request(practice, tmp_path):
    k = client(practice, "Παπαδόπουλος")
    inv = invoice(practice, k, "Consult;1;1234,56", extra=("--date", "2026-03-02"))
    out = tmp_path / "en.pdf"
    practice.ok("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out), "--lang", "en")
    text = pypdf_text(out)
    assert "Invoice date: 2 March 2026" in text and "€ 1,493.82" in text and "Παπαδόπουλος" in text
    r = practice.run("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out), "--excel")
    assert r.exit_code == 2 and "--excel" in r.stderr


def test_the_country_of_a_customer_abroad(practice, tmp_path):
    k = client(practice, "Jan Peeters", street="Meir 1", postcode="2000", city="Antwerpen", country="BE")
    inv = invoice(practice, k, "Consult;1;45,00")
    assert practice.ok("invoice", "show", inv["number"], "--format", "json").json()["customer_country"] == "BE"
    out = tmp_path / "be.pdf"
    practice.ok("invoice", "show", inv["number"], "--format", "pdf", "--out", str(out))
    assert "Meir 1\n2000 Antwerpen\nBelgië" in pypdf_text(out)
