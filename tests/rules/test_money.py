"""Tests for vetcards.money: exact amounts, invoice lines, VAT per rate."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vetcards.errors import InvalidInput
from vetcards.money import (
    DEFAULT_VAT,
    VAT_RATES,
    Line,
    RateTotal,
    Totals,
    compute_totals,
    format_cents,
    negate,
    parse_amount,
    parse_line,
    parse_quantity,
    round_half_up_div,
)

# ---------------------------------------------------------------------------
# parse_amount
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("45.00", 4500),
        ("45,00", 4500),
        ("45", 4500),
        ("45,5", 4550),
        ("45.5", 4550),
        ("0,01", 1),
        ("0.99", 99),
        ("  12,34 ", 1234),
        ("007,10", 710),
        ("10000000.00", 1_000_000_000),
        ("10000000", 1_000_000_000),
    ],
)
def test_parse_amount_valid(text: str, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    ("text", "rule_part"),
    [
        ("", "required"),
        ("   ", "required"),
        ("abc", "number"),
        ("45 euro", "number"),
        ("€45", "number"),
        ("45,", "number"),
        (",5", "number"),
        ("4 5", "number"),
        ("45,001", "two decimals"),
        ("45.123", "two decimals"),
        ("1.234", "two decimals"),
        ("1.234,50", "thousands"),
        ("1,234.50", "thousands"),
        ("1.000.000", "thousands"),
        ("NaN", "number"),
        ("nan", "number"),
        ("inf", "number"),
        ("-inf", "number"),
        ("Infinity", "number"),
        ("1e3", "number"),
        ("+45", "number"),
        ("٤٥", "number"),  # Arabic-Indic digits
        ("-45,00", "negative"),
        ("-0,01", "negative"),
        ("0", "zero"),
        ("0,00", "zero"),
        ("10000000.01", "too large"),
        ("99999999999", "too large"),
        ("9" * 5000, "too large"),
    ],
)
def test_parse_amount_invalid(text: str, rule_part: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_amount(text)
    assert info.value.field == "--amount"
    assert rule_part in info.value.rule


def test_parse_amount_zero_and_negative_when_allowed() -> None:
    assert parse_amount("0", allow_zero=True) == 0
    assert parse_amount("0,00", allow_zero=True) == 0
    assert parse_amount("-12,50", allow_negative=True) == -1250
    assert parse_amount("-0,5", allow_negative=True) == -50
    assert parse_amount("-10000000", allow_negative=True) == -1_000_000_000
    with pytest.raises(InvalidInput, match="zero"):
        parse_amount("-0", allow_negative=True)
    with pytest.raises(InvalidInput, match="too large"):
        parse_amount("-10000000,01", allow_negative=True)
    with pytest.raises(InvalidInput, match="two decimals"):
        parse_amount("-1,001", allow_negative=True)


def test_parse_amount_names_field_and_never_echoes_value() -> None:
    secret = "Jansen 12,50"
    with pytest.raises(InvalidInput) as info:
        parse_amount(secret, field="--paid")
    assert info.value.field == "--paid"
    assert str(info.value).startswith("--paid: ")
    assert "Jansen" not in str(info.value)
    assert secret not in str(info.value)


def test_parse_amount_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        parse_amount(45.0)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# parse_quantity
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", Decimal("1")),
        ("2", Decimal("2")),
        ("0,5", Decimal("0.5")),
        ("0.5", Decimal("0.5")),
        ("1,250", Decimal("1.25")),
        ("0.001", Decimal("0.001")),
        (" 3 ", Decimal("3")),
        ("100000", Decimal("100000")),
        ("100000,000", Decimal("100000")),
    ],
)
def test_parse_quantity_valid(text: str, expected: Decimal) -> None:
    result = parse_quantity(text)
    assert isinstance(result, Decimal)
    assert result == expected


@pytest.mark.parametrize(
    ("text", "rule_part"),
    [
        ("", "required"),
        ("two", "number"),
        ("0", "greater than zero"),
        ("0,000", "greater than zero"),
        ("-1", "positive"),
        ("+1", "positive"),
        ("1,0001", "three decimals"),
        ("100000,001", "too large"),
        ("1000000", "too large"),
        ("1.000,5", "thousands"),
        ("nan", "number"),
        ("inf", "number"),
    ],
)
def test_parse_quantity_invalid(text: str, rule_part: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_quantity(text)
    assert info.value.field == "--line"
    assert rule_part in info.value.rule


# ---------------------------------------------------------------------------
# parse_line
# ---------------------------------------------------------------------------


def test_vat_constants() -> None:
    assert VAT_RATES == (21, 9, 0)
    assert DEFAULT_VAT == 21


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("Consult;1;45,00", Line("Consult", Decimal("1"), 4500, 21)),
        ("Vaccinatie;2;32.50;9", Line("Vaccinatie", Decimal("2"), 3250, 9)),
        ("Vaccinatie;2;32.50;9%", Line("Vaccinatie", Decimal("2"), 3250, 9)),
        ("Vaccinatie;2;32.50; 9 % ", Line("Vaccinatie", Decimal("2"), 3250, 9)),
        ("Voer;0,5;10;21%", Line("Voer", Decimal("0.5"), 1000, 21)),
        ("Export certificaat;1;15;0", Line("Export certificaat", Decimal("1"), 1500, 0)),
        ("Nacontrole;1;0", Line("Nacontrole", Decimal("1"), 0, 21)),
        ("  Consult spoed  ; 1 ; 75,00 ", Line("Consult spoed", Decimal("1"), 7500, 21)),
        ("Röntgen – 2 opnamen;1;120", Line("Röntgen – 2 opnamen", Decimal("1"), 12000, 21)),
    ],
)
def test_parse_line_valid(spec: str, expected: Line) -> None:
    assert parse_line(spec) == expected


@pytest.mark.parametrize(
    ("spec", "rule_part"),
    [
        ("Consult", "DESCRIPTION;QTY;UNIT_PRICE[;VAT%]"),
        ("Consult;1", "DESCRIPTION;QTY;UNIT_PRICE[;VAT%]"),
        ("Consult;1;45;21;x", "DESCRIPTION;QTY;UNIT_PRICE[;VAT%]"),
        ("", "DESCRIPTION;QTY;UNIT_PRICE[;VAT%]"),
        (";1;45", "description is required"),
        ("   ;1;45", "description is required"),
        ("x" * 201 + ";1;45", "too long"),
        ("Con\x00sult;1;45", "control characters"),
        ("Con\nsult;1;45", "control characters"),
        ("Con\tsult;1;45", "control characters"),
        ("Con\u202esult;1;45", "control characters"),
        ("Consult;0;45", "quantity must be greater than zero"),
        ("Consult;-1;45", "quantity"),
        ("Consult;een;45", "quantity"),
        ("Consult;1,0001;45", "quantity at most three decimals"),
        ("Consult;1;-45", "unit price must not be negative"),
        ("Consult;1;45,001", "unit price at most two decimals"),
        ("Consult;1;gratis", "unit price"),
        ("Consult;1;", "unit price is required"),
        ("Consult;1;45;6", "VAT rate must be one of 21, 9, 0"),
        ("Consult;1;45;6%", "VAT rate must be one of 21, 9, 0"),
        ("Consult;1;45;9.0", "VAT rate"),
        ("Consult;1;45;-9", "VAT rate"),
        ("Consult;1;45;", "VAT rate"),
        ("Consult;1;45;hoog", "VAT rate"),
    ],
)
def test_parse_line_invalid(spec: str, rule_part: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_line(spec)
    assert info.value.field == "--line"
    assert rule_part in info.value.rule


def test_parse_line_description_limit_is_200_after_strip() -> None:
    line = parse_line(" " + "x" * 200 + " ;1;1")
    assert line.description == "x" * 200


def test_parse_line_error_does_not_echo_description() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_line("Euthanasie Bello van fam. De Vries;1;-45")
    assert "Bello" not in str(info.value)
    assert "Vries" not in str(info.value)
    with pytest.raises(InvalidInput) as info:
        parse_line("Bello;1;45;6")
    assert "Bello" not in str(info.value)


def test_parse_line_custom_field() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_line("x;1", field="--item")
    assert info.value.field == "--item"


# ---------------------------------------------------------------------------
# Line
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit_price", "net"),
    [
        ("1", 4500, 4500),
        ("2", 3250, 6500),
        ("0.5", 1, 1),  # 0.5 cent -> 1 (half up)
        ("0.5", 3, 2),  # 1.5 -> 2
        ("1.5", 3, 5),  # 4.5 -> 5
        ("0.333", 100, 33),  # 33.3 -> 33
        ("0.335", 100, 34),  # 33.5 -> 34
        ("0.001", 499, 0),  # 0.499 -> 0
        ("0.001", 500, 1),  # 0.5 -> 1
        ("0.5", -1, -1),  # symmetric: -0.5 -> -1
        ("1.5", -3, -5),
        ("0.001", -499, 0),
        ("3", 0, 0),
    ],
)
def test_line_net_cents(quantity: str, unit_price: int, net: int) -> None:
    assert Line("x", Decimal(quantity), unit_price, 21).net_cents == net


def test_line_rejects_float_and_bad_rate() -> None:
    with pytest.raises(TypeError):
        Line("x", 1.5, 100, 21)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Line("x", Decimal(1), 1.5, 21)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Line("x", Decimal(1), 100, 6)
    with pytest.raises(ValueError):
        Line("x", Decimal("NaN"), 100, 21)
    assert Line("x", 2, 100, 21).quantity == Decimal(2)  # type: ignore[arg-type]


def test_line_negated() -> None:
    line = Line("Consult", Decimal("1.5"), 4501, 9)
    assert line.negated() == Line("Consult", Decimal("1.5"), -4501, 9)
    assert line.negated().net_cents == -line.net_cents


def test_round_half_up_div_matches_decimal() -> None:
    for numerator in range(-1000, 1001):
        for denominator in (1, 2, 3, 8, 100, 1000):
            expected = int(
                (Decimal(numerator) / Decimal(denominator)).quantize(
                    Decimal(1), rounding=ROUND_HALF_UP
                )
            )
            assert round_half_up_div(numerator, denominator) == expected


# ---------------------------------------------------------------------------
# compute_totals
# ---------------------------------------------------------------------------


def _lines(*specs: str) -> list[Line]:
    return [parse_line(spec) for spec in specs]


def test_totals_empty() -> None:
    assert compute_totals([]) == Totals(per_rate=(), net_cents=0, vat_cents=0, gross_cents=0)


def test_totals_single_line() -> None:
    totals = compute_totals(_lines("Consult;1;45,00"))
    assert totals == Totals(
        per_rate=(RateTotal(21, 4500, 945),), net_cents=4500, vat_cents=945, gross_cents=5445
    )


def test_totals_mixed_rates_sorted_descending() -> None:
    totals = compute_totals(
        _lines(
            "Vaccinatie;2;32,50;9",
            "Consult;1;45,00",
            "Export certificaat;1;15;0%",
            "Ontwormingsmiddel;3;8,95;21",
            "Dieetvoer 2 kg;1;24,99;9%",
        )
    )
    # 21 %: 4500 + 2685 = 7185 -> VAT 1508.85 -> 1509
    # 9 %:  6500 + 2499 = 8999 -> VAT 809.91 -> 810
    # 0 %:  1500 -> 0
    assert totals.per_rate == (
        RateTotal(21, 7185, 1509),
        RateTotal(9, 8999, 810),
        RateTotal(0, 1500, 0),
    )
    assert totals.net_cents == 7185 + 8999 + 1500
    assert totals.vat_cents == 1509 + 810
    assert totals.gross_cents == totals.net_cents + totals.vat_cents == 20003


def test_totals_only_rates_present() -> None:
    totals = compute_totals(_lines("a;1;10;9", "b;1;20;9"))
    assert [rt.rate for rt in totals.per_rate] == [9]


def test_totals_zero_priced_line_keeps_its_rate() -> None:
    totals = compute_totals(_lines("Nacontrole;1;0", "Vaccinatie;1;30;9"))
    assert totals.per_rate == (RateTotal(21, 0, 0), RateTotal(9, 3000, 270))


def test_vat_rounded_per_rate_three_times_five_cents_at_nine_percent() -> None:
    # each line: 0,05 * 9 % = 0,0045 -> 0,00 per line; per rate 0,15 * 9 % = 0,0135 -> 0,01
    totals = compute_totals(_lines("a;1;0,05;9", "b;1;0,05;9", "c;1;0,05;9"))
    assert totals.per_rate == (RateTotal(9, 15, 1),)
    assert totals.gross_cents == 16


def test_vat_per_rate_differs_from_per_line_rounding() -> None:
    lines = _lines("a;1;0,02", "b;1;0,02", "c;1;0,02")
    per_line = sum(round_half_up_div(line.net_cents * 21, 100) for line in lines)
    assert per_line == 0  # 0,0042 -> 0 each
    totals = compute_totals(lines)
    assert totals.vat_cents == 1  # 0,06 * 21 % = 0,0126 -> 0,01
    # and the other way round: per-line rounding up, per-rate not
    lines = _lines("a;1;0,10;9", "b;1;0,10;9")  # 0,009 -> 0,01 each (2), total 0,018 -> 0,02
    assert compute_totals(lines).vat_cents == 2
    lines = _lines("a;1;0,06;9", "b;1;0,06;9", "c;1;0,06;9")  # 0,0054 -> 1 each (3)
    assert sum(round_half_up_div(line.net_cents * 9, 100) for line in lines) == 3
    assert compute_totals(lines).vat_cents == 2  # 0,18 * 9 % = 0,0162 -> 0,02


@pytest.mark.parametrize(
    ("spec", "net", "vat"),
    [
        ("a;1;0,50;9", 50, 5),  # 4,5 cent -> 5
        ("a;1;0,50;21", 50, 11),  # 10,5 cent -> 11
        ("a;1;1,50;9", 150, 14),  # 13,5 cent -> 14
        ("a;1;0,10;21", 10, 2),  # 2,1 cent -> 2
        ("a;1;0,04;9", 4, 0),  # 0,36 cent -> 0
        ("a;1;0,06;9", 6, 1),  # 0,54 cent -> 1
        ("a;0,5;0,01;21", 1, 0),  # line net 0,5 cent -> 1; VAT 0,21 -> 0
        ("a;1,5;0,03;9", 5, 0),  # line net 4,5 -> 5; VAT 0,45 -> 0
        ("a;1;10000000;21", 1_000_000_000, 210_000_000),
    ],
)
def test_totals_half_cent_cases(spec: str, net: int, vat: int) -> None:
    totals = compute_totals(_lines(spec))
    assert (totals.net_cents, totals.vat_cents) == (net, vat)
    negated = compute_totals([line.negated() for line in _lines(spec)])
    assert (negated.net_cents, negated.vat_cents) == (-net, -vat)


def test_credit_note_is_exact_negation() -> None:
    invoice = _lines(
        "Vaccinatie;2;32,50;9",
        "Consult;1;45,00",
        "Medicatie;0,5;0,01",
        "a;1;0,50;9",
        "Export certificaat;1;15;0",
    )
    totals = compute_totals(invoice)
    credit = compute_totals([line.negated() for line in invoice])
    assert credit == negate(totals)
    assert negate(negate(totals)) == totals
    assert credit.gross_cents == -totals.gross_cents
    assert [rt.rate for rt in credit.per_rate] == [21, 9, 0]


def test_negate_every_amount() -> None:
    totals = Totals(
        per_rate=(RateTotal(21, 100, 21), RateTotal(9, 50, 5)),
        net_cents=150,
        vat_cents=26,
        gross_cents=176,
    )
    assert negate(totals) == Totals(
        per_rate=(RateTotal(21, -100, -21), RateTotal(9, -50, -5)),
        net_cents=-150,
        vat_cents=-26,
        gross_cents=-176,
    )


def test_rate_total_gross() -> None:
    assert RateTotal(21, 100, 21).gross_cents == 121


# ---------------------------------------------------------------------------
# format_cents
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "plain", "dutch"),
    [
        (0, "0.00", "0,00"),
        (1, "0.01", "0,01"),
        (10, "0.10", "0,10"),
        (4500, "45.00", "45,00"),
        (123450, "1234.50", "1.234,50"),
        (100000, "1000.00", "1.000,00"),
        (99999, "999.99", "999,99"),
        (1_000_000_000, "10000000.00", "10.000.000,00"),
        (-1, "-0.01", "-0,01"),
        (-123450, "-1234.50", "-1.234,50"),
        (-99, "-0.99", "-0,99"),
    ],
)
def test_format_cents(cents: int, plain: str, dutch: str) -> None:
    assert format_cents(cents) == plain
    assert format_cents(cents, dutch=True) == dutch


def test_format_round_trips_through_parse() -> None:
    for cents in (1, 99, 4500, 123456, 1_000_000_000):
        assert parse_amount(format_cents(cents)) == cents
        assert parse_amount(format_cents(-cents), allow_negative=True) == -cents


def test_format_cents_rejects_float() -> None:
    with pytest.raises(TypeError):
        format_cents(12.5)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# property
# ---------------------------------------------------------------------------

_quantities = st.decimals(
    min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3, allow_nan=False
)
_lines_strategy = st.lists(
    st.builds(
        Line,
        description=st.just("item"),
        quantity=_quantities,
        unit_price_cents=st.integers(min_value=-1_000_000_000, max_value=1_000_000_000),
        vat_rate=st.sampled_from(VAT_RATES),
    ),
    max_size=12,
)


@given(_lines_strategy)
def test_property_totals_consistent_and_negation_exact(lines: list[Line]) -> None:
    totals = compute_totals(lines)
    assert totals.gross_cents == totals.net_cents + totals.vat_cents
    assert totals.net_cents == sum(rt.net_cents for rt in totals.per_rate)
    assert totals.vat_cents == sum(rt.vat_cents for rt in totals.per_rate)
    assert [rt.rate for rt in totals.per_rate] == sorted(
        {line.vat_rate for line in lines}, reverse=True
    )
    for rt in totals.per_rate:
        exact = Decimal(rt.net_cents) * rt.rate / 100
        assert rt.vat_cents == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert compute_totals([line.negated() for line in lines]) == negate(totals)
