"""Practice settings stored in the database (``vetcards practice set``).

Stored as key/value text in ``practice_setting``; read with defaults applied.
"""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import text

from .rules import Periods
from .vocab import PAYMENT_TERM_DAYS

DEFAULTS: dict[str, str] = {
    "name": "",
    "street": "",
    "postcode": "",
    "city": "",
    "vat_number": "",
    "kvk": "",
    "iban": "",
    "privacy_statement_version": "1",
    "inactivity_years": "7",
    "fiscal_years": "7",
    "medicine_years": "5",
    "payment_term_days": str(PAYMENT_TERM_DAYS),
}


def get_all(conn: Any) -> dict[str, str]:
    """All settings, defaults filled in."""
    stored = {r.key: r.value for r in conn.execute(text("SELECT key, value FROM practice_setting"))}
    out = dict(DEFAULTS)
    out.update({k: v for k, v in stored.items() if k in DEFAULTS})
    return out


def get(conn: Any, key: str) -> str:
    row = conn.execute(text("SELECT value FROM practice_setting WHERE key = :k"), {"k": key}).scalar()
    return DEFAULTS[key] if row is None else row


def put(conn: Any, values: dict[str, str]) -> list[str]:
    """Store the given settings; returns the keys that changed."""
    current = get_all(conn)
    changed = []
    for key, value in values.items():
        if key not in DEFAULTS:
            raise KeyError(key)
        if current.get(key) != value:
            changed.append(key)
        conn.execute(
            text("INSERT INTO practice_setting (key, value) VALUES (:k, :v) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
            {"k": key, "v": value},
        )
    return changed


def periods(conn: Any) -> Periods:
    s = get_all(conn)
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
            out[key] = validation.text(value, field=field, max_len=200)
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
        elif key == "privacy_statement_version":
            out[key] = validation.text(value, field="--statement-version", max_len=50)
        elif key in ("inactivity_years", "fiscal_years", "medicine_years", "payment_term_days"):
            text_ = value.strip()
            low = 0 if key == "payment_term_days" else 1
            if not (text_.isascii() and text_.isdigit() and low <= int(text_) <= 100):
                raise InvalidInput(field, f"must be a whole number from {low} to 100")
            if key == "fiscal_years" and int(text_) < 7:
                raise InvalidInput(field, "must be at least 7 (Dutch fiscal retention duty, AWR art. 52)")
            out[key] = str(int(text_))
        else:  # pragma: no cover - guarded by the CLI
            raise InvalidInput(field, "is not a practice setting")
    return out
