"""Anonymised statistics (issue 6, point 8) and the processing register (point 9)."""

from __future__ import annotations

import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vetcards.stats import HIDDEN, SMALL, K, age_band, determined, suppress

# --------------------------------------------------------------------------
# The pure suppression function, hammered by hypothesis
# --------------------------------------------------------------------------


def _feasible_values(markers, total, k=K):
    """Brute force (subset-sum DP, independent of stats.determined): the values each
    hidden cell can take, given the markers and the sum of the hidden cells."""
    ranges = [range(1, k) if m == SMALL else range(k, total + 1) for m in markers]
    out = []
    for i in range(len(markers)):
        sums = {0}
        for j, r in enumerate(ranges):
            if j != i:
                sums = {s + v for s in sums for v in r if s + v <= total}
        out.append({v for v in ranges[i] if total - v in sums})
    return out


counts_strategy = st.lists(st.integers(min_value=0, max_value=30), min_size=0, max_size=10)


@settings(max_examples=600, deadline=None)
@given(counts_strategy)
def test_suppression_properties(counts):
    table = suppress([((i,), n) for i, n in enumerate(counts)])
    shown = dict(table.cells)
    # Zero cells are dropped; every other cell is shown, in order.
    assert [key for key, _ in table.cells] == [(i,) for i, n in enumerate(counts) if n > 0]
    for (i,), value in table.cells:
        n = counts[i]
        if isinstance(value, int):
            assert value == n and value >= K, "a cell under 5 was shown"
        elif value == SMALL:
            assert 1 <= n < K
        else:
            assert value == HIDDEN and n >= K
    # With the table total known (it is, from another table), no hidden cell can be worked out,
    # unless every cell is hidden (then the algorithm says so).
    hidden = [(key, v) for key, v in shown.items() if isinstance(v, str)]
    if hidden:
        total = sum(counts[key[0]] for key, _ in hidden)
        feasible = _feasible_values([v for _, v in hidden], total)
        exposed = any(len(f) == 1 for f in feasible)
        assert exposed == determined([v for _, v in hidden], total)
        if exposed:
            assert len(hidden) == len(shown) and table.exposed_groups == [None]
        else:
            assert table.exposed_groups == []
    # Complementary suppression only when there is a small cell to protect.
    if not any(0 < n < K for n in counts):
        assert table.cells == [((i,), n) for i, n in enumerate(counts) if n > 0]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.tuples(st.sampled_from("abc"), st.sampled_from("xyz")),
                       st.integers(min_value=1, max_value=20), max_size=9))
def test_suppression_is_per_group(cells):
    table = suppress(sorted(cells.items()), group=lambda key: key[0])
    for species in "abc":
        group = {key: v for key, v in table.cells if key[0] == species}
        hidden = [v for v in group.values() if isinstance(v, str)]
        if hidden and species not in table.exposed_groups:
            total = sum(cells[key] for key, v in group.items() if isinstance(v, str))
            assert all(len(f) > 1 for f in _feasible_values(hidden, total))
        assert not any(isinstance(v, int) and v < K for v in group.values())


def test_suppression_examples():
    assert suppress([("dog", 40), ("cat", 30)]).cells == [("dog", 40), ("cat", 30)]
    # One small cell would follow from the total: the smallest other cell is hidden too.
    assert suppress([("dog", 40), ("cat", 30), ("rabbit", 2)]).cells == [("dog", 40), ("cat", HIDDEN),
                                                                         ("rabbit", SMALL)]
    # Two small cells summing to 2 are both 1: hide one more.
    assert suppress([("a", 1), ("b", 1), ("c", 9), ("d", 20)]).cells == [("a", SMALL), ("b", SMALL),
                                                                         ("c", HIDDEN), ("d", 20)]
    # Two small cells summing to 5 cannot be split exactly: nothing more to hide.
    assert suppress([("a", 2), ("b", 3), ("c", 9)]).cells == [("a", SMALL), ("b", SMALL), ("c", 9)]
    assert suppress([("a", 3)]).exposed_groups == [None]


def test_age_band():
    as_of = date(2026, 6, 1)
    assert age_band(None, as_of) == "unknown"
    assert age_band(date(2025, 6, 2), as_of) == "0-1"
    assert age_band(date(2024, 6, 1), as_of) == "2-4"
    assert age_band(date(2024, 6, 2), as_of) == "0-1"
    assert age_band(date(2000, 1, 1), as_of) == "15+"


# --------------------------------------------------------------------------
# Through the CLI on a real database
# --------------------------------------------------------------------------


def _populate(vet):
    """8 living dogs (5 Labradors), 2 cats, 1 deceased dog, a restricted client with 6 rabbits."""
    a = vet.add_client("A", postcode="3511 AA")
    b = vet.add_client("B", postcode="3512 BB")
    c = vet.add_client("C", postcode="1012 CC")
    for i in range(5):
        vet.add_pet(a, f"Lab{i}", breed="Labrador", birth_date="2020-01-01")
    vet.add_pet(b, "Poedel", breed="Poedel", birth_date="2024-01-01")
    vet.add_pet(b, "Poedel2", breed="poedel ", birth_date="2024-01-01")
    vet.add_pet(b, "Mix", birth_date="2024-01-01")
    dead = vet.add_pet(b, "Oud", breed="Labrador")
    vet.ok("pet", "deceased", dead)
    vet.add_pet(c, "Minoes", "cat")
    vet.add_pet(c, "Tijger", "cat")
    vet.ok("visit", "add", dead, "--reason", "check", "--date", "2023-03-03")
    r = vet.add_client("Restricted", postcode="9999 ZZ")
    import sqlcipher3

    key = vet.key_file.read_text().strip()
    conn = sqlcipher3.connect(str(vet.db))
    conn.execute(f"PRAGMA key = \"x'{key}'\"")
    cid = conn.execute("SELECT id FROM client WHERE number = ?", (r,)).fetchone()[0]
    for i in range(6):
        conn.execute("INSERT INTO pet (number, client_id, name, species, sex, created_at, updated_at) "
                     "VALUES (?, ?, 'Konijn', 'rabbit', 'unknown', '2020-01-01', '2020-01-01')", (f"R{i}", cid))
        conn.execute("INSERT INTO visit (pet_id, visit_date, reason, created_at) "
                     "VALUES (last_insert_rowid(), '2021-03-03', 'check', '2021-03-03')")
    conn.execute("UPDATE client SET restricted = 1 WHERE id = ?", (cid,))
    conn.commit()
    conn.close()


def _stats(vet, by):
    return vet.ok("stats", "--by", by, "--format", "json").json()


def test_stats_cli(vet):
    _populate(vet)
    # 2 cats would follow from the total of animals (known from the age table): dogs are hidden too.
    assert _stats(vet, "species") == [{"species": "cat", "count": SMALL}, {"species": "dog", "count": HIDDEN}]
    assert _stats(vet, "breed") == [
        {"species": "cat", "breed": "(unknown)", "count": SMALL},
        {"species": "dog", "breed": "(unknown)", "count": SMALL},
        {"species": "dog", "breed": "labrador", "count": 5},
        {"species": "dog", "breed": "poedel", "count": SMALL},
    ]
    assert _stats(vet, "region") == [{"region": "10", "count": SMALL}, {"region": "35", "count": SMALL}]
    age = vet.ok("stats", "--by", "age", "--as-of", "2026-06-01", "--format", "json").json()
    assert age == [{"age": "2-4", "count": SMALL}, {"age": "5-9", "count": 5}, {"age": "unknown", "count": SMALL}]
    assert _stats(vet, "year") == [{"year": "2023", "count": SMALL}]  # the rabbits' visits are restricted
    csv_out = vet.ok("stats", "--by", "breed", "--format", "csv").stdout
    assert csv_out.splitlines()[0] == "species,breed,count"
    plain = vet.ok("stats").stdout
    assert "total" not in plain.lower() and "rabbit" not in plain


animal_strategy = st.tuples(
    st.sampled_from(["dog", "cat", "rabbit"]),          # species
    st.sampled_from([None, "a", "b", "c"]),              # breed
    st.one_of(st.none(), st.integers(2005, 2026)),       # birth year
    st.sampled_from(["10", "35", "99"]),                 # region
    st.booleans(),                                       # restricted owner
    st.booleans(),                                       # deceased
    st.lists(st.integers(2019, 2025), max_size=3),       # visit years
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(animal_strategy, max_size=40))
def test_stats_on_generated_databases(vet, animals):
    """Generated small practices on the real encrypted file: for every --by, no number under 5
    is shown, shown numbers are true, and restricted or deceased animals are never counted."""
    from collections import Counter

    from sqlalchemy import text

    from vetcards.db import open_database
    from vetcards.keys import read_key_file
    from vetcards.stats import BY_CHOICES, statistics

    as_of = date(2026, 6, 1)
    db = open_database(vet.db, read_key_file(vet.key_file), write=True)
    try:
        with db.engine.connect() as conn:
            trans = conn.begin()
            want = {by: Counter() for by in BY_CHOICES}
            for i, (species, breed, year, region, restricted, deceased, visits) in enumerate(animals, 1):
                conn.execute(text("INSERT INTO client (id, number, name, street, postcode, city, created_at, "
                                  "updated_at, restricted) VALUES (:i, :n, 'x', 'x', :pc, 'x', '2020-01-01', "
                                  "'2020-01-01', :r)"),
                             {"i": i, "n": f"K{i:06d}", "pc": f"{region}00 AB", "r": restricted})
                conn.execute(text("INSERT INTO pet (id, number, client_id, name, species, breed, sex, birth_date, "
                                  "deceased_on, created_at, updated_at) VALUES (:i, :n, :i, 'x', :s, :b, 'unknown', "
                                  ":bd, :d, '2020-01-01', '2020-01-01')"),
                             {"i": i, "n": f"P{i:06d}", "s": species, "b": breed,
                              "bd": f"{year}-01-01" if year else None, "d": "2025-01-01" if deceased else None})
                for y in visits:
                    conn.execute(text("INSERT INTO visit (pet_id, visit_date, reason, created_at) "
                                      "VALUES (:i, :d, 'x', '2020-01-01')"), {"i": i, "d": f"{y}-02-02"})
                if restricted:
                    continue
                want["region"][(region,)] += 1
                for y in visits:
                    want["year"][(str(y),)] += 1
                if not deceased:
                    want["species"][(species,)] += 1
                    want["breed"][(species, breed or "(unknown)")] += 1
                    want["age"][(age_band(date(year, 1, 1) if year else None, as_of),)] += 1
            for by in BY_CHOICES:
                result = statistics(conn, by, as_of=as_of)
                keys = result["columns"][:-1]
                got = {tuple(row[c] for c in keys): row["count"] for row in result["rows"]}
                assert set(got) == set(want[by]), by
                for key, value in got.items():
                    if isinstance(value, int):
                        assert value >= K and value == want[by][key], (by, key)
                    else:
                        assert (value == SMALL) == (want[by][key] < K), (by, key)
            trans.rollback()
    finally:
        db.close()


def test_stats_bad_by_is_a_usage_error(vet):
    r = vet.run("stats", "--by", "name")
    assert r.exit_code == 2


# --------------------------------------------------------------------------
# Record of processing activities
# --------------------------------------------------------------------------


def test_register_from_recipients_and_settings(vet):
    vet.ok("practice", "set", "--name", "Dierenartspraktijk De Hoef", "--inactivity-years", "8",
           "--medicine-years", "6")
    vet.ok("recipient", "add", "--name", "Specialist BV", "--kind", "specialist", "--categories",
           "naw,animal,record", "--agreement-date", "2026-01-15")
    vet.ok("recipient", "add", "--name", "Incasso BV", "--kind", "other", "--categories", "naw,financial")
    reg = vet.ok("register", "--format", "json").json()
    assert reg["controller"]["name"] == "Dierenartspraktijk De Hoef"
    assert reg["retention_settings"] == {"inactivity_years": 8, "fiscal_years": 7, "medicine_years": 6}
    acts = {a["id"]: a for a in reg["activities"]}
    assert {"care", "invoicing", "reminders", "chip-registration", "referral", "lab", "pharmacy",
            "statistics"} <= set(acts)
    assert [r["name"] for r in acts["referral"]["recipients"]] == ["Specialist BV"]
    assert acts["referral"]["recipients"][0]["agreement_date"] == "2026-01-15"
    assert [r["kind"] for r in acts["reminders"]["recipients"]] == ["printer"]
    assert [r["kind"] for r in acts["chip-registration"]["recipients"]] == ["chip-registry"]
    assert [r["name"] for r in reg["other_recipients"]] == ["Incasso BV"]
    assert "8 years" in acts["care"]["retention"] and "6 years" in acts["care"]["retention"]
    assert any("SQLCipher 4" in m for m in reg["security_measures"])
    assert any("audit log" in m for m in reg["security_measures"])
    text = vet.ok("register", "--lang", "en").stdout  # Dutch by default: tests/cli/test_register.py
    assert "Dierenartspraktijk De Hoef" in text and "Specialist BV" in text and "SQLCipher 4" in text
    assert "Record of processing activities" in text.splitlines()[0]
    json.dumps(reg)


def test_clients_abroad_count_by_country_and_voided_visits_not_at_all(vet):
    """A Belgian 2000 is not the Dutch region 20; a visit voided as booked in error was no consultation."""
    for i in range(5):
        vet.add_client(f"Peeters {i}", street="Meir 1", postcode="2000", city="Antwerpen", country="BE")
    for i in range(5):
        vet.add_client(f"Jansen {i}", postcode="2011 AB", city="Haarlem")
    assert _stats(vet, "region") == [{"region": "20", "count": 5}, {"region": "BE", "count": 5}]

    k = vet.add_client("Visits", postcode="3511 AA")
    pets = [vet.add_pet(k, f"Dier{i}") for i in range(6)]
    for p in pets:
        vet.ok("visit", "add", p, "--reason", "check", "--date", "2024-05-05")
    assert _stats(vet, "year") == [{"year": "2024", "count": 6}]
    visit_id = vet.sql("SELECT max(id) FROM visit")[0][0]
    vet.ok("record", "void", "visit", str(visit_id), "--reason", "wrong animal")
    assert _stats(vet, "year") == [{"year": "2024", "count": 5}]
