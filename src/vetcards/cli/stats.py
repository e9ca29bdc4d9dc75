"""``vetcards stats``: anonymised counts."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from . import output
from .options import ExcelOpt, FormatOpt
from .state import get_state, today

app = typer.Typer()


class By(str, Enum):
    species = "species"
    breed = "breed"
    age = "age"
    region = "region"
    year = "year"


@app.command("stats")
def stats(
    ctx: typer.Context,
    by: Annotated[By, typer.Option("--by", help="Count living animals by species, breed or age; clients by "
                                                "region (first two postcode digits); visits by year.",
                                   case_sensitive=False)] = By.species,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Reference date for ages (default: today).")] = None,
    fmt: FormatOpt = None,
    excel: ExcelOpt = False,
) -> None:
    """Anonymised statistics: aggregate counts only, cells under 5 shown as <5, no totals.

    Restricted data (art. 18) are left out. A cell shown as x is hidden so that a
    small cell cannot be worked out from a total in another table.

    Example: vetcards stats --by region --format csv
    """
    from .. import stats as stats_lib
    from .. import validation

    on = validation.parse_date(as_of, field="--as-of") if as_of else today()
    with get_state(ctx).unit(write=False) as uow:
        result = stats_lib.statistics(uow, by.value, as_of=on)
    output.rows(result["rows"], result["columns"], fmt, title=f"Statistics: {result['counting']}", excel=excel)
