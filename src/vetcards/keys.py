"""Where the database key comes from, and key files (SPEC §6).

Order: ``--key-file``, ``VETCARDS_KEY_FILE``, ``VETCARDS_PASSPHRASE``, an
interactive prompt (terminal only; the prompt itself lives in the CLI and is
passed in as a callable so that this module never touches a terminal).

A key file holds a random 256-bit raw key as 64 hex digits. A raw key skips
SQLCipher's PBKDF2 (fast: cron jobs and tests), a passphrase goes through it
(256,000 iterations, the SQLCipher 4 default, kept on purpose).
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .errors import KeyFailure

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")

#: The shortest passphrase accepted wherever one is set (``init``, ``rekey``): SPEC §6.
MIN_PASSPHRASE = 12


def check_new_passphrase(passphrase: Optional[str], what: str = "passphrase", *, then: str = "nothing created") -> str:
    """The one rule for a passphrase being set: given, and at least :data:`MIN_PASSPHRASE` characters."""
    if not passphrase:
        raise KeyFailure(f"no {what} given; {then}")
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyFailure(f"{what}: must be at least {MIN_PASSPHRASE} characters; {then}")
    return passphrase


@dataclass(frozen=True)
class Key:
    """A database key: either a raw 256-bit key or a passphrase.

    ``repr`` never shows the secret, so a key in a traceback or a log line
    shows nothing useful to a reader.
    """

    secret: str
    raw: bool
    source: str

    def __repr__(self) -> str:
        return f"Key(raw={self.raw}, source={self.source!r})"

    def pragma_value(self) -> str:
        """The string SQLCipher's ``PRAGMA key`` expects."""
        if self.raw:
            return f"x'{self.secret}'"
        return self.secret


def check_key_file_mode(path: Path) -> None:
    """Refuse a key file readable or writable by group or others (as ssh does)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise KeyFailure(f"key file not found: {path}") from None
    except OSError as exc:
        raise KeyFailure(f"key file cannot be read: {path} ({exc.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise KeyFailure(f"key file is not a regular file: {path}")
    if st.st_mode & 0o077:
        raise KeyFailure(
            f"key file {path} is accessible by group or others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}"
        )


def read_key_file(path: Path, source: str = "--key-file") -> Key:
    """Read and check a key file; one clear error for every problem."""
    path = Path(path).expanduser()
    check_key_file_mode(path)
    try:
        content = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise KeyFailure(f"key file cannot be read: {path}") from None
    if not _HEX64.match(content):
        raise KeyFailure(f"key file {path} does not hold a 256-bit key (64 hex digits)")
    return Key(secret=content.lower(), raw=True, source=source)


def write_new_key_file(path: Path) -> Key:
    """Create a new key file with a random 256-bit key, mode 0600, never overwriting."""
    path = Path(path).expanduser()
    secret = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFailure(f"key file already exists, not overwritten: {path}") from None
    except OSError as exc:
        raise KeyFailure(f"cannot create key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret + "\n")
    os.chmod(path, 0o600)
    return Key(secret=secret, raw=True, source="--new-key-file")


def resolve_key(
    key_file: Optional[Path],
    env: dict[str, str],
    prompt: Optional[Callable[[], str]] = None,
) -> Key:
    """Find the key in the SPEC's order; ``prompt`` is None when not on a terminal."""
    if key_file is not None:
        return read_key_file(key_file, "--key-file")
    env_file = env.get("VETCARDS_KEY_FILE")
    if env_file:
        return read_key_file(Path(env_file), "VETCARDS_KEY_FILE")
    passphrase = env.get("VETCARDS_PASSPHRASE")
    if passphrase:
        return Key(secret=passphrase, raw=False, source="VETCARDS_PASSPHRASE")
    if prompt is not None:
        entered = prompt()
        if not entered:
            raise KeyFailure("no passphrase entered")
        return Key(secret=entered, raw=False, source="prompt")
    raise KeyFailure(
        "no key: give --key-file, or set VETCARDS_KEY_FILE or VETCARDS_PASSPHRASE "
        "(no prompt outside a terminal)"
    )
