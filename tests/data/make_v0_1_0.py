"""How tests/data/v0.1.0.db was made (once, with vetcards 0.1.0). Do not re-run.

The database is a frozen fixture: every later version of vetcards must open
it and show exactly this data (tests/test_migrations.py). Kept for the record:

    python tests/data/make_v0_1_0.py
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
DB = HERE / "v0.1.0.db"
KEY = HERE / "v0.1.0.key"


def vetcards(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VETCARDS_")}
    env.update({"VETCARDS_DB": str(DB), "VETCARDS_ACTOR": "fixture"})
    if KEY.exists():
        env["VETCARDS_KEY_FILE"] = str(KEY)
    r = subprocess.run([sys.executable, "-m", "vetcards", *args], env=env, capture_output=True, text=True,
                       check=True)
    return r.stdout


def main() -> None:
    if DB.exists() or KEY.exists():
        sys.exit("the v0.1.0 fixture exists; it is frozen, do not remake it")
    vetcards("init", "--new-key-file", str(KEY))
    vetcards("client", "add", "--name", "Anna Jansen", "--street", "Dorpsstraat 1", "--postcode", "1234 AB",
             "--city", "Utrecht", "--phone", "06 12345678", "--email", "anna.jansen@example.nl",
             "--birth-date", "1980-02-03", "--consent", "--reminders")
    vetcards("pet", "add", "K000001", "--name", "Bello", "--species", "dog", "--breed", "Labrador",
             "--sex", "male neutered", "--birth-date", "2019-05-01", "--chip", "528210000000001",
             "--colour", "black", "--coat", "short", "--insured")
    vetcards("pet", "add", "K000001", "--name", "Minoes", "--species", "cat", "--sex", "female spayed",
             "--birth-date", "2021-08-15", "--not-insured")
    vetcards("pet", "weigh", "P000001", "30,2", "--date", "2024-01-10")
    vetcards("pet", "weigh", "P000001", "31,45", "--date", "2025-06-20")
    vetcards("pet", "weigh", "P000002", "4,1", "--date", "2025-03-05")
    vetcards("pet", "weigh", "P000002", "4,25", "--date", "2025-09-30")


if __name__ == "__main__":
    main()
