"""The set-based SQL accrual agrees digit for digit with the Python day counts."""

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import pytest

from core_banking.deposits import eod
from core_banking.deposits.models import DepositAccrual
from core_banking.interest import daycount
from core_banking.interest.daycount import THIRTY_360_CONVENTIONS, Convention
from tests.core_banking.deposits.conftest import deposit_product, open_deposit, set_business_date

pytestmark = pytest.mark.django_db

D = dt.date


def expected(principal: Decimal, rate: Decimal, convention: str, start: dt.date, end: dt.date) -> dict:
    """Each day of [start, end): principal x rate x daycount.daily_factor, half even at 18 places,
    computed here independently of the app's own helpers."""
    rows = {}
    day = start
    anchor = start if Convention(convention) in THIRTY_360_CONVENTIONS else None
    with localcontext() as ctx:
        ctx.prec = 100
        while day < end:
            factor = daycount.daily_factor(convention, day, period_start=anchor)
            rows[day] = (principal * rate * factor).quantize(Decimal("1e-18"), rounding=ROUND_HALF_EVEN)
            day += dt.timedelta(days=1)
    return rows


@pytest.mark.parametrize("convention", [c.value for c in Convention])
def test_sql_accruals_match_python_across_a_year_end_and_29_february(bank, funding, convention):
    # One deposit over the turn of the year 2023/2024 (ACT/ACT ISDA changes basis there), one
    # over 29 February 2024 and the end of a 31-day month, one started on the 31st.
    product = deposit_product(bank, code=f"TD-{convention.upper().replace('_', '')[:20]}", convention=convention,
                              term_unit="days", min_term=1, max_term=400)
    set_business_date(D(2023, 12, 20))
    year_end = open_deposit(product, funding, amount="12345.67", term=75, rate=Decimal("0.0375"))
    set_business_date(D(2024, 1, 31))
    thirty_first = open_deposit(product, funding, amount="999.99", term=45, rate=Decimal("0.01234567"))
    set_business_date(D(2024, 2, 10))
    leap = open_deposit(product, funding, amount="25000.00", term=60, rate=Decimal("0.045"))
    deposits = [year_end, thirty_first, leap]

    # Three end-of-day runs, each catching up the days since the last.
    for day in (D(2024, 2, 10), D(2024, 2, 29), D(2024, 4, 30)):
        set_business_date(day)
        ids = list(eod.accrue_population(day))
        assert eod.accrue(day, ids[0], ids[-1]) > 0
    assert list(eod.accrue_population(D(2024, 4, 30))) == []

    for deposit in deposits:
        rows = dict(DepositAccrual.objects.filter(deposit=deposit).values_list("accrual_date", "amount"))
        want = expected(deposit.principal, deposit.rate, convention, deposit.start_date, deposit.maturity_date)
        assert rows == want, convention
        deposit.refresh_from_db()
        assert deposit.accrued_interest == sum(want.values())
        # The factors of the term add up to the term's year fraction (to the 18 stored places).
        factors = DepositAccrual.objects.filter(deposit=deposit).values_list("daily_factor", flat=True)
        fraction = daycount.year_fraction(convention, deposit.start_date, deposit.maturity_date)
        with localcontext() as ctx:
            ctx.prec = 100
            assert sum(factors, Decimal(0)) == fraction


def test_the_leap_day_and_the_year_end_under_act_act_isda(bank, funding):
    product = deposit_product(bank, code="TD-AA", convention="act_act_isda", term_unit="days", min_term=1,
                              max_term=400)
    set_business_date(D(2023, 12, 30))
    deposit = open_deposit(product, funding, amount="36600.00", term=62, rate=Decimal("0.05"))
    set_business_date(D(2024, 3, 1))
    eod.accrue(D(2024, 3, 1), deposit.pk, deposit.pk)
    rows = dict(DepositAccrual.objects.filter(deposit=deposit).values_list("accrual_date", "amount"))
    # 36600 x 5 % = 1830 a year: 1830/365 in 2023, 1830/366 = exactly 5 in 2024 (29 February too).
    assert rows[D(2023, 12, 31)] == Decimal("5.013698630136986301")
    assert rows[D(2024, 1, 1)] == rows[D(2024, 2, 29)] == Decimal("5.000000000000000000")
    assert len(rows) == 62 and max(rows) == D(2024, 2, 29)  # matures on 1 March


def test_thirty_360_accrues_nothing_on_the_31st_and_three_days_on_28_february(bank, funding):
    product = deposit_product(bank, code="TD-30", convention="30_360_isda", term_unit="months")
    set_business_date(D(2025, 1, 1))
    deposit = open_deposit(product, funding, amount="36000.00", term=3, rate=Decimal("0.05"))
    set_business_date(D(2025, 4, 1))
    eod.accrue(D(2025, 4, 1), deposit.pk, deposit.pk)
    rows = dict(DepositAccrual.objects.filter(deposit=deposit).values_list("accrual_date", "amount"))
    assert rows[D(2025, 1, 15)] == Decimal("5.000000000000000000")  # 36000 x 5 % / 360
    assert rows[D(2025, 1, 31)] == Decimal("0")
    assert rows[D(2025, 2, 28)] == Decimal("15.000000000000000000")
    deposit.refresh_from_db()
    assert deposit.accrued_interest == Decimal("450.000000000000000000")  # a quarter: 90/360 exactly
