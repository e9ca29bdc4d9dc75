"""Client cards: add, edit, find (write side; reads are in :mod:`views`).

Every use case takes an ORM session, validates all input before writing,
writes its audit entry in the same transaction and commits; any error leaves
nothing written (the session rolls back).
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlmodel import Session, select

from . import audit, numbering, settings, validation
from .errors import InvalidInput, NotFound, shown_ref
from .models import Client, ClientCreate, ClientUpdate, Consent, utcnow

CONSENT_PURPOSES = ("care", "reminders", "chip-registration", "referral", "lab", "pharmacy")
CONSENT_METHODS = ("in-person", "written", "e-mail", "phone", "web", "import")


def validate_client(raw: dict[str, Optional[str]], *, today: date, partial: bool = False) -> dict:
    """Validate raw CLI strings; returns only the given fields, normalised.

    With ``partial`` (edit) a missing field is left out; an empty string for
    an optional field (phone, e-mail, birth date) clears it.
    """
    out: dict = {}

    def given(name: str) -> bool:
        return raw.get(name) is not None

    for name, max_len in (("name", 200), ("street", 200), ("city", 100)):
        if given(name) or not partial:
            out[name] = validation.text(raw.get(name), field=f"--{name}", max_len=max_len)
    if given("postcode") or not partial:
        if not raw.get("postcode"):
            raise InvalidInput("--postcode", validation.RULE_REQUIRED)
        out["postcode"] = validation.postcode(raw["postcode"])
    if given("phone"):
        out["phone"] = validation.phone(raw["phone"]) if raw["phone"].strip() else None
    if given("email"):
        out["email"] = validation.email(raw["email"]) if raw["email"].strip() else None
    if given("birth_date"):
        out["birth_date"] = (
            validation.birth_date(raw["birth_date"], today=today) if raw["birth_date"].strip() else None
        )
    return out


def get_client(session: Session, ref: str, *, include_restricted: bool = False) -> Client:
    """Find a client by number (``K000012``) or id (``12``)."""
    how, value = numbering.parse_ref(str(ref), "client")
    stmt = select(Client).where(Client.id == value if how == "id" else Client.number == value)
    client = session.exec(stmt).first()
    if client is None or (client.restricted and not include_restricted):
        raise NotFound(f"client {shown_ref(ref)} not found")
    return client


def add_consent(session: Session, client: Client, purpose: str, *, given_on: date,
                method: str, statement_version: Optional[str] = None) -> Consent:
    if purpose not in CONSENT_PURPOSES:
        raise InvalidInput("--purpose", "must be one of: " + ", ".join(CONSENT_PURPOSES))
    if method not in CONSENT_METHODS:
        raise InvalidInput("--consent-method", "must be one of: " + ", ".join(CONSENT_METHODS))
    version = statement_version or settings.get(session, "privacy_statement_version")
    consent = Consent(client_id=client.id, purpose=purpose, given_on=given_on,
                      statement_version=version, method=method)
    session.add(consent)
    session.flush()
    return consent


def add_client(session: Session, raw: dict[str, Optional[str]], *, today: date,
               consent: bool, consent_method: str = "in-person",
               reminders: bool = False) -> Client:
    """Register a client with their consent for care and administration."""
    fields = validate_client(raw, today=today)
    if not consent:
        raise InvalidInput(
            "--consent",
            "the client's explicit consent is required to create a card (privacy statement); "
            "record it with --consent",
        )
    if consent_method not in CONSENT_METHODS:
        raise InvalidInput("--consent-method", "must be one of: " + ", ".join(CONSENT_METHODS))
    data = ClientCreate(**fields)
    client = Client(number=numbering.next_number(session, "client"), **data.model_dump())
    session.add(client)
    session.flush()
    add_consent(session, client, "care", given_on=today, method=consent_method)
    if reminders:
        add_consent(session, client, "reminders", given_on=today, method=consent_method)
    audit.record(session, "client.add", "client", [client.number],
                 {"consents": ["care", "reminders"] if reminders else ["care"]})
    session.commit()
    return client


def edit_client(session: Session, ref: str, raw: dict[str, Optional[str]], *, today: date) -> tuple[Client, list[str]]:
    """Correct a client card (rectification); returns the changed field names."""
    client = get_client(session, ref)
    fields = validate_client(raw, today=today, partial=True)
    if not fields:
        raise InvalidInput("client edit", "give at least one field to change")
    ClientUpdate(**fields)  # type check of the update model
    changed = [k for k, v in fields.items() if getattr(client, k) != v]
    for key in changed:
        setattr(client, key, fields[key])
    if changed:
        client.updated_at = utcnow()
        audit.record(session, "client.edit", "client", [client.number], {"fields": sorted(changed)})
    session.commit()
    return client, changed
