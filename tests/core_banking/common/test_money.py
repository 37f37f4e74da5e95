"""core_banking.common.money: exponents, parsing, fitting, rounding and allocation, worked by hand.

Pure: no database. ``make mutate`` runs these against every mutant of money.py.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_UP, Decimal

import pytest

from core_banking.common.money import (
    CurrencyMismatch,
    InvalidAmount,
    allocate,
    check_fits,
    iso_exponent,
    places,
    quantize,
    to_decimal,
)

D = Decimal

# --- exponents (ISO 4217 minor units) ----------------------------------------------------------

ISO_4217_NOT_2 = {
    # minor unit 0
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    # minor unit 3
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # minor unit 4 (units of account)
    "CLF": 4, "UYW": 4,
}


@pytest.mark.parametrize(("code", "exponent"), sorted(ISO_4217_NOT_2.items()))
def test_currencies_whose_minor_unit_is_not_2(code, exponent):
    assert iso_exponent(code) == exponent
    assert iso_exponent(code.lower()) == exponent


@pytest.mark.parametrize("code", ["EUR", "USD", "GBP", "CHF", "eur", "XYZ"])
def test_every_other_currency_has_2_decimal_places(code):
    assert iso_exponent(code) == 2


# --- parsing ------------------------------------------------------------------------------------


def test_decimals_ints_and_strings_are_amounts_and_keep_their_places():
    assert str(to_decimal(D("1.50"))) == "1.50"
    assert to_decimal(7) == D(7) and isinstance(to_decimal(7), Decimal)
    assert str(to_decimal("10.001")) == "10.001"
    assert to_decimal("-0.5") == D("-0.5")


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_not_an_amount(value):
    with pytest.raises(TypeError, match="^a boolean is not an amount$"):
        to_decimal(value)


def test_a_float_is_refused_never_converted():
    with pytest.raises(TypeError, match="^money must never be a float; pass a Decimal or a string$"):
        to_decimal(0.1)


@pytest.mark.parametrize(("value", "name"), [(None, "NoneType"), ([1], "list"), (b"1", "bytes")])
def test_other_types_are_refused(value, name):
    with pytest.raises(TypeError, match=f"^cannot use {name} as an amount$"):
        to_decimal(value)


def test_text_that_is_not_a_number_is_an_invalid_amount():
    with pytest.raises(InvalidAmount) as caught:
        to_decimal("12,50")
    assert caught.value.detail == "'12,50' is not a number"
    assert caught.value.extra == {}


@pytest.mark.parametrize(("value", "shown"), [("NaN", "'NaN'"), ("-Infinity", "'-Infinity'"),
                                              (D("Infinity"), "Decimal('Infinity')")])
def test_nan_and_infinity_are_invalid_amounts(value, shown):
    with pytest.raises(InvalidAmount) as caught:
        to_decimal(value)
    assert caught.value.detail == f"{shown} is not a finite number"


def test_the_errors_keep_their_public_codes():
    invalid = InvalidAmount("x").as_problem()
    mismatch = CurrencyMismatch("y").as_problem()

    assert (invalid["code"], invalid["status"], invalid["title"]) == ("invalid_amount", 400, "The amount is not valid")
    assert (mismatch["code"], mismatch["status"], mismatch["title"]) == (
        "currency_mismatch", 400, "The currencies do not match")


# --- places -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "expected"), [
    ("10.50", 1), ("10.00", 0), ("0.001", 3), ("-2.5", 1), ("100", 0), ("1E+3", 0), ("0", 0), ("0.000", 0),
    ("99999999999999999999.123456789012345670", 17),  # 38 digits: more than the default context's 28
])
def test_places_counts_the_significant_decimal_places(amount, expected):
    assert places(D(amount)) == expected


# --- check_fits ---------------------------------------------------------------------------------


def test_an_amount_that_fits_comes_back_with_exactly_the_currency_places():
    assert str(check_fits(D("10.5"), 2)) == "10.50"
    assert str(check_fits(D("7"), 0)) == "7"
    assert str(check_fits(D("1.000"), 0)) == "1"  # trailing zeros are not places
    assert str(check_fits(D("-0.125"), 3, currency="BHD")) == "-0.125"


def test_an_amount_with_more_places_than_its_currency_is_refused_not_rounded():
    with pytest.raises(InvalidAmount) as caught:
        check_fits(D("10.001"), 2, currency="EUR")
    assert caught.value.detail == "10.001 has more than 2 decimal places allowed for EUR"
    assert caught.value.extra == {"currency": "EUR", "exponent": 2}

    with pytest.raises(InvalidAmount) as caught:
        check_fits(D("0.5"), 0)
    assert caught.value.detail == "0.5 has more than 0 decimal places allowed for the currency"
    assert caught.value.extra == {"currency": "", "exponent": 0}


def test_twenty_integer_digits_fit_twenty_one_do_not():
    largest = D("99999999999999999999.99")
    assert check_fits(largest, 2) == largest
    assert check_fits(-largest, 2) == -largest

    for too_large in (D("100000000000000000000"), D("-100000000000000000000.00")):
        with pytest.raises(InvalidAmount) as caught:
            check_fits(too_large, 2, currency="EUR")
        assert caught.value.detail == f"{too_large} is too large"
        assert caught.value.extra == {"currency": "EUR"}


@pytest.mark.parametrize("amount", [
    "99999999999999999999.12345678",  # 28 digits: the default context's precision
    "99999999999999999999.123456789",  # 29 digits
    "99999999999999999999.123456789012345678",  # 38 digits: NUMERIC(38, 18)
])
def test_the_widest_amounts_of_every_exponent_fit_exactly(amount):
    value = D(amount)
    exponent = places(value)

    assert str(check_fits(value, exponent)) == amount
    assert str(check_fits(value, 18)) == amount + "0" * (18 - exponent)


@pytest.mark.parametrize("exponent", [-1, 19])
def test_an_exponent_outside_0_to_18_is_a_programming_error(exponent):
    with pytest.raises(ValueError, match=f"^exponent {exponent} is outside 0..18$"):
        check_fits(D("1"), exponent)


def test_exponents_0_and_18_are_the_bounds():
    assert str(check_fits(D("5"), 0)) == "5"
    assert format(check_fits(D("1E-18"), 18), "f") == "0.000000000000000001"


# --- quantize -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "exponent", "expected"), [
    ("0.125", 2, "0.12"),  # a tie goes to the even neighbour...
    ("0.135", 2, "0.14"),
    ("-0.125", 2, "-0.12"),
    ("2.5", 0, "2"),
    ("3.5", 0, "4"),
    ("1.0005", 3, "1.000"),
    ("1.0015", 3, "1.002"),
    ("0.1251", 2, "0.13"),  # ...anything above the tie goes up
    ("5", 2, "5.00"),
])
def test_quantize_rounds_half_even_by_default(amount, exponent, expected):
    assert str(quantize(D(amount), exponent)) == expected


def test_quantize_takes_a_named_rule():
    assert quantize(D("0.121"), 2, rounding=ROUND_UP) == D("0.13")
    assert quantize(D("-0.121"), 2, rounding=ROUND_UP) == D("-0.13")
    assert quantize(D("0.129"), 2, rounding=ROUND_DOWN) == D("0.12")


def test_quantize_handles_38_digit_amounts():
    amount = D("12345678901234567890.123456789012345678")
    assert quantize(amount, 18) == amount
    assert str(quantize(amount, 2)) == "12345678901234567890.12"


def test_quantize_refuses_a_float():
    with pytest.raises(TypeError, match="^money must never be a float$"):
        quantize(0.125, 2)


# --- allocate (largest remainder) --------------------------------------------------------------


def test_the_leftover_unit_goes_to_the_largest_remainder():
    # 0.061 and 0.039: rounded down 0.06 and 0.03; the cent left goes to the 0.009 remainder.
    assert allocate(D("0.10"), [61, 39], 2) == [D("0.06"), D("0.04")]
    # 1/7, 2/7, 4/7 of 1.00: 0.14 + 0.28 + 0.57 = 0.99; remainders 0.0029, 0.0057, 0.0014.
    assert allocate(D("1.00"), [1, 2, 4], 2) == [D("0.14"), D("0.29"), D("0.57")]


def test_equal_remainders_go_to_the_earlier_parts():
    assert allocate(D("100.00"), [1, 1, 1], 2) == [D("33.34"), D("33.33"), D("33.33")]
    assert allocate(D("0.02"), [1, 1, 1], 2) == [D("0.01"), D("0.01"), D("0.00")]
    # 1/7 each: seven times 0.14 is 0.98, so the first two parts take a cent each.
    assert allocate(D("1.00"), [1] * 7, 2) == [D("0.15")] * 2 + [D("0.14")] * 5
    # 7.5, 0, 2.5 -> 7, 0, 2 and the unit left to the first of the two 0.5 remainders.
    assert allocate(D("10"), [3, 0, 1], 0) == [D(8), D(0), D(2)]


def test_an_exact_split_needs_no_leftover():
    assert allocate(D("1.000"), [D("0.5"), D("0.25"), D("0.25")], 3) == [D("0.500"), D("0.250"), D("0.250")]
    assert allocate("5", [1, 1], 0) == [D(3), D(2)]


def test_a_negative_total_is_split_like_its_magnitude():
    assert allocate(D("-0.10"), [61, 39], 2) == [D("-0.06"), D("-0.04")]
    assert allocate(D("-100.00"), [1, 1, 1], 2) == [D("-33.34"), D("-33.33"), D("-33.33")]


def test_a_zero_total_gives_zero_parts_without_a_minus_sign():
    parts = allocate(D("0.00"), [1, 2], 2)

    assert [str(p) for p in parts] == ["0.00", "0.00"]


def test_a_zero_weight_gets_nothing():
    assert allocate(D("1.00"), [0, 1], 2) == [D("0.00"), D("1.00")]


def test_the_parts_of_a_20_digit_total_add_up_exactly():
    total = D("99999999999999999999.99")

    parts = allocate(total, [1, 2], 2)

    assert parts == [D("33333333333333333333.33"), D("66666666666666666666.66")]
    assert sum(parts) == total


@pytest.mark.parametrize(("weights", "message"), [
    ([], "^allocate needs at least one weight$"),
    ([1, -1], "^weights must not be negative$"),
    ([0, 0], "^weights must not all be zero$"),
])
def test_weights_that_cannot_split_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        allocate(D("1.00"), weights, 2)


def test_float_weights_and_totals_are_refused():
    with pytest.raises(TypeError, match="float"):
        allocate(D("1.00"), [0.5, 0.5], 2)
    with pytest.raises(TypeError, match="float"):
        allocate(1.0, [1], 2)
