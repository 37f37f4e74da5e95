"""The end of day on Celery: one task per chunk, so the work spreads over every worker process
on every machine; with no broker (``CELERY_TASK_ALWAYS_EAGER``, the ``make run`` default) the same
tasks run in-process, one after the other.

* ``eod.start`` (beat, at the cut-off ``BANK_CUTOFF`` on weekdays): starts the run of the open
  business date when the date is a business date and its cut-off has passed, then kicks it.
* ``eod.advance``: ``services.advance`` and the dispatch of the chunks it planned.
* ``eod.run_chunk``: ``services.chunk_execute``; a failed attempt is sent again after a back-off
  (the other chunks go on meanwhile); the chunk that finishes its step sends ``eod.advance``.

Tasks are acknowledged late and rejected when their worker dies (settings), so the broker
delivers a killed worker's chunk again; ``run_eod`` on an unfinished run dispatches every
outstanding chunk again too. Either way the step's idempotency makes the second run a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from celery import shared_task
from django.conf import settings

from core_banking.ledger import selectors as ledger_selectors

from . import calendar, services
from .models import EodRun

log = logging.getLogger(__name__)


def _retry_delay(attempt: int) -> int:
    return min(60, int(getattr(settings, "EOD_RETRY_DELAY", 5)) * 2 ** max(0, attempt - 1))


def dispatch(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        eod_run_chunk.delay(chunk_id)


def kick(run: EodRun) -> None:
    """Send the run on: every outstanding chunk again, then an advance (which plans the next step
    or notices that the run is complete)."""
    dispatch(services.outstanding_chunks(run.pk))
    eod_advance.delay(run.pk)


@shared_task(name="eod.advance")
def eod_advance(run_id: int) -> None:
    dispatch(services.advance(run_id))


@shared_task(name="eod.run_chunk", bind=True)
def eod_run_chunk(self, chunk_id: int) -> str:
    worker = getattr(self.request, "hostname", None) or f"{socket.gethostname()}:{os.getpid()}"
    outcome = services.chunk_execute(chunk_id, worker=worker)
    if outcome.retry:
        from .models import EodChunk

        attempts = EodChunk.objects.filter(pk=chunk_id).values_list("attempts", flat=True).first() or 1
        if settings.CELERY_TASK_ALWAYS_EAGER:
            eod_run_chunk.delay(chunk_id)
        else:
            eod_run_chunk.apply_async((chunk_id,), countdown=_retry_delay(attempts))
    elif outcome.step_finished:
        eod_advance.delay(outcome.run_id)
    return outcome.status


@shared_task(name="eod.start")
def eod_start_at_cutoff(business_date: str | None = None) -> str:
    """The beat entry: start the end of day of the open business date once its cut-off has passed.
    A date that is not a business date (a weekend opened by hand) is processed too: the bank's
    open date always closes through an end of day."""
    day = dt.date.fromisoformat(business_date) if business_date else ledger_selectors.business_date_current()
    run = EodRun.objects.filter(business_date=day).first()
    if run is None and business_date is None and not calendar.is_past_cutoff(day):
        log.info("EOD of %s not started: its cut-off %s has not passed", day, calendar.cutoff_at(day))
        return "before_cutoff"
    run = services.eod_start(business_date=day)
    if run.status != EodRun.Status.COMPLETED:
        kick(run)  # in-process (no broker) the run is over when this returns
        run.refresh_from_db(fields=["status"])
    return run.status
