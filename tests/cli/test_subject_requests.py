"""Data-subject requests and their deadlines (GDPR art. 12(3)) through the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

TODAY = date.today()


def add(vet, client: str, type_: str, received: str) -> dict:
    return vet.ok("request", "add", client, "--type", type_, "--received", received, "--json").json()


@pytest.mark.parametrize("received,due", [
    ("2026-01-31", "2026-02-28"),
    ("31-01-2024", "2024-02-29"),   # Dutch date, leap year
    ("2025-03-15", "2025-04-15"),
    ("2025-12-31", "2026-01-31"),
])
def test_due_one_month_after_receipt(vet, received, due):
    k = vet.add_client()
    out = add(vet, k, "access", received)
    assert out["due_on"] == due
    assert out["client"] == k and out["type"] == "access" and isinstance(out["id"], int)
    assert vet.sql("SELECT client_number, type, due_on FROM subject_request WHERE id = ?",
                   (out["id"],)) == [(k, "access", due)]


def test_add_refuses_bad_input_and_writes_nothing(vet):
    k = vet.add_client()
    counts = vet.counts()
    cases = [
        (("K999999", "--type", "access", "--received", "2026-01-01"), "client K999999 not found"),
        ((k, "--type", "deletion", "--received", "2026-01-01"), "--type: must be one of"),
        ((k, "--type", "access", "--received", "31-02-2026"), "--received: must be a date"),
        ((k, "--type", "access", "--received", (TODAY + timedelta(days=1)).isoformat()),
         "--received: must not be in the future"),
    ]
    for args, message in cases:
        r = vet.run("request", "add", *args)
        assert r.exit_code == 1, args
        assert message in r.stderr, (args, r.stderr)
    assert vet.counts() == counts


def test_extend_once_with_a_reason_not_audited(vet):
    k = vet.add_client()
    received = TODAY - timedelta(days=10)  # within the first month: an extension is allowed (art. 12(3))
    due = (received + relativedelta(months=3)).isoformat()
    req = add(vet, k, "portability", received.isoformat())
    r = vet.ok("request", "extend", str(req["id"]), "--reason", "Veel papieren dossiers Quaxelaar", "--json")
    assert r.json()["due_on"] == due  # received + 3 months
    assert vet.sql("SELECT due_on, extended_reason FROM subject_request WHERE id = ?", (req["id"],)) == [
        (due, "Veel papieren dossiers Quaxelaar")]
    again = vet.run("request", "extend", str(req["id"]), "--reason", "nog meer")
    assert again.exit_code == 1 and "only once" in again.stderr
    assert vet.sql("SELECT due_on FROM subject_request WHERE id = ?", (req["id"],)) == [(due,)]
    assert "Quaxelaar" not in json.dumps(vet.sql("SELECT * FROM audit_log"))
    assert vet.sql("SELECT count(*) FROM audit_log WHERE action = 'request.extend'") == [(1,)]
    listed = vet.ok("request", "list", "--format", "json").json()
    assert listed[0]["extended"] is True
    assert listed[0]["extension_reason"] == "Veel papieren dossiers Quaxelaar"
    missing = vet.run("request", "extend", "999", "--reason", "x")
    assert missing.exit_code == 1 and "request 999 not found" in missing.stderr
    empty = vet.run("request", "extend", str(req["id"]), "--reason", " ")
    assert empty.exit_code == 1 and "--reason: is required" in empty.stderr


def test_overdue_and_open_listing(vet):
    k = vet.add_client()
    late = add(vet, k, "access", (TODAY - relativedelta(months=1) - timedelta(days=1)).isoformat())
    due_today = add(vet, k, "rectification", (TODAY - relativedelta(months=1)).isoformat())
    fresh = add(vet, k, "erasure", TODAY.isoformat())
    closed = add(vet, k, "portability", (TODAY - relativedelta(months=3)).isoformat())
    vet.ok("request", "close", str(closed["id"]))

    overdue = vet.ok("request", "list", "--overdue", "--format", "json").json()
    assert [r["id"] for r in overdue] == [late["id"]]
    assert overdue[0]["status"] == "overdue"
    open_ = vet.ok("request", "list", "--open", "--format", "json").json()
    assert sorted(r["id"] for r in open_) == sorted([late["id"], due_today["id"], fresh["id"]])
    everything = {r["id"]: r["status"] for r in vet.ok("request", "list", "--format", "json").json()}
    assert everything == {late["id"]: "overdue", due_today["id"]: "open", fresh["id"]: "open",
                          closed["id"]: "closed"}
    csv_out = vet.ok("request", "list", "--overdue", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("id,client,type,received_on,due_on,status")
    assert len(csv_out) == 2
    plain = vet.ok("request", "list", "--overdue", "--format", "plain").stdout
    assert "overdue" in plain and k in plain


def test_close_once_and_extend_closed_refused(vet):
    k = vet.add_client()
    req = add(vet, k, "access", (TODAY - relativedelta(months=2)).isoformat())
    out = vet.ok("request", "close", str(req["id"]), "--json").json()
    assert out["closed_on"] == TODAY.isoformat() and out["late"] is True
    again = vet.run("request", "close", str(req["id"]))
    assert again.exit_code == 1 and "already closed" in again.stderr
    ext = vet.run("request", "extend", str(req["id"]), "--reason", "te laat")
    assert ext.exit_code == 1 and "closed" in ext.stderr
    bad = vet.run("request", "close", "abc")
    assert bad.exit_code == 1 and "REQ: must be a request id" in bad.stderr
    assert vet.sql("SELECT count(*) FROM audit_log WHERE action = 'request.close'") == [(1,)]


# --------------------------------------------------------------------------
# An extension only within the first month (art. 12(3))
# --------------------------------------------------------------------------


@pytest.mark.parametrize("received,today,refused", [
    ("2025-11-30", "2025-12-30", None),  # the due date itself: still in time
    ("2025-11-30", "2025-12-31", "its deadline 2025-12-30 passed"),
    ("2024-01-31", "2024-02-29", None),  # due 29 February (leap year), the last day in time
    ("2024-01-31", "2024-03-01", "its deadline 2024-02-29 passed"),
    ("2025-01-31", "2025-03-01", "its deadline 2025-02-28 passed"),
])
def test_extension_rule(received, today, refused):
    from vetcards.errors import Conflict
    from vetcards.subject_requests import extension_rule

    D = date.fromisoformat
    if refused is None:
        extension_rule(7, D(received), D(today))
    else:
        with pytest.raises(Conflict, match=refused) as caught:
            extension_rule(7, D(received), D(today))
        assert "request 7 cannot be extended" in str(caught.value)
        assert "only within the first month" in str(caught.value)


def test_extended_due_date_clamps_to_the_month_end(vet):
    """Received 2025-11-30, extended on 2025-12-15: due 2026-02-28 (three months, clamped)."""
    from vetcards import subject_requests
    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    k = vet.add_client()
    req = add(vet, k, "access", "2025-11-30")
    database = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        with database.unit() as uow:
            out = subject_requests.extend_request(uow, req["id"], "Veel dossiers", today=date(2025, 12, 15))
    finally:
        database.close()
    assert out["due_on"] == "2026-02-28"


def test_an_overdue_request_is_not_extended(vet):
    k = vet.add_client()
    received = TODAY - relativedelta(months=1) - timedelta(days=1)
    req = add(vet, k, "erasure", received.isoformat())
    due = (received + relativedelta(months=1)).isoformat()
    before = vet.counts()
    r = vet.run("request", "extend", str(req["id"]), "--reason", "te laat")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.strip() == (f"error: request {req['id']} cannot be extended: its deadline {due} passed "
                                "(art. 12(3) GDPR allows an extension only within the first month)")
    assert vet.counts() == before
    assert vet.sql("SELECT due_on, extended_reason FROM subject_request WHERE id = ?", (req["id"],)) == [(due, None)]
