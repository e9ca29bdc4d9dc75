"""The right of access and data portability (GDPR art. 15 and 20) as use cases: ``vetcards export``.

:mod:`vetcards.export` builds the document of one client (schema v2) and its
formats; here one client's export, or every client's, is rendered, written
and audited in one unit of work. The audit entry (client numbers, the format,
where it went, the request it answered; never data) and the closed request
of one client's export are committed only once the file is written, so a
failed write leaves no trace and a written file is never missing from the
audit log. A bulk export (``--all``) logs every client first, then publishes
all files at once or none (:func:`export_all`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Optional

from . import audit, files
from .errors import InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork

__all__ = ["EXTENSIONS", "AllExported", "Exported", "check_out", "export_all", "export_folder", "export_one", "render"]

#: The file extension of each export format.
EXTENSIONS = {"json": "json", "csv": "zip", "report": "html"}


def render(doc: dict[str, Any], fmt: str, lang: str = "nl", *, compact: bool = False) -> bytes:
    """The bytes of one export document: JSON, a zip of CSV files, or the HTML access report."""
    from . import export_formats

    if fmt == "json":
        return (export_formats.to_json(doc, compact=compact) + "\n").encode("utf-8")
    if fmt == "csv":
        return export_formats.to_csv_zip(doc)
    from . import report

    return report.render(doc, lang).encode("utf-8")


def check_out(out: Optional[str]) -> None:
    """Refuse an impossible ``--out`` before the database is touched (``-`` is stdout)."""
    if out in (None, "-"):
        return
    path = Path(out).expanduser()
    if not files.is_dir(path):
        files.check_target(path)


def _target(out: Optional[str], number: str, fmt: str, today: date) -> Optional[Path]:
    """Where a one-client export goes (None for stdout): a file, or export-CLIENT-DATE.EXT in a folder."""
    default_name = f"export-{number}-{today.isoformat()}.{EXTENSIONS[fmt]}"
    if out == "-":
        return None
    if out is None:
        return Path.cwd() / default_name
    path = Path(out).expanduser()
    if files.is_dir(path):
        path = path / default_name
    return files.check_target(path)


def _write(path: Path, payload: bytes, sync: bool = True) -> None:
    """Write 0600, atomically; a failure is one line (and rolls the export back)."""
    try:
        files.write_private(path, payload, sync=sync)
    except OSError as exc:
        raise InvalidInput("--out", f"cannot write the file ({exc.strerror or type(exc).__name__})") from None


@dataclass
class Exported:
    """One client's export: the client number, where it was written (None: the stream), the request closed."""

    number: str
    path: Optional[Path]
    request_id: Optional[int]


def export_one(uow: UnitOfWork, client_ref: str, *, fmt: str, lang: str, out: Optional[str],
               stream: Optional[BinaryIO], generated_at: datetime, today: date,
               request: Optional[str] = None) -> Exported:
    """Export one client (restricted data included, marked) to ``out`` (``-``: ``stream``); audit and commit.

    ``request``: the access or portability request this answers; it is
    closed. Not activity: the client's last activity does not change.
    """
    from . import export

    cid, number = export.resolve_client(uow, client_ref)
    target = _target(out, number, fmt, today)
    request_id = export.close_request(uow, request, number, today) if request is not None else None
    payload = render(export.export_client(uow, str(cid), generated_at), fmt, lang)
    details: dict[str, Any] = {"format": fmt, "to": "stdout" if target is None else "file"}
    if request_id is not None:
        details["request"] = request_id
    audit.record(uow, "export", "client", [number], details)
    if target is None:
        if stream is None:
            raise ValueError("--out - needs a stream")  # pragma: no cover - a caller's mistake
        stream.write(payload)
        stream.flush()
    else:
        _write(target, payload)
    uow.commit()
    return Exported(number, target, request_id)


@dataclass
class AllExported:
    """``export --all``: the clients published (all of them, or none), of how many; what stopped it, if anything."""

    folder: Path
    total: int
    written: list[str] = field(default_factory=list)
    staged: int = 0
    stopped: Optional[BaseException] = None


#: The hidden staging folder of a bulk export, beside the target folder: ``.vetcards-export-PID-XXXX``.
STAGING_PREFIX = ".vetcards-export-"


def export_folder(out: Optional[str]) -> Path:
    """The folder of ``export --all``, checked before the database is touched (made by the export)."""
    if out in (None, "-"):
        raise InvalidInput("--out", "export --all writes one file per client: give a directory, --out DIR")
    folder = Path(out).expanduser()
    try:
        if folder.is_symlink() and folder.is_dir():
            folder = Path(os.path.realpath(folder))  # the folder the link names: never the link replaced
        if folder.exists() and not folder.is_dir():
            raise InvalidInput("--out", "must be a directory for export --all")
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        raise InvalidInput("--out", f"cannot be used as a folder name ({files.why(exc)})") from None
    if not folder.parent.is_dir():
        raise InvalidInput("--out", "the parent directory does not exist")
    return folder


def sweep_staging(parent: Path) -> list[Path]:
    """Remove the staging folders a killed bulk export left in ``parent`` (their process is gone)."""
    swept: list[Path] = []
    try:
        names = [n for n in os.listdir(parent) if n.startswith(STAGING_PREFIX)]
    except OSError:
        return swept
    for name in names:
        pid = name[len(STAGING_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(parent / name, ignore_errors=True)
            swept.append(parent / name)
    return swept


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a folder of ours from before: only a killed run of another process reuses our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _publish(staging: Path, folder: Path) -> None:
    """Move the finished files into ``folder``: the whole staging folder at once when ``folder``
    is missing or empty (one rename), else file by file (each a regular file, complete)."""
    try:
        if not folder.exists() or not any(folder.iterdir()):
            os.rename(staging, folder)
            files.fsync_dir(folder.parent)
            return
    except OSError:
        pass  # e.g. an empty folder that cannot be replaced: move the files one by one
    names = sorted(os.listdir(staging))
    for name in names:  # every name checked first: a link or a device among them publishes nothing
        files.check_target(folder / name)
    for name in names:
        files.replace_regular(staging / name, folder / name)
    files.fsync_dir(folder)


def export_all(uow: UnitOfWork, folder: Path, *, fmt: str, lang: str, generated_at: datetime,
               progress: Optional[Callable[[int, int], None]] = None) -> AllExported:
    """Export every client into ``folder`` (:func:`export_folder`), one file each (CLIENT.EXT); audit first.

    The audit entry (every client number) is committed before the first file
    is written, so no file ever leaves unlogged. The files are written into a
    hidden staging folder (mode 0700) beside ``folder`` and published at the
    end, all together: an interrupted run (an error, Ctrl-C, SIGTERM, which
    the CLI turns into an interrupt) removes the staging folder and publishes
    nothing; one killed outright (SIGKILL) leaves only the hidden folder,
    swept by the next run. Files are written without an fsync each and made
    durable once (20,000 fsyncs cost minutes). What stopped a run is returned
    in ``stopped`` for the caller to raise.
    """
    from . import export

    ext = EXTENSIONS[fmt]
    numbers = export.client_numbers(uow)
    result = AllExported(folder, len(numbers))
    sweep_staging(folder.parent)
    audit.record(uow, "export", "client", numbers, {"format": fmt, "all": True, "count": len(numbers)})
    uow.commit()
    staging: Optional[Path] = None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=folder.parent))
        for doc in export.iter_exports(uow, generated_at):
            number = doc["client"]["number"]
            _write(staging / f"{number}.{ext}", render(doc, fmt, lang, compact=True), sync=False)
            result.staged += 1
            if progress is not None:
                progress(result.staged, result.total)
        files.sync_folder(staging)
        _publish(staging, folder)
        result.written = numbers
    except (Exception, KeyboardInterrupt) as exc:  # publish nothing, then stop
        result.stopped = exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return result
