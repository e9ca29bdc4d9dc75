"""Fuzzing the create and edit commands with generated field values (hypothesis).

Whatever is typed, a command either succeeds (exit 0) or prints exactly one
line ``error: ...`` on stderr with exit 1 or 2: never a traceback, never an
internal error, never the typed value echoed back, and never a partial write
(row counts and the edited row are compared before and after).
"""

from __future__ import annotations

import string
from datetime import date
from decimal import Decimal
from typing import Any, Optional

import pytest
import sqlcipher3
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

TABLES = ("client", "consent", "pet", "weight", "audit_log", "counter", "species")


def snapshot(vet, client: Optional[str] = None, pet: Optional[str] = None) -> dict[str, Any]:
    """Row counts of the tables a create/edit touches, plus the edited rows, in one connection."""
    conn = sqlcipher3.connect(str(vet.db))
    try:
        conn.execute(f"PRAGMA key = \"x'{vet.key_file.read_text().strip()}'\"")
        out: dict[str, Any] = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES}
        out["counter"] = conn.execute("SELECT name, value FROM counter ORDER BY name").fetchall()
        if client:
            out["client_row"] = conn.execute("SELECT * FROM client WHERE number = ?", (client,)).fetchall()
        if pet:
            out["pet_row"] = conn.execute("SELECT * FROM pet WHERE number = ?", (pet,)).fetchall()
        return out
    finally:
        conn.close()


def check_outcome(r, values: list[Optional[str]]) -> None:
    event(f"exit {r.exit_code}")
    assert r.exit_code in (0, 1, 2), (r.exit_code, r.stderr, r.exception)
    text = r.stdout + r.stderr
    assert "Traceback" not in text and "internal error" not in text, text
    if r.exit_code != 0:
        assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, repr(r.stderr)
        for v in values:
            if v is not None and len(v.strip()) >= 10:
                assert v.strip() not in r.stderr, f"value echoed in: {r.stderr!r}"


# Field values. Each example draws a mode: every field valid, one field wild,
# or every field wild, so that successes and each kind of refusal all happen.
anything = st.text(max_size=120)
VALID = {
    "name": st.text(alphabet=string.ascii_letters + " .'-éëü", min_size=2, max_size=60).filter(str.strip),
    "street": st.from_regex(r"\A[A-Z][a-z]{2,20}(straat|laan|weg) [1-9][0-9]{0,3}\Z"),
    "postcode": st.from_regex(r"\A[1-9][0-9]{3} ?[A-RT-Z][A-Z]\Z"),
    "city": st.sampled_from(["Utrecht", "Den Haag", "'s-Hertogenbosch", "Zwolle", "Ede"]),
    "phone": st.sampled_from(["06 12345678", "+31 20 123 4567", "0031612345678", "030-1234567"]),
    "email": st.from_regex(r"\A[a-z]{1,10}(\.[a-z]{1,8})?@[a-z]{2,10}\.(nl|com|org)\Z"),
    "birth_date": st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31)).flatmap(
        lambda d: st.sampled_from([d.isoformat(), d.strftime("%d-%m-%Y")])),
    "species": st.sampled_from(["dog", "cat", "Dog"]),
    "breed": st.sampled_from(["Labrador", "Europese korthaar", "Kooiker"]),
    "sex": st.sampled_from(["male", "female", "male neutered", "female spayed", "unknown"]),
    "chip": st.from_regex(r"\A528[0-9]{12}\Z"),
    "weight": st.decimals(min_value=Decimal("0.1"), max_value=Decimal("120"), places=1).map(
        lambda d: str(d).replace(".", ",")),
    "colour": st.sampled_from(["zwart", "rood-wit", "cyperse"]),
    "coat": st.sampled_from(["kort", "lang", "ruw"]),
}
WILD = {
    "postcode": st.one_of(anything, st.sampled_from(["0123 AB", "1234 SA", "1234", "12345 AB", "１２３４ AB"])),
    "phone": st.one_of(anything, st.sampled_from(["12", "+999 1", "06-1234567890123"]),
                       st.text(alphabet="0123456789 +-()", max_size=20)),
    "email": st.one_of(anything, st.sampled_from(["a@b", "@", "a@@b.nl", "x@example.nl\n", " "])),
    "birth_date": st.one_of(anything, st.sampled_from(["2020-02-30", "0000-01-01", "2999-01-01", "31-31-2000"])),
    "chip": st.one_of(anything, st.sampled_from(["999000000000001", "000000000000000", "52821000000000"])),
    "weight": st.one_of(anything, st.sampled_from(["0", "-1", "1e9", "0,001", "12.345", "nan", "inf", "1,2,3"])),
    "species": st.one_of(anything, st.sampled_from(["unicorn", "", " "])),
    "sex": st.one_of(anything, st.sampled_from(["x", "MALE", "neutered"])),
}


def draw_fields(data, fields: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Optional[str]]:
    """Draw values for ``fields`` in one of three modes; ``optional`` ones may be left out."""
    mode = data.draw(st.sampled_from(["valid", "valid", "one wild", "wild"]), label="mode")
    wild_one = data.draw(st.sampled_from(fields), label="wild field") if mode == "one wild" else None
    out: dict[str, Optional[str]] = {}
    for f in fields:
        if f in optional and data.draw(st.integers(0, 3), label=f"{f} given") == 0:
            out[f] = None
            continue
        wild = mode == "wild" or f == wild_one
        strategy = WILD.get(f, anything) if wild else VALID[f]
        if wild and mode == "wild" and data.draw(st.booleans(), label=f"{f} omitted"):
            out[f] = None
            continue
        out[f] = data.draw(strategy, label=f)
    return out


def opts(fields: dict[str, Optional[str]]) -> list[str]:
    return [f"--{k.replace('_', '-')}={v}" for k, v in fields.items() if v is not None]


CLIENT_FIELDS = ("name", "street", "postcode", "city", "phone", "email", "birth_date")
PET_FIELDS = ("name", "species", "breed", "sex", "birth_date", "chip", "weight", "colour", "coat")


@FUZZ
@given(data=st.data(), consent=st.booleans())
def test_fuzz_client_add(vet, data, consent):
    f = draw_fields(data, CLIENT_FIELDS, ("phone", "email", "birth_date"))
    before = snapshot(vet)
    args = ["client", "add", *opts(f)]
    if consent or data.draw(st.booleans(), label="consent anyway"):
        args.append("--consent")
    r = vet.run(*args, "--json")
    check_outcome(r, list(f.values()))
    after = snapshot(vet)
    if r.exit_code == 0:
        assert after["client"] == before["client"] + 1
        assert after["consent"] == before["consent"] + 1
        assert after["audit_log"] == before["audit_log"] + 1
        assert r.json()["number"]
    else:
        assert after == before


@pytest.fixture
def card(vet):
    number = vet.add_client("Fuzz Bestaand", phone="06 12345678", email="f@example.nl")
    pet = vet.add_pet(number, name="Fuzzy", species="cat")
    return number, pet


@FUZZ
@given(data=st.data())
def test_fuzz_client_edit(vet, card, data):
    number, _ = card
    f = draw_fields(data, CLIENT_FIELDS, CLIENT_FIELDS)
    before = snapshot(vet, client=number)
    r = vet.run("client", "edit", number, *opts(f))
    check_outcome(r, list(f.values()))
    after = snapshot(vet, client=number)
    if r.exit_code == 0:
        assert {k: v for k, v in after.items() if k not in ("client_row", "audit_log")} == \
            {k: v for k, v in before.items() if k not in ("client_row", "audit_log")}
        assert after["audit_log"] - before["audit_log"] in (0, 1)
    else:
        assert after == before


def _insured(data) -> Optional[str]:
    return data.draw(st.sampled_from([None, "--insured", "--not-insured"]), label="insured")


@FUZZ
@given(data=st.data())
def test_fuzz_pet_add(vet, card, data):
    number, _ = card
    f = draw_fields(data, PET_FIELDS, PET_FIELDS[2:])
    before = snapshot(vet)
    args = ["pet", "add", number, *opts(f)]
    insured = _insured(data)
    if insured:
        args.append(insured)
    r = vet.run(*args, "--json")
    check_outcome(r, list(f.values()))
    after = snapshot(vet)
    if r.exit_code == 0:
        assert after["pet"] == before["pet"] + 1
        assert after["weight"] == before["weight"] + (1 if f["weight"] is not None else 0)
        assert after["client"] == before["client"]
    else:
        assert after == before


@FUZZ
@given(data=st.data())
def test_fuzz_pet_edit(vet, card, data):
    _, pet = card
    fields = tuple(x for x in PET_FIELDS if x != "weight")
    f = draw_fields(data, fields, fields)
    before = snapshot(vet, pet=pet)
    args = ["pet", "edit", pet, *opts(f)]
    insured = _insured(data)
    if insured:
        args.append(insured)
    r = vet.run(*args)
    check_outcome(r, list(f.values()))
    after = snapshot(vet, pet=pet)
    if r.exit_code == 0:
        assert after["pet"] == before["pet"] and after["client"] == before["client"]
        assert after["audit_log"] - before["audit_log"] in (0, 1)
    else:
        assert after == before


# --------------------------------------------------------------------------
# Every command, every option and argument (walked from the Typer app itself)
# --------------------------------------------------------------------------

HOSTILE = [
    "\udcff\udcfe",  # bytes that are not UTF-8 (as Python hands them over)
    "K\udcff",
    "99999999999999999999999999",  # overflows SQLite's integer
    "-99999999999999999999999999",
    "0001-01-01",
    "9999-12-31",
    "x" * 300,  # longer than a file name may be
    "",
    " ",
    "-1",
    "0",
    "nan",
    "1e309",
    "Anna\u202eJansen\u200b\ufeff\u2028",
    "a\x00b",
    "'; DROP TABLE client; --",
    "%s%n{0}",
    "/dev/null",
    "../../../../etc/passwd",
    "K000001",
    "P000001",
    "2026-00001",
    "1",
]
#: Options that only print shell completion code, and the helps.
SKIPPED = {"install_completion", "show_completion", "help"}


def _commands() -> list[tuple[tuple[str, ...], Any]]:
    """(path, click command) of every leaf command, loaded as the CLI loads them."""
    import typer
    from typer.main import get_command

    from vetcards.cli import app

    root = get_command(app)
    ctx = typer.Context(root)
    out = []

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), (*path, name))
        else:
            out.append((path, cmd))

    walk(root, ())
    out.append(((), root))  # the root's own options (--db, --key-file, --actor) before a harmless command
    return out


COMMANDS = _commands()


def _args(cmd: Any, path: tuple[str, ...], data) -> list[str]:
    """Hostile values for some of ``cmd``'s parameters (always every argument)."""
    args: list[str] = []
    positional: list[str] = []
    params = [p for p in cmd.params if p.name not in SKIPPED]
    chosen = data.draw(st.sets(st.sampled_from(params), max_size=3), label="params") if params else set()
    for p in params:
        if p.param_type_name == "argument":
            positional.append(data.draw(st.sampled_from(HOSTILE), label=p.name))
        elif p in chosen:
            if getattr(p, "is_flag", False) or getattr(p, "count", False):
                args.append(p.opts[0])
            else:
                args += [p.opts[0], data.draw(st.sampled_from(HOSTILE), label=p.name)]
    if not path:  # root options, then a read-only command
        return [*args, "client", "list"]
    return [*path, *args, "--", *positional] if positional else [*path, *args]


def _state(vet) -> tuple[dict[str, int], int, list[str]]:
    files = sorted(str(p.relative_to(vet.dir)) for p in vet.dir.rglob("*") if not p.name.endswith(("-wal", "-shm")))
    return vet.counts(), vet.sql("SELECT count(*) FROM audit_log")[0][0], files


@settings(max_examples=250, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_every_command_with_hostile_values(vet, data, monkeypatch_cwd):
    """Whatever is typed into whichever command: exit 0-3, one error line, no internal error,
    no traceback, and nothing written (rows, audit entries, files) when it fails."""
    path, cmd = data.draw(st.sampled_from(COMMANDS), label="command")
    args = _args(cmd, path, data)
    before = _state(vet)
    r = vet.run(*args, input="")
    event(f"exit {r.exit_code}")
    assert r.exit_code in (0, 1, 2, 3), (args, r.exit_code, r.stderr, r.exception)
    text = r.stdout + r.stderr
    assert "Traceback" not in text and "internal error" not in text, (args, text)
    if r.exit_code != 0:
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, r.stderr)
        assert _state(vet) == before, args


@pytest.fixture
def monkeypatch_cwd(vet, monkeypatch):
    """Commands that write into the current folder write into the test's folder."""
    monkeypatch.chdir(vet.dir)
