"""Loan schedule arithmetic: pure functions on Decimals and dates, no database.

Periods. Instalment ``k`` is due on ``due_k``: the first due date plus ``k - 1`` repayment
periods (1 month for monthly, 3 for quarterly), on the first due date's day of the month, or the
month's last day when the month is shorter. Its interest runs over ``[start_k, due_k)`` where
``start_1`` is the disbursement date and ``start_k = due_(k-1)``; the period's year fraction
``f_k`` is ``daycount.year_fraction(convention, start_k, due_k)`` (so no 12, 360 or 365 is written
here: 30/360 gives exactly 1/12 for a regular month, ACT/365F the month's days over 365, ...).

Interest of a period is ``round(B_(k-1) * r * f_k)``, where ``B`` is the principal outstanding
after the previous instalment and ``r`` the annual rate. Rounding is ``money.quantize`` at the
currency's exponent, ROUND_HALF_EVEN.

Annuity (equal instalments). The instalment ``A`` that brings the balance to zero after the last
period, with periods of unequal length, is exactly::

    A = P / sum_k prod_(j <= k) (1 + r * f_j) ** -1

(for equal periods this is the textbook ``P * i / (1 - (1 + i) ** -n)``; for ``r = 0`` it is
``P / n``), computed at 100 significant digits and rounded once. Each instalment but the last
repays ``A - interest_k`` of principal (never below 0, never more than is left); the **last**
instalment repays whatever principal is left, so it absorbs every rounding difference and the
principal parts sum **exactly** to the principal.

Equal principal. Each instalment but the last repays ``P / n`` rounded *down* to the exponent
(rounding down keeps the last part at least as large as the others, never negative); the last
repays the rest. Interest falls with the balance.

Fees. A product's per-instalment fee is added to every instalment as its ``fee`` part.

Early repayment. A **partial** early repayment on day ``D`` inside the period of instalment
``k`` reduces the principal at once and keeps the term: instalments ``k .. n`` keep their due
dates and are re-amortised on the reduced balance (a lower instalment), by the same method.
Instalment ``k``'s interest also carries what the prepaid amount earned before it was repaid,
``X * r * yearfraction(start_k, D)``, added before the one rounding. A **full** early repayment
pays the principal outstanding plus the interest of the running period up to (excluding) ``D``,
``round(B * r * yearfraction(start_k, D))``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext
from enum import StrEnum

from core_banking.common.money import quantize, to_decimal
from core_banking.interest.daycount import WORKING_PRECISION, Convention, year_fraction

ZERO = Decimal(0)
ONE = Decimal(1)

COMPONENTS = ("fees", "penalties", "interest", "principal")
DEFAULT_ALLOCATION_ORDER = ("fees", "penalties", "interest", "principal")
DEFAULT_BUCKET_BOUNDARIES = (30, 60, 90)
CURRENT_BUCKET = "current"


class Method(StrEnum):
    ANNUITY = "annuity"
    EQUAL_PRINCIPAL = "equal_principal"


class RepaymentFrequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def months(self) -> int:
        return {RepaymentFrequency.MONTHLY: 1, RepaymentFrequency.QUARTERLY: 3}[self]


@dataclass(frozen=True, slots=True)
class Period:
    number: int
    start: dt.date
    due: dt.date
    fraction: Decimal


@dataclass(frozen=True, slots=True)
class Line:
    """One instalment of a schedule."""

    number: int
    period_start: dt.date
    due_date: dt.date
    opening_balance: Decimal
    principal: Decimal
    interest: Decimal
    fee: Decimal

    @property
    def instalment(self) -> Decimal:
        return self.principal + self.interest + self.fee

    @property
    def closing_balance(self) -> Decimal:
        return self.opening_balance - self.principal


# --- validation helpers -----------------------------------------------------------------------


def check_allocation_order(order: Sequence[str]) -> tuple[str, ...]:
    """A permutation of the four components, or ValueError."""
    order = tuple(order)
    if len(order) != len(COMPONENTS) or set(order) != set(COMPONENTS):
        raise ValueError(f"the allocation order must be a permutation of {', '.join(COMPONENTS)}")
    return order


def check_bucket_boundaries(boundaries: Sequence[int]) -> tuple[int, ...]:
    """Strictly ascending positive whole days, at least one, or ValueError."""
    values = tuple(boundaries)
    if not values or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in values):
        raise ValueError("bucket boundaries are whole days of at least 1")
    if any(b >= c for b, c in zip(values, values[1:], strict=False)):
        raise ValueError("bucket boundaries must be strictly ascending")
    return values


def bucket_for(days_past_due: int, boundaries: Sequence[int]) -> str:
    """``current`` for 0 days, else the bucket ``lo-hi`` whose range holds the days, or ``N+``."""
    if days_past_due <= 0:
        return CURRENT_BUCKET
    lower = 1
    for upper in boundaries:
        if days_past_due <= upper:
            return f"{lower}-{upper}"
        lower = upper + 1
    return f"{boundaries[-1]}+"


def bucket_labels(boundaries: Sequence[int]) -> list[str]:
    labels, lower = [CURRENT_BUCKET], 1
    for upper in boundaries:
        labels.append(f"{lower}-{upper}")
        lower = upper + 1
    labels.append(f"{boundaries[-1]}+")
    return labels


# --- dates -----------------------------------------------------------------------------------


def add_months(day: dt.date, months: int, *, day_of_month: int | None = None) -> dt.date:
    """``day`` moved by whole months, on ``day_of_month`` (default ``day``'s) or the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day_of_month or day.day, last))


def due_dates(first_due: dt.date, count: int, frequency: RepaymentFrequency | str) -> list[dt.date]:
    months = RepaymentFrequency(frequency).months
    return [add_months(first_due, k * months, day_of_month=first_due.day) for k in range(count)]


def periods(start: dt.date, dues: Sequence[dt.date], convention: Convention | str) -> list[Period]:
    if not dues:
        raise ValueError("a schedule has at least one instalment")
    result, previous = [], start
    for number, due in enumerate(dues, start=1):
        if due <= previous:
            raise ValueError(f"due date {due} is not after the period start {previous}")
        result.append(Period(number=number, start=previous, due=due,
                             fraction=year_fraction(convention, previous, due)))
        previous = due
    return result


# --- schedules -------------------------------------------------------------------------------


def annuity_payment(principal: Decimal, rate: Decimal, fractions: Sequence[Decimal], exponent: int) -> Decimal:
    """The equal instalment (principal + interest) for these period fractions, rounded once."""
    principal, rate = to_decimal(principal), to_decimal(rate)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        discount, growth = ZERO, ONE
        for fraction in fractions:
            growth *= ONE + rate * fraction
            discount += ONE / growth
        return quantize(principal / discount, exponent)


def _interest(balance: Decimal, rate: Decimal, fraction: Decimal, extra: Decimal = ZERO) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return balance * rate * fraction + extra


def build(principal: Decimal, rate: Decimal, schedule_periods: Sequence[Period], *, method: Method | str,
          exponent: int, fee: Decimal = ZERO, first_extra_interest: Decimal = ZERO) -> list[Line]:
    """The schedule of ``principal`` over ``schedule_periods`` (see the module docstring).
    ``first_extra_interest`` (unrounded) is added to the first period's interest before rounding:
    the interest a prepaid amount earned before a partial early repayment."""
    principal, rate, fee = to_decimal(principal), to_decimal(rate), to_decimal(fee)
    if principal <= 0:
        raise ValueError("the principal must be positive")
    if not (ZERO <= rate < ONE):
        raise ValueError("the annual rate must be in [0, 1)")
    count = len(schedule_periods)
    if count == 0:
        raise ValueError("a schedule has at least one instalment")
    method = Method(method)
    if method is Method.ANNUITY:
        payment = annuity_payment(principal, rate, [p.fraction for p in schedule_periods], exponent)
    else:
        with localcontext() as ctx:
            ctx.prec = WORKING_PRECISION
            part = quantize(principal / count, exponent, rounding=ROUND_DOWN)
    lines, balance = [], principal
    for index, period in enumerate(schedule_periods):
        extra = first_extra_interest if index == 0 else ZERO
        interest_on_balance = quantize(_interest(balance, rate, period.fraction), exponent)
        interest = quantize(_interest(balance, rate, period.fraction, extra), exponent) if extra else \
            interest_on_balance
        if index == count - 1:
            repaid = balance
        elif method is Method.ANNUITY:
            repaid = min(max(payment - interest_on_balance, ZERO), balance)
        else:
            repaid = min(part, balance)
        lines.append(Line(number=period.number, period_start=period.start, due_date=period.due,
                          opening_balance=balance, principal=repaid, interest=interest, fee=fee))
        balance -= repaid
    return lines


def generate(*, principal: Decimal, rate: Decimal, start: dt.date, first_due: dt.date, count: int,
             frequency: RepaymentFrequency | str, convention: Convention | str, method: Method | str,
             exponent: int, fee: Decimal = ZERO) -> list[Line]:
    """A new loan's schedule: ``count`` instalments from ``first_due``, interest from ``start``."""
    return build(principal, rate, periods(start, due_dates(first_due, count, frequency), convention),
                 method=method, exponent=exponent, fee=fee)


def interest_to_date(balance: Decimal, rate: Decimal, start: dt.date, day: dt.date, convention: Convention | str,
                     exponent: int) -> Decimal:
    """Interest of the running period ``[start, day)`` on ``balance``, rounded once."""
    if day <= start:
        return quantize(ZERO, exponent)
    return quantize(_interest(to_decimal(balance), to_decimal(rate), year_fraction(convention, start, day)), exponent)


def reschedule_after_prepayment(*, balance_before: Decimal, prepaid: Decimal, rate: Decimal, day: dt.date,
                                remaining: Sequence[tuple[dt.date, dt.date]], convention: Convention | str,
                                method: Method | str, exponent: int, fee: Decimal = ZERO,
                                first_number: int = 1) -> list[Line]:
    """The remaining instalments after a partial early repayment of ``prepaid`` on ``day``.

    ``remaining`` is the (period start, due date) of each unpaid instalment from the running one
    on; ``day`` lies in the first of them. Same term, lower instalment (module docstring)."""
    balance_before, prepaid = to_decimal(balance_before), to_decimal(prepaid)
    if not (ZERO < prepaid < balance_before):
        raise ValueError("a partial early repayment is more than 0 and less than the principal outstanding")
    first_start, first_due = remaining[0]
    if not (first_start <= day < first_due):
        raise ValueError(f"{day} is not in the running period [{first_start}, {first_due})")
    rest = [Period(number=first_number + i, start=s, due=d, fraction=year_fraction(convention, s, d))
            for i, (s, d) in enumerate(remaining)]
    extra = _interest(prepaid, to_decimal(rate), year_fraction(convention, first_start, day))
    return build(balance_before - prepaid, rate, rest, method=method, exponent=exponent, fee=fee,
                 first_extra_interest=extra)
