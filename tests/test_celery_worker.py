"""Tasks through a real broker and a real worker process, not eager mode.

The worker is started by the fixture below with the test settings, pointed at Redis (the
``CELERY_BROKER_URL`` / ``CELERY_RESULT_BACKEND`` environment variables win over the settings'
empty broker in Celery) and at the very database this test process uses, on a queue of its own
so that other workers on the same Redis never take these tasks. The test process switches the
app out of eager mode only for the duration of a test.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import timezone

from backoffice.celery import app
from backoffice.tasks import ping
from core_banking.ledger.models import AccountType, BalanceRule, Hold
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import hold_create, ledger_account_create, transfer
from core_banking.ledger.tasks import expire_holds

pytestmark = pytest.mark.slow

BASE_DIR = Path(__file__).resolve().parent.parent
BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/5")
STARTUP_TIMEOUT = 60
RESULT_TIMEOUT = 30


def _test_database_url() -> str:
    """The URL of the database pytest-django created for this process (``test_<name>``, with the
    xdist worker suffix when there is one), read after the test database exists."""
    db = settings.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql", "the worker test needs PostgreSQL"
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def _reset_connections() -> None:
    """Drop the app's cached broker pool and result backend, so the next use is built from the
    current configuration (the eager-mode objects would otherwise be reused)."""
    from kombu import pools

    pools.reset()  # closes the pooled broker connections and forgets the pools
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@contextmanager
def broker_mode(url: str = BROKER_URL):
    """Send tasks to the broker instead of running them in-process (test settings are eager)."""
    keys = ("task_always_eager", "broker_url", "result_backend")
    saved = {key: app.conf.get(key) for key in keys}
    app.conf.update(task_always_eager=False, broker_url=url, result_backend=url)
    _reset_connections()
    try:
        yield
    finally:
        _reset_connections()
        app.conf.update(saved)


class Worker:
    def __init__(self, process: subprocess.Popen, queue: str, nodename: str, log: Path) -> None:
        self.process, self.queue, self.nodename, self.log = process, queue, nodename, log

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no worker log)"


def _wait_until_ready(worker: Worker) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with broker_mode():
        while time.monotonic() < deadline:
            if worker.process.poll() is not None:
                pytest.fail(f"the Celery worker exited with {worker.process.returncode}:\n{worker.log_tail()}")
            replies = app.control.ping(destination=[worker.nodename], timeout=1.0)
            if any(worker.nodename in reply for reply in replies):
                return
    pytest.fail(f"the Celery worker did not answer a ping within {STARTUP_TIMEOUT} s:\n{worker.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # warm shutdown
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _forget_queue(queue: str) -> None:
    """Remove what kombu left in Redis for the test queue (it is never used again)."""
    import redis

    client = redis.Redis.from_url(BROKER_URL)
    try:
        # The queue's list and its exchange binding (`_kombu.binding*.<queue>`).
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, tmp_path_factory):
    queue = f"test-worker-{uuid.uuid4().hex[:12]}"
    nodename = f"{queue}@{socket.gethostname()}"
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.test",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_RESULT_BACKEND": BROKER_URL,
        "REDIS_URL": os.environ.get("CELERY_TEST_CACHE_URL", "redis://127.0.0.1:6379/6"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool=solo", "--concurrency=1",
        "-Q", queue, "-n", nodename, "--without-gossip", "--without-mingle", "--loglevel=INFO",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    worker = Worker(process, queue, nodename, log)
    try:
        _wait_until_ready(worker)
        yield worker
    finally:
        _stop(process)
        _forget_queue(queue)


def test_ping_makes_a_round_trip_through_redis_and_a_worker_process(celery_worker):
    payload = f"probe-{uuid.uuid4().hex}"

    with broker_mode():
        async_result = ping.apply_async(args=[payload], queue=celery_worker.queue)
        try:
            reply = async_result.get(timeout=RESULT_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - show the worker's side of the story
            pytest.fail(f"no result from the worker ({error!r}):\n{celery_worker.log_tail()}")
        async_result.forget()

    assert reply["payload"] == payload
    # Run by the worker process itself (solo pool), not by this one.
    assert reply["pid"] != os.getpid()
    assert reply["pid"] == celery_worker.process.pid


@pytest.mark.django_db(transaction=True)
def test_hold_expiry_task_runs_in_the_worker_against_the_test_database(celery_worker):
    # Given a customer with 100.00 of which 40.00 is held by a card authorisation that expired
    # a minute ago (committed: the worker reads the database through its own connection)
    cash = ledger_account_create(code="W-CASH", name="Cash", type=AccountType.ASSET, currency="EUR")
    card = ledger_account_create(code="W-CARD", name="Card settlement", type=AccountType.LIABILITY, currency="EUR")
    customer = ledger_account_create(code="W-CUST", name="Customer", type=AccountType.LIABILITY, currency="EUR",
                                     balance_rule=BalanceRule.NON_NEGATIVE)
    transfer(debit_account_id=cash.pk, credit_account_id=customer.pk, amount=Decimal("100.00"),
             idempotency_key="worker-deposit")
    hold, _ = hold_create(debit_account_id=customer.pk, credit_account_id=card.pk, amount=Decimal("40.00"),
                          idempotency_key="worker-hold", expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert account_balance(account_id=customer.pk).available == Decimal("60.00")

    # When the periodic task runs on the worker
    with broker_mode():
        async_result = expire_holds.apply_async(queue=celery_worker.queue)
        try:
            expired = async_result.get(timeout=RESULT_TIMEOUT)
        except Exception as error:  # noqa: BLE001
            pytest.fail(f"no result from the worker ({error!r}):\n{celery_worker.log_tail()}")
        async_result.forget()

    # Then the worker expired the hold in this database and released the funds
    assert expired == 1
    hold.refresh_from_db()
    assert hold.status == Hold.Status.EXPIRED
    balance = account_balance(account_id=customer.pk)
    assert (balance.posted, balance.held, balance.available) == (Decimal("100.00"), Decimal("0.00"),
                                                                Decimal("100.00"))


# --- beat -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_beat_writes_the_static_schedule_into_the_database_scheduler(django_db_setup, tmp_path):
    """`CELERY_BEAT_SCHEDULE` reaches django-celery-beat's tables when beat starts, where staff
    see (and may pause) the hold-expiry run."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    broker = os.environ.get("CELERY_TEST_BEAT_BROKER_URL", "redis://127.0.0.1:6379/7")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings.test",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": broker,
        "LEDGER_HOLD_EXPIRY_INTERVAL": "45",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "beat.log"
    command = [
        sys.executable, "-m", "celery", "-A", "backoffice", "beat", "--loglevel=INFO",
        "--pidfile", str(tmp_path / "beat.pid"), "--schedule", str(tmp_path / "beat-schedule"),
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not PeriodicTask.objects.filter(name="ledger.expire_holds").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"beat did not write the schedule (exit {process.poll()}):\n{log.read_text()}")
            time.sleep(0.2)
    finally:
        _stop(process)

    entry = PeriodicTask.objects.select_related("interval").get(name="ledger.expire_holds")
    assert entry.task == "ledger.expire_holds"
    assert entry.enabled
    assert (entry.interval.every, entry.interval.period) == (45, IntervalSchedule.SECONDS)
    assert entry.expire_seconds == 45
    assert "DatabaseScheduler" in log.read_text()
