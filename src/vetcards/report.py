"""The access report (GDPR art. 15): one export as printable HTML, Dutch or English.

Input is an export document (:func:`vetcards.export.export_client`);
output is one self-contained HTML page (no scripts, no external files) that
prints well on A4: the data, and every item GDPR art. 15(1)(a)-(h) and 15(2)
asks for under its own heading (:data:`ARTICLE_15`): purposes, categories,
recipients (the disclosure log, with the register's names), retention periods,
rights, complaint, source, automated decision-making, transfers outside the
EEA; and how to reach the practice and its data-protection contact. Codes are
shown as their labels (:mod:`vetcards.vocab`), dates as ``2 december 2026``
(:mod:`vetcards.dutch`), amounts as ``€ 1.234,56`` and weights as ``31,45``.
Voided and corrected records are shown, marked. Every value from the database
goes through :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any, Optional

from . import vocab
from .dutch import Labels, catalog, decimal, format_date, lang_index, shared
from .vocab import LANGS

#: The report's headings and sentences: (Dutch, English), from documents.toml [report].
T: Labels = {
    **shared("controller", "generated", "privacy_contact", "transfers", "vaccinations", "none", "yes", "no"),
    **catalog("report"),
}

#: The label of each column (a key of the export's records), from documents.toml [report.cols].
COLS: Labels = {
    **shared("name", "address", "phone", "email", "vat_number", "birth_date", "statement_version", "purpose",
             "species", "breed", "sex", "chip", "colour", "coat", "insured", "reason", "findings", "diagnosis",
             "treatment", "vet", "vaccine", "batch", "next_due", "quantity", "dispensed", "description",
             basis="legal_basis", **dict.fromkeys(("measured_on", "visit_date", "record_date", "disclosed_on"),
                                                  "date")),
    **catalog("report.cols"),
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
    "country": "country",
}

#: Columns holding a date (or a moment), shown as ``2 december 2026``.
DATE_COLUMNS = frozenset({
    "birth_date", "created_at", "given_on", "withdrawn_on", "deceased_on", "measured_on", "visit_date",
    "next_due", "record_date", "expiry", "invoice_date", "paid_on", "disclosed_on", "received_on", "due_on",
    "closed_on",
})

#: GDPR art. 15(1)(a)-(h) and 15(2): each item, the heading (key of :data:`T`) that answers it.
ARTICLE_15: dict[str, str] = {
    "15(1)(a)": "purposes", "15(1)(b)": "categories", "15(1)(c)": "recipients", "15(1)(d)": "retention",
    "15(1)(e)": "rights", "15(1)(f)": "complaint", "15(1)(g)": "source", "15(1)(h)": "automated",
    "15(2)": "transfers",
}


def _art(item: str, lang: str) -> str:
    """``15(1)(a)`` as the law is cited in ``lang``: ``art. 15 lid 1 onder a`` / ``art. 15(1)(a)``."""
    if lang == "en":
        return f"GDPR art. {item}"
    parts = item.replace(")", "").split("(")
    out = f"AVG art. {parts[0]} lid {parts[1]}"
    return out + (f" onder {parts[2]}" if len(parts) > 2 else "")


def _h2(key: str, lang: str) -> str:
    """A section heading; an art. 15 item names its article."""
    item = next((i for i, k in ARTICLE_15.items() if k == key), None)
    ref = f' <span class="muted">({_art(item, lang)})</span>' if item else ""
    return f"<h2>{_t(key, lang)}{ref}</h2>"

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
    return T[key][lang_index(lang)]


def _col(key: str, lang: str) -> str:
    return COLS[key][lang_index(lang)]


def _v(value: Any, lang: str) -> str:
    """A value as escaped text (None -> empty, bools translated)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _t("yes" if value else "no", lang)
    return escape(str(value)).replace("\n", "<br>")


def _money(cents: Optional[int], lang: str) -> str:
    from .money import format_eur

    return "" if cents is None else escape(format_eur(cents, lang))


def _date(value: Any, lang: str) -> str:
    return escape(format_date(value, lang))


def _cell(column: str, value: Any, lang: str) -> str:
    """Any stored value as document text: a code as its label, a date written out, else escaped."""
    return _code(column, value, lang) or (_date(value, lang) if column in DATE_COLUMNS else _v(value, lang))


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
    head = "".join(f"<th>{escape(_col(c, lang))}</th>" for c in cols)
    body = []
    for r in rows:
        tds = []
        for c in cols:
            html = cell(r, c) if cell is not None else None
            if html is None:
                html = _cell(c, r.get(c), lang)
            cls = ' class="num"' if c in num else ""
            tds.append(f"<td{cls}>{html}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _dl(rec: dict[str, Any], keys: Sequence[str], lang: str) -> str:
    items = "".join(f"<dt>{escape(_col(k, lang))}</dt><dd>{_cell(k, rec.get(k), lang)}</dd>" for k in keys)
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
    return "\n".join([f"{_h2(title, lang)}<ul>", *(f"<li>{_code_text(i, kind, lang)}</li>" for i in items),
                      "</ul>"])


def _status(r: dict[str, Any], lang: str, dated: str) -> str:
    """The mark of a voided or correcting record (empty for one that stands as it was)."""
    parts = []
    if r.get("voided_at"):
        reason = f": {_v(r.get('void_reason'), lang)}" if r.get("void_reason") else ""
        parts.append(f"<strong>{_t('voided', lang)}</strong> {_date(r['voided_at'], lang)}{reason}")
    original = r.get("_corrects")
    if original is not None:
        parts.append(f"{_t('correction_of', lang)} {_date(original.get(dated), lang)}")
    return "; ".join(parts)


def _with_corrections(records: Sequence[dict[str, Any]], originals: Sequence[dict[str, Any]],
                      index_of: Any) -> list[dict[str, Any]]:
    """Records with ``_corrects``: the original a correction replaces (found by its place)."""
    out = []
    for r in records:
        i = index_of(r)
        out.append({**r, "_corrects": originals[i] if i is not None and 0 <= i < len(originals) else None})
    return out


def _controller(ctl: dict[str, Any], lang: str) -> list[str]:
    """Who the controller is and how to reach the practice and its data-protection contact."""
    from .address import address_line

    def value(key: str) -> str:
        got = ctl.get(key)
        return _v(got, lang) if got else f'<span class="muted">{_t("not_set", lang)}</span>'

    rows = [(_col("name", lang), value("name")),
            (_col("address", lang), escape(address_line(ctl.get("street"), ctl.get("postcode"), ctl.get("city"),
                                                         lang=lang)) or value("street")),
            (_col("phone", lang), value("phone")), (_col("email", lang), value("email")),
            (_col("kvk", lang), value("kvk")), (_col("vat_number", lang), value("vat_number"))]
    out = [f"<h2>{_t('controller', lang)}</h2>", "<dl>",
           *(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows), "</dl>",
           f"<h3>{_t('privacy_contact', lang)}</h3>"]
    if ctl.get("privacy_contact") or ctl.get("privacy_email"):
        out.append(f"<dl><dt>{escape(_col('name', lang))}</dt><dd>{value('privacy_contact')}</dd>"
                   f"<dt>{escape(_col('email', lang))}</dt><dd>{value('privacy_email')}</dd></dl>")
    else:
        out.append(f"<p>{_t('privacy_contact_none', lang)}</p>")
    return out


def _invoice(inv: dict[str, Any], lang: str) -> list[str]:
    from .address import address_line

    kind = vocab.label("invoice_kind", inv["kind"], lang)
    status = vocab.label("invoice_state", inv["status"], lang)
    head = [f"{escape(kind.capitalize())} {_v(inv['number'], lang)}", _date(inv["invoice_date"], lang)]
    if inv.get("supply_date"):
        head.append(f"{_t('supply_date', lang)} {_date(inv['supply_date'], lang)}")
    if inv.get("credits_invoice_number"):
        head.append(f"{_t('corrects', lang)} {escape(vocab.label('invoice_kind', 'invoice', lang))} "
                    f"{_v(inv['credits_invoice_number'], lang)}")
    head.append(escape(status))
    if inv["restricted"]:
        head.append(_t("restricted", lang))
    cust = inv["customer"]
    where = address_line(cust["street"], cust["postcode"], cust["city"], cust.get("country"), lang)
    out = [f"<h3>{' · '.join(head)}</h3>",
           f'<p class="muted">{_v(inv["supplier"]["name"], lang)} → {_v(cust["name"], lang)}, {escape(where)}</p>']

    def line_cell(r: dict[str, Any], k: str) -> Optional[str]:
        if k == "unit_price":
            return _money(r["unit_price_cents"], lang)
        if k == "net":
            return _money(r["net_cents"], lang)
        if k == "quantity":
            return escape(decimal(r["quantity"], lang))
        if k == "vat_rate":
            category = r.get("vat_category") or ("charged" if r["vat_rate"] else "zero")
            return escape(f"{r['vat_rate']}%" if category == "charged"
                          else vocab.label("vat_category", category, lang))
        return None

    out.append(_table(inv["lines"], ("description", "quantity", "unit_price", "vat_rate", "net"), lang,
                      cell=line_cell, num=("quantity", "unit_price", "net")))
    totals = [{"vat_rate": f"{v['rate']}%", "net": v["net_cents"], "vat": v["vat_cents"]} for v in inv["vat_totals"]]
    totals.append({"vat_rate": "", "net": inv["net_cents"], "vat": inv["vat_cents"], "gross": inv["gross_cents"],
                   "paid": inv["paid_cents"]})
    out.append(_table(totals, ("vat_rate", "net", "vat", "gross", "paid"), lang,
                      cell=lambda r, k: _money(r.get(k), lang) if k in ("net", "vat", "gross", "paid") else None,
                      num=("vat_rate", "net", "vat", "gross", "paid")))
    if inv["payments"]:
        marked = ("marked",) if any(y.get("voided_at") for y in inv["payments"]) else ()
        out.append(_table(inv["payments"], ("paid_on", "amount", "method", *marked), lang,
                          cell=lambda r, k: (_money(r["amount_cents"], lang) if k == "amount"
                                             else _code(k, r["method"], lang, "payment_method") if k == "method"
                                             else _status(r, lang, "paid_on") if k == "marked" else None),
                          num=("amount",)))
    return out


def render(doc: dict[str, Any], lang: str = "nl") -> str:
    """The access report as one HTML page."""
    if lang not in LANGS:
        from .errors import InvalidInput

        raise InvalidInput("--lang", "must be nl or en")
    from .address import postcode_display

    nl = lang == "nl"
    c = doc["client"]
    out: list[str] = []
    add = out.append
    add(f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">')
    add(f"<title>{_t('title', lang)} — {escape(c['number'])}</title><style>{CSS}</style></head><body>")
    add(f"<h1>{_t('title', lang)}</h1>")
    add(f"<p>{_t('intro', lang)}</p>")
    add(f'<p class="muted">{_t("generated", lang)}: {_date(doc["generated_at"], lang)} · '
        f'{escape(_col("number", lang))}: {_v(c["number"], lang)}</p>')

    out += _controller(doc["controller"], lang)

    add(f"<h2>{_t('your_data', lang)}</h2>")
    card = dict(c)
    card["postcode"] = postcode_display(c["postcode"], c.get("country"))
    keys = ["number", "name", "street", "postcode", "city", "country", "phone", "landline", "email", "birth_date",
            "created_at"]
    card.setdefault("country", "NL")
    card.setdefault("landline", None)
    if c["legal_hold_reason"]:
        keys.append("legal_hold_reason")
    add(_dl(card, keys, lang))
    if c["restricted"]:
        add(f"<p><strong>{_t('restricted', lang)}</strong></p>")

    add(f"<h2>{_t('consents', lang)}</h2>")
    consent_cols = ["purpose", "given_on", "statement_version", "method", "withdrawn_on"]
    if any(k.get("controller") for k in doc["consents"]):
        consent_cols.append("controller_name")
    add(_table(doc["consents"], consent_cols, lang,
               cell=lambda r, k: (_code(k, r["method"], lang, "consent_method") if k == "method"
                                  else _v(r.get("controller") or _t("this_practice", lang), lang)
                                  if k == "controller_name" else None)))

    add(f"<h2>{_t('pets', lang)}</h2>")
    if not doc["pets"]:
        add(f'<p class="muted">{_t("none", lang)}</p>')
    by_number = {p["number"]: p for p in doc["pets"]}
    for p in doc["pets"]:
        add(f"<h3>{_v(p['name'], lang)} ({_v(p['number'], lang)})</h3>")
        add(_dl(p, ("species", "breed", "sex", "birth_date", "chip", "colour", "coat", "insured", "deceased_on"),
                lang))
        add(f"<h3>{_t('weights', lang)}</h3>")
        add(_table(p["weights"], ("measured_on", "grams"), lang,
                   cell=lambda r, k: _kg(r["grams"], lang) if k == "grams" else None, num=("grams",)))
        for key, cols, dated in (("visits", ("visit_date", "reason", "findings", "diagnosis", "treatment", "vet"),
                                  "visit_date"),
                                 ("vaccinations", ("given_on", "vaccine", "batch", "next_due"), "given_on")):
            rows = []
            for r in p[key]:
                ref = r.get("corrects")
                target = by_number.get(ref["pet_number"]) if ref else None
                orig = target[key][ref["index"]] if target and ref and ref["index"] < len(target[key]) else None
                rows.append({**r, "_corrects": orig})
            add(f"<h3>{_t(key, lang)}</h3>")
            marked = any(r.get("voided_at") or r["_corrects"] for r in rows)
            add(_table(rows, (*cols, "marked") if marked else cols, lang,
                       cell=lambda r, k, d=dated: _status(r, lang, d) if k == "marked" else None))

    add(f"<h2>{_t('medicines', lang)}</h2>")
    meds = _with_corrections(doc["medicine_records"], doc["medicine_records"], lambda r: r.get("corrects_index"))
    med_cols = ["record_date", "pet_number", "product", "batch", "quantity", "expiry", "vet", "dispensed",
                "restricted"]
    if any(m.get("voided_at") or m["_corrects"] for m in meds):
        med_cols.append("marked")
    add(_table(meds, med_cols, lang,
               cell=lambda r, k: _status(r, lang, "record_date") if k == "marked" else None))

    add(f"<h2>{_t('invoices', lang)}</h2>")
    if not doc["invoices"]:
        add(f'<p class="muted">{_t("none", lang)}</p>')
    for inv in doc["invoices"]:
        out += _invoice(inv, lang)

    add(_code_section("purposes", doc["purposes"], "processing_purpose", lang))

    add(_h2("categories", lang))
    add(f"<p>{_t('categories_intro', lang)}</p><ul>")
    for code in vocab.codes("data_category"):
        add(f"<li>{escape(vocab.describe('data_category', code, lang))}</li>")
    add("</ul>")

    add(_h2("recipients", lang))
    if doc["disclosures"]:
        add(_table(doc["disclosures"], ("disclosed_on", "recipient", "categories", "basis", "at_client_request"),
                   lang,
                   cell=lambda r, k: (f"{_v(r['recipient']['name'], lang)} "
                                      f"({_code(k, r['recipient']['kind'], lang, 'recipient_kind')})"
                                      if k == "recipient" else None)))
    else:
        add(f"<p>{_t('no_recipients', lang)}</p>")
    add(f"<p>{_t('recipient_kinds', lang)}: "
        f"{escape(vocab.labels('recipient_kind', vocab.codes('recipient_kind'), lang))}.</p>")

    ret = doc["retention"]
    add(_h2("retention", lang) + "<ul>")
    for item in ret["rules"]:
        add(f"<li>{escape(_retention_nl(item['code'], ret)) if nl else escape(item['description'])}</li>")
    add("</ul>")
    add(f"<p>{_t('last_activity', lang)}: {_date(ret['last_activity'], lang) or _t('none', lang)}"
        + (f" · {_t('delete_after', lang)}: {_date(ret['delete_after'], lang)}" if ret["delete_after"] else "")
        + "</p>")

    add(_code_section("rights", doc["rights"], "right", lang))
    sa = doc["supervisory_authority"]
    add(_h2("complaint", lang))
    add(f"<p>{_t('complaint_text', lang)} {_v(sa['name'], lang)}, {_v(sa['website'], lang)}.</p>")

    add(_code_section("source", doc["source"], "data_source", lang))
    add(_h2("automated", lang))
    add(f"<p>{_t('automated_text', lang)}</p>")
    add(_h2("transfers", lang))
    add(f"<p>{_t('transfers_none', lang)}</p>")

    if doc["requests"]:
        add(f"<h2>{_t('requests', lang)}</h2>")
        add(_table(doc["requests"], ("type", "received_on", "due_on", "closed_on"), lang))
    add("</body></html>\n")
    return "\n".join(out)


def _retention_nl(code: str, ret: dict[str, Any]) -> str:
    return {
        "inactivity": f"Klant- en patiëntenkaarten, medische dossiers, toestemmingen en het verstrekkingenlogboek "
                      f"worden verwijderd als er meer dan {ret['inactivity_years']} jaar geen activiteit is geweest.",
        "fiscal": f"Facturen bewaren wij {ret['fiscal_years']} jaar na het einde van het laatste van deze jaren: "
                  "het jaar waarin ze zijn uitgereikt, het jaar van een betaling erop en het jaar van een creditnota "
                  "die ze corrigeert (fiscale bewaarplicht, AWR art. 52), met de naam en het adres waaraan ze "
                  "gericht waren; een factuur en haar creditnota bewaren wij samen.",
        "medicine": f"Gegevens over toegediende of meegegeven diergeneesmiddelen bewaren wij "
                    f"{ret['medicine_years']} jaar (EU-verordening 2019/6 art. 103).",
        "claim": "Zolang een factuur niet betaald is of in incasso is, bewaren wij wat nodig is om haar te innen.",
        "legal-hold": "Een wettelijke bewaarplicht (bijvoorbeeld een rechtszaak) houdt verwijdering tegen "
                      "tot zij is opgeheven.",
    }.get(code, code)
