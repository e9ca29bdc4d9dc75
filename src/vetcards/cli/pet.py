"""``vetcards pet ...``: the patient card."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..vocab import SEXES
from . import output
from .options import ClientArg, DateOpt, Form, JsonOpt, PetArg, YesOpt, group, on_date, one_of, text, yes_no
from .output import Listing, Output
from .state import call, day_or_today, get_state, today
from .words import changed as changed_words

app = typer.Typer(help="Patient cards (patiëntenkaart): add, edit, show, list, weigh, deceased.",
                  no_args_is_help=True)

CARD_FIELDS = ("number", "client", "name", "species", "breed", "sex", "birth_date", "chip",
               "colour", "coat", "insured", "weight_kg", "deceased_on")
LIST_COLUMNS = ("number", "client", "name", "species", "breed", "sex", "birth_date", "chip",
                "weight_kg", "deceased_on")
#: The medical record on the card: the id is what ``record void/correct`` take.
RECORD_COLUMNS = ("id", "date", "kind", "what", "details", "vet", "status")
#: The record columns a narrow table leaves out first.
RECORD_DROP = ("vet", "details")
#: The list columns a narrow table leaves out first (see output.fit).
LIST_DROP = ("coat", "colour", "insured", "breed", "sex", "deceased_on", "weight_kg", "birth_date", "chip")

#: The fields of a patient card, as pet add and pet edit take them.
CARD_OPTIONS = {
    "name": text("--name", "The animal's name."),
    "species": text("--species", "Species from the known list (vetcards species list)."),
    "breed": text("--breed", "Breed."),
    "sex": text("--sex", f"{one_of(SEXES)}."),
    "birth_date": text("--birth-date", "Birth date (not in the future)."),
    "chip": text("--chip", "Chip number: 15 digits (ISO 11784)."),
    "colour": text("--colour", "Colour."),
    "coat": text("--coat", "Coat type."),
    "insured": Annotated[Optional[bool], typer.Option("--insured/--not-insured", help="Pet insurance yes/no.",
                                                      show_default=False)],
}
card = group("card", CARD_OPTIONS)
#: pet add also takes the first weighing, after --chip.
_items, _at = list(CARD_OPTIONS.items()), list(CARD_OPTIONS).index("chip") + 1
new_card = group("card", dict(_items[:_at] + [("weight", text(
    "--weight", "Body weight in kg, e.g. 12,5 (starts the weight history)."))] + _items[_at:]))


def _raw(card: Form) -> Form:
    """The card's fields as the library reads them (no --weight on pet edit: None)."""
    return {"weight": None, **card, "insured": yes_no(card["insured"])}


@app.command("add")
@new_card
def add(ctx: typer.Context, client: ClientArg, *, card: Form, json_out: JsonOpt = False) -> None:
    """Add an animal to a client.

    Example: vetcards pet add K000001 --name Bello --species dog --breed Labrador
    --sex "male neutered" --birth-date 01-05-2020 --chip 528210000000001 --weight 31,4 --insured
    """
    from .. import patients

    with get_state(ctx).unit() as uow:
        pet = patients.add_pet(uow, client, _raw(card), today=today())
        result = {"id": pet.id, "number": pet.number}
    Output(json_out).result(result, f"pet {result['number']} added", text=str(result["number"]))


@app.command("edit")
@card
def edit(ctx: typer.Context, pet: PetArg, *, card: Form, json_out: JsonOpt = False) -> None:
    """Correct a patient card; only the given fields change (weights: pet weigh).

    Example: vetcards pet edit P000001 --chip 528210000000001 --insured
    """
    from .. import patients

    with get_state(ctx).unit() as uow:
        found, changed = patients.edit_pet(uow, pet, _raw(card), today=today())
        result = {"id": found.id, "number": found.number, "changed": changed}
    Output(json_out).result(result, f"pet {result['number']}: {changed_words(changed)}")


@app.command("show")
@output.listing()
def show(ctx: typer.Context, pet: PetArg, *, view: Listing) -> None:
    """Show a patient card with its weight history and medical record.

    Each record shows its id (for vetcards record void/correct) and its
    status: voided with the reason, corrected by a newer record, or the
    record it corrects.

    Example: vetcards pet show P000001
    """
    from .. import views

    found = call(ctx, views.pet_card, pet)
    view.record(found, CARD_FIELDS, f"Pet {found['number']}",
                [("weights", "Weight history", ("date", "kg")), ("record", "Medical record", RECORD_COLUMNS)],
                drop={"record": RECORD_DROP})


@app.command("list")
@output.listing()
def list_(
    ctx: typer.Context,
    client: Annotated[Optional[str], typer.Option("--client", help="Only this client's animals.")] = None,
    species: Annotated[Optional[str], typer.Option("--species", help="Only this species.")] = None,
    *,
    view: Listing,
) -> None:
    """List animals, all or one client's.

    Example: vetcards pet list --client K000001
    """
    from .. import views

    view.rows(call(ctx, views.list_pets, client, species), LIST_COLUMNS, "Pets", drop=LIST_DROP)


@app.command("weigh")
def weigh(
    ctx: typer.Context,
    pet: PetArg,
    kg: Annotated[str, typer.Argument(help="Weight in kg, e.g. 12,5.", show_default=False)],
    date_: DateOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Add a weighing to the weight history.

    Example: vetcards pet weigh P000001 12,8 --date 27-11-2026
    """
    from .. import patients

    on = day_or_today(date_)
    with get_state(ctx).unit() as uow:
        w = patients.weigh(uow, pet, kg, on=on, today=today())
        result = {"id": w.id, "pet": patients.get_pet(uow, pet).number, "date": w.measured_on.isoformat(),
                  "grams": w.grams}
    Output(json_out).result(result, f"weight recorded for pet {result['pet']}")


@app.command("deceased")
def deceased(
    ctx: typer.Context,
    pet: PetArg,
    date_: Annotated[Optional[str], on_date("Date of death")] = None,
) -> None:
    """Mark an animal as deceased: its reminders stop.

    Example: vetcards pet deceased P000001 --date 27-11-2026
    """
    from .. import patients

    on = day_or_today(date_)
    with get_state(ctx).unit() as uow:
        p = patients.mark_deceased(uow, pet, on=on, today=today())
        number = p.number
    output.message(f"pet {number} marked deceased on {on.isoformat()}")


@app.command("remove")
def remove(ctx: typer.Context, pet: PetArg, yes: YesOpt = False, json_out: JsonOpt = False) -> None:
    """Remove an animal added by mistake, while it has no records.

    Records that stop it: visits, vaccinations, medicine records (voided ones
    too), weighings besides the weight given with pet add, invoices and
    disclosures naming the animal. Without --yes it asks on a terminal and
    refuses otherwise. The pet number is not given out again.

    Example: vetcards pet remove P000012 --yes
    """
    from .. import patients

    out = Output(json_out)
    with get_state(ctx).unit() as uow:

        def plan() -> tuple[str, str]:
            card, owner = patients.plan_remove(uow, pet)
            number, owner_number = card.number, owner.number
            uow.rollback()  # release the write lock while the person decides
            return "", f"Remove pet {number} of client {owner_number}?"

        out.confirm(plan, yes=yes, refusal="pet remove needs --yes when not run on a terminal; nothing was removed")
        done = patients.remove_pet(uow, pet)
    out.result(done, f"pet {done['removed']} removed from client {done['client']}", text=done["removed"])


@app.command("move")
def move(
    ctx: typer.Context,
    pet: PetArg,
    to: Annotated[str, typer.Option("--to", help="The new owner: client number (K000012) or numeric id.",
                                    show_default=False)],
    yes: YesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Move an animal to another owner; its medical record goes with it.

    Issued invoices stay with the client they were addressed to; consents
    and disclosures stay with the old owner. Refused for a restricted client,
    the same owner, or an owner under a legal hold. Without --yes it asks on
    a terminal and refuses otherwise.

    Example: vetcards pet move P000012 --to K000045 --yes
    """
    from .. import patients

    out = Output(json_out)
    with get_state(ctx).unit() as uow:

        def plan() -> tuple[str, str]:
            card, old, new = patients.plan_move(uow, pet, to)
            number, old_number, new_number = card.number, old.number, new.number
            uow.rollback()
            return "", f"Move pet {number} from client {old_number} to client {new_number}?"

        out.confirm(plan, yes=yes, refusal="pet move needs --yes when not run on a terminal; nothing was moved")
        moved = patients.move_pet(uow, pet, to)
    out.result(moved, f"pet {moved.number} moved from client {moved.from_client} to client {moved.to_client}",
               text=moved.number)
