"""The access report speaks the client's language: no code reaches it untranslated.

A real export of a real client is rendered once per code of every vocabulary
the report shows (species, sex, consent purpose and method, payment method,
invoice kind and state, recipient kind, data category, disclosure basis,
request type): the Dutch label must be in the page, and a code that differs
from its label must not stand in a table cell or a definition. The codes come
from ``vetcards.vocab``, so a code added there is checked here without
touching this file.
"""

from __future__ import annotations

import copy
import re
from html import escape

import pytest

from vetcards import report, vocab


@pytest.fixture
def doc(vet):
    """A real export with a consent, a pet with a weight and a paid invoice."""
    vet.set_practice()
    number = vet.add_client("Anna de Vries")
    pet = vet.add_pet(number, "Bello")
    vet.ok("pet", "weigh", pet, "31,45")
    vet.ok("invoice", "create", number, "--pet", pet, "--line", "Consult;1;45,00", "--payment", "pin")
    return vet.ok("export", number, "--out", "-").json()


def cells(html: str) -> list[str]:
    return re.findall(r"<(?:td|dd)[^>]*>(.*?)</(?:td|dd)>", html, flags=re.S)


def assert_translated(html: str, kind: str, code: str) -> None:
    label = escape(vocab.label(kind, code, "nl"))
    assert label.lower() in html.lower(), (kind, code, label)  # a heading may capitalise it
    if vocab.label(kind, code, "nl") != code:
        assert escape(code) not in [c.strip() for c in cells(html)], (kind, code)


def render_with(doc: dict, path: tuple, value) -> str:
    d = copy.deepcopy(doc)
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return report.render(d, "nl")


CASES = [
    ("species", ("pets", 0, "species")),
    ("sex", ("pets", 0, "sex")),
    ("consent_purpose", ("consents", 0, "purpose")),
    ("consent_method", ("consents", 0, "method")),
    ("invoice_kind", ("invoices", 0, "kind")),
    ("invoice_state", ("invoices", 0, "status")),
    ("payment_method", ("invoices", 0, "payments", 0, "method")),
]


@pytest.mark.parametrize(("kind", "path"), CASES, ids=[c[0] for c in CASES])
def test_every_code_of_a_card_field_is_shown_as_its_dutch_label(doc, kind, path):
    for code in vocab.codes(kind):
        assert_translated(render_with(doc, path, code), kind, code)


def _with_disclosure(doc: dict, **fields) -> dict:
    d = copy.deepcopy(doc)
    row = {"disclosed_on": "2026-11-02", "recipient": {"name": "Laboratorium Noord", "kind": "lab"},
           "categories": "naw,animal", "basis": "consent", "at_client_request": False}
    recipient_kind = fields.pop("recipient_kind", None)
    row.update(fields)
    if recipient_kind is not None:
        row["recipient"] = {"name": "Laboratorium Noord", "kind": recipient_kind}
    d["disclosures"] = [row]
    return d


def test_disclosure_codes_are_shown_as_dutch_labels(doc):
    for code in vocab.codes("recipient_kind"):
        assert_translated(report.render(_with_disclosure(doc, recipient_kind=code), "nl"), "recipient_kind", code)
    for code in vocab.codes("disclosure_basis"):
        assert_translated(report.render(_with_disclosure(doc, basis=code), "nl"), "disclosure_basis", code)
    every = ",".join(vocab.codes("data_category"))
    html = report.render(_with_disclosure(doc, categories=every), "nl")
    for code in vocab.codes("data_category"):
        assert escape(vocab.label("data_category", code, "nl")) in html, code
    assert every not in html


def test_request_types_are_shown_as_dutch_labels(doc):
    for code in vocab.codes("request_type"):
        d = copy.deepcopy(doc)
        d["requests"] = [{"type": code, "received_on": "2026-11-01", "due_on": "2026-12-01", "closed_on": None}]
        assert_translated(report.render(d, "nl"), "request_type", code)


def test_weights_have_a_decimal_comma_in_dutch_and_a_dot_in_english(doc):
    assert "31,45" in report.render(doc, "nl")
    assert "31.45" in report.render(doc, "en")


def test_purposes_rights_and_sources_come_from_the_vocabulary(doc):
    html = report.render(doc, "nl")
    for kind, key in (("processing_purpose", "purposes"), ("right", "rights"), ("data_source", "source")):
        for item in doc[key]:
            if item["code"] in vocab.codes(kind) and item["code"] != "other-practice":
                assert escape(vocab.describe(kind, item["code"], "nl")) in html, (kind, item["code"])


def test_every_country_is_shown_as_its_dutch_name(doc):
    for code in vocab.codes("country"):
        d = copy.deepcopy(doc)
        d["client"]["country"] = code
        d["invoices"][0]["customer"]["country"] = code
        html = report.render(d, "nl")
        assert_translated(html, "country", code)
        if code != vocab.DEFAULT_COUNTRY:  # an address abroad names its country on the invoice line too
            assert html.count(escape(vocab.label("country", code, "nl"))) >= 2, code


def test_zero_rate_categories_and_voided_payments_are_shown_in_words(doc):
    d = copy.deepcopy(doc)
    inv = d["invoices"][0]
    for code in vocab.ZERO_VAT_CATEGORIES:
        inv["lines"][0].update(vat_rate=0, vat_category=code)
        html = report.render(d, "nl")
        assert escape(vocab.label("vat_category", code, "nl")) in html, code
        assert code not in [c.strip() for c in cells(html)], code
    inv["payments"][0].update(voided_at="2026-11-21T09:00:00Z", void_reason="dubbel geboekt")
    html = report.render(d, "nl")
    assert "vervallen</strong> 21 november 2026: dubbel geboekt" in html
    assert "voided</strong> 21 November 2026" in report.render(d, "en")
