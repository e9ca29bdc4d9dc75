"""Client cards: add, edit, find (write side; reads are in :mod:`views`, merging in :mod:`merge`).

Every use case takes the unit of work, validates all input before writing,
writes its audit entry in the same transaction and commits; any error leaves
nothing written (the unit rolls back).

Adding a card (:func:`add_client`, :func:`add_consent`) writes with SQLAlchemy
Core (:mod:`vetcards.rows`, defaults from :mod:`vetcards.defaults`), so
``client add`` never imports the ORM models; editing one loads the model.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Optional

from . import audit, codes, numbering, refs, settings, validation
from .defaults import new_row, utcnow
from .errors import InvalidInput
from .rows import insert_row
from .vocab import CONSENT_METHODS, CONSENT_PURPOSES, DEFAULT_COUNTRY, rule_one_of

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from .db import UnitOfWork
    from .models import Client, Pet


def validate_client(raw: dict[str, Optional[str]], *, today: date, partial: bool = False,
                    current: Optional[Client] = None) -> dict[str, Any]:
    """Validate raw CLI strings; returns only the given fields, normalised.

    The postcode and the phones are checked in the client's country (``country``,
    default NL; on an edit the card's own unless a new one is given). With
    ``partial`` (edit) a missing field is left out; an empty string for an
    optional field (phone, landline, e-mail, birth date) clears it. A new
    country on an edit re-checks the card's postcode unless a new one is given.
    """
    out: dict[str, Any] = {}

    def given(name: str) -> bool:
        return raw.get(name) is not None

    country = current.country if current is not None else DEFAULT_COUNTRY
    typed_country = raw.get("country")
    if typed_country is not None or not partial:
        country = validation.country(typed_country) if typed_country is not None else DEFAULT_COUNTRY
        out["country"] = country
    for name, max_len in (("name", 200), ("street", 200), ("city", 100)):
        if given(name) or not partial:
            out[name] = validation.text(raw.get(name), field=f"--{name}", max_len=max_len)
    if given("postcode") or not partial:
        postcode = raw.get("postcode")
        if not postcode:
            raise InvalidInput("--postcode", validation.RULE_REQUIRED)
        out["postcode"] = validation.postcode(postcode, country=country)
    elif current is not None and country != current.country:
        out["postcode"] = _recheck_postcode(current.postcode, country)
    for name in ("phone", "landline"):
        value = raw.get(name)
        if value is not None:
            out[name] = validation.phone(value, field=f"--{name}", country=country) if value.strip() else None
    email, birth = raw.get("email"), raw.get("birth_date")
    if email is not None:
        out["email"] = validation.email(email) if email.strip() else None
    if birth is not None:
        out["birth_date"] = validation.birth_date(birth, today=today) if birth.strip() else None
    return out


def _recheck_postcode(stored: str, country: str) -> str:
    """The card's postcode in the form of its new country, or the error asking for a new one."""
    try:
        return validation.postcode(stored, country=country)
    except InvalidInput as exc:
        raise InvalidInput("--postcode", f"{exc.rule} (the card's postcode does not fit --country "
                                         f"{country}; give the new one with --postcode)") from None


def get_client(uow: UnitOfWork, ref: str, *, include_restricted: bool = False) -> Client:
    """Find a client by number (``K000012``) or id (``12``)."""
    from .models import Client

    client: Client = uow.get(Client, refs.find_id(uow, "client", ref, include_restricted=include_restricted))
    return client


def card_id(card: Client | Pet | Row[Any]) -> int:
    """The row id of a client or patient card read from (or flushed to) the database."""
    assert card.id is not None
    return card.id


def add_consent(uow: UnitOfWork, client: Client | Row[Any], purpose: str, *, given_on: date,
                method: str, statement_version: Optional[str] = None) -> Row[Any]:
    """Record a consent of ``client`` (its card or the row :func:`add_client` returned); no audit, no commit.

    Returns the new ``consent`` row (``id``, ``given_on``, ``statement_version``, ...)."""
    if purpose not in CONSENT_PURPOSES:
        raise InvalidInput("--purpose", rule_one_of(CONSENT_PURPOSES))
    if method not in CONSENT_METHODS:
        raise InvalidInput("--consent-method", rule_one_of(CONSENT_METHODS))
    version = statement_version or settings.get(uow, "privacy_statement_version")
    return insert_row(uow, "consent", new_row("consent", {
        "client_id": card_id(client), "purpose": purpose, "given_on": given_on,
        "statement_version": version, "method": method}))


def add_client(uow: UnitOfWork, raw: dict[str, Optional[str]], *, today: date,
               consent: bool, consent_method: str = "in-person",
               reminders: bool = False) -> Row[Any]:
    """Register a client with their consent for care and administration.

    Returns the new ``client`` row: ``id``, ``number`` and the fields written
    (attribute access, as the card's model)."""
    fields = validate_client(raw, today=today)
    if not consent:
        raise InvalidInput(
            "--consent",
            "the client's explicit consent is required to create a card (privacy statement); "
            "record it with --consent",
        )
    consent_method = codes.parse(consent_method, CONSENT_METHODS, "--consent-method")
    client = insert_row(uow, "client", new_row("client", {"number": numbering.next_number(uow, "client"),
                                                          **fields}))
    add_consent(uow, client, "care", given_on=today, method=consent_method)
    if reminders:
        add_consent(uow, client, "reminders", given_on=today, method=consent_method)
    audit.record(uow, "client.add", "client", [client.number],
                 {"consents": ["care", "reminders"] if reminders else ["care"]})
    uow.commit()
    return client


def edit_client(uow: UnitOfWork, ref: str, raw: dict[str, Optional[str]], *, today: date) -> tuple[Client, list[str]]:
    """Correct a client card (rectification); returns the changed field names."""
    client = get_client(uow, ref)
    fields = validate_client(raw, today=today, partial=True, current=client)
    if not fields:
        raise InvalidInput("client edit", "give at least one field to change")
    changed = apply_edit(uow, client, fields, entity="client")
    uow.commit()
    return client, changed


def apply_edit(uow: UnitOfWork, card: Client | Pet, fields: dict[str, Any], *, entity: str) -> list[str]:
    """Set the ``fields`` that differ on a card, bump ``updated_at`` (an edit is activity)
    and audit ``<entity>.edit`` with the changed field names (never values); no commit."""
    changed = [k for k, v in fields.items() if getattr(card, k) != v]
    for key in changed:
        setattr(card, key, fields[key])
    if changed:
        card.updated_at = utcnow()
        audit.record(uow, f"{entity}.edit", entity, [card.number], {"fields": sorted(changed)})
    return changed
