"""The record of processing activities (GDPR art. 30(1)), built from the database.

The controller comes from the practice settings, the recipients from the
recipients register (grouped by the consent purpose they need), the
retention periods from the retention settings. The purposes, legal bases and
categories are those of the privacy statement that vetcards implements
(SPEC §1); they change with the code, not per practice.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from . import settings, vocab
from .dutch import Labels, catalog, lang_index, shared
from .recipients import list_recipients, required_purpose

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

#: A text of the register in Dutch and English.
Text = tuple[str, str]

#: The labels of the register: documents.toml [register] (its title too).
_W: Labels = {
    **shared("generated", "controller", "address", "vat_number", "phone", "email", "privacy_contact",
             "statement_version", "purpose", "legal_basis", "none", "transfers"),
    **catalog("register"),
}
#: The security measures it lists, in order: documents.toml [register.security_measures].
SECURITY_MEASURES: tuple[Text, ...] = tuple(catalog("register.security_measures").values())

_CLIENTS: Text = ("klanten (eigenaren van dieren)", "clients (animal owners)")
_CONSENTED: Text = ("klanten (eigenaren van dieren) die toestemming gaven", "clients (animal owners) who consented")


def _activities(periods: dict[str, str]) -> list[dict[str, Any]]:
    """The activities, each text in Dutch and English; a data category is its code (a vocabulary label)."""
    y = periods
    inactive: Text = (f"{y['inactivity_years']} jaar na de laatste activiteit van de klant",
                      f"{y['inactivity_years']} years after the client's last activity")

    def consented(purpose: str, name: Text, what: Text, categories: list[Any], *, at_request: Text = ("", ""),
                  subjects: Optional[list[Text]] = None, retention: Optional[Text] = None) -> dict[str, Any]:
        """An activity done only with the client's consent for ``purpose`` (its id): the consenting
        clients, kept as long as the client is active, unless said otherwise."""
        return {"id": purpose, "name": name, "purpose": what, "legal_basis": _on_consent(purpose, at_request),
                "data_subjects": subjects or [_CONSENTED], "categories": categories, "retention": retention or inactive}

    return [
        {"id": "care",
         "name": ("Zorg en administratie (klant- en patiëntenkaarten, medisch dossier)",
                  "Care and administration (client and patient cards, medical record)"),
         "purpose": ("dieren behandelen en de medische geschiedenis van de patiënt bijhouden",
                     "treating animals and keeping the patient's medical history"),
         "legal_basis": ("toestemming (zorg) en overeenkomst (behandelovereenkomst); wettelijke plicht voor "
                         "de registratie van diergeneesmiddelen (EU-verordening 2019/6 art. 103)",
                         "consent (care) and contract (treatment agreement); legal obligation "
                         "for the medicine record (EU Regulation 2019/6 art. 103)"),
         "data_subjects": [_CLIENTS, ("medewerkers van de praktijk (behandelend dierenarts in het dossier)",
                                      "practice staff (treating vet named in the record)")],
         "categories": ["naw", "contact", "animal", "chip", "record"],
         "retention": (f"{inactive[0]}; registratie van diergeneesmiddelen {y['medicine_years']} jaar "
                       "(na een wissing beperkt bewaard)",
                       f"{inactive[1]}; medicine records {y['medicine_years']} years "
                       "(kept restricted after an erasure)")},
        {"id": "invoicing",
         "name": ("Facturering, betalingen en incasso", "Invoicing, payments and collection"),
         "purpose": ("de geleverde diensten factureren en onbetaalde facturen innen",
                     "billing the services rendered and collecting unpaid invoices"),
         "legal_basis": ("overeenkomst; wettelijke plicht (fiscale bewaarplicht, AWR art. 52; factuurregels, "
                         "Wet OB art. 35a)",
                         "contract; legal obligation (fiscal retention, AWR art. 52; invoice rules, "
                         "Wet OB art. 35a)"),
         "data_subjects": [_CLIENTS],
         "categories": ["naw", "financial", ("geboortedatum (alleen bij betaling op rekening)",
                                             "birth date (only for invoices paid on account)")],
         "retention": (f"{y['fiscal_years']} jaar na het einde van het laatste jaar van de factuur, een betaling "
                       "erop of een creditnota die haar corrigeert; niet opgeschoond zolang een factuur onbetaald "
                       "of in incasso is",
                       f"{y['fiscal_years']} years from the end of the latest year of the invoice, a payment on it "
                       "or a credit note that corrects it; not purged while an invoice is unpaid or in collection")},
        consented("reminders", ("Herinneringskaarten voor vaccinaties", "Vaccination reminder cards"),
                  ("een herinneringskaart sturen als een vaccinatie nodig is",
                   "posting a recall card when a vaccination is due"),
                  ["naw", ("gegevens van het dier (alleen naam en soort)", "animal (name and species only)"), "recall"],
                  retention=(f"{inactive[0]}; de drukkerij bewaart niets", f"{inactive[1]}; the printer keeps nothing")),
        consented("chip-registration", ("Chipregistratie bij de Nederlandse Databank Gezelschapsdieren (NDG)",
                                        "Chip registration at the Dutch pet database (NDG)"),
                  ("een gechipt dier en de eigenaar registreren", "registering a chipped animal and its owner"),
                  ["naw", "animal", "chip"]),
        consented("referral", ("Doorverwijzing naar een specialist", "Referral to a specialist"),
                  ("één patiënt doorverwijzen, op verzoek van de klant", "referring one patient, at the client's request"),
                  ["naw", "animal", "record", ("telefoon, e-mail en chipnummer als het register dat toestaat",
                                               "contact and chip when the register allows")],
                  at_request=(", op verzoek van de klant", ", at the client's request"),
                  subjects=[("klanten (eigenaren van dieren) die om de doorverwijzing vroegen",
                             "clients (animal owners) who asked for the referral")]),
        consented("lab", ("Laboratoriumonderzoek", "Laboratory tests"),
                  ("monsters laten onderzoeken", "having samples analysed"), ["naw", "animal", "record"]),
        consented("pharmacy", ("Bestellingen bij de apotheek", "Pharmacy orders"),
                  ("voorgeschreven geneesmiddelen leveren", "supplying prescribed medicines"), ["naw", "animal", "record"]),
        {"id": "statistics",
         "name": ("Geanonimiseerde statistiek", "Anonymised statistics"),
         "purpose": ("praktijkstatistiek uit totalen (geen persoon herkenbaar)",
                     "practice statistics from aggregate counts (no person identifiable)"),
         "legal_basis": ("gerechtvaardigd belang; alleen geanonimiseerde totalen (cellen onder 5 onderdrukt)",
                         "legitimate interest; only anonymised aggregates leave (cells under 5 suppressed)"),
         "data_subjects": [_CLIENTS],
         "categories": [("gegevens van het dier (soort, ras, leeftijdsgroep)", "animal (species, breed, age band)"),
                        ("regio (eerste twee cijfers van de postcode)", "region (first two postcode digits)"),
                        ("aantal bezoeken per jaar", "visit counts per year")],
         "retention": ("niet opgeslagen; berekend wanneer nodig", "not stored; computed on demand")},
        {"id": "rights",
         "name": ("Verzoeken van betrokkenen, wisregister en auditlog",
                  "Data-subject requests, erasure ledger and audit log"),
         "purpose": ("verzoeken om inzage, wissing, rectificatie en overdraagbaarheid beantwoorden; "
                     "verantwoording",
                     "answering access, erasure, rectification and portability requests; accountability"),
         "legal_basis": ("wettelijke plicht (AVG art. 5 lid 2, 12-20)", "legal obligation (GDPR art. 5(2), 12-20)"),
         "data_subjects": [_CLIENTS, ("medewerkers van de praktijk (gebruikersnaam in de auditlog)",
                                      "practice staff (user name in the audit log)")],
         "categories": [("alleen klantnummers, datums en soorten verzoek",
                         "client numbers, dates and request types only")],
         "retention": ("zolang de database bestaat; geen namen of vrije tekst",
                       "as long as the database is kept; no names or free text")},
    ]


def _on_consent(purpose: str, more: Text) -> Text:
    """The legal basis "consent for ``purpose``": in Dutch the purpose's label, in English its code (the
    word ``consent give --purpose`` takes); ``more`` is added to each."""
    return (f"toestemming ({vocab.label('consent_purpose', purpose, 'nl')}){more[0]}", f"consent ({purpose}){more[1]}")


def _in(value: Any, lang: str) -> Any:
    """The ``lang`` side of a text pair (lists and dicts of them too); a category code as its label in
    Dutch and as its code in English (the form scripts read)."""
    i = lang_index(lang)
    if isinstance(value, tuple):
        return value[i]
    if isinstance(value, list):
        return [_in(v, lang) for v in value]
    return value


def build(uow: UnitOfWork, *, today: Optional[date] = None, lang: str = "en") -> dict[str, Any]:
    """The register as a plain dict (JSON-ready), its texts in ``lang``. Codes (data categories,
    recipient kinds) stay codes: :func:`render_text` shows them as labels."""
    s = settings.get_all(uow)
    recipients = list_recipients(uow)
    activities = [{k: _in(v, lang) for k, v in act.items()} for act in _activities(s)]
    by_purpose: dict[Optional[str], list[dict[str, Any]]] = {}
    for r in recipients:
        by_purpose.setdefault(required_purpose(r), []).append(r)
    for act in activities:
        act["recipients"] = [
            {"name": r["name"], "kind": r["kind"], "agreement_date": r["agreement_date"],
             "categories": r["categories"]}
            for r in by_purpose.get(act["id"], [])
        ]
    address = ", ".join(x for x in (s["street"], f"{s['postcode']} {s['city']}".strip()) if x)
    return {
        "title": _in(_W["title"], lang),
        "generated_on": (today or date.today()).isoformat(),
        "controller": {"name": s["name"] or None, "address": address or None,
                       "kvk": s["kvk"] or None, "vat_number": s["vat_number"] or None,
                       **{k: s[k] or None for k in ("phone", "email", "privacy_contact", "privacy_email")}},
        "privacy_statement_version": s["privacy_statement_version"],
        "retention_settings": {"inactivity_years": int(s["inactivity_years"]),
                               "fiscal_years": int(s["fiscal_years"]),
                               "medicine_years": int(s["medicine_years"])},
        "data_categories": dict(vocab.descriptions("data_category", lang)),
        "activities": activities,
        "other_recipients": [
            {"name": r["name"], "kind": r["kind"], "agreement_date": r["agreement_date"],
             "categories": r["categories"]}
            for r in by_purpose.get(None, [])
        ],
        "transfers_outside_eea": _in(_W["no_transfers"], lang),
        "security_measures": _in(list(SECURITY_MEASURES), lang),
    }


def render_text(reg: dict[str, Any], lang: str = "nl") -> str:
    """The register as plain text for printing, in ``lang`` (codes as their labels, dates written out).

    ``reg`` is :func:`build` in the same language."""
    from .dutch import format_date

    def w(key: str) -> str:
        return str(_in(_W[key], lang))

    def category(c: str) -> str:
        return vocab.label("data_category", c, lang)

    c = reg["controller"]
    lines = [reg["title"], "=" * len(reg["title"]), ""]
    lines.append(f"{w('generated')}: {format_date(reg['generated_on'], lang)}")
    lines.append(f"{w('controller')}: {c['name'] or w('not_set')}")
    for key in ("address", "kvk", "vat_number", "phone", "email", "privacy_contact", "privacy_email"):
        if c.get(key):
            lines.append(f"{w(key)}: {c[key]}")
    lines.append(f"{w('statement_version')}: {reg['privacy_statement_version']}")
    r = reg["retention_settings"]
    lines.append(w("retention_settings").format(r["inactivity_years"], r["fiscal_years"], r["medicine_years"]))
    lines += ["", f"{w('categories')}:"]
    lines += [f"  {category(k)}: {v}" for k, v in reg["data_categories"].items()]

    def recipient_line(x: dict[str, Any]) -> str:
        agreement = (w("agreement").format(format_date(x["agreement_date"], lang)) if x["agreement_date"]
                     else w("no_agreement"))
        cats = ", ".join(category(v) for v in x["categories"].split(",") if v) or "-"
        return f"    - {x['name']} ({vocab.label('recipient_kind', x['kind'], lang)}; {agreement}; " \
               f"{w('may_receive')}: {cats})"

    for act in reg["activities"]:
        lines += ["", f"{act['name']}", "-" * len(act["name"])]
        lines.append(f"  {w('purpose')}: {act['purpose']}")
        lines.append(f"  {w('legal_basis')}: {act['legal_basis']}")
        lines.append(f"  {w('data_subjects')}: {'; '.join(act['data_subjects'])}")
        lines.append(f"  {w('act_categories')}: {', '.join(category(x) for x in act['categories'])}")
        if act["recipients"]:
            lines.append(f"  {w('recipients')}:")
            lines += [recipient_line(x) for x in act["recipients"]]
        else:
            lines.append(f"  {w('recipients')}: {w('none')}")
        lines.append(f"  {w('retention')}: {act['retention']}")
    if reg["other_recipients"]:
        lines += ["", f"{w('other')}:"]
        lines += [recipient_line(x) for x in reg["other_recipients"]]
    lines += ["", f"{w('transfers')}: {reg['transfers_outside_eea']}", "", f"{w('security')}:"]
    lines += [f"  - {m}" for m in reg["security_measures"]]
    return "\n".join(lines) + "\n"
