"""``vetcards import``: what comes from another practice is that practice's history (SPEC §5).

Imported invoices are shown and selected by the number ``invoice list``
prints (``IMP1:2026-00001``).
"""

from __future__ import annotations

import json

import pytest
from conftest import init_practice


@pytest.fixture
def exported(vet, tmp_path):
    """A file exported by another practice: one client with an invoice and a credit note."""
    other = init_practice(tmp_path / "a")
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
    assert r.exit_code == 1 and "not found" in r.stderr and len(r.stderr.splitlines()) == 1, r.stderr
    r = vet.run("invoice", "show", "IMP:2026-00001")
    assert r.exit_code == 1 and "must be an invoice number like 2026-00042 (IMP1:2026-00001 when imported)" in r.stderr


@pytest.fixture
def exported_with_consent(vet, tmp_path):
    other = init_practice(tmp_path / "c")
    other.set_practice("Dierenkliniek Elders")
    k = other.add_client("Anna Jansen", reminders=True)
    dog = other.add_pet(k, "Bello")
    other.ok("vaccinate", dog, "--vaccine", "Nobivac L4", "--date", "2024-02-29", "--next-due", "2025-02-28")
    other.ok("reminders", "export", "--due-before", "2026-01-01", "--out", str(tmp_path / "elders.csv"))
    doc = other.ok("export", k, "--out", "-").json()
    assert [c["purpose"] for c in doc["consents"]] == ["care", "reminders"]
    path = tmp_path / "from-elders.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


def test_imported_consents_are_history_of_the_other_practice(vet, exported_with_consent, tmp_path):
    vet.set_practice("Dierenartsenpraktijk Oost")
    number = vet.ok("import", str(exported_with_consent)).stdout.strip()
    listed = vet.ok("consent", "list", number, "--format", "json").json()
    assert [(c["purpose"], c["current"], c["controller"]) for c in listed] == [
        ("care", False, "Dierenkliniek Elders"), ("reminders", False, "Dierenkliniek Elders")]
    # The first reminders export of this practice mails nobody: no consent was given here.
    out = tmp_path / "cards.csv"
    summary = vet.ok("reminders", "export", "--due-before", "2026-01-01", "--out", str(out), "--json").json()
    assert (summary["clients"], summary["recalls"]) == (0, 0)
    assert vet.sql("SELECT count(*) FROM disclosure d JOIN recipient r ON r.id = d.recipient_id "
                   "WHERE d.created_at > (SELECT max(ts) FROM audit_log WHERE action = 'import')") == [(0,)]
    # Nothing to withdraw here; consent given here is this practice's own and current.
    r = vet.run("consent", "withdraw", number, "--purpose", "reminders")
    assert r.exit_code == 1 and "no current consent for reminders" in r.stderr
    vet.ok("consent", "give", number, "--purpose", "reminders", "--date", "2025-01-10")
    summary = vet.ok("reminders", "export", "--due-before", "2026-01-01", "--out", str(out), "--json").json()
    assert (summary["clients"], summary["recalls"]) == (1, 1)


def test_the_other_practice_s_recipients_stay_out_of_this_register(vet, tmp_path):
    other = init_practice(tmp_path / "d")
    other.set_practice("Dierenkliniek Elders")
    k = other.add_client("Anna Jansen")
    other.ok("recipient", "add", "--name", "Verwijskliniek Noord", "--kind", "specialist",
             "--categories", "naw,animal,record")
    other.ok("consent", "give", k, "--purpose", "referral", "--date", "2024-02-29")
    other.ok("disclose", k, "--to", "Verwijskliniek Noord", "--categories", "naw,animal", "--date", "2024-03-01")
    path = tmp_path / "from-elders.json"
    path.write_text(json.dumps(other.ok("export", k, "--out", "-").json()), "utf-8")

    vet.set_practice("Dierenartsenpraktijk Oost")
    register_before = vet.ok("recipient", "list", "--format", "json").json()
    number = vet.ok("import", str(path)).stdout.strip()
    assert vet.ok("recipient", "list", "--format", "json").json() == register_before
    assert "Verwijskliniek Noord" not in vet.ok("register", "--format", "json").stdout
    r = vet.run("disclose", number, "--to", "Verwijskliniek Noord", "--categories", "naw")
    assert r.exit_code == 1 and "not found" in r.stderr  # not a recipient of this practice
    # The client's history still names who the other practice told.
    log = vet.ok("recipient", "log", "--client", number, "--format", "json").json()
    assert [(d["recipient"], d["disclosed_on"]) for d in log] == [("Verwijskliniek Noord", "2024-03-01")]
