"""The audit head (vetcards.audit_head) through the library: moved only by committed units that wrote
audit entries, throttled during bulk work, caught up when the database is closed."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from vetcards import audit, audit_head
from vetcards.db import create_database, open_database
from vetcards.keys import Key


def _key() -> Key:
    return Key(secret=secrets.token_hex(32), raw=True, source="test")


def _head(db_path: Path) -> tuple[int, str]:
    data = json.loads(Path(str(db_path) + audit_head.SUFFIX).read_text())
    return data["id"], data["hash"]


def _last(database) -> tuple[int, str]:
    with database.unit(write=False) as uow:
        row = uow.exec_driver_sql("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").one()
    return int(row[0]), str(row[1])


def test_bulk_commits_move_the_head_at_most_once_a_second_and_at_close(tmp_path):
    path = tmp_path / "p.db"
    key = _key()
    create_database(path, key, actor="test").close()
    database = open_database(path, key, write=True)
    first = _head(path)
    assert first == _last(database)
    assert database.anchor is not None
    database.anchor.interval = 3600.0  # every commit after the first falls within the interval
    with database.unit("test") as uow:
        audit.record(uow, "test.write", "database", [1])
        uow.commit()
    written = _head(path)
    assert written == _last(database) != first  # the first commit of the process: written at once
    for n in range(20):
        with database.unit("test") as uow:
            audit.record(uow, "test.write", "database", [n])
            uow.commit()
    assert _head(path) == written and database.anchor.pending
    # A unit that wrote an entry and rolled back leaves no flag for the next one.
    with database.unit("test") as uow:
        audit.record(uow, "test.write", "database", [99])
    database.anchor.pending = False
    with database.unit("test") as uow:
        uow.commit()
    assert not database.anchor.pending
    database.anchor.pending = True
    last = _last(database)
    database.close()
    assert _head(path) == last  # caught up at close


def test_working_copies_get_no_head_and_a_backup_is_checked_as_it_is(tmp_path):
    from vetcards import backup

    path = tmp_path / "p.db"
    key = _key()
    database = create_database(path, key, actor="test")
    out = tmp_path / "b.db"
    backup.backup(database, key, out, actor="test")
    database.close()
    assert not Path(str(out) + audit_head.SUFFIX).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file or stray head left
    copy = open_database(out, key)
    with copy.unit(write=False) as uow:
        found = audit_head.check(uow)
        assert found.ok and "no audit head yet" in found.summary
        assert audit.verify(uow).ok
    copy.close()
