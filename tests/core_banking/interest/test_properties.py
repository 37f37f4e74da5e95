"""Properties of the day-count and accrual arithmetic, over generated dates, balances and rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from core_banking.interest import calc
from core_banking.interest.daycount import WORKING_PRECISION, Convention, daily_factor, year_fraction

conventions = st.sampled_from(list(Convention))
dates = st.dates(min_value=dt.date(1999, 1, 1), max_value=dt.date(2031, 12, 31))
lengths = st.integers(min_value=0, max_value=800)
balances = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000000"), places=2)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.99999999"), places=8)


def total(values) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return sum(values, Decimal(0))


@settings(max_examples=300, deadline=None)
@given(convention=conventions, start=dates, length=lengths)
def test_daily_factors_sum_exactly_to_the_year_fraction_of_any_period(convention, start, length):
    end = start + dt.timedelta(days=length)
    factors = [daily_factor(convention, day, period_start=start) for day in calc.days_of(start, end)]

    assert all(f >= 0 for f in factors)
    assert total(factors) == year_fraction(convention, start, end)


@settings(max_examples=200, deadline=None)
@given(convention=conventions, start=dates, length=lengths)
def test_with_the_default_anchor_periods_starting_on_the_first_sum_exactly(convention, start, length):
    start = start.replace(day=1)
    end = start + dt.timedelta(days=length)

    assert total(daily_factor(convention, day) for day in calc.days_of(start, end)) == year_fraction(
        convention, start, end)


@settings(max_examples=200, deadline=None)
@given(convention=conventions, day=dates, b1=balances, b2=balances, rate=rates)
def test_accrual_is_linear_in_the_balance_without_tiers(convention, day, b1, b2, rate):
    terms = calc.RateSchedule(versions=(calc.RateVersion(dt.date(1990, 1, 1), rate),))

    a1 = calc.accrue_daily(b1, terms, day, convention)
    a2 = calc.accrue_daily(b2, terms, day, convention)
    together = calc.accrue_daily(b1 + b2, terms, day, convention)

    assert total([a1, a2]) == together
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        assert calc.accrue_daily(b1 * 3, terms, day, convention) == a1 * 3


@settings(max_examples=200, deadline=None)
@given(convention=conventions, day=dates, mode=st.sampled_from(list(calc.TierMode)),
       x=st.decimals(min_value=Decimal("0"), max_value=Decimal("39999.99"), places=2),
       y=st.decimals(min_value=Decimal("0"), max_value=Decimal("39999.99"), places=2))
def test_within_a_band_the_accrual_is_linear_in_the_balance(convention, day, mode, x, y):
    """In the band [10,000, 50,000) at 2 %: whole-balance accrual is proportional to the balance;
    marginal accrual changes by exactly the band's rate on the difference."""
    terms = calc.RateSchedule(
        versions=(calc.RateVersion(dt.date(1990, 1, 1), Decimal("0.01"),
                                   tiers=(calc.Tier(Decimal("10000"), Decimal("0.02")),
                                          calc.Tier(Decimal("50000"), Decimal("0.03")))),),
        tier_mode=mode,
    )
    b1, b2 = Decimal("10000") + x, Decimal("10000") + y
    a1, a2 = (calc.accrue_daily(b, terms, day, convention) for b in (b1, b2))
    factor = daily_factor(convention, day)

    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        if mode is calc.TierMode.WHOLE_BALANCE:
            assert a1 * b2 == a2 * b1
        else:
            assert a2 - a1 == (b2 - b1) * Decimal("0.02") * factor


tier_lists = st.lists(
    st.tuples(st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2), rates),
    max_size=4, unique_by=lambda t: t[0],
)


@settings(max_examples=300, deadline=None)
@given(convention=conventions, day=dates, mode=st.sampled_from(list(calc.TierMode)),
       balance=st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000000"), places=2),
       credit=rates, debit=rates, tiers=tier_lists, tax=rates,
       minimum=st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2))
def test_a_positive_balance_never_earns_negative_credit_interest(convention, day, mode, balance, credit, debit,
                                                                  tiers, tax, minimum):
    terms = calc.RateSchedule(
        versions=(calc.RateVersion(dt.date(1990, 1, 1), credit, debit, tuple(calc.Tier(f, r) for f, r in tiers)),),
        tier_mode=mode, minimum_balance=minimum, withholding_tax_rate=tax,
    )

    accrual = calc.accrue_daily(balance, terms, day, convention)
    result = calc.capitalise([accrual] * 31, 2, withholding_tax_rate=tax)

    assert accrual >= 0
    assert result.interest >= 0 and result.withholding_tax >= 0 and 0 <= result.net <= result.interest
    assert abs(result.interest - result.accrued) <= Decimal("0.005")


@settings(max_examples=200, deadline=None)
@given(convention=conventions, day=dates, balance=balances, debit=rates)
def test_an_overdrawn_balance_never_earns_credit_interest(convention, day, balance, debit):
    terms = calc.RateSchedule(versions=(calc.RateVersion(dt.date(1990, 1, 1), Decimal("0.05"), debit),))

    assert calc.accrue_daily(-balance, terms, day, convention) <= 0
