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
