"""The one resolver from a client, pet or invoice reference to a row (vetcards.refs)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from vetcards import refs
from vetcards.db import open_database
from vetcards.errors import InvalidInput, NotFound
from vetcards.keys import read_key_file


@pytest.mark.parametrize(("ref", "kind", "parsed"), [
    ("12", "client", ("id", 12)),
    (" k000012 ", "client", ("number", "K000012")),
    ("p000003", "pet", ("number", "P000003")),
    ("7", "invoice", ("id", 7)),
    ("2026-00042", "invoice", ("number", "2026-00042")),
    ("2026-000042", "invoice", ("number", "2026-00042")),
    ("2026-42", "invoice", ("number", "2026-00042")),
    ("0", "client", ("id", 0)),
])
def test_parse(ref, kind, parsed):
    assert refs.parse(ref, kind) == parsed


def test_parse_refuses_what_cannot_exist():
    with pytest.raises(NotFound, match=r"^client 99999999999999999999 not found$"):
        refs.parse("99999999999999999999", "client")
    with pytest.raises(InvalidInput, match=r"^INVOICE: must be an invoice number like 2026-00042 .*; to find a "
                                           r"client's invoices: vetcards client search TEXT"):
        refs.parse("Jansen", "invoice")  # a name where the number belongs: not echoed, pointed to search
    with pytest.raises(InvalidInput, match="INVOICE: must be an invoice number like 2026-00042 .* id$"):
        refs.parse("20-26", "invoice")  # a number, mistyped: no pointer to search


@pytest.mark.parametrize(("ref", "kind", "form"), [
    ("00004", "invoice", "2026-00042"), ("0004", "invoice", "2026-00042"), ("000012", "client", "K000012"),
    ("01", "pet", "P000034"),
])
def test_leading_zeros_are_never_an_id(ref, kind, form):
    """``invoice pay 00004`` must not pay the invoice with row id 4."""
    with pytest.raises(InvalidInput, match=f"^{kind.upper()}: {kind} numbers look like {form} .*leading zeros"):
        refs.parse(ref, kind)


def test_find_by_number_or_id_and_restricted_rows_only_when_asked(vet):
    vet.set_practice()
    k = vet.add_client("Anna Jansen")
    p = vet.add_pet(k)
    db = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        with db.unit() as uow:
            row = refs.find(uow, "client", k.lower(), ("name",))
            assert (row["number"], row["name"]) == (k, "Anna Jansen")
            assert refs.find_id(uow, "client", str(row["id"])) == row["id"]
            pet = refs.find(uow, "pet", p)
            uow.execute(text("UPDATE client SET restricted = 1 WHERE id = :i"), {"i": row["id"]})
            for kind, ref in (("client", k), ("pet", p)):
                with pytest.raises(NotFound, match=f"^{kind} {ref} not found$"):
                    refs.find(uow, kind, ref)
            assert refs.find(uow, "client", k, include_restricted=True)["id"] == row["id"]
            assert refs.find(uow, "pet", p, include_restricted=True)["id"] == pet["id"]
            with pytest.raises(NotFound, match=r"^client not found \(client numbers look like K000012\); to "
                                               r"find a client by name, phone or address: vetcards client search"):
                refs.find(uow, "client", "Anna Jansen")
    finally:
        db.close()
