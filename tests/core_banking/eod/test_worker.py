"""The end of day on real Celery workers through Redis: a worker is killed (SIGKILL, the whole
process group) in the middle of a run; a new worker and a re-run complete it, and the ledger is
the one an uninterrupted run gives: every account credited exactly once per step."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from decimal import Decimal

import pytest

from backoffice.celery import app
from core_banking.eod import services, tasks
from core_banking.eod.models import EodChunk, EodRun
from core_banking.ledger.models import AccountType, JournalEntry
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import business_date_roll, ledger_account_create
from tests.test_celery_worker import (
    BASE_DIR,
    BROKER_URL,
    Worker,
    _forget_queue,
    _stop,
    _test_database_url,
    _wait_until_ready,
    broker_mode,
)

from . import steps
from .conftest import FRIDAY

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
STEPS = "tests.core_banking.eod.steps.SLOW,tests.core_banking.eod.steps.CREDIT"
ACCOUNTS = 24


def _start_worker(queue: str, tmp_path, name: str) -> Worker:
    nodename = f"{name}-{queue}@{socket.gethostname()}"
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings.test", "DATABASE_URL": _test_database_url(),
           "CELERY_BROKER_URL": BROKER_URL, "CELERY_RESULT_BACKEND": BROKER_URL,
           "CELERY_TASK_DEFAULT_QUEUE": queue, "CELERY_USE_BROKER": "1", "CORE_BANKING_EOD_STEPS": STEPS,
           "EOD_RETRY_DELAY": "1",
           "REDIS_URL": os.environ.get("CELERY_TEST_CACHE_URL", "redis://127.0.0.1:6379/6"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool=prefork", "--concurrency=2",
               "-Q", queue, "-n", nodename, "--without-gossip", "--without-mingle", "--loglevel=INFO"]
    with log.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    worker = Worker(process, queue, nodename, log)
    _wait_until_ready(worker)
    return worker


def _wait(predicate, timeout: float, worker: Worker, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}:\n{worker.log_tail()}")


def test_a_worker_killed_mid_run_and_a_re_run_give_the_ledger_of_an_uninterrupted_run(settings, tmp_path):
    settings.CORE_BANKING_EOD_STEPS = STEPS.split(",")
    business_date_roll(to_date=FRIDAY)
    ledger_account_create(code=steps.SOURCE, name="EOD test source", type=AccountType.ASSET, currency="EUR")
    accounts = [ledger_account_create(code=f"{steps.PREFIX}{n:02d}", name=f"EOD test {n}",
                                      type=AccountType.LIABILITY, currency="EUR") for n in range(ACCOUNTS)]
    queue = f"test-eod-{uuid.uuid4().hex[:10]}"
    saved_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    first = second = None
    try:
        first = _start_worker(queue, tmp_path, "first")
        with broker_mode():
            run = services.eod_start()
            tasks.kick(run)
            slow_step = run.steps.get(name="test.slow")
            # Kill the worker once some chunks of the first step are done and others are not.
            _wait(lambda: slow_step.chunks.filter(status=EodChunk.Status.DONE).count() >= 2, 60, first,
                  "two chunks done")
            os.killpg(first.process.pid, signal.SIGKILL)
            first.process.wait(timeout=10)
            run.refresh_from_db()
            assert run.status == EodRun.Status.RUNNING
            unfinished = slow_step.chunks.exclude(status=EodChunk.Status.DONE).count()
            assert unfinished > 0, "the worker finished before it was killed: make the step slower"
            # A new worker; the operator re-runs the date (run_eod --date), which sends the
            # outstanding chunks again.
            second = _start_worker(queue, tmp_path, "second")
            again = services.eod_start(business_date=FRIDAY)
            assert again.pk == run.pk
            tasks.kick(again)
            _wait(lambda: EodRun.objects.filter(pk=run.pk).exclude(status=EodRun.Status.RUNNING).exists(), 120,
                  second, "the run to finish")
    finally:
        app.conf.task_default_queue = saved_queue
        for worker in (first, second):
            if worker is not None:
                _stop(worker.process)
        _forget_queue(queue)
    run.refresh_from_db()
    assert run.status == EodRun.Status.COMPLETED, run.error
    assert all(s.chunks_done == s.chunks_total == 8 for s in run.steps.all())
    # Exactly the uninterrupted ledger: one credit per account and step, nothing twice.
    assert [account_balance(account_id=a.pk).posted for a in accounts] == [Decimal("2.00")] * ACCOUNTS
    assert JournalEntry.objects.filter(idempotency_key__startswith="eodt:").count() == 2 * ACCOUNTS
    # Both workers did part of the work.
    names = list(EodChunk.objects.filter(step__run=run).values_list("worker", flat=True))
    assert {name.split("-")[0] for name in names} == {"first", "second"}, names
