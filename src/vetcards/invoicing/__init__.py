"""Invoices, payments, collection and credit notes (write side; SPEC §3, §8).

By job:

* :mod:`.issue`: issuing one invoice or a batch: checks, numbers
  (``YYYY-NNNNN``, gap-free per year under the write lock, from a stored
  counter per year so a purged number is never issued again), the issue-date
  rules (art. 35a Wet OB: in order per year, never in a closed period), the
  date of supply, the practice and customer snapshot, the batch write;
* :mod:`.settle`: what happens after: payments (and voiding one booked in
  error), collection, credit notes and refunds on them;
* :mod:`.bulk`: one ``executemany`` of a table's rows, in the table's column
  order (the fast path of issuing).

Every use case takes a :class:`~vetcards.db.UnitOfWork`, validates all input
before it writes, writes its audit entry in the same transaction and commits;
any error leaves nothing written. Money is integer cents; lines are parsed and
totalled by :mod:`vetcards.money` (VAT per rate, rounded half-up once per
rate). Reads for ``show``/``list`` are in :mod:`vetcards.invoice_views`.

States (codes and labels in :mod:`vetcards.vocab`): ``open`` (on account,
money owed), ``paid``, ``in_collection``, ``credited`` (the invoice was
corrected by a credit note; a credit note itself is also ``credited``: it
settles the invoice it corrects, nothing is owed on either).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..refs import format_invoice_number as format_number
from ..vocab import KIND_CREDIT_NOTE, KIND_INVOICE, PAY_METHODS
from .issue import (
    REQUIRED_PRACTICE_SETTINGS,
    BatchInvalidInput,
    BatchNotFound,
    InvoiceRequest,
    Issued,
    create_invoice,
    create_invoices,
    format_quantity,
    next_seq,
)

if TYPE_CHECKING:  # pragma: no cover
    from .settle import (
        collect,
        credit,
        get_invoice,
        lines_of,
        paid_cents,
        pay_invoice,
        refund,
        totals_of,
        void_payment,
    )

#: What :mod:`.settle` gives, imported on first use: it loads the ORM models,
#: which issuing (``invoice create``) does without.
_SETTLE = frozenset({"collect", "credit", "get_invoice", "lines_of", "paid_cents", "pay_invoice", "refund",
                     "totals_of", "void_payment"})


def __getattr__(name: str) -> Any:
    if name in _SETTLE:
        from . import settle

        value = globals()[name] = getattr(settle, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "pay_invoice",
    "refund",
    "totals_of",
    "void_payment",
]
