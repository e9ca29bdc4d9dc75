"""Exact money handling: parsing amounts and invoice lines, VAT totals, formatting.

Amounts are integer cents everywhere. ``Decimal`` is used only for quantities
(which may have up to three decimals); all rounding is done with exact integer
arithmetic that is identical to ``Decimal.quantize(..., ROUND_HALF_UP)``:
half a cent rounds away from zero, symmetrically, so a credit note (every unit
price negated) is exactly the negation of the invoice it corrects.

VAT is computed per rate, not per line (SPEC §3): the nets of all lines with the
same rate are summed, and the VAT on that sum is rounded once.

Errors are :class:`vetcards.errors.InvalidInput` naming the field and the rule,
never the rejected value (an invoice description may be personal data).

VAT rates are those of :mod:`vetcards.vocab`. Only the standard library is
imported here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from vetcards.errors import InvalidInput
from vetcards.vocab import DEFAULT_VAT, VAT_CATEGORIES, VAT_CATEGORY_WORDS, VAT_RATES, ZERO_VAT_CATEGORIES

__all__ = [
    "DEFAULT_VAT",
    "LINE_FORM",
    "MAX_AMOUNT_CENTS",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_QUANTITY",
    "VAT_RATES",
    "Line",
    "RateTotal",
    "Totals",
    "compute_totals",
    "format_cents",
    "format_eur",
    "negate",
    "parse_amount",
    "parse_line",
    "parse_quantity",
    "round_half_up_div",
]


#: Largest accepted amount, in cents (10,000,000.00).
MAX_AMOUNT_CENTS = 1_000_000_000
#: Largest accepted quantity on one line.
MAX_QUANTITY = Decimal(100_000)
MAX_DESCRIPTION_LENGTH = 200
#: The documented form of ``--line`` (SPEC §8).
LINE_FORM = "DESCRIPTION;QTY;UNIT_PRICE[;VAT%]"

# ASCII digits only ("\d" would also match e.g. Arabic-Indic digits).
_NUMBER = re.compile(r"(?P<sign>[-+]?)(?P<int>[0-9]+)(?:[.,](?P<frac>[0-9]+))?")
# Input longer than this cannot be a valid amount or quantity; refusing it early
# also keeps int() away from pathological digit strings.
_MAX_NUMBER_TEXT = 40

# Bidirectional embedding/override/isolate controls: invisible, and able to make
# an invoice line read differently from what it contains.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# ---------------------------------------------------------------------------
# rounding
# ---------------------------------------------------------------------------


def round_half_up_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, exactly.

    Same result as ``Decimal(numerator / denominator).quantize(1, ROUND_HALF_UP)``
    would give with unlimited precision; symmetric, so ``f(-n, d) == -f(n, d)``.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return -quotient if numerator < 0 else quotient


# ---------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------


def _split_number(value: object, field: str, example: str) -> tuple[str, str, str]:
    """Check the shape of a decimal number; return (sign, integer part, fraction)."""
    if not isinstance(value, str):
        raise TypeError(f"{field}: expected text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidInput(field, "is required")
    if len(text) > _MAX_NUMBER_TEXT:
        raise InvalidInput(field, "is too large")
    if text.count(".") + text.count(",") > 1:
        raise InvalidInput(
            field, "use one decimal separator (dot or comma) and no thousands separators"
        )
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise InvalidInput(field, f"must be a number like {example}")
    return match["sign"], match["int"], match["frac"] or ""


def parse_amount(
    value: str,
    field: str = "--amount",
    allow_zero: bool = False,
    allow_negative: bool = False,
) -> int:
    """Parse a money amount such as ``45.00``, ``45,00``, ``45`` or ``45,5`` into cents.

    At most two decimals, no thousands separators, no plus sign; a leading minus
    only when ``allow_negative``. Zero only when ``allow_zero``. The absolute
    value may not exceed 10,000,000.00.
    """
    sign, int_part, frac = _split_number(value, field, "45.00 or 45,00")
    if sign == "+":
        raise InvalidInput(field, "must be a number like 45.00 or 45,00")
    if len(frac) > 2:
        raise InvalidInput(field, "at most two decimals")
    if sign == "-" and not allow_negative:
        raise InvalidInput(field, "must not be negative")
    if len(int_part.lstrip("0")) > 8:
        raise InvalidInput(field, "is too large (at most 10000000.00)")
    cents = int(int_part) * 100 + int(frac.ljust(2, "0"))
    if cents > MAX_AMOUNT_CENTS:
        raise InvalidInput(field, "is too large (at most 10000000.00)")
    if cents == 0:
        if not allow_zero:
            raise InvalidInput(field, "must not be zero")
        return 0
    return -cents if sign == "-" else cents


def parse_quantity(value: str, field: str = "--line") -> Decimal:
    """Parse a quantity such as ``2``, ``0,5`` or ``1.250``: > 0, <= 100000, <= 3 decimals."""
    sign, int_part, frac = _split_number(value, field, "1 or 0,5")
    if sign:
        raise InvalidInput(field, "must be a positive number like 1 or 0,5")
    if len(frac) > 3:
        raise InvalidInput(field, "at most three decimals")
    if len(int_part.lstrip("0")) > 6:
        raise InvalidInput(field, "is too large (at most 100000)")
    quantity = Decimal(f"{int_part}.{frac}" if frac else int_part)
    if quantity > MAX_QUANTITY:
        raise InvalidInput(field, "is too large (at most 100000)")
    if quantity <= 0:
        raise InvalidInput(field, "must be greater than zero")
    return quantity


def _check_description(raw: str, field: str) -> str:
    description = raw.strip()
    if not description:
        raise InvalidInput(field, "description is required")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidInput(
            field, f"description is too long (at most {MAX_DESCRIPTION_LENGTH} characters)"
        )
    for ch in description:
        if ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            raise InvalidInput(field, "description must not contain control characters")
    return description


def _parse_vat(raw: str, field: str) -> tuple[int, str]:
    """The rate and VAT category of ``--line``'s last field: ``21``, ``9%``, ``0``, ``exempt``, ``outside``."""
    text = raw.strip().lower()
    if text.endswith("%"):
        text = text[:-1].rstrip()
    allowed = ", ".join(str(rate) for rate in VAT_RATES)
    if text in VAT_CATEGORY_WORDS:
        return 0, VAT_CATEGORY_WORDS[text]
    if not text.isascii() or not text.isdigit() or len(text) > 3 or int(text) not in VAT_RATES:
        raise InvalidInput(field, f"VAT rate must be one of {allowed} (percent), exempt or outside")
    rate = int(text)
    return rate, "charged" if rate else "zero"


def _prefixed(field: str, part: str, error: InvalidInput) -> InvalidInput:
    return InvalidInput(field, f"{part} {error.rule}")


def parse_line(spec: str, field: str = "--line") -> Line:
    """Parse ``DESCRIPTION;QTY;UNIT_PRICE[;VAT%]``, e.g. ``Vaccinatie;2;32,50;9%``.

    The VAT rate defaults to :data:`DEFAULT_VAT`. The unit price may be zero but
    not negative (credit notes are made by their own command).
    """
    if not isinstance(spec, str):
        raise TypeError(f"{field}: expected text, got {type(spec).__name__}")
    parts = spec.split(";")
    if len(parts) not in (3, 4):
        raise InvalidInput(field, f"expected {LINE_FORM}, e.g. \"Consult;1;45,00\"")
    description = _check_description(parts[0], field)
    try:
        quantity = parse_quantity(parts[1], field)
    except InvalidInput as error:
        raise _prefixed(field, "quantity", error) from None
    try:
        unit_price = parse_amount(parts[2], field, allow_zero=True, allow_negative=False)
    except InvalidInput as error:
        if error.rule == "must not be negative":
            raise InvalidInput(
                field, "unit price must not be negative (use a credit note)"
            ) from None
        raise _prefixed(field, "unit price", error) from None
    vat_rate, category = _parse_vat(parts[3], field) if len(parts) == 4 else (DEFAULT_VAT, "charged")
    return Line(description, quantity, unit_price, vat_rate, category)


# ---------------------------------------------------------------------------
# lines and totals
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One invoice line. ``unit_price_cents`` is negative on a credit note.

    ``vat_category`` (:data:`~vetcards.vocab.VAT_CATEGORIES`) says why the
    line carries its VAT; empty means ``charged`` for a rate above 0, else
    ``zero`` (as does ``charged`` at 0 %). A 0 % line may be ``zero``,
    ``exempt`` or ``outside``.
    """

    description: str
    quantity: Decimal
    unit_price_cents: int
    vat_rate: int
    vat_category: str = ""

    def __post_init__(self) -> None:
        # Guard the "never float" rule for lines built directly (not parsed).
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, (Decimal, int)):
            raise TypeError("quantity must be a Decimal")
        if isinstance(self.quantity, int):
            object.__setattr__(self, "quantity", Decimal(self.quantity))
        if not self.quantity.is_finite():
            raise ValueError("quantity must be finite")
        if isinstance(self.unit_price_cents, bool) or not isinstance(self.unit_price_cents, int):
            raise TypeError("unit_price_cents must be an int")
        if self.vat_rate not in VAT_RATES or isinstance(self.vat_rate, bool):
            raise ValueError(f"vat_rate must be one of {VAT_RATES}")
        if not self.vat_category or (self.vat_category == "charged" and self.vat_rate == 0):
            # Empty, or a 0 % row written without a category (the column's default): the 0 % rate.
            object.__setattr__(self, "vat_category", "charged" if self.vat_rate else "zero")
        if self.vat_category not in VAT_CATEGORIES or (
            (self.vat_category in ZERO_VAT_CATEGORIES) != (self.vat_rate == 0)
        ):
            raise ValueError("vat_category does not fit the VAT rate")

    @property
    def net_cents(self) -> int:
        """quantity x unit price, rounded half-up (away from zero) to whole cents."""
        numerator, denominator = self.quantity.as_integer_ratio()
        return round_half_up_div(numerator * self.unit_price_cents, denominator)

    def negated(self) -> Line:
        """The same line with the unit price negated (for a credit note)."""
        return Line(self.description, self.quantity, -self.unit_price_cents, self.vat_rate, self.vat_category)


@dataclass(frozen=True)
class RateTotal:
    rate: int
    net_cents: int
    vat_cents: int

    @property
    def gross_cents(self) -> int:
        return self.net_cents + self.vat_cents


@dataclass(frozen=True)
class Totals:
    """Invoice totals; ``per_rate`` sorted by rate descending, only rates present."""

    per_rate: tuple[RateTotal, ...]
    net_cents: int
    vat_cents: int
    gross_cents: int


def _totals_from(per_rate: Iterable[RateTotal]) -> Totals:
    ordered = tuple(sorted(per_rate, key=lambda rt: rt.rate, reverse=True))
    net = sum(rt.net_cents for rt in ordered)
    vat = sum(rt.vat_cents for rt in ordered)
    return Totals(per_rate=ordered, net_cents=net, vat_cents=vat, gross_cents=net + vat)


def compute_totals(lines: Iterable[Line]) -> Totals:
    """Sum line nets per VAT rate, round VAT once per rate, and total it all."""
    nets: dict[int, int] = {}
    for line in lines:
        nets[line.vat_rate] = nets.get(line.vat_rate, 0) + line.net_cents
    return _totals_from(
        RateTotal(rate=rate, net_cents=net, vat_cents=round_half_up_div(net * rate, 100))
        for rate, net in nets.items()
    )


def negate(totals: Totals) -> Totals:
    """Every amount negated exactly (the totals of the matching credit note)."""
    return Totals(
        per_rate=tuple(
            RateTotal(rate=rt.rate, net_cents=-rt.net_cents, vat_cents=-rt.vat_cents)
            for rt in totals.per_rate
        ),
        net_cents=-totals.net_cents,
        vat_cents=-totals.vat_cents,
        gross_cents=-totals.gross_cents,
    )


# ---------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------


def format_cents(cents: int, *, dutch: bool = False) -> str:
    """``123450`` -> ``"1234.50"``, or ``"1.234,50"`` with ``dutch=True``; minus in front."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError("cents must be an int")
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    if dutch:
        return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d}"
    return f"{sign}{euros}.{rest:02d}"


def format_eur(cents: int, lang: str = "nl") -> str:
    """An amount for people: ``€ 1.234,56`` (Dutch), ``€ 1,234.56`` (English); minus after the sign."""
    if lang == "nl":
        return "€ " + format_cents(cents, dutch=True)
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"€ {sign}{euros:,}.{rest:02d}"
