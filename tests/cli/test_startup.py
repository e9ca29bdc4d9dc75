"""Start-up: `vetcards --help` and group help never import SQLAlchemy or SQLModel."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import vetcards

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "sqlcipher3")

# Run the real entry point in a fresh interpreter, then list what got imported.
PROBE = """
import json, sys
sys.argv = ["vetcards"] + json.loads(sys.argv[1])
from vetcards.cli import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
loaded = sorted({m.split(".")[0] for m in sys.modules})
sys.stdout.flush()
print("\\nLOADED " + json.dumps({"code": code, "modules": loaded}), file=sys.stderr)
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("VETCARDS_")}


def probe(*args: str) -> tuple[int, str, list[str]]:
    import json

    r = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(args))], capture_output=True,
                       text=True, env=_env(), timeout=60)
    marker = [line for line in r.stderr.splitlines() if line.startswith("LOADED ")]
    assert marker, r.stderr
    info = json.loads(marker[-1][len("LOADED "):])
    return info["code"], r.stdout, info["modules"]


@pytest.mark.parametrize("args", [["--help"], ["client", "--help"], ["pet", "--help"],
                                  ["client", "add", "--help"], ["--version"]],
                         ids=lambda a: " ".join(a))
def test_help_does_not_import_the_database_stack(args):
    code, out, modules = probe(*args)
    assert code == 0
    assert out
    for heavy in HEAVY:
        assert heavy not in modules, (heavy, args)


def test_probe_sees_the_database_stack_when_a_command_runs(tmp_path):
    """The probe itself can fail: a real command does import SQLAlchemy."""
    code, out, modules = probe("--db", str(tmp_path / "x.db"), "init", "--new-key-file", str(tmp_path / "x.key"))
    assert code == 0
    assert "sqlalchemy" in modules and "sqlcipher3" in modules


def test_help_via_importtime_names_no_sqlalchemy():
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "vetcards", "--help"], capture_output=True,
                       text=True, env=_env(), timeout=60)
    assert r.returncode == 0
    assert "Usage:" in r.stdout
    imported = [line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")]
    assert imported  # -X importtime did report
    assert not [m for m in imported if m.split(".")[0] in ("sqlalchemy", "sqlmodel")]


def test_version():
    r = subprocess.run([sys.executable, "-m", "vetcards", "--version"], capture_output=True, text=True,
                       env=_env(), timeout=60)
    assert r.returncode == 0
    assert r.stdout.strip() == f"vetcards {vetcards.__version__}"
    assert r.stderr == ""


def test_help_lists_the_command_groups():
    r = subprocess.run([sys.executable, "-m", "vetcards", "--help"], capture_output=True, text=True,
                       env=_env(), timeout=60)
    assert r.returncode == 0
    for group in ("init", "client", "pet", "species", "practice", "audit"):
        assert group in r.stdout


def test_no_import_cycle_among_the_cli_modules():
    """The command-line modules import one another in one direction only (the
    registry, options and output below the commands; errors never imports the
    package that imports it), whether at the top or inside a function."""
    import ast
    from pathlib import Path

    import vetcards.cli

    folder = Path(vetcards.cli.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        name = path.stem
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    graph[name].add(node.module.split(".")[0])
                else:  # from . import x, y
                    graph[name].update(alias.name for alias in node.names)
    for module in graph:
        # `from . import COMMANDS` inside a submodule imports the package itself
        graph[module] = {d if d in graph else "__init__" for d in graph[module]}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for dep in graph.get(start, ()):
            if dep == goal or (dep not in seen and reaches(dep, goal, seen | {dep})):
                return True
        return False

    cycles = [m for m in graph if reaches(m, m, {m})]
    assert not cycles, cycles


#: What a read command must not import (issue 15): the ORM and its models, pydantic
#: (Typer's option adapters: vetcards.cli.fastparams), migrations and the write-side
#: libraries. SQLAlchemy Core, sqlcipher3 and tabulate are the floor of a read.
READ_MUST_NOT_IMPORT = ("pydantic", "sqlmodel", "alembic", "jsonschema", "phonenumbers", "email_validator",
                        "dateutil", "fpdf", "prompt_toolkit", "rich", "vetcards.models")


@pytest.fixture
def read_practice(vet):
    """A practice with one client, one pet and one paid invoice."""
    vet.set_practice()
    number = vet.add_client("Anna de Vries")
    vet.add_pet(number)
    vet.ok("invoice", "create", number, "--line", "Consult;1;42,50", "--payment", "pin")
    return vet


def _modules_of(v, *args: str) -> list[str]:
    import json

    r = subprocess.run([sys.executable, "-c", PROBE.replace('{m.split(".")[0] for m in sys.modules}', "sys.modules"),
                        json.dumps(["--db", str(v.db), "--key-file", str(v.key_file), *args])],
                       capture_output=True, text=True, env={**_env(), "VETCARDS_ACTOR": "test"}, timeout=120)
    marker = [line for line in r.stderr.splitlines() if line.startswith("LOADED ")]
    assert marker, r.stderr
    info = json.loads(marker[-1][len("LOADED "):])
    assert info["code"] == 0, r.stderr
    return info["modules"]


@pytest.mark.parametrize("args", [
    ["client", "show", "K000001", "--format", "plain"],
    ["client", "search", "vries", "--format", "plain"],
    ["pet", "show", "P000001", "--format", "plain"],
    ["invoice", "list", "--client", "K000001", "--format", "plain"],
    ["invoice", "show", "INVOICE", "--format", "plain"],
], ids=lambda a: " ".join(a[:2]))
def test_a_read_imports_only_what_it_uses(read_practice, args):
    v = read_practice
    if "INVOICE" in args:
        args = [a if a != "INVOICE" else v.sql("SELECT number FROM invoice")[0][0] for a in args]
    modules = _modules_of(v, *args)
    assert "sqlalchemy" in modules  # the probe sees a command that ran
    loaded = [m for m in READ_MUST_NOT_IMPORT if m in modules or any(x.startswith(m + ".") for x in modules)]
    assert not loaded, (args, loaded)


def test_option_values_keep_typers_rules_without_pydantic(read_practice):
    """A bad choice, a path and a repeated text option are refused or taken as Typer would."""
    v = read_practice
    r = subprocess.run([sys.executable, "-m", "vetcards", "--db", str(v.db), "--key-file", str(v.key_file),
                        "client", "show", "K000001", "--format", "xml"], capture_output=True, text=True,
                       env={**_env(), "VETCARDS_ACTOR": "test"}, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error: --format: must be one of: table, plain, csv, json"), r.stderr
    r = subprocess.run([sys.executable, "-m", "vetcards", "--db", str(v.db), "--key-file", str(v.key_file),
                        "client", "show", "K000001", "--format", "JSON"], capture_output=True, text=True,
                       env={**_env(), "VETCARDS_ACTOR": "test"}, timeout=60)
    assert r.returncode == 0 and r.stdout.lstrip().startswith("{"), r.stderr


#: What a write that adds one client or one invoice must not import (issue 15): the ORM, its models
#: and pydantic. It inserts with SQLAlchemy Core over light tables (vetcards.rows, invoicing.bulk).
WRITE_MUST_NOT_IMPORT = ("pydantic", "sqlmodel", "sqlalchemy.orm", "vetcards.models", "alembic")


@pytest.mark.parametrize("args", [
    ["client", "add", "--name", "Bert Bakker", "--street", "Laan 2", "--postcode", "1234 AB", "--city", "Utrecht",
     "--phone", "06 12345678", "--email", "bert@example.nl", "--birth-date", "1970-01-01", "--consent",
     "--reminders", "--json"],
    ["invoice", "create", "K000001", "--pet", "P000001", "--line", "Consult;1;42,50", "--line",
     "Vaccinatie;1;39,50;9", "--payment", "pin", "--supply-date", "2026-01-01", "--json"],
], ids=lambda a: " ".join(a[:2]))
def test_adding_a_client_or_an_invoice_does_not_import_the_orm(read_practice, args):
    v = read_practice
    modules = _modules_of(v, *args)
    assert "sqlalchemy" in modules  # the probe sees a command that ran (and wrote)
    loaded = [m for m in WRITE_MUST_NOT_IMPORT if m in modules or any(x.startswith(m + ".") for x in modules)]
    assert not loaded, (args, loaded)
    assert v.sql("SELECT count(*) FROM audit_log WHERE action IN ('client.add', 'invoice.create')")[0][0] == 3
