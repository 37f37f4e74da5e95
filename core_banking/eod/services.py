"""The end-of-day framework: start (or resume) the run of a business date, plan each step into
chunks, execute a chunk, advance the run when a step's last chunk is in.

The transport is ``tasks.py`` (Celery: one task per chunk, so more workers on more machines
finish sooner; with no broker the same tasks run in-process). Everything that decides lives here
and is safe to call twice:

* ``eod_start(D)`` -> the run of ``D``. New: the cut-off first (the ledger's open business date
  ``D`` is closed and the next business date of the bank calendar opened, so postings from now
  on belong to it), then one ``EodStepRun`` per configured step. Existing and completed: returned
  as is. Existing and failed: resumed (failed chunks go back to pending, attempts start again).
* ``advance(run)`` (under the run's row lock): completes the steps whose chunks are all done, plans
  the next pending step (its population cut into ranges of ``chunk_size`` ids, one ``EodChunk``
  each) and returns the chunks to dispatch; a step that ends with failed chunks fails the run;
  the last step completes it.
* ``chunk_execute(chunk)``: runs the step over the chunk's range under a session advisory lock
  (PostgreSQL), so a duplicate delivery of a chunk that is still running elsewhere waits for
  nothing and changes nothing; if the worker dies, its connection and the lock go with it and a
  re-run executes the chunk again, which the step's idempotency makes harmless. An error is
  recorded on the chunk and retried up to ``EOD_CHUNK_ATTEMPTS`` times; the other chunks go on.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none
from core_banking.common.errors import PermissionRefused
from core_banking.common.history import record_transition
from core_banking.common.seams import seam_all
from core_banking.ledger import services as ledger

from . import calendar, events, transitions
from . import exceptions as exc
from .models import EodChunk, EodRun, EodRunStatusChange, EodStepRun
from .step import Step

log = logging.getLogger(__name__)

START_PERMISSION = "eod.start_eodrun"
# pg_advisory locks: one for starting runs, one namespace for chunks (two-int form).
_START_LOCK = 0x454F4401
_CHUNK_LOCK_SPACE = 0x454F44


def configured_steps() -> tuple[Step, ...]:
    steps = seam_all("CORE_BANKING_EOD_STEPS")
    for step in steps:
        if not isinstance(step, Step):
            raise exc.EodStepUnknown(f"{step!r} in CORE_BANKING_EOD_STEPS is not a core_banking.eod.step.Step")
    names = [step.name for step in steps]
    if len(set(names)) != len(names):
        raise exc.EodStepUnknown(f"CORE_BANKING_EOD_STEPS names a step twice: {names}")
    return steps


def step_by_name(name: str) -> Step:
    for step in configured_steps():
        if step.name == name:
            return step
    raise exc.EodStepUnknown(f"the step {name!r} of this run is no longer configured (CORE_BANKING_EOD_STEPS)")


def max_attempts() -> int:
    return max(1, int(getattr(settings, "EOD_CHUNK_ATTEMPTS", 3)))


def _is_pg() -> bool:
    return connection.vendor == "postgresql"


# --- start / resume ------------------------------------------------------------------------


def eod_start(*, business_date: dt.date | None = None, actor=None) -> EodRun:
    """The run of ``business_date`` (default: the open business date), started or resumed.
    A person (``actor``) needs ``eod.start_eodrun``; beat and ``run_eod`` start it as the system."""
    user = user_or_none(actor)
    if user is not None and not user.has_perm(START_PERMISSION):
        raise PermissionRefused(f"you lack the permission {START_PERMISSION}", permission=START_PERMISSION)
    with transaction.atomic():
        if _is_pg():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_START_LOCK])
        open_date = ledger.business_date_open()
        day = business_date or open_date
        run = EodRun.objects.select_for_update().filter(business_date=day).first()
        if run is not None:
            if run.status == EodRun.Status.FAILED:
                _resume(run, actor)
            return run
        if day > open_date:
            raise exc.EodDateInFuture(f"{day.isoformat()} is after the open business date {open_date.isoformat()}",
                                      business_date=day.isoformat(), open_business_date=open_date.isoformat())
        if day < open_date:
            raise exc.EodDateNotOpen(f"{day.isoformat()} is closed and has no end-of-day run; the open business "
                                     f"date is {open_date.isoformat()}", business_date=day.isoformat(),
                                     open_business_date=open_date.isoformat())
        previous = EodRun.objects.filter(business_date__lt=day).order_by("-business_date").first()
        if previous is not None and previous.status != EodRun.Status.COMPLETED:
            raise exc.EodPreviousIncomplete(
                f"the end of day of {previous.business_date.isoformat()} is {previous.status}: re-run it first",
                previous_business_date=previous.business_date.isoformat(), previous_status=previous.status)
        steps = configured_steps()
        next_date = calendar.next_business_day(day)
        # The cut-off: from here on every posting belongs to the next business date.
        ledger.business_date_roll(to_date=next_date, actor=actor)
        run = EodRun.objects.create(business_date=day, next_business_date=next_date,
                                    requested_by=user_or_none(actor))
        record_transition(EodRunStatusChange, run, from_status="", actor=user_or_none(actor), reason="started")
        EodStepRun.objects.bulk_create(
            EodStepRun(run=run, position=position, name=step.name, label=step.label,
                       chunk_size=int(getattr(settings, "EOD_CHUNK_SIZE", 0) or 0) or step.chunk_size)
            for position, step in enumerate(steps, start=1))
        audit_record(action="eod.started", obj=run, after={"business_date": day.isoformat(),
                                                          "next_business_date": next_date.isoformat(),
                                                          "steps": [s.name for s in steps]}, actor=actor)
    return run


def _resume(run: EodRun, actor) -> None:
    run.resume()
    run.attempts = F("attempts") + 1
    run.error = ""
    run.finished_at = None
    record_transition(EodRunStatusChange, run, from_status=EodRun.Status.FAILED, actor=user_or_none(actor),
                      reason=transitions.RESUME.default_reason)
    run.save(update_fields=["status", "attempts", "error", "finished_at"])
    run.refresh_from_db(fields=["attempts"])
    failed_steps = run.steps.filter(status=EodStepRun.Status.FAILED)
    EodChunk.objects.filter(step__in=failed_steps, status=EodChunk.Status.FAILED).update(
        status=EodChunk.Status.PENDING, attempts=0)
    failed_steps.update(status=EodStepRun.Status.RUNNING, chunks_failed=0, finished_at=None)
    audit_record(action=transitions.RESUME.audit_action, obj=run, before={"status": "failed"},
                 after={"status": "running"}, actor=actor)


def outstanding_chunks(run_id: int) -> list[int]:
    """Chunks of the run's running steps that are not done: what a re-run dispatches again
    (a chunk still running elsewhere keeps its lock, and its duplicate changes nothing)."""
    return list(EodChunk.objects.filter(step__run_id=run_id, step__status=EodStepRun.Status.RUNNING,
                                        status__in=[EodChunk.Status.PENDING, EodChunk.Status.RUNNING])
                .order_by("step__position", "index").values_list("id", flat=True))


# --- advancing -----------------------------------------------------------------------------


def advance(run_id: int) -> list[int]:
    """Move the run on as far as it can go now; returns the ids of chunks to dispatch."""
    with transaction.atomic():
        run = EodRun.objects.select_for_update().get(pk=run_id)
        if run.status != EodRun.Status.RUNNING:
            return []
        for step in run.steps.order_by("position"):
            if step.status == EodStepRun.Status.COMPLETED:
                continue
            if step.status == EodStepRun.Status.PENDING:
                chunk_ids = _plan(run, step)
                if chunk_ids:
                    return chunk_ids
                continue  # nothing to do: completed at once
            counts = _chunk_counts(step)
            if counts[EodChunk.Status.PENDING] or counts[EodChunk.Status.RUNNING]:
                return []  # chunks in flight; the last one to finish advances again
            if counts[EodChunk.Status.FAILED]:
                _fail(run, step, counts[EodChunk.Status.FAILED])
                return []
            step.status = EodStepRun.Status.COMPLETED
            step.finished_at = timezone.now()
            step.save(update_fields=["status", "finished_at"])
            events.step_completed(run, step)
        run.complete()
        run.current_step = ""
        run.finished_at = timezone.now()
        record_transition(EodRunStatusChange, run, from_status=EodRun.Status.RUNNING,
                          reason=transitions.COMPLETE.default_reason)
        events.run_completed(run)
        run.save(update_fields=["status", "current_step", "finished_at"])
        audit_record(action=transitions.COMPLETE.audit_action, obj=run,
                     after={"business_date": run.business_date.isoformat()})
        return []


def _chunk_counts(step: EodStepRun) -> dict[str, int]:
    counts = dict.fromkeys(EodChunk.Status.values, 0)
    for status, count in step.chunks.values_list("status").annotate(n=Count("id")).order_by():
        counts[status] = count
    return counts


def _plan(run: EodRun, step_run: EodStepRun) -> list[int]:
    """Cut the step's population on the run's date into chunks; returns their ids."""
    step = step_by_name(step_run.name)
    ids = list(step.population(run.business_date))
    size = max(1, step_run.chunk_size or step.chunk_size)
    now = timezone.now()
    chunks = [EodChunk(step=step_run, index=index, first_id=ids[start], last_id=ids[min(start + size, len(ids)) - 1],
                       size=min(size, len(ids) - start))
              for index, start in enumerate(range(0, len(ids), size))]
    EodChunk.objects.bulk_create(chunks, batch_size=2000)
    step_run.population = len(ids)
    step_run.chunks_total = len(chunks)
    step_run.started_at = now
    step_run.status = EodStepRun.Status.RUNNING if chunks else EodStepRun.Status.COMPLETED
    step_run.finished_at = None if chunks else now
    step_run.save(update_fields=["population", "chunks_total", "started_at", "status", "finished_at"])
    if not chunks:
        events.step_completed(run, step_run)
    run.current_step = step_run.name
    run.save(update_fields=["current_step"])
    return list(step_run.chunks.order_by("index").values_list("id", flat=True))


def _fail(run: EodRun, step: EodStepRun, failed: int) -> None:
    step.status = EodStepRun.Status.FAILED
    step.finished_at = timezone.now()
    step.save(update_fields=["status", "finished_at"])
    errors = list(step.chunks.filter(status=EodChunk.Status.FAILED).order_by("index")
                  .values_list("index", "error")[:3])
    run.fail()
    run.finished_at = timezone.now()
    run.error = (f"step {step.name}: {failed} chunk(s) failed after {max_attempts()} attempt(s); "
                 + "; ".join(f"#{index}: {error.strip().splitlines()[-1] if error else ''}" for index, error in errors))
    record_transition(EodRunStatusChange, run, from_status=EodRun.Status.RUNNING, reason=run.error[:500])
    run.save(update_fields=["status", "finished_at", "error"])
    audit_record(action=transitions.FAIL.audit_action, obj=run, after={"step": step.name, "failed_chunks": failed},
                 reason=run.error[:500])


# --- one chunk -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkOutcome:
    run_id: int
    status: str  # done, failed, skipped, busy
    retry: bool = False  # failed, and attempts remain
    step_finished: bool = False  # no chunk of the step is outstanding any more: advance the run
    processed: int = 0


class _ChunkLock:
    """A session-level advisory lock on the chunk (PostgreSQL): held while it runs."""

    def __init__(self, chunk_id: int):
        self.chunk_id = chunk_id
        self.held = False

    def __enter__(self) -> bool:
        if not _is_pg():
            self.held = True
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_CHUNK_LOCK_SPACE, self.chunk_id % 2**31])
            self.held = cursor.fetchone()[0]
        return self.held

    def __exit__(self, *exc_info) -> None:
        if self.held and _is_pg():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_CHUNK_LOCK_SPACE, self.chunk_id % 2**31])


def chunk_execute(chunk_id: int, *, worker: str = "") -> ChunkOutcome:
    """Run one chunk (see the module docstring). Never raises for the step's own errors."""
    with _ChunkLock(chunk_id) as acquired:
        chunk = EodChunk.objects.select_related("step__run").get(pk=chunk_id)
        run_id = chunk.step.run_id
        if not acquired:
            return ChunkOutcome(run_id=run_id, status="busy")
        with transaction.atomic():
            chunk = EodChunk.objects.select_for_update().select_related("step__run").get(pk=chunk_id)
            step_run, run = chunk.step, chunk.step.run
            if (chunk.status in (EodChunk.Status.DONE, EodChunk.Status.FAILED)
                    or step_run.status != EodStepRun.Status.RUNNING or run.status != EodRun.Status.RUNNING):
                return ChunkOutcome(run_id=run_id, status="skipped")
            chunk.status = EodChunk.Status.RUNNING
            chunk.attempts += 1
            chunk.started_at = timezone.now()
            chunk.worker = worker[:200]
            chunk.save(update_fields=["status", "attempts", "started_at", "worker"])
        started = time.monotonic()
        try:
            step = step_by_name(step_run.name)
            processed = int(step.run(run.business_date, chunk.first_id, chunk.last_id) or 0)
        except Exception:  # noqa: BLE001 - any error of a step is recorded on its chunk
            error = traceback.format_exc(limit=8)
            log.warning("EOD %s %s chunk %s failed (attempt %s): %s", run.business_date, step_run.name,
                        chunk.index, chunk.attempts, error.strip().splitlines()[-1])
            return _finish(chunk_id, run_id, failed_error=error)
        log.info("EOD %s %s chunk %s: %s rows in %.3fs", run.business_date, step_run.name, chunk.index, processed,
                 time.monotonic() - started)
        return _finish(chunk_id, run_id, processed=processed)


def _finish(chunk_id: int, run_id: int, *, processed: int = 0, failed_error: str | None = None) -> ChunkOutcome:
    with transaction.atomic():
        chunk = EodChunk.objects.select_for_update().get(pk=chunk_id)
        step = EodStepRun.objects.select_for_update().get(pk=chunk.step_id)
        if chunk.status != EodChunk.Status.RUNNING:  # finished by a duplicate meanwhile
            return ChunkOutcome(run_id=run_id, status="skipped")
        now = timezone.now()
        chunk.finished_at = now
        if failed_error is None:
            chunk.status = EodChunk.Status.DONE
            chunk.processed = processed
            chunk.error = ""
            step.chunks_done += 1
            step.processed += processed
            retry = False
        else:
            retry = chunk.attempts < max_attempts()
            chunk.status = EodChunk.Status.PENDING if retry else EodChunk.Status.FAILED
            chunk.error = failed_error
            if not retry:
                step.chunks_failed += 1
        chunk.save(update_fields=["status", "processed", "error", "finished_at"])
        step.save(update_fields=["chunks_done", "chunks_failed", "processed"])
        outstanding = step.chunks.filter(status__in=[EodChunk.Status.PENDING, EodChunk.Status.RUNNING]).exists()
    return ChunkOutcome(run_id=run_id, status="done" if failed_error is None else "failed", retry=retry,
                        step_finished=not outstanding, processed=processed)


# --- reads ---------------------------------------------------------------------------------


def run_get(*, business_date: dt.date) -> EodRun:
    run = EodRun.objects.filter(business_date=business_date).first()
    if run is None:
        raise exc.EodRunNotFound(f"no end-of-day run for {business_date.isoformat()}",
                                 business_date=business_date.isoformat())
    return run
