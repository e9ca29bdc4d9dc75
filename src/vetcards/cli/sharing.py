"""Sharing data with named parties: recipients register, reminder cards, chip
registration, referrals and ad-hoc disclosures. Every transfer is logged."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..vocab import DATA_CATEGORIES, RECIPIENT_KINDS
from . import output
from .options import ClientArg, ExcelOpt, Form, JsonOpt, Lang, LangOpt, PetArg, group, on_date, one_of, text
from .output import Listing, Output
from .state import call, get_state, today
from .words import count

app = typer.Typer()
recipient_app = typer.Typer(help="The register of recipients: parties data may be shared with.",
                            no_args_is_help=True)
reminders_app = typer.Typer(help="Vaccination reminder cards for the mailing firm.", no_args_is_help=True)
chip_app = typer.Typer(help="Chip registration at the Dutch pet database (NDG).", no_args_is_help=True)

OutOpt = Annotated[
    Optional[Path],
    typer.Option("--out", help="Write to this file (mode 0600); '-' or none: standard output.",
                 dir_okay=False, show_default=False),
]
ToOpt = Annotated[Optional[str], typer.Option("--to", help="Recipient id or name (vetcards recipient list).")]


class Delivery:
    """Where a file for a recipient goes (``--out``: a file; '-' or none: standard output) and to whom (``--to``)."""

    def __init__(self, out: Optional[Path] = None, to: Optional[str] = None) -> None:
        self.out, self.to = out, to
        #: The file written, or None for standard output.
        self.file = out if out is not None and str(out) != "-" else None
        #: Where it went, for the message.
        self.where = "standard output" if self.file is None else str(out)


#: ``--out`` and ``--to`` of a command that hands a file over (``--to`` first: :data:`to_out`).
out_to = group("sent", {"out": OutOpt, "to": ToOpt}, make=Delivery)
to_out = group("sent", {"to": ToOpt, "out": OutOpt}, make=Delivery)

DISCLOSURE_COLUMNS = ("id", "disclosed_on", "client", "pet", "recipient", "categories", "basis",
                      "consent_id", "at_client_request")


def _deliver(ctx: typer.Context, sent: Delivery, build: Callable[[Any], Any],
             around: Optional[ExitStack] = None, extra: Optional[dict[str, tuple[Path, str]]] = None) -> Any:
    """Build the file and log its disclosures in one transaction; publish after the commit.

    ``around`` (e.g. a progress bar) is closed before anything is published. ``extra``
    names the files that go with it (``Prepared.extra``: name -> (path, option)), staged and
    published with it.
    """
    from ..sharing import Outbox

    box = Outbox(sent.out)
    boxes = {name: Outbox(path, option) for name, (path, option) in (extra or {}).items()}
    try:
        with around or ExitStack():
            with get_state(ctx).unit() as uow:
                prepared = build(uow)
                # Committed only once the files are staged; published after the commit.
                box.stage(prepared.content)
                for name, data in prepared.extra.items():
                    boxes[name].stage(data)
                uow.commit()
    except BaseException:
        box.discard()
        for b in boxes.values():
            b.discard()
        raise
    for b in boxes.values():
        b.publish()
    box.publish(sys.stdout.buffer)
    return prepared


def _required(to: Optional[str]) -> str:
    """``--to`` where the command cannot go without a recipient."""
    if not to:
        from .. import validation
        from ..errors import InvalidInput

        raise InvalidInput("--to", validation.RULE_REQUIRED)
    return to


# --------------------------------------------------------------------------
# recipient add | list | log
# --------------------------------------------------------------------------


#: What a recipient may receive, what a disclosure names (``--categories``).
CATEGORIES = f"comma-separated: {', '.join(DATA_CATEGORIES)}."
#: A party of the recipients register, as ``recipient add`` takes it.
RECIPIENT = {
    "name": text("--name", "Name of the party (unique)."),
    "kind": text("--kind", f"{one_of(RECIPIENT_KINDS)}."),
    "agreement_date": text("--agreement-date", "Date of the processing or data-sharing agreement."),
    "categories": text("--categories", f"Data it may receive, {CATEGORIES}"),
    "needs_consent": text("--needs-consent", "Consent purpose a disclosure needs (default: the one of its kind)."),
}


@recipient_app.command("add")
@group("raw", RECIPIENT)
def recipient_add(ctx: typer.Context, *, raw: Form, json_out: JsonOpt = False) -> None:
    """Add a party to the recipients register.

    Example: vetcards recipient add --name "Dierenkliniek Specialisten BV" --kind specialist
    --agreement-date 2026-01-15 --categories "naw,contact,animal,chip,record" --needs-consent referral
    """
    from .. import recipients

    result = call(ctx, recipients.add_recipient, raw, today=today())
    Output(json_out).result(result, f"recipient {result['id']} added", text=str(result["id"]))


@recipient_app.command("list")
@output.listing(wide=False)
def recipient_list(
    ctx: typer.Context,
    kind: Annotated[Optional[str], typer.Option("--kind", help="Only recipients of this kind.")] = None,
    *,
    view: Listing,
) -> None:
    """List the recipients register.

    Example: vetcards recipient list --format json
    """
    from .. import recipients

    view.rows(call(ctx, recipients.list_recipients, kind, write=False), recipients.RECIPIENT_COLUMNS, "Recipients")


@recipient_app.command("log")
@output.listing(wide=False)
def recipient_log(
    ctx: typer.Context,
    client: Annotated[Optional[str], typer.Option("--client", help="Only this client's disclosures.")] = None,
    recipient: Annotated[Optional[str], typer.Option("--recipient", help="Only disclosures to this recipient (id or name).")] = None,
    *,
    view: Listing,
) -> None:
    """List the disclosure log: who received which data categories, when and on what basis.

    Example: vetcards recipient log --client K000001
    """
    from .. import disclosures

    view.rows(call(ctx, disclosures.list_disclosures, client, recipient), DISCLOSURE_COLUMNS, "Disclosures")


# --------------------------------------------------------------------------
# reminders export
# --------------------------------------------------------------------------


@reminders_app.command("export")
@out_to
def reminders_export(
    ctx: typer.Context,
    due_before: Annotated[Optional[str], typer.Option("--due-before", help="Recalls due before this date (required).")] = None,
    due_after: Annotated[Optional[str], typer.Option("--due-after", help="Only recalls due on or after this date.")] = None,
    *,
    sent: Delivery,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary (needs --out FILE).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the cards on standard output; log no disclosure.")] = False,
    excel: ExcelOpt = False,
) -> None:
    """Export the printer's CSV of vaccination recalls (name, address, pet, species, vaccine, due date).

    Leaves out deceased animals, restricted clients and clients without a current
    consent for reminders; a newer vaccination with the same vaccine completes a
    recall. Only a file handed over (written with --out FILE, or sent to a printer
    named with --to) logs a disclosure, one per client; --dry-run, or the cards
    shown without --out and --to, is a preview and logs none. The file's format
    (columns, UTF-8, CRLF, Dutch species, ISO dates) is in docs/reminder-cards.md.

    Example: vetcards reminders export --due-before 2027-01-01 --out herinneringen.csv
    """
    from .. import reminders, validation
    from ..errors import InvalidInput, UsageError

    if due_before is None:
        raise InvalidInput("--due-before", validation.RULE_REQUIRED)
    before = validation.parse_date(due_before, field="--due-before")
    after = validation.parse_date(due_after, field="--due-after") if due_after else None
    if dry_run and sent.file:
        raise UsageError("--dry-run shows the cards on standard output and writes no file; leave out --out")
    if json_out and not sent.file:
        raise UsageError("--json needs --out FILE (the CSV goes to standard output otherwise)")
    handed_over = not dry_run and (sent.file is not None or sent.to is not None)

    stack = ExitStack()
    progress = output.progress_bar(stack, "reminder cards")
    prepared = _deliver(ctx, sent, lambda uow: reminders.export(
        uow, due_before=before, due_after=after, today=today(), recipient_ref=sent.to, progress=progress,
        handed_over=handed_over, excel=excel), around=stack)
    summary = prepared.summary
    Output(json_out).result({**summary, "out": str(sent.out)},
                            f"{count(summary['recalls'], 'recall')} for {count(summary['clients'], 'client')} "
                            f"written to {sent.where}; {count(summary['disclosures'], 'disclosure')} logged")


# --------------------------------------------------------------------------
# chip register
# --------------------------------------------------------------------------


@chip_app.command("register")
@out_to
def chip_register(
    ctx: typer.Context,
    pet: PetArg,
    *,
    sent: Delivery,
    date_: Annotated[Optional[str], on_date("Registration date")] = None,
) -> None:
    """Write the NDG registration record (chip number, date, owner NAW, animal) as JSON.

    Needs the owner's current chip-registration consent; the disclosure is logged.

    Example: vetcards chip register P000001 --out ndg-P000001.json
    """
    from .. import sharing as sharing_lib

    prepared = _deliver(ctx, sent, lambda uow: sharing_lib.chip_registration(
        uow, pet, today=today(), recipient_ref=sent.to, on=date_))
    output.message(f"chip registration of pet {prepared.summary['pet']} written to {sent.where}; "
                   f"disclosure {prepared.summary['disclosure_id']} logged")


# --------------------------------------------------------------------------
# refer, disclose
# --------------------------------------------------------------------------


@app.command("refer")
@to_out
def refer(
    ctx: typer.Context,
    pet: PetArg,
    *,
    sent: Delivery,
    note: Annotated[Optional[str], typer.Option("--note", help="Reason for referral: question or note for the specialist.")] = None,
    letter: Annotated[
        Optional[Path],
        typer.Option("--letter", help="Write the referral letter (PDF) to this file (default with --out FILE: "
                                      "beside it, FILE with .pdf).", dir_okay=False, show_default=False),
    ] = None,
    lang: LangOpt = Lang.nl,
) -> None:
    """Write a referral bundle of one patient (card, record, owner contact) as JSON.

    Beside it the letter a specialist reads (PDF, Dutch; English with --lang en).
    Only at the client's request: needs the owner's current referral consent;
    one disclosure is logged for the bundle and the letter.

    Example: vetcards refer P000001 --to "Dierenkliniek Specialisten BV" --out verwijzing.json
    """
    from .. import sharing as sharing_lib
    from ..errors import UsageError

    to, target = _required(sent.to), sent.file
    if letter is None and target is not None:
        letter = target.with_suffix(".pdf")  # beside the JSON
        if letter == target:
            raise UsageError("--out ends in .pdf: name the JSON file otherwise, or the letter with --letter FILE")
    if letter is not None and target is not None and letter.expanduser().absolute() == target.expanduser().absolute():
        raise UsageError("--letter and --out name the same file")
    extra = {"letter": (letter, "--letter")} if letter is not None else {}
    prepared = _deliver(ctx, sent, lambda uow: sharing_lib.referral(
        uow, pet, to, today=today(), note=note, letter=letter is not None, lang=lang.value), extra=extra)
    written = f" and the letter to {letter}" if letter is not None else " (no letter: give --letter FILE)"
    output.message(f"referral of pet {prepared.summary['pet']} written to {sent.where}{written}; "
                   f"disclosure {prepared.summary['disclosure_id']} logged")


@app.command("disclose")
def disclose(
    ctx: typer.Context,
    client: ClientArg,
    to: ToOpt = None,
    categories: Annotated[Optional[str], typer.Option("--categories", help=f"Data shared, {CATEGORIES}")] = None,
    date_: Annotated[Optional[str], on_date("Date of the disclosure")] = None,
    at_client_request: Annotated[bool, typer.Option("--at-client-request", help="Made at the client's request (counts as activity).")] = False,
    pet: Annotated[Optional[str], typer.Option("--pet", help="The animal concerned.")] = None,
    basis: Annotated[Optional[str], typer.Option("--basis", help="consent (default when the recipient needs one), contract or legal_obligation.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Log a disclosure made outside vetcards (a lab form, a pharmacy order), with the consent checked.

    Example: vetcards disclose K000001 --to "Laboratorium (generiek)" --categories "naw,animal,record" --pet P000001
    """
    from .. import disclosures

    result = call(ctx, disclosures.disclose, client, _required(to), categories, today=today(), on=date_,
                  at_client_request=at_client_request, pet_ref=pet, basis=basis)
    Output(json_out).result(result, f"disclosure {result['id']} logged for client {result['client']}",
                            text=str(result["id"]))
