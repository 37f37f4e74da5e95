"""The end of day for demo data (``manage.py seed_demo``): close the open business date with the
real end of day, in this process, and wait for it.

The payments demo (``core_banking.payments.demo``) closes its last business dates with it, so the
demo bank has a history of completed runs (each with its steps, chunks and real durations) and
ends on an open business date. The run goes through ``services`` exactly as the Celery tasks do
(``eod_start``, then ``chunk_execute`` for each chunk ``advance`` hands out, retrying a failed
chunk up to ``EOD_CHUNK_ATTEMPTS``), but never through the broker: the demo writes its history in
one transaction, which workers in other processes could not see, and the next day's payments must
wait for the run to finish.
"""

from __future__ import annotations

from . import services
from .models import EodRun


class DemoEndOfDayFailed(RuntimeError):
    """A step of the demo's end of day failed (``seed_demo`` stops with the run's error)."""


def end_of_day(*, worker: str = "seed_demo") -> EodRun:
    """Run the end of day of the open business date to its end; returns the completed run.

    Raises ``DemoEndOfDayFailed`` (with the run's error) when a step fails: demo data on top of a
    failed run would hide the failure."""
    run = services.eod_start()
    queue = services.outstanding_chunks(run.pk) + services.advance(run.pk)
    while queue:
        for chunk_id in queue:
            outcome = services.chunk_execute(chunk_id, worker=worker)
            while outcome.retry:
                outcome = services.chunk_execute(chunk_id, worker=worker)
        queue = services.advance(run.pk)
    run.refresh_from_db()
    if run.status != EodRun.Status.COMPLETED:
        raise DemoEndOfDayFailed(f"the end of day of {run.business_date.isoformat()} is {run.status}: {run.error}")
    return run
