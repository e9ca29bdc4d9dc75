"""Library ring: rows written with Core over light tables (vetcards.rows, invoicing.bulk) are
byte-for-byte the rows the ORM models write, and the defaults of vetcards.defaults are the models'."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from vetcards import defaults, rows
from vetcards.invoicing.bulk import BulkInsert

#: How SQLAlchemy's SQLite DateTime stores a moment (the models' created_at).
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")
#: A moment with microseconds, not in UTC on purpose: stored as its wall time, as the model does.
AT = datetime(2026, 3, 1, 9, 5, 7, 12, tzinfo=timezone(timedelta(hours=1)))


def stored(uow, table: str, row_id: int) -> dict[str, tuple[str, str]]:
    """Every column of a row as SQLite holds it: (typeof, quote) -- the bytes, not a Python value."""
    names = [r[1] for r in uow.execute(text(f"PRAGMA table_info({table})"))]
    sql = ", ".join(f"typeof({n}), quote({n})" for n in names)
    got = uow.execute(text(f"SELECT {sql} FROM {table} WHERE id = :i"), {"i": row_id}).one()
    return {n: (got[2 * i], got[2 * i + 1]) for i, n in enumerate(names) if n != "id"}


CLIENT = {"name": "Anna Jansen", "street": "Dorpsstraat 1", "postcode": "1234 AB", "city": "Utrecht",
          "phone": "+31612345678", "landline": None, "email": "anna@example.nl", "birth_date": date(1980, 2, 29),
          "country": "NL", "created_at": AT, "updated_at": AT, "restricted": False, "legal_hold_reason": None}


def test_a_client_and_consent_row_are_stored_as_the_orm_stores_them(db):
    from vetcards.models import Client, Consent

    with db.unit() as uow:
        orm = Client(number="X1", **CLIENT)
        uow.add(orm)
        uow.flush()
        core = rows.insert_row(uow, "client", {"number": "X2", **CLIENT})
        a, b = stored(uow, "client", orm.id), stored(uow, "client", core.id)
        assert a.pop("number") == ("text", "'X1'") and b.pop("number") == ("text", "'X2'")
        assert a == b
        assert b["created_at"] == ("text", "'2026-03-01 08:05:07.000012'")  # in UTC
        assert b["birth_date"] == ("text", "'1980-02-29'") and b["restricted"] == ("integer", "0")

        consent = {"purpose": "care", "given_on": date(2026, 3, 1), "statement_version": "1",
                   "method": "in-person", "withdrawn_on": None, "controller": None, "created_at": AT}
        orm_c = Consent(client_id=orm.id, **consent)
        uow.add(orm_c)
        uow.flush()
        core_c = rows.insert_row(uow, "consent", {"client_id": orm.id, **consent})
        assert stored(uow, "consent", orm_c.id) == stored(uow, "consent", core_c.id)


def test_the_row_read_back_has_the_models_names_and_types(db):
    with db.unit() as uow:
        row = rows.insert_row(uow, "client", {"number": "X3", **CLIENT})
    assert isinstance(row.id, int) and row.number == "X3" and row.name == "Anna Jansen"
    assert row.birth_date == date(1980, 2, 29) and row.restricted is False
    assert row.created_at == AT and row.created_at.tzinfo is UTC  # as the ORM reads a stored moment back


def test_defaults_are_the_models_defaults(db):
    """What a new row gets without a value: the same constants as the models' fields, and a moment
    (aware UTC) where the model stamps one; a row written with the defaults matches the ORM's."""
    from vetcards import models

    assert models.utcnow is defaults.utcnow  # one clock read for both ways of writing a row
    classes = {"client": models.Client, "consent": models.Consent}
    assert set(defaults.ROW_DEFAULTS) == set(classes)
    for table, cls in classes.items():
        model_defaults = {}
        for name, info in cls.model_fields.items():
            if info.default_factory is not None:
                model_defaults[name] = defaults.STAMP
                made = info.default_factory()  # type: ignore[call-arg]
                assert made.tzinfo is not None and made.utcoffset() == timedelta(0)
                assert abs(made - defaults.utcnow()) < timedelta(minutes=1)
            elif not info.is_required() and info.default is not None:
                model_defaults[name] = info.default
        assert defaults.ROW_DEFAULTS[table] == model_defaults, table
    now = defaults.utcnow()
    assert now.tzinfo is UTC
    given = {"number": "X4", "name": "B", "street": "S 1", "postcode": "1234 AB", "city": "U"}
    with db.unit() as uow:
        orm = models.Client(**{**given, "number": "X5"})
        orm.created_at = orm.updated_at = now
        uow.add(orm)
        uow.flush()
        core = rows.insert_row(uow, "client", defaults.new_row("client", given, now=now))
        a, b = stored(uow, "client", orm.id), stored(uow, "client", core.id)
    assert a.pop("number") != b.pop("number")
    assert a == b
    assert MOMENT.match(b["created_at"][1].strip("'")) and b["country"] == ("text", "'NL'")


def test_a_naive_moment_is_refused_as_the_orm_refuses_it(db):
    with db.unit() as uow, pytest.raises(StatementError, match="aware"):
        rows.insert_row(uow, "client", {"number": "X6", **CLIENT, "created_at": datetime(2026, 1, 1)})


def test_new_row_stamps_one_moment_and_keeps_given_values():
    at = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    row = defaults.new_row("client", {"name": "X", "country": "BE", "restricted": True}, now=at)
    assert row == {"country": "BE", "created_at": at, "updated_at": at, "restricted": True, "name": "X"}
    before = defaults.utcnow()
    stamped = defaults.new_row("consent", {})["created_at"]
    assert before <= stamped <= defaults.utcnow()


def test_bulk_rows_are_stored_as_the_orm_stores_them(db):
    """A batch's dates, moments and booleans are typed from their values: the same bytes as the
    ORM writes, also when the first row of a column is NULL."""
    from vetcards.models import Payment

    with db.unit() as uow:
        invoice_id = _an_invoice(uow)
        orm = Payment(invoice_id=invoice_id, paid_on=date(2026, 3, 1), amount_cents=5, method="pin",
                      created_at=AT, voided_at=AT, void_reason="x")
        uow.add(orm)
        uow.flush()
        bulk = BulkInsert("payment")
        first = bulk.row(invoice_id=invoice_id, paid_on=date(2026, 3, 1), amount_cents=5, method="pin",
                         created_at=AT, voided_at=None, void_reason=None)
        second = first._replace(voided_at=AT, void_reason="x")
        bulk.execute(uow.connection(), [first, second])
        ids = [r[0] for r in uow.execute(text("SELECT id FROM payment ORDER BY id DESC LIMIT 2"))]
        assert stored(uow, "payment", ids[0]) == stored(uow, "payment", orm.id)
        assert stored(uow, "payment", ids[1])["voided_at"] == ("null", "NULL")


def _an_invoice(uow) -> int:
    from vetcards.models import Invoice

    inv = Invoice(number="T-1", year=2026, seq=99999, invoice_date=date(2026, 3, 1), payment_method="pin",
                  customer_name="A", customer_street="S", customer_postcode="1234 AB", customer_city="U")
    uow.add(inv)
    uow.flush()
    assert inv.id is not None
    return inv.id


def test_type_of():
    assert rows.type_of(AT) is rows.Moment
    assert rows.type_of(date(2026, 1, 1)).__name__ == "Date"
    assert rows.type_of(True).__name__ == "Boolean"
    assert [rows.type_of(v) for v in (None, 1, "x", 1.5)] == [None] * 4
