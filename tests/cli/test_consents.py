"""Consents per purpose: give, withdraw, history, the current-consent helper (issue 6, point 2)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from vetcards.vocab import CONSENT_PURPOSES


def _history(vet, k, *extra):
    return vet.ok("consent", "list", k, "--format", "json", *extra).json()


def test_give_withdraw_give_keeps_history(vet):
    k = vet.add_client(reminders=True)
    first = _history(vet, k, "--purpose", "reminders")
    assert len(first) == 1 and first[0]["current"] is True and first[0]["withdrawn_on"] is None

    today = date.today().isoformat()
    w = vet.ok("consent", "withdraw", k, "--purpose", "reminders", "--json").json()
    assert w["id"] == first[0]["id"] and w["withdrawn_on"] == today
    after = _history(vet, k, "--purpose", "reminders")
    assert len(after) == 1 and after[0]["current"] is False and after[0]["withdrawn_on"] == today

    g = vet.ok("consent", "give", k, "--purpose", "reminders", "--method", "written", "--json").json()
    assert g["id"] != first[0]["id"] and g["method"] == "written" and g["statement_version"] == "1"
    rows = _history(vet, k, "--purpose", "reminders")
    assert [(r["id"], r["current"]) for r in rows] == [(first[0]["id"], False), (g["id"], True)]
    # The care consent from `client add` is untouched.
    assert [r["purpose"] for r in _history(vet, k)] == ["care", "reminders", "reminders"]


def test_statement_version_comes_from_the_practice_settings(vet):
    k = vet.add_client()
    vet.ok("practice", "set", "--statement-version", "2026-03")
    g = vet.ok("consent", "give", k, "--purpose", "lab", "--json").json()
    assert g["statement_version"] == "2026-03"
    assert vet.sql("SELECT statement_version, method FROM consent WHERE id = ?", (g["id"],)) == [("2026-03", "in-person")]


def test_every_purpose_can_be_given_and_withdrawn(vet):
    k = vet.add_client()
    for purpose in CONSENT_PURPOSES:
        if purpose != "care":
            vet.ok("consent", "give", k, "--purpose", purpose)
        vet.ok("consent", "withdraw", k, "--purpose", purpose)
    assert not any(r["current"] for r in _history(vet, k))
    assert {r["purpose"] for r in _history(vet, k)} == set(CONSENT_PURPOSES)


def test_refusals(vet):
    k = vet.add_client(reminders=True)
    before = vet.counts()
    cases = [
        (("consent", "give", k, "--purpose", "reminders"), "already has a current consent"),
        (("consent", "give", k, "--purpose", "marketing"), "--purpose: must be one of"),
        (("consent", "give", k, "--purpose", "lab", "--method", "telepathy"), "--method: must be one of"),
        (("consent", "give", k, "--purpose", "lab", "--date", (date.today() + timedelta(days=1)).isoformat()),
         "--date: must not be in the future"),
        (("consent", "withdraw", k, "--purpose", "lab"), "no current consent for lab"),
        (("consent", "withdraw", k, "--purpose", "reminders", "--date", "2000-01-01"),
         "--date: must not be before the date the consent was given"),
        (("consent", "give", "K999999", "--purpose", "lab"), "not found"),
    ]
    for args, msg in cases:
        r = vet.run(*args)
        assert r.exit_code == 1, args
        assert r.stderr.startswith("error: ") and msg in r.stderr, (args, r.stderr)
    r = vet.run("consent", "give", k)  # a missing required option is a usage error (SPEC §7)
    assert r.exit_code == 2 and r.stderr.startswith("error: --purpose: is required"), r.stderr
    assert vet.counts() == before


def test_withdrawal_is_audited_with_ids_only(vet):
    k = vet.add_client(reminders=True)
    vet.ok("consent", "withdraw", k, "--purpose", "reminders")
    vet.ok("consent", "give", k, "--purpose", "reminders", "--method", "e-mail")
    rows = vet.sql("SELECT action, entity_ids, details FROM audit_log WHERE action LIKE 'consent.%' ORDER BY id")
    assert [r[0] for r in rows] == ["consent.withdraw", "consent.give"]
    assert all(k in r[1] and '"purpose":"reminders"' in r[2] for r in rows)


def test_current_consent_helper_respects_dates(vet):
    """current_consent(conn, client_id, purpose, on): given on or before, not withdrawn on or before."""
    from vetcards.consents import current_consent
    from vetcards.db import open_database
    from vetcards.keys import read_key_file

    k = vet.add_client()
    given = vet.ok("consent", "give", k, "--purpose", "lab", "--date", "2024-01-10", "--json").json()["id"]
    vet.ok("consent", "withdraw", k, "--purpose", "lab", "--date", "2024-06-01")
    again = vet.ok("consent", "give", k, "--purpose", "lab", "--date", "2025-01-01", "--json").json()["id"]
    db = open_database(vet.db, read_key_file(vet.key_file))
    try:
        with db.unit() as conn:
            cid = conn.exec_driver_sql("SELECT id FROM client WHERE number = ?", (k,)).scalar()
            at = lambda d: current_consent(conn, cid, "lab", date.fromisoformat(d))  # noqa: E731
            assert at("2024-01-09") is None
            assert at("2024-01-10") == given
            assert at("2024-05-31") == given
            assert at("2024-06-01") is None
            assert at("2024-12-31") is None
            assert at("2025-01-01") == again
            assert current_consent(conn, cid, "lab") == again
            assert current_consent(conn, cid, "pharmacy") is None
            assert current_consent(conn, cid, "care") is not None
    finally:
        db.close()


# --------------------------------------------------------------------------
# A withdrawal is not dated before a disclosure made under that consent
# --------------------------------------------------------------------------


@pytest.mark.parametrize("withdrawn,given,last,refused", [
    ("2024-03-02", "2024-01-01", "2024-03-01", None),
    ("2024-03-01", "2024-01-01", "2024-03-01", None),  # the same day, after the data went out
    ("2024-02-29", "2024-01-01", "2024-03-01", "must not be before 2024-03-01, the date of a disclosure"),
    ("2024-03-01", "2024-01-01", "2024-02-29", None),
    ("2023-12-31", "2024-01-01", None, "must not be before the date the consent was given"),
    ("2024-01-01", "2024-01-01", None, None),
])
def test_withdrawal_rule(withdrawn, given, last, refused):
    from datetime import date

    from vetcards.consents import withdrawal_rule
    from vetcards.errors import InvalidInput

    D = date.fromisoformat
    args = (D(withdrawn), D(given), D(last) if last else None)
    if refused is None:
        withdrawal_rule(*args)
    else:
        with pytest.raises(InvalidInput, match=refused) as caught:
            withdrawal_rule(*args)
        assert caught.value.field == "--date"


def test_withdrawal_before_a_disclosure_under_that_consent_is_refused(vet):
    k = vet.add_client()
    lab = "Laboratorium (generiek)"
    vet.ok("consent", "give", k, "--purpose", "lab", "--date", "2024-01-01")
    vet.ok("disclose", k, "--to", lab, "--categories", "naw", "--date", "2024-02-29")
    before = vet.counts()
    r = vet.run("consent", "withdraw", k, "--purpose", "lab", "--date", "2024-02-28")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.strip() == ("error: --date: must not be before 2024-02-29, the date of a disclosure made under "
                                "this consent (the log must show a valid basis for it, GDPR art. 5(2), 7(1))")
    assert "must not be before 2024-02-29" in vet.run("consent", "withdraw", k, "--purpose", "lab",
                                                       "--date", "2024-01-15").stderr
    assert vet.counts() == before
    # Another purpose's disclosures do not count; the disclosure's own day is fine.
    vet.ok("consent", "give", k, "--purpose", "reminders", "--date", "2024-01-01")
    vet.ok("consent", "withdraw", k, "--purpose", "reminders", "--date", "2024-02-01")
    w = vet.ok("consent", "withdraw", k, "--purpose", "lab", "--date", "2024-02-29", "--json").json()
    assert w["withdrawn_on"] == "2024-02-29"
