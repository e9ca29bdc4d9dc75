"""Docs stay true: every command has help with an example and is in docs/cli.md;
every stored column is in the data inventory (as sqlite-utils' test_docs.py)."""

from __future__ import annotations

import re

import pytest
import typer
from conftest import ROOT

from vetcards.cli import app


def _commands(cmd, path=()):
    if hasattr(cmd, "list_commands"):
        ctx = typer.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from _commands(cmd.get_command(ctx, name), path + (name,))
    else:
        yield " ".join(path), cmd


ROOT_COMMAND = typer.main.get_command(app)
COMMANDS = sorted(_commands(ROOT_COMMAND), key=lambda x: x[0])


def test_lazy_registry_help_matches_each_command():
    """`vetcards --help` lists commands from the registry without importing them;
    its short help must say what the command's own help says."""
    from vetcards.cli import COMMANDS as REGISTRY

    ctx = typer.Context(ROOT_COMMAND)
    for name, entry in REGISTRY.items():
        command = ROOT_COMMAND.get_command(ctx, name)
        assert command is not None, name
        assert entry[3] == command.get_short_help_str(300), name


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_has_help_with_example(path, cmd):
    assert cmd.help and len(cmd.help.strip()) > 20, f"{path}: no help text"
    assert "Example" in cmd.help, f"{path}: help has no example"
    for param in cmd.params:
        if getattr(param, "hidden", False) or param.name in ("help",):
            continue
        assert getattr(param, "help", None), f"{path}: {param.name} has no help"


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_command_is_documented(path, cmd):
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"vetcards {path}" in text, f"`vetcards {path}` is missing from docs/cli.md"


def test_data_inventory_lists_every_column():
    from sqlmodel import SQLModel

    import vetcards.models  # noqa: F401

    text = (ROOT / "docs" / "data-inventory.md").read_text(encoding="utf-8")
    missing = []
    for table in SQLModel.metadata.sorted_tables:
        section = re.search(rf"^## [^\n]*\b{table.name}\b[^\n]*$(.*?)(?=^## |\Z)", text, re.M | re.S)
        if section is None:
            missing.append(table.name)
            continue
        for column in table.columns:
            if not re.search(rf"\b{column.name}\b", section.group(1)):
                missing.append(f"{table.name}.{column.name}")
    assert not missing, f"not in docs/data-inventory.md: {missing}"


def test_readme_quick_start_is_two_make_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
