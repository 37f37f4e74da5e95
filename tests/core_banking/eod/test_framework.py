"""The end-of-day framework with its own test steps (conftest): order, chunks, idempotency,
retries, failure and re-run, the cut-off, and the refusals. Tasks run in-process (eager)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from core_banking.eod import exceptions as exc
from core_banking.eod import services, tasks
from core_banking.eod.models import EodChunk, EodRun, EodRunStatusChange, EodStepRun
from core_banking.ledger.models import BusinessDay, JournalEntry
from core_banking.ledger.selectors import account_balance, business_date_current, business_date_cutoff

from . import steps
from .conftest import FRIDAY

MONDAY = dt.date(2030, 1, 7)
pytestmark = pytest.mark.django_db


def _balances(accounts) -> list[Decimal]:
    return [account_balance(account_id=a.pk).posted for a in accounts]


def _run(day=None) -> EodRun:
    run = services.eod_start(business_date=day)
    tasks.kick(run)
    run.refresh_from_db()
    return run


def test_a_run_closes_the_date_runs_every_step_in_chunks_and_completes(eod_steps, population):
    run = _run()
    assert run.business_date == FRIDAY and run.status == EodRun.Status.COMPLETED
    # The cut-off rolled the ledger over the weekend to the next business date.
    assert run.next_business_date == MONDAY == business_date_current()
    assert business_date_cutoff(FRIDAY) is not None
    credit, empty, flaky = run.steps.order_by("position")
    assert [s.name for s in (credit, empty, flaky)] == ["test.credit", "test.empty", "test.flaky"]
    assert credit.status == empty.status == flaky.status == EodStepRun.Status.COMPLETED
    assert (credit.population, credit.chunks_total, credit.chunks_done, credit.processed) == (10, 4, 4, 10)
    assert (empty.population, empty.chunks_total) == (0, 0)
    assert [c.size for c in credit.chunks.order_by("index")] == [3, 3, 3, 1]
    ids = [a.pk for a in population]
    assert [(c.first_id, c.last_id) for c in credit.chunks.order_by("index")] == [
        (ids[0], ids[2]), (ids[3], ids[5]), (ids[6], ids[8]), (ids[9], ids[9])]
    assert _balances(population) == [Decimal("2.00")] * 10
    # Steps ran in order: every credit chunk before any flaky chunk.
    tags = [tag for tag, _, _ in steps.CALLS]
    assert tags == ["credit"] * 4 + ["flaky"] * 4
    assert list(run.history.values_list("from_status", "to_status")) == [("", "running"), ("running", "completed")]


def test_running_a_completed_date_again_changes_nothing(eod_steps, population):
    run = _run()
    entries = JournalEntry.objects.count()
    again = _run(FRIDAY)
    assert again.pk == run.pk and again.status == EodRun.Status.COMPLETED
    assert JournalEntry.objects.count() == entries
    assert business_date_current() == MONDAY


def test_a_chunk_run_twice_changes_nothing_the_second_time(eod_steps, population):
    run = _run()
    chunk = EodChunk.objects.filter(step__run=run, step__name="test.credit").order_by("index").first()
    entries = JournalEntry.objects.count()
    assert services.chunk_execute(chunk.pk).status == "skipped"
    # Even the step's own run, called again by hand, writes nothing: its keys are per account and date.
    assert steps.credit(FRIDAY, chunk.first_id, chunk.last_id) == 3
    assert JournalEntry.objects.count() == entries
    assert _balances(population) == [Decimal("2.00")] * 10


def test_a_failing_chunk_is_recorded_and_retried_without_blocking_the_others(eod_steps, population):
    steps.FAILURES[population[3].pk] = 2  # the second flaky chunk fails twice, then succeeds
    run = _run()
    assert run.status == EodRun.Status.COMPLETED
    chunks = list(EodChunk.objects.filter(step__run=run, step__name="test.flaky").order_by("index"))
    assert [c.attempts for c in chunks] == [1, 3, 1, 1]
    assert all(c.status == EodChunk.Status.DONE and c.error == "" for c in chunks)
    assert _balances(population) == [Decimal("2.00")] * 10


def test_a_chunk_failing_every_attempt_fails_the_run_and_a_re_run_completes_it(eod_steps, population, settings):
    settings.EOD_CHUNK_ATTEMPTS = 2
    steps.FAILURES[population[6].pk] = 5
    run = _run()
    assert run.status == EodRun.Status.FAILED
    assert "test.flaky" in run.error and "flaky chunk starting at" in run.error
    flaky = run.steps.get(name="test.flaky")
    assert (flaky.status, flaky.chunks_done, flaky.chunks_failed) == (EodStepRun.Status.FAILED, 3, 1)
    failed = flaky.chunks.get(status=EodChunk.Status.FAILED)
    assert failed.attempts == 2 and "RuntimeError: flaky chunk starting at" in failed.error
    # The other chunks went on: only the failed chunk's accounts miss the flaky credit.
    assert _balances(population) == [Decimal("2.00")] * 6 + [Decimal("1.00")] * 3 + [Decimal("2.00")]
    # The next date cannot start while this one is unfinished.
    with pytest.raises(exc.EodPreviousIncomplete):
        services.eod_start(business_date=MONDAY)
    # The cause goes away; the re-run tries the failed chunk again and completes.
    steps.FAILURES.clear()
    rerun = _run(FRIDAY)
    assert rerun.pk == run.pk and rerun.status == EodRun.Status.COMPLETED and rerun.attempts == 2
    assert _balances(population) == [Decimal("2.00")] * 10
    assert list(rerun.history.values_list("from_status", "to_status")) == [
        ("", "running"), ("running", "failed"), ("failed", "running"), ("running", "completed")]


def test_a_run_killed_half_way_completes_on_re_run_with_no_double_effect(eod_steps, population):
    """A worker died while a chunk was running and before the next step was planned: the chunk
    is left 'running', the run 'running'. Re-running dispatches the outstanding chunks again."""
    steps.FAILURES[population[3].pk] = 1
    run = services.eod_start()
    ids = services.advance(run.pk)  # the credit step planned; run two chunks, "die" in the third
    services.chunk_execute(ids[0])
    services.chunk_execute(ids[1])
    EodChunk.objects.filter(pk=ids[2]).update(status=EodChunk.Status.RUNNING, attempts=1)
    run.refresh_from_db()
    assert run.status == EodRun.Status.RUNNING
    out = call_command_output("run_eod", "--date", FRIDAY.isoformat())
    assert "End of day 2030-01-04: completed." in out
    assert _balances(population) == [Decimal("2.00")] * 10
    assert EodChunk.objects.filter(step__run=run).exclude(status=EodChunk.Status.DONE).count() == 0


def call_command_output(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_command_prints_the_steps_and_refuses_dates_it_cannot_run(eod_steps, population):
    out = call_command_output("run_eod")
    assert "1. Credit one euro" in out and "completed" in out and "4/4 chunks, 10 rows" in out
    with pytest.raises(CommandError, match="eod_date_in_future"):
        call_command("run_eod", "--date", "2031-01-01")
    with pytest.raises(CommandError, match="eod_date_not_open"):
        call_command("run_eod", "--date", "2030-01-02")
    with pytest.raises(CommandError, match="not a date"):
        call_command("run_eod", "--date", "someday")


def test_a_failed_run_makes_the_command_exit_non_zero(eod_steps, population, settings):
    settings.EOD_CHUNK_ATTEMPTS = 1
    steps.FAILURES[population[0].pk] = 1
    with pytest.raises(CommandError, match="failed: step test.flaky"):
        call_command("run_eod", stdout=__import__("io").StringIO())


def test_the_beat_task_waits_for_the_cut_off(eod_steps, population, settings):
    settings.BANK_CUTOFF = "23:59"
    # The open date is in 2030: its cut-off has not passed yet.
    assert tasks.eod_start_at_cutoff() == "before_cutoff"
    assert not EodRun.objects.exists()
    BusinessDay.objects.filter(closed_at__isnull=True).update(date=dt.date(2020, 1, 3))
    assert tasks.eod_start_at_cutoff() == "completed"
    assert EodRun.objects.get().next_business_date == dt.date(2020, 1, 6)


def test_an_unknown_step_is_refused(eod_steps, population, settings):
    settings.CORE_BANKING_EOD_STEPS = ["core_banking.eod.calendar.cutoff_at"]
    with pytest.raises(exc.EodStepUnknown):
        services.eod_start()
    assert not EodRun.objects.exists() and business_date_current() == FRIDAY


def _raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_keeps_one_run_per_date_ordered_chunks_and_the_history(eod_steps, population):
    run = _run()
    with pytest.raises(IntegrityError):
        _raw("INSERT INTO eod_eodrun (business_date, next_business_date, status, current_step, error, started_at,"
             " attempts) VALUES (%s, %s, 'running', '', '', now(), 1)", [FRIDAY, MONDAY])
    with pytest.raises(IntegrityError):
        _raw("UPDATE eod_eodrun SET next_business_date = business_date WHERE id = %s", [run.pk])
    with pytest.raises(IntegrityError):
        _raw("UPDATE eod_eodrun SET finished_at = NULL WHERE id = %s", [run.pk])
    chunk = EodChunk.objects.filter(step__run=run).first()
    with pytest.raises(IntegrityError):
        _raw("UPDATE eod_eodchunk SET last_id = first_id - 1 WHERE id = %s", [chunk.pk])
    with pytest.raises(IntegrityError, match="append-only"):
        _raw("UPDATE eod_eodrunstatuschange SET reason = 'x' WHERE run_id = %s", [run.pk])
    assert EodRunStatusChange.objects.filter(run=run).count() == 2


def test_a_person_needs_the_start_permission_in_the_service_too(eod_steps, population):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from core_banking.common.errors import PermissionRefused

    user = get_user_model().objects.create_user(username="eod-nobody", password="x")
    with pytest.raises(PermissionRefused):
        services.eod_start(actor=user)
    assert not EodRun.objects.exists() and business_date_current() == FRIDAY
    user.user_permissions.add(Permission.objects.get(codename="start_eodrun"))
    user = get_user_model().objects.get(pk=user.pk)
    assert services.eod_start(actor=user).requested_by == user
