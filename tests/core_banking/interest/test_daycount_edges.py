"""Day-count conventions at their edges: stored codes and labels, the value of one day to 34
digits, the bases, and refusals. Pure: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core_banking.interest.daycount import (
    THIRTY_360_CONVENTIONS,
    UNIT_PRECISION,
    Convention,
    basis,
    daily_factor,
    day_count,
    day_value,
    days_in_year,
    is_last_day_of_february,
    year_fraction,
)

D = dt.date


@pytest.mark.parametrize(("code", "convention", "label"), [
    ("act_365f", Convention.ACT_365F, "ACT/365 Fixed"),
    ("act_360", Convention.ACT_360, "ACT/360"),
    ("30_360_isda", Convention.THIRTY_360_ISDA, "30/360 ISDA (Bond basis)"),
    ("30_360_us", Convention.THIRTY_360_US, "30/360 US (NASD/SIA, end-of-February rules)"),
    ("30e_360", Convention.THIRTY_E_360, "30E/360 (Eurobond basis)"),
    ("act_act_isda", Convention.ACT_ACT_ISDA, "ACT/ACT ISDA"),
])
def test_the_stored_codes_and_labels_of_the_conventions(code, convention, label):
    assert Convention(code) is convention and convention.value == code
    assert convention.label == label


def test_the_thirty_360_family():
    assert THIRTY_360_CONVENTIONS == {Convention.THIRTY_360_ISDA, Convention.THIRTY_360_US, Convention.THIRTY_E_360}


@pytest.mark.parametrize(("days", "value"), [
    (360, "0.002777777777777777777777777777777778"),
    (365, "0.002739726027397260273972602739726027"),
    (366, "0.002732240437158469945355191256830601"),
    (1, "1"),
])
def test_one_day_is_one_over_the_basis_rounded_once_to_34_significant_digits(days, value):
    assert UNIT_PRECISION == 34
    assert str(day_value(days)) == value


@pytest.mark.parametrize("days", [0, -360])
def test_a_basis_of_no_days_is_refused(days):
    with pytest.raises(ValueError, match="^a year basis is a positive number of days$"):
        day_value(days)


def test_an_unknown_convention_is_named_in_the_error():
    with pytest.raises(ValueError, match="^unknown day-count convention 'act_366'$"):
        day_count("act_366", D(2024, 1, 1), D(2024, 2, 1))


@pytest.mark.parametrize(("convention", "day", "expected"), [
    (Convention.ACT_365F, D(2024, 6, 1), 365),
    (Convention.ACT_360, D(2024, 6, 1), 360),
    (Convention.THIRTY_360_ISDA, D(2024, 6, 1), 360),
    (Convention.THIRTY_360_US, D(2024, 6, 1), 360),
    (Convention.THIRTY_E_360, D(2024, 6, 1), 360),
    (Convention.ACT_ACT_ISDA, D(2024, 6, 1), 366),
    (Convention.ACT_ACT_ISDA, D(2023, 6, 1), 365),
    ("act_act_isda", D(2100, 6, 1), 365),  # a century year that is not a leap year
])
def test_the_basis_of_each_convention(convention, day, expected):
    assert basis(convention, day) == expected


def test_days_in_a_year_come_from_the_calendar():
    assert [days_in_year(y) for y in (1900, 2000, 2023, 2024)] == [365, 366, 365, 366]


def test_the_last_day_of_february():
    assert is_last_day_of_february(D(2024, 2, 29)) and is_last_day_of_february(D(2023, 2, 28))
    assert not is_last_day_of_february(D(2024, 2, 28))
    assert not is_last_day_of_february(D(2024, 3, 31)) and not is_last_day_of_february(D(2024, 1, 31))


def test_a_period_reversed_by_one_day_is_refused_and_the_error_says_which():
    with pytest.raises(ValueError, match=r"^the period ends \(2024-03-01\) before it starts \(2024-03-02\)$"):
        day_count(Convention.ACT_360, D(2024, 3, 2), D(2024, 3, 1))
    assert day_count(Convention.ACT_360, D(2024, 3, 1), D(2024, 3, 1)) == 0


@pytest.mark.parametrize(("start", "end", "isda", "us", "e"), [
    # D1 = 31 with D2 = 31: ISDA and US both make the pair 30/30.
    (D(2024, 3, 31), D(2024, 5, 31), 60, 60, 60),
    # D1 = 30, D2 = 31 in the same month: one day under ISDA/US (D2 -> 30 only because D1 is 30):
    # 30 - 30 = 0 days.
    (D(2024, 5, 30), D(2024, 5, 31), 0, 0, 0),
    # D1 = 29, D2 = 31: ISDA and US keep 31 (2 days), 30E/360 caps D2 (1 day).
    (D(2024, 5, 29), D(2024, 5, 31), 2, 2, 1),
    # From the last day of a non-leap February to 31 March: US counts D1 as 30 and then D2 as 30.
    (D(2023, 2, 28), D(2023, 3, 31), 33, 30, 32),
    # From the last day of February to the last day of February a year later (both rules of US).
    (D(2023, 2, 28), D(2024, 2, 29), 361, 360, 361),
    # From 28 February in a leap year (not the last day): no February rule.
    (D(2024, 2, 28), D(2024, 3, 31), 33, 33, 32),
    # Whole years: 360 a year.
    (D(2022, 7, 15), D(2024, 7, 15), 720, 720, 720),
])
def test_thirty_360_day_counts(start, end, isda, us, e):
    assert day_count(Convention.THIRTY_360_ISDA, start, end) == isda
    assert day_count(Convention.THIRTY_360_US, start, end) == us
    assert day_count(Convention.THIRTY_E_360, start, end) == e


def test_actual_day_counts_are_calendar_days():
    assert day_count(Convention.ACT_365F, D(2023, 12, 31), D(2024, 3, 1)) == 61
    assert day_count(Convention.ACT_ACT_ISDA, D(2024, 2, 28), D(2024, 3, 1)) == 2


def test_act_act_isda_over_a_period_inside_one_year_and_ending_on_1_january():
    # 31 and 10 times the 34-digit value of one day, exactly.
    assert str(year_fraction(Convention.ACT_ACT_ISDA, D(2024, 12, 1), D(2025, 1, 1))) == \
        "0.084699453551912568306010928961748631"
    assert str(year_fraction(Convention.ACT_ACT_ISDA, D(2023, 3, 1), D(2023, 3, 11))) == \
        "0.027397260273972602739726027397260270"
    assert year_fraction(Convention.ACT_ACT_ISDA, D(2024, 1, 1), D(2024, 1, 1)) == 0


def test_a_thirty_360_daily_factor_anchored_on_its_own_day_is_one_day_or_none():
    one = day_value(360)
    assert daily_factor(Convention.THIRTY_360_ISDA, D(2024, 1, 31), period_start=D(2024, 1, 31)) == one
    assert daily_factor(Convention.THIRTY_360_US, D(2024, 2, 29), period_start=D(2024, 2, 29)) == one
    assert daily_factor(Convention.THIRTY_E_360, D(2024, 1, 31), period_start=D(2024, 1, 31)) == one
    assert daily_factor(Convention.THIRTY_360_ISDA, D(2024, 1, 31), period_start=D(2024, 1, 15)) == 0
    assert isinstance(daily_factor(Convention.THIRTY_E_360, D(2024, 1, 31)), Decimal)


def test_an_actual_daily_factor_ignores_the_anchor():
    assert daily_factor(Convention.ACT_365F, D(2024, 1, 1), period_start=D(2024, 6, 1)) == day_value(365)
    assert daily_factor("act_act_isda", D(2024, 12, 31)) == day_value(366)


def test_a_day_before_its_anchor_is_refused_with_both_dates():
    with pytest.raises(ValueError, match="^2024-01-01 is before the period start 2024-01-30$"):
        daily_factor(Convention.THIRTY_360_US, D(2024, 1, 1), period_start=D(2024, 1, 30))
