"""Files vetcards writes outside the encrypted database (exports, PDFs).

One way to write them: mode 0600 from the first byte, whatever the umask, and
atomically (a temporary name in the same directory, then a rename), so a
crash or a full disk never leaves a partial copy of personal data behind.

And one rule for where (:func:`check_target`): a file is written only at the
name asked for and only as a regular file. An existing device, FIFO, socket,
directory or symbolic link at that name is refused with one line, never
replaced (run as root, ``--out /dev/null`` would otherwise turn /dev/null
into a regular file); the check is made again just before the rename.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import tempfile
from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import InvalidInput

#: What a name that exists but is not a regular file is, in the refusal.
_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))


def check_target(path: Path | str, field: str = "--out") -> Path:
    """``path`` if a regular file may be written there: it does not exist, or is a regular file
    (never followed if a link), and its folder exists. Else one line (:class:`InvalidInput`)."""
    path = Path(path).expanduser()
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, a folder we may not read
        raise InvalidInput(field, f"cannot be used as a file name ({why(exc)})") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        raise InvalidInput(field, f"is {kind}; only regular files are written")
    if not is_dir(path.parent):
        raise InvalidInput(field, "the directory does not exist")
    return path


def is_dir(path: Path | str) -> bool:
    """``path`` names a folder (following links); False for any name that cannot be looked up."""
    try:
        return Path(path).expanduser().is_dir()
    except (OSError, ValueError):  # a name too long, a NUL byte: check_target says which
        return False


def why(exc: BaseException) -> str:
    """The reason an OS call failed, for an error line (never a path)."""
    return (exc.strerror if isinstance(exc, OSError) else None) or type(exc).__name__


def replace_regular(tmp: str | Path, path: Path, field: str = "--out") -> None:
    """Rename the finished temporary file ``tmp`` to ``path``, checking again (just before) that
    ``path`` is not a device, FIFO, link or directory; the temporary file is removed on refusal."""
    try:
        check_target(path, field)
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: str | Path) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def write_private(path: Path, data: bytes, *, sync: bool = True, field: str = "--out") -> None:
    """Write ``data`` to ``path`` mode 0600, atomically: a temporary file in
    the same directory (created 0600, exclusively), then a rename. Never
    leaves a partial file, and never a wider mode, whatever the umask.
    Only a regular file is written (:func:`check_target`, ``field`` names the option)."""
    path = check_target(path, field)
    tmp = str(path.parent / f".vetcards-{os.getpid()}.tmp")  # short: any name that fits, fits
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        fd, tmp = tempfile.mkstemp(prefix=".vetcards-", suffix=".tmp", dir=str(path.parent))
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        replace_regular(tmp, path, field)
    except BaseException:
        _discard(tmp)
        raise


def sync_folder(folder: Path) -> None:
    """Make a folder of files written with ``sync=False`` durable: flush the
    file system's dirty data once (``os.sync``), then the directory entry."""
    os.sync()
    fd = os.open(str(folder), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new name in ``path`` durable (best effort: some file systems refuse)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: Columns that hold a number people read as text (a phone number): in a spreadsheet file
#: (``--excel``) their leading ``+`` is kept as text (``'+31612345678``), never turned into a number.
TEXT_COLUMNS = frozenset({"phone", "landline"})

_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")


def csv_cell(value: Any, *, text: bool = False) -> Any:
    """A CSV cell for people or partners (SPEC §7): text that a spreadsheet would
    run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) gets a leading ``'``;
    a plain signed number stays a number, unless ``text`` (a phone number: it must
    stay text, so ``+31612345678`` becomes ``'+31612345678``). The one formula rule of every CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        body = value[1:]
        if text or not (value[0] in "+-" and body.replace(".", "", 1).isdigit()):
            return "'" + value
    return value


def _excel_cell(value: Any) -> Any:
    """A decimal number with a decimal comma (a Dutch spreadsheet reads ``12,50`` as a number)."""
    if isinstance(value, (float, Decimal)) or (isinstance(value, str) and _DECIMAL.fullmatch(value)):
        return str(value).replace(".", ",")
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, excel: bool = False,
             line_end: str = "\n", text_columns: Collection[str] = TEXT_COLUMNS) -> str:
    """CSV for people or partners: a header row, then every cell through :func:`csv_cell`.

    ``excel``: for a Dutch spreadsheet opened with a double click: ``;`` between cells, a
    decimal comma, CRLF line ends (:func:`csv_bytes` adds the byte order mark).
    """
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else line_end)
    writer.writerow(columns)
    text = [c in text_columns for c in columns]
    for row in rows:
        cells = [csv_cell(v, text=excel and t) for v, t in zip(row, text)]
        writer.writerow([_excel_cell(c) for c in cells] if excel else cells)
    return buf.getvalue()


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, excel: bool = False,
              line_end: str = "\r\n") -> bytes:
    """:func:`csv_text` as a file: UTF-8, with a byte order mark for a spreadsheet (``excel``)."""
    return csv_text(columns, rows, excel=excel, line_end=line_end).encode("utf-8-sig" if excel else "utf-8")
