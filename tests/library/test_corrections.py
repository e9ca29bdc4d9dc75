"""Corrections in the medical record, pet remove and pet move (SPEC §9), as library use cases on a real file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import text

from vetcards import corrections, medical, patients
from vetcards.db import UnitOfWork, open_database
from vetcards.errors import Conflict, HoldError, InvalidInput, NotFound
from vetcards.keys import read_key_file

TODAY = date(2026, 12, 2)


@pytest.fixture
def uow(vet) -> Iterator[UnitOfWork]:
    db = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        with db.unit("tester") as unit:
            yield unit
    finally:
        db.close()


@pytest.fixture
def pet(vet) -> tuple[str, str]:
    k = vet.add_client()
    return k, vet.add_pet(k, birth_date="2015-03-01")


def _audit(uow, action):
    return [r[0] for r in uow.execute(text("SELECT details FROM audit_log WHERE action = :a"), {"a": action})]


def test_void_marks_the_record_and_keeps_it(uow, pet):
    _, p = pet
    v = medical.add_vaccination(uow, p, {"vaccine": "Nobivac L4", "date": "2026-01-10", "next_due": "2027-01-10"},
                                today=TODAY)
    done = corrections.void_record(uow, "vaccination", str(v.id), "booked on the wrong animal")
    assert done.as_dict()["voided"] == v.id
    row = uow.execute(text("SELECT voided_at IS NOT NULL, void_reason, given_on FROM vaccination WHERE id = :i"),
                      {"i": v.id}).one()
    assert tuple(row) == (1, "booked on the wrong animal", "2026-01-10")
    with pytest.raises(Conflict, match="already voided"):
        corrections.void_record(uow, "vaccination", str(v.id), "again")
    with pytest.raises(Conflict, match="already voided"):
        corrections.correct_record(uow, "vaccination", str(v.id), {"batch": "X1"}, "typo", today=TODAY)


def test_correction_writes_a_new_record_and_voids_the_original_in_one_unit(uow, pet):
    _, p = pet
    v = medical.add_visit(uow, p, {"date": "2026-11-01", "reason": "limping", "vet": "Dr. A",
                                   "findings": "swollen"}, today=TODAY)
    done = corrections.correct_record(uow, "visit", str(v.id), {"diagnosis": "sprain", "findings": ""},
                                      "diagnosis forgotten", today=TODAY)
    assert done.as_dict() == {"kind": "visit", "id": done.id, "corrects": v.id, "voided": v.id, "pet": p,
                              "changed": ["diagnosis", "findings"]}
    rows = uow.execute(text("SELECT id, visit_date, reason, findings, diagnosis, vet, corrects_id, "
                            "voided_at IS NOT NULL, void_reason FROM visit ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        (v.id, "2026-11-01", "limping", "swollen", None, "Dr. A", None, 1, "diagnosis forgotten"),
        (done.id, "2026-11-01", "limping", None, "sprain", "Dr. A", v.id, 0, None)]
    # audited by ids and field names, never the reason text
    assert all("forgotten" not in (d or "") for d in _audit(uow, "visit.correct"))
    assert _audit(uow, "visit.correct")


def test_a_medicine_correction_keeps_the_owner_and_can_switch_dispensed(uow, pet):
    k, p = pet
    m = medical.add_medicine(uow, p, {"product": "Metacam", "batch": "K1", "quantity": "10 ml", "vet": "Dr. A",
                                      "date": "2026-11-01"}, today=TODAY)
    done = corrections.correct_record(uow, "dispensed", str(m.id), {"dispensed": "yes", "quantity": "5 ml"},
                                      "half dispensed", today=TODAY)
    row = uow.execute(text("SELECT client_id, dispensed, quantity, corrects_id FROM medicine_record "
                           "WHERE id = :i"), {"i": done.id}).one()
    assert tuple(row) == (m.client_id, 1, "5 ml", m.id)


@pytest.mark.parametrize(("given", "field"), [
    ({"vaccine": "x"}, "--vaccine"),          # not a field of a visit
    ({}, "record correct"),                   # nothing given
    ({"reason": "limping"}, "record correct"),  # nothing differs
    ({"date": "2099-01-01"}, "--date"),       # the usual rules hold
])
def test_a_correction_is_validated_before_anything_is_written(uow, pet, given, field):
    _, p = pet
    v = medical.add_visit(uow, p, {"date": "2026-11-01", "reason": "limping"}, today=TODAY)
    with pytest.raises(InvalidInput) as err:
        corrections.correct_record(uow, "visit", str(v.id), given, "why", today=TODAY)
    assert err.value.field == field
    uow.rollback()
    assert uow.execute(text("SELECT count(*), max(voided_at) FROM visit")).one() == (1, None)


@pytest.mark.parametrize("reason", ["", "   ", "bad\x00reason", "a\u200bb", "x" * 501])
def test_a_reason_must_be_visible_text(uow, pet, reason):
    _, p = pet
    v = medical.add_visit(uow, p, {"reason": "limping"}, today=TODAY)
    with pytest.raises(InvalidInput, match="^--reason: "):
        corrections.void_record(uow, "visit", str(v.id), reason)
    with pytest.raises(InvalidInput, match="^--why: "):
        corrections.correct_record(uow, "visit", str(v.id), {"vet": "Dr. B"}, reason, today=TODAY)


def test_kind_and_id_are_checked(uow, pet):
    with pytest.raises(InvalidInput, match="^KIND: must be visit, vaccination or medicine$"):
        corrections.void_record(uow, "weight", "1", "x")
    with pytest.raises(InvalidInput, match="^ID: "):
        corrections.void_record(uow, "visit", "P000001", "x")
    with pytest.raises(NotFound, match="^visit 99 not found$"):
        corrections.void_record(uow, "visit", "99", "x")
    with pytest.raises(NotFound, match="^visit 99999999999999999999 not found$"):
        corrections.void_record(uow, "visit", "99999999999999999999", "x")


def test_records_of_a_restricted_client_are_not_found(uow, pet):
    k, p = pet
    v = medical.add_visit(uow, p, {"reason": "limping"}, today=TODAY)
    m = medical.add_medicine(uow, p, {"product": "M", "batch": "B", "quantity": "1", "vet": "V"}, today=TODAY)
    uow.execute(text("UPDATE client SET restricted = 1 WHERE number = :k"), {"k": k})
    with pytest.raises(NotFound, match=f"^visit {v.id} not found$"):
        corrections.void_record(uow, "visit", str(v.id), "x")
    uow.execute(text("UPDATE client SET restricted = 0 WHERE number = :k"), {"k": k})
    uow.execute(text("UPDATE medicine_record SET pet_id = NULL, client_id = NULL, restricted = 1"))
    uow.session.expire_all()  # as a new unit of work reads it
    with pytest.raises(NotFound, match=f"^medicine record {m.id} not found$"):
        corrections.void_record(uow, "medicine", str(m.id), "x")


# --------------------------------------------------------------------------
# pet remove / pet move
# --------------------------------------------------------------------------


def test_remove_a_pet_without_records_keeps_its_number_taken(vet, uow):
    k = vet.add_client()
    p = vet.add_pet(k, weight="4,2")  # the weight given with pet add is part of the card
    uow.execute(text("UPDATE client SET updated_at = '2010-01-01 00:00:00'"))
    uow.commit()
    done = patients.remove_pet(uow, p)
    # activity of the owner, as adding the pet was
    assert uow.execute(text("SELECT updated_at > '2020-01-01' FROM client")).scalar() == 1
    assert done["removed"] == p and done["client"] == k
    assert uow.execute(text("SELECT count(*) FROM pet")).scalar() == 0
    assert uow.execute(text("SELECT count(*) FROM weight")).scalar() == 0
    assert _audit(uow, "pet.remove")
    assert patients.add_pet(uow, k, {"name": "Max", "species": "dog"}, today=TODAY).number != p


@pytest.mark.parametrize(("record", "named"), [
    (lambda uow, p: medical.add_visit(uow, p, {"reason": "x"}, today=TODAY), "1 visit"),
    (lambda uow, p: medical.add_vaccination(uow, p, {"vaccine": "x"}, today=TODAY), "1 vaccination"),
    (lambda uow, p: medical.add_medicine(uow, p, {"product": "M", "batch": "B", "quantity": "1", "vet": "V"},
                                         today=TODAY), "1 medicine record"),
    (lambda uow, p: patients.weigh(uow, p, "4", on=TODAY, today=TODAY), "1 weight"),
])
def test_a_pet_with_records_is_not_removed(vet, uow, record, named):
    k = vet.add_client()
    p = vet.add_pet(k)
    rec = record(uow, p)
    if hasattr(rec, "voided_at"):  # a voided record still counts: the trail stays
        corrections.void_record(uow, {"Visit": "visit", "Vaccination": "vaccination"}.get(
            type(rec).__name__, "medicine"), str(rec.id), "wrong animal")
    with pytest.raises(Conflict, match=f"has records \\({named}\\)"):
        patients.remove_pet(uow, p)


def test_move_takes_the_record_and_leaves_invoices_consents_and_disclosures(vet, uow):
    vet.set_practice()
    old, new = vet.add_client("Anna Jansen"), vet.add_client("Bert de Vries", postcode="4818 JA")
    p = vet.add_pet(old)
    vet.ok("invoice", "create", old, "--pet", p, "--line", "Consult;1;45,00", "--payment", "pin")
    medical.add_visit(uow, p, {"reason": "x"}, today=TODAY)
    m = medical.add_medicine(uow, p, {"product": "M", "batch": "B", "quantity": "1", "vet": "V"}, today=TODAY)
    uow.execute(text("UPDATE client SET updated_at = '2010-01-01 00:00:00'"))
    uow.commit()
    moved = patients.move_pet(uow, p, new)
    assert moved.as_dict() == {"id": moved.id, "number": p, "from": old, "to": new, "medicine_records": 1}
    ids = dict(uow.execute(text("SELECT number, id FROM client")).all())
    assert uow.execute(text("SELECT client_id FROM pet")).scalar() == ids[new]
    assert uow.execute(text("SELECT client_id FROM medicine_record WHERE id = :i"), {"i": m.id}).scalar() == ids[new]
    assert uow.execute(text("SELECT client_id FROM invoice")).scalar() == ids[old]
    assert {r[0] for r in uow.execute(text("SELECT client_id FROM consent"))} == {ids[old], ids[new]}
    # activity for both clients
    assert uow.execute(text("SELECT count(*) FROM client WHERE updated_at > '2020-01-01'")).scalar() == 2


def test_move_is_refused_to_the_same_or_a_restricted_client_or_from_a_legal_hold(vet, uow):
    old, new = vet.add_client("Anna Jansen"), vet.add_client("Bert de Vries", postcode="4818 JA")
    p = vet.add_pet(old)
    with pytest.raises(InvalidInput, match="^--to: "):
        patients.move_pet(uow, p, old)
    uow.execute(text("UPDATE client SET restricted = 1 WHERE number = :k"), {"k": new})
    with pytest.raises(NotFound, match=f"^client {new} not found$"):
        patients.move_pet(uow, p, new)
    uow.execute(text("UPDATE client SET restricted = 0"))
    uow.execute(text("UPDATE client SET legal_hold_reason = 'claim' WHERE number = :k"), {"k": old})
    with pytest.raises(HoldError):
        patients.move_pet(uow, p, new)
