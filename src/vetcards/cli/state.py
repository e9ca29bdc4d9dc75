"""Global options and the one database of this process."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

if TYPE_CHECKING:  # pragma: no cover
    from ..db import Database, UnitOfWork
    from ..keys import Key


def interactive() -> bool:
    """True when a person is at a terminal (prompts and progress bars allowed)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask_passphrase() -> str:
    import getpass

    return getpass.getpass("Passphrase: ")


@dataclass
class State:
    db: Optional[Path] = None
    key_file: Optional[Path] = None
    actor: Optional[str] = None
    #: page cache (MiB) for bulk work; set before the first unit (purge)
    cache_mib: int = 0
    _database: Optional[Database] = field(default=None, repr=False)

    def db_path(self) -> Path:
        from ..db import resolve_db_path

        return resolve_db_path(self.db, dict(os.environ))

    def key(self) -> Key:
        from ..keys import resolve_key

        return resolve_key(self.key_file, dict(os.environ), ask_passphrase if interactive() else None)

    def key_file_in_use(self) -> Optional[Path]:
        """The key file in use, in the order of SPEC §6 (None for a passphrase)."""
        if self.key_file is not None:
            return Path(self.key_file).expanduser()
        if os.environ.get("VETCARDS_KEY_FILE"):
            return Path(os.environ["VETCARDS_KEY_FILE"]).expanduser()
        return None

    def who(self) -> str:
        if self.actor:
            return self.actor
        if os.environ.get("VETCARDS_ACTOR"):
            return os.environ["VETCARDS_ACTOR"]
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001
            return "unknown"

    def database(self) -> Database:
        """The one database of this process, opened on first use."""
        if self._database is None:
            from ..db import open_database

            self._database = open_database(self.db_path(), self.key(), write=True, cache_mib=self.cache_mib)
        return self._database

    @contextmanager
    def unit(self, *, write: bool = True) -> Iterator[UnitOfWork]:
        """One unit of work for a command; rolled back unless the use case commits.

        ``write=True`` (the default) takes the write lock up front: every
        command that shows personal data also writes the audit entry of that
        access (SPEC §5), so only commands that show none read with ``write=False``.
        """
        with self.database().unit(self.who(), write=write) as uow:
            yield uow

    def close(self) -> None:
        if self._database is not None:
            self._database.close()
            self._database = None


def get_state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def today() -> date:
    return date.today()
