"""Accrual arithmetic: worked examples for the issue's rules, rounded once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core_banking.common.money import quantize
from core_banking.interest import calc
from core_banking.interest.daycount import Convention

D = dt.date
ACT_365F = Convention.ACT_365F
LONG_AGO = D(2020, 1, 1)


def schedule(credit="0.025", debit="0", tiers=(), *, mode=calc.TierMode.WHOLE_BALANCE, minimum="0",
             tax="0", since=LONG_AGO, more=()) -> calc.RateSchedule:
    first = calc.RateVersion(since, Decimal(credit), Decimal(debit),
                             tuple(calc.Tier(Decimal(f), Decimal(r)) for f, r in tiers))
    return calc.RateSchedule(versions=(first, *more), tier_mode=mode, minimum_balance=Decimal(minimum),
                             withholding_tax_rate=Decimal(tax))


FEBRUARY_2024 = calc.daily_balances(
    [(D(2024, 2, 1), Decimal("10000.00")), (D(2024, 2, 15), Decimal("15000.00")),
     (D(2024, 2, 25), Decimal("13000.00"))],
    end=D(2024, 3, 1),
)


def test_the_issue_worked_example_earns_24_32_for_february_2024():
    """2.5 % ACT/365F on 10,000.00 (1-14 Feb), 15,000.00 (15-24 Feb), 13,000.00 (25-29 Feb):
    (14 * 10,000 + 10 * 15,000 + 5 * 13,000) * 0.025 / 365 = 8,875 / 365 = 24.3150... -> 24.32."""
    assert len(FEBRUARY_2024) == 29
    accruals = calc.accrue_period(FEBRUARY_2024, schedule(), ACT_365F)

    result = calc.capitalise(accruals, 2)

    assert result.interest == Decimal("24.32")
    assert result.net == Decimal("24.32") and result.withholding_tax == Decimal("0.00")
    assert quantize(result.accrued, 20) == Decimal("24.31506849315068493151")


def test_rounding_each_day_would_give_24_27_which_is_wrong():
    accruals = calc.accrue_period(FEBRUARY_2024, schedule(), ACT_365F)

    per_day_rounded = sum((quantize(a, 2) for a in accruals), Decimal(0))

    # 0.68 * 14 + 1.03 * 10 + 0.89 * 5
    assert per_day_rounded == Decimal("24.27")
    assert calc.capitalise(accruals, 2).interest == Decimal("24.32") != per_day_rounded


def test_the_average_daily_balance_basis_gives_the_same_24_32_without_tiers():
    total = calc.accrue_average(FEBRUARY_2024, schedule(), ACT_365F)

    assert calc.capitalise([total], 2).interest == Decimal("24.32")
    assert quantize(calc.average_daily_balance(b for _, b in FEBRUARY_2024), 10) == Decimal("12241.3793103448")


TIERS = [("10000", "0.02"), ("50000", "0.03")]  # band 0: 0 - 9,999.99 at 1 %


@pytest.mark.parametrize(("balance", "whole", "marginal"), [
    ("5000", "50", "50"),
    ("9999.99", "99.9999", "99.9999"),
    ("10000", "200", "100"),  # the threshold belongs to the band it starts
    ("60000", "1800", "1200"),  # 10,000 * 1 % + 40,000 * 2 % + 10,000 * 3 %
])
def test_tiered_rates_whole_balance_and_marginal(balance, whole, marginal):
    version = schedule("0.01", tiers=TIERS).versions[0]

    assert calc.annual_interest(Decimal(balance), version, tier_mode="whole_balance") == Decimal(whole)
    assert calc.annual_interest(Decimal(balance), version, tier_mode="marginal") == Decimal(marginal)


def test_tiered_interest_over_a_year_rounds_to_the_annual_amount():
    year = calc.daily_balances([(D(2023, 1, 1), Decimal("60000.00"))], end=D(2024, 1, 1))  # 365 days

    whole = calc.accrue_period(year, schedule("0.01", tiers=TIERS), ACT_365F)
    marginal = calc.accrue_period(year, schedule("0.01", tiers=TIERS, mode=calc.TierMode.MARGINAL), ACT_365F)

    assert calc.capitalise(whole, 2).interest == Decimal("1800.00")
    assert calc.capitalise(marginal, 2).interest == Decimal("1200.00")


def test_a_tier_from_zero_replaces_the_base_rate_and_the_blended_rate_is_reported():
    version = schedule("0.01", tiers=[("0", "0.015"), ("1000", "0.02")]).versions[0]

    assert calc.annual_interest(Decimal("500"), version) == Decimal("7.5")
    assert calc.effective_rate(Decimal("2000"), version, tier_mode="marginal") == Decimal("0.0175")
    assert calc.effective_rate(Decimal("0"), version) == Decimal("0.015")


def test_below_the_minimum_balance_no_credit_interest_accrues_at_it_the_whole_balance_earns():
    terms = schedule("0.02", "0.10", minimum="1000.00")
    day = D(2024, 5, 1)

    assert calc.accrue_daily(Decimal("999.99"), terms, day, ACT_365F) == 0
    assert calc.annual_interest(Decimal("1000.00"), terms.versions[0], minimum_balance=Decimal("1000")) == 20
    # The minimum is a threshold for credit interest only: an overdraft still pays.
    assert calc.accrue_daily(Decimal("-10.00"), terms, day, ACT_365F) < 0


def test_an_overdrawn_balance_accrues_debit_interest_at_the_debit_rate_and_is_never_taxed():
    terms = schedule("0.02", "0.12", tax="0.25")
    april = calc.daily_balances([(D(2024, 4, 1), Decimal("-1000.00"))], end=D(2024, 5, 1))

    accruals = calc.accrue_period(april, terms, Convention.ACT_360)
    result = calc.capitalise(accruals, 2, withholding_tax_rate=terms.withholding_tax_rate)

    # -1,000.00 * 12 % * 30 / 360
    assert result == calc.Capitalisation(interest=Decimal("-10.00"), withholding_tax=Decimal("0.00"),
                                         net=Decimal("-10.00"), accrued=result.accrued)
    assert quantize(result.accrued, 30) == Decimal("-10")


def test_tiers_on_the_average_daily_balance_differ_from_tiers_on_each_end_of_day_balance():
    terms = schedule("0.01", tiers=[("10000", "0.02")])
    june = calc.daily_balances([(D(2024, 6, 1), Decimal("5000")), (D(2024, 6, 16), Decimal("15000"))],
                               end=D(2024, 7, 1))

    end_of_day = calc.capitalise(calc.accrue_period(june, terms, ACT_365F), 2).interest
    average = calc.capitalise([calc.accrue_average(june, terms, ACT_365F)], 2).interest

    assert end_of_day == Decimal("14.38")  # (5,000 * 1 % * 15 + 15,000 * 2 % * 15) / 365 = 5,250 / 365
    assert average == Decimal("16.44")  # 10,000 at 2 % for 30 days: 6,000 / 365


def test_average_daily_balance_increments_add_up_to_the_period_interest():
    terms = schedule("0.01", tiers=[("10000", "0.02")])
    june = calc.daily_balances([(D(2024, 6, 1), Decimal("5000")), (D(2024, 6, 16), Decimal("15000"))],
                               end=D(2024, 7, 1))
    accrued = Decimal(0)
    increments = []
    for n in range(1, len(june) + 1):
        step = calc.average_accrual_increment(june[:n], accrued, terms, ACT_365F)
        increments.append(step)
        accrued = accrued + step

    assert calc.capitalise(increments, 2).interest == Decimal("16.44")
    assert any(step > increments[0] for step in increments)  # crossing the tier raises the whole average's rate


def test_a_rate_change_mid_period_splits_the_period_at_its_effective_date():
    terms = schedule("0.02", more=(calc.RateVersion(D(2024, 3, 16), Decimal("0.03")),))
    march = calc.daily_balances([(D(2024, 3, 1), Decimal("10000.00"))], end=D(2024, 4, 1))

    result = calc.capitalise(calc.accrue_period(march, terms, ACT_365F), 2)

    # 15 days at 2 % and 16 days at 3 %: (15 * 200 + 16 * 300) / 365 = 7,800 / 365 = 21.369...
    assert result.interest == Decimal("21.37")
    assert terms.version_on(D(2024, 3, 15)).credit_rate == Decimal("0.02")
    assert terms.version_on(D(2024, 3, 16)).credit_rate == Decimal("0.03")
    with pytest.raises(calc.NoRateInForce):
        terms.version_on(D(2019, 12, 31))


def test_capitalisation_over_several_months_with_withholding_compounds_the_net_interest():
    """2.5 % ACT/ACT ISDA (2024 is a leap year: every day is 1/366), 25 % withholding, monthly;
    each month's net interest is credited to the balance on the 1st of the next month."""
    terms = schedule("0.025", tax="0.25")
    balance = Decimal("10000.00")
    results = []
    for month in (1, 2, 3, 4):
        days = [(day, balance) for day in calc.month_days(2024, month)]
        result = calc.capitalise(calc.accrue_period(days, terms, Convention.ACT_ACT_ISDA), 2,
                                 withholding_tax_rate=terms.withholding_tax_rate)
        results.append((result.interest, result.withholding_tax, result.net))
        balance += result.net

    # January: 10,000.00 * 2.5 % * 31/366 = 21.1748... -> 21.17; tax 21.17 * 25 % = 5.2925 -> 5.29.
    assert results == [
        (Decimal("21.17"), Decimal("5.29"), Decimal("15.88")),
        (Decimal("19.84"), Decimal("4.96"), Decimal("14.88")),  # on 10,015.88 for 29 days
        (Decimal("21.24"), Decimal("5.31"), Decimal("15.93")),  # on 10,030.76 for 31 days
        (Decimal("20.59"), Decimal("5.15"), Decimal("15.44")),  # on 10,046.69 for 30 days
    ]
    assert balance == Decimal("10062.13")


def test_thirty_360_capitalisation_gives_equal_months_including_february():
    terms = schedule("0.03")
    balance = Decimal("12000.00")
    for convention in (Convention.THIRTY_360_ISDA, Convention.THIRTY_360_US, Convention.THIRTY_E_360):
        for month in (1, 2, 3, 4):  # 31, 29, 31 and 30 days: each one 30/360
            days = [(day, balance) for day in calc.month_days(2024, month)]
            assert calc.capitalise(calc.accrue_period(days, terms, convention), 2).interest == Decimal("30.00")


def test_rounding_happens_once_and_tax_ties_round_half_even():
    assert calc.capitalise([Decimal("0.004"), Decimal("0.004")], 2).interest == Decimal("0.01")
    # 10.30 * 15 % = 1.545 -> 1.54 (to even); 10.10 * 15 % = 1.515 -> 1.52.
    assert calc.capitalise([Decimal("10.30")], 2, withholding_tax_rate=Decimal("0.15")).net == Decimal("8.76")
    assert calc.capitalise([Decimal("10.10")], 2, withholding_tax_rate=Decimal("0.15")).withholding_tax \
        == Decimal("1.52")
    assert calc.capitalise([], 0).interest == Decimal("0")
    with pytest.raises(TypeError, match="float"):
        calc.capitalise([0.1], 2)


def test_rates_and_schedules_outside_their_bounds_are_refused():
    with pytest.raises(calc.InvalidRate):
        calc.RateVersion(D(2024, 1, 1), Decimal("1"))
    with pytest.raises(calc.InvalidRate):
        calc.RateVersion(D(2024, 1, 1), Decimal("0.01"), debit_rate=Decimal("-0.01"))
    with pytest.raises(calc.InvalidRate):
        calc.Tier(Decimal("-1"), Decimal("0.01"))
    with pytest.raises(calc.InvalidRate):
        calc.RateVersion(D(2024, 1, 1), Decimal("0.01"), tiers=(calc.Tier(Decimal(5), Decimal("0.01")),
                                                                   calc.Tier(Decimal(5), Decimal("0.02"))))
    with pytest.raises(calc.InvalidRate):
        schedule(tax="1")
    with pytest.raises(calc.InvalidRate):
        schedule(more=(calc.RateVersion(D(2020, 1, 1), Decimal("0.01")),))


@pytest.mark.parametrize(("frequency", "day", "bounds", "end"), [
    ("monthly", D(2024, 2, 29), (D(2024, 2, 1), D(2024, 3, 1)), True),
    ("monthly", D(2024, 12, 15), (D(2024, 12, 1), D(2025, 1, 1)), False),
    ("quarterly", D(2024, 2, 29), (D(2024, 1, 1), D(2024, 4, 1)), False),
    ("quarterly", D(2024, 12, 31), (D(2024, 10, 1), D(2025, 1, 1)), True),
    ("annually", D(2024, 7, 1), (D(2024, 1, 1), D(2025, 1, 1)), False),
])
def test_capitalisation_periods(frequency, day, bounds, end):
    assert calc.period_bounds(frequency, day) == bounds
    assert calc.is_period_end(frequency, day) is end
