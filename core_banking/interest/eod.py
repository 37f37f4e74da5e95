"""The end-of-day steps of savings and current-account interest (``core_banking/eod/step.py``).

* ``ACCRUE`` (``interest.accrue``): for the chunk's accounts, one accrual row per calendar day
  since the previous closed business date up to and including ``D`` (weekends and holidays are
  caught up by the next end of day), written set-based and posted to the accrued-interest GL
  accounts in the same transaction (``accrual.accrue_range``). Idempotent: a rerun writes and
  posts nothing.
* ``CAPITALISE`` (``interest.capitalise``): every period of the chunk's accounts that ended on
  or before ``D`` and is not capitalised yet is rounded once and booked to the customer's
  account, one entry per account and period (``capitalisation.capitalise_range``). Run it after
  ``ACCRUE`` for the same date: the period's last day must be accrued first.

Population of both: the ids of the accounts that earn interest (``accrual.eligible_accounts``:
the product's ``interest_schedule_code`` names an active schedule in the account's currency;
any status but pending and closed, so frozen, blocked and dormant accounts keep accruing and are
capitalised) opened on or before ``D``. ``CAPITALISE`` has no population on a date that ends no
schedule's period (nothing to do).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from core_banking.eod.step import Step

from .accrual import accrue_range, eligible_accounts, local_day_start
from .capitalisation import capitalise_range, period_window
from .models import InterestRateSchedule

_ONE_DAY = dt.timedelta(days=1)


def population(business_date: dt.date) -> QuerySet:
    """Ids (ascending) of the accounts earning interest, opened on or before ``business_date``."""
    return (eligible_accounts().filter(opened_at__lt=local_day_start(business_date + _ONE_DAY))
            .order_by("id").values_list("id", flat=True))


def accrue(business_date: dt.date, first_id: int, last_id: int) -> int:
    return accrue_range(business_date=business_date, first_id=first_id, last_id=last_id)


def capitalise_population(business_date: dt.date):
    """The accounts, when some schedule has a period that may be due (``period_window``), else none."""
    schedules = InterestRateSchedule.objects.all()
    if not any(lower < upper for lower, upper in (period_window(s, business_date) for s in schedules)):
        return []
    return population(business_date)


def capitalise(business_date: dt.date, first_id: int, last_id: int) -> int:
    return capitalise_range(business_date=business_date, first_id=first_id, last_id=last_id)


ACCRUE = Step(name="interest.accrue", label="Accrue interest", population=population, run=accrue,
              chunk_size=20000)
CAPITALISE = Step(name="interest.capitalise", label="Capitalise interest", population=capitalise_population,
                  run=capitalise, chunk_size=5000)
