"""One resolver from a reference to a row: client, pet or invoice.

A reference is what a person types: a number (``K000012``, ``P000003``,
``2026-00042``, any case, spaces around) or a numeric row id (``12``).
:func:`parse` says which; :func:`find` reads the row (``id``, ``number`` and
the columns asked for) in the caller's unit of work and raises
:class:`NotFound` when there is none, or when it is restricted (kept only for
a hold, GDPR art. 18) and ``include_restricted`` is not set:

* a client is restricted by its own ``restricted`` flag;
* a pet by its owner's (a pet has no flag of its own);
* an invoice by its own flag.

The error names the reference only when it looks like a number or an id
(:func:`errors.shown_ref`): a name typed in the wrong place is never echoed;
the line points to ``vetcards client search`` instead.

A reference with leading zeros (``00004``, ``000012``) is never a row id: it
is a number typed without its prefix or year, refused with the form numbers
take (``invoice pay 00004`` must not pay invoice id 4).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Union

from sqlalchemy import Select, column, select, table
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.expression import TableClause

from .errors import InvalidInput, NotFound, shown_ref
from .export_schema import IMPORTED_PREFIX

if TYPE_CHECKING:
    from .db import UnitOfWork

__all__ = ["Kind", "find", "find_id", "format_invoice_number", "not_found", "numbers", "parse"]

Kind = Literal["client", "pet", "invoice"]
How = Literal["id", "number"]

#: The largest SQLite row id (a signed 64-bit integer): a larger id cannot exist.
MAX_ROWID = 2**63 - 1

_INVOICE_NUMBER = re.compile(r"([0-9]{4})-([0-9]{1,})", re.ASCII)
#: An invoice imported from another practice, as ``invoice list`` prints it: ``IMP1:2026-00001``.
_IMPORTED_NUMBER = re.compile(IMPORTED_PREFIX + r"([0-9]+):(\S{1,40})", re.ASCII | re.IGNORECASE)


#: How each kind of number looks, for the line that refuses a reference.
_FORMS: dict[str, str] = {"client": "K000012", "pet": "P000034", "invoice": "2026-00042"}
#: Where to look when a name was typed where a number belongs.
_SEARCH_HINT: dict[str, str] = {
    "client": "to find a client by name, phone or address: vetcards client search TEXT",
    "pet": "to find a pet by its name or chip: vetcards client search TEXT",
    "invoice": "to find a client's invoices: vetcards client search TEXT, then vetcards invoice list --client "
               "K000012",
}


def not_found(kind: Kind, ref: str) -> NotFound:
    """``client K000099 not found``; for something that is not a number at all (a name), where to search."""
    shown, typed = shown_ref(ref), str(ref).strip()
    if shown == typed or (kind == "invoice" and _IMPORTED_NUMBER.fullmatch(typed)):  # a number: no hint
        return NotFound(f"{kind} {shown} not found")
    return NotFound(f"{kind} not found ({kind} numbers look like {_FORMS[kind]}); {_SEARCH_HINT[kind]}")


def format_invoice_number(year: int, seq: int) -> str:
    """``(2026, 42)`` -> ``"2026-00042"``."""
    return f"{year:04d}-{seq:05d}"


def parse(ref: str, kind: Kind) -> tuple[How, Union[int, str]]:
    """``"12"`` -> ("id", 12); ``"k000012"`` -> ("number", "K000012");
    ``"2026-42"`` (invoice) -> ("number", "2026-00042"); an imported invoice
    as listed, ``"imp1:2026-00001"`` -> ("number", "IMP1:2026-00001").

    An id too large to exist is :class:`NotFound`; an invoice reference that
    is neither an id nor ``YYYY-NNNNN`` is :class:`InvalidInput`.
    """
    value = str(ref).strip()
    if value.isascii() and value.isdigit():
        if len(value) > 1 and value.startswith("0"):  # a number without its prefix or year, never an id
            raise InvalidInput(kind.upper(), f"{kind} numbers look like {_FORMS[kind]} (a numeric id has no "
                                             "leading zeros)")
        number = int(value)
        if number > MAX_ROWID:  # SQLite cannot even bind it: no such row
            raise NotFound(f"{kind} {shown_ref(ref)} not found")
        return "id", number
    if kind == "invoice":
        imported = _IMPORTED_NUMBER.fullmatch(value)
        if imported is not None:
            return "number", f"{IMPORTED_PREFIX}{int(imported[1])}:{imported[2]}"
        match = _INVOICE_NUMBER.fullmatch(value)
        if match is None:
            hint = f"; {_SEARCH_HINT[kind]}" if shown_ref(value) != value else ""  # a name where the number belongs
            raise InvalidInput("INVOICE", "must be an invoice number like 2026-00042 (IMP1:2026-00001 when "
                                          f"imported) or a numeric id{hint}")
        return "number", format_invoice_number(int(match[1]), int(match[2]))
    return "number", value.upper()


def _table(kind: Kind, wanted: Sequence[str]) -> TableClause:
    link = "client_id" if kind == "pet" else "restricted"
    return table(kind, *(column(n) for n in dict.fromkeys((*wanted, link))))


def _unrestricted(stmt: Select[Any], kind: Kind, t: TableClause) -> Select[Any]:
    """``stmt`` without restricted rows (a pet by its owner's flag)."""
    if kind == "pet":
        owner = table("client", column("id"), column("restricted"))
        return stmt.join_from(t, owner, owner.c.id == t.c.client_id).where(owner.c.restricted == 0)
    return stmt.where(t.c.restricted == 0)


def numbers(uow: UnitOfWork, kind: Kind) -> list[str]:
    """Every number of ``kind`` a person may type, sorted (restricted rows left out): for completion.

    Numbers only, no personal data, so the read is not an audited access.
    """
    t = _table(kind, ("number",))
    stmt = _unrestricted(select(t.c.number), kind, t).order_by(t.c.number)
    return [row.number for row in uow.execute(stmt)]


def find(uow: UnitOfWork, kind: Kind, ref: str, columns: Sequence[str] = (), *,
         include_restricted: bool = False) -> RowMapping:
    """The row of ``kind`` that ``ref`` names: ``id``, ``number`` and ``columns``."""
    how, value = parse(ref, kind)
    wanted = list(dict.fromkeys(("id", "number", *columns)))
    t = _table(kind, wanted)
    stmt = select(*(t.c[n] for n in wanted)).where(t.c[how] == value)
    if not include_restricted:
        stmt = _unrestricted(stmt, kind, t)
    row = uow.execute(stmt).mappings().first()
    if row is None:
        raise not_found(kind, ref)
    return row


def find_id(uow: UnitOfWork, kind: Kind, ref: str, *, include_restricted: bool = False) -> int:
    """The row id of the ``kind`` that ``ref`` names (see :func:`find`)."""
    return int(find(uow, kind, ref, include_restricted=include_restricted)["id"])
