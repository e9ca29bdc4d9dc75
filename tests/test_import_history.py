"""``vetcards import``: what comes from another practice is that practice's history (SPEC §5).

Imported invoices are shown and selected by the number ``invoice list``
prints (``IMP1:2026-00001``).
"""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def exported(vet, tmp_path):
    """A file exported by another practice: one client with an invoice and a credit note."""
    other = type(vet)(dir=tmp_path / "a", db=tmp_path / "a" / "practice.db", key_file=tmp_path / "a" / "practice.key")
    other.dir.mkdir()
    r = other.run("init", "--new-key-file", str(other.key_file), env={"VETCARDS_KEY_FILE": ""})
    assert r.exit_code == 0, r.stderr
    other.set_practice("Dierenkliniek Elders")
    k = other.add_client("Anna Jansen", reminders=True)
    inv = other.ok("invoice", "create", k, "--line", "Consult;1;45,00", "--line", "Registratie NDG;1;10,00;outside",
                   "--payment", "pin", "--json").json()
    other.ok("invoice", "credit", inv["number"])
    doc = other.ok("export", k, "--out", "-").json()
    path = tmp_path / "from-a.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path, inv["number"]


def test_imported_invoices_are_shown_by_the_number_the_list_prints(vet, exported):
    path, original = exported
    vet.set_practice("Dierenartsenpraktijk Oost")
    vet.ok("import", str(path))
    listed = [r["number"] for r in vet.ok("invoice", "list", "--format", "json").json()]
    assert listed[0] == f"IMP1:{original}" and len(listed) == 2
    for number in listed:
        card = vet.ok("invoice", "show", number, "--format", "json").json()
        assert card["number"] == number
    assert vet.ok("invoice", "show", f"imp1:{original}", "--format", "json").json()["number"] == listed[0]
    r = vet.run("invoice", "show", "IMP9:2026-00001")
    assert r.exit_code == 1 and r.stderr.strip().endswith("not found")
    r = vet.run("invoice", "show", "IMP:2026-00001")
    assert r.exit_code == 1 and "must be an invoice number like 2026-00042 (IMP1:2026-00001 when imported)" in r.stderr
