"""`client add` warns about a client who looks like one on file (SPEC §9), end to end through the CLI:
same name and postcode, or the same phone or e-mail. A script is refused (exit 1, one line, nothing
written) unless --allow-duplicate; on a terminal the person is asked."""

from __future__ import annotations

import pytest

LOTTE = ["--name", "Lotte Peeters", "--street", "Ginnekenweg 3", "--postcode", "4818 JA", "--city", "Breda",
         "--phone", "06 12345678", "--email", "lotte@example.nl", "--consent"]


def add(vet, *args: str):
    return vet.run("client", "add", *args)


def with_(base: list[str], **changes: str) -> list[str]:
    out = list(base)
    for key, value in changes.items():
        out[out.index(f"--{key}") + 1] = value
    return out


@pytest.fixture
def lotte(vet) -> str:
    r = add(vet, *LOTTE)
    assert r.exit_code == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.parametrize(("changes", "why"), [
    ({}, "same name and postcode and phone and e-mail"),
    ({"name": "LOTTE  PEETERS", "phone": "0687654321", "email": "l2@example.nl", "postcode": "4818ja"},
     "same name and postcode"),
    ({"name": "Jan Peeters", "phone": "+31 6 1234 5678", "email": "jan@example.nl"}, "same phone"),
    ({"name": "Jan Peeters", "phone": "0687654321", "email": "Lotte@Example.nl"}, "same e-mail"),
])
def test_script_refuses_a_look_alike(vet, lotte, changes, why):
    before = vet.counts()
    r = add(vet, *with_(LOTTE, **changes))
    assert r.exit_code == 1 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert lotte in lines[0] and why in lines[0] and "--allow-duplicate" in lines[0]
    # the line may end up in cron mail: numbers and reasons, never the other card's name or address
    assert "Peeters" not in lines[0] and "4818" not in lines[0]
    assert vet.counts() == before


def test_allow_duplicate_adds_the_card(vet, lotte):
    r = add(vet, *LOTTE, "--allow-duplicate", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["number"] != lotte
    assert len(vet.sql("SELECT id FROM client WHERE name = 'Lotte Peeters'")) == 2


def test_different_people_are_not_look_alikes(vet, lotte):
    # same name elsewhere, same postcode with another name: no warning
    assert add(vet, *with_(LOTTE, postcode="1234 AB", phone="0611111111", email="a@example.nl")).exit_code == 0
    assert add(vet, *with_(LOTTE, name="Piet Peeters", phone="0622222222", email="b@example.nl")).exit_code == 0


def test_terminal_asks_and_adds_on_yes(vet, lotte):
    code, seen = vet.run_on_tty(["client", "add", *LOTTE], "y", prompt=b"anyway")
    assert code == 0, seen
    assert lotte in seen and "same name and postcode" in seen
    assert len(vet.sql("SELECT id FROM client WHERE name = 'Lotte Peeters'")) == 2


def test_terminal_asks_and_writes_nothing_on_no(vet, lotte):
    before = vet.counts()
    code, seen = vet.run_on_tty(["client", "add", *LOTTE], "n", prompt=b"anyway")
    assert code != 0, seen
    assert vet.counts() == before
