"""``vetcards cashup``: the money of one day, for closing the till (SPEC §8, §9)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from . import output
from .options import Format, FormatOpt, JsonOpt
from .state import call, day_or_today

app = typer.Typer()


def _rows(c: dict[str, Any]) -> list[dict[str, Any]]:
    """The cash-up for people: one row per figure (what, count, amount)."""
    rows = [("invoices", c["invoices"], c["invoiced_cents"]),
            ("credit notes", c["credit_notes"], c["credited_cents"]),
            ("total invoiced", None, c["gross_cents"])]
    rows += [(f"invoiced, {m}", None, v) for m, v in c["by_method"].items()]
    rows += [(f"received, {m}", None, v) for m, v in c["received_by_method"].items()]
    rows += [(f"refunded, {m}", None, -v) for m, v in c["refunded_by_method"].items() if v]
    rows += [("received in all", c["payments"], c["received_cents"]),
             ("cash into the till", None, c["cash_cents"])]
    if c["voided_payments"]:
        rows.append(("voided payments (not counted)", c["voided_payments"], c["voided_cents"]))
    return [{"what": what, "count": count, "amount": output.euros(cents, "amount_cents")}
            for what, count, cents in rows]


@app.command("cashup")
def cashup(
    ctx: typer.Context,
    date_: Annotated[Optional[str], typer.Option(
        "--date", help="The day, ISO 2026-12-02 or Dutch 02-12-2026 (default: today).")] = None,
    json_out: JsonOpt = False,
    fmt: FormatOpt = None,
) -> None:
    """Close the till: the day's invoices per payment method and VAT rate, and the payments received.

    Credit notes count negative; voided payments are not counted (shown apart).

    Example: vetcards cashup --date 02-12-2026 --json
    """
    from .. import daybook

    result = call(ctx, daybook.cashup, day_or_today(date_))
    if json_out or fmt is Format.json:
        output.emit_json(result)
        return
    output.rows(_rows(result), ("what", "count", "amount"), fmt, title=f"Cash-up {result['date']}")
    if result["by_vat_rate"]:
        output.rows([{"rate": f"{r['rate']}%", **{k: output.euros(r[f"{k}_cents"], "_cents")
                                                  for k in ("net", "vat", "gross")}}
                     for r in result["by_vat_rate"]], ("rate", "net", "vat", "gross"), fmt, title="Per VAT rate")
