"""Global options and the one database of this process.

One :class:`State` per process: the root callback makes it from the global
options, and it opens the database on first use. ``vetcards shell`` keeps
one State for the whole session (:attr:`State.shared`): every command typed
in the shell finds it on its root context, reuses the open database and the
key, and leaves it open (the shell closes it when it ends or locks).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, TypeVar

import typer

from . import fastparams

# Option values of the common types (text, path, choice) are coerced without
# importing pydantic: a read command's start-up is a sixth shorter (issue 15).
fastparams.install()

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
    #: True while ``vetcards shell`` runs: one State serves every command typed in it
    shared: bool = False
    #: ``--actor`` given on one line of the shell, for that command only
    command_actor: Optional[str] = None
    _database: Optional[Database] = field(default=None, repr=False)
    #: the page cache the open database has (``cache_mib`` when it was opened, or set since)
    _cache_set: int = field(default=0, repr=False)
    #: a passphrase typed at the prompt, kept while the database is open (never a key file's key:
    #: that is read again, cheaply, so a key file replaced by ``rekey`` is picked up)
    _typed_key: Optional[Key] = field(default=None, repr=False)

    def db_path(self) -> Path:
        from ..db import resolve_db_path

        return resolve_db_path(self.db, dict(os.environ))

    def key(self) -> Key:
        """The key in the order of SPEC §6; a passphrase is asked at most once per State."""
        if self._typed_key is not None:
            return self._typed_key
        from ..keys import resolve_key

        key = resolve_key(self.key_file, dict(os.environ), ask_passphrase if interactive() else None)
        if key.source == "prompt":
            self._typed_key = key
        return key

    def key_is_typed(self) -> bool:
        """True when the key is a passphrase typed at the prompt (not a key file or the environment)."""
        return self._typed_key is not None or (
            self.key_file_in_use() is None and not os.environ.get("VETCARDS_PASSPHRASE")
        )

    def key_file_in_use(self) -> Optional[Path]:
        """The key file in use, in the order of SPEC §6 (None for a passphrase)."""
        if self.key_file is not None:
            return Path(self.key_file).expanduser()
        if os.environ.get("VETCARDS_KEY_FILE"):
            return Path(os.environ["VETCARDS_KEY_FILE"]).expanduser()
        return None

    def for_command(self, db: Optional[Path], key_file: Optional[Path], actor: Optional[str]) -> None:
        """Global options on one line of the shell: ``--actor`` for that command; ``--db`` and
        ``--key-file`` only as the shell was opened (the database is open already)."""
        from ..errors import UsageError

        if db is not None and Path(db).expanduser() != self.db_path():
            raise UsageError(f"--db: this shell is open on {self.db_path()}; "
                             "give --db before `shell` (vetcards --db FILE shell)")
        if key_file is not None and Path(key_file).expanduser() != self.key_file_in_use():
            raise UsageError("--key-file: this shell is open with another key; "
                             "give --key-file before `shell` (vetcards --key-file KEY shell)")
        self.command_actor = actor

    def who(self) -> str:
        if self.command_actor:
            return self.command_actor
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
            self._cache_set = self.cache_mib
        return self._database

    @contextmanager
    def unit(self, *, write: bool = True) -> Iterator[UnitOfWork]:
        """One unit of work for a command; rolled back unless the use case commits.

        ``write=True`` (the default) takes the write lock up front: every
        command that shows personal data also writes the audit entry of that
        access (SPEC §5), so only commands that show none read with ``write=False``.
        """
        with self.database().unit(self.who(), write=write) as uow:
            if self.cache_mib != self._cache_set:  # asked for after the open (purge in the shell)
                uow.exec_driver_sql(f"PRAGMA cache_size = -{int(self.cache_mib) * 1024}")
                self._cache_set = self.cache_mib
            yield uow

    def close(self) -> None:
        """Close the database (a typed passphrase stays: a later command reopens without asking)."""
        if self._database is not None:
            self._database.close()
            self._database = None

    def forget_key(self) -> None:
        """Drop a typed passphrase (after ``rekey`` it is no longer the key): the next need asks."""
        self._typed_key = None

    def lock(self) -> None:
        """Drop the database and the typed passphrase from memory: the next use asks again."""
        self.close()
        self.forget_key()


def get_state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


T = TypeVar("T")


def call(ctx: typer.Context, use_case: Callable[..., T], *args: Any, write: bool = True, **kwargs: Any) -> T:
    """What most commands do: open the command's one unit of work, call one use case in it
    (``use_case(uow, *args, **kwargs)``) and return what it returns, plain data to print.

    ``write=False`` for a read that shows no personal data (see :meth:`State.unit`)."""
    with get_state(ctx).unit(write=write) as uow:
        return use_case(uow, *args, **kwargs)


def today() -> date:
    return date.today()


def day_or_today(given: Optional[str], field: str = "--date") -> date:
    """The day a date option names (ISO or Dutch: :func:`vetcards.validation.parse_date`), today when not given."""
    if not given:
        return today()
    from ..validation import parse_date

    return parse_date(given, field)
