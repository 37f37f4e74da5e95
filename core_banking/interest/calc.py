"""Interest arithmetic: pure functions on Decimals, no database.

Signs. A balance is in the account's normal orientation (a deposit account in credit is
positive, overdrawn is negative). An accrual is signed the same way: positive is interest the
bank owes the customer (credit interest), negative is interest the customer owes the bank (debit
interest, or a negative credit rate).

Rates are annual fractions: ``0.025`` is 2.5 %.

* **Credit interest** (balance >= 0) uses the version's ``credit_rate`` and its tiers:
  band 0 runs from 0 at ``credit_rate``; each ``Tier`` starts a band at ``from_balance`` with its
  own rate (a tier at 0 replaces ``credit_rate``). ``TierMode.WHOLE_BALANCE``: the whole balance
  earns the rate of the band it falls in (the highest band whose ``from_balance <= balance``).
  ``TierMode.MARGINAL``: each slice of the balance earns the rate of the band it falls in
  (like income-tax brackets), so crossing a threshold never makes the interest jump.
* **Minimum balance**: a credit balance below ``minimum_balance`` earns nothing; at or above it,
  the whole balance earns (a threshold, not a deduction).
* **Debit interest** (balance < 0) is ``balance * debit_rate`` (``debit_rate >= 0``): not tiered,
  no minimum.
* **Effective-dated rates**: a ``RateSchedule`` holds ``RateVersion``s; the one in force on a day
  is the latest with ``effective_from <= day``. Each day accrues at its own version's rates, so a
  change mid-period splits the period exactly.
* **Daily accrual** (end-of-day basis): ``accrual(day) = annual_interest(balance(day)) *
  daily_factor(convention, day)``, unrounded, computed in a context of ``WORKING_PRECISION`` (100)
  significant digits; never a float.
* **Average daily balance** basis: the average of the end-of-day balances of the period's days
  (unrounded), accrued for each of those days as above (so rate changes still split the period).
  The end of day records one row a day: the interest on the average *to date* minus what is
  already accrued (``average_accrual_increment``), so the running total is always the interest on
  the average so far and the last day of the period leaves exactly the average-basis interest.

Rounding (``capitalise``), once, at the end of the capitalisation period, with
``core_banking.common.money.quantize`` (ROUND_HALF_EVEN) in this order:

1. ``interest = quantize(sum of the unrounded daily accruals, exponent)``;
2. ``tax = quantize(interest * withholding_tax_rate, exponent)`` when ``interest > 0`` (credit
   interest only; debit interest is never taxed), else 0;
3. ``net = interest - tax`` (exact: both are already at the exponent).

The caller that posts credit and debit interest separately calls ``capitalise`` once with the
accruals of the days in credit and once with those of the days overdrawn.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum

from core_banking.common.errors import DomainError, ValidationFailed
from core_banking.common.money import quantize, to_decimal

from .daycount import WORKING_PRECISION, Convention, daily_factor

ZERO = Decimal(0)
ONE = Decimal(1)


class NoRateInForce(DomainError):
    code = "interest_rate_not_in_force"
    status = 422
    title = "No interest rate is in force on that date"


class InvalidRate(ValidationFailed):
    code = "invalid_interest_rate"
    title = "The interest rate definition is not valid"


class TierMode(StrEnum):
    WHOLE_BALANCE = "whole_balance"
    MARGINAL = "marginal"


class AccrualBasis(StrEnum):
    END_OF_DAY = "end_of_day"
    AVERAGE_DAILY = "average_daily"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"


_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.ANNUALLY: 12}


def _rate(value: object, name: str) -> Decimal:
    rate = to_decimal(value)
    if not (-ONE < rate < ONE):
        raise InvalidRate(f"{name} {rate} is outside the allowed range (-1, 1)")
    return rate


@dataclass(frozen=True, slots=True)
class Tier:
    """A credit band starting at ``from_balance`` (inclusive) at an annual ``rate``."""

    from_balance: Decimal
    rate: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "from_balance", to_decimal(self.from_balance))
        object.__setattr__(self, "rate", _rate(self.rate, "tier rate"))
        if self.from_balance < 0:
            raise InvalidRate(f"a tier starts at a balance >= 0, not {self.from_balance}")


@dataclass(frozen=True, slots=True)
class RateVersion:
    """The rates in force from ``effective_from`` until the next version starts."""

    effective_from: dt.date
    credit_rate: Decimal
    debit_rate: Decimal = ZERO
    tiers: tuple[Tier, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "credit_rate", _rate(self.credit_rate, "credit rate"))
        debit = to_decimal(self.debit_rate)
        if not (ZERO <= debit < ONE):
            raise InvalidRate(f"debit rate {debit} is outside the allowed range [0, 1)")
        object.__setattr__(self, "debit_rate", debit)
        tiers = tuple(sorted(self.tiers, key=lambda t: t.from_balance))
        starts = [t.from_balance for t in tiers]
        if len(set(starts)) != len(starts):
            raise InvalidRate("two tiers of a version start at the same balance")
        object.__setattr__(self, "tiers", tiers)

    def bands(self) -> list[tuple[Decimal, Decimal | None, Decimal]]:
        """The credit bands as (from, to or None, rate), ascending, covering [0, infinity)."""
        starts: list[tuple[Decimal, Decimal]] = []
        if not self.tiers or self.tiers[0].from_balance > 0:
            starts.append((ZERO, self.credit_rate))
        starts.extend((t.from_balance, t.rate) for t in self.tiers)
        return [(lo, starts[i + 1][0] if i + 1 < len(starts) else None, rate) for i, (lo, rate) in enumerate(starts)]


@dataclass(frozen=True, slots=True)
class RateSchedule:
    """A schedule's effective-dated versions and the rules that do not change by version."""

    versions: tuple[RateVersion, ...]
    tier_mode: TierMode = TierMode.WHOLE_BALANCE
    minimum_balance: Decimal = ZERO
    withholding_tax_rate: Decimal = ZERO
    _starts: tuple[dt.date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        versions = tuple(sorted(self.versions, key=lambda v: v.effective_from))
        starts = tuple(v.effective_from for v in versions)
        if len(set(starts)) != len(starts):
            raise InvalidRate("two versions of a schedule start on the same date")
        object.__setattr__(self, "versions", versions)
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "tier_mode", TierMode(self.tier_mode))
        minimum = to_decimal(self.minimum_balance)
        if minimum < 0:
            raise InvalidRate("the minimum balance is not negative")
        object.__setattr__(self, "minimum_balance", minimum)
        tax = to_decimal(self.withholding_tax_rate)
        if not (ZERO <= tax < ONE):
            raise InvalidRate(f"withholding tax rate {tax} is outside the allowed range [0, 1)")
        object.__setattr__(self, "withholding_tax_rate", tax)

    def version_on(self, day: dt.date) -> RateVersion:
        i = bisect.bisect_right(self._starts, day)
        if i == 0:
            raise NoRateInForce(f"no interest rate is in force on {day.isoformat()}", date=day.isoformat())
        return self.versions[i - 1]


def annual_interest(balance: Decimal, version: RateVersion, *, tier_mode: TierMode | str = TierMode.WHOLE_BALANCE,
                    minimum_balance: Decimal = ZERO) -> Decimal:
    """A year's interest on a constant ``balance`` under one version, unrounded and signed."""
    balance = to_decimal(balance)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        if balance < 0:
            return balance * version.debit_rate
        if balance == 0 or balance < minimum_balance:
            return ZERO
        bands = version.bands()
        if TierMode(tier_mode) is TierMode.WHOLE_BALANCE:
            rate = next(rate for lo, hi, rate in reversed(bands) if lo <= balance)
            return balance * rate
        total = ZERO
        for lo, hi, rate in bands:
            if balance <= lo:
                break
            top = balance if hi is None else min(balance, hi)
            total += (top - lo) * rate
        return total


def effective_rate(balance: Decimal, version: RateVersion, *, tier_mode: TierMode | str = TierMode.WHOLE_BALANCE,
                   minimum_balance: Decimal = ZERO) -> Decimal:
    """The single annual rate equivalent to ``annual_interest`` at this balance (the blended rate
    of marginal bands), unrounded; for a zero balance the rate of the first band."""
    balance = to_decimal(balance)
    if balance == 0:
        return version.bands()[0][2]
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return annual_interest(balance, version, tier_mode=tier_mode, minimum_balance=minimum_balance) / balance


def accrue_daily(balance: Decimal, rate_schedule: RateSchedule, day: dt.date, convention: Convention | str, *,
                 period_start: dt.date | None = None) -> Decimal:
    """The unrounded interest one day earns on an end-of-day ``balance`` (signed).

    ``period_start`` anchors the 30/360 daily factor (see ``daycount.daily_factor``): the first
    accrual day of the capitalisation period; the default (the 1st of ``day``'s month) is right
    for every period that starts on the 1st of a month.
    """
    version = rate_schedule.version_on(day)
    annual = annual_interest(balance, version, tier_mode=rate_schedule.tier_mode,
                             minimum_balance=rate_schedule.minimum_balance)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return annual * daily_factor(convention, day, period_start=period_start)


def _checked_days(balances: Iterable[tuple[dt.date, Decimal]]) -> list[tuple[dt.date, Decimal]]:
    rows = sorted((day, to_decimal(balance)) for day, balance in balances)
    days = [day for day, _ in rows]
    if len(set(days)) != len(days):
        raise ValueError("a day appears twice in the balances")
    return rows


def accrue_period(balances: Iterable[tuple[dt.date, Decimal]], rate_schedule: RateSchedule,
                  convention: Convention | str, *, period_start: dt.date | None = None) -> list[Decimal]:
    """End-of-day basis: the unrounded accrual of each (day, end-of-day balance), in day order."""
    rows = _checked_days(balances)
    return [accrue_daily(balance, rate_schedule, day, convention, period_start=period_start) for day, balance in rows]


def average_daily_balance(balances: Iterable[Decimal]) -> Decimal:
    """The unrounded mean of the end-of-day balances."""
    values = [to_decimal(b) for b in balances]
    if not values:
        raise ValueError("no balances to average")
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return sum(values, ZERO) / len(values)


def accrue_average(balances: Iterable[tuple[dt.date, Decimal]], rate_schedule: RateSchedule,
                   convention: Convention | str, *, period_start: dt.date | None = None) -> Decimal:
    """Average-daily-balance basis: the unrounded interest of the given days on the average of
    their end-of-day balances, each day at its own rate version and daily factor."""
    rows = _checked_days(balances)
    average = average_daily_balance(b for _, b in rows)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return sum((accrue_daily(average, rate_schedule, day, convention, period_start=period_start)
                    for day, _ in rows), ZERO)


def average_accrual_increment(balances_to_date: Iterable[tuple[dt.date, Decimal]], accrued_so_far: Decimal,
                              rate_schedule: RateSchedule, convention: Convention | str, *,
                              period_start: dt.date | None = None) -> Decimal:
    """What the last day of ``balances_to_date`` adds on the average-daily-balance basis: the
    interest on the average so far, minus ``accrued_so_far`` in this period (may be negative
    when the average falls)."""
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        total = accrue_average(balances_to_date, rate_schedule, convention, period_start=period_start)
        return total - to_decimal(accrued_so_far)


@dataclass(frozen=True, slots=True)
class Capitalisation:
    interest: Decimal  # signed: > 0 credit interest to the customer, < 0 debit interest charged
    withholding_tax: Decimal  # >= 0, withheld from credit interest
    net: Decimal  # interest - withholding_tax: what the customer's account receives (or pays)
    accrued: Decimal  # the unrounded sum that was rounded


def capitalise(accruals: Iterable[Decimal], exponent: int, *, withholding_tax_rate: Decimal = ZERO,
               rounding: str = ROUND_HALF_EVEN) -> Capitalisation:
    """Round a period's unrounded accruals once, and withhold tax on credit interest (order in
    the module docstring). ``rounding`` names another rule only for a documented reason."""
    tax_rate = to_decimal(withholding_tax_rate)
    if not (ZERO <= tax_rate < ONE):
        raise InvalidRate(f"withholding tax rate {tax_rate} is outside the allowed range [0, 1)")
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        accrued = sum((to_decimal(a) for a in accruals), ZERO)
        interest = quantize(accrued, exponent, rounding=rounding)
        tax = quantize(interest * tax_rate, exponent, rounding=rounding) if interest > 0 else quantize(ZERO, exponent)
        return Capitalisation(interest=interest, withholding_tax=tax, net=interest - tax, accrued=accrued)


def period_bounds(frequency: Frequency | str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The capitalisation period ``day`` falls in, as ``[first day, first day of the next)``:
    calendar months, quarters (January, April, July, October) or years."""
    months = _MONTHS[Frequency(frequency)]
    first_month = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first_month, 1)
    end_month = first_month + months
    end = dt.date(day.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return start, end


def is_period_end(frequency: Frequency | str, day: dt.date) -> bool:
    """Whether ``day`` is the last day of its capitalisation period (capitalise after it)."""
    return period_bounds(frequency, day)[1] == day + dt.timedelta(days=1)


def days_of(start: dt.date, end: dt.date) -> list[dt.date]:
    """The calendar days of ``[start, end)``."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def month_days(year: int, month: int) -> list[dt.date]:
    return days_of(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
                   + dt.timedelta(days=1))


def daily_balances(changes: Sequence[tuple[dt.date, Decimal]], end: dt.date) -> list[tuple[dt.date, Decimal]]:
    """Expand step changes ``[(from day, end-of-day balance), ...]`` into one row per day up to
    ``end`` (exclusive): each balance holds until the next change."""
    rows: list[tuple[dt.date, Decimal]] = []
    ordered = sorted(changes)
    for i, (start, balance) in enumerate(ordered):
        stop = ordered[i + 1][0] if i + 1 < len(ordered) else end
        rows.extend((day, to_decimal(balance)) for day in days_of(start, stop))
    return rows
