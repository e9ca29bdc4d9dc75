"""The referral letter: the PDF a specialist reads, beside the referral bundle's JSON (issue 14 point 5).

In Dutch (English on request), from the same data as the bundle
(:func:`vetcards.sharing.referral`): the referring practice and how to reach
it, the specialist, the date, the reason for referral (``--note``), the owner
and how to reach them (only when the register allows the recipient
``contact``), the patient card (species and sex in words, the chip only when
allowed), and the record: weights, visits, vaccinations, medicines. A record
that was voided (entered in error, or replaced by a correction) is left out,
and the letter says so. Rendered by :mod:`vetcards.pdf` (embedded Unicode
font, Dutch dates and weights).
"""

from __future__ import annotations

from typing import Any, Optional

from .address import address_lines
from .dutch import Labels, catalog, shared, translator
from .pdf import Document, format_date, format_kg
from .vocab import label

__all__ = ["render"]

#: The letter's words: (Dutch, English), documents.toml [letter].
_T: Labels = {
    **shared("phone", "email", "owner", "name", "species", "breed", "sex", "birth_date", "colour", "coat", "chip",
             "insured", "yes", "no", "vaccinations", "findings", "diagnosis", "treatment", "vet", "vaccine", "batch",
             "next_due", "dispensed", "date", client="client_number", number="pet_number", visit_reason="reason"),
    **catalog("letter"),
}


def render(bundle: dict[str, Any], practice: dict[str, Any], *, record: dict[str, list[dict[str, Any]]],
           owner_country: Optional[str] = None, voided: int = 0, lang: str = "nl") -> bytes:
    """The letter of one referral ``bundle`` (the JSON's dict) as PDF bytes.

    ``practice`` holds the practice's settings (name, street, postcode, city, phone, email);
    ``record`` the medical record without the voided records (``voided``: how many were left out).
    A character the font lacks is refused (:class:`vetcards.errors.InvalidInput`).
    """
    t = translator(_T, lang)

    def yes_no(value: Optional[bool]) -> str:
        return "" if value is None else t("yes" if value else "no")

    pet, owner = bundle["patient"], bundle["owner"]
    species = label("species", pet["species"], lang)
    doc = Document(f"{t('title')} {pet['number']}", author=practice.get("name") or "")

    doc.text(practice.get("name"), field="practice name", size=14, bold=True, h=7)
    for line in address_lines(practice.get("street"), practice.get("postcode"), practice.get("city"), lang=lang):
        doc.text(line, field="practice address")
    contact = " · ".join(v for v in (practice.get("phone"), practice.get("email")) if v)
    doc.text(contact, field="practice contact")
    doc.gap(6)
    doc.text(bundle["recipient"]["name"], field="--to", label=f"{t('to')}: ", bold=True)
    doc.text(f"{t('date')}: {format_date(bundle['generated_on'], lang)}")
    doc.gap(4)
    doc.text(t("title").upper(), size=18, bold=True, h=9)
    doc.text(t("about", pet=pet["name"], species=species, number=pet["number"]), field="pet name", bold=True)
    doc.gap(2)

    doc.heading(t("reason"))
    doc.text(bundle.get("note") or t("no_reason"), field="--note")

    doc.heading(t("patient"))
    fields = [("name", pet["name"]), ("number", pet["number"]), ("species", species),
              ("breed", pet.get("breed")), ("sex", label("sex", pet["sex"], lang) if pet.get("sex") else None),
              ("birth_date", format_date(pet.get("birth_date"), lang)), ("colour", pet.get("colour")),
              ("coat", pet.get("coat")), ("chip", pet.get("chip")), ("insured", yes_no(pet.get("insured"))),
              ("deceased_on", format_date(pet.get("deceased_on"), lang))]
    for key, value in fields:
        doc.text(value, field=f"pet {key}", label=f"{t(key)}: ")

    doc.heading(t("owner"))
    doc.text(owner["name"], field="client name")
    for line in address_lines(owner.get("street"), owner.get("postcode"), owner.get("city"), owner_country, lang):
        doc.text(line, field="client address")
    doc.text(f"{t('client')}: {owner['number']}")
    doc.text(owner.get("phone"), field="client phone", label=f"{t('phone')}: ")
    doc.text(owner.get("email"), field="client e-mail", label=f"{t('email')}: ")

    def section(key: str, header: list[str], rows: list[list[Any]], widths: tuple[float, ...]) -> None:
        doc.heading(t(key))
        if rows:
            doc.table(header, rows, widths, ("LEFT",) * len(header), field=t(key).lower(), size=8)
        else:
            doc.text(t("none"))

    section("weights", [t("date"), t("weights")],
            [[format_date(w["date"], lang), format_kg(w["grams"], lang)] for w in record["weights"]], (40, 40))
    section("visits", [t("date"), t("visit_reason"), t("findings"), t("diagnosis"), t("treatment"), t("vet")],
            [[format_date(v["date"], lang), v.get("reason"), v.get("findings"), v.get("diagnosis"),
              v.get("treatment"), v.get("vet")] for v in record["visits"]], (24, 28, 36, 30, 36, 20))
    section("vaccinations", [t("date"), t("vaccine"), t("batch"), t("next_due")],
            [[format_date(v["date"], lang), v.get("vaccine"), v.get("batch"), format_date(v.get("next_due"), lang)]
             for v in record["vaccinations"]], (32, 60, 40, 42))
    section("medicines", [t("date"), t("product"), t("batch"), t("quantity"), t("expiry"), t("vet"), t("dispensed")],
            [[format_date(m["date"], lang), m.get("product"), m.get("batch"), m.get("quantity"),
              format_date(m.get("expiry"), lang), m.get("vet"), yes_no(m.get("dispensed"))]
             for m in record["medicines"]], (24, 40, 22, 22, 24, 24, 18))
    if voided:
        doc.gap(2)
        doc.text(t("voided", n=voided), size=9)

    doc.gap(8)
    doc.text(t("consent"), size=9)
    doc.gap(4)
    doc.text(t("greeting"))
    doc.text(practice.get("name"), field="practice name")
    return doc.render()
