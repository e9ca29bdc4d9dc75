"""Files vetcards writes outside the encrypted database (exports, PDFs).

One way to write them: mode 0600 from the first byte, whatever the umask, and
atomically (a temporary name in the same directory, then a rename), so a
crash or a full disk never leaves a partial copy of personal data behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` mode 0600, atomically: a temporary file in
    the same directory (created 0600, exclusively), then a rename. Never
    leaves a partial file, and never a wider mode, whatever the umask."""
    path = Path(path)
    tmp = str(path.parent / f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
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
