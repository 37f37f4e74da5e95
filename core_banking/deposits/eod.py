"""The end-of-day contract of term deposits (called by ``core_banking.eod``).

Chunks are ranges of ``TermDeposit`` ids: the framework takes a population (ids in order), cuts it
into ranges and calls the step once per range, in any order, possibly more than once.

* ``accrue_population(D)`` / ``accrue(D, first_id, last_id)``: every calendar day not yet accrued
  from each active deposit's start date up to and including ``D`` but before its maturity date
  (days without an end of day of their own, weekends and holidays, are caught up by the next
  one), written set-based and posted as one ledger entry per currency, in one transaction
  (``accrual.accrue_range``). Idempotent: a second run writes and posts nothing.
* ``mature_population(D)`` / ``mature(D, first_id, last_id)``: active deposits whose maturity
  date is on or before ``D`` are paid out or rolled over per their instruction
  (``services.deposit_mature``), each in its own transaction with its own idempotency key, so a
  re-run skips the ones already settled. A deposit that cannot be settled (its funding account
  is frozen or closed, ...) does not stop the others; ``MaturityFailed`` then names them all, and
  a re-run retries exactly those.

Run ``accrue`` before ``mature`` for a date; ``mature`` accrues a deposit's last days itself when
they are missing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import DateField, ExpressionWrapper, F, Q, QuerySet

from core_banking.common.errors import DomainError
from core_banking.eod.step import Step

from . import exceptions as exc
from . import services
from .accrual import accrue_range
from .models import TermDeposit

_ONE_DAY = dt.timedelta(days=1)


def accrue_population(business_date: dt.date) -> QuerySet:
    """Ids (in order) of the active deposits with a day still to accrue up to ``business_date``."""
    last_term_day = ExpressionWrapper(F("maturity_date") - _ONE_DAY, output_field=DateField())
    return (TermDeposit.objects.filter(status=TermDeposit.Status.ACTIVE, start_date__lte=business_date)
            .alias(last_term_day=last_term_day)
            .filter(Q(accrued_through__isnull=True) | (Q(accrued_through__lt=business_date)
                                                        & Q(accrued_through__lt=F("last_term_day"))))
            .order_by("id").values_list("id", flat=True))


def accrue(business_date: dt.date, first_id: int, last_id: int) -> int:
    """Accrue the chunk's missing days up to ``business_date``; returns the rows written."""
    return accrue_range(first_id=first_id, last_id=last_id, through=business_date, business_date=business_date,
                        key_base=f"deposits:accrue:{business_date.isoformat()}:{first_id}")


def mature_population(business_date: dt.date) -> QuerySet:
    """Ids (in order) of the active deposits due on or before ``business_date``."""
    return (TermDeposit.objects.filter(status=TermDeposit.Status.ACTIVE, maturity_date__lte=business_date)
            .order_by("id").values_list("id", flat=True))


def mature(business_date: dt.date, first_id: int, last_id: int) -> int:
    """Pay out or roll over the chunk's due deposits; returns how many were settled."""
    due = mature_population(business_date).filter(id__gte=first_id, id__lte=last_id)
    processed = 0
    failures: list[dict] = []
    for deposit_id in list(due):
        try:
            if services.deposit_mature(deposit_id=deposit_id, business_date=business_date) is not None:
                processed += 1
        except DomainError as error:
            failures.append({"deposit": deposit_id, "code": error.code, "detail": error.detail})
    if failures:
        raise exc.MaturityFailed(
            f"{len(failures)} deposit(s) could not be settled on {business_date.isoformat()} "
            f"({processed} were): " + "; ".join(f"{f['deposit']}: {f['code']}" for f in failures),
            failures=failures, processed=processed)
    return processed


ACCRUE = Step(name="deposits.accrue", label="Accrue term-deposit interest", population=accrue_population,
              run=accrue, chunk_size=5000)
MATURE = Step(name="deposits.mature", label="Mature term deposits", population=mature_population, run=mature,
              chunk_size=500)
