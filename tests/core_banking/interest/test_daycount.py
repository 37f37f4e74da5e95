"""Day-count conventions: worked examples, checked against the exact rational fraction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest

from core_banking.interest import calc
from core_banking.interest.daycount import (
    WORKING_PRECISION,
    Convention,
    daily_factor,
    day_count,
    day_value,
    year_fraction,
)

D = dt.date
ISDA, US, E = Convention.THIRTY_360_ISDA, Convention.THIRTY_360_US, Convention.THIRTY_E_360


def assert_fraction(value: Decimal, exact: Fraction) -> None:
    """Equal to the exact rational to 30 decimal places (the only rounding is of 1/basis)."""
    assert isinstance(value, Decimal)
    assert abs(Fraction(value) - exact) < Fraction(1, 10**30), (value, exact)


def total(values) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return sum(values, Decimal(0))


# (start, end): {convention: (day count, exact year fraction)}
CROSSES_YEAR_END = (D(2023, 12, 15), D(2024, 1, 15))
ENDS_29_FEB = (D(2023, 11, 30), D(2024, 2, 29))
WORKED = {
    CROSSES_YEAR_END: {
        Convention.ACT_365F: (31, Fraction(31, 365)),
        Convention.ACT_360: (31, Fraction(31, 360)),
        ISDA: (30, Fraction(30, 360)),
        US: (30, Fraction(30, 360)),
        E: (30, Fraction(30, 360)),
        # 17 days of 2023 (15-31 Dec) over 365, 14 days of 2024 (1-14 Jan) over 366.
        Convention.ACT_ACT_ISDA: (31, Fraction(17, 365) + Fraction(14, 366)),
    },
    ENDS_29_FEB: {
        Convention.ACT_365F: (91, Fraction(91, 365)),
        Convention.ACT_360: (91, Fraction(91, 360)),
        # 360*1 + 30*(2-11) + (29-30) = 89 under all three: no 31st, and Date1 is not in February.
        ISDA: (89, Fraction(89, 360)),
        US: (89, Fraction(89, 360)),
        E: (89, Fraction(89, 360)),
        # 30 Nov and December 2023: 32 days over 365; 1 Jan - 28 Feb 2024: 59 days over 366.
        Convention.ACT_ACT_ISDA: (91, Fraction(32, 365) + Fraction(59, 366)),
    },
}


@pytest.mark.parametrize("period", list(WORKED), ids=["crosses-year-end", "ends-29-february"])
@pytest.mark.parametrize("convention", list(Convention))
def test_worked_examples_for_each_convention(period, convention):
    days, fraction = WORKED[period][convention]
    start, end = period

    assert day_count(convention, start, end) == days
    assert_fraction(year_fraction(convention, start, end), fraction)


@pytest.mark.parametrize(("start", "end", "isda", "us", "e"), [
    # Starts on the last day of February (leap year): US treats D1 as 30, then D2 = 31 -> 30.
    (D(2024, 2, 29), D(2024, 3, 31), 32, 30, 31),
    # Non-leap February end.
    (D(2023, 2, 28), D(2023, 3, 31), 33, 30, 32),
    # Both ends on the last day of February: US rule 1 (D2 = 30) and rule 2 (D1 = 30).
    (D(2023, 2, 28), D(2024, 2, 29), 361, 360, 361),
    # The 31st at both ends: every variant counts two 30-day months.
    (D(2024, 1, 31), D(2024, 3, 31), 60, 60, 60),
    # D1 = 29: ISDA and US keep D2 = 31, Eurobond basis makes it 30.
    (D(2024, 1, 29), D(2024, 3, 31), 62, 62, 61),
    # D1 = 30: D2 = 31 becomes 30 in all three.
    (D(2024, 1, 30), D(2024, 3, 31), 60, 60, 60),
    # Ends on 29 February from the 31st.
    (D(2024, 1, 31), D(2024, 2, 29), 29, 29, 29),
])
def test_thirty_360_variants_differ_only_where_their_rules_say(start, end, isda, us, e):
    assert (day_count(ISDA, start, end), day_count(US, start, end), day_count(E, start, end)) == (isda, us, e)
    assert_fraction(year_fraction(US, start, end), Fraction(us, 360))


def test_act_act_isda_counts_a_leap_year_over_366_and_a_full_leap_year_is_exactly_one():
    assert_fraction(year_fraction(Convention.ACT_ACT_ISDA, D(2024, 1, 1), D(2025, 1, 1)), Fraction(1))
    assert_fraction(year_fraction(Convention.ACT_ACT_ISDA, D(2023, 1, 1), D(2024, 1, 1)), Fraction(1))
    # ACT/365F is not: a leap year is 366/365 of a year.
    assert_fraction(year_fraction(Convention.ACT_365F, D(2024, 1, 1), D(2025, 1, 1)), Fraction(366, 365))
    # Over several year boundaries.
    assert_fraction(year_fraction(Convention.ACT_ACT_ISDA, D(2023, 7, 1), D(2025, 3, 1)),
                    Fraction(184, 365) + Fraction(366, 366) + Fraction(59, 365))


def test_an_empty_period_is_zero_and_a_reversed_one_is_refused():
    for convention in Convention:
        assert year_fraction(convention, D(2024, 2, 29), D(2024, 2, 29)) == 0
        with pytest.raises(ValueError, match="ends"):
            year_fraction(convention, D(2024, 3, 1), D(2024, 2, 29))
    with pytest.raises(ValueError, match="unknown day-count convention"):
        year_fraction("act_366", D(2024, 1, 1), D(2024, 2, 1))


def test_daily_factors_of_the_thirty_360_conventions_put_the_month_end_where_the_rules_say():
    one = day_value(360)
    # ISDA and US count an end on the 31st as 31 after a D1 of 1, so the 31st is the day that
    # accrues nothing; Eurobond basis counts an end on the 31st as the 30th, so the 30th is.
    for convention in (ISDA, US):
        assert daily_factor(convention, D(2024, 1, 30)) == one
        assert daily_factor(convention, D(2024, 1, 31)) == 0
    assert daily_factor(E, D(2024, 1, 30)) == 0
    assert daily_factor(E, D(2024, 1, 31)) == one
    for convention in (ISDA, US, E):
        assert daily_factor(convention, D(2024, 2, 28)) == one
        assert daily_factor(convention, D(2024, 2, 29)) == total([one, one])  # leap February is 1 day short
        assert daily_factor(convention, D(2023, 2, 28)) == total([one, one, one])  # non-leap February 2 days short
    assert daily_factor(Convention.ACT_ACT_ISDA, D(2024, 6, 1)) == day_value(366)
    assert daily_factor(Convention.ACT_ACT_ISDA, D(2023, 6, 1)) == day_value(365)
    assert daily_factor(Convention.ACT_360, D(2024, 6, 1)) == day_value(360)


@pytest.mark.parametrize("convention", list(Convention))
@pytest.mark.parametrize("year", [2023, 2024])
def test_the_daily_factors_of_every_month_sum_exactly_to_the_month_year_fraction(convention, year):
    for month in range(1, 13):
        days = calc.month_days(year, month)
        start, end = days[0], days[-1] + dt.timedelta(days=1)
        assert total(daily_factor(convention, day) for day in days) == year_fraction(convention, start, end)


@pytest.mark.parametrize("convention", list(Convention))
def test_the_daily_factors_of_a_period_starting_mid_month_sum_to_its_year_fraction_with_its_anchor(convention):
    start, end = D(2024, 1, 30), D(2024, 3, 31)  # ISDA counts 60 days here, not 61
    days = calc.days_of(start, end)

    assert total(daily_factor(convention, d, period_start=start) for d in days) == year_fraction(convention, start,
                                                                                                end)


@pytest.mark.parametrize("convention", [ISDA, US, E])
def test_a_thirty_360_daily_factor_before_its_anchor_is_refused(convention):
    with pytest.raises(ValueError, match="before the period start"):
        daily_factor(convention, D(2024, 1, 1), period_start=D(2024, 1, 30))
