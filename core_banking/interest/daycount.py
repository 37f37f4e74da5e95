"""Day-count conventions: how much of a year a period (or one day) is. Pure functions, Decimal only.

Conventions (``Convention``), each as defined by the ISDA 2006 Definitions, section 4.16, unless
said otherwise:

* ``ACT_365F`` "Actual/365 (Fixed)" (4.16(d)): actual days / 365. The only place the number 365
  appears in this package.
* ``ACT_360`` "Actual/360" (4.16(e)): actual days / 360.
* ``THIRTY_360_ISDA`` "30/360", "360/360", "Bond Basis" (4.16(f)):
  ``[360 (Y2-Y1) + 30 (M2-M1) + (D2-D1)] / 360`` where D1 = 31 becomes 30, and D2 = 31 becomes
  30 when D1 (after that) is 30, i.e. when the period starts on the 30th or the 31st.
* ``THIRTY_360_US`` "30/360 US" (also "30U/360", the NASD / SIA rule set): the rules of the
  Securities Industry Association, *Standard Securities Calculation Methods* (1993), vol. 1,
  as summarised in Wikipedia's "Day count convention" (30/360 US) and OpenGamma Strata's
  ``THIRTY_U_360_EOM``, applied in this order:

    1. if Date1 is the last day of February and Date2 is the last day of February, D2 = 30;
    2. if Date1 is the last day of February, D1 = 30;
    3. if D2 = 31 and D1 (after rule 2) is 30 or 31, D2 = 30;
    4. if D1 = 31, D1 = 30.

  The February rules (1 and 2) are applied unconditionally (the "EOM" variant: an account has
  no coupon schedule whose end-of-month flag could switch them off).
* ``THIRTY_E_360`` "30E/360", "Eurobond Basis" (4.16(g)): D1 = 31 becomes 30 and D2 = 31 becomes
  30; February is not adjusted (that is 30E/360 ISDA, 4.16(h), which is not offered).
* ``ACT_ACT_ISDA`` "Actual/Actual (ISDA)" (4.16(b)): the period is split at 1 January; the
  days falling in a leap year count over 366, the others over 365 (both computed from the
  calendar, not written down).

Periods are half-open, ``[start, end)``: interest accrues for ``start`` and not for ``end``.

Exact additivity. A year fraction is an integer number of days times the value of one day of
its year basis, ``1 / basis``, rounded once to ``UNIT_PRECISION`` (34) significant digits
(``day_value``); for ACT/ACT ISDA it is the sum of one such product per calendar year. All the
rest is exact Decimal arithmetic in a context of ``WORKING_PRECISION`` digits. Hence the sum of
the daily factors over a period is *exactly* (digit for digit) the year fraction of the period,
and a constant balance accrued day by day gives exactly the balance times the rate times the
period's fraction. The difference from the true rational ``days / basis`` is below
``days * 10**-36``: invisible at the 18 decimal places the ledger stores.

Daily factors (``daily_factor``). For the actual conventions a day is ``1 / basis`` of its year.
For the 30/360 conventions one calendar day is not always one 30/360 day (one day of a 31-day
month counts for 0; the last day of February also counts the 1 or 2 days February is short of
30), and which day that is depends on where the period starts. We use the
*telescoping* definition::

    daily_factor(c, d, period_start=s) = year_fraction(c, s, d + 1) - year_fraction(c, s, d)

so that for every ``s <= e`` the daily factors of the days in ``[s, e)`` sum to
``year_fraction(c, s, e)`` exactly. ``period_start`` defaults to the first day of ``d``'s month;
since a period that starts on the 1st of a month never triggers an adjustment of D1, the sums
then also match for every period that starts on the 1st of a month (a month, a quarter, a year,
a month cut short by the account's closure). With that default, one day of a 31-day month
accrues nothing: the 31st under 30/360 ISDA and US (an end on the 31st counts as day 31 when D1
is 1), the 30th under 30E/360 (an end on the 31st counts as the 30th, so [30th, 31st) is empty);
the last day of February accrues 2 days (leap year) or 3 days; every other day accrues 1. An
account whose accrual starts mid-period (opened on the 17th) passes its first accrual day as
``period_start``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, localcontext
from enum import StrEnum
from functools import cache

UNIT_PRECISION = 34
WORKING_PRECISION = 100

_ONE_DAY = dt.timedelta(days=1)


class Convention(StrEnum):
    ACT_365F = "act_365f"
    ACT_360 = "act_360"
    THIRTY_360_ISDA = "30_360_isda"
    THIRTY_360_US = "30_360_us"
    THIRTY_E_360 = "30e_360"
    ACT_ACT_ISDA = "act_act_isda"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Convention.ACT_365F: "ACT/365 Fixed",
    Convention.ACT_360: "ACT/360",
    Convention.THIRTY_360_ISDA: "30/360 ISDA (Bond basis)",
    Convention.THIRTY_360_US: "30/360 US (NASD/SIA, end-of-February rules)",
    Convention.THIRTY_E_360: "30E/360 (Eurobond basis)",
    Convention.ACT_ACT_ISDA: "ACT/ACT ISDA",
}

THIRTY_360_CONVENTIONS = frozenset({Convention.THIRTY_360_ISDA, Convention.THIRTY_360_US, Convention.THIRTY_E_360})

_FIXED_BASIS = {
    Convention.ACT_365F: 365,
    Convention.ACT_360: 360,
    Convention.THIRTY_360_ISDA: 360,
    Convention.THIRTY_360_US: 360,
    Convention.THIRTY_E_360: 360,
}


def _convention(value: Convention | str) -> Convention:
    try:
        return Convention(value)
    except ValueError:
        raise ValueError(f"unknown day-count convention {value!r}") from None


def days_in_year(year: int) -> int:
    """Calendar days of a year (366 in a leap year), from the calendar."""
    return (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days


@cache
def day_value(basis: int) -> Decimal:
    """The year fraction of one day of a ``basis``-day year, ``1 / basis`` rounded once to
    ``UNIT_PRECISION`` significant digits (ROUND_HALF_EVEN)."""
    if basis <= 0:
        raise ValueError("a year basis is a positive number of days")
    with localcontext() as ctx:
        ctx.prec = UNIT_PRECISION
        return Decimal(1) / Decimal(basis)


def basis(convention: Convention | str, day: dt.date) -> int:
    """The number of days in the year of ``day`` under the convention (its denominator)."""
    convention = _convention(convention)
    if convention is Convention.ACT_ACT_ISDA:
        return days_in_year(day.year)
    return _FIXED_BASIS[convention]


def _check_order(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")


def is_last_day_of_february(day: dt.date) -> bool:
    return day.month == 2 and (day + _ONE_DAY).month == 3


def _thirty_360_days(convention: Convention, start: dt.date, end: dt.date) -> int:
    d1, d2 = start.day, end.day
    if convention is Convention.THIRTY_360_ISDA:
        if d1 == 31:
            d1 = 30
        if d2 == 31 and d1 == 30:
            d2 = 30
    elif convention is Convention.THIRTY_360_US:
        if is_last_day_of_february(start) and is_last_day_of_february(end):
            d2 = 30
        if is_last_day_of_february(start):
            d1 = 30
        if d2 == 31 and d1 >= 30:
            d2 = 30
        if d1 == 31:
            d1 = 30
    else:  # THIRTY_E_360
        d1, d2 = min(d1, 30), min(d2, 30)
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def day_count(convention: Convention | str, start: dt.date, end: dt.date) -> int:
    """The number of days of ``[start, end)`` under the convention (actual days for the
    actual conventions, the 30/360 formula for the others)."""
    convention = _convention(convention)
    _check_order(start, end)
    if convention in THIRTY_360_CONVENTIONS:
        return _thirty_360_days(convention, start, end)
    return (end - start).days


def year_fraction(convention: Convention | str, start: dt.date, end: dt.date) -> Decimal:
    """The fraction of a year that ``[start, end)`` is under the convention."""
    convention = _convention(convention)
    _check_order(start, end)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        if convention is Convention.ACT_ACT_ISDA:
            total = Decimal(0)
            for year in range(start.year, end.year + 1):
                lo = max(start, dt.date(year, 1, 1))
                hi = min(end, dt.date(year + 1, 1, 1))
                if hi > lo:
                    total += (hi - lo).days * day_value(days_in_year(year))
            return total
        return day_count(convention, start, end) * day_value(_FIXED_BASIS[convention])


def daily_factor(convention: Convention | str, day: dt.date, *, period_start: dt.date | None = None) -> Decimal:
    """The year fraction of the one calendar day ``[day, day + 1)``.

    Actual conventions: ``1 / basis`` of ``day``'s year (``period_start`` is irrelevant).
    30/360 conventions: the telescoping difference described in the module docstring, anchored
    at ``period_start`` (default: the first day of ``day``'s month); never negative.
    """
    convention = _convention(convention)
    if convention not in THIRTY_360_CONVENTIONS:
        return day_value(basis(convention, day))
    anchor = period_start if period_start is not None else day.replace(day=1)
    if day < anchor:
        raise ValueError(f"{day} is before the period start {anchor}")
    days = _thirty_360_days(convention, anchor, day + _ONE_DAY) - _thirty_360_days(convention, anchor, day)
    with localcontext() as ctx:
        ctx.prec = WORKING_PRECISION
        return days * day_value(360)
