"""``vetcards visit add`` / ``vaccinate`` / ``medicine``: the medical record; ``record void/correct``."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from .options import DateOpt, Form, JsonOpt, PetArg, group, required, text, yes_no
from .output import Output
from .state import call, get_state, today

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


#: The fields of each kind of record as its command takes them (keys as the library reads them).
VISIT = {
    "date": DateOpt,
    "reason": text("--reason", "Reason for the visit (required)."),
    "findings": text("--findings", "Findings; may span several lines."),
    "diagnosis": text("--diagnosis", "Diagnosis."),
    "treatment": text("--treatment", "Treatment given or advised."),
    "vet": text("--vet", "The treating vet."),
}
VACCINATION = {
    "vaccine": text("--vaccine", "Vaccine (product or kind, e.g. 'Nobivac L4')."),
    "date": DateOpt,
    "batch": text("--batch", "Batch number of the vaccine."),
    "next_due": text("--next-due", "When the next vaccination is due (makes a reminder-card recall)."),
}
MEDICINE = {
    "product": text("--product", "Medicine product name (required)."),
    "batch": text("--batch", "Batch number (required)."),
    "quantity": text("--quantity", "Quantity with unit, e.g. '10 tablets' or '1,5 ml' (required)."),
    "expiry": text("--expiry", "Expiry date of the batch."),
    "vet": text("--vet", "Prescribing vet (required)."),
    "dispensed": Annotated[bool, typer.Option(
        "--dispensed", help="Dispensed to the owner (default: administered in the practice).")],
    "date": DateOpt,
}
#: What ``record correct`` may change: the fields of every kind, each named for the kinds it is in.
CORRECTION = {
    "date": text("--date", "The corrected date."),
    "reason": text("--reason", "Visit: the corrected reason for the visit."),
    "findings": text("--findings", "Visit: findings."),
    "diagnosis": text("--diagnosis", "Visit: diagnosis."),
    "treatment": text("--treatment", "Visit: treatment."),
    "vet": text("--vet", "Visit or medicine: the vet."),
    "vaccine": text("--vaccine", "Vaccination: the vaccine."),
    "batch": text("--batch", "Vaccination or medicine: batch number."),
    "next_due": text("--next-due", "Vaccination: next due date ('' for none)."),
    "product": text("--product", "Medicine: product name."),
    "quantity": text("--quantity", "Medicine: quantity with unit."),
    "expiry": text("--expiry", "Medicine: expiry date of the batch."),
    "dispensed": Annotated[Optional[bool], typer.Option(
        "--dispensed/--administered", help="Medicine: dispensed to the owner or administered in the practice.",
        show_default=False)],
}


def _done(result: dict[str, Any], json_out: bool, message: str) -> None:
    """The new record's id on stdout (or the JSON object), and what was done on stderr."""
    Output(json_out).result(result, message, text=str(result["id"]))


@visit_app.command("add")
@group("raw", VISIT)
def visit_add(ctx: typer.Context, pet: PetArg, *, raw: Form, json_out: JsonOpt = False) -> None:
    """Record a consultation in a patient's medical record.

    Example: vetcards visit add P000001 --date 27-11-2026 --reason "limping left front"
    --findings "swollen carpus" --diagnosis sprain --treatment "rest, NSAID 5 days" --vet "Dr. De Vries"
    """
    from .. import medical, patients

    with get_state(ctx).unit() as uow:
        v = medical.add_visit(uow, pet, raw, today=today())
        result = {"id": v.id, "pet": patients.get_pet(uow, pet).number, "date": v.visit_date.isoformat()}
    _done(result, json_out, f"visit {result['id']} recorded for pet {result['pet']}")


@app.command("vaccinate")
@group("raw", VACCINATION)
def vaccinate(ctx: typer.Context, pet: PetArg, *, raw: Form, json_out: JsonOpt = False) -> None:
    """Record a vaccination; --next-due makes a recall for the reminder cards.

    A newer vaccination with the same vaccine completes the older recall.

    Example: vetcards vaccinate P000001 --vaccine "Nobivac L4" --date 27-11-2026 --batch A123B --next-due 27-11-2027
    """
    from .. import medical, patients

    with get_state(ctx).unit() as uow:
        v = medical.add_vaccination(uow, pet, raw, today=today())
        result = {"id": v.id, "pet": patients.get_pet(uow, pet).number, "date": v.given_on.isoformat(),
                  "next_due": v.next_due.isoformat() if v.next_due else None}
    _done(result, json_out, f"vaccination {result['id']} recorded for pet {result['pet']}")


@app.command("medicine")
@group("raw", MEDICINE)
def medicine(ctx: typer.Context, pet: PetArg, *, raw: Form, json_out: JsonOpt = False) -> None:
    """Record a veterinary medicine administered or dispensed (kept 5 years, EU 2019/6 article 103).

    Example: vetcards medicine P000001 --product "Metacam 1,5 mg/ml" --batch K42 --quantity "10 ml"
    --expiry 2027-06-30 --vet "Dr. De Vries" --dispensed
    """
    from .. import medical, patients

    dispensed = raw.pop("dispensed")
    with get_state(ctx).unit() as uow:
        m = medical.add_medicine(uow, pet, raw, today=today(), dispensed=dispensed)
        result = {"id": m.id, "pet": patients.get_pet(uow, pet).number, "date": m.record_date.isoformat(), "dispensed": m.dispensed}
    _done(result, json_out, f"medicine record {result['id']} added for pet {result['pet']}")


@record_app.command("void")
def record_void(
    ctx: typer.Context,
    kind: KindArg,
    record_id: IdArg,
    reason: Annotated[str, required("--reason", "Why the record is voided (required; kept with it).")],
    json_out: JsonOpt = False,
) -> None:
    """Void a record booked in error: it stays in the history, marked voided with the reason.

    A voided vaccination makes no recall. A voided record cannot be voided
    again or corrected.

    Example: vetcards record void vaccination 12 --reason "booked on the wrong animal"
    """
    from .. import corrections

    done = call(ctx, corrections.void_record, kind, record_id, reason)
    Output(json_out).result(done, f"{corrections.KINDS[done.kind].label} {done.id} of pet {done.pet} voided",
                            text=str(done.id))


@record_app.command("correct")
@group("given", CORRECTION)
def record_correct(
    ctx: typer.Context,
    kind: KindArg,
    record_id: IdArg,
    why: Annotated[str, required("--why", "Why the record is corrected (required; kept with the original).")],
    *,
    given: Form,
    json_out: JsonOpt = False,
) -> None:
    """Correct a record: a new record replaces it, the original stays in the history, marked.

    Only the given fields change; the others are taken from the original. An
    empty value ('') clears an optional field. The new record names the one it
    corrects; --json prints its id and "corrects".

    Example: vetcards record correct vaccination 12 --next-due 2027-11-27 --why "wrong due date"
    """
    from .. import corrections

    given["dispensed"] = yes_no(given["dispensed"])
    done = call(ctx, corrections.correct_record, kind, record_id, given, why, today=today())
    label = corrections.KINDS[done.kind].label
    Output(json_out).result(done, f"{label} {done.id} of pet {done.pet} corrects {label} {done.corrects} "
                                  f"({', '.join(done.changed)} changed)", text=str(done.id))
