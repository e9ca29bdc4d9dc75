"""``vetcards stats``: anonymised counts."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from . import output
from .output import Listing
from .state import call, day_or_today

app = typer.Typer()


class By(str, Enum):
    species = "species"
    breed = "breed"
    age = "age"
    region = "region"
    year = "year"


@app.command("stats")
@output.listing(wide=False)
def stats(
    ctx: typer.Context,
    by: Annotated[By, typer.Option("--by", help="Count living animals by species, breed or age; clients by "
                                                "region (first two postcode digits); visits by year.",
                                   case_sensitive=False)] = By.species,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Reference date for ages (default: today).")] = None,
    *,
    view: Listing,
) -> None:
    """Anonymised statistics: aggregate counts only, cells under 5 shown as <5, no totals.

    Restricted data (art. 18) are left out. A cell shown as x is hidden so that a
    small cell cannot be worked out from a total in another table.

    Example: vetcards stats --by region --format csv
    """
    from .. import stats as stats_lib

    result = call(ctx, stats_lib.statistics, by.value, as_of=day_or_today(as_of, "--as-of"), write=False)
    view.rows(result["rows"], result["columns"], f"Statistics: {result['counting']}")
