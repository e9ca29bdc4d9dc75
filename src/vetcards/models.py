"""The whole schema of SPEC §3 in one place.

Table models (``table=True``) are what is stored; plain data models (no
``table=True``) are what services accept. A data model never inherits from a
table model (SQLModel's advice): create/update inputs are separate classes.

Conventions
- Money is integer cents (``*_cents``); quantities are decimal strings.
- Weights are integer grams.
- Dates are ``date``; moments are aware UTC ``datetime`` (``utcnow()``).
- ``restricted`` marks data kept only for a hold (GDPR art. 18): hidden from
  lists, reminders and statistics, deleted by the purge when the hold ends.
- Every foreign key to a parent that may be deleted says what happens then
  (``ondelete``); the database carries it out (the ORM relationships left,
  an invoice's lines and payments, are ``passive_deletes``), so set-based
  deletes and ORM deletes give the same result.
  What erase, purge and merge do with each table is in :mod:`vetcards.datamap`.
- Schema changes go through Alembic (``vetcards/migrations``); never edit a
  released migration.
"""


from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from .defaults import utcnow
from .vocab import DEFAULT_COUNTRY

# Naming convention so that Alembic migrations name constraints the same way
# on every platform (batch mode on SQLite needs named constraints).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _fk(target: str, ondelete: str, nullable: bool = False, index: bool = True):
    """A foreign-key column with an explicit ON DELETE rule."""
    return Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey(target, ondelete=ondelete),
            nullable=nullable,
            index=index,
        ),
    )


# --------------------------------------------------------------------------
# Practice
# --------------------------------------------------------------------------


class PracticeSetting(SQLModel, table=True):
    """Key/value practice settings (name, BTW, IBAN, retention periods ...)."""

    __tablename__ = "practice_setting"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=500)


class Counter(SQLModel, table=True):
    """Number sequences (client and pet numbers) that never reuse a value.

    Row ids may be reused by SQLite after a delete; a client number must not
    be, since the audit log and the erasure ledger refer to it.
    """

    __tablename__ = "counter"

    name: str = Field(primary_key=True, max_length=30)
    value: int = 0


class Species(SQLModel, table=True):
    """The known species list (seeded, extensible with `species add`)."""

    __tablename__ = "species"

    name: str = Field(primary_key=True, max_length=50)


# --------------------------------------------------------------------------
# Client card
# --------------------------------------------------------------------------


class Client(SQLModel, table=True):
    """The client card (klantenkaart)."""

    __tablename__ = "client"

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(index=True, unique=True, max_length=20)
    name: str = Field(max_length=200)
    street: str = Field(max_length=200)
    postcode: str = Field(max_length=7)
    city: str = Field(max_length=100)
    phone: Optional[str] = Field(default=None, max_length=20)  # the mobile (or only) number, E.164
    landline: Optional[str] = Field(default=None, max_length=20)  # E.164 (migration 0008)
    email: Optional[str] = Field(default=None, max_length=254)
    birth_date: Optional[date] = None
    # ISO 3166 alpha-2; postcode rules per country (SPEC §3, migration 0008)
    country: str = Field(default=DEFAULT_COUNTRY, max_length=2, sa_column_kwargs={"server_default": DEFAULT_COUNTRY})
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    legal_hold_reason: Optional[str] = Field(default=None, max_length=500)
    restricted: bool = False


class Consent(SQLModel, table=True):
    """A consent per purpose; withdrawal keeps the row (history)."""

    __tablename__ = "consent"

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: int = _fk("client.id", "CASCADE")
    purpose: str = Field(max_length=30, index=True)
    given_on: date
    statement_version: str = Field(max_length=50)
    method: str = Field(max_length=30)
    withdrawn_on: Optional[date] = None
    # NULL: given to this practice. Else the other practice it was given to
    # (carried by `vetcards import`): history here, never current (SPEC §5).
    controller: Optional[str] = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------
# Patient card and medical record
# --------------------------------------------------------------------------


class Pet(SQLModel, table=True):
    """The patient card (patiëntenkaart)."""

    __tablename__ = "pet"

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(index=True, unique=True, max_length=20)
    client_id: int = _fk("client.id", "CASCADE")
    name: str = Field(max_length=100)
    species: str = Field(max_length=50)
    breed: Optional[str] = Field(default=None, max_length=100)
    sex: str = Field(default="unknown", max_length=20)
    birth_date: Optional[date] = None
    chip: Optional[str] = Field(default=None, unique=True, max_length=15)
    colour: Optional[str] = Field(default=None, max_length=100)
    coat: Optional[str] = Field(default=None, max_length=100)
    insured: Optional[bool] = None
    deceased_on: Optional[date] = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Weight(SQLModel, table=True):
    """One dated weighing; the weight history of a pet."""

    __tablename__ = "weight"

    id: Optional[int] = Field(default=None, primary_key=True)
    pet_id: int = _fk("pet.id", "CASCADE")
    measured_on: date
    grams: int
    created_at: datetime = Field(default_factory=utcnow)


class Visit(SQLModel, table=True):
    """A consultation in the medical record."""

    __tablename__ = "visit"

    id: Optional[int] = Field(default=None, primary_key=True)
    pet_id: int = _fk("pet.id", "CASCADE")
    visit_date: date = Field(index=True)
    reason: str = Field(max_length=500)
    findings: Optional[str] = Field(default=None, max_length=4000)
    diagnosis: Optional[str] = Field(default=None, max_length=1000)
    treatment: Optional[str] = Field(default=None, max_length=2000)
    vet: Optional[str] = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    # Corrections (SPEC §9, migration 0008): a voided or corrected record stays,
    # marked; ``corrects_id`` names the original this record replaces.
    voided_at: Optional[datetime] = None
    void_reason: Optional[str] = Field(default=None, max_length=500)
    corrects_id: Optional[int] = None


class Vaccination(SQLModel, table=True):
    """A vaccination; ``next_due`` makes a recall (reminder card)."""

    __tablename__ = "vaccination"

    id: Optional[int] = Field(default=None, primary_key=True)
    pet_id: int = _fk("pet.id", "CASCADE")
    given_on: date
    vaccine: str = Field(max_length=100)
    batch: Optional[str] = Field(default=None, max_length=50)
    next_due: Optional[date] = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # Corrections (SPEC §9, migration 0008): a voided or corrected record stays,
    # marked; ``corrects_id`` names the original this record replaces.
    voided_at: Optional[datetime] = None
    void_reason: Optional[str] = Field(default=None, max_length=500)
    corrects_id: Optional[int] = None


class MedicineRecord(SQLModel, table=True):
    """A veterinary medicine administered or dispensed (EU 2019/6 art. 103).

    Kept 5 years even after erasure: then ``pet_id``/``client_id`` are cleared
    and the owner snapshot plus the medicine facts remain, ``restricted``.
    """

    __tablename__ = "medicine_record"

    id: Optional[int] = Field(default=None, primary_key=True)
    pet_id: Optional[int] = _fk("pet.id", "SET NULL", nullable=True)
    client_id: Optional[int] = _fk("client.id", "SET NULL", nullable=True)
    record_date: date
    product: str = Field(max_length=200)
    batch: Optional[str] = Field(default=None, max_length=50)
    quantity: str = Field(max_length=30)
    expiry: Optional[date] = None
    vet: Optional[str] = Field(default=None, max_length=100)
    dispensed: bool = False
    owner_name: Optional[str] = Field(default=None, max_length=200)
    owner_address: Optional[str] = Field(default=None, max_length=400)
    restricted: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    # Corrections (SPEC §9, migration 0008): a voided or corrected record stays,
    # marked; ``corrects_id`` names the original this record replaces.
    voided_at: Optional[datetime] = None
    void_reason: Optional[str] = Field(default=None, max_length=500)
    corrects_id: Optional[int] = None


# --------------------------------------------------------------------------
# Financial history
# --------------------------------------------------------------------------


class Invoice(SQLModel, table=True):
    """An issued invoice or credit note; never edited after issue.

    It carries a snapshot of the customer's name and address and of the
    practice's details (art. 35a Wet OB). Purge and erase may detach it from
    its client (``client_id`` NULL, ``restricted``) while the fiscal hold runs.
    """

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_invoice_year_seq"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(index=True, unique=True, max_length=20)
    year: int
    seq: int
    kind: str = Field(default="invoice", max_length=20)  # invoice | credit_note
    credits_invoice_id: Optional[int] = _fk("invoice.id", "SET NULL", nullable=True)
    client_id: Optional[int] = _fk("client.id", "SET NULL", nullable=True)
    pet_id: Optional[int] = _fk("pet.id", "SET NULL", nullable=True)
    invoice_date: date = Field(index=True)
    # The date of supply (art. 35a Wet OB), only when it differs from the invoice date.
    supply_date: Optional[date] = None
    payment_method: str = Field(max_length=10)  # cash | pin | account
    status: str = Field(default="open", max_length=20)
    collected_on: Optional[date] = None  # the day it went to collection (migration 0010)
    customer_name: str = Field(max_length=200)
    customer_street: str = Field(max_length=200)
    customer_postcode: str = Field(max_length=7)
    customer_city: str = Field(max_length=100)
    customer_country: str = Field(default=DEFAULT_COUNTRY, max_length=2, sa_column_kwargs={"server_default": DEFAULT_COUNTRY})
    customer_birth_date: Optional[date] = None
    supplier_name: str = Field(default="", max_length=200)
    supplier_address: str = Field(default="", max_length=400)
    supplier_vat_number: str = Field(default="", max_length=20)
    supplier_kvk: str = Field(default="", max_length=20)
    supplier_iban: str = Field(default="", max_length=40)
    net_cents: int = 0
    vat_cents: int = 0
    gross_cents: int = 0
    reason: Optional[str] = Field(default=None, max_length=500)
    restricted: bool = False
    created_at: datetime = Field(default_factory=utcnow)

    # Read by vetcards.invoicing (lines of an invoice, payments in tests);
    # the database deletes them with the invoice (ON DELETE CASCADE).
    lines: list["InvoiceLine"] = Relationship(
        back_populates="invoice",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "passive_deletes": True,
            "order_by": "InvoiceLine.position",
        },
    )
    payments: list["Payment"] = Relationship(
        back_populates="invoice",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "passive_deletes": True},
    )


class InvoiceLine(SQLModel, table=True):
    """One line of an invoice: description, quantity, unit price, VAT rate."""

    __tablename__ = "invoice_line"

    id: Optional[int] = Field(default=None, primary_key=True)
    invoice_id: int = _fk("invoice.id", "CASCADE")
    position: int
    description: str = Field(max_length=200)
    quantity: str = Field(max_length=20)
    unit_price_cents: int
    vat_rate: int
    # vocab.VAT_CATEGORIES: charged | zero | exempt | outside (SPEC §3)
    vat_category: str = Field(default="charged", max_length=10,
                              sa_column_kwargs={"server_default": "charged"})
    net_cents: int

    invoice: Optional[Invoice] = Relationship(back_populates="lines")


class Payment(SQLModel, table=True):
    """A (partial) payment of an invoice."""

    __tablename__ = "payment"

    id: Optional[int] = Field(default=None, primary_key=True)
    invoice_id: int = _fk("invoice.id", "CASCADE")
    paid_on: date = Field(index=True)  # cashup, books export (migration 0009)
    amount_cents: int
    method: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    # A payment booked in error is voided, never deleted (SPEC §9, migration 0008).
    # A refund on a credit note is a payment with a negative amount.
    voided_at: Optional[datetime] = None
    void_reason: Optional[str] = Field(default=None, max_length=500)

    invoice: Optional[Invoice] = Relationship(back_populates="payments")


# --------------------------------------------------------------------------
# Sharing: recipients register and disclosure log
# --------------------------------------------------------------------------


class Recipient(SQLModel, table=True):
    """A party data may be shared with (register of recipients, art. 30)."""

    __tablename__ = "recipient"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=30)  # lab | pharmacy | specialist | printer | chip_registry | other
    agreement_date: Optional[date] = None
    categories: str = Field(default="", max_length=500)
    needs_consent: Optional[str] = Field(default=None, max_length=30)  # consent purpose
    # NULL: in this practice's register. Else the other practice whose imported
    # disclosures name it (`vetcards import`): history, not in the register.
    controller: Optional[str] = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Disclosure(SQLModel, table=True):
    """One disclosure of a client's data to a recipient."""

    __tablename__ = "disclosure"

    id: Optional[int] = Field(default=None, primary_key=True)
    client_id: int = _fk("client.id", "CASCADE")
    recipient_id: int = _fk("recipient.id", "RESTRICT")
    pet_id: Optional[int] = _fk("pet.id", "SET NULL", nullable=True)
    disclosed_on: date
    categories: str = Field(max_length=500)
    basis: str = Field(max_length=30)  # consent | contract | legal_obligation
    consent_id: Optional[int] = _fk("consent.id", "SET NULL", nullable=True)
    at_client_request: bool = False
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------
# Data-subject requests and erasures
# --------------------------------------------------------------------------


class SubjectRequest(SQLModel, table=True):
    """A data-subject request (art. 12(3)): due one month after receipt."""

    __tablename__ = "subject_request"

    id: Optional[int] = Field(default=None, primary_key=True)
    client_number: str = Field(max_length=20, index=True)
    type: str = Field(max_length=20)  # access | erasure | rectification | portability
    received_on: date
    due_on: date
    extended_reason: Optional[str] = Field(default=None, max_length=500)
    closed_on: Optional[date] = None
    created_at: datetime = Field(default_factory=utcnow)


class Erasure(SQLModel, table=True):
    """Who checked identity and how, for an erasure (never the document number)."""

    __tablename__ = "erasure"

    id: Optional[int] = Field(default=None, primary_key=True)
    client_number: str = Field(max_length=20, index=True)
    erased_at: datetime = Field(default_factory=utcnow)
    verified_by: str = Field(max_length=100)
    id_document: str = Field(max_length=30)


# --------------------------------------------------------------------------
# Audit log (hash chain)
# --------------------------------------------------------------------------


class AuditEntry(SQLModel, table=True):
    """One audit entry. Only ids, numbers and counts; never names or free text."""

    __tablename__ = "audit_log"

    id: Optional[int] = Field(default=None, primary_key=True)
    ts: str = Field(max_length=40)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=50, index=True)
    entity: str = Field(default="", max_length=30)
    entity_ids: str = Field(default="[]", max_length=4000)
    details: str = Field(default="{}", max_length=100000)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    os_user: Optional[str] = Field(default=None, max_length=100)  # the OS account (migration 0005)


# --------------------------------------------------------------------------
# Data models (inputs). Never inherit from a table model.
# --------------------------------------------------------------------------


class ClientCreate(SQLModel):
    """Validated input for a new client card."""

    name: str
    street: str
    postcode: str
    city: str
    phone: Optional[str] = None
    email: Optional[str] = None
    birth_date: Optional[date] = None


class PetCreate(SQLModel):
    """Validated input for a new patient card."""

    name: str
    species: str
    breed: Optional[str] = None
    sex: str = "unknown"
    birth_date: Optional[date] = None
    chip: Optional[str] = None
    weight_grams: Optional[int] = None
    colour: Optional[str] = None
    coat: Optional[str] = None
    insured: Optional[bool] = None
