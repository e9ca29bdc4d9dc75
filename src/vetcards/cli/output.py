"""What commands print: data to stdout, messages to stderr.

Every listing goes through :func:`rows` and every card through
:func:`record`, so ``--format table|plain|csv|json`` behaves the same
everywhere. Every other command result goes through one :class:`Output`
(``Output(json_out).result(obj, human=...)``: JSON for ``--json``, else the
text for people), and every "are you sure?" through :meth:`Output.confirm`.
Rich is imported only for the table format, tabulate only for plain, so
scripts do not pay for them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from datetime import date, datetime
from typing import Any, Optional, Protocol, Union

from .options import Format
from .state import interactive


def _default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    from decimal import Decimal

    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def to_json(obj: Any) -> str:
    import json  # here, not at the top: `vetcards --help` need not import it

    return json.dumps(obj, default=_default, ensure_ascii=False, indent=2)


def resolve(fmt: Optional[Format]) -> Format:
    """The format asked for, else a Rich table on a terminal and plain text otherwise."""
    if fmt is not None:
        return fmt
    return Format.table if sys.stdout.isatty() else Format.plain


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def message(text: str) -> None:
    """A message for the person (stderr), never data."""
    print(text, file=sys.stderr)


def emit_json(obj: Any) -> None:
    sys.stdout.write(to_json(obj) + "\n")


def rows(data: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Optional[Format],
         title: Optional[str] = None) -> None:
    """Print a listing in the chosen format."""
    fmt = resolve(fmt)
    if fmt is Format.json:
        emit_json([{c: r.get(c) for c in columns} for r in data])
    elif fmt is Format.csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for r in data:
            writer.writerow([_cell(r.get(c)) for c in columns])
    elif fmt is Format.plain:
        from tabulate import tabulate

        if title:
            print(f"{title}")
        if data:
            print(tabulate([[_cell(r.get(c)) for c in columns] for r in data],
                           headers=list(columns), tablefmt="simple", disable_numparse=True))
        else:
            print("(none)")
    else:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        # Values are Text, never markup: a name like "Jansen [B.V.]" is data.
        table = Table(title=Text(title) if title else None, title_justify="left")
        for c in columns:
            table.add_column(Text(c.replace("_", " ")))
        for r in data:
            table.add_row(*[Text(_cell(r.get(c))) for c in columns])
        Console().print(table if data else Text(f"{title or ''} (none)".strip()))


def record(card: dict[str, Any], fields: Sequence[str], fmt: Optional[Format], title: str,
           sections: Iterable[tuple[str, str, Sequence[str]]] = ()) -> None:
    """Print one card: its fields, then listed sections (key, title, columns).

    JSON prints the whole card (sections included); CSV prints the card's own
    fields as one row (use the matching ``list`` command for the sections).
    """
    fmt = resolve(fmt)
    sections = list(sections)
    if fmt is Format.json:
        emit_json(card)
        return
    if fmt is Format.csv:
        rows([card], fields, fmt)
        return
    pairs = [(f.replace("_", " "), _cell(card.get(f))) for f in fields]
    if fmt is Format.plain:
        from tabulate import tabulate

        print(title)
        print(tabulate(pairs, tablefmt="plain", disable_numparse=True))
        for key, sec_title, columns in sections:
            print()
            rows(card.get(key) or [], columns, fmt, title=sec_title)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title), show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for k, v in pairs:
        table.add_row(Text(k), Text(v))
    Console().print(table)
    for key, sec_title, columns in sections:
        rows(card.get(key) or [], columns, fmt, title=sec_title)


class Progress(Protocol):
    """Called by long work as it goes: how much is done, of how much, and what it is doing now."""

    def __call__(self, done: int, total: int, description: Optional[str] = None) -> None: ...


def progress_bar(stack: ExitStack, label: str) -> Optional[Progress]:
    """A Rich progress bar on stderr when stderr is a terminal, closed with ``stack``; else None.

    Long work (purge, bulk export, reminders) reports through the returned
    function; in cron and scripts there is no bar and nothing is imported.
    """
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress as RichProgress

    bar = stack.enter_context(RichProgress(console=Console(stderr=True), transient=True))
    task = bar.add_task(label, total=None)

    def update(done: int, total: int, description: Optional[str] = None) -> None:
        if description is None:
            bar.update(task, completed=done, total=total)
        else:
            bar.update(task, description=description, completed=done, total=total)

    return update


class _Result(Protocol):
    def as_dict(self) -> dict[str, Any]: ...


#: A question, or a function that checks the request and returns the plan to
#: show and the question to ask (see :meth:`Output.confirm`).
Question = Union[str, Callable[[], tuple[str, str]]]


class Output:
    """The output of one command: ``--json`` or text for people.

    ``result(obj, human=...)`` prints ``obj`` as one JSON object when the
    command was given ``--json`` (an object with ``as_dict()`` is printed as
    that dict); otherwise ``text`` (data, e.g. a new number) on stdout and
    ``human`` (one message or several lines) on stderr.
    """

    def __init__(self, json: bool = False) -> None:
        self.json = json

    def result(self, obj: Union[dict[str, Any], _Result, None], human: Union[str, Sequence[str], None] = None,
               *, text: Optional[str] = None) -> None:
        if self.json:
            emit_json(obj if isinstance(obj, dict) or obj is None else obj.as_dict())
            return
        if text:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        for line in [human] if isinstance(human, str) else (human or ()):
            message(line)

    def confirm(self, question: Question, *, yes: bool, refusal: str, declined: Optional[str] = None) -> None:
        """Go on only with ``--yes`` or when the person answers yes on a terminal.

        ``question`` may be a function that checks the request first (so a
        wrong reference is reported as such, not as a missing ``--yes``) and
        returns the plan, shown on stderr before the question, and the
        question. Not on a terminal: ``refusal`` as a usage error (exit 2).
        Answered no: "aborted; nothing was changed" (exit 130), or
        ``declined`` as a usage error when given.
        """
        if yes:
            return
        plan, ask = question() if callable(question) else ("", question)
        from ..errors import UsageError

        if not interactive():
            raise UsageError(refusal)
        if plan:
            message(plan)
        import typer

        if not typer.confirm(ask, default=False, err=True):
            if declined is not None:
                raise UsageError(declined)
            raise typer.Abort()
