"""Invoices, payments, collection and credit notes (write side; SPEC §3, §8).

Every use case takes an ORM session, validates all input before it writes,
writes its audit entry in the same transaction and commits; any error leaves
nothing written. Reads for ``show``/``list`` are in :mod:`invoice_views`.

Rules kept here:

* Money is integer cents; lines are parsed and totalled by :mod:`money`
  (VAT per rate, rounded half-up once per rate).
* Numbers are ``YYYY-NNNNN``, consecutive per year of the invoice date, without
  gaps. A write session starts with ``BEGIN IMMEDIATE`` (see ``db._on_begin``),
  so the ``max(seq) + 1`` read and the insert happen under the database's
  write lock: a second process waits for the first to commit, then reads the
  new maximum. An error rolls the whole transaction back, so a number is never
  taken without its invoice. The ``UNIQUE(year, seq)`` constraint is the
  backstop.
* An issued invoice is never edited or deleted here: only its ``status``
  moves (open -> paid / in_collection / credited). Corrections are credit
  notes: a new invoice row (``kind='credit_note'``) with its own number, every
  line's unit price negated, so its totals are exactly the negation.
* The invoice keeps a snapshot of the customer's name and address (and birth
  date, only for payment on account, SPEC §1) and of the practice's details.
* Audit entries carry numbers and amounts in cents, never names or text.
* Issuing has one code path for one invoice and for many:
  :func:`create_invoice` is :func:`create_invoices` with one request. It
  checks every request first (errors in a batch name the field and the
  request's position), then, in one write transaction, reads the clients and
  pets of the whole batch in one query each and the practice settings once,
  reads ``max(seq)`` once per year and ``max(id)`` once (under the write
  lock; the invoice table has no AUTOINCREMENT, so ``max(id) + 1 ...`` are
  the ids SQLite would give), and writes invoices, lines and payments with
  one executemany per table of the compiled Core ``insert`` on the session's
  own connection (:class:`_BulkInsert`), and the audit entries (one per
  invoice, chained in Python) with one more (:func:`audit.record_many`). The
  ORM unit of work, and even Core's per-row parameter handling, cost more
  than the SQL here (SPEC §6; ``benchmarks/bench_invoices.py``).

States: ``open`` (on account, money owed), ``paid``, ``in_collection``,
``credited`` (the invoice was corrected by a credit note; a credit note
itself is also ``credited``: it settles the invoice it corrects, nothing is
owed on either).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import insert, text
from sqlmodel import Session, select

from . import audit, models, money, numbering, settings, validation
from .errors import Conflict, InvalidInput, NotFound, shown_ref
from .invoice_views import format_number, parse_invoice_ref
from .models import Invoice, InvoiceLine, Payment

__all__ = [
    "BatchInvalidInput",
    "BatchNotFound",
    "InvoiceRequest",
    "Issued",
    "KIND_CREDIT_NOTE",
    "KIND_INVOICE",
    "PAY_METHODS",
    "REQUIRED_PRACTICE_SETTINGS",
    "collect",
    "create_invoice",
    "create_invoices",
    "credit",
    "format_number",
    "format_quantity",
    "get_invoice",
    "lines_of",
    "next_seq",
    "paid_cents",
    "parse_invoice_ref",
    "pay_invoice",
    "totals_of",
]

KIND_INVOICE = "invoice"
KIND_CREDIT_NOTE = "credit_note"

#: Methods of a later payment (``invoice pay --method``).
PAY_METHODS: tuple[str, ...] = ("pin", "cash", "transfer")
#: Payment methods at creation that mean "paid at once".
_PAID_AT_ONCE = ("cash", "pin")

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


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------


def format_quantity(quantity: Decimal) -> str:
    """A quantity as stored: plain decimal, no exponent, no trailing zeros."""
    out = format(quantity, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out


def next_seq(conn: Any, year: int) -> int:
    """The next sequence number of ``year``, read inside the write transaction."""
    current = conn.execute(
        text("SELECT max(seq) FROM invoice WHERE year = :y"), {"y": year}
    ).scalar()
    return (current or 0) + 1


def lines_of(invoice: Invoice) -> list[money.Line]:
    """The stored lines of an invoice as :class:`money.Line` objects."""
    return [
        money.Line(l.description, Decimal(l.quantity), l.unit_price_cents, l.vat_rate)
        for l in sorted(invoice.lines, key=lambda l: l.position)
    ]


def totals_of(invoice: Invoice) -> money.Totals:
    """Totals per VAT rate, computed again from the stored lines."""
    return money.compute_totals(lines_of(invoice))


def paid_cents(session: Session, invoice_id: int) -> int:
    return session.execute(
        text("SELECT coalesce(sum(amount_cents), 0) FROM payment WHERE invoice_id = :i"),
        {"i": invoice_id},
    ).scalar_one()


def get_invoice(session: Session, ref: str, *, include_restricted: bool = False) -> Invoice:
    """Find an invoice or credit note by number (``2026-00042``) or id."""
    how, value = parse_invoice_ref(ref)
    stmt = select(Invoice).where(Invoice.id == value if how == "id" else Invoice.number == value)
    invoice = session.exec(stmt).first()
    if invoice is None or (invoice.restricted and not include_restricted):
        raise NotFound(f"invoice {shown_ref(ref)} not found")
    return invoice


@dataclass(frozen=True)
class _ClientRow:
    id: int
    number: str
    name: str
    street: str
    postcode: str
    city: str
    birth_date: Optional[date]


def _practice_snapshot(conn: Any) -> dict[str, str]:
    values = settings.get_all(conn)
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


def _parse_lines(specs: Sequence[str]) -> list[money.Line]:
    if isinstance(specs, str):
        raise TypeError("lines must be a list of line specifications")
    specs = list(specs)
    if not specs:
        raise InvalidInput("--line", f"at least one line is required ({money.LINE_FORM})")
    if len(specs) > MAX_LINES:
        raise InvalidInput("--line", f"at most {MAX_LINES} lines on one invoice")
    return [money.parse_line(spec, "--line") for spec in specs]


def _check_date(on: Optional[date], today: date, field: str = "--date") -> date:
    on = today if on is None else on
    if not isinstance(on, date):
        raise TypeError(f"{field}: expected a date")
    if on > today:
        raise InvalidInput(field, "must not be in the future")
    if on.year < 1900:
        raise InvalidInput(field, "must not be before 1900-01-01")
    return on


@dataclass(frozen=True)
class Issued:
    """What :func:`create_invoice` and :func:`credit` return: the new document."""

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


_INSERT_INVOICE = insert(Invoice.__table__)
_INSERT_LINE = insert(InvoiceLine.__table__)
_INSERT_PAYMENT = insert(Payment.__table__)


class _BulkInsert:
    """A Core ``insert`` of a table's named columns, run as one executemany of tuples.

    The statement is ``insert(table)`` compiled by SQLAlchemy once per
    dialect; each value goes through its column type's own bind processor
    (dates, booleans, aware datetimes), exactly as ``conn.execute(insert(...),
    [dict, ...])`` would do, and the rows go to the driver's ``executemany``
    on the same connection and transaction with ``exec_driver_sql``. What this
    skips is Core's per-row parameter bookkeeping (building a parameter dict
    and looking up processors for every row): for 1,000 invoices that was
    ~14 ms, as much as writing the rows (``benchmarks/bench_invoices.py``).
    """

    def __init__(self, table: Any, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        # Per dialect (one per engine), forgotten with it.
        self._compiled: weakref.WeakKeyDictionary[Any, tuple[str, tuple[tuple[int, Any], ...]]] = (
            weakref.WeakKeyDictionary())

    def _for(self, dialect: Any) -> tuple[str, tuple[tuple[int, Any], ...]]:
        got = self._compiled.get(dialect)
        if got is None:
            compiled = insert(self.table).compile(dialect=dialect, column_keys=list(self.columns))
            if list(compiled.positiontup or ()) != list(self.columns):  # pragma: no cover - not SQLite
                raise RuntimeError(f"{self.table.name}: insert parameters not in column order")
            processors = tuple(
                (i, proc) for i, name in enumerate(self.columns)
                if (proc := self.table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            )
            got = self._compiled[dialect] = (compiled.string, processors)
        return got

    def execute(self, conn: Any, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        sql, processors = self._for(conn.dialect)
        if processors:
            # A processor is a pure function of its value, and a batch repeats
            # values (its date, its timestamp): each distinct one once.
            memo: dict[tuple[int, Any], Any] = {}
            processed = []
            for row in rows:
                values = list(row)
                for i, proc in processors:
                    value = values[i]
                    if value is not None:
                        key = (i, value)
                        out = memo.get(key, memo)
                        if out is memo:
                            out = memo[key] = proc(value)
                        values[i] = out
                processed.append(tuple(values))
            rows = processed
        conn.exec_driver_sql(sql, rows)


_INVOICE_COLUMNS = (
    "id", "number", "year", "seq", "kind", "credits_invoice_id", "client_id", "pet_id",
    "invoice_date", "payment_method", "status", "customer_name", "customer_street",
    "customer_postcode", "customer_city", "customer_birth_date", "supplier_name",
    "supplier_address", "supplier_vat_number", "supplier_kvk", "supplier_iban",
    "net_cents", "vat_cents", "gross_cents", "reason", "restricted", "created_at",
)
_BULK_INVOICE = _BulkInsert(Invoice.__table__, _INVOICE_COLUMNS)
_BULK_LINE = _BulkInsert(InvoiceLine.__table__, (
    "invoice_id", "position", "description", "quantity", "unit_price_cents", "vat_rate", "net_cents"))
_BULK_PAYMENT = _BulkInsert(Payment.__table__, ("invoice_id", "paid_on", "amount_cents", "method", "created_at"))


def _insert_invoice(conn: Any, values: dict[str, Any], lines: Sequence[money.Line],
                    payment: Optional[dict[str, Any]] = None) -> int:
    """Write one invoice row, its lines and an optional payment (Core; lines by executemany)."""
    result = conn.execute(_INSERT_INVOICE, values)
    invoice_id = result.inserted_primary_key[0]
    conn.execute(
        _INSERT_LINE,
        [
            {"invoice_id": invoice_id, "position": pos, "description": line.description,
             "quantity": format_quantity(line.quantity), "unit_price_cents": line.unit_price_cents,
             "vat_rate": line.vat_rate, "net_cents": line.net_cents}
            for pos, line in enumerate(lines, start=1)
        ],
    )
    if payment is not None:
        conn.execute(_INSERT_PAYMENT, dict(payment, invoice_id=invoice_id))
    return invoice_id


# --------------------------------------------------------------------------
# issuing invoices: one code path for one invoice and for a batch
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


@dataclass(slots=True)
class _Checked:
    """A request after the checks that need no database."""

    lines: list[money.Line]
    method: str
    invoice_date: date
    totals: money.Totals
    client: tuple[str, Any]
    pet: Optional[tuple[str, Any]]


def _check_request(req: InvoiceRequest, today: date) -> _Checked:
    # The same order of checks as always: lines, payment, date, total.
    parsed = _parse_lines(req.lines)
    method = validation.payment_method(req.payment, field="--payment")
    invoice_date = _check_date(req.on, today)
    totals = money.compute_totals(parsed)
    if totals.gross_cents <= 0:
        raise InvalidInput("--line", "the invoice total must be greater than zero")
    client = _parse_ref(req.client_ref, "client")
    pet = _parse_ref(req.pet_ref, "pet") if req.pet_ref is not None else None
    return _Checked(parsed, method, invoice_date, totals, client, pet)


def _parse_ref(ref: str, kind: str) -> tuple[str, Any]:
    """``("id", 12)`` or ``("number", "K000012")``; a ref that cannot exist
    keeps its error, raised when the lookup would have been (same order of
    errors as one lookup at a time)."""
    try:
        return numbering.parse_ref(str(ref), kind)
    except NotFound as error:
        return ("error", error)


_CLIENTS_SQL = text(
    "SELECT id, number, name, street, postcode, city, birth_date FROM client "
    "WHERE restricted = 0 AND (id IN (SELECT value FROM json_each(:ids)) "
    "OR number IN (SELECT value FROM json_each(:numbers)))"
)
_PETS_SQL = text(
    "SELECT p.id, p.number, p.client_id FROM pet p JOIN client c ON c.id = p.client_id "
    "WHERE c.restricted = 0 AND (p.id IN (SELECT value FROM json_each(:ids)) "
    "OR p.number IN (SELECT value FROM json_each(:numbers)))"
)


def _lookup(conn: Any, sql: Any, refs: set[tuple[str, Any]]) -> dict[tuple[str, Any], Any]:
    """Rows by parsed ref (``("id", 12)`` / ``("number", "K000012")``), one query for all refs."""
    if not refs:
        return {}
    ids = sorted(v for how, v in refs if how == "id")
    numbers = sorted(v for how, v in refs if how == "number")
    if not ids and not numbers:
        return {}
    found: dict[tuple[str, Any], Any] = {}
    for row in conn.execute(sql, {"ids": json.dumps(ids), "numbers": json.dumps(numbers)}):
        found[("id", row[0])] = row
        found[("number", row[1])] = row
    return found


def _client_row(row: Any) -> _ClientRow:
    birth = row[6]
    if birth is not None and not isinstance(birth, date):
        birth = date.fromisoformat(str(birth))
    return _ClientRow(row[0], row[1], row[2], row[3], row[4], row[5], birth)


def _issue(session: Session, requests: Sequence[InvoiceRequest], today: date, batch: bool) -> list[Issued]:
    """Validate every request, then write them all in this one transaction.

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
    # Core statements on the session's own connection and transaction; the
    # clients of the whole batch in one query, their pets in one more.
    conn = session.connection()
    clients = _lookup(conn, _CLIENTS_SQL, {c.client for c in checked})
    pets = _lookup(conn, _PETS_SQL, {c.pet for c in checked if c.pet is not None})
    client_rows: dict[int, _ClientRow] = {}
    resolved: list[tuple[_ClientRow, Optional[int], Optional[str]]] = []
    for index, (req, c) in enumerate(zip(requests, checked)):
        try:
            if c.client[0] == "error":
                raise c.client[1]
            row = clients.get(c.client)
            if row is None:
                raise NotFound(f"client {shown_ref(req.client_ref)} not found")
            client = client_rows.get(row[0]) or client_rows.setdefault(row[0], _client_row(row))
            pet_id = pet_number = None
            if c.pet is not None:
                if c.pet[0] == "error":
                    raise c.pet[1]
                pet = pets.get(c.pet)
                if pet is None:
                    raise NotFound(f"pet {shown_ref(req.pet_ref)} not found")
                pet_id, pet_number = pet[0], pet[1]
                if pet[2] != client.id:
                    raise InvalidInput("--pet", "is not an animal of this client")
            if c.method == "account" and client.birth_date is None:
                raise InvalidInput(
                    "--payment",
                    "payment on account needs the client's birth date (SPEC §1); record it first with: "
                    f"vetcards client edit {client.number} --birth-date DATE",
                )
        except (InvalidInput, NotFound) as error:
            raise _at(index if batch else None, error) from None
        resolved.append((client, pet_id, pet_number))
    supplier = _practice_snapshot(conn)

    # 3. Numbers and ids, read once under the write lock: max(seq) per year
    # and max(id); nobody else can insert until this transaction ends.
    seqs = {
        year: next_seq(conn, year) for year in sorted({c.invoice_date.year for c in checked})
    }
    next_id = (conn.execute(text("SELECT max(id) FROM invoice")).scalar() or 0) + 1
    now = models.utcnow()

    # 4. Rows, built here as tuples; written with one executemany a table.
    invoice_rows: list[tuple[Any, ...]] = []
    line_rows: list[tuple[Any, ...]] = []
    payment_rows: list[tuple[Any, ...]] = []
    audit_entries: list[tuple[str, str, list[Any], dict[str, Any]]] = []
    issued: list[Issued] = []
    supplier_values = (supplier["supplier_name"], supplier["supplier_address"],
                       supplier["supplier_vat_number"], supplier["supplier_kvk"],
                       supplier["supplier_iban"])
    for c, (client, pet_id, pet_number) in zip(checked, resolved):
        invoice_id = next_id
        next_id += 1
        invoice_date = c.invoice_date
        year = invoice_date.year
        seq = seqs[year]
        seqs[year] = seq + 1
        number = format_number(year, seq)
        method = c.method
        totals = c.totals
        gross = totals.gross_cents
        paid_at_once = method in _PAID_AT_ONCE
        status = "paid" if paid_at_once else "open"
        # In the order of _INVOICE_COLUMNS.
        invoice_rows.append((
            invoice_id, number, year, seq, KIND_INVOICE, None, client.id, pet_id,
            invoice_date, method, status, client.name, client.street,
            client.postcode, client.city, client.birth_date if method == "account" else None,
            *supplier_values, totals.net_cents, totals.vat_cents, gross, None, False, now,
        ))
        for pos, line in enumerate(c.lines, start=1):
            line_rows.append((invoice_id, pos, line.description, format_quantity(line.quantity),
                              line.unit_price_cents, line.vat_rate, line.net_cents))
        if paid_at_once:
            payment_rows.append((invoice_id, invoice_date, gross, method, now))
        ids = [number, client.number] + ([pet_number] if pet_number else [])
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
                             method, client.number, pet_number, tuple(c.lines), totals))
    _BULK_INVOICE.execute(conn, invoice_rows)
    _BULK_LINE.execute(conn, line_rows)
    _BULK_PAYMENT.execute(conn, payment_rows)
    audit.record_many(conn, audit_entries, actor=session.info.get("actor"))
    session.commit()
    return issued


def create_invoices(
    session: Session,
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
    return _issue(session, requests, today or date.today(), batch=True)


def create_invoice(
    session: Session,
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
    return _issue(session, [request], today, batch=False)[0]


# --------------------------------------------------------------------------
# use cases
# --------------------------------------------------------------------------


def pay_invoice(
    session: Session,
    ref: str,
    amount_str: str,
    method: str = "transfer",
    on: Optional[date] = None,
    *,
    today: Optional[date] = None,
) -> tuple[Invoice, Payment, int]:
    """Record a (partial) payment; returns (invoice, payment, balance left in cents).

    Overpayment is refused; when the balance reaches zero the invoice is paid.
    Credit notes and credited invoices take no payments.
    """
    amount = money.parse_amount(amount_str, "--amount")
    method_ = (method or "").strip().lower()
    if method_ not in PAY_METHODS:
        raise InvalidInput("--method", "must be one of: " + ", ".join(PAY_METHODS))
    today = today or date.today()
    paid_on = _check_date(on, today)
    invoice = get_invoice(session, ref)
    if invoice.kind == KIND_CREDIT_NOTE:
        raise Conflict(f"invoice {invoice.number} is a credit note; it takes no payments")
    if invoice.status == "credited":
        raise Conflict(f"invoice {invoice.number} is credited; it takes no payments")
    if paid_on < invoice.invoice_date:
        raise InvalidInput("--date", "must not be before the invoice date")
    already = paid_cents(session, invoice.id)
    owed = invoice.gross_cents - already
    if owed <= 0:
        raise Conflict(f"invoice {invoice.number} is already paid")
    if amount > owed:
        raise InvalidInput(
            "--amount", f"exceeds the amount still owed ({money.format_cents(owed)}); overpayment is refused"
        )
    payment = Payment(invoice_id=invoice.id, paid_on=paid_on, amount_cents=amount, method=method_)
    session.add(payment)
    balance = owed - amount
    if balance == 0:
        invoice.status = "paid"
        session.add(invoice)
    session.flush()
    audit.record(
        session, "invoice.pay", "invoice", [invoice.number],
        {"amount_cents": amount, "method": method_, "balance_cents": balance, "status": invoice.status},
    )
    session.commit()
    return invoice, payment, balance


def collect(session: Session, ref: str) -> tuple[Invoice, int]:
    """Hand an open invoice over for collection; returns (invoice, balance in cents)."""
    invoice = get_invoice(session, ref)
    if invoice.kind == KIND_CREDIT_NOTE:
        raise Conflict(f"invoice {invoice.number} is a credit note; it cannot be collected")
    if invoice.status != "open":
        state = invoice.status.replace("_", " ")
        raise Conflict(f"invoice {invoice.number} is {state}; only an open invoice can go to collection")
    balance = invoice.gross_cents - paid_cents(session, invoice.id)
    invoice.status = "in_collection"
    session.add(invoice)
    session.flush()
    audit.record(session, "invoice.collect", "invoice", [invoice.number], {"balance_cents": balance})
    session.commit()
    return invoice, balance


def credit(
    session: Session,
    ref: str,
    reason: Optional[str] = None,
    *,
    on: Optional[date] = None,
    today: Optional[date] = None,
) -> tuple[Issued, Invoice]:
    """Correct an invoice with a credit note; returns (credit note, original).

    The credit note gets its own next number (in the year of its date), the
    original's customer snapshot, the practice's current details, every line
    with its unit price negated (so every total is exactly the negation), and
    ``credits_invoice_id``. The original's status becomes ``credited``; its
    rows are not otherwise touched.
    """
    reason_text = validation.text(reason, field="--reason", max_len=500, required=False)
    today = today or date.today()
    credit_date = _check_date(on, today)
    original = get_invoice(session, ref)
    if original.kind == KIND_CREDIT_NOTE:
        raise Conflict(f"{original.number} is a credit note; a credit note cannot be credited")
    if original.status == "credited":
        raise Conflict(f"invoice {original.number} is already credited")
    already = session.execute(
        text("SELECT count(*) FROM invoice WHERE credits_invoice_id = :i"), {"i": original.id}
    ).scalar_one()
    if already:  # pragma: no cover - status says so too; belt and braces
        raise Conflict(f"invoice {original.number} is already credited")
    if credit_date < original.invoice_date:
        raise InvalidInput("--date", "must not be before the date of the invoice it credits")

    negated = [line.negated() for line in lines_of(original)]
    totals = money.compute_totals(negated)
    expected = money.negate(money.Totals((), original.net_cents, original.vat_cents, original.gross_cents))
    if (totals.net_cents, totals.vat_cents, totals.gross_cents) != (
        expected.net_cents, expected.vat_cents, expected.gross_cents
    ):  # pragma: no cover - money's rounding is symmetric; this guards stored data
        raise Conflict(f"invoice {original.number}: stored totals do not match its lines; not credited")
    supplier = _practice_snapshot(session)

    year = credit_date.year
    seq = next_seq(session, year)
    number = format_number(year, seq)
    note_id = _insert_invoice(
        session.connection(),
        dict(
            number=number, year=year, seq=seq, kind=KIND_CREDIT_NOTE,
            credits_invoice_id=original.id, client_id=original.client_id, pet_id=original.pet_id,
            invoice_date=credit_date, payment_method=original.payment_method, status="credited",
            customer_name=original.customer_name, customer_street=original.customer_street,
            customer_postcode=original.customer_postcode, customer_city=original.customer_city,
            customer_birth_date=original.customer_birth_date,
            net_cents=totals.net_cents, vat_cents=totals.vat_cents,
            gross_cents=totals.gross_cents, reason=reason_text, **supplier,
        ),
        negated,
    )
    original.status = "credited"
    session.add(original)
    session.flush()
    audit.record(
        session, "invoice.credit", "invoice", [number, original.number],
        {
            "lines": len(negated),
            "net_cents": totals.net_cents,
            "vat_cents": totals.vat_cents,
            "gross_cents": totals.gross_cents,
            "paid_cents": paid_cents(session, original.id),
            "reason_given": reason_text is not None,
        },
    )
    client_number = session.execute(
        text("SELECT number FROM client WHERE id = :c"), {"c": original.client_id}
    ).scalar() if original.client_id else None
    pet_number = session.execute(
        text("SELECT number FROM pet WHERE id = :p"), {"p": original.pet_id}
    ).scalar() if original.pet_id else None
    session.commit()
    note = Issued(note_id, number, year, seq, KIND_CREDIT_NOTE, "credited", credit_date,
                  original.payment_method, client_number, pet_number, tuple(negated), totals,
                  credits_number=original.number)
    return note, original
