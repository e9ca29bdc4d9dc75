"""``vetcards export`` / ``import``: right of access and data portability (SPEC §5)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import output
from .options import JsonOpt
from .state import get_state, today

app = typer.Typer()


class ExportFormat(str, Enum):
    json = "json"
    csv = "csv"
    report = "report"


class Lang(str, Enum):
    nl = "nl"
    en = "en"


EXTENSIONS = {"json": "json", "csv": "zip", "report": "html"}


def _render(doc: dict, fmt: str, lang: str, compact: bool = False) -> bytes:
    from .. import export as exports

    if fmt == "json":
        return (exports.to_json(doc, compact=compact) + "\n").encode("utf-8")
    if fmt == "csv":
        return exports.to_csv_zip(doc)
    from .. import report

    return report.render(doc, lang).encode("utf-8")


def _target(out: Optional[str], number: str, fmt: str) -> Optional[Path]:
    """Where a one-client export goes: None for stdout."""
    from ..errors import InvalidInput

    default_name = f"export-{number}-{today().isoformat()}.{EXTENSIONS[fmt]}"
    if out == "-":
        return None
    if out is None:
        return Path.cwd() / default_name
    path = Path(out).expanduser()
    if path.is_dir():
        return path / default_name
    if not path.parent.is_dir():
        raise InvalidInput("--out", "the directory does not exist")
    return path


def _write(path: Path, payload: bytes, sync: bool = True) -> None:
    """Write 0600, atomically; a failure is one line (and rolls the export back)."""
    from .. import files
    from ..errors import InvalidInput

    try:
        files.write_private(path, payload, sync=sync)
    except OSError as exc:
        raise InvalidInput("--out", f"cannot write the file ({exc.strerror or type(exc).__name__})") from None


def _check_out(out: Optional[str]) -> None:
    """Refuse an impossible --out before touching the database."""
    from ..errors import InvalidInput

    if out in (None, "-"):
        return
    path = Path(out).expanduser()
    if not path.is_dir() and not path.parent.is_dir():
        raise InvalidInput("--out", "the directory does not exist")


def _export_all(ctx: typer.Context, out: Optional[str], fmt: str, lang: str) -> None:
    from datetime import UTC, datetime

    from .. import audit, files
    from .. import export as exports
    from ..errors import InvalidInput

    if out in (None, "-"):
        raise InvalidInput("--out", "export --all writes one file per client: give a directory, --out DIR")
    folder = Path(out).expanduser()
    if folder.exists() and not folder.is_dir():
        raise InvalidInput("--out", "must be a directory for export --all")
    if not folder.parent.is_dir():
        raise InvalidInput("--out", "the parent directory does not exist")
    folder.mkdir(mode=0o700, exist_ok=True)
    ext = EXTENSIONS[fmt]
    written: list[str] = []
    stopped: Optional[BaseException] = None
    with get_state(ctx).unit() as conn:
        total = len(exports.client_numbers(conn))
        progress = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            progress = Progress(console=Console(stderr=True), transient=True)
            task = progress.add_task("exporting", total=total)
            progress.start()
        try:
            for doc in exports.iter_exports(conn, datetime.now(UTC)):
                number = doc["client"]["number"]
                # One flush at the end instead of an fsync per file (20,000 fsyncs
                # cost minutes); each file still appears only complete (rename).
                _write(folder / f"{number}.{ext}", _render(doc, fmt, lang, compact=True), sync=False)
                written.append(number)
                if progress is not None:
                    progress.advance(task)
        except (Exception, KeyboardInterrupt) as exc:  # audit what was written, then stop
            stopped = exc
        finally:
            if progress is not None:
                progress.stop()
        if written:
            files.sync_folder(folder)
            audit.record(conn, "export", "client", written,
                         {"format": fmt, "all": True, "count": len(written)})
        conn.commit()
    if stopped is not None:
        output.message(f"stopped after {len(written)} of {total} clients; the files written are complete "
                       "and in the audit log")
        raise stopped
    output.message(f"exported {len(written)} clients to {folder}")


@app.command("export")
def export(
    ctx: typer.Context,
    client: Annotated[Optional[str], typer.Argument(help="Client number (K000012) or numeric id.",
                                                    show_default=False)] = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="json (schema v1, default), csv (a zip "
                                              "with one CSV per record type) or report (printable HTML).",
                                              case_sensitive=False)] = ExportFormat.json,
    out: Annotated[Optional[str], typer.Option("--out", "-o", help="File or directory to write (mode 0600); "
                                               "- for stdout. Default: export-CLIENT-DATE.EXT here.",
                                               show_default=False)] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the report: nl (default) or en.",
                                       case_sensitive=False)] = Lang.nl,
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

    from .. import audit
    from .. import export as exports

    _check_out(out)
    with get_state(ctx).unit() as conn:
        cid, number = exports.resolve_client(conn, client)
        target = _target(out, number, fmt_value)
        req_id = exports.close_request(conn, request, number, today()) if request is not None else None
        doc = exports.export_client(conn, str(cid), datetime.now(UTC))
        payload = _render(doc, fmt_value, lang_value)
        details: dict = {"format": fmt_value, "to": "stdout" if target is None else "file"}
        if req_id is not None:
            details["request"] = req_id
        audit.record(conn, "export", "client", [number], details)
        if target is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(payload)
            sys.stdout.buffer.flush()
        else:
            _write(target, payload)
        conn.commit()
    if target is not None:
        output.message(f"client {number}: {fmt_value} export written to {target}")
    if req_id is not None:
        output.message(f"request {req_id} closed")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A vetcards JSON export (schema v1) of another practice; - for stdin.",
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
    counts: dict = {}
    with get_state(ctx).unit() as session:
        number = importer.import_client(session, data, today=today(), counts_out=counts)
    if json_out:
        output.emit_json({"id": counts.pop("id"), "number": number, **counts})
    else:
        print(number)
        output.message(f"client {number} imported: {counts['pets']} pets, {counts['invoices']} invoices")
