"""Library ring: clients.add_client on a real encrypted file (Core inserts, no ORM models)."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from vetcards import audit, clients
from vetcards.errors import InvalidInput

TODAY = date(2026, 11, 27)
RAW = {"name": "Anna Jansen", "street": "Dorpsstraat 1", "postcode": "1234ab", "city": "Utrecht",
       "phone": "06 12345678", "birth_date": "29-02-1980"}


def add(db, raw=RAW, **kw):
    with db.unit("tester") as uow:
        return clients.add_client(uow, dict(raw), today=TODAY, consent=True, **kw)


def test_add_client_returns_the_row_with_the_cards_names(db, vet):
    row = add(db, consent_method="Written", reminders=True)
    assert (row.id, row.number) == (1, "K000001")
    assert (row.name, row.postcode, row.phone, row.country, row.restricted) == (
        "Anna Jansen", "1234 AB", "+31612345678", "NL", False)
    assert row.birth_date == date(1980, 2, 29) and row.created_at.tzinfo is UTC
    assert row.created_at == row.updated_at
    assert vet.sql("SELECT number, birth_date, country, restricted, landline FROM client") == [
        ("K000001", "1980-02-29", "NL", 0, None)]
    assert vet.sql("SELECT client_id, purpose, given_on, statement_version, method, withdrawn_on, controller "
                   "FROM consent ORDER BY id") == [
        (1, "care", "2026-11-27", "1", "written", None, None),
        (1, "reminders", "2026-11-27", "1", "written", None, None)]
    assert vet.sql("SELECT action, entity_ids, details FROM audit_log WHERE action = 'client.add'") == [
        ("client.add", '["K000001"]', '{"consents":["care","reminders"]}')]
    assert add(db, {**RAW, "name": "Bert"}).number == "K000002"  # from the counter


def test_a_client_from_abroad_keeps_country_and_landline(db, vet):
    add(db, {**RAW, "country": "BE", "postcode": "2000", "phone": "0470 12 34 56", "landline": "03 234 56 78",
             "birth_date": None})
    assert vet.sql("SELECT country, postcode, phone, landline, birth_date FROM client") == [
        ("BE", "2000", "+32470123456", "+3232345678", None)]


def test_a_failure_after_the_insert_leaves_nothing_written(db, vet, monkeypatch):
    """The card, its consents, the number and the audit entry are one transaction."""
    before = vet.sql("SELECT value FROM counter WHERE name = 'client'")

    def broken(*_a, **_k):
        raise RuntimeError("audit failed")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        add(db, reminders=True)
    monkeypatch.undo()
    assert vet.sql("SELECT count(*) FROM client")[0][0] == 0
    assert vet.sql("SELECT count(*) FROM consent")[0][0] == 0
    assert vet.sql("SELECT value FROM counter WHERE name = 'client'") == before
    with pytest.raises(InvalidInput, match="--consent-method"):
        add(db, consent_method="fax")
    assert vet.sql("SELECT count(*) FROM client")[0][0] == 0


def test_add_consent_takes_the_orm_card_too(db, vet):
    """consents.give passes the card's model; add_consent returns the consent row either way."""
    add(db)
    with db.unit("tester") as uow:
        card = clients.get_client(uow, "K000001")
        consent = clients.add_consent(uow, card, "reminders", given_on=TODAY, method="phone")
        uow.commit()
    assert (consent.purpose, consent.given_on, consent.statement_version) == ("reminders", TODAY, "1")
    assert vet.sql("SELECT purpose, method FROM consent WHERE id = ?", (consent.id,)) == [("reminders", "phone")]
