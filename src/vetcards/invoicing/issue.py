"""Issuing invoices: checks, numbers, the practice snapshot, the batch write.

Numbers are ``YYYY-NNNNN``, consecutive per year of the invoice date, without
gaps, taken from a stored counter per year (``counter`` row ``invoice-YYYY``,
SPEC §3): the next number is the counter + 1, never ``max(seq) + 1`` over the
rows left, so a number the purge deleted is never issued again. A writing
unit starts with ``BEGIN IMMEDIATE`` (see ``db._on_begin``), so the counter is
read and moved under the database's write lock: a second process waits for
the first to commit. An error rolls the whole transaction back, so a number
is never taken without its invoice. The ``UNIQUE(year, seq)`` constraint is
the backstop.

Issue dates (art. 35a Wet OB, :func:`issue_date_rule`): an invoice or credit
note is not dated before the latest issue date of its year's documents (the
numbers follow the dates), nor on or before the date until which the
practice closed its books (``practice set --books-closed-until``). The date
of supply (``--supply-date``) is stored only when it differs.

One code path for one invoice and for many: :func:`create_invoice` is
:func:`create_invoices` with one request. It checks every request first
(errors in a batch name the field and the request's position), then, in one
write transaction, reads the clients and pets of the whole batch in one query
each and the practice settings once, reads ``max(seq)`` once per year and
``max(id)`` once (under the write lock; the invoice table has no
AUTOINCREMENT, so ``max(id) + 1 ...`` are the ids SQLite would give), and
writes invoices, lines and payments with one executemany per table
(:class:`~vetcards.invoicing.bulk.BulkInsert`), and the audit entries (one per
invoice, chained in Python) with one more (:func:`audit.record_many`). A credit
note is written by the same :func:`write_documents`.

The invoice keeps a snapshot of the customer's name and address (and birth
date, only for payment on account, SPEC §1) and of the practice's details.
Audit entries carry numbers and amounts in cents, never names or text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Optional, Union

from sqlalchemy import Date, bindparam, column, false, func, insert, or_, select, table, update

from .. import audit, money, settings, validation
from ..defaults import utcnow
from ..errors import Conflict, InvalidInput, NotFound, shown_ref
from ..refs import format_invoice_number, parse
from ..vocab import INVOICE_KINDS, KIND_INVOICE, PAID_AT_ONCE
from .bulk import BulkInsert

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Select
    from sqlalchemy.engine import RowMapping
    from sqlalchemy.sql.expression import TableClause

    from ..db import UnitOfWork

__all__ = [
    "BatchInvalidInput", "BatchNotFound", "COUNTER_PREFIX", "InvoiceRequest", "Issued", "MAX_LINES",
    "REQUIRED_PRACTICE_SETTINGS", "check_date", "check_issue_date", "create_invoice", "create_invoices",
    "format_quantity", "issue_date_rule", "next_id", "next_seq", "practice_snapshot", "supply_date_of",
    "write_documents",
]

#: Practice settings an invoice cannot be issued without (art. 35a Wet OB:
#: the supplier's name, address and VAT identification number).
REQUIRED_PRACTICE_SETTINGS: tuple[tuple[str, str], ...] = (
    ("name", "--name"),
    ("street", "--street"),
    ("postcode", "--postcode"),
    ("city", "--city"),
    ("vat_number", "--btw"),
)

MAX_LINES = 500

# The columns read here, as light Core tables (no ORM models: ``invoice create`` does not import them).
_INVOICE = table("invoice", *(column(n) for n in ("id", "year", "seq", "invoice_date", "kind")))
_CLIENT = table("client", *(column(n) for n in ("id", "number", "name", "street", "postcode", "city", "country",
                                                 "restricted")), column("birth_date", Date))
_PET = table("pet", column("id"), column("number"), column("client_id"))
_COUNTER = table("counter", column("name"), column("value"))
#: The ``counter`` row of a year's invoice numbers is ``invoice-YYYY`` (migration 0004).
COUNTER_PREFIX = "invoice-"
#: Rows by column name, one executemany a table; the database gives lines and payments their ids.
BULK_INVOICE = BulkInsert("invoice")
BULK_LINE = BulkInsert("invoice_line")
BULK_PAYMENT = BulkInsert("payment")


# --------------------------------------------------------------------------
# small helpers (shared with settle.py)
# --------------------------------------------------------------------------


def format_quantity(quantity: Decimal) -> str:
    """A quantity as stored: plain decimal, no exponent, no trailing zeros."""
    out = format(quantity, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out


# Statements an invoice runs every time: built once, their values bound when they run.
_COUNTER_GET = select(_COUNTER.c.value).where(_COUNTER.c.name == bindparam("counter"))
_COUNTER_SET = update(_COUNTER).where(_COUNTER.c.name == bindparam("counter")).values(value=bindparam("value"))
_LATEST_ISSUE = select(func.max(_INVOICE.c.invoice_date)).where(
    _INVOICE.c.invoice_date.between(bindparam("first", type_=Date), bindparam("last", type_=Date)),
    _INVOICE.c.kind.in_(INVOICE_KINDS))


def next_seq(uow: UnitOfWork, year: int, count: int = 1) -> int:
    """Take ``count`` numbers of ``year`` from its stored counter; returns the first.

    Inside the write transaction (the counter moves with the invoices, or not
    at all). A year without a counter row starts after the rows present (a
    database holds a counter for every year it issued in since migration
    0004, so that is 0 in practice).
    """
    name = f"{COUNTER_PREFIX}{year}"
    current = uow.execute(_COUNTER_GET, {"counter": name}).scalar()
    if current is None:
        current = uow.execute(select(func.max(_INVOICE.c.seq)).where(_INVOICE.c.year == year)).scalar() or 0
        uow.execute(insert(_COUNTER).values(name=name, value=current + count))
    else:
        uow.execute(_COUNTER_SET, {"counter": name, "value": current + count})
    return int(current) + 1


def next_id(uow: UnitOfWork) -> int:
    """The id SQLite would give the next invoice (no AUTOINCREMENT), under the write lock."""
    return (uow.execute(select(func.max(_INVOICE.c.id))).scalar() or 0) + 1


def check_date(on: Optional[date], today: date, field: str = "--date") -> date:
    """A document or payment date: default ``today``, never later, not before 1900."""
    on = today if on is None else on
    if not isinstance(on, date):
        raise TypeError(f"{field}: expected a date")
    if on > today:
        raise InvalidInput(field, validation.RULE_FUTURE)
    if on.year < 1900:
        raise InvalidInput(field, validation.RULE_TOO_OLD)
    return on


def issue_date_rule(on: date, latest: Optional[date], closed_until: Optional[date],
                    field: str = "--date") -> None:
    """Art. 35a Wet OB, pure: ``on`` is not before ``latest`` (the latest issue
    date of that year's documents) nor on or before ``closed_until`` (the
    books closed after filing VAT). Raises :class:`InvalidInput` naming the field."""
    if closed_until is not None and on <= closed_until:
        raise InvalidInput(field, f"falls in a closed period: the books are closed until {closed_until.isoformat()} "
                                  "(practice set --books-closed-until)")
    if latest is not None and on < latest:
        raise InvalidInput(field, f"must not be before {latest.isoformat()}, the latest issue date of the invoices "
                                  f"of {on.year} (numbers follow the dates, art. 35a Wet OB)")


def _latest_issue_date(uow: UnitOfWork, year: int) -> Optional[date]:
    # A range on invoice_date (the year of a number is its date's year) lets
    # SQLite read the maximum from ix_invoice_invoice_date instead of scanning
    # the year's invoices (a per-invoice cost in the batch benchmark).
    latest = uow.execute(_LATEST_ISSUE, {"first": date(year, 1, 1), "last": date(year, 12, 31)}).scalar()
    return None if latest is None else date.fromisoformat(str(latest))


def check_issue_date(uow: UnitOfWork, on: date, field: str = "--date") -> None:
    """:func:`issue_date_rule` on the stored invoices and the practice's closed period."""
    issue_date_rule(on, _latest_issue_date(uow, on.year), settings.books_closed_until(uow), field)


def supply_date_of(supply: Optional[date], issue: date, today: date) -> Optional[date]:
    """The date of supply to store: ``None`` when it is the issue date (the default)."""
    if supply is None:
        return None
    supply = check_date(supply, today, "--supply-date")
    return None if supply == issue else supply


def practice_snapshot(uow: UnitOfWork) -> dict[str, str]:
    """The supplier's details every invoice carries (art. 35a Wet OB), or :class:`Conflict`."""
    values = settings.get_all(uow)
    missing = [opt for key, opt in REQUIRED_PRACTICE_SETTINGS if not values.get(key, "").strip()]
    if missing:
        raise Conflict(
            "practice details required on an invoice (art. 35a Wet OB) are missing: "
            + ", ".join(missing)
            + "; set them with: vetcards practice set " + " ".join(f"{m} ..." for m in missing)
        )
    address = f"{values['street']}, {values['postcode']} {values['city']}"
    return {
        "supplier_name": values["name"],
        "supplier_address": address,
        "supplier_vat_number": values["vat_number"],
        "supplier_kvk": values.get("kvk", ""),
        "supplier_iban": values.get("iban", ""),
    }


def line_rows(invoice_id: int, lines: Sequence[money.Line]) -> list[tuple[Any, ...]]:
    """The ``invoice_line`` rows of one document, numbered from 1."""
    row = BULK_LINE.row
    return [row(invoice_id=invoice_id, position=pos, description=line.description,
                quantity=format_quantity(line.quantity), unit_price_cents=line.unit_price_cents,
                vat_rate=line.vat_rate, vat_category=line.vat_category, net_cents=line.net_cents)
            for pos, line in enumerate(lines, start=1)]


def write_documents(uow: UnitOfWork, invoices: Sequence[tuple[Any, ...]], lines: Sequence[tuple[Any, ...]],
                    payments: Sequence[tuple[Any, ...]] = ()) -> None:
    """Write invoice/credit-note rows, their lines and payments: one executemany a table."""
    conn = uow.connection()
    BULK_INVOICE.execute(conn, invoices)
    BULK_LINE.execute(conn, lines)
    BULK_PAYMENT.execute(conn, payments)


@dataclass(frozen=True)
class Issued:
    """What :func:`create_invoice` and :func:`~vetcards.invoicing.credit` return: the new document."""

    id: int
    number: str
    year: int
    seq: int
    kind: str
    status: str
    invoice_date: date
    payment_method: str
    client_number: Optional[str]
    pet_number: Optional[str]
    lines: tuple[money.Line, ...]
    totals: money.Totals
    credits_number: Optional[str] = None
    supply_date: Optional[date] = None

    @property
    def net_cents(self) -> int:
        return self.totals.net_cents

    @property
    def vat_cents(self) -> int:
        return self.totals.vat_cents

    @property
    def gross_cents(self) -> int:
        return self.totals.gross_cents


# --------------------------------------------------------------------------
# requests and their errors
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRequest:
    """One invoice to issue with :func:`create_invoices` (the arguments of :func:`create_invoice`)."""

    client_ref: str
    lines: Sequence[str]
    payment: str
    on: Optional[date] = None
    pet_ref: Optional[str] = None
    supply_date: Optional[date] = None


class BatchInvalidInput(InvalidInput):
    """An invalid request in a batch: ``field`` and ``rule`` as for one invoice,
    plus ``index``, the request's position in the sequence given (from 0)."""

    def __init__(self, field: str, rule: str, index: int) -> None:
        super().__init__(field, rule)
        self.index = index
        self.message = f"{field}: {rule} (requests[{index}])"
        self.args = (self.message,)


class BatchNotFound(NotFound):
    """A client or pet of a request in a batch does not exist; ``index`` as above."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(f"{message} (requests[{index}])")
        self.index = index


def _at(index: Optional[int], error: Exception) -> Exception:
    """``error`` naming the request's position (in a batch), else unchanged."""
    if index is None:
        return error
    if isinstance(error, InvalidInput):
        return BatchInvalidInput(error.field, error.rule, index)
    if isinstance(error, NotFound):
        return BatchNotFound(error.message, index)
    return error  # pragma: no cover - only the two above are raised per request


#: A parsed reference: ``("id", 12)``, ``("number", "K000012")``, or
#: ``("error", NotFound)`` for a reference that cannot exist.
_Ref = tuple[str, Union[int, str, NotFound]]


@dataclass(slots=True)
class _Checked:
    """A request after the checks that need no database."""

    lines: list[money.Line]
    method: str
    invoice_date: date
    supply_date: Optional[date]
    totals: money.Totals
    client: _Ref
    pet: Optional[_Ref]


def _parse_lines(specs: Sequence[str]) -> list[money.Line]:
    if isinstance(specs, str):
        raise TypeError("lines must be a list of line specifications")
    specs = list(specs)
    if not specs:
        raise InvalidInput("--line", f"at least one line is required ({money.LINE_FORM})")
    if len(specs) > MAX_LINES:
        raise InvalidInput("--line", f"at most {MAX_LINES} lines on one invoice")
    return [money.parse_line(spec, "--line") for spec in specs]


def _parse_ref(ref: str, kind: str) -> _Ref:
    """``("id", 12)`` or ``("number", "K000012")``; a ref that cannot exist
    keeps its error, raised when the lookup would have been (same order of
    errors as one lookup at a time)."""
    try:
        return parse(str(ref), "client" if kind == "client" else "pet")
    except NotFound as error:
        return ("error", error)


def _check_request(req: InvoiceRequest, today: date) -> _Checked:
    # The same order of checks as always: lines, payment, date, total.
    parsed = _parse_lines(req.lines)
    method = validation.payment_method(req.payment, field="--payment")
    invoice_date = check_date(req.on, today)
    supply_date = supply_date_of(req.supply_date, invoice_date, today)
    totals = money.compute_totals(parsed)
    if totals.gross_cents <= 0:
        raise InvalidInput("--line", "the invoice total must be greater than zero")
    client = _parse_ref(req.client_ref, "client")
    pet = _parse_ref(req.pet_ref, "pet") if req.pet_ref is not None else None
    return _Checked(parsed, method, invoice_date, supply_date, totals, client, pet)


# --------------------------------------------------------------------------
# lookups: the clients and pets of a whole batch, one query each
# --------------------------------------------------------------------------

_CLIENTS = select(_CLIENT.c.id, _CLIENT.c.number, _CLIENT.c.name, _CLIENT.c.street, _CLIENT.c.postcode,
                  _CLIENT.c.city, _CLIENT.c.country, _CLIENT.c.birth_date).where(_CLIENT.c.restricted == false())
_PETS = (select(_PET.c.id, _PET.c.number, _PET.c.client_id)
         .join_from(_PET, _CLIENT, _CLIENT.c.id == _PET.c.client_id).where(_CLIENT.c.restricted == false()))


@cache
def _by_refs(table: TableClause, stmt: Select[Any]) -> Select[Any]:
    """``stmt`` limited to the rows whose id is in ``:ids`` or whose number is in ``:numbers``."""
    return stmt.where(or_(table.c.id.in_(bindparam("ids", expanding=True)),
                          table.c.number.in_(bindparam("numbers", expanding=True))))


def _lookup(uow: UnitOfWork, table: TableClause, stmt: Select[Any], refs: set[_Ref]) -> dict[_Ref, RowMapping]:
    """Rows by parsed ref (``("id", 12)`` / ``("number", "K000012")``), one query for all refs."""
    ids = sorted(v for how, v in refs if how == "id" and isinstance(v, int))
    numbers = sorted(v for how, v in refs if how == "number" and isinstance(v, str))
    if not ids and not numbers:
        return {}
    found: dict[_Ref, RowMapping] = {}
    rows = uow.execute(_by_refs(table, stmt), {"ids": ids, "numbers": numbers}).mappings()
    for row in rows:
        found[("id", row["id"])] = row
        found[("number", row["number"])] = row
    return found


def _resolve(uow: UnitOfWork, requests: Sequence[InvoiceRequest], checked: Sequence[_Checked],
             batch: bool) -> list[tuple[RowMapping, Optional[int], Optional[str]]]:
    """(client row, pet id, pet number) of every request, in order; errors as one at a time."""
    clients = _lookup(uow, _CLIENT, _CLIENTS, {c.client for c in checked})
    pets = _lookup(uow, _PET, _PETS, {c.pet for c in checked if c.pet is not None})
    resolved: list[tuple[RowMapping, Optional[int], Optional[str]]] = []
    for index, (req, c) in enumerate(zip(requests, checked)):
        try:
            if c.client[0] == "error":
                raise c.client[1]  # type: ignore[misc]
            client = clients.get(c.client)
            if client is None:
                raise NotFound(f"client {shown_ref(req.client_ref)} not found")
            pet_id = pet_number = None
            if c.pet is not None:
                if c.pet[0] == "error":
                    raise c.pet[1]  # type: ignore[misc]
                pet = pets.get(c.pet)
                if pet is None:
                    raise NotFound(f"pet {shown_ref(req.pet_ref)} not found")
                pet_id, pet_number = pet["id"], pet["number"]
                if pet["client_id"] != client["id"]:
                    raise InvalidInput("--pet", "is not an animal of this client")
            if c.method == "account" and client["birth_date"] is None:
                raise InvalidInput(
                    "--payment",
                    "payment on account needs the client's birth date; record it first with: "
                    f"vetcards client edit {client['number']} --birth-date DATE",
                )
        except (InvalidInput, NotFound) as error:
            raise _at(index if batch else None, error) from None
        resolved.append((client, pet_id, pet_number))
    return resolved


# --------------------------------------------------------------------------
# issuing: one code path for one invoice and for a batch
# --------------------------------------------------------------------------


def _check_issue_dates(uow: UnitOfWork, checked: Sequence[_Checked], batch: bool) -> None:
    """The issue-date rule for every request, in the order the numbers are given."""
    closed_until = settings.books_closed_until(uow)
    latest: dict[int, Optional[date]] = {}
    for index, c in enumerate(checked):
        year = c.invoice_date.year
        if year not in latest:
            latest[year] = _latest_issue_date(uow, year)
        try:
            issue_date_rule(c.invoice_date, latest[year], closed_until)
        except InvalidInput as error:
            raise _at(index if batch else None, error) from None
        latest[year] = c.invoice_date


def _issue(uow: UnitOfWork, requests: Sequence[InvoiceRequest], today: date, batch: bool) -> list[Issued]:
    """Validate every request, then write them all in this one transaction and commit.

    ``batch`` decides only whether an error names the request's position.
    """
    # 1. Everything that needs no database, for every request.
    checked: list[_Checked] = []
    for index, req in enumerate(requests):
        try:
            checked.append(_check_request(req, today))
        except (InvalidInput, NotFound) as error:
            raise _at(index if batch else None, error) from None
    if not checked:
        return []

    # 2. Lookups (the first statement takes the write lock: BEGIN IMMEDIATE).
    resolved = _resolve(uow, requests, checked, batch)
    supplier = practice_snapshot(uow)
    _check_issue_dates(uow, checked, batch)

    # 3. Numbers and ids, taken once under the write lock: each year's
    # counter and max(id); nobody else can insert until this transaction ends.
    years = sorted({c.invoice_date.year for c in checked})
    seqs = {year: next_seq(uow, year, sum(c.invoice_date.year == year for c in checked)) for year in years}
    invoice_id = next_id(uow)
    now = utcnow()

    # 4. Rows, built by column name; written with one executemany a table.
    invoice_rows: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    payment_rows: list[tuple[Any, ...]] = []
    audit_entries: list[tuple[str, str, list[Any], dict[str, Any]]] = []
    issued: list[Issued] = []
    invoice_row, payment_row = BULK_INVOICE.row, BULK_PAYMENT.row
    for c, (client, pet_id, pet_number) in zip(checked, resolved):
        invoice_date, method, totals = c.invoice_date, c.method, c.totals
        year = invoice_date.year
        seq = seqs[year]
        seqs[year] = seq + 1
        number = format_invoice_number(year, seq)
        gross = totals.gross_cents
        paid_at_once = method in PAID_AT_ONCE
        status = "paid" if paid_at_once else "open"
        invoice_rows.append(invoice_row(
            id=invoice_id, number=number, year=year, seq=seq, kind=KIND_INVOICE, credits_invoice_id=None,
            client_id=client["id"], pet_id=pet_id, invoice_date=invoice_date, supply_date=c.supply_date,
            payment_method=method, status=status, collected_on=None,
            customer_name=client["name"], customer_street=client["street"],
            customer_postcode=client["postcode"], customer_city=client["city"], customer_country=client["country"],
            customer_birth_date=client["birth_date"] if method == "account" else None,
            **supplier, net_cents=totals.net_cents, vat_cents=totals.vat_cents, gross_cents=gross,
            reason=None, restricted=False, created_at=now,
        ))
        lines += line_rows(invoice_id, c.lines)
        if paid_at_once:
            payment_rows.append(payment_row(invoice_id=invoice_id, paid_on=invoice_date, amount_cents=gross,
                                            method=method, created_at=now, voided_at=None, void_reason=None))
        ids = [number, client["number"]] + ([pet_number] if pet_number else [])
        audit_entries.append((
            "invoice.create", "invoice", ids,
            {
                "lines": len(c.lines),
                "net_cents": totals.net_cents,
                "vat_cents": totals.vat_cents,
                "gross_cents": gross,
                "payment": method,
                "paid_cents": gross if paid_at_once else 0,
            },
        ))
        issued.append(Issued(invoice_id, number, year, seq, KIND_INVOICE, status, invoice_date,
                             method, client["number"], pet_number, tuple(c.lines), totals,
                             supply_date=c.supply_date))
        invoice_id += 1
    write_documents(uow, invoice_rows, lines, payment_rows)
    audit.record_many(uow, audit_entries)
    uow.commit()
    return issued


def create_invoices(
    uow: UnitOfWork,
    requests: Sequence[InvoiceRequest],
    *,
    today: Optional[date] = None,
) -> list[Issued]:
    """Issue several invoices in one transaction: all of them, or none.

    Every request is checked first, by the rules of :func:`create_invoice`;
    an error names the field and the request's position (``requests[i]``, as
    :class:`BatchInvalidInput` / :class:`BatchNotFound` with ``index``) and
    nothing is written. Then, under the write lock, the invoices get
    consecutive numbers per year in the order given, and the invoices, lines,
    payments and audit entries (one per invoice, chained) are written with one
    ``executemany`` a table; the rows of a batch share one ``created_at``.
    Returns the issued invoices in the order given.
    """
    if isinstance(requests, InvoiceRequest):
        raise TypeError("requests must be a sequence of InvoiceRequest")
    requests = list(requests)
    for req in requests:
        if not isinstance(req, InvoiceRequest):
            raise TypeError("requests must be a sequence of InvoiceRequest")
    return _issue(uow, requests, today or date.today(), batch=True)


def create_invoice(
    uow: UnitOfWork,
    client_ref: str,
    lines: Sequence[str],
    payment: str,
    on: Optional[date] = None,
    pet_ref: Optional[str] = None,
    *,
    today: date,
    supply_date: Optional[date] = None,
) -> Issued:
    """Issue an invoice to a client (optionally for one of their pets).

    ``lines`` are raw ``DESCRIPTION;QTY;UNIT_PRICE[;VAT%]`` specifications.
    ``payment`` is cash or pin (paid at once: status ``paid`` with a payment
    on the invoice date) or account (status ``open``; needs the client's
    birth date). ``on`` is the invoice date (default ``today``, never later;
    not before the latest issue date of its year nor in a closed period,
    :func:`issue_date_rule`); ``supply_date`` the date of supply (default the
    invoice date). The batch path with one request (:func:`create_invoices`).
    """
    request = InvoiceRequest(client_ref, lines, payment, on, pet_ref, supply_date)
    return _issue(uow, [request], today, batch=False)[0]
