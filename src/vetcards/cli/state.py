"""Global options and the one database of this process."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

if TYPE_CHECKING:  # pragma: no cover
    from ..db import Database
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
    _database: Optional[Database] = field(default=None, repr=False)

    def db_path(self) -> Path:
        from ..db import resolve_db_path

        return resolve_db_path(self.db, dict(os.environ))

    def key(self) -> Key:
        from ..keys import resolve_key

        return resolve_key(self.key_file, dict(os.environ), ask_passphrase if interactive() else None)

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

    def database(self, write: bool = False, cache_mib: int = 0) -> Database:
        if self._database is None:
            from ..db import open_database

            self._database = open_database(self.db_path(), self.key(), write=write, cache_mib=cache_mib)
        return self._database

    @contextmanager
    def session(self) -> Iterator[Any]:
        """An ORM session for a write use case (BEGIN IMMEDIATE)."""
        db = self.database(write=True)
        with db.session() as session:
            session.info["actor"] = self.who()
            yield session

    @contextmanager
    def reader(self) -> Iterator[Any]:
        """A Core connection for reads (views)."""
        db = self.database(write=False)
        with db.connect() as conn:
            conn.info["actor"] = self.who()
            yield conn

    @contextmanager
    def viewer(self) -> Iterator[Any]:
        """For commands that show personal data: the read and the audit entry
        of that access in one write transaction (SPEC §5: every access is in
        the audit log). Viewing is not activity: the entry is no card change."""
        with self.writer() as conn:
            yield conn

    @contextmanager
    def writer(self) -> Iterator[Any]:
        """A Core connection in a write transaction (audited reads, bulk work)."""
        db = self.database(write=True)
        with db.connect() as conn:
            conn.info["actor"] = self.who()
            yield conn

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
