"""Reads of the end of day for the admin and the API: runs with their steps and history, the
chunks of a run, and the bank calendar over a range of dates. Never write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from core_banking.common.errors import ValidationFailed
from core_banking.ledger import selectors as ledger_selectors

from . import calendar
from . import exceptions as exc
from .models import EodChunk, EodRun, EodRunStatusChange, EodStepRun

#: The widest calendar range one request may ask for (days, both ends included).
CALENDAR_MAX_DAYS = 366
#: The range when the caller names no end: the open business date and the month after it.
CALENDAR_DEFAULT_DAYS = 31


def _with_progress(runs: QuerySet[EodRun]) -> QuerySet[EodRun]:
    return runs.select_related("requested_by").prefetch_related(
        Prefetch("steps", queryset=EodStepRun.objects.order_by("position")),
        Prefetch("history", queryset=EodRunStatusChange.objects.order_by("id")),
    )


def run_list(*, status: str = "") -> QuerySet[EodRun]:
    """Newest business date first, with steps and history prefetched."""
    runs = EodRun.objects.all()
    if status:
        runs = runs.filter(status=status)
    return _with_progress(runs).order_by("-business_date")


def run_get(*, business_date: dt.date) -> EodRun:
    run = _with_progress(EodRun.objects.filter(business_date=business_date)).first()
    if run is None:
        raise exc.EodRunNotFound(f"no end-of-day run for {business_date.isoformat()}",
                                 business_date=business_date.isoformat())
    return run


def run_chunks(*, business_date: dt.date, status: str = "", step: str = "") -> QuerySet[EodChunk]:
    """The chunks of the run of ``business_date`` (404 without a run), in the order they were
    planned (step by step, by index)."""
    run = EodRun.objects.filter(business_date=business_date).values_list("pk", flat=True).first()
    if run is None:
        raise exc.EodRunNotFound(f"no end-of-day run for {business_date.isoformat()}",
                                 business_date=business_date.isoformat())
    chunks = EodChunk.objects.filter(step__run_id=run).select_related("step")
    if status:
        chunks = chunks.filter(status=status)
    if step:
        chunks = chunks.filter(step__name=step)
    return chunks.order_by("id")


@dataclass(frozen=True)
class CalendarDay:
    date: dt.date
    weekday: int  # ISO: 1 Monday .. 7 Sunday
    business_day: bool
    weekend: bool
    holiday: bool
    eod_status: str | None  # the status of the date's end-of-day run, if it has one


@dataclass(frozen=True)
class Calendar:
    open_business_date: dt.date
    cutoff: dt.time
    cutoff_at: dt.datetime
    past_cutoff: bool
    next_business_date: dt.date
    date_from: dt.date
    date_to: dt.date
    days: list[CalendarDay]


def calendar_range(*, date_from: dt.date | None = None, date_to: dt.date | None = None) -> Calendar:
    """Every date of ``[date_from, date_to]`` (default: the open business date and the 31 days
    after it) with what the bank calendar says of it, and the open business date's cut-off."""
    open_date = ledger_selectors.business_date_current()
    date_from = date_from or open_date
    date_to = date_to or date_from + dt.timedelta(days=CALENDAR_DEFAULT_DAYS)
    if date_to < date_from:
        raise ValidationFailed("`to` is before `from`", errors={"to": ["Must not be before `from`."]})
    if (date_to - date_from).days + 1 > CALENDAR_MAX_DAYS:
        raise ValidationFailed(f"at most {CALENDAR_MAX_DAYS} days per request",
                               errors={"to": [f"At most {CALENDAR_MAX_DAYS} days after `from`."]})
    weekend = calendar._weekend()
    runs = dict(EodRun.objects.filter(business_date__range=(date_from, date_to))
                .values_list("business_date", "status"))
    days = []
    day = date_from
    while day <= date_to:
        is_weekend = day.isoweekday() in weekend
        is_holiday = calendar.is_holiday(day)
        days.append(CalendarDay(date=day, weekday=day.isoweekday(), business_day=not is_weekend and not is_holiday,
                                weekend=is_weekend, holiday=is_holiday, eod_status=runs.get(day)))
        day += dt.timedelta(days=1)
    return Calendar(open_business_date=open_date, cutoff=calendar.cutoff_time(),
                    cutoff_at=calendar.cutoff_at(open_date), past_cutoff=calendar.is_past_cutoff(open_date),
                    next_business_date=calendar.next_business_day(open_date), date_from=date_from, date_to=date_to,
                    days=days)
