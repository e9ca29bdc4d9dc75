"""``vetcards practice ...``: practice settings stored in the database."""

from __future__ import annotations

import typer

from . import output
from .options import Form, group, text
from .output import Listing
from .state import call

app = typer.Typer(help="Practice settings: name, address, BTW, KvK, IBAN, privacy statement, retention.",
                  no_args_is_help=True)


#: The settings ``practice set`` changes, keyed as the library stores them.
SETTINGS = {
    "name": text("--name", "Practice name."),
    "street": text("--street", "Street and number."),
    "postcode": text("--postcode", "Postcode."),
    "city": text("--city", "City."),
    "vat_number": text("--btw", "BTW (VAT) number, e.g. NL000099998B57."),
    "kvk": text("--kvk", "KvK (Chamber of Commerce) number, 8 digits."),
    "iban": text("--iban", "IBAN for payments."),
    "phone": text("--phone", "The practice's phone number (\"\" clears it)."),
    "email": text("--email", "The practice's e-mail address (\"\" clears it)."),
    "privacy_contact": text("--privacy-contact", "Name of the data-protection contact (privacy questions and requests)."),
    "privacy_email": text("--privacy-email", "E-mail address of the data-protection contact."),
    "privacy_statement_version": text("--statement-version", "Version of the privacy statement consent refers to."),
    "inactivity_years": text("--inactivity-years", "Purge clients inactive more than this many years (7)."),
    "fiscal_years": text("--fiscal-years", "Keep invoices this many years after their year ends (7, the legal minimum)."),
    "medicine_years": text("--medicine-years", "Keep medicine records this many years (5, the legal minimum)."),
    "payment_term_days": text("--payment-term-days", "Days until an invoice on account is due (14)."),
    "books_closed_until": text("--books-closed-until", "Last day of the period closed after filing VAT; no invoice is dated in it."),
    "shell_lock_minutes": text("--shell-lock-minutes", "Lock vetcards shell after this many idle minutes (10)."),
}


@app.command("set")
@group("raw", SETTINGS)
def set_(ctx: typer.Context, *, raw: Form) -> None:
    """Change practice settings; only the given ones change.

    Example: vetcards practice set --name "Dierenkliniek De Linde" --btw NL000099998B57
    --kvk 12345678 --iban "NL91 ABNA 0417 1643 00" --phone "030 123 4567" --email info@delinde.nl
    --privacy-contact "J. de Wit" --privacy-email privacy@delinde.nl
    """
    from .. import settings

    values = settings.validate(raw)
    if not values:
        from ..errors import UsageError

        raise UsageError("give at least one setting to change (see: vetcards practice set --help)")
    output.message("changed: " + (", ".join(call(ctx, settings.change, values)) or "nothing"))


@app.command("show")
@output.listing(wide=False)
def show(ctx: typer.Context, *, view: Listing) -> None:
    """Show the practice settings.

    Example: vetcards practice show --format json
    """
    from .. import settings

    values = call(ctx, settings.get_all, write=False)
    view.record(values, tuple(values), "Practice")
