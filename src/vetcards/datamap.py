"""The map of a client's data: every table that hangs off a client, a pet or an invoice.

One declaration (:data:`MAP`) says, per table:

* how it reaches the client (:attr:`Table.links`: the column and the parent
  table it refers to; the first link is the one the table belongs by);
* what **erase** and **purge** do to it (:class:`Act`): delete it, keep it
  detached and restricted while a hold runs (and delete it when none does),
  let it follow its parent row, or keep it;
* what **merge** does to it: move it to the kept card, let it follow its
  parent, keep it, or delete it (the duplicate card itself);
* its activity dates (SPEC §3 "Last activity": the sources of
  :mod:`vetcards.activity`), with an optional condition (a boolean column);
* its section in the export (``pets[].weights``: a list in each pet).

:mod:`vetcards.deletion` builds the erase and purge statements from it,
:mod:`vetcards.merge` the moves, :mod:`vetcards.activity` the last-activity
query; ``tests/rules/test_datamap.py`` fails when a table with a foreign key to
client, pet or invoice is missing here. Parents come before their children
(the deletion runs the map backwards, which is foreign-key safe).

Plain data, standard library only: cheap to import.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional

__all__ = ["MAP", "Act", "Hold", "Link", "Table", "entry", "holders"]


class Act(str, Enum):
    """What erase, purge or merge does to the rows of a table."""

    DELETE = "delete"            # the rows reached go
    HOLD = "detach and restrict"  # held rows are detached and restricted; the others go
    FOLLOW = "follow"            # goes, stays or moves with its parent row
    KEEP = "keep"                # untouched (the numbers stay: requests, erasures)
    MOVE = "move"                # merge: the link is set to the kept card
    CLAIM = "restrict on claim"  # erase: the client card stays, restricted, while a claim runs


class Hold(str, Enum):
    """A reason to keep a row after its client has gone (SPEC §4)."""

    FISCAL = "fiscal"        # AWR art. 52: the latest year of invoice, payments, credit notes + fiscal_years
    MEDICINE = "medicine"    # EU 2019/6 art. 103: the record date + medicine_years


@dataclass(frozen=True)
class Link:
    """A column of the table that refers to ``parent`` (its ``key``, default ``id``).

    ``owns``: the row is part of the parent's data (erase and purge take it
    with the parent). A link that does not own is only cleared when the
    parent goes (``ON DELETE SET NULL``), e.g. the pet an invoice was for.
    """

    column: str
    parent: str
    key: str = "id"
    owns: bool = True


@dataclass(frozen=True)
class Table:
    """One table of a client's data; see the module docstring."""

    name: str
    label: str                      # plural, as counted in erase and merge results
    links: tuple[Link, ...]
    erase: Act
    purge: Act
    merge: Act
    export: Optional[str]           # section of the export document, None: not exported
    activity: tuple[str, ...] = ()  # date expressions that are activity of the client
    activity_where: Optional[str] = None  # a boolean column: only the rows where it is true are activity
    hold: Optional[Hold] = None
    hold_date: Optional[str] = None  # the column the hold counts from
    #: a column linking a row to another row of the same table that it
    #: corrects (a credit note to its invoice): the rows so linked are one
    #: group for the hold, with one term, kept and deleted together; the link
    #: is never cleared
    hold_pair: Optional[str] = None
    #: children whose dates extend the hold of their parent's group:
    #: (table, its link column to this table, its date column)
    hold_extended_by: tuple[tuple[str, str, str], ...] = ()
    #: columns a row kept restricted loses (set NULL), besides its links
    restrict_clears: tuple[str, ...] = ()
    #: the state column whose claim (rules.is_claim) keeps the row linked, and
    #: keeps the client card restricted (Act.CLAIM), while money is owed
    claim_state: Optional[str] = None
    #: (name, address) columns filled from the owner's card when detached
    owner_snapshot: Optional[tuple[str, str]] = None
    #: merge: counted in the merge result (``moved``)
    merge_counted: bool = True

    @property
    def link(self) -> Optional[Link]:
        """The link the table belongs by (None for the client itself)."""
        return self.links[0] if self.links else None


#: A void or correction of a medical record (SPEC §9) is activity of the
#: owner on the day it was made; the correction's own date counts as a record's.
#: The new columns (``voided_at``, ``void_reason``, ``corrects_id``) follow
#: their row in erase, purge and merge; a medicine record kept detached for its
#: hold keeps ``voided_at`` but loses the reason text (it may name people).
_VOIDED = "date(voided_at)"

MAP: tuple[Table, ...] = (
    Table("client", "client_card", (), erase=Act.CLAIM, purge=Act.DELETE, merge=Act.DELETE,
          export="client", activity=("date(created_at)", "date(updated_at)"), merge_counted=False,
          restrict_clears=("phone", "landline", "email")),
    Table("pet", "pets", (Link("client_id", "client"),), erase=Act.DELETE, purge=Act.DELETE,
          merge=Act.MOVE, export="pets", activity=("date(created_at)", "date(updated_at)")),
    Table("weight", "weights", (Link("pet_id", "pet"),), erase=Act.FOLLOW, purge=Act.FOLLOW,
          merge=Act.FOLLOW, export="pets[].weights", activity=("measured_on",)),
    Table("visit", "visits", (Link("pet_id", "pet"),), erase=Act.FOLLOW, purge=Act.FOLLOW,
          merge=Act.FOLLOW, export="pets[].visits", activity=("visit_date", _VOIDED)),
    Table("vaccination", "vaccinations", (Link("pet_id", "pet"),), erase=Act.FOLLOW, purge=Act.FOLLOW,
          merge=Act.FOLLOW, export="pets[].vaccinations", activity=("given_on", _VOIDED)),
    # Activity counts records still linked to the client (not those reached
    # only through a pet): the same as always.
    Table("medicine_record", "medicine_records", (Link("client_id", "client"), Link("pet_id", "pet")),
          erase=Act.HOLD, purge=Act.HOLD, merge=Act.MOVE, export="medicine_records",
          activity=("record_date", _VOIDED), hold=Hold.MEDICINE, hold_date="record_date",
          owner_snapshot=("owner_name", "owner_address"), restrict_clears=("void_reason",)),
    Table("invoice", "invoices",
          (Link("client_id", "client"), Link("pet_id", "pet", owns=False),
           Link("credits_invoice_id", "invoice", owns=False)),
          erase=Act.HOLD, purge=Act.HOLD, merge=Act.MOVE, export="invoices",
          activity=("invoice_date",), hold=Hold.FISCAL, hold_date="invoice_date",
          hold_pair="credits_invoice_id", hold_extended_by=(("payment", "invoice_id", "paid_on"),),
          restrict_clears=("customer_birth_date",), claim_state="status"),
    Table("invoice_line", "invoice_lines", (Link("invoice_id", "invoice"),), erase=Act.FOLLOW,
          purge=Act.FOLLOW, merge=Act.FOLLOW, export="invoices[].lines", merge_counted=False),
    Table("payment", "payments", (Link("invoice_id", "invoice"),), erase=Act.FOLLOW, purge=Act.FOLLOW,
          merge=Act.FOLLOW, export="invoices[].payments", activity=("paid_on",)),
    Table("consent", "consents", (Link("client_id", "client"),), erase=Act.DELETE, purge=Act.DELETE,
          merge=Act.MOVE, export="consents"),
    # After consent: a disclosure refers to the consent it relied on.
    Table("disclosure", "disclosures", (Link("client_id", "client"), Link("pet_id", "pet", owns=False)),
          erase=Act.DELETE, purge=Act.DELETE, merge=Act.MOVE, export="disclosures",
          activity=("disclosed_on",), activity_where="at_client_request"),
    Table("subject_request", "requests", (Link("client_number", "client", key="number"),),
          erase=Act.KEEP, purge=Act.KEEP, merge=Act.MOVE, export="requests"),
    Table("erasure", "erasures", (Link("client_number", "client", key="number"),),
          erase=Act.KEEP, purge=Act.KEEP, merge=Act.KEEP, export=None, merge_counted=False),
)

_BY_NAME = {t.name: t for t in MAP}


def entry(name: str) -> Table:
    """The map entry of table ``name`` (KeyError when it is not in the map)."""
    return _BY_NAME[name]


def holders() -> tuple[Table, ...]:
    """The tables whose rows a hold can keep after their client has gone."""
    return tuple(t for t in MAP if t.hold is not None)
