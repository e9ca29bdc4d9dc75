"""Practice contact settings: phone, e-mail and the data-protection contact (issue 14 point 4)."""

from __future__ import annotations


def test_contact_settings_are_validated_stored_and_shown(vet):
    vet.ok("practice", "set", "--phone", "030 123 4567", "--email", " Info@DeLinde.nl ",
           "--privacy-contact", "J. de Wit", "--privacy-email", "privacy@delinde.nl")
    shown = vet.ok("practice", "show", "--format", "json").json()
    assert shown["phone"] == "+31301234567"
    assert shown["email"].lower() == "info@delinde.nl"
    assert shown["privacy_contact"] == "J. de Wit" and shown["privacy_email"] == "privacy@delinde.nl"
    # the audit entry names the fields, never their values
    details = vet.sql("SELECT details FROM audit_log WHERE action = 'practice.set' ORDER BY id DESC LIMIT 1")[0][0]
    assert "privacy_contact" in details and "Wit" not in details and "4567" not in details


def test_bad_contact_values_are_refused_with_one_line_and_nothing_written(vet):
    before = vet.ok("practice", "show", "--format", "json").json()
    for args, expect in ((("--phone", "12"), "error: --phone: "),
                         (("--email", "not-an-email"), "error: --email: "),
                         (("--privacy-email", "x@"), "error: --privacy-email: "),
                         (("--privacy-contact", "a\tb"), "error: --privacy-contact: ")):
        r = vet.run("practice", "set", *args)
        assert r.exit_code == 1, (args, r.stderr)
        assert r.stderr.startswith(expect) and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert vet.ok("practice", "show", "--format", "json").json() == before


def test_an_empty_value_clears_a_contact_setting(vet):
    vet.ok("practice", "set", "--phone", "0301234567")
    vet.ok("practice", "set", "--phone", "")
    assert vet.ok("practice", "show", "--format", "json").json()["phone"] == ""
