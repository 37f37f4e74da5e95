"""Term-deposit arithmetic: pure functions on Decimals and dates, no database.

Daily accrual. Day ``d`` of a deposit (``start_date <= d < maturity_date``) earns::

    accrual(d) = quantize(principal * rate * daily_factor(convention, d, period_start=start_date), 18)

rounded half-even to the ledger's 18 storage places (``core_banking.common.money.quantize``).
The factor comes from ``core_banking.interest.daycount``; it is anchored at the deposit's start
date, so for the 30/360 conventions the factors of the term add up exactly to
``year_fraction(convention, start_date, maturity_date)`` (the telescoping definition). The end of
day computes the same amounts in SQL from factors this module supplies (``eod.accrue``); a test
compares both digit for digit.

Rounding to the currency happens **once** per contract: ``interest = quantize(sum of its daily
accruals, exponent)`` (``interest.calc.capitalise``), then ``tax = quantize(taxable interest *
withholding tax rate, exponent)``. Each night the ledger's accrued interest payable moves to the
running sum rounded the same way, so at maturity it holds exactly ``interest`` for the deposit.

Early withdrawal on business date ``D`` (days ``[start_date, D)`` have earned interest; ``D`` earns
none, the money leaves that day). The penalty is, rounded once::

    penalty = quantize(principal * rate * year_fraction(convention, D - penalty_days, D)   # N days' interest
                       + penalty_rate * accrued,                                          # a share of what accrued
                       exponent)

capped at the interest accrued (``interest``) unless the product says the principal may be
touched, and never more than principal plus interest. It comes out of the interest first, then
out of the principal. Withholding tax is due on the interest that is paid, after the penalty.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from core_banking.common.money import quantize, to_decimal
from core_banking.interest.calc import capitalise
from core_banking.interest.daycount import (
    THIRTY_360_CONVENTIONS,
    WORKING_PRECISION,
    Convention,
    daily_factor,
    year_fraction,
)

STORAGE_EXPONENT = 18  # the ledger's AMOUNT columns
ZERO = Decimal(0)
ONE_DAY = dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months; the 31st becomes the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def maturity_date(start: dt.date, term: int, unit: str) -> dt.date:
    if term < 1:
        raise ValueError("a term is at least one unit")
    return start + dt.timedelta(days=term) if unit == "days" else add_months(start, term)


def factor_anchor(convention: str, start: dt.date) -> dt.date | None:
    """What a daily factor depends on besides the day: the start date for the 30/360
    conventions (the telescoping anchor), nothing for the actual conventions."""
    return start if Convention(convention) in THIRTY_360_CONVENTIONS else None


def deposit_daily_factor(convention: str, start: dt.date, day: dt.date) -> Decimal:
    return daily_factor(convention, day, period_start=factor_anchor(convention, start) or day)


def daily_accrual(principal: Decimal, rate: Decimal, factor: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return quantize(to_decimal(principal) * to_decimal(rate) * factor, STORAGE_EXPONENT)


def accruals(principal: Decimal, rate: Decimal, convention: str, start: dt.date, first: dt.date,
             last: dt.date) -> list[tuple[dt.date, Decimal]]:
    """The (day, accrual) of each day of ``[first, last]``, as the end of day writes them."""
    rows = []
    day = first
    while day <= last:
        rows.append((day, daily_accrual(principal, rate, deposit_daily_factor(convention, start, day))))
        day += ONE_DAY
    return rows


@dataclass(frozen=True, slots=True)
class Settlement:
    interest: Decimal  # the accrued interest rounded once to the currency
    penalty: Decimal  # >= 0, of which ``principal_penalty`` comes out of the principal
    principal_penalty: Decimal
    tax: Decimal  # withheld on the interest paid (interest less the part of the penalty it bore)
    payout: Decimal  # principal - principal_penalty + interest - (penalty - principal_penalty) - tax

    @property
    def net_interest(self) -> Decimal:
        return self.interest - (self.penalty - self.principal_penalty) - self.tax


def _tax(taxable: Decimal, rate: Decimal, exponent: int) -> Decimal:
    return quantize(taxable * to_decimal(rate), exponent) if taxable > 0 else quantize(ZERO, exponent)


def settle(*, principal: Decimal, accrued: Iterable[Decimal], exponent: int, withholding_tax_rate: Decimal,
           penalty: Decimal = ZERO) -> Settlement:
    """Round the accruals once, take the penalty (interest first), withhold tax on the rest."""
    rounded = capitalise(list(accrued), exponent)
    interest = rounded.interest
    penalty = quantize(to_decimal(penalty), exponent)
    from_interest = min(penalty, interest)
    from_principal = penalty - from_interest
    tax = _tax(interest - from_interest, withholding_tax_rate, exponent)
    payout = quantize(principal - from_principal + interest - from_interest - tax, exponent)  # exact
    return Settlement(interest=interest, penalty=penalty, principal_penalty=from_principal, tax=tax, payout=payout)


def early_withdrawal_penalty(*, principal: Decimal, rate: Decimal, convention: str, withdrawal_date: dt.date,
                             accrued: Decimal, exponent: int, penalty_days: int, penalty_rate: Decimal,
                             may_touch_principal: bool) -> Decimal:
    """The penalty rule of the module docstring, rounded once to the currency."""
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        days_part = ZERO
        if penalty_days:
            days_part = to_decimal(principal) * to_decimal(rate) * year_fraction(
                convention, withdrawal_date - dt.timedelta(days=penalty_days), withdrawal_date)
        raw = days_part + to_decimal(penalty_rate) * to_decimal(accrued)
    penalty = quantize(raw, exponent)
    interest = quantize(to_decimal(accrued), exponent)
    cap = principal + interest if may_touch_principal else interest
    return min(penalty, cap)
