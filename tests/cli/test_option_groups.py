"""cli/options.group and output.listing: a group of options declared once stands where the command
has its parameter, in the table's order, and reaches the command as one value (no database)."""

from __future__ import annotations

from typing import Annotated, Optional

import pytest
import typer
from typer.testing import CliRunner

from vetcards.cli.options import Form, JsonOpt, group, one_of, text, yes_no
from vetcards.cli.output import Listing, listing
from vetcards.cli.words import changed

CARD = {
    "name": text("--name", "The name."),
    "sure": Annotated[Optional[bool], typer.Option("--sure/--not-sure", help="Yes or no.", show_default=False)],
    "loud": Annotated[bool, typer.Option("--loud", help="A flag.")],
}


def _app() -> typer.Typer:
    app = typer.Typer()
    seen: dict = {}

    @app.command("add")
    @group("card", CARD)
    def add(ref: Annotated[str, typer.Argument(help="The reference.")], *, card: Form,
            json_out: JsonOpt = False) -> None:
        """Add one. Example: x add R1 --name N"""
        seen.update(ref=ref, card=card, json=json_out)

    @app.command("list")
    @listing()
    def list_(species: Annotated[Optional[str], typer.Option("--species", help="Only this.")] = None, *,
              view: Listing) -> None:
        """List. Example: x list"""
        seen.update(species=species, view=(view.fmt and view.fmt.value, view.wide, view.excel))

    app.seen = seen  # type: ignore[attr-defined]
    return app


def test_the_group_reaches_the_command_as_one_dict_with_defaults():
    app = _app()
    r = CliRunner().invoke(app, ["add", "R1", "--name", "Bello", "--not-sure", "--json"])
    assert r.exit_code == 0, r.output
    assert app.seen == {"ref": "R1", "card": {"name": "Bello", "sure": False, "loud": False}, "json": True}
    r = CliRunner().invoke(app, ["add", "R2"])
    assert app.seen["card"] == {"name": None, "sure": None, "loud": False}


def _options(app: typer.Typer, name: str) -> list[str]:
    root = typer.main.get_command(app)
    command = root.get_command(typer.Context(root), name)
    return [param.opts[0] for param in command.params]


def test_the_group_stands_where_its_parameter_is():
    assert _options(_app(), "add") == ["ref", "--name", "--sure", "--loud", "--json"]


def test_listing_options_are_one_listing():
    app = _app()
    r = CliRunner().invoke(app, ["list", "--species", "cat", "--format", "CSV", "--wide", "--excel"])
    assert r.exit_code == 0, r.output
    assert app.seen["species"] == "cat" and app.seen["view"] == ("csv", True, True)
    assert _options(app, "list") == ["--species", "--format", "--wide", "--excel"]


def test_a_group_needs_its_parameter():
    with pytest.raises(TypeError, match="no parameter 'card'"):
        group("card", CARD)(lambda other: None)


def test_small_words():
    assert one_of(("a", "b", "c")) == "a, b or c"
    assert [yes_no(None), yes_no(True), yes_no(False)] == [None, "yes", "no"]
    assert changed(["phone", "email"]) == "phone, email changed" and changed([]) == "nothing changed"
