"""The ledger key inside the database is read by one rule (vetcards.ledger.key_from_setting), for the
erasure ledger and for the audit head alike: each says in its own error that it is damaged."""

from __future__ import annotations

import secrets

import pytest

from vetcards import audit_head, ledger
from vetcards.db import create_database, open_database
from vetcards.keys import Key


@pytest.fixture
def database(tmp_path):
    key = Key(secret=secrets.token_hex(32), raw=True, source="test")
    path = tmp_path / "p.db"
    create_database(path, key, actor="test").close()
    database = open_database(path, key, write=True)
    yield database
    database.close()


def test_the_key_the_database_keeps_is_the_one_both_read(database):
    with database.unit("test", write=False) as uow:
        key = ledger.ledger_key(uow)
        assert key is not None and len(key) == 32
        assert audit_head._key(audit_head._unit_query(uow)) == key
        assert audit_head.check(uow).ok


def test_a_damaged_key_is_refused_by_the_ledger_and_reported_by_the_audit_head(database):
    with database.unit("test") as uow:
        uow.exec_driver_sql("UPDATE practice_setting SET value = 'not hex' WHERE key = ?", (ledger.KEY_SETTING,))
        uow.commit()
    with database.unit("test", write=False) as uow:
        with pytest.raises(ledger.LedgerTampered, match="^the ledger key in the database is damaged$"):
            ledger.ledger_key(uow)
        found = audit_head.check(uow)
    assert found.problem == "the ledger key in the database is damaged"


def test_no_key_yet_is_none():
    assert ledger.key_from_setting(None) is None and ledger.key_from_setting("") is None
    assert ledger.key_from_setting("00ff") == b"\x00\xff"


def test_a_ledger_that_cannot_be_written_says_so_and_nothing_is_changed(database, tmp_path):
    (tmp_path / "a-file").write_text("")
    path = tmp_path / "a-file" / "erasures.ledger"  # its folder is a file: the ledger cannot be opened
    with database.unit("test") as uow:
        with pytest.raises(ledger.LedgerError) as err:
            ledger.append(uow, path, "erase", anchor="x", client_number="K000001")
    assert err.value.message == (f"the erasure ledger {path} cannot be written (Not a directory); "
                                 "nothing was changed")
