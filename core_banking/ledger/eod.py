"""The ledger's end-of-day step (the contract: ``core_banking/eod/step.py``).

``EXPIRE_HOLDS`` expires, for business date ``D``, every pending hold whose ``expires_at`` is at
or before the close of ``D`` (``selectors.business_date_cutoff(D)``), so that no reservation the
customer should have got back by then outlives the day's balances. Chunks are ranges of hold ids.
Each hold is released in its own transaction (``services.holds_expire``, the service the periodic
Celery task calls too): the reservation is given back, the hold becomes ``expired``, an audit
event ``ledger.hold_expired`` is written. A hold posted, voided or expired meanwhile (by the
periodic task, a capture) is skipped, so a second run of a chunk changes nothing. Holds that
expire after the close of ``D`` are left to the periodic task or the next end of day.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from core_banking.eod.step import Step

from . import services
from .models import Hold
from .selectors import business_date_cutoff


def expire_population(business_date: dt.date) -> QuerySet:
    """Ids (in order) of the pending holds expired by the close of ``business_date``; none while
    the date is still open (the framework closes it before the steps run)."""
    cutoff = business_date_cutoff(business_date)
    if cutoff is None:
        return Hold.objects.none().values_list("id", flat=True)
    return (Hold.objects.filter(status=Hold.Status.PENDING, expires_at__lte=cutoff)
            .order_by("id").values_list("id", flat=True))


def expire(business_date: dt.date, first_id: int, last_id: int) -> int:
    """Expire the chunk's pending holds expired by the close of ``business_date``; returns how
    many were expired now."""
    cutoff = business_date_cutoff(business_date)
    if cutoff is None:
        return 0
    return services.holds_expire(now=cutoff, limit=None, first_id=first_id, last_id=last_id,
                                 reason=f"expired (end of day {business_date.isoformat()})")


EXPIRE_HOLDS = Step(name="ledger.expire_holds", label="Expire holds", population=expire_population, run=expire)
