"""``vetcards export`` and ``vetcards import`` as scripts and people use them."""

from __future__ import annotations

import json
import re
import stat
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT

TODAY = date.today().isoformat()
NAME = "Bram <script>alert(1)</script> & Co"


@pytest.fixture
def practice(vet, monkeypatch, tmp_path):
    """A client with a pet; the working directory is a fresh, empty folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    k = vet.add_client(NAME, phone="06 87654321", email="bram@example.nl")
    p = vet.add_pet(k, "Rakker", "dog", chip="528140000999888", weight="20")
    return vet, k, p, work


def execute(vet, sql: str, params: tuple = ()) -> None:
    import sqlcipher3

    conn = sqlcipher3.connect(str(vet.db))
    try:
        conn.execute(f"PRAGMA key = \"x'{vet.key_file.read_text().strip()}'\"")
        conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def audit_count(vet) -> int:
    return vet.sql("SELECT count(*) FROM audit_log")[0][0]


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_out_dash_streams_valid_json_to_stdout_and_writes_no_file(practice):
    vet, k, _, work = practice
    r = vet.ok("export", k, "--out", "-")
    doc = json.loads(r.stdout)
    assert doc["client"]["number"] == k and doc["client"]["name"] == NAME
    assert doc["pets"][0]["chip"] == "528140000999888"
    assert r.stderr == ""
    assert listing(work) == []


def test_default_file_is_named_without_personal_data_and_is_private(practice):
    vet, k, _, work = practice
    r = vet.ok("export", k)
    assert r.stdout == ""
    name = f"export-{k}-{TODAY}.json"
    assert listing(work) == [name]
    assert str(work / name) in r.stderr
    assert stat.S_IMODE((work / name).stat().st_mode) == 0o600
    assert json.loads((work / name).read_text("utf-8"))["client"]["number"] == k


@pytest.mark.parametrize("fmt, ext", [("json", "json"), ("csv", "zip"), ("report", "html")])
def test_every_format_is_written_0600_without_leftovers(practice, fmt, ext):
    vet, k, _, work = practice
    out = work / "out"
    out.mkdir()
    # An existing, world-readable file is replaced by a private one.
    old = out / f"mine.{ext}"
    old.write_text("old")
    old.chmod(0o644)
    vet.ok("export", k, "--format", fmt, "--out", str(old))
    vet.ok("export", k, "--format", fmt, "--out", str(out))  # a directory: the default name inside
    assert listing(out) == sorted([f"mine.{ext}", f"export-{k}-{TODAY}.{ext}"])
    for f in out.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        assert f.read_bytes() != b"old"


def test_unknown_client_exits_1_and_writes_nothing(practice):
    vet, _, _, work = practice
    before, audits = vet.counts(), audit_count(vet)
    for args in (("K999999",), ("K999999", "--out", "-"), ("4242", "--format", "report"),
                 ("K999999", "--format", "csv", "--out", str(work / "x.zip"))):
        r = vet.run("export", *args)
        assert r.exit_code == 1, args
        assert r.stdout == "" and r.stderr.strip() == f"error: client {args[0]} not found"
    assert listing(work) == []
    assert vet.counts() == before and audit_count(vet) == audits


def test_out_in_a_missing_directory_is_refused_before_anything(practice):
    vet, k, _, work = practice
    audits = audit_count(vet)
    r = vet.run("export", k, "--out", str(work / "nope" / "x.json"))
    assert r.exit_code == 1 and r.stderr.strip() == "error: --out: the directory does not exist"
    assert audit_count(vet) == audits


def test_a_failed_write_leaves_no_file_no_audit_and_the_request_open(practice):
    vet, k, _, work = practice
    req = vet.ok("request", "add", k, "--type", "access", "--received", TODAY, "--json").json()["id"]
    (work / f"export-{k}-{TODAY}.json").mkdir()  # the target name is taken by a directory
    audits = audit_count(vet)
    r = vet.run("export", k, "--request", str(req))
    assert r.exit_code == 1, r.stderr
    assert r.stderr.startswith("error: --out: is a directory; only regular files are written")
    assert listing(work) == [f"export-{k}-{TODAY}.json"]
    assert list((work / f"export-{k}-{TODAY}.json").iterdir()) == []
    assert audit_count(vet) == audits
    assert vet.sql("SELECT closed_on FROM subject_request WHERE id = ?", (req,)) == [(None,)]


def test_report_is_dutch_by_default_english_on_request_and_escaped(practice):
    vet, k, _, _ = practice
    nl = vet.ok("export", k, "--format", "report", "--out", "-").stdout
    en = vet.ok("export", k, "--format", "report", "--lang", "en", "--out", "-").stdout
    assert '<html lang="nl">' in nl and '<html lang="en">' in en
    for heading in ("Inzage in uw persoonsgegevens", "Uw gegevens", "Uw dieren", "Doeleinden",
                    "Ontvangers van uw gegevens", "Bewaartermijnen", "Herkomst van de gegevens", "Uw rechten"):
        assert re.search(f">{heading}( <span[^<]*</span>)?</h", nl), heading  # an art. 15 item names its article
        assert heading not in en
    for heading in ("Access to your personal data", "Your details", "Your animals", "Purposes",
                    "Recipients of your data", "Retention periods", "Source of the data", "Your rights"):
        assert re.search(f">{heading}( <span[^<]*</span>)?</h", en), heading
    for right in ("Recht op inzage", "rectificatie", "vergetelheid", "beperking", "overdraagbaarheid",
                  "bezwaar", "Autoriteit Persoonsgegevens"):
        assert right in nl, right
    for right in ("access", "rectification", "erasure", "restriction", "portability", "object",
                  "Autoriteit Persoonsgegevens"):
        assert right in en, right
    assert "@media print" in nl
    for html in (nl, en):
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert vet.run("export", k, "--format", "report", "--lang", "fr", "--out", "-").exit_code == 2


def test_export_is_audited_with_number_and_format_only(practice):
    vet, k, _, _ = practice
    vet.ok("export", k, "--format", "csv", "--out", "-")
    entry = vet.ok("audit", "show", "--action", "export", "--format", "json").json()[-1]
    assert json.loads(entry["entity_ids"]) == [k]
    assert json.loads(entry["details"]) == {"format": "csv", "to": "stdout"}
    assert entry["actor"] == "tester"
    log = json.dumps(vet.ok("audit", "show", "--format", "json").json())
    for value in ("Bram", "bram@example.nl", "528140000999888", "Rakker"):
        assert value not in log
    assert vet.ok("audit", "verify").exit_code == 0


def test_export_is_not_activity(practice):
    vet, k, p, _ = practice
    old = "2019-03-04 10:00:00.000000"
    execute(vet, "UPDATE client SET created_at = ?, updated_at = ?", (old, old))
    execute(vet, "UPDATE pet SET created_at = ?, updated_at = ?", (old, old))
    execute(vet, "UPDATE weight SET measured_on = '2019-03-04'")
    rows = lambda: (vet.sql("SELECT * FROM client"), vet.sql("SELECT * FROM pet"))  # noqa: E731
    before = rows()
    assert vet.ok("client", "show", k, "--format", "json").json()["last_activity"] == "2019-03-04"
    req = vet.ok("request", "add", k, "--type", "access", "--received", TODAY, "--json").json()["id"]
    for fmt in ("json", "csv", "report"):
        vet.ok("export", k, "--format", fmt, "--out", "-")
    vet.ok("export", k, "--out", "-", "--request", str(req))
    vet.ok("export", "--all", "--out", str(vet.dir / "all"))
    assert rows() == before
    assert vet.ok("client", "show", k, "--format", "json").json()["last_activity"] == "2019-03-04"
    doc = vet.ok("export", k, "--out", "-").json()
    assert doc["retention"]["last_activity"] == "2019-03-04"
    assert doc["retention"]["delete_after"] == "2026-03-04"


def test_request_is_closed_by_the_export_that_answers_it(practice):
    vet, k, _, _ = practice
    other = vet.add_client("Carla Smit")
    req = vet.ok("request", "add", k, "--type", "portability", "--received", TODAY, "--json").json()["id"]
    erase_req = vet.ok("request", "add", k, "--type", "erasure", "--received", TODAY, "--json").json()["id"]
    audits = audit_count(vet)
    # Another client's export cannot close it; an erasure request is not answered by an export.
    for client, ref in ((other, req), (k, erase_req), (k, "abc")):
        r = vet.run("export", client, "--out", "-", "--request", str(ref))
        assert r.exit_code == 1 and r.stdout == "" and r.stderr.startswith("error: --request"), r.stderr
    assert audit_count(vet) == audits
    doc = vet.ok("export", k, "--out", "-", "--request", f"R{req}").json()
    assert vet.sql("SELECT closed_on FROM subject_request WHERE id = ?", (req,)) == [(TODAY,)]
    assert [(r["type"], r["closed_on"]) for r in doc["requests"]] == [("portability", TODAY), ("erasure", None)]
    entry = vet.ok("audit", "show", "--action", "export", "--format", "json").json()[-1]
    assert json.loads(entry["details"])["request"] == req
    r = vet.run("export", k, "--out", "-", "--request", str(req))
    assert r.exit_code == 1 and "already closed" in r.stderr


def test_export_all_writes_one_private_file_per_client(practice):
    vet, k, _, work = practice
    k2 = vet.add_client("Carla Smit")
    r = vet.ok("export", "--all", "--out", str(work / "all"), "--format", "report", "--lang", "en")
    assert listing(work / "all") == sorted([f"{k}.html", f"{k2}.html"])
    assert stat.S_IMODE((work / "all").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in (work / "all").iterdir())
    assert "Carla" not in (work / "all" / f"{k}.html").read_text("utf-8")
    assert "exported 2 clients" in r.stderr and "\x1b[" not in r.stderr  # no progress bar off a terminal
    entry = vet.ok("audit", "show", "--action", "export", "--format", "json").json()[-1]
    assert json.loads(entry["entity_ids"]) == [k, k2]
    assert json.loads(entry["details"]) == {"format": "report", "all": True, "count": 2}


def test_export_all_usage(practice):
    vet, k, _, work = practice
    assert vet.run("export", "--all").exit_code == 1
    assert vet.run("export", "--all", "--out", "-").exit_code == 1
    assert vet.run("export", k, "--all", "--out", str(work)).exit_code == 2
    assert vet.run("export").exit_code == 2
    assert listing(work) == []


def test_import_prints_the_new_number_and_reads_stdin(practice, tmp_path):
    vet, k, _, _ = practice
    text = vet.ok("export", k, "--out", "-").stdout
    doc = json.loads(text)
    doc["pets"][0]["chip"] = None  # the chip is taken in this practice
    r = vet.ok("import", "-", input=json.dumps(doc))
    number = r.stdout.strip()
    assert number.startswith("K") and number != k and f"client {number} imported" in r.stderr
    again = vet.ok("export", number, "--out", "-").json()
    assert again["client"]["name"] == NAME and again["pets"][0]["name"] == "Rakker"
    f = tmp_path / "x.json"
    doc["pets"] = []
    f.write_text(json.dumps(doc), "utf-8")
    out = vet.ok("import", str(f), "--json").json()
    assert isinstance(out["id"], int) and out["number"] > number and out["pets"] == 0
    missing = vet.run("import", str(tmp_path / "missing.json"))
    assert missing.exit_code == 1 and missing.stderr.strip() == "error: FILE: does not exist or cannot be read"


def test_restricted_data_of_an_erased_client_with_a_claim_are_exported_marked(vet, tmp_path):
    vet.ok("practice", "set", "--name", "DK", "--street", "Lindelaan 1", "--postcode", "3511 AA", "--city",
           "Utrecht", "--btw", "NL000099998B57", "--kvk", "12345678", "--iban", "NL91 ABNA 0417 1643 00")
    k = vet.add_client("Eva Wis", birth_date="1990-01-01", phone="0612345678")
    vet.add_pet(k, "Pluis", "cat")
    number = vet.ok("invoice", "create", k, "--line", "Consult;1;45", "--payment", "account", "--json").json()["number"]
    vet.ok("erase", k, "--verified-by", "Jet", "--id-document", "passport", "--yes")
    assert vet.run("client", "show", k).exit_code == 1  # hidden from normal use (art. 18) ...
    doc = vet.ok("export", k, "--out", "-").json()  # ... but still data held on her
    assert doc["client"]["restricted"] is True and doc["client"]["name"] == "Eva Wis"
    assert doc["client"]["phone"] is None and doc["pets"] == []
    assert [(i["number"], i["status"]) for i in doc["invoices"]] == [(number, "open")]
    report = vet.ok("export", k, "--format", "report", "--out", "-").stdout
    assert "beperkt (alleen bewaard vanwege een wettelijke plicht)" in report
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads((ROOT / "docs" / "export-schema-v2.json").read_text())
    assert Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(doc)
