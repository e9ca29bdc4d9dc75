"""Right of access and data portability: the export (SPEC §5), as JSON or a CSV zip.

:func:`export_client` returns everything the practice holds on one client and
their animals as one JSON-ready ``dict`` (export schema v2,
:mod:`vetcards.export_schema`). :func:`iter_exports` does the same for many
clients with one set-based query per section, merged in client-id order, so
``export --all`` costs little more than reading the rows. Every query is
filtered by the client (or, for ``--all``, ordered by it and merged), so an
export never holds another client's data. Restricted data (kept only for a
hold) are included and marked ``restricted``: they are still data held on the
client. Exporting is not activity: nothing here writes, apart from the
optional closing of the subject request and the audit entry.

The tables read are those :mod:`vetcards.datamap` gives an export section;
their queries are Core ``select()`` on lightweight table clauses (no ORM: a
one-client export starts fast), rows read by name. :func:`to_json` and
:func:`to_csv_zip` give the formats; the access report is :mod:`vetcards.report`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import ColumnElement, Select, column, select, table
from sqlalchemy.sql.expression import TableClause

from . import datamap, vocab
from .errors import NotFound
from .export_schema import (
    FORMAT_NAME,
    IMPORTED_KIND_PREFIX,
    PURPOSES,
    RIGHTS,
    SCHEMA_VERSION,
    SUPERVISORY_AUTHORITY,
    retention_rules,
    source_items,
)
from .money import round_half_up_div

if TYPE_CHECKING:  # pragma: no cover

    from .db import UnitOfWork

#: Request types an export answers (``export --request``).
EXPORT_REQUEST_TYPES = vocab.EXPORT_REQUEST_TYPES

def about(uow: UnitOfWork) -> dict[str, Any]:
    """The parts of an export that describe the practice, not the client."""
    from . import settings

    s = settings.get_all(uow)
    periods = {k: int(s[k]) for k in ("inactivity_years", "fiscal_years", "medicine_years")}
    return {
        "controller": {"name": s["name"], "street": s["street"], "postcode": s["postcode"],
                       "city": s["city"], "kvk": s["kvk"], "vat_number": s["vat_number"],
                       # v2: how to reach the practice and its data-protection contact (null: not set)
                       **{k: s[k] or None for k in ("phone", "email", "privacy_contact", "privacy_email")}},
        "purposes": [{"code": c, "description": d} for c, d in PURPOSES],
        "periods": periods,
        "retention_rules": retention_rules(periods),
        "rights": [{"code": c, "description": d} for c, d in RIGHTS],
        "supervisory_authority": dict(SUPERVISORY_AUTHORITY),
    }


# --------------------------------------------------------------------------
# The sections: which columns of which table, under which JSON name
# --------------------------------------------------------------------------

# The fields each JSON record takes straight from its row, by name (the
# select labels its columns with these names).
# Schema v2 added fields at the end of a record (the keys of v1 stay as they were).
CLIENT_FIELDS = ("number", "name", "street", "postcode", "city", "phone", "email", "birth_date",
                 "created_at", "legal_hold_reason", "restricted", "country", "landline")
CONSENT_FIELDS = ("purpose", "given_on", "statement_version", "method", "withdrawn_on", "controller")
PET_FIELDS = ("number", "name", "species", "breed", "sex", "birth_date", "chip", "colour", "coat", "insured",
              "deceased_on", "created_at")
WEIGHT_FIELDS = ("measured_on", "grams")
#: A voided or corrected record stays in the history, marked (SPEC §9).
VOID_FIELDS = ("voided_at", "void_reason")
VISIT_FIELDS = ("visit_date", "reason", "findings", "diagnosis", "treatment", "vet", *VOID_FIELDS)
VACCINATION_FIELDS = ("given_on", "vaccine", "batch", "next_due", *VOID_FIELDS)
MEDICINE_FIELDS = ("pet_number", "record_date", "product", "batch", "quantity", "expiry", "vet", "dispensed",
                   "owner_name", "owner_address", "restricted", *VOID_FIELDS)
PARTY_FIELDS = ("name", "street", "postcode", "city", "birth_date", "country")
SUPPLIER_FIELDS = ("name", "address", "vat_number", "kvk", "iban")
LINE_FIELDS = ("position", "description", "quantity", "unit_price_cents", "vat_rate", "net_cents", "vat_category")
PAYMENT_FIELDS = ("paid_on", "amount_cents", "method", *VOID_FIELDS)
REQUEST_FIELDS = ("type", "received_on", "due_on", "extended_reason", "closed_on")


def _t(name: str, *cols: str) -> TableClause:
    return table(name, *(column(c) for c in ("id", *cols)))


_client = _t("client", *CLIENT_FIELDS)
_consent = _t("consent", "client_id", *CONSENT_FIELDS)
_pet = _t("pet", "client_id", *PET_FIELDS)
_weight = _t("weight", "pet_id", *WEIGHT_FIELDS)
_visit = _t("visit", "pet_id", "corrects_id", *VISIT_FIELDS)
_vaccination = _t("vaccination", "pet_id", "corrects_id", *VACCINATION_FIELDS)
_medicine = _t("medicine_record", "client_id", "pet_id", "corrects_id", *MEDICINE_FIELDS[1:])
_invoice = _t("invoice", "client_id", "number", "kind", "credits_invoice_id", "pet_id", "invoice_date",
              "supply_date", "payment_method", "status", "reason", "restricted",
              *(f"customer_{f}" for f in PARTY_FIELDS), *(f"supplier_{f}" for f in SUPPLIER_FIELDS),
              "net_cents", "vat_cents", "gross_cents")
_line = _t("invoice_line", "invoice_id", *LINE_FIELDS)
_payment = _t("payment", "invoice_id", *PAYMENT_FIELDS)
_disclosure = _t("disclosure", "client_id", "recipient_id", "pet_id", "consent_id", "disclosed_on", "categories",
                 "basis", "at_client_request")
_recipient = _t("recipient", "name", "kind")
_request = _t("subject_request", "client_number", *REQUEST_FIELDS)
_audit = _t("audit_log", "action", "entity_ids", "ts")


def _of(col: Any, value: Optional[Any]) -> ColumnElement[bool]:
    """The client filter of every query: one client (``value``), or all (None: ordered and merged)."""
    return col.is_not(None) if value is None else col == value  # type: ignore[no-any-return]


def _queries(cid: Optional[int]) -> dict[str, Select[Any]]:
    """One query per table of the data map that has an export section, each ordered by
    client id first (the merge key), then by date and id (stable, so an import keeps the order)."""
    c, k, p = _client.c, _consent.c, _pet.c
    w, v, x, m = _weight.c, _visit.c, _vaccination.c, _medicine.c
    i, ln, y, d, r = _invoice.c, _line.c, _payment.c, _disclosure.c, _recipient.c
    credited = _invoice.alias("ci")
    pet_of = _pet.alias("pp")
    per_pet = _pet.join  # weights, visits and vaccinations reach the client through the pet

    return {
        "client": select(c.id.label("client_id"), *(c[n] for n in CLIENT_FIELDS))
        .where(_of(c.id, cid)).order_by(c.id),
        "consent": select(k.client_id, k.id, *(k[n] for n in CONSENT_FIELDS))
        .where(_of(k.client_id, cid)).order_by(k.client_id, k.given_on, k.id),
        "pet": select(p.client_id, p.id.label("pet_id"), *(p[n] for n in PET_FIELDS))
        .where(_of(p.client_id, cid)).order_by(p.client_id, p.id),
        "weight": select(p.client_id, w.pet_id, *(w[n] for n in WEIGHT_FIELDS))
        .select_from(per_pet(_weight, p.id == w.pet_id))
        .where(_of(p.client_id, cid)).order_by(p.client_id, w.pet_id, w.measured_on, w.id),
        "visit": select(p.client_id, v.pet_id, v.id, v.corrects_id, *(v[n] for n in VISIT_FIELDS))
        .select_from(per_pet(_visit, p.id == v.pet_id))
        .where(_of(p.client_id, cid)).order_by(p.client_id, v.pet_id, v.visit_date, v.id),
        "vaccination": select(p.client_id, x.pet_id, x.id, x.corrects_id, *(x[n] for n in VACCINATION_FIELDS))
        .select_from(per_pet(_vaccination, p.id == x.pet_id))
        .where(_of(p.client_id, cid)).order_by(p.client_id, x.pet_id, x.given_on, x.id),
        "medicine_record": select(m.client_id, m.id, m.corrects_id, pet_of.c.number.label("pet_number"),
                                   *(m[n] for n in MEDICINE_FIELDS[1:]))
        .select_from(_medicine.outerjoin(pet_of, pet_of.c.id == m.pet_id))
        .where(_of(m.client_id, cid)).order_by(m.client_id, m.record_date, m.id),
        "invoice": select(i.client_id, i.id, i.number, i.kind,
                           credited.c.number.label("credits_number"), credited.c.kind.label("credits_kind"),
                           pet_of.c.number.label("pet_number"), i.invoice_date, i.supply_date, i.payment_method,
                           i.status,
                           i.reason, i.restricted,
                           *(i[f"customer_{n}"] for n in PARTY_FIELDS),
                           *(i[f"supplier_{n}"] for n in SUPPLIER_FIELDS),
                           i.net_cents, i.vat_cents, i.gross_cents)
        .select_from(_invoice.outerjoin(credited, credited.c.id == i.credits_invoice_id)
                     .outerjoin(pet_of, pet_of.c.id == i.pet_id))
        .where(_of(i.client_id, cid)).order_by(i.client_id, i.invoice_date, i.id),
        "invoice_line": select(i.client_id, ln.invoice_id, *(ln[n] for n in LINE_FIELDS))
        .select_from(_line.join(_invoice, i.id == ln.invoice_id))
        .where(_of(i.client_id, cid)).order_by(i.client_id, ln.invoice_id, ln.position, ln.id),
        "payment": select(i.client_id, y.invoice_id, *(y[n] for n in PAYMENT_FIELDS))
        .select_from(_payment.join(_invoice, i.id == y.invoice_id))
        .where(_of(i.client_id, cid)).order_by(i.client_id, y.invoice_id, y.paid_on, y.id),
        "disclosure": select(d.client_id, d.consent_id, r.name.label("recipient_name"),
                              r.kind.label("recipient_kind"), pet_of.c.number.label("pet_number"),
                              d.disclosed_on, d.categories, d.basis, d.at_client_request)
        .select_from(_disclosure.join(_recipient, r.id == d.recipient_id)
                     .outerjoin(pet_of, pet_of.c.id == d.pet_id))
        .where(_of(d.client_id, cid)).order_by(d.client_id, d.disclosed_on, d.id),
    }


def _requests(number: Optional[str]) -> Select[Any]:
    q = _request.c
    return (select(q.client_number, *(q[n] for n in REQUEST_FIELDS))
            .where(_of(q.client_number, number)).order_by(q.client_number, q.received_on, q.id))


def _imports() -> Select[Any]:
    a = _audit.c
    return select(a.entity_ids, a.ts).where(a.action == "import").order_by(a.id)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def _iso_dt(value: Any) -> Optional[str]:
    """A stored UTC datetime ('2026-11-27 10:00:00.123456') as ISO 8601 with Z."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    s = str(value).replace(" ", "T", 1)
    if s.endswith("+00:00"):
        s = s[:-6]
    return s if s.endswith("Z") else s + "Z"


def _original_number(number: Optional[str], kind: Optional[str]) -> Optional[str]:
    """The number an invoice was issued under (imported ones carry a prefix here)."""
    if number is not None and kind is not None and kind.startswith(IMPORTED_KIND_PREFIX):
        return number.split(":", 1)[1]
    return number


def _original_kind(kind: str) -> str:
    return kind[len(IMPORTED_KIND_PREFIX):] if kind.startswith(IMPORTED_KIND_PREFIX) else kind


class _Section:
    """One query's rows, sorted by ``client_id``, taken one client at a time (a merge join).

    Columns are looked up by name once per query (from ``result.keys()``) and
    read through :func:`operator.itemgetter`: by name, at the speed of tuple
    indexing (``row.name`` on 200,000 rows costs the export a third more).
    """

    __slots__ = ("_index", "_it", "_key", "_next")

    def __init__(self, rows: Iterable[Sequence[Any]], names: Iterable[str]) -> None:
        self._index = {n: i for i, n in enumerate(names)}
        self._key = self._index["client_id"]
        self._it = iter(rows)
        self._next = next(self._it, None)

    def get(self, *names: str) -> Callable[[Sequence[Any]], Any]:
        """A reader of these columns (one value for one name, a tuple for several)."""
        return itemgetter(*(self._index[n] for n in names))

    def record(self, fields: Sequence[str], prefix: str = "", *, null: Sequence[str] = ()
               ) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """A reader of a row as ``{field: value}``, from the columns named ``prefix + field``.

        A ``voided_at`` field is written as ISO 8601 UTC; the fields ``null``
        are added as None (set later, e.g. a correction's reference)."""
        # A dict display compiled once per query: as fast as ``{"a": row[0], ...}``
        # written by hand, with the positions found from the names (our own
        # constants and select labels, never data).
        def value(n: str) -> str:
            at = f"row[{self._index[prefix + n]}]"
            return f"(None if {at} is None else _iso_dt({at}))" if n == "voided_at" else at

        body = ", ".join([*(f"{n!r}: {value(n)}" for n in fields), *(f"{n!r}: None" for n in null)])
        return eval(f"lambda row: {{{body}}}", {"_iso_dt": _iso_dt})  # type: ignore[no-any-return]  # noqa: S307

    def rest(self) -> Iterator[Sequence[Any]]:
        """Every row not taken yet."""
        while self._next is not None:
            yield self._next
            self._next = next(self._it, None)

    def take(self, key: int) -> list[Sequence[Any]]:
        out = []
        nxt, it, k = self._next, self._it, self._key
        while nxt is not None and nxt[k] < key:
            nxt = next(it, None)
        while nxt is not None and nxt[k] == key:
            out.append(nxt)
            nxt = next(it, None)
        self._next = nxt
        return out

    def by(self, key: int, name: str) -> dict[Any, list[Sequence[Any]]]:
        """The rows of client ``key``, grouped by column ``name`` (a pet, an invoice)."""
        get = self.get(name)
        out: dict[Any, list[Sequence[Any]]] = {}
        for r in self.take(key):
            out.setdefault(get(r), []).append(r)
        return out


def _delete_after(last: Optional[str], years: int) -> Optional[str]:
    """The last day of the inactivity period (``last`` + N years, clamped like the purge)."""
    if not last:
        return None
    d = date.fromisoformat(last)
    try:
        return d.replace(year=d.year + years).isoformat()
    except ValueError:  # 29 February -> 28 February, as relativedelta does
        return d.replace(year=d.year + years, day=28).isoformat()


def _invoices(invoices: _Section, lines: _Section, payments: _Section,
              ) -> Callable[[int, list[str]], list[dict[str, Any]]]:
    """A builder of one client's invoices (and the other practices they came from)."""
    head = invoices.get("id", "number", "kind", "credits_number", "credits_kind")
    rest = invoices.record(("pet_number", "invoice_date", "payment_method", "status", "reason", "restricted",
                            "supply_date"))
    customer = invoices.record(PARTY_FIELDS, "customer_")
    supplier = invoices.record(SUPPLIER_FIELDS, "supplier_")
    totals = invoices.record(("net_cents", "vat_cents", "gross_cents"))
    line, rate_net = lines.record(LINE_FIELDS), lines.get("vat_rate", "net_cents")
    payment, counted = payments.record(PAYMENT_FIELDS), payments.get("amount_cents", "voided_at")

    def build(cid: int, other_practices: list[str]) -> list[dict[str, Any]]:
        l_by_inv = lines.by(cid, "invoice_id")
        y_by_inv = payments.by(cid, "invoice_id")
        out = []
        for i in invoices.take(cid):
            iid, number, kind, credits_number, credits_kind = head(i)
            sup = supplier(i)
            if kind.startswith(IMPORTED_KIND_PREFIX) and sup["name"] and sup["name"] not in other_practices:
                other_practices.append(sup["name"])
            inv_lines = l_by_inv.get(iid, [])
            inv_pays = y_by_inv.get(iid, [])
            nets: dict[int, int] = {}
            for r in inv_lines:
                rate, net = rate_net(r)
                nets[rate] = nets.get(rate, 0) + net
            doc = {"number": _original_number(number, kind), "kind": _original_kind(kind),
                   "credits_invoice_number": _original_number(credits_number, credits_kind), **rest(i)}
            doc["restricted"] = bool(doc["restricted"])
            doc["customer"] = customer(i)
            doc["supplier"] = sup
            doc.update(totals(i))
            doc["paid_cents"] = sum(amount for amount, voided in map(counted, inv_pays) if voided is None)
            doc["vat_totals"] = [{"rate": rate, "net_cents": net, "vat_cents": round_half_up_div(net * rate, 100)}
                                 for rate, net in sorted(nets.items(), reverse=True)]
            doc["lines"] = [line(r) for r in inv_lines]
            doc["payments"] = [payment(r) for r in inv_pays]
            out.append(doc)
        return out

    return build


def _pets(pets: _Section, weights: _Section, visits: _Section,
          vaccinations: _Section) -> Callable[[int], list[dict[str, Any]]]:
    """A builder of one client's pets with their weights, visits and vaccinations.

    A correction names the record it replaces by place, never by database id:
    ``corrects`` is ``{"pet_number", "index"}`` (the original's pet and its
    position in that pet's list), null for an original.
    """
    pet, pet_id = pets.record(PET_FIELDS), pets.get("pet_id")
    weight = weights.record(WEIGHT_FIELDS)
    kinds = tuple((key, section, section.record(fields, null=("corrects",)), section.get("corrects_id"))
                  for key, section, fields in (("visits", visits, VISIT_FIELDS),
                                               ("vaccinations", vaccinations, VACCINATION_FIELDS)))

    def build(cid: int) -> list[dict[str, Any]]:
        w_by_pet = weights.by(cid, "pet_id")
        v_by_pet = visits.by(cid, "pet_id")
        x_by_pet = vaccinations.by(cid, "pet_id")
        by_pet = {"visits": v_by_pet, "vaccinations": x_by_pet}
        lists: list[tuple[str, _Section, str, list[Sequence[Any]], list[dict[str, Any]]]] = []
        corrections = False
        out = []
        for p in pets.take(cid):
            pid = pet_id(p)
            doc = pet(p)
            doc["insured"] = None if doc["insured"] is None else bool(doc["insured"])
            doc["created_at"] = _iso_dt(doc["created_at"])
            doc["weights"] = [weight(r) for r in w_by_pet.get(pid, ())]
            for key, section, read, corrects_of in kinds:
                rows = by_pet[key].get(pid, [])
                doc[key] = [read(r) for r in rows]
                corrections = corrections or any(map(corrects_of, rows))
                lists.append((key, section, doc["number"], rows, doc[key]))
            out.append(doc)
        if corrections:  # rare: find each original's place only then
            places: dict[tuple[str, int], dict[str, Any]] = {}
            for key, section, number, rows, _ in lists:
                ids = section.get("id")
                places.update({(key, ids(r)): {"pet_number": number, "index": n} for n, r in enumerate(rows)})
            for key, section, _, rows, recs in lists:
                corrects_of = section.get("corrects_id")
                for r, rec in zip(rows, recs):
                    if corrects_of(r) is not None:
                        rec["corrects"] = places.get((key, corrects_of(r)))
        return out

    return build


def iter_exports(uow: UnitOfWork, generated_at: datetime,
                 client_id: Optional[int] = None) -> Iterator[dict[str, Any]]:
    """Export documents, one per client in id order (all clients, or just ``client_id``).

    One query per section, each filtered by the client (or ordered by it and
    merged), streamed row by row: memory stays at one client's rows plus the
    cursors' pages.
    """
    from .activity import last_activity, last_activity_select

    number: Optional[str] = None
    if client_id is not None:
        number = uow.execute(select(_client.c.number).where(_client.c.id == client_id)).scalar()
        if number is None:
            raise NotFound(f"client {client_id} not found")

    info = about(uow)
    periods = info["periods"]
    generated = _iso_dt(generated_at)

    def section(stmt: Any) -> _Section:
        result = uow.execute(stmt).yield_per(2000)
        return _Section(result, result.keys())

    if client_id is None:
        lasts = section(last_activity_select().order_by("client_id"))
    else:
        last = last_activity(uow, client_id)
        lasts = _Section([(client_id, last.isoformat())] if last else [], ("client_id", "last_activity"))
    last_on = lasts.get("last_activity")
    requests: dict[str, list[dict[str, Any]]] = {}
    for req in uow.execute(_requests(number)):
        requests.setdefault(req.client_number, []).append({n: req._mapping[n] for n in REQUEST_FIELDS})
    imported: dict[str, str] = {}
    for entry in uow.execute(_imports()):
        for num in json.loads(entry.entity_ids)[:1]:
            imported[num] = entry.ts[:10]

    # The tables read are those the data map gives an export section (subject
    # requests hang off the client number and are read above).
    queries = _queries(client_id)
    s = {t.name: section(queries[t.name]) for t in datamap.MAP if t.export and t.name != "subject_request"}
    clients, consents, disclosures, medicines = s["client"], s["consent"], s["disclosure"], s["medicine_record"]
    client, client_key = clients.record(CLIENT_FIELDS), clients.get("client_id")
    consent, consent_id = consents.record(CONSENT_FIELDS), consents.get("id")
    medicine = medicines.record(MEDICINE_FIELDS, null=("corrects_index",))
    medicine_ids = medicines.get("id", "corrects_id")
    disclosure = disclosures.record(("recipient_name", "recipient_kind", "pet_number", "disclosed_on",
                                     "categories", "basis", "consent_id", "at_client_request"))
    pets_of = _pets(s["pet"], s["weight"], s["visit"], s["vaccination"])
    invoices_of = _invoices(s["invoice"], s["invoice_line"], s["payment"])

    for c in clients.rest():
        cid = client_key(c)
        consent_rows = consents.take(cid)
        consent_index = {consent_id(r): n for n, r in enumerate(consent_rows)}
        pet_out = pets_of(cid)
        other_practices: list[str] = []
        inv_out = invoices_of(cid, other_practices)
        last_row = lasts.take(cid)
        last_activity_on = last_on(last_row[0]) if last_row else None
        card = client(c)
        card["created_at"] = _iso_dt(card["created_at"])
        card["restricted"] = bool(card["restricted"])
        med_rows = medicines.take(cid)
        meds = []
        for r in med_rows:
            m = medicine(r)
            m["dispensed"], m["restricted"] = bool(m["dispensed"]), bool(m["restricted"])
            meds.append(m)
        if any(medicine_ids(r)[1] is not None for r in med_rows):  # a correction: its original's place
            place = {medicine_ids(r)[0]: n for n, r in enumerate(med_rows)}
            for r, m in zip(med_rows, meds):
                if medicine_ids(r)[1] is not None:
                    m["corrects_index"] = place.get(medicine_ids(r)[1])
        discl = []
        for r in disclosures.take(cid):
            d = disclosure(r)
            discl.append({"recipient": {"name": d["recipient_name"], "kind": d["recipient_kind"]},
                          "pet_number": d["pet_number"], "disclosed_on": d["disclosed_on"],
                          "categories": d["categories"], "basis": d["basis"],
                          "consent_index": consent_index.get(d["consent_id"]),
                          "at_client_request": bool(d["at_client_request"])})
        yield {
            "format": FORMAT_NAME,
            "schema_version": SCHEMA_VERSION,
            "generated_at": generated,
            "controller": info["controller"],
            "purposes": info["purposes"],
            "retention": {
                **periods,
                "last_activity": last_activity_on,
                "delete_after": _delete_after(last_activity_on, periods["inactivity_years"]),
                "rules": info["retention_rules"],
            },
            "source": source_items(imported.get(card["number"]), other_practices),
            "rights": info["rights"],
            "supervisory_authority": info["supervisory_authority"],
            "client": card,
            "consents": [consent(r) for r in consent_rows],
            "pets": pet_out,
            "medicine_records": meds,
            "invoices": inv_out,
            "disclosures": discl,
            "requests": requests.get(card["number"], []),
        }


def resolve_client(uow: UnitOfWork, ref: str) -> tuple[int, str]:
    """(id, number) of a client by number or id, restricted ones included (:func:`vetcards.refs.find`)."""
    from . import refs

    row = refs.find(uow, "client", ref, include_restricted=True)
    return int(row["id"]), str(row["number"])


def export_client(uow: UnitOfWork, client_ref: str, generated_at: datetime) -> dict[str, Any]:
    """Everything held on one client and their animals (export schema v2)."""
    cid, _number = resolve_client(uow, client_ref)
    return next(iter_exports(uow, generated_at, client_id=cid))


def client_numbers(uow: UnitOfWork) -> list[str]:
    """Every client's number in id order (the order of :func:`iter_exports`)."""
    return list(uow.execute(select(_client.c.number).order_by(_client.c.id)).scalars())


def close_request(uow: UnitOfWork, ref: str, client_number: str, today: date) -> int:
    """Close the access or portability request an export answers; returns its id.

    It must exist, be about ``client_number``, be an access or portability
    request and still be open (:func:`vetcards.subject_requests.answer`).
    """
    from .subject_requests import answer

    return answer(uow, ref, client_number=client_number, types=EXPORT_REQUEST_TYPES, on=today)
