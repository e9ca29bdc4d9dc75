"""The access report (GDPR art. 15): one export as printable HTML, Dutch or English.

Input is an export document (:func:`vetcards.export.export_client`);
output is one self-contained HTML page (no scripts, no external files) that
prints well on A4: the data, the purposes, the recipients from the disclosure
log, the retention periods, the source and the rights. Every value from the
database goes through :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any, Optional

from . import vocab
from .vocab import LANGS

T: dict[str, dict[str, str]] = {
    "title": {"nl": "Inzage in uw persoonsgegevens", "en": "Access to your personal data"},
    "intro": {
        "nl": "Dit overzicht bevat alle gegevens die wij over u en uw dieren bewaren, waarvoor wij ze gebruiken, "
              "met wie wij ze delen, hoe lang wij ze bewaren en welke rechten u heeft (AVG artikel 15).",
        "en": "This report lists all data we hold on you and your animals, what we use them for, with whom we "
              "share them, how long we keep them and what your rights are (GDPR article 15).",
    },
    "generated": {"nl": "Opgesteld op", "en": "Generated on"},
    "controller": {"nl": "Verwerkingsverantwoordelijke", "en": "Controller"},
    "your_data": {"nl": "Uw gegevens", "en": "Your details"},
    "consents": {"nl": "Toestemmingen", "en": "Consents"},
    "pets": {"nl": "Uw dieren", "en": "Your animals"},
    "weights": {"nl": "Gewichten", "en": "Weights"},
    "visits": {"nl": "Bezoeken", "en": "Visits"},
    "vaccinations": {"nl": "Vaccinaties", "en": "Vaccinations"},
    "medicines": {"nl": "Diergeneesmiddelen", "en": "Veterinary medicines"},
    "invoices": {"nl": "Facturen", "en": "Invoices"},
    "lines": {"nl": "Regels", "en": "Lines"},
    "payments": {"nl": "Betalingen", "en": "Payments"},
    "recipients": {"nl": "Ontvangers van uw gegevens", "en": "Recipients of your data"},
    "purposes": {"nl": "Doeleinden", "en": "Purposes"},
    "retention": {"nl": "Bewaartermijnen", "en": "Retention periods"},
    "source": {"nl": "Herkomst van de gegevens", "en": "Source of the data"},
    "requests": {"nl": "Uw verzoeken", "en": "Your requests"},
    "rights": {"nl": "Uw rechten", "en": "Your rights"},
    "none": {"nl": "geen", "en": "none"},
    "restricted": {"nl": "beperkt (alleen bewaard vanwege een wettelijke plicht)",
                   "en": "restricted (kept only for a legal duty)"},
    "no_recipients": {"nl": "Wij hebben uw gegevens aan niemand verstrekt.",
                      "en": "We have not disclosed your data to anyone."},
    "last_activity": {"nl": "Laatste activiteit", "en": "Last activity"},
    "delete_after": {"nl": "Zonder nieuwe activiteit verwijderd na",
                     "en": "Without new activity deleted after"},
    "complaint": {"nl": "Klacht indienen bij", "en": "Lodge a complaint with"},
    "yes": {"nl": "ja", "en": "yes"},
    "no": {"nl": "nee", "en": "no"},
}

COLS: dict[str, dict[str, str]] = {
    "number": {"nl": "Nummer", "en": "Number"},
    "name": {"nl": "Naam", "en": "Name"},
    "street": {"nl": "Straat", "en": "Street"},
    "postcode": {"nl": "Postcode", "en": "Postcode"},
    "city": {"nl": "Plaats", "en": "City"},
    "phone": {"nl": "Telefoon", "en": "Phone"},
    "email": {"nl": "E-mail", "en": "E-mail"},
    "birth_date": {"nl": "Geboortedatum", "en": "Birth date"},
    "created_at": {"nl": "Ingeschreven", "en": "Registered"},
    "legal_hold_reason": {"nl": "Wettelijke bewaarplicht", "en": "Legal hold"},
    "restricted": {"nl": "Beperkt", "en": "Restricted"},
    "purpose": {"nl": "Doel", "en": "Purpose"},
    "given_on": {"nl": "Gegeven op", "en": "Given on"},
    "statement_version": {"nl": "Versie privacyverklaring", "en": "Privacy statement version"},
    "method": {"nl": "Hoe", "en": "How"},
    "withdrawn_on": {"nl": "Ingetrokken op", "en": "Withdrawn on"},
    "species": {"nl": "Diersoort", "en": "Species"},
    "breed": {"nl": "Ras", "en": "Breed"},
    "sex": {"nl": "Geslacht", "en": "Sex"},
    "chip": {"nl": "Chipnummer", "en": "Chip number"},
    "colour": {"nl": "Kleur", "en": "Colour"},
    "coat": {"nl": "Vacht", "en": "Coat"},
    "insured": {"nl": "Verzekerd", "en": "Insured"},
    "deceased_on": {"nl": "Overleden op", "en": "Deceased on"},
    "measured_on": {"nl": "Datum", "en": "Date"},
    "grams": {"nl": "Gewicht (kg)", "en": "Weight (kg)"},
    "visit_date": {"nl": "Datum", "en": "Date"},
    "reason": {"nl": "Reden", "en": "Reason"},
    "findings": {"nl": "Bevindingen", "en": "Findings"},
    "diagnosis": {"nl": "Diagnose", "en": "Diagnosis"},
    "treatment": {"nl": "Behandeling", "en": "Treatment"},
    "vet": {"nl": "Dierenarts", "en": "Vet"},
    "vaccine": {"nl": "Vaccin", "en": "Vaccine"},
    "batch": {"nl": "Batch", "en": "Batch"},
    "next_due": {"nl": "Volgende", "en": "Next due"},
    "pet_number": {"nl": "Dier", "en": "Animal"},
    "record_date": {"nl": "Datum", "en": "Date"},
    "product": {"nl": "Middel", "en": "Product"},
    "quantity": {"nl": "Aantal", "en": "Quantity"},
    "expiry": {"nl": "Houdbaar tot", "en": "Expiry"},
    "dispensed": {"nl": "Meegegeven", "en": "Dispensed"},
    "owner_name": {"nl": "Eigenaar", "en": "Owner"},
    "owner_address": {"nl": "Adres eigenaar", "en": "Owner's address"},
    "invoice_date": {"nl": "Datum", "en": "Date"},
    "kind": {"nl": "Soort", "en": "Kind"},
    "status": {"nl": "Status", "en": "Status"},
    "payment_method": {"nl": "Betaalwijze", "en": "Payment"},
    "net": {"nl": "Excl. btw", "en": "Net"},
    "vat": {"nl": "Btw", "en": "VAT"},
    "gross": {"nl": "Totaal", "en": "Total"},
    "paid": {"nl": "Betaald", "en": "Paid"},
    "description": {"nl": "Omschrijving", "en": "Description"},
    "unit_price": {"nl": "Prijs per stuk", "en": "Unit price"},
    "vat_rate": {"nl": "Btw %", "en": "VAT %"},
    "paid_on": {"nl": "Betaald op", "en": "Paid on"},
    "amount": {"nl": "Bedrag", "en": "Amount"},
    "recipient": {"nl": "Ontvanger", "en": "Recipient"},
    "disclosed_on": {"nl": "Datum", "en": "Date"},
    "categories": {"nl": "Gegevens", "en": "Data"},
    "basis": {"nl": "Grondslag", "en": "Legal basis"},
    "at_client_request": {"nl": "Op uw verzoek", "en": "At your request"},
    "type": {"nl": "Soort", "en": "Type"},
    "received_on": {"nl": "Ontvangen", "en": "Received"},
    "due_on": {"nl": "Uiterlijk", "en": "Due"},
    "closed_on": {"nl": "Afgehandeld", "en": "Closed"},
    "kvk": {"nl": "KvK", "en": "KvK (Chamber of Commerce)"},
    "vat_number": {"nl": "Btw-nummer", "en": "VAT number"},
    "address": {"nl": "Adres", "en": "Address"},
}

#: Which vocabulary a coded column's values come from (vetcards.vocab): every
#: code is shown as its Dutch or English label, never as the code itself.
CODE_COLUMNS: dict[str, str] = {
    "purpose": "consent_purpose",
    "species": "species",
    "sex": "sex",
    "basis": "disclosure_basis",
    "categories": "data_category",
    "type": "request_type",
}

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #111; margin: 2em; }
h1 { font-size: 17pt; margin-bottom: .2em; }
h2 { font-size: 13pt; border-bottom: 1px solid #999; margin-top: 1.4em; }
h3 { font-size: 11pt; margin: 1em 0 .3em; }
table { border-collapse: collapse; width: 100%; margin: .3em 0 .8em; }
th, td { border: 1px solid #bbb; padding: 2px 5px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 1em; }
dt { font-weight: bold; }
dd { margin: 0; }
.muted { color: #555; }
@page { size: A4; margin: 15mm; }
@media print {
  body { margin: 0; font-size: 9.5pt; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr, dl { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


def _t(key: str, lang: str) -> str:
    return T[key][lang]


def _v(value: Any, lang: str) -> str:
    """A value as escaped text (None -> empty, bools translated)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _t("yes" if value else "no", lang)
    return escape(str(value)).replace("\n", "<br>")


def _money(cents: Optional[int], lang: str) -> str:
    from .money import format_cents

    if cents is None:
        return ""
    return ("€ " if lang == "nl" else "EUR ") + format_cents(cents, dutch=(lang == "nl"))


def _code(column: str, value: Any, lang: str, kind: Optional[str] = None) -> Optional[str]:
    """A coded value as escaped label(s); None when ``column`` holds no code."""
    kind = kind or CODE_COLUMNS.get(column)
    if kind is None or value is None:
        return None
    values = value.split(",") if isinstance(value, str) and kind == "data_category" else [value]
    return escape(vocab.labels(kind, [v.strip() if isinstance(v, str) else v for v in values], lang))


def _kg(grams: Optional[int], lang: str) -> str:
    return vocab.format_kg(grams, lang) or ""


def _table(rows: Sequence[dict[str, Any]], cols: Sequence[str], lang: str,
           cell: Optional[Any] = None, num: Iterable[str] = ()) -> str:
    if not rows:
        return f'<p class="muted">{_t("none", lang)}</p>'
    num = set(num)
    head = "".join(f"<th>{escape(COLS[c][lang])}</th>" for c in cols)
    body = []
    for r in rows:
        tds = []
        for c in cols:
            html = cell(r, c) if cell is not None else None
            if html is None:
                html = _code(c, r.get(c), lang)
            if html is None:
                html = _v(r.get(c), lang)
            cls = ' class="num"' if c in num else ""
            tds.append(f"<td{cls}>{html}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _dl(rec: dict[str, Any], keys: Sequence[str], lang: str) -> str:
    items = "".join(f"<dt>{escape(COLS[k][lang])}</dt><dd>{_code(k, rec.get(k), lang) or _v(rec.get(k), lang)}</dd>"
                    for k in keys)
    return f"<dl>{items}</dl>"


def _code_text(item: dict[str, str], kind: str, lang: str) -> str:
    if lang == "nl" and item["code"] in vocab.codes(kind):
        text = vocab.describe(kind, item["code"], "nl")
        marker = "(data portability)"
        if item["code"] == "other-practice" and marker in item["description"]:
            # keep the practice names and the import date of the English line
            rest = item["description"].split(marker, 1)[1].replace("imported on", "geïmporteerd op")
            return escape(text.rstrip(".") + rest)
        return escape(text)
    return escape(item["description"])


def _code_section(title: str, items: Sequence[dict[str, str]], kind: str, lang: str) -> str:
    """A heading and a list of coded items (purposes, source, rights) in the report's language."""
    return "\n".join([f"<h2>{_t(title, lang)}</h2><ul>", *(f"<li>{_code_text(i, kind, lang)}</li>" for i in items),
                      "</ul>"])


def render(doc: dict[str, Any], lang: str = "nl") -> str:
    """The access report as one HTML page."""
    if lang not in LANGS:
        from .errors import InvalidInput

        raise InvalidInput("--lang", "must be nl or en")
    nl = lang == "nl"
    c = doc["client"]
    out: list[str] = []
    add = out.append
    add(f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">')
    add(f"<title>{_t('title', lang)} — {escape(c['number'])}</title><style>{CSS}</style></head><body>")
    add(f"<h1>{_t('title', lang)}</h1>")
    add(f"<p>{_t('intro', lang)}</p>")
    add(f'<p class="muted">{_t("generated", lang)}: {_v(doc["generated_at"][:10], lang)} · '
        f'{escape(COLS["number"][lang])}: {_v(c["number"], lang)}</p>')

    ctl = doc["controller"]
    add(f"<h2>{_t('controller', lang)}</h2>")
    add(_dl(ctl, ("name", "street", "postcode", "city", "kvk", "vat_number"), lang))

    add(f"<h2>{_t('your_data', lang)}</h2>")
    card = dict(c)
    card["created_at"] = (c["created_at"] or "")[:10]
    keys = ["number", "name", "street", "postcode", "city", "phone", "email", "birth_date", "created_at"]
    if c["legal_hold_reason"]:
        keys.append("legal_hold_reason")
    add(_dl(card, keys, lang))
    if c["restricted"]:
        add(f"<p><strong>{_t('restricted', lang)}</strong></p>")

    add(f"<h2>{_t('consents', lang)}</h2>")
    add(_table(doc["consents"], ("purpose", "given_on", "statement_version", "method", "withdrawn_on"), lang,
               cell=lambda r, k: _code(k, r["method"], lang, "consent_method") if k == "method" else None))

    add(f"<h2>{_t('pets', lang)}</h2>")
    if not doc["pets"]:
        add(f'<p class="muted">{_t("none", lang)}</p>')
    for p in doc["pets"]:
        add(f"<h3>{_v(p['name'], lang)} ({_v(p['number'], lang)})</h3>")
        add(_dl(p, ("species", "breed", "sex", "birth_date", "chip", "colour", "coat", "insured", "deceased_on"),
                lang))
        add(f"<h3>{_t('weights', lang)}</h3>")
        add(_table(p["weights"], ("measured_on", "grams"), lang,
                   cell=lambda r, k: _kg(r["grams"], lang) if k == "grams" else None, num=("grams",)))
        add(f"<h3>{_t('visits', lang)}</h3>")
        add(_table(p["visits"], ("visit_date", "reason", "findings", "diagnosis", "treatment", "vet"), lang))
        add(f"<h3>{_t('vaccinations', lang)}</h3>")
        add(_table(p["vaccinations"], ("given_on", "vaccine", "batch", "next_due"), lang))

    add(f"<h2>{_t('medicines', lang)}</h2>")
    add(_table(doc["medicine_records"], ("record_date", "pet_number", "product", "batch", "quantity", "expiry",
                                         "vet", "dispensed", "restricted"), lang))

    add(f"<h2>{_t('invoices', lang)}</h2>")
    if not doc["invoices"]:
        add(f'<p class="muted">{_t("none", lang)}</p>')
    for inv in doc["invoices"]:
        kind = vocab.label("invoice_kind", inv["kind"], lang)
        status = vocab.label("invoice_state", inv["status"], lang)
        add(f"<h3>{escape(kind.capitalize())} {_v(inv['number'], lang)} · {_v(inv['invoice_date'], lang)} · "
            f"{escape(status)}{' · ' + _t('restricted', lang) if inv['restricted'] else ''}</h3>")
        cust = inv["customer"]
        add(f'<p class="muted">{_v(inv["supplier"]["name"], lang)} → {_v(cust["name"], lang)}, '
            f'{_v(cust["street"], lang)}, {_v(cust["postcode"], lang)} {_v(cust["city"], lang)}</p>')
        add(_table(inv["lines"], ("description", "quantity", "unit_price", "vat_rate", "net"), lang,
                   cell=lambda r, k: (_money(r["unit_price_cents"], lang) if k == "unit_price"
                                      else _money(r["net_cents"], lang) if k == "net" else None),
                   num=("quantity", "unit_price", "vat_rate", "net")))
        totals = [{"vat_rate": v["rate"], "net": v["net_cents"], "vat": v["vat_cents"]} for v in inv["vat_totals"]]
        totals.append({"vat_rate": "", "net": inv["net_cents"], "vat": inv["vat_cents"], "gross": inv["gross_cents"],
                       "paid": inv["paid_cents"]})
        add(_table(totals, ("vat_rate", "net", "vat", "gross", "paid"), lang,
                   cell=lambda r, k: _money(r.get(k), lang) if k in ("net", "vat", "gross", "paid") else None,
                   num=("vat_rate", "net", "vat", "gross", "paid")))
        if inv["payments"]:
            add(_table(inv["payments"], ("paid_on", "amount", "method"), lang,
                       cell=lambda r, k: (_money(r["amount_cents"], lang) if k == "amount"
                                          else _code(k, r["method"], lang, "payment_method") if k == "method"
                                          else None),
                       num=("amount",)))

    add(f"<h2>{_t('recipients', lang)}</h2>")
    if doc["disclosures"]:
        add(_table(doc["disclosures"], ("disclosed_on", "recipient", "categories", "basis", "at_client_request"),
                   lang,
                   cell=lambda r, k: (f"{_v(r['recipient']['name'], lang)} "
                                      f"({_code(k, r['recipient']['kind'], lang, 'recipient_kind')})"
                                      if k == "recipient" else None)))
    else:
        add(f"<p>{_t('no_recipients', lang)}</p>")

    add(_code_section("purposes", doc["purposes"], "processing_purpose", lang))

    ret = doc["retention"]
    add(f"<h2>{_t('retention', lang)}</h2><ul>")
    for item in ret["rules"]:
        add(f"<li>{escape(_retention_nl(item['code'], ret)) if nl else escape(item['description'])}</li>")
    add("</ul>")
    add(f"<p>{_t('last_activity', lang)}: {_v(ret['last_activity'], lang) or _t('none', lang)}"
        + (f" · {_t('delete_after', lang)}: {_v(ret['delete_after'], lang)}" if ret["delete_after"] else "")
        + "</p>")

    add(_code_section("source", doc["source"], "data_source", lang))

    if doc["requests"]:
        add(f"<h2>{_t('requests', lang)}</h2>")
        add(_table(doc["requests"], ("type", "received_on", "due_on", "closed_on"), lang))

    add(_code_section("rights", doc["rights"], "right", lang))
    sa = doc["supervisory_authority"]
    add(f"<p>{_t('complaint', lang)}: {_v(sa['name'], lang)}, {_v(sa['website'], lang)}</p>")
    add("</body></html>\n")
    return "\n".join(out)


def _retention_nl(code: str, ret: dict[str, Any]) -> str:
    return {
        "inactivity": f"Klant- en patiëntenkaarten, medische dossiers, toestemmingen en het verstrekkingenlogboek "
                      f"worden verwijderd als er meer dan {ret['inactivity_years']} jaar geen activiteit is geweest.",
        "fiscal": f"Facturen bewaren wij {ret['fiscal_years']} jaar na het einde van het jaar waarin ze zijn "
                  "uitgereikt (fiscale bewaarplicht, AWR art. 52), met de naam en het adres waaraan ze gericht waren.",
        "medicine": f"Gegevens over toegediende of meegegeven diergeneesmiddelen bewaren wij "
                    f"{ret['medicine_years']} jaar (EU-verordening 2019/6 art. 103).",
        "claim": "Zolang een factuur niet betaald is of in incasso is, bewaren wij wat nodig is om haar te innen.",
        "legal-hold": "Een wettelijke bewaarplicht (bijvoorbeeld een rechtszaak) houdt verwijdering tegen "
                      "tot zij is opgeheven.",
    }.get(code, code)
