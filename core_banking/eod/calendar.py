"""The bank's calendar: which dates are business dates, and when a business date's cut-off is.

* Weekends are ``BANK_WEEKEND`` (ISO weekday numbers, default Saturday and Sunday: ``(6, 7)``).
* Holidays come from the ``holidays`` package: ``BANK_HOLIDAYS`` names a financial market
  (``"ECB"``: the TARGET2 closing days, the default for a euro bank; ``"NYSE"``, ...) or a country
  with an optional subdivision (``"NL"``, ``"DE-BY"``); ``""`` means no holidays. Extra closing
  days go in ``BANK_EXTRA_HOLIDAYS`` (ISO dates).
* ``BANK_CUTOFF`` (``"HH:MM"`` in the bank's time zone, ``TIME_ZONE``) is when the end of day
  starts: the beat schedule starts the run then, and the run's first act closes the business date
  to postings, so every posting after the cut-off belongs to the next business date.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils import timezone

_ONE_DAY = dt.timedelta(days=1)
_SETTINGS = {"BANK_WEEKEND", "BANK_HOLIDAYS", "BANK_EXTRA_HOLIDAYS", "BANK_CUTOFF", "TIME_ZONE"}


def _weekend() -> frozenset[int]:
    return frozenset(getattr(settings, "BANK_WEEKEND", (6, 7)))


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[dt.date]:
    name = getattr(settings, "BANK_HOLIDAYS", "ECB")
    days: set[dt.date] = {dt.date.fromisoformat(d) for d in getattr(settings, "BANK_EXTRA_HOLIDAYS", ())}
    if not name:
        return frozenset(days)
    if name.upper() in holidays.list_supported_financial():
        return frozenset(days | set(holidays.financial_holidays(name.upper(), years=year)))
    country, _, subdivision = name.partition("-")
    try:
        calendar = holidays.country_holidays(country.upper(), subdiv=subdivision or None, years=year)
    except NotImplementedError as error:
        raise ImproperlyConfigured(f"BANK_HOLIDAYS={name!r} is neither a financial market nor a country "
                                   f"the holidays package knows") from error
    return frozenset(days | set(calendar))


def _clear(*, setting: str, **kwargs) -> None:
    if setting in _SETTINGS:
        _holidays_of.cache_clear()


setting_changed.connect(_clear)


def is_holiday(day: dt.date) -> bool:
    return day in _holidays_of(day.year)


def is_business_day(day: dt.date) -> bool:
    return day.isoweekday() not in _weekend() and not is_holiday(day)


def next_business_day(day: dt.date) -> dt.date:
    """The first business date after ``day``."""
    candidate = day + _ONE_DAY
    for _ in range(366):
        if is_business_day(candidate):
            return candidate
        candidate += _ONE_DAY
    raise ImproperlyConfigured("the bank calendar has no business date within a year")


def previous_business_day(day: dt.date) -> dt.date:
    candidate = day - _ONE_DAY
    for _ in range(366):
        if is_business_day(candidate):
            return candidate
        candidate -= _ONE_DAY
    raise ImproperlyConfigured("the bank calendar has no business date within a year")


def cutoff_time() -> dt.time:
    value = getattr(settings, "BANK_CUTOFF", "18:00")
    try:
        return dt.time.fromisoformat(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"BANK_CUTOFF={value!r} is not HH:MM") from error


def cutoff_at(day: dt.date) -> dt.datetime:
    """The cut-off instant of business date ``day`` (aware, in the bank's time zone)."""
    return timezone.make_aware(dt.datetime.combine(day, cutoff_time()))


def is_past_cutoff(day: dt.date, *, now: dt.datetime | None = None) -> bool:
    return (now or timezone.now()) >= cutoff_at(day)
