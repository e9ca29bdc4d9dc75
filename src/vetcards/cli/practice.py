"""``vetcards practice ...``: practice settings stored in the database."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import output
from .options import ExcelOpt, FormatOpt
from .state import get_state

app = typer.Typer(help="Practice settings: name, address, BTW, KvK, IBAN, privacy statement, retention.",
                  no_args_is_help=True)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Option("--name", help="Practice name.")] = None,
    street: Annotated[Optional[str], typer.Option("--street", help="Street and number.")] = None,
    postcode: Annotated[Optional[str], typer.Option("--postcode", help="Postcode.")] = None,
    city: Annotated[Optional[str], typer.Option("--city", help="City.")] = None,
    btw: Annotated[Optional[str], typer.Option("--btw", help="BTW (VAT) number, e.g. NL000099998B57.")] = None,
    kvk: Annotated[Optional[str], typer.Option("--kvk", help="KvK (Chamber of Commerce) number, 8 digits.")] = None,
    iban: Annotated[Optional[str], typer.Option("--iban", help="IBAN for payments.")] = None,
    phone: Annotated[Optional[str], typer.Option("--phone", help="The practice's phone number (\"\" clears it).")] = None,
    email: Annotated[Optional[str], typer.Option("--email", help="The practice's e-mail address (\"\" clears it).")] = None,
    privacy_contact: Annotated[Optional[str], typer.Option("--privacy-contact", help="Name of the data-protection contact (privacy questions and requests).")] = None,
    privacy_email: Annotated[Optional[str], typer.Option("--privacy-email", help="E-mail address of the data-protection contact.")] = None,
    statement_version: Annotated[Optional[str], typer.Option("--statement-version", help="Version of the privacy statement consent refers to.")] = None,
    inactivity_years: Annotated[Optional[str], typer.Option("--inactivity-years", help="Purge clients inactive more than this many years (7).")] = None,
    fiscal_years: Annotated[Optional[str], typer.Option("--fiscal-years", help="Keep invoices this many years after their year ends (7, the legal minimum).")] = None,
    medicine_years: Annotated[Optional[str], typer.Option("--medicine-years", help="Keep medicine records this many years (5, the legal minimum).")] = None,
    payment_term_days: Annotated[Optional[str], typer.Option("--payment-term-days", help="Days until an invoice on account is due (14).")] = None,
    books_closed_until: Annotated[Optional[str], typer.Option("--books-closed-until", help="Last day of the period closed after filing VAT; no invoice is dated in it.")] = None,
    shell_lock_minutes: Annotated[Optional[str], typer.Option("--shell-lock-minutes", help="Lock vetcards shell after this many idle minutes (10).")] = None,
) -> None:
    """Change practice settings; only the given ones change.

    Example: vetcards practice set --name "Dierenkliniek De Linde" --btw NL000099998B57
    --kvk 12345678 --iban "NL91 ABNA 0417 1643 00" --phone "030 123 4567" --email info@delinde.nl
    --privacy-contact "J. de Wit" --privacy-email privacy@delinde.nl
    """
    from .. import settings

    raw = {"name": name, "street": street, "postcode": postcode, "city": city, "vat_number": btw,
           "kvk": kvk, "iban": iban, "phone": phone, "email": email, "privacy_contact": privacy_contact,
           "privacy_email": privacy_email, "privacy_statement_version": statement_version,
           "inactivity_years": inactivity_years, "fiscal_years": fiscal_years,
           "medicine_years": medicine_years, "payment_term_days": payment_term_days,
           "books_closed_until": books_closed_until, "shell_lock_minutes": shell_lock_minutes}
    values = settings.validate(raw)
    if not values:
        from ..errors import UsageError

        raise UsageError("give at least one setting to change (see: vetcards practice set --help)")
    with get_state(ctx).unit() as uow:
        changed = settings.change(uow, values)
    output.message("changed: " + (", ".join(changed) if changed else "nothing"))


@app.command("show")
def show(ctx: typer.Context, fmt: FormatOpt = None, excel: ExcelOpt = False) -> None:
    """Show the practice settings.

    Example: vetcards practice show --format json
    """
    from .. import settings

    with get_state(ctx).unit(write=False) as uow:
        values = settings.get_all(uow)
    output.record(values, tuple(values), fmt, title="Practice", excel=excel)
