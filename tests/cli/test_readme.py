"""The README's "Using it" block runs as written, on a new database (issue 13).

The block is taken from README.md as it stands and run by bash, line by line as
a person would paste it: ``vetcards`` found on the PATH from the virtualenv's
``bin`` (as ``source .venv/bin/activate`` does), no ``VETCARDS_*`` variables but
the ones the block exports, in an empty folder. Any line that fails fails the
test, naming the line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

#: The desk commands the example must show, in this order (issue 13: from the practice's address
#: to the payment, and the day's closing).
DESK = ["init", "practice set", "client add", "client search", "pet add", "visit add", "vaccinate",
        "invoice create", "invoice show", "invoice pay", "cashup", "debtors"]


def using_it_block(readme: str) -> str:
    """The first ``sh`` block under the heading "Using it"."""
    section = readme.split("## Using it", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "README.md: the Using it section has no ```sh block"
    return match[1]


def commands(block: str) -> list[str]:
    """The commands of a block, continuation lines joined, comments and blank lines left out."""
    joined = re.sub(r"\\\n\s*", "", block)
    return [line.split("   #")[0].strip() for line in joined.splitlines() if line.strip()
            and not line.lstrip().startswith("#")]


def run_block(block: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run ``block`` with bash as written, stopping at the first failing line (named on stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VETCARDS_")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", HOME=str(folder),
               XDG_DATA_HOME=str(folder / "data"), COLUMNS="80")
    script = "set -e -o pipefail\ntrap 'echo \"README line failed: $BASH_COMMAND\" >&2' ERR\n" + block
    return subprocess.run(["bash", "-c", script], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)


def test_the_block_shows_a_whole_day_at_the_desk():
    cmds = commands(using_it_block((ROOT / "README.md").read_text(encoding="utf-8")))
    said = [re.sub(r"^vetcards (--db \S+ )?", "", c) for c in cmds]
    positions = [next(i for i, c in enumerate(said) if c.startswith(word)) for word in DESK]
    assert positions == sorted(positions), said
    practice = next(c for c in cmds if c.startswith("vetcards practice set"))
    for option in ("--name", "--street", "--postcode", "--city", "--btw", "--kvk", "--iban"):
        assert option in practice, option  # an invoice needs the practice's address and numbers


def test_readme_using_it_runs_as_written(tmp_path):
    block = using_it_block((ROOT / "README.md").read_text(encoding="utf-8"))
    r = run_block(block, tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "README line failed" not in r.stderr
    assert (tmp_path / "practice.db").exists() and (tmp_path / "practice.key").stat().st_mode & 0o777 == 0o600
    # the day happened: an invoice paid at the desk, one on account partly paid, the chain intact
    assert "invoice " in r.stderr + r.stdout and "still owed" in r.stderr + r.stdout
    assert "hash chain intact" in r.stderr + r.stdout


def test_a_failing_line_fails_the_run(tmp_path):
    """The runner stops at the first failing line and names it (so the test above cannot pass
    over a broken example)."""
    r = run_block("vetcards --db practice.db init --new-key-file practice.key\n"
                  "vetcards client show K000001\necho not reached\n", tmp_path)
    assert r.returncode != 0
    assert "README line failed: vetcards client show K000001" in r.stderr
    assert "not reached" not in r.stdout


@pytest.mark.parametrize("text,expected", [
    ("a \\\n    --b c   # note\n# only a comment\n\nd\n", ["a --b c", "d"]),
])
def test_commands_joins_continuations(text, expected):
    assert commands(text) == expected
