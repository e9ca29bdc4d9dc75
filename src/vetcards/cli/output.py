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

from .options import ExcelOpt, F, Format, FormatOpt, WideOpt, group
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


#: Columns that hold an amount: ``*_cents`` (integer cents) and these (a decimal string like ``88.57``).
AMOUNT_COLUMNS = frozenset({"total", "paid", "balance", "net", "vat", "gross", "unit_price", "amount", "open",
                            "refunded", "refundable"})
#: Columns a table never cuts or wraps (with the amounts and the dates): numbers people read out and type.
WHOLE_COLUMNS = frozenset({"number", "client", "pet", "invoice", "reference", "credits", "credit_note", "phone",
                           "landline", "kind", "chip", "rate", "vat_rate", "quantity", "position", "pets"})
#: The narrowest a column that wraps is made before columns are dropped.
MIN_WRAPPED = 8


def is_amount(column: str) -> bool:
    return column.endswith("_cents") or column in AMOUNT_COLUMNS


def _kept_whole(column: str) -> bool:
    return (column in WHOLE_COLUMNS or is_amount(column) or column.endswith("date") or column.endswith("_on")
            or column == "date")


def euros(value: Any, column: str) -> str:
    """An amount for people: ``€ 1.234,56`` (``*_cents`` columns hold cents, the others a decimal)."""
    from decimal import Decimal, InvalidOperation

    from ..money import format_eur

    if value is None or value == "":
        return ""
    try:
        cents = int(value) if column.endswith("_cents") else int(Decimal(str(value)) * 100)
    except (InvalidOperation, ValueError, TypeError):
        return _cell(value)
    return format_eur(cents)


def _header(column: str) -> str:
    return column.removesuffix("_cents").replace("_", " ")


#: Columns that hold codes, and the vocabularies (:mod:`vetcards.vocab`) their codes come from, in the
#: order tried: a table for people shows a code as its label ("in collection", "debit card").
CODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sex": ("sex",), "species": ("species",), "country": ("country",), "purpose": ("consent_purpose",),
    "status": ("invoice_state", "request_state"), "payment_method": ("payment_method",),
    "method": ("payment_method", "consent_method"), "kind": ("invoice_kind", "recipient_kind"),
    "vat_category": ("vat_category",), "basis": ("disclosure_basis",), "type": ("request_type",),
}


def _label(value: Any, column: str) -> Optional[str]:
    """The English label of a code in a code column (the CLI speaks English), or None."""
    if not isinstance(value, str) or column not in CODE_COLUMNS:
        return None
    from ..vocab import codes, label

    for kind in CODE_COLUMNS[column]:
        if value in codes(kind):
            return label(kind, value, "en")
    return None


def _human(value: Any, column: str) -> str:
    if is_amount(column):
        return euros(value, column)
    return _label(value, column) or _cell(value)


def fit(columns: Sequence[str], cells: Sequence[Sequence[str]], width: int,
        drop: Sequence[str] = ()) -> list[str]:
    """The columns of a Rich table that fit ``width``: every column kept whole (numbers,
    amounts, dates) at its full width, the others at least :data:`MIN_WRAPPED` wide
    (they wrap); columns are dropped in the order of ``drop`` (least useful first),
    then from the right, until the table fits. The first column always stays."""
    from rich.cells import cell_len

    def need(i: int, column: str) -> int:
        longest = max([cell_len(row[i]) for row in cells] + [max(cell_len(w) for w in _header(column).split())])
        return longest if _kept_whole(column) else min(longest, MIN_WRAPPED)

    needs = {c: need(i, c) for i, c in enumerate(columns)}
    shown = list(columns)
    order = [c for c in drop if c in needs] + [c for c in reversed(columns[1:]) if c not in drop]
    for column in order:
        if sum(needs[c] for c in shown) + 3 * len(shown) + 1 <= width:
            break
        shown.remove(column)
    return shown


def message(text: str) -> None:
    """A message for the person (stderr), never data."""
    print(text, file=sys.stderr)


def emit_json(obj: Any) -> None:
    sys.stdout.write(to_json(obj) + "\n")


def excel_format(fmt: Optional[Format], excel: bool) -> Optional[Format]:
    """The format of a listing given ``--excel`` (:data:`options.ExcelOpt`): CSV for a spreadsheet,
    so it implies ``--format csv`` and goes with no other (a usage error)."""
    if excel and fmt not in (None, Format.csv):
        from ..errors import UsageError

        raise UsageError(f"--excel writes CSV for a spreadsheet; leave out --format {fmt.value}")
    return Format.csv if excel else fmt


def write_csv(columns: Sequence[str], data: Iterable[Sequence[Any]], *, excel: bool = False) -> None:
    """CSV on stdout, formulas neutralised (:func:`vetcards.files.csv_text`); ``excel``: UTF-8 with BOM,
    ``;``, decimal comma, CRLF, written as bytes whatever the terminal's encoding."""
    from ..files import csv_text

    text = csv_text(columns, data, excel=excel)
    if excel:
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8-sig"))
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(text)


def rows(data: Sequence[dict[str, Any]], columns: Sequence[str], fmt: Optional[Format],
         title: Optional[str] = None, *, drop: Sequence[str] = (), wide: bool = False, excel: bool = False) -> None:
    """Print a listing in the chosen format.

    The table (for people) shows amounts as ``€ 1.234,56`` and fits the
    terminal (:func:`fit`: ``drop`` lists the columns to leave out first,
    least useful first; ``wide`` shows them all). Plain, CSV and JSON keep
    every column and the exact values; CSV neutralises spreadsheet formulas,
    and ``excel`` writes it for a Dutch spreadsheet (:data:`options.ExcelOpt`).
    """
    fmt = resolve(excel_format(fmt, excel))
    if fmt is Format.json:
        emit_json([{c: r.get(c) for c in columns} for r in data])
    elif fmt is Format.csv:
        write_csv(columns, ([_cell(r.get(c)) for c in columns] for r in data), excel=excel)
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

        console = Console()
        cells = [[_human(r.get(c), c) for c in columns] for r in data]
        shown = list(columns) if wide else fit(columns, cells, console.width, drop)
        # Values are Text, never markup: a name like "Jansen [B.V.]" is data.
        table = Table(title=Text(title) if title else None, title_justify="left")
        for c in shown:
            whole = _kept_whole(c)
            table.add_column(Text(_header(c)), no_wrap=whole, overflow="ignore" if whole else "fold",
                             justify="right" if is_amount(c) else "left")
        index = [columns.index(c) for c in shown]
        for row in cells:
            table.add_row(*[Text(row[i]) for i in index])
        console.print(table if data else Text(f"{title or ''} (none)".strip()))


def record(card: dict[str, Any], fields: Sequence[str], fmt: Optional[Format], title: str,
           sections: Iterable[tuple[str, str, Sequence[str]]] = (), *, wide: bool = False,
           drop: Optional[dict[str, Sequence[str]]] = None, excel: bool = False) -> None:
    """Print one card: its fields, then listed sections (key, title, columns).

    A table leaves out a section's columns in the order ``drop[key]`` gives
    when they do not fit (see :func:`rows`), unless ``wide``.

    JSON prints the whole card (sections included); CSV prints the card's own
    fields as one row (use the matching ``list`` command for the sections).
    """
    fmt = resolve(excel_format(fmt, excel))
    sections = list(sections)
    if fmt is Format.json:
        emit_json(card)
        return
    if fmt is Format.csv:
        rows([card], fields, fmt, excel=excel)
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
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for f in fields:
        table.add_row(Text(_header(f)), Text(_human(card.get(f), f)))
    Console().print(table)
    for key, sec_title, columns in sections:
        rows(card.get(key) or [], columns, fmt, title=sec_title, wide=wide, drop=(drop or {}).get(key, ()))


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


class Listing:
    """``--format``, ``--wide`` and ``--excel`` as a listing command got them (:func:`listing`),
    and the printing they choose: :meth:`rows` for a list, :meth:`record` for one card."""

    def __init__(self, fmt: Optional[Format] = None, wide: bool = False, excel: bool = False) -> None:
        self.fmt, self.wide, self.excel = fmt, wide, excel

    def rows(self, data: Sequence[dict[str, Any]], columns: Sequence[str], title: Optional[str] = None, *,
             drop: Sequence[str] = ()) -> None:
        rows(data, columns, self.fmt, title, drop=drop, wide=self.wide, excel=self.excel)

    def record(self, card: dict[str, Any], fields: Sequence[str], title: str,
               sections: Iterable[tuple[str, str, Sequence[str]]] = (), *,
               drop: Optional[dict[str, Sequence[str]]] = None) -> None:
        record(card, fields, self.fmt, title, sections, wide=self.wide, drop=drop, excel=self.excel)


def listing(wide: bool = True) -> Callable[[F], F]:
    """The output options of a listing, declared once: ``--format``, ``--wide`` (unless
    ``wide=False``: a listing with no columns to leave out) and ``--excel``, where the
    command has its parameter ``view``; the command gets them as one :class:`Listing`."""
    options = {"fmt": FormatOpt, "wide": WideOpt, "excel": ExcelOpt} if wide else {"fmt": FormatOpt, "excel": ExcelOpt}
    return group("view", options, make=Listing)


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
