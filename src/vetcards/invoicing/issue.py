"""Issuing invoices: checks, numbers, the practice snapshot, the batch write.

Numbers are ``YYYY-NNNNN``, consecutive per year of the invoice date, without
gaps. A writing unit starts with ``BEGIN IMMEDIATE`` (see ``db._on_begin``),
so the ``max(seq) + 1`` read and the insert happen under the database's write
lock: a second process waits for the first to commit, then reads the new
maximum. An error rolls the whole transaction back, so a number is never
taken without its invoice. The ``UNIQUE(year, seq)`` constraint is the
backstop.

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
from typing import TYPE_CHECKING, Any, Optional, Union

from sqlalchemy import false, func, or_, select

from .. import audit, money, settings, validation
from ..errors import Conflict, InvalidInput, NotFound, shown_ref
from ..models import SQLModel, utcnow
from ..refs import format_invoice_number, parse
from ..vocab import KIND_INVOICE, PAID_AT_ONCE
from .bulk import BulkInsert

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Select, Table
    from sqlalchemy.engine import RowMapping

    from ..db import UnitOfWork

__all__ = [
    "BatchInvalidInput", "BatchNotFound", "InvoiceRequest", "Issued", "MAX_LINES",
    "REQUIRED_PRACTICE_SETTINGS", "check_date", "create_invoice", "create_invoices", "format_quantity",
    "next_id", "next_seq", "practice_snapshot", "write_documents",
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

_TABLES = SQLModel.metadata.tables
_INVOICE, _CLIENT, _PET = _TABLES["invoice"], _TABLES["client"], _TABLES["pet"]
BULK_INVOICE = BulkInsert(_INVOICE)
BULK_LINE = BulkInsert(_TABLES["invoice_line"], exclude=("id",))
BULK_PAYMENT = BulkInsert(_TABLES["payment"], exclude=("id",))


# --------------------------------------------------------------------------
# small helpers (shared with settle.py)
# --------------------------------------------------------------------------


def format_quantity(quantity: Decimal) -> str:
    """A quantity as stored: plain decimal, no exponent, no trailing zeros."""
    out = format(quantity, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out


def next_seq(uow: UnitOfWork, year: int) -> int:
    """The next sequence number of ``year``, read inside the write transaction."""
    current = uow.execute(select(func.max(_INVOICE.c.seq)).where(_INVOICE.c.year == year)).scalar()
    return (current or 0) + 1


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
                vat_rate=line.vat_rate, net_cents=line.net_cents)
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
    totals = money.compute_totals(parsed)
    if totals.gross_cents <= 0:
        raise InvalidInput("--line", "the invoice total must be greater than zero")
    client = _parse_ref(req.client_ref, "client")
    pet = _parse_ref(req.pet_ref, "pet") if req.pet_ref is not None else None
    return _Checked(parsed, method, invoice_date, totals, client, pet)


# --------------------------------------------------------------------------
# lookups: the clients and pets of a whole batch, one query each
# --------------------------------------------------------------------------

_CLIENTS = select(_CLIENT.c.id, _CLIENT.c.number, _CLIENT.c.name, _CLIENT.c.street, _CLIENT.c.postcode,
                  _CLIENT.c.city, _CLIENT.c.birth_date).where(_CLIENT.c.restricted == false())
_PETS = (select(_PET.c.id, _PET.c.number, _PET.c.client_id)
         .join_from(_PET, _CLIENT, _CLIENT.c.id == _PET.c.client_id).where(_CLIENT.c.restricted == false()))


def _lookup(uow: UnitOfWork, table: Table, stmt: Select[Any], refs: set[_Ref]) -> dict[_Ref, RowMapping]:
    """Rows by parsed ref (``("id", 12)`` / ``("number", "K000012")``), one query for all refs."""
    ids = sorted(v for how, v in refs if how == "id" and isinstance(v, int))
    numbers = sorted(v for how, v in refs if how == "number" and isinstance(v, str))
    if not ids and not numbers:
        return {}
    found: dict[_Ref, RowMapping] = {}
    rows = uow.execute(stmt.where(or_(table.c.id.in_(ids), table.c.number.in_(numbers)))).mappings()
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
                    "payment on account needs the client's birth date (SPEC §1); record it first with: "
                    f"vetcards client edit {client['number']} --birth-date DATE",
                )
        except (InvalidInput, NotFound) as error:
            raise _at(index if batch else None, error) from None
        resolved.append((client, pet_id, pet_number))
    return resolved


# --------------------------------------------------------------------------
# issuing: one code path for one invoice and for a batch
# --------------------------------------------------------------------------


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

    # 3. Numbers and ids, read once under the write lock: max(seq) per year
    # and max(id); nobody else can insert until this transaction ends.
    seqs = {year: next_seq(uow, year) for year in sorted({c.invoice_date.year for c in checked})}
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
            client_id=client["id"], pet_id=pet_id, invoice_date=invoice_date, payment_method=method,
            status=status, customer_name=client["name"], customer_street=client["street"],
            customer_postcode=client["postcode"], customer_city=client["city"],
            customer_birth_date=client["birth_date"] if method == "account" else None,
            **supplier, net_cents=totals.net_cents, vat_cents=totals.vat_cents, gross_cents=gross,
            reason=None, restricted=False, created_at=now,
        ))
        lines += line_rows(invoice_id, c.lines)
        if paid_at_once:
            payment_rows.append(payment_row(invoice_id=invoice_id, paid_on=invoice_date, amount_cents=gross,
                                            method=method, created_at=now))
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
                             method, client["number"], pet_number, tuple(c.lines), totals))
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
) -> Issued:
    """Issue an invoice to a client (optionally for one of their pets).

    ``lines`` are raw ``DESCRIPTION;QTY;UNIT_PRICE[;VAT%]`` specifications.
    ``payment`` is cash or pin (paid at once: status ``paid`` with a payment
    on the invoice date) or account (status ``open``; needs the client's
    birth date). ``on`` is the invoice date (default ``today``, never later).
    The batch path with one request (:func:`create_invoices`).
    """
    request = InvoiceRequest(client_ref, lines, payment, on, pet_ref)
    return _issue(uow, [request], today, batch=False)[0]
