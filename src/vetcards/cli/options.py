"""Options shared by many commands, written once as ``Annotated`` aliases, and groups of
options several commands take together, declared once (:func:`group`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar, cast, get_args

import typer

F = TypeVar("F", bound=Callable[..., Any])

#: What a command gets for a group of options (:func:`group`): parameter name -> the value given.
Form = dict[str, Any]


def group(into: str, options: Mapping[str, Any], *, make: Callable[..., Any] = dict) -> Callable[[F], F]:
    """Declare a group of options once for every command that takes it (as sqlite-utils'
    ``@output_options``): Typer shows each option of ``options`` (parameter name ->
    ``Annotated`` alias) where the command has its parameter ``into``, in that order, and
    the command gets them as one value, ``make(**given)`` (a :data:`Form` unless told).

    An option not given is None, a flag (``bool``) False.
    """

    def default(alias: Any) -> Any:
        return False if get_args(alias)[0] is bool else None

    def decorate(command: F) -> F:
        keyword = inspect.Parameter.KEYWORD_ONLY
        signature = inspect.signature(command, eval_str=True)
        if into not in signature.parameters:
            raise TypeError(f"{command.__name__} has no parameter {into!r} for its option group")
        params: list[inspect.Parameter] = []
        for param in signature.parameters.values():
            if param.name == into:
                params += [inspect.Parameter(name, keyword, annotation=alias, default=default(alias))
                           for name, alias in options.items()]
            else:
                params.append(param.replace(kind=keyword))

        @functools.wraps(command)
        def run(**given: Any) -> Any:
            given[into] = make(**{name: given.pop(name) for name in options})
            return command(**given)

        run.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {param.name: param.annotation for param in params}
        return cast(F, run)

    return decorate


def required(option: str, help: str) -> Any:
    """An option the command cannot do without (``Annotated[str, required(...)]``): no default to show."""
    return typer.Option(option, help=help, show_default=False)


def text(option: str, help: str) -> Any:
    """An option that takes a text, None when not given, for a :func:`group`'s table:
    ``Annotated[Optional[str], typer.Option(option, help=help)]``."""
    return Annotated[Optional[str], typer.Option(option, help=help)]


def one_of(codes: Sequence[str]) -> str:
    """A code list (:mod:`vetcards.vocab`) as a help text names it: "a, b or c"."""
    return f"{', '.join(codes[:-1])} or {codes[-1]}"


def yes_no(flag: Optional[bool]) -> Optional[str]:
    """A ``--x/--not-x`` flag as the library reads it: "yes", "no", or None when not given."""
    return None if flag is None else ("yes" if flag else "no")


class Format(str, Enum):
    table = "table"
    plain = "plain"
    csv = "csv"
    json = "json"


def format_option(help: str) -> Any:
    """``--format``/``-f``, its choices (an Enum) typed in any case: ``Annotated[Choices, format_option(...)]``."""
    return typer.Option("--format", "-f", help=help, case_sensitive=False)


FormatOpt = Annotated[
    Optional[Format],
    format_option("Output: table (Rich, default on a terminal), plain (default otherwise), csv or json."),
]

JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON object (for scripts), with the new id and number."),
]

#: ``--json`` where the object's keys need no word of explanation.
JsonObjectOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def on_date(what: str) -> Any:
    """``--date`` for the day something happened, today when not given (``what``: the date of what)."""
    return typer.Option("--date", help=f"{what} (default: today).")


def file_option(*decls: str, help: str) -> Any:
    """An option naming a file (``Annotated[Optional[Path], file_option(...)]``): never a directory."""
    return typer.Option(*decls, help=help, dir_okay=False)


def file_argument(help: str) -> Any:
    """A file named on the command line (``Annotated[Path, file_argument(...)]``): never a directory."""
    return typer.Argument(help=help, dir_okay=False, show_default=False)


YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (needed in scripts).")
]

DateOpt = Annotated[
    Optional[str],
    typer.Option("--date", help="Date, ISO 2026-11-27 or Dutch 27-11-2026 (default: today)."),
]

DbOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--db",
        help="Database file (else $VETCARDS_DB, else the platform data dir).",
        show_default=False,
        dir_okay=False,
    ),
]

KeyFileOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--key-file",
        help="Key file with a 256-bit raw key (else $VETCARDS_KEY_FILE, $VETCARDS_PASSPHRASE, or a prompt).",
        show_default=False,
    ),  # a directory is a key error (exit 3, keys.check_key_file_mode), not a usage error
]

ActorOpt = Annotated[
    Optional[str],
    typer.Option("--actor", help="Who is working, for the audit log (else $VETCARDS_ACTOR, else the OS user)."),
]

ClientArg = Annotated[str, typer.Argument(help="Client number (K000012) or numeric id.", show_default=False)]
PetArg = Annotated[str, typer.Argument(help="Pet number (P000034) or numeric id.", show_default=False)]

WideOpt = Annotated[
    bool, typer.Option("--wide", help="Table: show every column (default: the columns that fit the terminal)."),
]

ExcelOpt = Annotated[
    bool,
    typer.Option("--excel", help="CSV for a Dutch spreadsheet: UTF-8 with BOM, ';' between cells, decimal comma "
                                 "(implies --format csv)."),
]


class Lang(str, Enum):
    """The language of a document for people (:data:`vetcards.vocab.LANGS`)."""

    nl = "nl"
    en = "en"


LangOpt = Annotated[
    Lang,
    typer.Option("--lang", help="Language of the document: nl (default) or en.", case_sensitive=False),
]
