"""The access report answers every item of GDPR art. 15(1)(a)-(h) and 15(2) (issue 14 point 4),
names the practice's contact details, and speaks Dutch: dates, amounts, weights, corrections."""

from __future__ import annotations

import copy
import re

import pytest

from vetcards import report

#: Each item of art. 15 and what the report must say for it (heading, and a text that answers it).
ITEMS = {
    "15(1)(a)": ("Doeleinden (", "AVG art. 15 lid 1 onder a", "Diergeneeskundige zorg"),
    "15(1)(b)": ("Categorieën van persoonsgegevens", "AVG art. 15 lid 1 onder b", "medisch dossier"),
    "15(1)(c)": ("Ontvangers van uw gegevens", "AVG art. 15 lid 1 onder c", "Lab Utrecht BV (laboratorium)"),
    "15(1)(d)": ("Bewaartermijnen", "AVG art. 15 lid 1 onder d", "Facturen bewaren wij 7 jaar"),
    "15(1)(e)": ("Uw rechten", "AVG art. 15 lid 1 onder e", "Recht van bezwaar"),
    "15(1)(f)": ("Klacht bij de toezichthouder", "AVG art. 15 lid 1 onder f", "Autoriteit Persoonsgegevens"),
    "15(1)(g)": ("Herkomst van de gegevens", "AVG art. 15 lid 1 onder g", "Door u (of namens u) gegeven"),
    "15(1)(h)": ("Geautomatiseerde besluitvorming en profilering", "AVG art. 15 lid 1 onder h",
                 "geen besluiten over u die uitsluitend op geautomatiseerde verwerking berusten"),
    "15(2)": ("Doorgifte buiten de EER", "AVG art. 15 lid 2", "Geen doorgifte buiten de EER"),
}
ITEMS_EN = {"15(1)(a)": "Purposes", "15(1)(h)": "Automated decision-making and profiling",
            "15(2)": "Transfers outside the EEA", "15(1)(f)": "Complaint to the supervisory authority"}


@pytest.fixture
def client(vet):
    vet.set_practice()
    k = vet.add_client("Anna de Vries", birth_date="1980-03-04", phone="06 12345678")
    p = vet.add_pet(k, "Bello")
    vet.ok("pet", "weigh", p, "31,45", "--date", "2026-11-01")
    inv = vet.ok("invoice", "create", k, "--line", "Operatie;1;1234,56", "--line", "Voer;2,5;3,99;9",
                 "--payment", "pin", "--date", "2026-12-02", "--json").json()["number"]
    vet.ok("invoice", "credit", inv, "--reason", "verkeerd", "--date", "2026-12-02")
    vet.ok("recipient", "add", "--name", "Lab Utrecht BV", "--kind", "lab", "--categories", "naw,animal")
    vet.ok("consent", "give", k, "--purpose", "lab", "--method", "written")
    vet.ok("disclose", k, "--to", "Lab Utrecht BV", "--categories", "naw,animal", "--pet", p)
    return k, inv


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_item_of_article_15_is_answered_under_its_heading(vet, client):
    k, _ = client
    html = vet.ok("export", k, "--format", "report", "--out", "-").stdout
    headings = [text_of(h) for h in re.findall(r"<h2>(.*?)</h2>", html, flags=re.S)]
    for item, (heading, ref, answer) in ITEMS.items():
        assert any(heading in h and ref in h for h in headings), (item, headings)
        assert answer in html, (item, answer)
    assert set(report.ARTICLE_15) == set(ITEMS)  # a new item in the table is tested here too
    en = vet.ok("export", k, "--format", "report", "--lang", "en", "--out", "-").stdout
    for item, heading in ITEMS_EN.items():
        assert f"{heading} <span class=\"muted\">(GDPR art. {item})</span>" in en, item


def test_the_practice_contact_details_are_named_or_said_to_be_missing(vet, client):
    k, _ = client
    html = vet.ok("export", k, "--format", "report", "--out", "-").stdout
    assert html.count("niet ingesteld") == 2  # phone and e-mail of the practice
    assert "geen aparte contactpersoon voor gegevensbescherming" in html
    vet.ok("practice", "set", "--phone", "030 123 4567", "--email", "info@delinde.nl",
           "--privacy-contact", "J. de Wit", "--privacy-email", "privacy@delinde.nl")
    html = vet.ok("export", k, "--format", "report", "--out", "-").stdout
    for value in ("+31301234567", "info@delinde.nl", "J. de Wit", "privacy@delinde.nl",
                  "Contactpersoon gegevensbescherming"):
        assert value in html, value
    assert "niet ingesteld" not in html


def test_dutch_dates_amounts_weights_and_the_credit_note_names_its_invoice(vet, client):
    k, inv = client
    html = vet.ok("export", k, "--format", "report", "--out", "-").stdout
    assert "1 november 2026" in html and "31,45" in html
    assert "€ 1.234,56" in html and "2,5" in html and "€ -1.234,56" in html
    assert re.search(r"Creditnota 2026-\d{5} · 2 december 2026 · corrigeert factuur " + inv, text_of(html))
    assert "2026-12-02" not in text_of(html)  # no ISO date for people
    en = vet.ok("export", k, "--format", "report", "--lang", "en", "--out", "-").stdout
    assert "2 December 2026" in en and "corrects invoice " + inv in en and "€ 1,234.56" in en


def test_voided_and_corrected_records_are_shown_marked(vet, client):
    k, _ = client
    doc = vet.ok("export", k, "--out", "-").json()
    d = copy.deepcopy(doc)
    pet = d["pets"][0]
    base = {"reason": "mank", "findings": None, "diagnosis": None, "treatment": None, "vet": "Dr. Bakker"}
    pet["visits"] = [
        {**base, "visit_date": "2026-10-01", "voided_at": "2026-10-02T08:00:00Z", "void_reason": "verkeerd been",
         "corrects": None},
        {**base, "visit_date": "2026-10-01", "voided_at": None, "void_reason": None,
         "corrects": {"pet_number": pet["number"], "index": 0}},
    ]
    html = text_of(report.render(d, "nl"))
    assert "vervallen 2 oktober 2026: verkeerd been" in html
    assert "correctie van de regel van 1 oktober 2026" in html


def test_an_abroad_client_shows_country_and_landline(vet):
    vet.set_practice()
    k = vet.add_client("Lotte Peeters", street="Meir 1", postcode="2000", city="Antwerpen", country="BE",
                       landline="03 212 34 56")
    html = vet.ok("export", k, "--format", "report", "--out", "-").stdout
    assert "België" in html and "+3232123456" in html and "Vaste telefoon" in html
