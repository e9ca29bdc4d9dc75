"""``vetcards visit add`` / ``vaccinate`` / ``medicine``: the medical record; ``record void/correct``."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from .options import DateOpt, JsonOpt, PetArg
from .output import Output
from .state import get_state, today

app = typer.Typer()
visit_app = typer.Typer(help="Consultations in the medical record: add (shown by vetcards pet show).",
                        no_args_is_help=True)
record_app = typer.Typer(help="Corrections in the medical record: void or correct a visit, vaccination or "
                              "medicine record.", no_args_is_help=True)

KindArg = Annotated[str, typer.Argument(
    help="visit, vaccination or medicine (the kind column of vetcards pet show; administered and dispensed "
         "are medicine).", show_default=False)]
IdArg = Annotated[str, typer.Argument(help="The record's id (the id column of vetcards pet show).",
                                      show_default=False)]


def _done(result: dict[str, Any], json_out: bool, text: str) -> None:
    """The new record's id on stdout (or the JSON object), and what was done on stderr."""
    Output(json_out).result(result, text, text=str(result["id"]))


@visit_app.command("add")
def visit_add(
    ctx: typer.Context,
    pet: PetArg,
    date_: DateOpt = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Reason for the visit (required).")] = None,
    findings: Annotated[Optional[str], typer.Option("--findings", help="Findings; may span several lines.")] = None,
    diagnosis: Annotated[Optional[str], typer.Option("--diagnosis", help="Diagnosis.")] = None,
    treatment: Annotated[Optional[str], typer.Option("--treatment", help="Treatment given or advised.")] = None,
    vet: Annotated[Optional[str], typer.Option("--vet", help="The treating vet.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Record a consultation in a patient's medical record.

    Example: vetcards visit add P000001 --date 27-11-2026 --reason "limping left front"
    --findings "swollen carpus" --diagnosis sprain --treatment "rest, NSAID 5 days" --vet "Dr. De Vries"
    """
    from .. import medical, patients

    raw = {"date": date_, "reason": reason, "findings": findings, "diagnosis": diagnosis,
           "treatment": treatment, "vet": vet}
    with get_state(ctx).unit() as uow:
        v = medical.add_visit(uow, pet, raw, today=today())
        result = {"id": v.id, "pet": patients.get_pet(uow, pet).number, "date": v.visit_date.isoformat()}
    _done(result, json_out, f"visit {result['id']} recorded for pet {result['pet']}")


@app.command("vaccinate")
def vaccinate(
    ctx: typer.Context,
    pet: PetArg,
    vaccine: Annotated[Optional[str], typer.Option("--vaccine", help="Vaccine (product or kind, e.g. 'Nobivac L4').")] = None,
    date_: DateOpt = None,
    batch: Annotated[Optional[str], typer.Option("--batch", help="Batch number of the vaccine.")] = None,
    next_due: Annotated[Optional[str], typer.Option("--next-due", help="When the next vaccination is due (makes a reminder-card recall).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Record a vaccination; --next-due makes a recall for the reminder cards.

    A newer vaccination with the same vaccine completes the older recall.

    Example: vetcards vaccinate P000001 --vaccine "Nobivac L4" --date 27-11-2026 --batch A123B --next-due 27-11-2027
    """
    from .. import medical, patients

    raw = {"date": date_, "vaccine": vaccine, "batch": batch, "next_due": next_due}
    with get_state(ctx).unit() as uow:
        v = medical.add_vaccination(uow, pet, raw, today=today())
        result = {"id": v.id, "pet": patients.get_pet(uow, pet).number, "date": v.given_on.isoformat(),
                  "next_due": v.next_due.isoformat() if v.next_due else None}
    _done(result, json_out, f"vaccination {result['id']} recorded for pet {result['pet']}")


@app.command("medicine")
def medicine(
    ctx: typer.Context,
    pet: PetArg,
    product: Annotated[Optional[str], typer.Option("--product", help="Medicine product name (required).")] = None,
    batch: Annotated[Optional[str], typer.Option("--batch", help="Batch number (required).")] = None,
    quantity: Annotated[Optional[str], typer.Option("--quantity", help="Quantity with unit, e.g. '10 tablets' or '1,5 ml' (required).")] = None,
    expiry: Annotated[Optional[str], typer.Option("--expiry", help="Expiry date of the batch.")] = None,
    vet: Annotated[Optional[str], typer.Option("--vet", help="Prescribing vet (required).")] = None,
    dispensed: Annotated[bool, typer.Option("--dispensed", help="Dispensed to the owner (default: administered in the practice).")] = False,
    date_: DateOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record a veterinary medicine administered or dispensed (kept 5 years, EU 2019/6 article 103).

    Example: vetcards medicine P000001 --product "Metacam 1,5 mg/ml" --batch K42 --quantity "10 ml"
    --expiry 2027-06-30 --vet "Dr. De Vries" --dispensed
    """
    from .. import medical, patients

    raw = {"date": date_, "product": product, "batch": batch, "quantity": quantity,
           "expiry": expiry, "vet": vet}
    with get_state(ctx).unit() as uow:
        m = medical.add_medicine(uow, pet, raw, today=today(), dispensed=dispensed)
        result = {"id": m.id, "pet": patients.get_pet(uow, pet).number, "date": m.record_date.isoformat(), "dispensed": m.dispensed}
    _done(result, json_out, f"medicine record {result['id']} added for pet {result['pet']}")


@record_app.command("void")
def record_void(
    ctx: typer.Context,
    kind: KindArg,
    record_id: IdArg,
    reason: Annotated[str, typer.Option("--reason", help="Why the record is voided (required; kept with it).",
                                        show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Void a record booked in error: it stays in the history, marked voided with the reason.

    A voided vaccination makes no recall. A voided record cannot be voided
    again or corrected.

    Example: vetcards record void vaccination 12 --reason "booked on the wrong animal"
    """
    from .. import corrections

    with get_state(ctx).unit() as uow:
        done = corrections.void_record(uow, kind, record_id, reason)
    Output(json_out).result(done, f"{corrections.KINDS[done.kind].label} {done.id} of pet {done.pet} voided",
                            text=str(done.id))


@record_app.command("correct")
def record_correct(
    ctx: typer.Context,
    kind: KindArg,
    record_id: IdArg,
    why: Annotated[str, typer.Option("--why", help="Why the record is corrected (required; kept with the original).",
                                     show_default=False)],
    date_: Annotated[Optional[str], typer.Option("--date", help="The corrected date.")] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Visit: the corrected reason for the visit.")] = None,
    findings: Annotated[Optional[str], typer.Option("--findings", help="Visit: findings.")] = None,
    diagnosis: Annotated[Optional[str], typer.Option("--diagnosis", help="Visit: diagnosis.")] = None,
    treatment: Annotated[Optional[str], typer.Option("--treatment", help="Visit: treatment.")] = None,
    vet: Annotated[Optional[str], typer.Option("--vet", help="Visit or medicine: the vet.")] = None,
    vaccine: Annotated[Optional[str], typer.Option("--vaccine", help="Vaccination: the vaccine.")] = None,
    batch: Annotated[Optional[str], typer.Option("--batch", help="Vaccination or medicine: batch number.")] = None,
    next_due: Annotated[Optional[str], typer.Option("--next-due", help="Vaccination: next due date ('' for none).")] = None,
    product: Annotated[Optional[str], typer.Option("--product", help="Medicine: product name.")] = None,
    quantity: Annotated[Optional[str], typer.Option("--quantity", help="Medicine: quantity with unit.")] = None,
    expiry: Annotated[Optional[str], typer.Option("--expiry", help="Medicine: expiry date of the batch.")] = None,
    dispensed: Annotated[Optional[bool], typer.Option("--dispensed/--administered", help="Medicine: dispensed to the owner or administered in the practice.", show_default=False)] = None,
    json_out: JsonOpt = False,
) -> None:
    """Correct a record: a new record replaces it, the original stays in the history, marked.

    Only the given fields change; the others are taken from the original. An
    empty value ('') clears an optional field. The new record names the one it
    corrects; --json prints its id and "corrects".

    Example: vetcards record correct vaccination 12 --next-due 2027-11-27 --why "wrong due date"
    """
    from .. import corrections

    given = {"date": date_, "reason": reason, "findings": findings, "diagnosis": diagnosis,
             "treatment": treatment, "vet": vet, "vaccine": vaccine, "batch": batch, "next_due": next_due,
             "product": product, "quantity": quantity, "expiry": expiry,
             "dispensed": None if dispensed is None else ("yes" if dispensed else "no")}
    with get_state(ctx).unit() as uow:
        done = corrections.correct_record(uow, kind, record_id, given, why, today=today())
    label = corrections.KINDS[done.kind].label
    Output(json_out).result(done, f"{label} {done.id} of pet {done.pet} corrects {label} {done.corrects} "
                                  f"({', '.join(done.changed)} changed)", text=str(done.id))
