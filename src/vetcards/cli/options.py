"""Options shared by many commands, written once as ``Annotated`` aliases."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer


class Format(str, Enum):
    table = "table"
    plain = "plain"
    csv = "csv"
    json = "json"


FormatOpt = Annotated[
    Optional[Format],
    typer.Option(
        "--format",
        "-f",
        help="Output: table (Rich, default on a terminal), plain (default otherwise), csv or json.",
        case_sensitive=False,
    ),
]

JsonOpt = Annotated[
    bool,
    typer.Option("--json", help="Print one JSON object (for scripts), with the new id and number."),
]

YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (needed in scripts).")
]

DateOpt = Annotated[
    Optional[str],
    typer.Option("--date", help="Date, ISO 2026-11-27 or Dutch 27-11-2026 (default: today)."),
]

DbOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--db",
        help="Database file (else $VETCARDS_DB, else the platform data dir).",
        show_default=False,
        dir_okay=False,
    ),
]

KeyFileOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--key-file",
        help="Key file with a 256-bit raw key (else $VETCARDS_KEY_FILE, $VETCARDS_PASSPHRASE, or a prompt).",
        show_default=False,
    ),  # a directory is a key error (exit 3, keys.check_key_file_mode), not a usage error
]

ActorOpt = Annotated[
    Optional[str],
    typer.Option("--actor", help="Who is working, for the audit log (else $VETCARDS_ACTOR, else the OS user)."),
]

ClientArg = Annotated[str, typer.Argument(help="Client number (K000012) or numeric id.", show_default=False)]
PetArg = Annotated[str, typer.Argument(help="Pet number (P000034) or numeric id.", show_default=False)]

WideOpt = Annotated[
    bool, typer.Option("--wide", help="Table: show every column (default: the columns that fit the terminal)."),
]

ExcelOpt = Annotated[
    bool,
    typer.Option("--excel", help="CSV for a Dutch spreadsheet: UTF-8 with BOM, ';' between cells, decimal comma "
                                 "(implies --format csv)."),
]


class Lang(str, Enum):
    """The language of a document for people (:data:`vetcards.vocab.LANGS`)."""

    nl = "nl"
    en = "en"


LangOpt = Annotated[
    Lang,
    typer.Option("--lang", help="Language of the document: nl (default) or en.", case_sensitive=False),
]
