"""``vetcards debtors``: who owes what, and how long past due (SPEC §8, §9)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from . import output
from .options import ExcelOpt, Format, FormatOpt, JsonOpt, WideOpt
from .state import call, day_or_today

app = typer.Typer()

#: The table's columns; a narrow terminal leaves out the note and the name first.
COLUMNS = ("invoice", "client", "name", "due_date", "days_overdue", "open", "note")
DROP = ("note", "name")
#: The keys of ``--json`` (and ``--format csv``), per invoice.
KEYS = ("invoice", "client", "name", "invoice_date", "due_date", "days_overdue", "bucket", "status", "open_cents",
        "restricted")


def _note(row: dict[str, Any]) -> str:
    from ..vocab import label

    notes = [label("invoice_state", row["status"], "en")] if row["status"] != "open" else []
    return ", ".join(notes + (["restricted: for the claim only"] if row["restricted"] else []))


@app.command("debtors")
def debtors(
    ctx: typer.Context,
    as_of: Annotated[Optional[str], typer.Option(
        "--as-of", help="Count the ages to this day, ISO or Dutch (default: today); later invoices are left out.")]
        = None,
    json_out: JsonOpt = False,
    fmt: FormatOpt = None,
    excel: ExcelOpt = False,
    wide: WideOpt = False,
) -> None:
    """List the open invoices by age past their due date (0-30, 31-60, 61-90, over 90 days).

    Unpaid invoices of an erased client are listed too (kept for the claim), marked restricted.

    Example: vetcards debtors --as-of 31-12-2026 --json
    """
    from .. import daybook

    fmt = output.excel_format(fmt, excel)
    result = call(ctx, daybook.debtors, day_or_today(as_of, "--as-of"))
    if json_out or fmt in (Format.json, Format.csv):
        output.rows(result["invoices"], KEYS, Format.json if json_out else fmt, excel=excel)
        return
    data = [dict(r, note=_note(r), open=output.euros(r["open_cents"], "open_cents")) for r in result["invoices"]]
    output.rows(data, COLUMNS, fmt, title=f"Debtors on {result['as_of']} (payment term "
                                          f"{result['payment_term_days']} days)", drop=DROP, wide=wide)
    totals = [(name.replace("_", " "), b["count"], b["open_cents"]) for name, b in result["buckets"].items()]
    totals.append(("total", len(data), result["open_cents"]))
    output.rows([{"days_past_due": name, "count": count, "open": output.euros(cents, "open_cents")}
                 for name, count, cents in totals], ("days_past_due", "count", "open"), fmt, title="Per age")
