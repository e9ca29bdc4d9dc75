"""The encrypted database: path, engine, pragmas, key check, migrations.

One engine per process. Only SQLAlchemy Core is imported here (not the ORM,
not SQLModel, not Alembic), so that read-only commands start fast; Alembic is
imported only when a migration is actually pending.

Opening order (each step fails with one clear line and touches nothing):
1. the file must exist (``init`` creates it, nothing else does);
2. ``PRAGMA cipher_log_level = NONE`` so SQLCipher's own log lines never reach
   the terminal;
3. ``PRAGMA key`` (done by SQLAlchemy's ``sqlite+pysqlcipher`` dialect from the
   URL's password);
4. a first read of ``sqlite_master``: ``connect()`` succeeds with any key, the
   first read is what fails with a wrong one;
5. only then the pragmas, and WAL (which writes) only on a vetcards file
   (or one being created), then the schema-version check.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Protocol, Union

from .errors import DatabaseError, KeyFailure
from .keys import Key

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Mapping, Sequence

    from sqlalchemy.engine import Connection, CursorResult, Engine
    from sqlalchemy.sql import Executable
    from sqlmodel import Session

    #: Bound values of one statement: by name (``:n``) or, for driver SQL, by position (``?``).
    Params = Union[Mapping[str, Any], Sequence[Any], Sequence[Mapping[str, Any]]]
    #: What a statement returns: rows of any columns (read by name), ``rowcount``, ``inserted_primary_key``.
    Rows = CursorResult[*tuple[Any, ...]]

    from .audit_head import Anchor

#: The Alembic revision this version of vetcards writes. A test checks that it
#: equals the head of ``vetcards/migrations``; keep them in step.
SCHEMA_HEAD = "0010"

#: Set on a connection's ``info`` by :func:`vetcards.audit.record_many`: this transaction added audit
#: entries, so its commit moves the audit head (:mod:`vetcards.audit_head`).
AUDIT_WRITTEN = "vetcards.audit_written"

#: Seconds a writer waits for another writer before giving up.
BUSY_TIMEOUT_MS = 60_000

_SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"


class RawCursor(Protocol):
    """What vetcards uses of a DB-API (sqlcipher3) cursor."""

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class RawConnection(Protocol):
    """What vetcards uses of a plain DB-API (sqlcipher3) connection (:func:`raw_connect`).

    sqlcipher3 ships no type information; this names the few calls the raw
    paths (backup, restore, rekey, doctor, the audit head) make.
    """

    def execute(self, sql: str, parameters: Any = ..., /) -> RawCursor: ...
    def backup(self, target: Any, /, *, pages: int = ...) -> None: ...
    def close(self) -> None: ...


def default_db_path() -> Path:
    """The platform data dir (platformdirs), e.g. ~/.local/share/vetcards."""
    from platformdirs import user_data_path

    return user_data_path("vetcards", appauthor=False) / "vetcards.db"


def resolve_db_path(db: Optional[Path], env: dict[str, str]) -> Path:
    """``--db``, else ``VETCARDS_DB``, else the platform data dir."""
    if db is not None:
        return Path(db).expanduser()
    if env.get("VETCARDS_DB"):
        return Path(env["VETCARDS_DB"]).expanduser()
    return default_db_path()


def _silence_sqlcipher_log() -> None:
    """SQLCipher's log level is process-wide; switch it off once."""
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
    finally:
        conn.close()


def _make_engine(path: Path, key: Key, write: bool, cache_mib: int = 0, create: bool = False) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import URL
    from sqlalchemy.pool import SingletonThreadPool

    _silence_sqlcipher_log()
    url = URL.create(
        "sqlite+pysqlcipher",
        username="",
        password=key.pragma_value(),
        database=str(path),
    )
    engine = create_engine(url, poolclass=SingletonThreadPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # The dialect has run PRAGMA key by now. We drive transactions
        # ourselves (BEGIN below) so that writers take the lock up front.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            # The first read: fails here with a wrong key (nothing written).
            ours = cur.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()[0]
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA secure_delete = ON")
            cur.execute("PRAGMA temp_store = MEMORY")
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if cache_mib:
                cur.execute(f"PRAGMA cache_size = -{cache_mib * 1024}")
            if ours or create:
                # Switching to WAL writes to the file: never on a file that
                # is not (yet) ours, e.g. an empty file given by mistake,
                # which must stay untouched when it is refused.
                cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # A writer takes the write lock up front, so two processes never
        # interleave a read-then-write (invoice numbers stay gap-free).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write", False) else "BEGIN")

    return engine


def _classify_open_error(path: Path, exc: BaseException) -> Exception:
    text = str(getattr(exc, "orig", exc)).lower()
    if "file is not a database" in text or "not an error" in text:
        if is_plain_sqlite(path):
            return DatabaseError(f"{path} is a plain (unencrypted) SQLite file, not a vetcards database")
        return KeyFailure(f"cannot open {path}: wrong key, or not a vetcards database")
    if "locked" in text or "busy" in text:
        return DatabaseError(f"{path} is busy: another vetcards process is writing; try again later")
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return DatabaseError(f"cannot open {path}: permission denied or read-only")
    return DatabaseError(f"cannot open {path}: {type(getattr(exc, 'orig', exc)).__name__}")


class UnitOfWork:
    """One transaction on the database: the one way every use case reaches it.

    A use case takes a ``UnitOfWork`` and either calls :meth:`commit` or
    leaves; whatever it did is rolled back when the ``with`` block of
    :meth:`Database.unit` ends without a commit (cosmicpython's rule: roll
    back unless the use case commits). Reads take the same object.

    Core SQL runs on :attr:`conn` (or :meth:`execute`); the ORM
    :attr:`session` is made on first use, on the same connection and the same
    transaction, so a read-only command never imports the ORM. ``add``,
    ``get``, ``exec``, ``flush`` and ``expunge`` are the session's.
    """

    def __init__(self, database: Database, conn: Connection, actor: str) -> None:
        self.database = database
        self.conn = conn
        self.actor = actor
        self._session: Optional[Session] = None
        self.committed = False

    # -- the transaction --------------------------------------------------

    @property
    def path(self) -> Path:
        return self.database.path

    @property
    def info(self) -> dict[str, Any]:
        """Per-unit values (``actor``), shared with the connection."""
        return self.conn.info

    def commit(self) -> None:
        """Commit everything done so far; the unit stays usable (a new transaction).

        When the transaction added audit entries, the audit head beside the
        database (:mod:`vetcards.audit_head`) is prepared before the commit
        and moved after it (never before: a head is never ahead of the file).
        """
        self.flush()
        anchor = self.database.anchor if self.conn.info.pop(AUDIT_WRITTEN, False) else None
        if anchor is not None:
            try:
                anchor.before_commit(self)
            except DatabaseError:  # a damaged ledger key: the write goes on, doctor reports the head
                anchor = None
        if self._session is not None:
            self._session.commit()
        else:
            self.conn.commit()
        self.committed = True
        if anchor is not None:
            try:
                anchor.after_commit(self.conn.connection.driver_connection)
            except Exception:  # noqa: BLE001 - the commit stands; a head left behind is harmless
                pass

    def rollback(self) -> None:
        if not self.conn.invalidated:  # a connection an interrupt left invalid has no state to clear
            self.conn.info.pop(AUDIT_WRITTEN, None)
        if self._session is not None:
            self._session.rollback()
        else:
            self.conn.rollback()

    # -- Core ---------------------------------------------------------------

    def execute(self, statement: Executable, params: Optional[Params] = None) -> Rows:
        """Run a Core statement (or ``text()``) in this unit, after any pending ORM changes."""
        if self._session is not None:
            self._session.flush()
        if params is None:
            return self.conn.execute(statement)
        return self.conn.execute(statement, params)

    def insert(self, statement: Executable, params: Optional[Params] = None) -> int:
        """Run one ``INSERT`` in this unit and return the new row's id."""
        key = self.execute(statement, params).inserted_primary_key
        assert key is not None, "an INSERT of one row"
        return int(key[0])

    def connection(self) -> Connection:
        """The Core connection, after any pending ORM changes are flushed."""
        self.flush()
        return self.conn

    def exec_driver_sql(self, sql: str, params: Optional[Params] = None) -> Rows:
        self.flush()
        return self.conn.exec_driver_sql(sql, params) if params is not None else self.conn.exec_driver_sql(sql)

    # -- ORM ----------------------------------------------------------------

    @property
    def session(self) -> Session:
        if self._session is None:
            from sqlmodel import Session as SQLModelSession

            self._session = SQLModelSession(
                bind=self.conn, expire_on_commit=False, join_transaction_mode="control_fully",
            )
            self._session.info["actor"] = self.actor
        return self._session

    def add(self, obj: Any) -> None:
        self.session.add(obj)

    def get(self, entity: Any, ident: Any) -> Any:
        return self.session.get(entity, ident)

    def exec(self, statement: Any) -> Any:
        return self.session.exec(statement)

    def flush(self) -> None:
        if self._session is not None:
            self._session.flush()

    def expunge(self, obj: Any) -> None:
        self.session.expunge(obj)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


class Database:
    """An open vetcards database: the engine and its units of work.

    Create with :func:`open_database` (existing file) or :func:`create_database`.
    """

    def __init__(self, path: Path, engine: Engine, write: bool) -> None:
        self.path = path
        self.engine = engine
        self.write = write
        #: The audit head kept beside the file; None for a working copy (backup, restore) that needs none.
        self.anchor: Optional[Anchor] = None
        if str(path) != ":memory:":
            from .audit_head import Anchor

            self.anchor = Anchor(path)

    @contextmanager
    def unit(self, actor: str = "system", *, write: Optional[bool] = None) -> Iterator[UnitOfWork]:
        """One unit of work: rolled back at the end unless the use case committed.

        A writing unit begins with ``BEGIN IMMEDIATE`` (the write lock up
        front), a reading one with ``BEGIN``; ``write`` defaults to how the
        database was opened.
        """
        try:
            with self.engine.connect() as conn:
                conn.info["actor"] = actor
                conn.info["write"] = self.write if write is None else write
                conn.info.pop(AUDIT_WRITTEN, None)
                uow = UnitOfWork(self, conn, actor)
                try:
                    yield uow
                finally:
                    try:
                        uow.rollback()
                    finally:
                        uow.close()
        except Exception as exc:
            raise translate_db_error(self.path, exc) from exc

    def close(self) -> None:
        """Write the audit head still pending (:class:`~vetcards.audit_head.Anchor`), then close."""
        if self.anchor is not None and self.anchor.pending:
            try:
                raw = self.engine.raw_connection()
                try:
                    self.anchor.close(raw.driver_connection)
                finally:
                    raw.close()
            except Exception:  # noqa: BLE001 - a head left behind is harmless
                pass
        self.engine.dispose()


def translate_db_error(path: Path, exc: BaseException) -> BaseException:
    """Turn a driver error into our one-line error; leave our own errors be."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower()
        if "locked" in text or "busy" in text:
            return DatabaseError(f"{path} is busy: another vetcards process is writing; try again later")
        return DatabaseError(f"database error on {path}: {type(exc.orig).__name__}")
    if isinstance(exc, DBAPIError):
        return DatabaseError(f"database error on {path}: {type(exc.orig).__name__}")
    return exc


def _schema_version(conn: Connection) -> Optional[str]:
    from sqlalchemy import text

    has_table = conn.execute(
        text("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='alembic_version'")
    ).scalar()
    if not has_table:
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def open_database(path: Path, key: Key, *, write: bool = False, cache_mib: int = 0) -> Database:
    """Open an existing vetcards database, checking the key and the schema.

    A database made by an older vetcards is migrated (Alembic) on open.
    """
    path = Path(path)
    if not path.exists():
        raise DatabaseError(f"no database at {path}; create one with: vetcards init")
    if path.is_dir():
        raise DatabaseError(f"{path} is a directory, not a vetcards database")
    engine = _make_engine(path, key, write=write, cache_mib=cache_mib)
    try:
        with engine.connect() as conn:
            version = _schema_version(conn)
            conn.rollback()
    except Exception as exc:
        engine.dispose()
        raise _classify_open_error(path, exc) from None
    if version is None:
        engine.dispose()
        raise DatabaseError(f"{path} opens with this key but is not a vetcards database")
    if version != SCHEMA_HEAD:
        from .migrate import is_known_revision, upgrade

        if not is_known_revision(version):
            engine.dispose()
            raise DatabaseError(
                f"{path} was made by a newer vetcards (schema {version}); upgrade vetcards"
            )
        upgrade(engine)
    return Database(path, engine, write)


def check_can_create(path: Path) -> None:
    """Refuse to create over an existing file, or beside a left-over journal."""
    if path.exists():
        raise DatabaseError(f"{path} already exists; not overwritten")
    for suffix in ("-wal", "-shm", "-journal"):
        # A journal left by an earlier file of this name would be replayed
        # into the new one: refuse rather than mix two databases.
        if Path(str(path) + suffix).exists():
            raise DatabaseError(f"{path}{suffix} is left from an earlier database; move it away first")


def create_database(path: Path, key: Key, *, actor: Optional[str] = None) -> Database:
    """Create a new, empty vetcards database (mode 0600) at the head schema.

    With ``actor`` (``vetcards init``) the first audit entry, "init" (and the
    kind of key, never the key), is written and committed by that actor.
    """
    path = Path(path)
    check_can_create(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise DatabaseError(f"cannot create {path}: {exc.strerror}") from None
    os.close(fd)
    os.chmod(path, 0o600)
    engine = _make_engine(path, key, write=True, create=True)
    try:
        from .migrate import upgrade

        upgrade(engine)
    except Exception:
        engine.dispose()
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.unlink(str(path) + suffix)
            except FileNotFoundError:
                pass
        raise
    database = Database(path, engine, write=True)
    if actor is not None:
        from . import audit

        with database.unit(actor) as uow:
            audit.record(uow, "init", "database", [], {"key": "raw" if key.raw else "passphrase"})
            uow.commit()
    return database


# --------------------------------------------------------------------------
# The raw SQLCipher path: backup, restore, rekey and doctor work on the file
# itself (no engine, no migration), through these few functions only.
# --------------------------------------------------------------------------

#: Busy timeout (ms) for the steps that need the database to themselves.
EXCLUSIVE_WAIT_MS = 2000


def quote_pragma(value: str) -> str:
    """Quote a PRAGMA value the way SQLAlchemy's pysqlcipher dialect does for ``key``."""
    return '"' + value.replace('"', '""') + '"'


def is_plain_sqlite(path: Path) -> bool:
    """True when ``path`` starts with the header of an unencrypted SQLite file."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == _SQLITE_PLAIN_HEADER
    except OSError:
        return False


def raw_connect(path: Path, key: Key, timeout_ms: int = EXCLUSIVE_WAIT_MS) -> RawConnection:
    """A plain sqlcipher3 connection, keyed, with SQLCipher's log switched off (no key check yet)."""
    import sqlcipher3

    conn = sqlcipher3.connect(str(path), isolation_level=None, timeout=timeout_ms / 1000)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {quote_pragma(key.pragma_value())}")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA temp_store = MEMORY")
    except Exception:
        conn.close()
        raise
    return conn


def open_raw(path: Path, key: Key, timeout_ms: int = EXCLUSIVE_WAIT_MS) -> RawConnection:
    """:func:`raw_connect` plus the first read (the key check), classified as :func:`open_database` does:
    a wrong key is :class:`KeyFailure`, a plain SQLite file or a busy one :class:`DatabaseError`."""
    try:
        conn = raw_connect(path, key, timeout_ms)
    except Exception as exc:  # noqa: BLE001
        raise _classify_open_error(path, exc) from None
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except Exception as exc:  # noqa: BLE001
        conn.close()
        raise _classify_open_error(path, exc) from None
    return conn


def raw_schema_version(conn: RawConnection) -> Optional[str]:
    """The Alembic revision of a raw connection's database (None: not a vetcards file)."""
    has = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).fetchone()[0]
    if not has:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def check_file(conn: RawConnection) -> tuple[list[str], list[str]]:
    """``cipher_integrity_check`` problems and ``integrity_check`` problems (both empty = OK)."""
    try:
        cipher = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
    except Exception as exc:  # noqa: BLE001 - a damaged file may not even be read
        cipher = [f"cipher_integrity_check failed: {type(exc).__name__}"]
    try:
        integrity = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except Exception as exc:  # noqa: BLE001
        integrity = [f"integrity_check failed: {type(exc).__name__}: {exc}"]
    if integrity == ["ok"]:
        integrity = []
    return cipher, integrity
