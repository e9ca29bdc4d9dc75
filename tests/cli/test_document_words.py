"""Every word a document prints is in one catalog, src/vetcards/documents.toml (read by dutch.catalog):
each entry Dutch and English, and the catalog holds exactly the words the documents ask for."""

from __future__ import annotations

import re
from typing import Any

import pytest

from vetcards import dutch, invoice_pdf, processing, referral_letter, report

#: Each document's table of words (module, attribute) and the catalog section it reads.
TABLES = {"report": (report, "T"), "report.cols": (report, "COLS"), "invoice": (invoice_pdf, "_T"),
          "letter": (referral_letter, "_T"), "register": (processing, "_W")}


class Asked(dict):
    """A table of words that notes every key the code asks for."""

    def __init__(self, table: dict[str, Any], asked: set[str]) -> None:
        super().__init__(table)
        self.asked = asked

    def __getitem__(self, key: str) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)


def test_every_entry_is_dutch_and_english_with_the_same_blanks():
    for section in (*TABLES, "shared", "register.security_measures"):
        for key, (nl, en) in dutch.catalog(section).items():
            assert nl.strip() and en.strip(), (section, key)
            assert sorted(re.findall(r"\{\w*\}", nl)) == sorted(re.findall(r"\{\w*\}", en)), (section, key)


def test_a_word_or_section_not_in_the_catalog_is_a_clear_error():
    with pytest.raises(KeyError, match=r"documents.toml \[shared\] has no nope"):
        dutch.shared("phone", nope_too="nope")
    with pytest.raises(KeyError, match=r"documents.toml has no \[nope\]"):
        dutch.catalog("nope")


def _documents(vet, out) -> None:
    """Every document in both languages, from practices that reach every branch that prints a word."""
    k = vet.add_client("Anna de Vries", birth_date="1980-03-04", phone="06 12345678")
    for lang in ("nl", "en"):  # no practice details yet: "not set", no privacy contact
        vet.ok("register", "--lang", lang)
        vet.ok("export", k, "--format", "report", "--lang", lang, "--out", "-")
    vet.set_practice()
    vet.ok("practice", "set", "--phone", "030 1234567", "--email", "info@linde.nl", "--privacy-contact", "Dr. P",
           "--privacy-email", "privacy@linde.nl")
    gb = vet.add_client("Łukasz Wiśniewski", street="12 Baker Street", postcode="NW1 6XE", city="London",
                        country="GB")
    p = vet.add_pet(k, "Bello", breed="Labrador", birth_date="2020-05-01", sex="male neutered",
                    chip="528210000000001", weight="31.5")
    vet.ok("pet", "edit", p, "--insured")
    vet.ok("pet", "weigh", p, "31,45", "--date", "2026-11-01")
    v = vet.ok("visit", "add", p, "--date", "2024-01-15", "--reason", "kreupel", "--vet", "Dr. D", "--json").json()
    vet.ok("record", "correct", "visit", str(v["id"]), "--diagnosis", "artrose", "--why", "aangevuld")
    wrong = vet.ok("visit", "add", p, "--date", "2024-02-15", "--reason", "fout", "--json").json()
    vet.ok("record", "void", "visit", str(wrong["id"]), "--reason", "verkeerd dier")
    vet.ok("vaccinate", p, "--vaccine", "Nobivac L4", "--batch", "B1", "--date", "2024-01-15", "--next-due",
           "2025-01-15")
    vet.ok("medicine", p, "--product", "Metacam", "--batch", "M1", "--quantity", "10 ml", "--expiry", "2027-06-30",
           "--vet", "Dr. D", "--dispensed", "--date", "2024-01-15")
    vet.ok("medicine", p, "--product", "Metacam", "--batch", "M1", "--quantity", "1 ml", "--vet", "Dr. D")
    young = vet.add_pet(k, "Pup")  # nothing in its record yet
    paid = vet.ok("invoice", "create", k, "--line", "Operatie;1;100", "--line", "Chip;1;10;0", "--payment", "pin",
                  "--pet", p, "--date", "2026-11-02", "--supply-date", "2026-11-01", "--json").json()["number"]
    credit = vet.ok("invoice", "credit", paid, "--reason", "verkeerd", "--date", "2026-11-03",
                    "--json").json()["number"]
    open_ = vet.ok("invoice", "create", k, "--line", "Controle;1;30", "--payment", "account", "--date",
                   "2026-11-04", "--json").json()["number"]
    settled = vet.ok("invoice", "create", gb, "--line", "Consult;1;45", "--payment", "pin", "--date", "2026-11-04",
                     "--json").json()["number"]
    vet.ok("invoice", "pay", open_, "--amount", "10", "--method", "transfer", "--date", "2026-11-05")
    vet.ok("invoice", "collect", open_)
    vet.ok("recipient", "add", "--name", "Lab Utrecht BV", "--kind", "lab", "--categories", "naw,animal")
    vet.ok("recipient", "add", "--name", "Specialisten BV", "--kind", "specialist", "--agreement-date", "2026-01-15",
           "--categories", "naw,contact,animal,record,chip")
    vet.ok("recipient", "add", "--name", "Incasso BV", "--kind", "other", "--categories", "naw")
    vet.ok("consent", "give", k, "--purpose", "lab", "--method", "written")
    vet.ok("consent", "give", k, "--purpose", "referral")
    vet.ok("disclose", k, "--to", "Lab Utrecht BV", "--categories", "naw,animal", "--pet", p, "--at-client-request")
    vet.ok("request", "add", k, "--type", "access", "--received", "2026-11-25")
    vet.ok("client", "hold", gb, "--reason", "rechtszaak")
    for lang in ("nl", "en"):
        for number in (paid, credit, open_, settled):
            vet.ok("invoice", "show", number, "--format", "pdf", "--out", str(out / f"{number}-{lang}.pdf"),
                   "--lang", lang)
        vet.ok("refer", p, "--to", "Specialisten BV", "--out", str(out / f"ref-{lang}.json"), "--lang", lang)
        vet.ok("refer", young, "--to", "Specialisten BV", "--out", str(out / f"note-{lang}.json"), "--note", "graag",
               "--lang", lang)
        for client in (k, gb):
            vet.ok("export", client, "--format", "report", "--lang", lang, "--out", "-")
        vet.ok("register", "--lang", lang)
        vet.ok("register", "--format", "json", "--lang", lang)
    # a restricted card (kept only for a legal duty) and a consent given for another controller
    doc = vet.ok("export", k, "--out", "-").json()
    doc["client"]["restricted"] = True
    doc["consents"][0]["controller"] = "NDG"
    report.render(doc, "nl")
    # a credit note whose invoice number is not in its snapshot
    card = vet.ok("invoice", "show", credit, "--format", "json").json()
    invoice_pdf.document({**card, "credits": None}, "nl")


def test_the_catalog_has_exactly_the_words_the_documents_ask_for(vet, monkeypatch, tmp_path):
    """An entry no document prints fails here; one the code asks for and the catalog lacks is a KeyError
    (at import for a [shared] word, when printed for a document's own), so every document is printed."""
    asked: dict[str, set[str]] = {section: set() for section in TABLES}
    for section, (module, name) in TABLES.items():
        monkeypatch.setattr(module, name, Asked(getattr(module, name), asked[section]))
    _documents(vet, tmp_path)
    for section, (module, name) in TABLES.items():
        table = getattr(module, name)
        assert set(table) - asked[section] == set(), f"[{section}]: entries no document prints"
        assert set(dutch.catalog(section)) <= set(table), section
    used = [id(word) for module, name in TABLES.values() for word in getattr(module, name).values()]
    unused = {key for key, word in dutch.catalog("shared").items() if id(word) not in used}
    assert unused == set(), "[shared]: entries no document takes"
