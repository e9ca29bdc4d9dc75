"""``vetcards export`` / ``import``: right of access and data portability (SPEC §5)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import output
from .options import JsonOpt, Lang, LangOpt
from .output import Output
from .state import call, today

app = typer.Typer()


class ExportFormat(str, Enum):
    json = "json"
    csv = "csv"
    report = "report"


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (cron, systemd) and SIGHUP stop a bulk export as Ctrl-C does: it cleans up, then stops."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _export_all(ctx: typer.Context, out: Optional[str], fmt: str, lang: str) -> None:
    from datetime import UTC, datetime

    from .. import access

    folder = access.export_folder(out)
    with ExitStack() as stack:
        stack.enter_context(_terminate_as_interrupt())
        progress = output.progress_bar(stack, "exporting")
        result = call(ctx, access.export_all, folder, fmt=fmt, lang=lang, generated_at=datetime.now(UTC),
                      progress=progress)
    if result.stopped is not None:
        output.message(f"stopped after {result.staged} of {result.total} clients; no file was published "
                       "(the audit log records the attempt)")
        if isinstance(result.stopped, KeyboardInterrupt):
            raise typer.Abort()  # exit 130 through the error boundary, as Ctrl-C
        raise result.stopped
    output.message(f"exported {len(result.written)} clients to {result.folder}")


@app.command("export")
def export(
    ctx: typer.Context,
    client: Annotated[Optional[str], typer.Argument(help="Client number (K000012) or numeric id.",
                                                    show_default=False)] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="json (schema v2, default), csv (a zip "
                                              "with one CSV per record type) or report (printable HTML).",
                                              case_sensitive=False)] = ExportFormat.json,
    out: Annotated[Optional[str], typer.Option("--out", "-o", help="File or directory to write (mode 0600); "
                                               "- for stdout. Default: export-CLIENT-DATE.EXT here.",
                                               show_default=False)] = None,
    lang: LangOpt = Lang.nl,
    request: Annotated[Optional[str], typer.Option("--request", help="Close this access or portability "
                                                   "request (vetcards request list).", show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Export every client, one file each, into --out DIR.")] = False,
) -> None:
    """Export everything held on a client and their animals (access, portability).

    Not activity: exporting does not change the client's last activity. Every
    export is in the audit log (client number and format).

    Examples:

      vetcards export K000012                      # export-K000012-<date>.json here

      vetcards export K000012 --format report --lang en --out report.html

      vetcards export K000012 --out - | jq .pets

      vetcards export --all --out exports/
    """
    from ..errors import UsageError

    fmt_value, lang_value = fmt.value, lang.value
    if all_:
        if client is not None or request is not None:
            raise UsageError("export --all takes no CLIENT and no --request (see: vetcards export --help)")
        _export_all(ctx, out, fmt_value, lang_value)
        return
    if client is None:
        raise UsageError("give a CLIENT, or --all (see: vetcards export --help)")

    from datetime import UTC, datetime

    from .. import access

    access.check_out(out)
    stream = None
    if out == "-":
        sys.stdout.flush()
        stream = sys.stdout.buffer
    result = call(ctx, access.export_one, client, fmt=fmt_value, lang=lang_value, out=out, stream=stream,
                  generated_at=datetime.now(UTC), today=today(), request=request)
    if result.path is not None:
        output.message(f"client {result.number}: {fmt_value} export written to {result.path}")
    if result.request_id is not None:
        output.message(f"request {result.request_id} closed")


#: An export nests at most six levels (document, invoices, lines, ...); far more is not one.
MAX_DEPTH = 32


def _too_deep(data: object) -> bool:
    """Whether ``data`` nests deeper than :data:`MAX_DEPTH` (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return False


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A vetcards JSON export (schema v1 or v2) of another practice; - for stdin.",
                                        show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Import a client from another practice's vetcards JSON export (portability).

    The file is checked against the export schema and every field against
    this practice's rules first; if anything fails, nothing is written. The
    client and pets get new numbers here; invoices are kept as history under
    their original numbers (see docs/export.md).

    Example: vetcards import export-K000012-2026-11-27.json
    """
    import json

    from .. import importer
    from ..errors import InvalidInput

    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).expanduser().read_bytes()
    except OSError:
        raise InvalidInput("FILE", "does not exist or cannot be read") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput("FILE", "is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput("FILE", f"is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # '[' * 100000: nested deeper than any export
        raise InvalidInput("FILE", "is nested too deeply to be a vetcards export") from None
    if _too_deep(data):  # parsed, but the checks would recurse as deep
        raise InvalidInput("FILE", "is nested too deeply to be a vetcards export")
    counts: dict = {}
    number = call(ctx, importer.import_client, data, today=today(), counts_out=counts)
    Output(json_out).result({"id": counts.pop("id"), "number": number, **counts},
                            f"client {number} imported: {counts['pets']} pets, {counts['invoices']} invoices",
                            text=number)
