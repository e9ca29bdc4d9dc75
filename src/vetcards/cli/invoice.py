"""``vetcards invoice ...``: the financial history (issue: invoices)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from . import output
from .options import (
    ClientArg,
    DateOpt,
    ExcelOpt,
    Format,
    JsonOpt,
    Lang,
    LangOpt,
    file_option,
    format_option,
    on_date,
    required,
)
from .output import Listing, Output
from .state import call, get_state, today

app = typer.Typer(help="Invoices: create, show, list, pay, collect, credit, refund, void a payment.",
                  no_args_is_help=True)

InvoiceArg = Annotated[
    str, typer.Argument(help="Invoice number (2026-00042) or numeric id.", show_default=False)
]


class ShowFormat(str, Enum):
    table = "table"
    plain = "plain"
    csv = "csv"
    json = "json"
    pdf = "pdf"


def _totals_json(invoice: Any) -> dict[str, Any]:
    from .. import money

    totals = invoice.totals
    return {
        "net_cents": invoice.net_cents,
        "vat_cents": invoice.vat_cents,
        "gross_cents": invoice.gross_cents,
        "total": money.format_cents(invoice.gross_cents),
        "vat_rates": [
            {"rate": rt.rate, "net_cents": rt.net_cents, "vat_cents": rt.vat_cents,
             "gross_cents": rt.gross_cents}
            for rt in totals.per_rate
        ],
    }


def _on(value: Optional[str]):
    from .. import validation

    return validation.parse_date(value, field="--date") if value else None


@app.command("create")
def create(
    ctx: typer.Context,
    client: ClientArg,
    line: Annotated[
        Optional[list[str]],
        typer.Option(
            "--line",
            help='A line "DESCRIPTION;QTY;UNIT_PRICE[;VAT%]" (unit price excl. VAT; VAT 21 (default), 9, '
                 "0 (zero rate), exempt (art. 11 Wet OB) or outside (outside the scope of VAT, e.g. the NDG "
                 "registration fee)); repeat for more lines. Amounts take a dot or a comma: 45.00 or 45,00.",
            show_default=False,
        ),
    ] = None,
    payment: Annotated[
        Optional[str],
        typer.Option("--payment", help="cash or pin (paid at once) or account (needs the client's birth date).",
                     show_default=False),
    ] = None,
    pet: Annotated[Optional[str], typer.Option("--pet", help="The animal treated (pet number or id).")] = None,
    date_: Annotated[Optional[str], typer.Option(
        "--date", help="Invoice date, ISO or Dutch (default: today); not before the latest invoice date of "
                       "its year nor in a closed period.")] = None,
    supply_date: Annotated[Optional[str], typer.Option(
        "--supply-date", help="Date of supply, ISO or Dutch (default: the invoice date); printed when it "
                              "differs.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Issue an invoice with a number of its own (YYYY-NNNNN, gap-free per year).

    Example: vetcards invoice create K000001 --pet P000001 --line "Consult;1;45,00"
    --line "Vaccinatie cocktail;1;32.50;9" --payment pin
    """
    from .. import invoicing, validation

    on = _on(date_)
    supply = validation.parse_date(supply_date, field="--supply-date") if supply_date else None
    with get_state(ctx).unit() as uow:
        inv = invoicing.create_invoice(uow, client, line or [], payment or "", on=on, pet_ref=pet,
                                       today=today(), supply_date=supply)
        result = {"id": inv.id, "number": inv.number, "kind": inv.kind, "status": inv.status,
                  "invoice_date": inv.invoice_date.isoformat(),
                  "supply_date": inv.supply_date.isoformat() if inv.supply_date else None,
                  "payment_method": inv.payment_method, **_totals_json(inv),
                  "vat_categories": sorted({line.vat_category for line in inv.lines})}
    supplied = f", supplied {result['supply_date']}" if result["supply_date"] else ""
    total = output.euros(result["gross_cents"], "gross_cents")
    Output(json_out).result(result, f"invoice {result['number']} created: total {total} "
                                    f"({result['status']}{supplied})", text=str(result["number"]))


@app.command("show")
def show(
    ctx: typer.Context,
    invoice: InvoiceArg,
    fmt: Annotated[Optional[ShowFormat], format_option(
        "table (default on a terminal), plain, csv, json, or pdf (needs --out).")] = None,
    out: Annotated[Optional[Path], file_option("--out", help="File to write the PDF to (mode 0600).")] = None,
    excel: ExcelOpt = False,
    lang: LangOpt = Lang.nl,
) -> None:
    """Show an invoice or credit note: snapshot, lines, VAT per rate, payments, balance.

    Example: vetcards invoice show 2026-00042 --format pdf --out factuur-2026-00042.pdf
    """
    from .. import invoice_views
    from ..errors import UsageError

    state = get_state(ctx)
    if fmt is ShowFormat.pdf:
        if out is None:
            raise UsageError("--format pdf needs --out FILE")
        if excel:
            raise UsageError("--excel writes CSV for a spreadsheet; leave out --format pdf")
        with state.unit() as uow:
            card, path = invoice_views.write_pdf(uow, invoice, out, lang=lang.value)
        output.message(f"{'credit note' if card['kind'] == 'credit_note' else 'invoice'} "
                       f"{card['number']} written to {path}")
        return
    if out is not None:
        raise UsageError("--out is only used with --format pdf")
    with state.unit() as uow:
        card = invoice_views.invoice_card(uow, invoice)
    title = f"{'Credit note' if card['kind'] == 'credit_note' else 'Invoice'} {card['number']}"
    if card["restricted"]:
        title += " (restricted: kept for a legal hold, read for that purpose only)"
    sections = [("lines", "Lines", invoice_views.LINE_COLUMNS),
                ("vat_rates", "VAT per rate", invoice_views.VAT_COLUMNS)]
    if card["vat_statements"]:  # why a 0 % line carries no VAT (SPEC §3)
        sections.append(("vat_statements", "VAT statements", invoice_views.STATEMENT_COLUMNS))
    sections.append(("payments", "Payments", invoice_views.PAYMENT_COLUMNS))
    output.record(card, invoice_views.card_fields(card),
                  output.excel_format(None if fmt is None else Format(fmt.value), excel),
                  title=title, sections=sections, excel=excel)


@app.command("list")
@output.listing()
def list_(
    ctx: typer.Context,
    client: Annotated[Optional[str], typer.Option("--client", help="Only this client's invoices.")] = None,
    pet: Annotated[Optional[str], typer.Option("--pet", help="Only invoices for this animal.")] = None,
    status: Annotated[Optional[str], typer.Option(
        "--status", help="open, paid, in_collection or credited.")] = None,
    date_: Annotated[Optional[str], typer.Option(
        "--date", help="Only invoices dated this day, ISO or Dutch (not with --from/--to).")] = None,
    from_: Annotated[Optional[str], typer.Option("--from", help="Only invoices dated on or after this day.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Only invoices dated on or before this day.")] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="Only invoices numbered in this year.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only unpaid invoices past their payment term.")] = False,
    restricted: Annotated[
        bool,
        typer.Option("--restricted", help="Only the restricted invoices kept for a hold (fiscal or claim); "
                                          "the listing is audited."),
    ] = False,
    *,
    view: Listing,
) -> None:
    """List invoices and credit notes, oldest first.

    Example: vetcards invoice list --from 2026-12-01 --to 2026-12-31 --status open --format csv
    """
    from .. import invoice_views, validation

    dates: dict[str, Any] = {k: validation.parse_date(v, field=f) if v else None
                             for k, v, f in (("on", date_, "--date"), ("from_", from_, "--from"), ("to", to, "--to"))}
    data = call(ctx, invoice_views.list_invoices, client=client, pet=pet, status=status, year=year,
                overdue=overdue, today=today(), restricted=restricted, **dates)
    columns: tuple[str, ...] = invoice_views.LIST_COLUMNS
    if output.excel_format(view.fmt, view.excel) is Format.json:
        columns = ("id",) + columns + ("gross_cents", "paid_cents", "balance_cents")
    view.rows(data, columns, "Restricted invoices (kept for a hold)" if restricted else "Invoices",
              drop=("pet", "kind", "payment_method", "paid", "due_date", "client"))


@app.command("pay")
def pay(
    ctx: typer.Context,
    invoice: InvoiceArg,
    amount: Annotated[
        Optional[str],
        typer.Option("--amount", help="Amount paid, e.g. 45.00 or 45,00 (at most what is still owed).",
                     show_default=False),
    ] = None,
    method: Annotated[str, typer.Option("--method", help="pin, cash or transfer.")] = "transfer",
    date_: DateOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record a (partial) payment; an invoice paid in full becomes paid.

    Example: vetcards invoice pay 2026-00042 --amount 25,00 --method transfer --date 02-12-2026
    """
    from .. import invoicing, money

    on = _on(date_)
    with get_state(ctx).unit() as uow:
        inv, pay_, balance = invoicing.pay_invoice(uow, invoice, amount or "", method, on, today=today())
        result = {"id": pay_.id, "invoice_id": inv.id, "number": inv.number,
                  "amount_cents": pay_.amount_cents, "paid_on": pay_.paid_on.isoformat(),
                  "method": pay_.method, "balance_cents": balance, "balance": money.format_cents(balance),
                  "status": inv.status}
    Output(json_out).result(result, f"payment recorded on invoice {result['number']}: "
                                    f"still owed {output.euros(balance, 'balance_cents')} ({result['status']})")


@app.command("collect")
def collect(ctx: typer.Context, invoice: InvoiceArg, json_out: JsonOpt = False) -> None:
    """Hand an open invoice over for collection (status: in_collection).

    Example: vetcards invoice collect 2026-00042
    """
    from .. import invoicing, money

    with get_state(ctx).unit() as uow:
        inv, balance = invoicing.collect(uow, invoice, today=today())
        result = {"id": inv.id, "number": inv.number, "status": inv.status,
                  "balance_cents": balance, "balance": money.format_cents(balance)}
    Output(json_out).result(result, f"invoice {result['number']} is in collection "
                                    f"(owed {output.euros(balance, 'balance_cents')})")


@app.command("credit")
def credit(
    ctx: typer.Context,
    invoice: InvoiceArg,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why the invoice is corrected.")] = None,
    date_: Annotated[Optional[str], on_date("Date of the credit note")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Correct an invoice with a credit note (its own number, every amount negated).

    The invoice itself is never changed; it becomes 'credited'.

    Example: vetcards invoice credit 2026-00042 --reason "wrong client"
    """
    from .. import invoicing

    on = _on(date_)
    with get_state(ctx).unit() as uow:
        note, original = invoicing.credit(uow, invoice, reason, on=on, today=today())
        result = {"id": note.id, "number": note.number, "kind": note.kind,
                  "credits": original.number, "credits_id": original.id,
                  "invoice_date": note.invoice_date.isoformat(), **_totals_json(note)}
    Output(json_out).result(result, f"credit note {result['number']} issued for invoice {result['credits']}: "
                                    f"total {output.euros(result['gross_cents'], 'gross_cents')}",
                            text=str(result["number"]))


@app.command("void-payment")
def void_payment(
    ctx: typer.Context,
    invoice: InvoiceArg,
    payment: Annotated[str, typer.Argument(help="The payment's id, as invoice show lists it.", show_default=False)],
    reason: Annotated[str, required("--reason", "Why the payment is voided (kept with it).")],
    json_out: JsonOpt = False,
) -> None:
    """Void a payment or refund booked in error, with a reason; it stays listed, marked, and counts nowhere.

    A paid invoice that is no longer paid in full is open again.

    Example: vetcards invoice void-payment 2026-00003 17 --reason "booked on the wrong invoice"
    """
    from .. import invoicing, money

    with get_state(ctx).unit() as uow:
        inv, pay_, balance = invoicing.void_payment(uow, invoice, payment, reason)
        result = {"id": pay_.id, "invoice_id": inv.id, "number": inv.number, "amount_cents": pay_.amount_cents,
                  "voided_at": pay_.voided_at.isoformat() if pay_.voided_at else None,
                  "balance_cents": balance, "balance": money.format_cents(balance), "status": inv.status}
    Output(json_out).result(result, f"payment {result['id']} on invoice {result['number']} voided: "
                                    f"still owed {output.euros(balance, 'balance_cents')} ({result['status']})")


@app.command("refund")
def refund(
    ctx: typer.Context,
    credit_note: Annotated[str, typer.Argument(help="Credit note number (2026-00043) or numeric id.",
                                               show_default=False)],
    amount: Annotated[str, required("--amount", "Amount paid back, e.g. 45.00 or 45,00.")],
    method: Annotated[str, required("--method", "cash, pin or transfer (bank).")],
    date_: DateOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record money paid back on a credit note (at most its total, and what was paid on the invoice).

    Example: vetcards invoice refund 2026-00043 --amount 45,00 --method transfer
    """
    from .. import invoicing

    on = _on(date_)
    with get_state(ctx).unit() as uow:
        note, pay_, left = invoicing.refund(uow, credit_note, amount, method, on, today=today())
        paid_back = -pay_.amount_cents
        result = {"id": pay_.id, "invoice_id": note.id, "number": note.number, "amount_cents": pay_.amount_cents,
                  "paid_on": pay_.paid_on.isoformat(), "method": pay_.method, "refundable_cents": left}
    Output(json_out).result(result, f"refund of {output.euros(paid_back, 'amount_cents')} recorded "
                                    f"on credit note {result['number']}; still refundable "
                                    f"{output.euros(left, 'refundable_cents')}")
