"""Practice settings stored in the database (``vetcards practice set``).

Stored as key/value text in ``practice_setting``; read with defaults applied.
The retention periods have legal floors (:data:`LEGAL_MINIMUM_YEARS`, the one
place they are written); ``books_closed_until`` is the last day of the period
the practice closed after filing VAT (no invoice is dated in it, SPEC §3).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Optional, cast

from sqlalchemy import text

from . import audit
from .vocab import PAYMENT_TERM_DAYS

if TYPE_CHECKING:  # pragma: no cover
    from .db import UnitOfWork
    from .rules import Periods

DEFAULTS: dict[str, str] = {
    "name": "",
    "street": "",
    "postcode": "",
    "city": "",
    "vat_number": "",
    "kvk": "",
    "iban": "",
    # How clients reach the practice, and its data-protection contact (access report, register).
    "phone": "",
    "email": "",
    "privacy_contact": "",
    "privacy_email": "",
    "privacy_statement_version": "1",
    "inactivity_years": "7",
    "fiscal_years": "7",
    "medicine_years": "5",
    "payment_term_days": str(PAYMENT_TERM_DAYS),
    "books_closed_until": "",
    "shell_lock_minutes": "10",
}

#: The legal floor of each retention period (SPEC §4), with its source. The
#: inactivity period has none (a practice may purge sooner).
LEGAL_MINIMUM_YEARS: dict[str, tuple[int, str]] = {
    "fiscal_years": (7, "Dutch fiscal retention duty, AWR art. 52"),
    "medicine_years": (5, "veterinary medicine records, EU Regulation 2019/6 art. 103"),
}
_YEARS = ("inactivity_years", "fiscal_years", "medicine_years", "payment_term_days")


def legal_minimum_rule(key: str, years: int) -> Optional[str]:
    """The rule ``years`` breaks for setting ``key`` (pure), or ``None``."""
    floor = LEGAL_MINIMUM_YEARS.get(key)
    if floor is not None and years < floor[0]:
        return f"must be at least {floor[0]} ({floor[1]})"
    return None


def get_all(uow: UnitOfWork) -> dict[str, str]:
    """All settings, defaults filled in."""
    stored = {r.key: r.value for r in uow.execute(text("SELECT key, value FROM practice_setting"))}
    out = dict(DEFAULTS)
    out.update({k: v for k, v in stored.items() if k in DEFAULTS})
    return out


def get(uow: UnitOfWork, key: str) -> str:
    row = uow.execute(text("SELECT value FROM practice_setting WHERE key = :k"), {"k": key}).scalar()
    return DEFAULTS[key] if row is None else row


def change(uow: UnitOfWork, values: dict[str, str]) -> list[str]:
    """``practice set``: store validated settings (:func:`validate`), audit and commit.

    Returns the keys that changed; the audit entry names them, never their values.
    """
    changed = put(uow, values)
    audit.record(uow, "practice.set", "practice", [], {"fields": sorted(changed)})
    uow.commit()
    return changed


def put(uow: UnitOfWork, values: dict[str, str]) -> list[str]:
    """Store the given settings in the caller's unit (no audit, no commit); returns the keys that changed."""
    current = get_all(uow)
    changed = []
    for key, value in values.items():
        if key not in DEFAULTS:
            raise KeyError(key)
        if current.get(key) != value:
            changed.append(key)
        uow.execute(
            text("INSERT INTO practice_setting (key, value) VALUES (:k, :v) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
            {"k": key, "v": value},
        )
    return changed


def books_closed_until(uow: UnitOfWork) -> Optional[date]:
    """The last day of the closed period (``practice set --books-closed-until``), or ``None``."""
    value = get(uow, "books_closed_until")
    return date.fromisoformat(value) if value else None


def shell_lock_minutes(uow: UnitOfWork) -> int:
    """Idle minutes after which ``vetcards shell`` locks (drops the key)."""
    return int(get(uow, "shell_lock_minutes"))


def periods(uow: UnitOfWork) -> Periods:
    """The retention periods set for this practice (the rules in :mod:`rules` take them)."""
    from .rules import Periods

    s = get_all(uow)
    return Periods(
        inactivity_years=int(s["inactivity_years"]),
        fiscal_years=int(s["fiscal_years"]),
        medicine_years=int(s["medicine_years"]),
    )


def validate(raw: dict[str, Optional[str]]) -> dict[str, str]:
    """Validate ``practice set`` input; returns normalised values of given keys."""
    from . import validation
    from .errors import InvalidInput

    out: dict[str, str] = {}
    for key, value in raw.items():
        if value is None:
            continue
        field = "--" + key.replace("_", "-")
        if key in ("name", "street", "city"):
            out[key] = cast(str, validation.text(value, field=field, max_len=200))  # required: never None
        elif key == "postcode":
            out[key] = validation.postcode(value, field=field)
        elif key == "vat_number":
            from stdnum.exceptions import ValidationError
            from stdnum.nl import btw

            try:
                out[key] = "NL" + btw.validate(value)
            except ValidationError:
                raise InvalidInput("--btw", "must be a valid Dutch BTW (VAT) number like NL000099998B57") from None
        elif key == "kvk":
            compact = value.replace(" ", "")
            if not (compact.isascii() and compact.isdigit() and len(compact) == 8):
                raise InvalidInput("--kvk", "must be a KvK number of 8 digits")
            out[key] = compact
        elif key == "iban":
            from stdnum import iban
            from stdnum.exceptions import ValidationError

            try:
                out[key] = iban.validate(value)
            except ValidationError:
                raise InvalidInput("--iban", "must be a valid IBAN like NL91 ABNA 0417 1643 00") from None
        elif key in ("phone", "email", "privacy_email"):
            # "" clears it; else the rules of a client's phone and e-mail
            if not value.strip():
                out[key] = ""
            else:
                out[key] = validation.phone(value, field=field) if key == "phone" else validation.email(value, field=field)
        elif key == "privacy_contact":
            out[key] = cast(str, validation.text(value, field=field, max_len=200, required=False) or "")
        elif key == "privacy_statement_version":
            out[key] = cast(str, validation.text(value, field="--statement-version", max_len=50))
        elif key in _YEARS:
            text_ = value.strip()
            low = 0 if key == "payment_term_days" else 1
            if not (text_.isascii() and text_.isdigit() and low <= int(text_) <= 100):
                raise InvalidInput(field, f"must be a whole number from {low} to 100")
            rule = legal_minimum_rule(key, int(text_))
            if rule is not None:
                raise InvalidInput(field, rule)
            out[key] = str(int(text_))
        elif key == "books_closed_until":
            out[key] = validation.parse_date(value, field=field).isoformat()
        elif key == "shell_lock_minutes":
            text_ = value.strip()
            if not (text_.isascii() and text_.isdigit() and 1 <= int(text_) <= 480):
                raise InvalidInput(field, "must be a whole number of minutes from 1 to 480")
            out[key] = str(int(text_))
        else:  # pragma: no cover - guarded by the CLI
            raise InvalidInput(field, "is not a practice setting")
    return out
