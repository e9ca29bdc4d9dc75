"""Pure rules of corrections in the medical record (vetcards.corrections) and their place in the data map."""

from __future__ import annotations

from datetime import datetime

import pytest

from vetcards import corrections, datamap
from vetcards.errors import Conflict, InvalidInput


@pytest.mark.parametrize(("typed", "kind"), [
    ("visit", "visit"), (" Vaccination ", "vaccination"), ("vaccinate", "vaccination"),
    ("medicine", "medicine"), ("administered", "medicine"), ("DISPENSED", "medicine"),
])
def test_kind_as_typed_or_as_pet_show_prints_it(typed, kind):
    assert corrections.kind_of(typed).name == kind


@pytest.mark.parametrize("typed", ["weight", "", "invoice", "visits"])
def test_other_kinds_are_refused(typed):
    with pytest.raises(InvalidInput, match="^KIND: must be visit, vaccination or medicine$"):
        corrections.kind_of(typed)


@pytest.mark.parametrize("typed", ["0", "-1", "1.5", "P000001", "Bello", "١٢", ""])
def test_an_id_is_a_positive_number(typed):
    with pytest.raises(InvalidInput, match="^ID: "):
        corrections.record_id(typed)
    assert corrections.record_id(" 12 ") == 12


@pytest.mark.parametrize("reason", ["", "  ", "a\tb", "a\nb", "a\u200bb", "a\u202eb", "x" * 501])
def test_a_reason_is_one_line_of_visible_text(reason):
    with pytest.raises(InvalidInput, match="^--why: "):
        corrections.reason_text(reason, "--why")
    assert corrections.reason_text("  booked on the wrong animal ") == "booked on the wrong animal"


def test_a_voided_record_is_closed():
    corrections.check_open(None, "visit 1")
    with pytest.raises(Conflict, match="^visit 1 is already voided$"):
        corrections.check_open(datetime(2026, 12, 2), "visit 1")
    with pytest.raises(Conflict, match="correct the record that replaced it"):
        corrections.check_open(datetime(2026, 12, 2), "visit 1", correcting=True)


def test_given_fields_belong_to_the_kind():
    visit = corrections.KINDS["visit"]
    assert corrections.given_fields(visit, {"vet": "Dr. B", "reason": None, "findings": ""}) == {
        "vet": "Dr. B", "findings": ""}
    with pytest.raises(InvalidInput, match="^--next-due: does not apply to a visit$"):
        corrections.given_fields(visit, {"next_due": "2027-01-01"})
    with pytest.raises(InvalidInput, match="^record correct: give at least one field"):
        corrections.given_fields(visit, {"vet": None})


def test_every_kind_maps_fields_to_columns_of_its_table():
    for kind in corrections.KINDS.values():
        columns = kind.model.model_fields
        assert all(col in columns for col in kind.fields.values()), kind.name
        assert {"voided_at", "void_reason", "corrects_id"} <= set(columns)


@pytest.mark.parametrize("table", ["visit", "vaccination", "medicine_record"])
def test_a_void_is_activity_and_follows_its_record(table):
    entry = datamap.entry(table)
    assert "date(voided_at)" in entry.activity
    # the new columns are plain columns of the row: they go, stay or move with it
    assert entry.merge in (datamap.Act.FOLLOW, datamap.Act.MOVE)


def test_a_medicine_record_kept_for_its_hold_loses_the_reason_text():
    assert "void_reason" in datamap.entry("medicine_record").restrict_clears
