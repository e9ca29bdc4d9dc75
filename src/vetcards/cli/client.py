"""``vetcards client ...``: the client card, its legal hold and merging a duplicate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from . import output
from .options import ClientArg, ExcelOpt, Form, Format, FormatOpt, JsonOpt, WideOpt, YesOpt, group, required, text
from .output import Listing, Output
from .state import call, get_state, interactive, today
from .words import changed as changed_words

if TYPE_CHECKING:  # pragma: no cover
    from ..db import UnitOfWork
    from ..merge import MergeResult

app = typer.Typer(help="Client cards (klantenkaart): add, edit, show, list, search.", no_args_is_help=True)

NameOpt = Annotated[Optional[str], typer.Option("--name", help="Full name.")]
StreetOpt = Annotated[Optional[str], typer.Option("--street", help="Street and house number.")]
PostcodeOpt = Annotated[Optional[str], typer.Option(
    "--postcode", help="Postcode in the form of the address's country: 1234 AB (NL), 2000 (BE), 10115 (DE), "
                       "1234 or L-1234 (LU), 75001 (FR), SW1A 1AA (GB).")]
CityOpt = Annotated[Optional[str], typer.Option("--city", help="City.")]
CountryOpt = Annotated[Optional[str], typer.Option(
    "--country", help="Country of the address: ISO code (NL, BE, DE, LU, FR, GB, AT, CH, DK, ES, IT, PL, SE) "
                      "or its name; default NL. Sets the postcode rule and the country of national phone "
                      "numbers.")]
PhoneOpt = Annotated[Optional[str], typer.Option(
    "--phone", help="Mobile (or only) phone number; national in the client's country or with +CC; "
                    "stored as +31..., +32... .")]
LandlineOpt = Annotated[Optional[str], typer.Option(
    "--landline", help="Landline phone number, beside the mobile --phone; same forms.")]
EmailOpt = Annotated[Optional[str], typer.Option("--email", help="E-mail address.")]
BirthOpt = Annotated[
    Optional[str],
    typer.Option("--birth-date", help="Birth date; only needed for invoices paid on account."),
]

CARD_FIELDS = ("number", "name", "street", "postcode", "city", "country", "phone", "landline", "email",
               "birth_date", "created_on", "last_activity", "open", "legal_hold_reason")
LIST_COLUMNS = ("number", "name", "street", "postcode", "city", "country", "phone", "landline", "email", "pets")
#: The list columns a narrow table leaves out first (see output.fit).
LIST_DROP = ("street", "landline", "pets", "email", "city", "country", "postcode")
PET_COLUMNS = ("number", "name", "species", "breed", "sex", "birth_date", "chip", "weight_kg", "deceased_on")
#: The pet columns a narrow card leaves out first.
PET_DROP = ("deceased_on", "breed", "sex", "weight_kg", "birth_date", "chip")
CONSENT_COLUMNS = ("purpose", "given_on", "statement_version", "method", "withdrawn_on")
SERVICE_COLUMNS = ("date", "kind", "reference", "pet", "description", "quantity", "net_cents")


@app.command("add")
def add(
    ctx: typer.Context,
    name: NameOpt = None,
    street: StreetOpt = None,
    postcode: PostcodeOpt = None,
    city: CityOpt = None,
    country: CountryOpt = None,
    phone: PhoneOpt = None,
    landline: LandlineOpt = None,
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
    allow_duplicate: Annotated[
        bool,
        typer.Option("--allow-duplicate",
                     help="Add the card even when a client looks the same (same name and postcode, "
                          "phone or e-mail); needed in scripts, asked on a terminal."),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Register a new client with their consent.

    A client who looks like one already on file (same name and postcode, or
    the same phone or e-mail) is shown first: on a terminal you are asked
    whether to add a new card anyway; in a script the card is refused unless
    --allow-duplicate is given.

    A client from abroad gets --country: the postcode then follows that
    country's rule and a phone typed without +CC is a number of that country.

    Example: vetcards client add --name "A. Jansen" --street "Dorpsstraat 1"
    --postcode "1234 AB" --city Utrecht --phone "06 12345678" --consent --reminders

    Example: vetcards client add --name "Lotte Peeters" --street "Meir 1"
    --country BE --postcode 2000 --city Antwerpen --phone "0470 12 34 56" --consent
    """
    from .. import clients

    raw = {"name": name, "street": street, "postcode": postcode, "city": city, "country": country,
           "phone": phone, "landline": landline, "email": email, "birth_date": birth_date}
    with get_state(ctx).unit() as uow:
        if not allow_duplicate:
            _refuse_look_alikes(uow, clients.validate_client(raw, today=today()))
        client = clients.add_client(uow, raw, today=today(), consent=consent,
                                    consent_method=consent_method, reminders=reminders)
        result = {"id": client.id, "number": client.number}
    Output(json_out).result(result, f"client {result['number']} added", text=str(result["number"]))


def _refuse_look_alikes(uow: UnitOfWork, fields: dict[str, Any]) -> None:
    """Show the clients the new card looks like; go on only when the person says so on a terminal.

    In a script: one line, exit 1, nothing written (``--allow-duplicate`` adds anyway)."""
    from ..errors import Conflict
    from ..search import look_alikes

    found = look_alikes(uow, fields)
    if not found:
        return
    more = "; ..." if len(found) > 5 else ""
    if not interactive():
        # Numbers and reasons only: this line may end up in cron mail or a log.
        refs = "; ".join(f"{c['number']} (same {' and '.join(c['why'])})" for c in found[:5]) + more
        raise Conflict(f"this client looks like {refs}; check with `vetcards client show`, "
                       "or add the card anyway with --allow-duplicate; nothing was added")
    alike = "; ".join(f"{c['number']} ({c['name']}, {c['postcode']}: same {' and '.join(c['why'])})"
                      for c in found[:5]) + more
    uow.rollback()  # release the database while the person decides
    output.message(f"This client looks like {alike}.")
    if not typer.confirm("Add a new card anyway?", default=False, err=True):
        raise typer.Abort()


#: A client card as client edit takes it: new values, "" clears an optional one.
EDIT = {
    "name": NameOpt,
    "street": StreetOpt,
    "postcode": PostcodeOpt,
    "city": CityOpt,
    "country": text("--country", "New country of the address (ISO code or name); the postcode is checked again."),
    "phone": text("--phone", "New mobile (or only) phone number; \"\" clears it."),
    "landline": text("--landline", "New landline number; \"\" clears it."),
    "email": text("--email", "New e-mail address; \"\" clears it."),
    "birth_date": text("--birth-date", "New birth date; \"\" clears it."),
}


@app.command("edit")
@group("raw", EDIT)
def edit(ctx: typer.Context, client: ClientArg, *, raw: Form, json_out: JsonOpt = False) -> None:
    """Correct a client card (right to rectification); only the given fields change.

    A new --country checks the card's postcode against that country's rule
    (give --postcode too when it changes); new phone numbers are read as
    numbers of the card's (new) country.

    Example: vetcards client edit K000001 --phone "06 87654321"

    Example: vetcards client edit K000001 --country DE --postcode 47533 --city Kleve
    """
    from .. import clients

    with get_state(ctx).unit() as uow:
        card, changed = clients.edit_client(uow, client, raw, today=today())
        result = {"id": card.id, "number": card.number, "changed": changed}
    Output(json_out).result(result, f"client {result['number']}: {changed_words(changed)}")


@app.command("show")
@output.listing()
def show(ctx: typer.Context, client: ClientArg, *, view: Listing) -> None:
    """Show a client card: details, pets, consents, last activity and services rendered.

    Example: vetcards client show K000001 --format json
    """
    from .. import views

    fmt = output.excel_format(view.fmt, view.excel)
    card = call(ctx, views.client_card, client)
    fields: Sequence[str] = CARD_FIELDS
    if output.resolve(fmt) is Format.table:
        people, fields = _for_people([card], fields)
        card = people[0]
    view.record(card, fields, f"Client {card['number']}",
                [("pets", "Pets", PET_COLUMNS), ("consents", "Consents", CONSENT_COLUMNS),
                 ("services", "Services rendered", SERVICE_COLUMNS)],
                drop={"pets": PET_DROP, "services": ("kind", "quantity")})


@app.command("list")
def list_(
    ctx: typer.Context,
    fmt: FormatOpt = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most this many clients.")] = None,
    wide: WideOpt = False,
    excel: ExcelOpt = False,
) -> None:
    """List the clients (restricted records are not shown).

    Example: vetcards client list --format csv > clients.csv
    """
    from .. import views

    # --limit sits among the listing options (their order is the help's), so they are not output.listing's group.
    _client_rows(call(ctx, views.list_clients, limit=limit), Listing(fmt, wide, excel), "Clients")


@app.command("search")
@output.listing()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Part of a name, street, postcode, city, phone, e-mail, client number, pet name or chip.")],
    *,
    view: Listing,
) -> None:
    """Find clients by part of their details or their pets' names or chips.

    Example: vetcards client search jansen
    """
    from .. import views

    _client_rows(call(ctx, views.search_clients, query), view, "Clients found")


def _client_rows(data: list[dict[str, Any]], view: Listing, title: str) -> None:
    """``client list`` and ``search``: every column in csv and json; for people, see :func:`_for_people`."""
    columns: Sequence[str] = LIST_COLUMNS
    if output.resolve(output.excel_format(view.fmt, view.excel)) is Format.table:
        data, columns = _for_people(data, columns)
    view.rows(data, columns, title, drop=LIST_DROP)


def _for_people(data: list[dict[str, Any]],
                columns: Sequence[str]) -> tuple[list[dict[str, Any]], Sequence[str]]:
    """Client rows as people read them: the postcode in its printed form (``SW1A 1AA``), the country
    only when it is not the practice's own (no column at all when every client lives here)."""
    from ..address import postcode_display
    from ..vocab import DEFAULT_COUNTRY

    shown = [{**r, "postcode": postcode_display(r.get("postcode"), r.get("country")),
              "country": None if r.get("country") in (None, DEFAULT_COUNTRY) else r["country"]} for r in data]
    if not any(r["country"] for r in shown):
        columns = tuple(c for c in columns if c != "country")
    return shown, columns


# --------------------------------------------------------------------------
# hold, unhold: manual legal holds
# --------------------------------------------------------------------------


@app.command("hold")
def hold(
    ctx: typer.Context,
    client: ClientArg,
    reason: Annotated[str, required("--reason", "Why (e.g. a court case); stored on the card, never in the audit log.")],
) -> None:
    """Put a manual legal hold on a client: purge and erase leave the client alone.

    Example: vetcards client hold K000012 --reason "court case 2026/123"
    """
    from .. import retention

    number, replaced = call(ctx, retention.set_legal_hold, client, reason)
    output.message(f"client {number}: legal hold {'reason replaced' if replaced else 'set'}")


@app.command("unhold")
def unhold(ctx: typer.Context, client: ClientArg) -> None:
    """Lift a client's manual legal hold.

    Example: vetcards client unhold K000012
    """
    from .. import retention

    number = call(ctx, retention.clear_legal_hold, client)
    output.message(f"client {number}: legal hold lifted")


# --------------------------------------------------------------------------
# merge KEEP DUPLICATE (SPEC §3)
# --------------------------------------------------------------------------

KeepArg = Annotated[str, typer.Argument(metavar="KEEP", help="The card that is kept: client number (K000012) or id.",
                                        show_default=False)]
DupArg = Annotated[str, typer.Argument(metavar="DUPLICATE",
                                       help="The duplicate card, merged into KEEP and then deleted: number or id.",
                                       show_default=False)]


def _counts(result: MergeResult) -> str:
    moved = [f"{name.replace('_', ' ')}: {n}" for name, n in result.moved.items() if n]
    return ", ".join(moved) if moved else "nothing"


def _plan_text(plan: MergeResult) -> str:
    lines = [f"Merge client {plan.duplicate_number} into client {plan.keep_number}:",
             f"  moves to {plan.keep_number}: {_counts(plan)}",
             "  invoices keep the name and address they were issued to"]
    if plan.filled:
        lines.append(f"  filled on {plan.keep_number} (empty there): {', '.join(plan.filled)}")
    if plan.consents_closed:
        lines.append(f"  consents closed by a withdrawal on the other card: {plan.consents_closed}")
    lines.append(f"  client {plan.duplicate_number} is then deleted; its number is not reused")
    return "\n".join(lines)


def _merged_text(result: MergeResult) -> list[str]:
    lines = [f"client {result.duplicate_number} merged into {result.keep_number}: {_counts(result)} moved"]
    if result.filled:
        lines.append(f"client {result.keep_number}: {', '.join(result.filled)} filled from "
                     f"{result.duplicate_number}")
    if result.consents_closed:
        lines.append(f"{result.consents_closed} consent(s) closed by a withdrawal recorded on the other card")
    return lines


@app.command("merge")
def merge(
    ctx: typer.Context,
    keep: KeepArg,
    duplicate: DupArg,
    yes: YesOpt = False,
    json_out: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object: id and number of the kept client, the counts moved."),
    ] = False,
) -> None:
    """Merge a duplicate client card into the card that is kept; the duplicate is deleted.

    Pets (with their medical record), invoices (with payments), medicine
    records, consents, disclosures and data-subject requests move to KEEP.
    Issued invoices keep the name and address they were addressed to. KEEP's
    own details are not changed, except that an empty phone, e-mail or birth
    date is taken from DUPLICATE (correct the rest with `client edit`).
    Refused for a restricted card and for a DUPLICATE under a legal hold.
    Without --yes it asks on a terminal and refuses otherwise.

    Example: vetcards client merge K000012 K000045 --yes
    """
    from ..merge import merge_clients, plan_merge

    out = Output(json_out)
    with get_state(ctx).unit() as uow:

        def plan() -> tuple[str, str]:
            # Validate and count; the rollback releases the write lock while
            # the person decides.
            merge_plan = plan_merge(uow, keep, duplicate)
            uow.rollback()
            return _plan_text(merge_plan), (f"Merge client {merge_plan.duplicate_number} into "
                                            f"{merge_plan.keep_number}? This cannot be undone")

        out.confirm(plan, yes=yes, refusal="client merge needs --yes when not run on a terminal; nothing was merged")
        result = merge_clients(uow, keep, duplicate, today=today())
    out.result(result, _merged_text(result))
