"""``vetcards practice ...``: practice settings stored in the database."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import output
from .options import FormatOpt
from .state import get_state

app = typer.Typer(help="Practice settings: name, address, BTW, KvK, IBAN, privacy statement, retention.",
                  no_args_is_help=True)


def _opt(name: str, help_: str):
    return Annotated[Optional[str], typer.Option(name, help=help_)]


@app.command("set")
def set_(
    ctx: typer.Context,
    name: _opt("--name", "Practice name.") = None,
    street: _opt("--street", "Street and number.") = None,
    postcode: _opt("--postcode", "Postcode.") = None,
    city: _opt("--city", "City.") = None,
    btw: _opt("--btw", "BTW (VAT) number, e.g. NL000099998B57.") = None,
    kvk: _opt("--kvk", "KvK (Chamber of Commerce) number, 8 digits.") = None,
    iban: _opt("--iban", "IBAN for payments.") = None,
    statement_version: _opt("--statement-version", "Version of the privacy statement consent refers to.") = None,
    inactivity_years: _opt("--inactivity-years", "Purge clients inactive more than this many years (7).") = None,
    fiscal_years: _opt("--fiscal-years", "Keep invoices this many years after their year ends (7).") = None,
    medicine_years: _opt("--medicine-years", "Keep medicine records this many years (5).") = None,
    payment_term_days: _opt("--payment-term-days", "Days until an invoice on account is due (14).") = None,
) -> None:
    """Change practice settings; only the given ones change.

    Example: vetcards practice set --name "Dierenkliniek De Linde" --btw NL000099998B57
    --kvk 12345678 --iban "NL91 ABNA 0417 1643 00"
    """
    from .. import audit, settings

    raw = {"name": name, "street": street, "postcode": postcode, "city": city, "vat_number": btw,
           "kvk": kvk, "iban": iban, "privacy_statement_version": statement_version,
           "inactivity_years": inactivity_years, "fiscal_years": fiscal_years,
           "medicine_years": medicine_years, "payment_term_days": payment_term_days}
    values = settings.validate(raw)
    if not values:
        from ..errors import UsageError

        raise UsageError("give at least one setting to change (see: vetcards practice set --help)")
    with get_state(ctx).unit() as conn:
        changed = settings.put(conn, values)
        audit.record(conn, "practice.set", "practice", [], {"fields": sorted(changed)})
        conn.commit()
    output.message("changed: " + (", ".join(changed) if changed else "nothing"))


@app.command("show")
def show(ctx: typer.Context, fmt: FormatOpt = None) -> None:
    """Show the practice settings.

    Example: vetcards practice show --format json
    """
    from .. import settings

    with get_state(ctx).unit(write=False) as conn:
        values = settings.get_all(conn)
    output.record(values, tuple(values), fmt, title="Practice")
