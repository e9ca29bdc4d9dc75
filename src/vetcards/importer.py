"""Data portability, the receiving side: ``vetcards import`` (SPEC §5).

:func:`import_client` reads another practice's export (schema v1 or v2,
:mod:`vetcards.export_schema`): the schema first (:func:`validate_document`),
then every field again with :mod:`vetcards.validation`, then writes (Core
inserts for the many rows), all in one unit of work that commits only when
everything is valid. New client and pet numbers; invoices of the other
practice are kept as history under a number that can never collide with this
practice's gap-free numbering (``IMPORTED_YEAR``, :func:`imported_number`).

jsonschema and the ORM models are imported where used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import Table, func, insert, select, update

from . import numbering
from .errors import InvalidInput
from .export_schema import (
    FORMAT_NAME,
    IMPORTED_KIND_PREFIX,
    IMPORTED_PREFIX,
    IMPORTED_YEAR,
    RECIPIENT_KINDS,
    SCHEMA_VERSIONS,
    schema,
)

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def _schema_rule(error: Any) -> str:
    """A safe description of a schema error: never the offending value."""
    v, want = error.validator, error.validator_value
    if v == "required":
        inst = error.instance if isinstance(error.instance, dict) else {}
        missing = [k for k in want if k not in inst]
        return f"is missing field {missing[0]}" if missing else "is missing a field"
    if v == "additionalProperties":
        return "has a field the schema does not know"
    if v == "type":
        kinds = want if isinstance(want, list) else [want]
        return "must be " + " or ".join(kinds)
    if v in ("enum", "const"):
        from .vocab import rule_one_of

        allowed = want if isinstance(want, list) else [want]
        return rule_one_of("null" if a is None else a for a in allowed)
    if v in ("pattern", "format"):
        return "has the wrong format"
    if v in ("maxLength", "minLength"):
        return f"must be {'at most' if v == 'maxLength' else 'at least'} {want} characters"
    if v in ("minimum", "maximum"):
        return f"must be {'at least' if v == 'minimum' else 'at most'} {want}"
    return f"breaks the schema rule {v}"


_VALIDATORS: dict[str, Any] = {}


def validate_document(data: Any) -> str:
    """Check ``data`` against the export schema of its version (1 or 2); returns the version.

    One InvalidInput naming the field and the rule if not (never the value).
    """
    if not isinstance(data, dict):
        raise InvalidInput("FILE", "is not a vetcards export (a JSON object is expected)")
    if data.get("format") != FORMAT_NAME:
        raise InvalidInput("format", f"must be {FORMAT_NAME} (not a vetcards export)")
    version = data.get("schema_version")
    if not isinstance(version, str) or version not in SCHEMA_VERSIONS:
        raise InvalidInput("schema_version", "must be " + " or ".join(SCHEMA_VERSIONS)
                           + ": this vetcards reads export schema v" + ", v".join(SCHEMA_VERSIONS))
    validator = _VALIDATORS.get(version)
    if validator is None:
        from jsonschema import Draft202012Validator, FormatChecker

        validator = _VALIDATORS[version] = Draft202012Validator(schema(version), format_checker=FormatChecker())
    from jsonschema.exceptions import best_match

    error = best_match(validator.iter_errors(data))
    if error is not None:
        raise InvalidInput(_json_path(error.absolute_path), _schema_rule(error) + f" (export schema v{version})")
    return version


def _d(value: Optional[str]) -> Optional[date]:
    return None if value is None else date.fromisoformat(value)


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _check_fields(uow: UnitOfWork, data: dict[str, Any], today: date) -> dict[str, Any]:
    """Every field again with the validators of this practice; returns fixes
    (normalised client fields). Raises InvalidInput naming the JSON path."""
    from . import validation
    from .patients import known_species

    def again(path: str, fn: Any, value: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(value, *args, **kw)
        except InvalidInput as exc:
            raise InvalidInput(path, exc.rule) from None

    c = data["client"]
    client: dict[str, Any] = {}
    for name, n in (("name", 200), ("street", 200), ("city", 100)):
        client[name] = again(f"client.{name}", validation.text, c[name], field=name, max_len=n)
    country = client["country"] = again("client.country", validation.country, c.get("country") or "NL")
    client["postcode"] = again("client.postcode", validation.postcode, c["postcode"], country=country)
    for name in ("phone", "landline"):
        client[name] = (again(f"client.{name}", validation.phone, c[name], country=country)
                        if c.get(name) else None)
    client["email"] = again("client.email", validation.email, c["email"]) if c["email"] else None
    client["birth_date"] = (again("client.birth_date", validation.birth_date, c["birth_date"], today=today)
                            if c["birth_date"] else None)

    species = known_species(uow)
    chips: set[str] = set()
    pets = []
    for i, p in enumerate(data["pets"]):
        at = f"pets[{i}]"
        fixed = {
            "name": again(f"{at}.name", validation.text, p["name"], field="name", max_len=100),
            "species": again(f"{at}.species", validation.species, p["species"], species),
            "sex": again(f"{at}.sex", validation.sex, p["sex"]),
            "birth_date": (again(f"{at}.birth_date", validation.birth_date, p["birth_date"], today=today)
                           if p["birth_date"] else None),
            "chip": again(f"{at}.chip", validation.chip, p["chip"]) if p["chip"] else None,
        }
        if fixed["chip"]:
            if fixed["chip"] in chips:
                raise InvalidInput(f"{at}.chip", "the same chip number is on two pets in the file")
            chips.add(fixed["chip"])
        if p["deceased_on"] and date.fromisoformat(p["deceased_on"]) > today:
            raise InvalidInput(f"{at}.deceased_on", validation.RULE_FUTURE)
        pets.append(fixed)
    if chips:
        pet = _tables()["pet"]
        taken = uow.execute(select(func.count()).select_from(pet).where(pet.c.chip.in_(sorted(chips)))).scalar()
        if taken:
            raise InvalidInput("pets.chip", "a chip number in the file is already registered on a pet here")

    numbers = [p["number"] for p in data["pets"]]
    if len(set(numbers)) != len(numbers):
        raise InvalidInput("pets.number", "two pets in the file have the same number")
    known_pets = set(numbers)

    def pet_ref(path: str, value: Optional[str]) -> None:
        if value is not None and value not in known_pets:
            raise InvalidInput(path, "names a pet that is not in the file")

    for i, m in enumerate(data["medicine_records"]):
        pet_ref(f"medicine_records[{i}].pet_number", m["pet_number"])
    inv_numbers = [inv["number"] for inv in data["invoices"]]
    if len(set(inv_numbers)) != len(inv_numbers):
        raise InvalidInput("invoices.number", "two invoices in the file have the same number")
    for i, inv in enumerate(data["invoices"]):
        at = f"invoices[{i}]"
        pet_ref(f"{at}.pet_number", inv["pet_number"])
        cust = inv["customer"]
        customer_country = again(f"{at}.customer.country", validation.country, cust.get("country") or "NL")
        again(f"{at}.customer.postcode", validation.postcode, cust["postcode"], country=customer_country)
        check_amounts(inv, at)
    for i, d in enumerate(data["disclosures"]):
        again(f"disclosures[{i}].recipient.name", validation.text, d["recipient"]["name"], field="name",
              max_len=200)
        pet_ref(f"disclosures[{i}].pet_number", d["pet_number"])
        if d["consent_index"] is not None and d["consent_index"] >= len(data["consents"]):
            raise InvalidInput(f"disclosures[{i}].consent_index", "names a consent that is not in the file")
    return {"client": client, "pets": pets}


def check_amounts(inv: dict[str, Any], at: str) -> None:
    """The amounts of one invoice of a file add up as vetcards computes them (:mod:`vetcards.money`):
    each line's net is quantity x unit price at a VAT rate of the vocabulary, the totals per rate and
    of the invoice are the sums of the lines, gross = net + VAT, paid = the payments that stand.
    One InvalidInput naming the field and the invoice (its number, never an amount)."""
    from decimal import Decimal, InvalidOperation

    from .money import Line, compute_totals
    from .vocab import VAT_RATES, rule_one_of

    which = f" (invoice {inv['number']})"
    lines = []
    for n, ln in enumerate(inv["lines"]):
        here = f"{at}.lines[{n}]"
        if ln["vat_rate"] not in VAT_RATES or isinstance(ln["vat_rate"], bool):
            raise InvalidInput(f"{here}.vat_rate", rule_one_of(VAT_RATES) + which)
        try:
            line = Line(ln["description"], Decimal(ln["quantity"]), ln["unit_price_cents"], ln["vat_rate"],
                        _vat_category(ln))
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidInput(f"{here}.vat_category", "does not fit the VAT rate" + which) from None
        if line.net_cents != ln["net_cents"]:
            raise InvalidInput(f"{here}.net_cents", "must be quantity x unit_price_cents, rounded half up" + which)
        lines.append(line)
    totals = compute_totals(lines)
    if inv["net_cents"] != totals.net_cents:
        raise InvalidInput(f"{at}.net_cents", "must be the sum of the lines" + which)
    per_rate = [{"rate": t.rate, "net_cents": t.net_cents, "vat_cents": t.vat_cents} for t in totals.per_rate]
    if inv["vat_totals"] != per_rate:
        raise InvalidInput(f"{at}.vat_totals", "must be the lines' amounts per VAT rate" + which)
    if inv["vat_cents"] != totals.vat_cents:
        raise InvalidInput(f"{at}.vat_cents", "must be the sum of the VAT per rate" + which)
    if inv["gross_cents"] != inv["net_cents"] + inv["vat_cents"]:
        raise InvalidInput(f"{at}.gross_cents", "must be net_cents + vat_cents" + which)
    if inv["paid_cents"] != sum(y["amount_cents"] for y in inv["payments"] if not y.get("voided_at")):
        raise InvalidInput(f"{at}.paid_cents", "must be the sum of the payments that are not voided" + which)


def _tables() -> dict[str, Table]:
    """The tables of the ORM models (imported here: only ``import`` needs them)."""
    from sqlmodel import SQLModel

    from . import models  # noqa: F401 - registers the tables

    return dict(SQLModel.metadata.tables)


def _next_imported_seq(uow: UnitOfWork) -> int:
    invoice = _tables()["invoice"]
    return int(uow.execute(
        select(func.coalesce(func.max(invoice.c.seq), 0) + 1).where(invoice.c.year == IMPORTED_YEAR)
    ).scalar_one())


def _vat_category(line: dict[str, Any]) -> str:
    """A line's VAT category (:data:`vetcards.vocab.VAT_CATEGORIES`): as exported, else from its rate."""
    given = line.get("vat_category")
    if given is not None:
        return str(given)  # v2: as exported (the schema allows only VAT_CATEGORIES)
    return "charged" if line["vat_rate"] else "zero"


def _void(rec: dict[str, Any]) -> dict[str, Any]:
    """The void fields of a record (v2); none in a v1 file."""
    voided = rec.get("voided_at")
    return {"voided_at": _dt(voided) if voided else None, "void_reason": rec.get("void_reason")}


def _link_corrections(uow: UnitOfWork, pets: list[dict[str, Any]], pet_ids: dict[str, int]) -> None:
    """Point each imported correction at the record it replaces (``corrects``: a pet and a place in
    its list) by the new ids, read back in insert order (the pets are new: all their rows are ours)."""
    t = _tables()
    for key, table in (("visits", "visit"), ("vaccinations", "vaccination")):
        wanted = [(p["number"], n, r["corrects"]) for p in pets for n, r in enumerate(p[key]) if r.get("corrects")]
        if not wanted:
            continue
        tbl = t[table]
        ids: dict[int, list[int]] = {}
        for pet_id, rid in uow.execute(select(tbl.c.pet_id, tbl.c.id).where(tbl.c.pet_id.in_(pet_ids.values()))
                                       .order_by(tbl.c.id)):
            ids.setdefault(pet_id, []).append(rid)
        for number, n, corrects in wanted:
            original = ids.get(pet_ids.get(corrects["pet_number"], -1), [])
            if corrects["index"] >= len(original):
                raise InvalidInput(f"pets.{key}.corrects", "names a record that is not in the file")
            uow.execute(update(tbl).where(tbl.c.id == ids[pet_ids[number]][n])
                        .values(corrects_id=original[corrects["index"]]))


def _link_medicine_corrections(uow: UnitOfWork, client_id: int, records: list[dict[str, Any]]) -> None:
    wanted = [(n, r["corrects_index"]) for n, r in enumerate(records) if r.get("corrects_index") is not None]
    if not wanted:
        return
    tbl = _tables()["medicine_record"]
    ids = list(uow.execute(select(tbl.c.id).where(tbl.c.client_id == client_id).order_by(tbl.c.id)).scalars())
    for n, index in wanted:
        if index >= len(ids):
            raise InvalidInput(f"medicine_records[{n}].corrects_index", "names a record that is not in the file")
        uow.execute(update(tbl).where(tbl.c.id == ids[n]).values(corrects_id=ids[index]))


def imported_number(seq: int, original: str) -> str:
    """The stored number of an imported invoice: ``IMP<seq>:<original number>``."""
    return f"{IMPORTED_PREFIX}{seq}:{original}"


def import_client(uow: UnitOfWork, data: Any, *, today: Optional[date] = None,
                  counts_out: Optional[dict[str, int]] = None) -> str:
    """Read a vetcards export (schema v1 or v2) of another practice; returns the new client number.

    Validates the whole file first (schema, then every field with this
    practice's rules); writes nothing unless all of it is valid. Commits.
    """
    from . import audit
    from .models import utcnow

    t = _tables()

    today = today or date.today()
    version = validate_document(data)
    fixed = _check_fields(uow, data, today)
    now = utcnow()
    c = data["client"]

    number = numbering.next_number(uow, "client")
    cf = fixed["client"]
    client_id = uow.insert(insert(t["client"]).values(
        number=number, name=cf["name"], street=cf["street"], postcode=cf["postcode"], city=cf["city"],
        phone=cf["phone"], landline=cf["landline"], country=cf["country"], email=cf["email"],
        birth_date=cf["birth_date"], created_at=_dt(c["created_at"]),
        updated_at=now, legal_hold_reason=c["legal_hold_reason"], restricted=c["restricted"],
    ))

    # A consent is given to one controller: the other practice's consents are
    # its history here, never current (SPEC §5); ``controller`` names it.
    other_controller = str(data["controller"]["name"])[:200] or "?"
    consent_ids: list[int] = []
    for k in data["consents"]:
        consent_ids.append(uow.insert(insert(t["consent"]).values(
            client_id=client_id, purpose=k["purpose"], given_on=_d(k["given_on"]),
            statement_version=k["statement_version"], method=k["method"], withdrawn_on=_d(k["withdrawn_on"]),
            controller=k.get("controller") or other_controller, created_at=now,
        )))

    pet_ids: dict[str, int] = {}
    weights, visits, vaccs = [], [], []
    for p, pf in zip(data["pets"], fixed["pets"]):
        pid = uow.insert(insert(t["pet"]).values(
            number=numbering.next_number(uow, "pet"), client_id=client_id, name=pf["name"],
            species=pf["species"], breed=p["breed"], sex=pf["sex"], birth_date=pf["birth_date"], chip=pf["chip"],
            colour=p["colour"], coat=p["coat"], insured=p["insured"], deceased_on=_d(p["deceased_on"]),
            created_at=_dt(p["created_at"]), updated_at=now,
        ))
        pet_ids[p["number"]] = pid
        weights += [{"pet_id": pid, "measured_on": _d(w["measured_on"]), "grams": w["grams"], "created_at": now}
                    for w in p["weights"]]
        visits += [{"pet_id": pid, "visit_date": _d(v["visit_date"]), "reason": v["reason"],
                    "findings": v["findings"], "diagnosis": v["diagnosis"], "treatment": v["treatment"],
                    "vet": v["vet"], "created_at": now, **_void(v)} for v in p["visits"]]
        vaccs += [{"pet_id": pid, "given_on": _d(x["given_on"]), "vaccine": x["vaccine"], "batch": x["batch"],
                   "next_due": _d(x["next_due"]), "created_at": now, **_void(x)} for x in p["vaccinations"]]
    for table, rows in (("weight", weights), ("visit", visits), ("vaccination", vaccs)):
        if rows:
            uow.execute(insert(t[table]), rows)
    _link_corrections(uow, data["pets"], pet_ids)

    meds = [{"pet_id": pet_ids.get(m["pet_number"]) if m["pet_number"] else None, "client_id": client_id,
             "record_date": _d(m["record_date"]), "product": m["product"], "batch": m["batch"],
             "quantity": m["quantity"], "expiry": _d(m["expiry"]), "vet": m["vet"], "dispensed": m["dispensed"],
             "owner_name": m["owner_name"], "owner_address": m["owner_address"], "restricted": m["restricted"],
             "created_at": now, **_void(m)} for m in data["medicine_records"]]
    if meds:
        uow.execute(insert(t["medicine_record"]), meds)
        _link_medicine_corrections(uow, client_id, data["medicine_records"])

    inv_ids: dict[str, int] = {}
    credits: list[tuple[int, str]] = []
    lines, pays = [], []
    seq = _next_imported_seq(uow)
    for inv in data["invoices"]:
        cust, sup = inv["customer"], inv["supplier"]
        iid = uow.insert(insert(t["invoice"]).values(
            number=imported_number(seq, inv["number"]), year=IMPORTED_YEAR, seq=seq,
            kind=IMPORTED_KIND_PREFIX + inv["kind"], client_id=client_id,
            pet_id=pet_ids.get(inv["pet_number"]) if inv["pet_number"] else None,
            invoice_date=_d(inv["invoice_date"]), supply_date=_d(inv.get("supply_date")),
            payment_method=inv["payment_method"], status=inv["status"],
            customer_name=cust["name"], customer_street=cust["street"], customer_postcode=cust["postcode"],
            customer_city=cust["city"], customer_country=cust.get("country") or "NL",
            customer_birth_date=_d(cust["birth_date"]),
            supplier_name=sup["name"], supplier_address=sup["address"], supplier_vat_number=sup["vat_number"],
            supplier_kvk=sup["kvk"], supplier_iban=sup["iban"], net_cents=inv["net_cents"],
            vat_cents=inv["vat_cents"], gross_cents=inv["gross_cents"], reason=inv["reason"],
            restricted=inv["restricted"], created_at=now,
        ))
        seq += 1
        inv_ids[inv["number"]] = iid
        if inv["credits_invoice_number"]:
            credits.append((iid, inv["credits_invoice_number"]))
        lines += [{"invoice_id": iid, "position": ln["position"], "description": ln["description"],
                   "quantity": ln["quantity"], "unit_price_cents": ln["unit_price_cents"],
                   "vat_rate": ln["vat_rate"], "vat_category": _vat_category(ln),
                   "net_cents": ln["net_cents"]} for ln in inv["lines"]]
        pays += [{"invoice_id": iid, "paid_on": _d(y["paid_on"]), "amount_cents": y["amount_cents"],
                  "method": y["method"], "created_at": now, **_void(y)} for y in inv["payments"]]
    for iid, credited in credits:
        if credited in inv_ids:
            uow.execute(update(t["invoice"]).where(t["invoice"].c.id == iid)
                        .values(credits_invoice_id=inv_ids[credited]))
    if lines:
        uow.execute(insert(t["invoice_line"]), lines)
    if pays:
        uow.execute(insert(t["payment"]), pays)

    recipients: dict[str, int] = {}
    created_recipients = 0
    discl = []
    for d in data["disclosures"]:
        name = d["recipient"]["name"]
        if name not in recipients:
            rid = uow.execute(select(t["recipient"].c.id).where(t["recipient"].c.name == name)).scalar()
            if rid is None:
                kind = d["recipient"]["kind"].replace("_", "-")
                # The other practice's recipient: history of its disclosures, not in this register.
                rid = uow.insert(insert(t["recipient"]).values(
                    name=name, kind=kind if kind in RECIPIENT_KINDS else "other", categories="", created_at=now,
                    controller=other_controller,
                ))
                created_recipients += 1
            recipients[name] = rid
        discl.append({"client_id": client_id, "recipient_id": recipients[name],
                      "pet_id": pet_ids.get(d["pet_number"]) if d["pet_number"] else None,
                      "disclosed_on": _d(d["disclosed_on"]), "categories": d["categories"], "basis": d["basis"],
                      "consent_id": consent_ids[d["consent_index"]] if d["consent_index"] is not None else None,
                      "at_client_request": d["at_client_request"], "created_at": now})
    if discl:
        uow.execute(insert(t["disclosure"]), discl)

    # Requests the other practice closed are history; one still open there
    # is that practice's duty, not ours, and is not carried.
    reqs = [{"client_number": number, "type": r["type"], "received_on": _d(r["received_on"]),
             "due_on": _d(r["due_on"]), "extended_reason": r["extended_reason"], "closed_on": _d(r["closed_on"]),
             "created_at": now} for r in data["requests"] if r["closed_on"]]
    if reqs:
        uow.execute(insert(t["subject_request"]), reqs)

    counts = {
        "pets": len(pet_ids), "consents": len(consent_ids), "weights": len(weights), "visits": len(visits),
        "vaccinations": len(vaccs), "medicine_records": len(meds), "invoices": len(inv_ids),
        "invoice_lines": len(lines), "payments": len(pays), "disclosures": len(discl),
        "recipients_created": created_recipients, "requests": len(reqs),
        "requests_open_not_carried": len(data["requests"]) - len(reqs),
    }
    audit.record(uow, "import", "client", [number], {"schema_version": version, **counts})
    uow.commit()
    if counts_out is not None:
        counts_out.update(counts)
        counts_out["id"] = client_id
    return number
