"""``vetcards client ...``: the client card."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import output
from .options import ClientArg, FormatOpt, JsonOpt
from .state import get_state, today

app = typer.Typer(help="Client cards (klantenkaart): add, edit, show, list, search.", no_args_is_help=True)

NameOpt = Annotated[Optional[str], typer.Option("--name", help="Full name.")]
StreetOpt = Annotated[Optional[str], typer.Option("--street", help="Street and house number.")]
PostcodeOpt = Annotated[Optional[str], typer.Option("--postcode", help="Dutch postcode, e.g. 1234 AB.")]
CityOpt = Annotated[Optional[str], typer.Option("--city", help="City.")]
PhoneOpt = Annotated[Optional[str], typer.Option("--phone", help="Phone number (stored as +31...).")]
EmailOpt = Annotated[Optional[str], typer.Option("--email", help="E-mail address.")]
BirthOpt = Annotated[
    Optional[str],
    typer.Option("--birth-date", help="Birth date; only needed for invoices paid on account."),
]

CARD_FIELDS = ("number", "name", "street", "postcode", "city", "phone", "email", "birth_date",
               "created_on", "last_activity", "legal_hold_reason")
LIST_COLUMNS = ("number", "name", "street", "postcode", "city", "phone", "email", "pets")
PET_COLUMNS = ("number", "name", "species", "breed", "sex", "birth_date", "chip", "weight_kg", "deceased_on")
CONSENT_COLUMNS = ("purpose", "given_on", "statement_version", "method", "withdrawn_on")
SERVICE_COLUMNS = ("date", "kind", "reference", "pet", "description", "quantity", "net_cents")


@app.command("add")
def add(
    ctx: typer.Context,
    name: NameOpt = None,
    street: StreetOpt = None,
    postcode: PostcodeOpt = None,
    city: CityOpt = None,
    phone: PhoneOpt = None,
    email: EmailOpt = None,
    birth_date: BirthOpt = None,
    consent: Annotated[
        bool,
        typer.Option("--consent", help="The client gave explicit consent (required; recorded with date and statement version)."),
    ] = False,
    consent_method: Annotated[
        str,
        typer.Option("--consent-method", help="How consent was given: in-person, written, e-mail, phone, web."),
    ] = "in-person",
    reminders: Annotated[
        bool, typer.Option("--reminders", help="Also record consent for vaccination reminder cards.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Register a new client with their consent.

    Example: vetcards client add --name "A. Jansen" --street "Dorpsstraat 1"
    --postcode "1234 AB" --city Utrecht --phone "06 12345678" --consent --reminders
    """
    from .. import clients

    raw = {"name": name, "street": street, "postcode": postcode, "city": city,
           "phone": phone, "email": email, "birth_date": birth_date}
    with get_state(ctx).unit() as session:
        client = clients.add_client(session, raw, today=today(), consent=consent,
                                    consent_method=consent_method, reminders=reminders)
        result = {"id": client.id, "number": client.number}
    if json_out:
        output.emit_json(result)
    else:
        print(result["number"])
        output.message(f"client {result['number']} added")


@app.command("edit")
def edit(
    ctx: typer.Context,
    client: ClientArg,
    name: NameOpt = None,
    street: StreetOpt = None,
    postcode: PostcodeOpt = None,
    city: CityOpt = None,
    phone: Annotated[Optional[str], typer.Option("--phone", help="New phone number; \"\" clears it.")] = None,
    email: Annotated[Optional[str], typer.Option("--email", help="New e-mail address; \"\" clears it.")] = None,
    birth_date: Annotated[Optional[str], typer.Option("--birth-date", help="New birth date; \"\" clears it.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Correct a client card (right to rectification); only the given fields change.

    Example: vetcards client edit K000001 --phone "06 87654321"
    """
    from .. import clients

    raw = {"name": name, "street": street, "postcode": postcode, "city": city,
           "phone": phone, "email": email, "birth_date": birth_date}
    with get_state(ctx).unit() as session:
        card, changed = clients.edit_client(session, client, raw, today=today())
        result = {"id": card.id, "number": card.number, "changed": changed}
    if json_out:
        output.emit_json(result)
    else:
        output.message(f"client {result['number']}: " + (", ".join(changed) + " changed" if changed else "nothing changed"))


@app.command("show")
def show(ctx: typer.Context, client: ClientArg, fmt: FormatOpt = None) -> None:
    """Show a client card: details, pets, consents, last activity and services rendered.

    Example: vetcards client show K000001 --format json
    """
    from .. import audit, views

    with get_state(ctx).unit() as conn:
        card = views.client_card(conn, client)
        audit.record(conn, "client.view", "client", [card["number"]])
        conn.commit()
    output.record(
        card, CARD_FIELDS, fmt, title=f"Client {card['number']}",
        sections=[("pets", "Pets", PET_COLUMNS), ("consents", "Consents", CONSENT_COLUMNS),
                  ("services", "Services rendered", SERVICE_COLUMNS)],
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    fmt: FormatOpt = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most this many clients.")] = None,
) -> None:
    """List the clients (restricted records are not shown).

    Example: vetcards client list --format csv > clients.csv
    """
    from .. import audit, views

    with get_state(ctx).unit() as conn:
        data = views.list_clients(conn, limit=limit)
        audit.record(conn, "client.list", "client", [], {"count": len(data)})
        conn.commit()
    output.rows(data, LIST_COLUMNS, fmt, title="Clients")


@app.command("search")
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Part of a name, street, postcode, city, phone, e-mail, client number, pet name or chip.")],
    fmt: FormatOpt = None,
) -> None:
    """Find clients by part of their details or their pets' names or chips.

    Example: vetcards client search jansen
    """
    from .. import audit, views

    with get_state(ctx).unit() as conn:
        data = views.list_clients(conn, query=query)
        # The search text itself may be a name: only the count is logged.
        audit.record(conn, "client.search", "client", [r["number"] for r in data[:50]], {"count": len(data)})
        conn.commit()
    output.rows(data, LIST_COLUMNS, fmt, title="Clients found")
