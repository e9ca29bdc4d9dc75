"""``vetcards register`` (GDPR art. 30) in Dutch by default, English on request; json for scripts."""

from __future__ import annotations

import re

from vetcards import vocab


def _setup(vet):
    vet.set_practice()
    vet.ok("recipient", "add", "--name", "Specialist BV", "--kind", "specialist", "--categories",
           "naw,animal,record", "--agreement-date", "2026-01-15")


def test_the_register_is_dutch_with_codes_as_dutch_labels(vet):
    _setup(vet)
    text = vet.ok("register").stdout
    assert text.splitlines()[0] == "Register van verwerkingsactiviteiten (AVG art. 30 lid 1)"
    for words in ("Verwerkingsverantwoordelijke: Dierenkliniek De Linde", "Grondslag:", "Betrokkenen:",
                  "Bewaartermijn:", "Doorgifte buiten de EER: geen vastgelegd", "Beveiligingsmaatregelen:",
                  "Specialist BV (specialist; overeenkomst van 15 januari 2026; mag ontvangen: naam en adres, "
                  "gegevens van het dier, medisch dossier)"):
        assert words in text, words
    for code in vocab.codes("data_category"):
        assert vocab.label("data_category", code, "nl") in text, code
    # no code of a list stands alone where a label belongs
    for code in ("naw", "chip-registry", "legal_obligation", "record", "recall"):
        assert not re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text), code
    for english in ("Purpose:", "Legal basis", "Retention:", "years", "none recorded", "may receive"):
        assert english not in text, english


def test_the_register_in_english_on_request(vet):
    _setup(vet)
    text = vet.ok("register", "--lang", "en").stdout
    assert text.splitlines()[0] == "Record of processing activities (GDPR art. 30(1))"
    assert "Specialist BV (specialist; agreement 15 January 2026; may receive: name and address" in text
    assert "Transfers outside the EEA: none recorded" in text


def test_the_json_form_keeps_its_keys_and_english_texts(vet):
    _setup(vet)
    reg = vet.ok("register", "--format", "json").json()
    assert reg["title"] == "Record of processing activities (GDPR art. 30(1))"
    assert set(reg) >= {"title", "generated_on", "controller", "privacy_statement_version", "retention_settings",
                        "data_categories", "activities", "other_recipients", "transfers_outside_eea",
                        "security_measures"}
    acts = {a["id"]: a for a in reg["activities"]}
    assert acts["care"]["categories"] == ["naw", "contact", "animal", "chip", "record"]
    assert acts["referral"]["recipients"][0]["agreement_date"] == "2026-01-15"
    assert "7 years" in acts["care"]["retention"]
    dutch = vet.ok("register", "--format", "json", "--lang", "nl").json()
    assert {a["id"]: a for a in dutch["activities"]}["care"]["retention"].startswith("7 jaar")
    assert dutch["activities"][0]["categories"] == acts["care"]["categories"]  # codes stay codes
