"""``python -m bench.eod``: the end-of-day interest accrual benchmark. One JSON document on
stdout (also ``bench/results/eod-<timestamp>.json``); progress on stderr.

Setup (not timed), in a freshly created bench database (see bench/README.md: the database is
dropped and recreated; its name must contain "bench"):

* one interest schedule (2.5 %, ACT/365F, end-of-day balance, monthly capitalisation), a savings
  product naming it, one customer;
* ``--accounts`` customer accounts (default 1,000,000), written set-based with SQL (ledger
  account, its balance row, the account), each funded through the ledger's bulk path with a
  random balance of 0.01 to 50,000.00 (entries of 500 postings);
* the business date moved to a date ``M`` whose next business date is ``M + 1``.

Timed: for each ``--workers`` level (default 1,2) a real Celery worker (prefork, that many
processes) on Redis runs the end of day of the open date with one step, ``interest.accrue``:
from ``eod_start`` (the cut-off) until the run is completed, as ``run_eod`` does. Each level is
the next business date, so each accrues exactly one day for every account. Reported per level:
seconds end to end, accounts per second, the per-step breakdown (planning, chunk durations) and
the accrual rows written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

from bench import util

BASE_DIR = Path(__file__).resolve().parent.parent
STEP = "core_banking.interest.eod.ACCRUE"


def log(message: str) -> None:
    print(f"[bench.eod {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.eod", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--accounts", type=int, default=1_000_000, help="customer accounts (default 1,000,000)")
    p.add_argument("--workers", default="1,2", help="worker processes per level (default 1,2)")
    p.add_argument("--chunk-size", type=int, default=None, help="accounts per chunk (default: the step's)")
    p.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/7"))
    p.add_argument("--database-url", default=None, help="bench database (dropped and recreated!)")
    p.add_argument("--timeout", type=float, default=900, help="seconds allowed per level (default 900)")
    args = p.parse_args(argv)
    args.workers = [int(x) for x in args.workers.split(",") if x.strip()]
    return args


def _setup_bank(n_accounts: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from core_banking.accounts.models import Product
    from core_banking.customers.models import Customer
    from core_banking.eod import calendar
    from core_banking.interest.models import InterestRate, InterestRateSchedule
    from core_banking.ledger import services as ledger
    from core_banking.ledger.engine import SHARD_FACTOR
    from core_banking.ledger.models import AccountType

    today = dt.date.today()
    day = today + dt.timedelta(days=1)
    while calendar.next_business_day(day) != day + dt.timedelta(days=1):
        day += dt.timedelta(days=1)
    ledger.business_date_open()
    ledger.business_date_roll(to_date=day)
    header = ledger.ledger_account_create(code="2100", name="Customer deposits", type=AccountType.LIABILITY,
                                          currency="EUR", is_synthetic=True)
    cash = ledger.ledger_account_create(code="1100-EUR", name="Cash EUR", type=AccountType.ASSET, currency="EUR",
                                        shard_count=16)
    schedule = InterestRateSchedule.objects.create(code="BENCH-SAV", name="Bench savings", currency_id="EUR")
    InterestRate.objects.create(schedule=schedule, effective_from=dt.date(2000, 1, 1), credit_rate=Decimal("0.025"))
    product = Product.objects.create(code="BENCH-SAV", name="Bench savings", kind="savings", currency_id="EUR",
                                     gl_account=header, interest_schedule_code="BENCH-SAV")
    customer = Customer.objects.create(number="BENCH-1", type="person", status="active", kyc_status="approved",
                                       kyc_approved_at=timezone.now(),
                                       first_name="Bench", last_name="Customer", email="bench@example.test")
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(id), 0) FROM ledger_ledgeraccount")
        base = cursor.fetchone()[0] + 1
        cursor.execute("""
            INSERT INTO ledger_ledgeraccount (id, code, name, type, is_synthetic, balance_rule, overdraft_limit,
                shard_count, is_active, external_id, created_at, currency_id, parent_id)
            SELECT %(base)s + g, 'BENCH-' || g, 'Bench account ' || g, 'liability', false, 'non_negative', 0, 1,
                   true, '', now(), 'EUR', %(header)s
            FROM generate_series(0, %(n)s - 1) g""", {"base": base, "n": n_accounts, "header": header.pk})
        cursor.execute("""
            INSERT INTO ledger_balance (id, account_id, shard, balance, held, pending_in, floor, posting_count)
            SELECT (%(base)s + g) * %(factor)s, %(base)s + g, 0, 0, 0, 0, 0, 0
            FROM generate_series(0, %(n)s - 1) g""", {"base": base, "n": n_accounts, "factor": SHARD_FACTOR})
        cursor.execute("""
            INSERT INTO accounts_account (number, iban, name, status, status_reason, overdraft_limit, opened_at,
                activated_at, currency_id, customer_id, ledger_account_id, product_id)
            SELECT 'B' || lpad(g::text, 11, '0'), 'NL00BNCH' || lpad(g::text, 10, '0'), '', 'active', '', 0,
                   now(), now(), 'EUR', %(customer)s, %(base)s + g, %(product)s
            FROM generate_series(0, %(n)s - 1) g""",
                       {"base": base, "n": n_accounts, "customer": customer.pk, "product": product.pk})
        cursor.execute("SELECT setval(pg_get_serial_sequence('ledger_ledgeraccount', 'id'), %s)",
                       [base + n_accounts])
    log(f"{n_accounts:,} accounts written in {time.monotonic() - started:.1f}s; funding through the ledger")
    started = time.monotonic()
    rng = random.Random(20241206)
    legs_per_entry, entries_per_call = 499, 20
    for offset in range(0, n_accounts, legs_per_entry * entries_per_call):
        entries = []
        for start in range(offset, min(n_accounts, offset + legs_per_entry * entries_per_call), legs_per_entry):
            amounts = [Decimal(rng.randint(1, 5_000_000)) / 100
                       for _ in range(min(legs_per_entry, n_accounts - start))]
            postings = [{"account_id": cash.pk, "amount": str(sum(amounts))}]
            postings += [{"account_id": base + start + i, "amount": str(-a)} for i, a in enumerate(amounts)]
            entries.append({"postings": postings, "description": "bench funding"})
        ledger.entries_post_bulk(entries=entries, idempotency_key=f"bench-fund-{offset}")
        if offset and offset % 200_000 == 0:
            log(f"  funded {offset:,}")
    funding = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"funded in {funding:.1f}s; open business date {day}")
    return {"accounts": n_accounts, "first_business_date": day.isoformat(), "funding_seconds": round(funding, 1)}


def _start_worker(concurrency: int, url: str, broker: str, queue: str, chunk_size: int | None, logdir: Path):
    nodename = f"bench{concurrency}-{queue}@{socket.gethostname()}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": util.SETTINGS_MODULE, "DATABASE_URL": url,
           "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker, "CELERY_TASK_DEFAULT_QUEUE": queue,
           "CELERY_USE_BROKER": "1", "CORE_BANKING_EOD_STEPS": STEP, "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    log_path = logdir / f"worker-{concurrency}.log"
    command = [sys.executable, "-m", "celery", "-A", "backoffice", "worker", "--pool=prefork",
               f"--concurrency={concurrency}", "-Q", queue, "-n", nodename, "--without-gossip", "--without-mingle",
               "--loglevel=WARNING"]
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    from backoffice.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited: {log_path.read_text()[-2000:]}")
        if any(nodename in reply for reply in app.control.ping(destination=[nodename], timeout=1.0)):
            return process
    raise RuntimeError("worker did not answer a ping within 60 s")


def _stop(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _level(concurrency: int, args, url: str, queue: str, logdir: Path) -> dict:
    from core_banking.eod import services, tasks
    from core_banking.eod.models import EodRun
    from core_banking.interest.models import InterestAccrual

    process = _start_worker(concurrency, url, args.broker, queue, args.chunk_size, logdir)
    try:
        started = time.monotonic()
        run = services.eod_start()
        tasks.kick(run)
        while EodRun.objects.filter(pk=run.pk, status=EodRun.Status.RUNNING).exists():
            if time.monotonic() - started > args.timeout:
                raise RuntimeError(f"the run did not finish within {args.timeout}s")
            time.sleep(0.05)
        seconds = time.monotonic() - started
    finally:
        _stop(process)
    run.refresh_from_db()
    steps = []
    for step in run.steps.all():
        chunk_times = sorted((c.finished_at - c.started_at).total_seconds() for c in step.chunks.all()
                             if c.started_at and c.finished_at)
        steps.append({
            "step": step.name, "status": step.status, "population": step.population, "chunks": step.chunks_total,
            "rows": step.processed, "seconds": round(step.seconds or 0, 3),
            "chunk_seconds": {"min": round(chunk_times[0], 3), "median": round(chunk_times[len(chunk_times) // 2], 3),
                              "max": round(chunk_times[-1], 3)} if chunk_times else None,
        })
    rows = InterestAccrual.objects.filter(business_date=run.business_date).count()
    return {"workers": concurrency, "business_date": run.business_date.isoformat(), "status": run.status,
            "error": run.error, "seconds": round(seconds, 2), "accounts_per_second": round(args.accounts / seconds),
            "accrual_rows": rows, "steps": steps}


def main(argv=None) -> int:
    args = parse_args(argv)
    url = util.bench_database_url(args.database_url)
    queue = f"bench-eod-{uuid.uuid4().hex[:8]}"
    # Before Django starts: the bench process sends tasks to Redis, to the bench queue.
    os.environ.update({"CELERY_BROKER_URL": args.broker, "CELERY_RESULT_BACKEND": args.broker,
                       "CELERY_TASK_DEFAULT_QUEUE": queue, "CORE_BANKING_EOD_STEPS": STEP, "CELERY_USE_BROKER": "1"})
    if args.chunk_size:
        os.environ["EOD_CHUNK_SIZE"] = str(args.chunk_size)
    log(f"recreating {url}")
    util.recreate_database(url)
    util.setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    doc = {"benchmark": "eod", "machine": util.machine_info(url), "target": {"accounts": 1_000_000,
                                                                         "max_seconds": 60}}
    doc["setup"] = _setup_bank(args.accounts)
    logdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-eod-{queue}"
    logdir.mkdir(parents=True, exist_ok=True)
    doc["levels"] = []
    failed = False
    for concurrency in args.workers:
        log(f"level: {concurrency} worker process(es)")
        try:
            result = _level(concurrency, args, url, queue, logdir)
        except Exception as error:  # noqa: BLE001 - reported in the JSON
            result = {"workers": concurrency, "error": repr(error)}
        failed = failed or result.get("status") != "completed"
        log(json.dumps({k: result.get(k) for k in ("workers", "status", "seconds", "accounts_per_second")}))
        doc["levels"].append(result)
    best = min((lvl["seconds"] for lvl in doc["levels"] if lvl.get("status") == "completed"), default=None)
    doc["target"]["met"] = best is not None and best <= 60 and args.accounts >= 1_000_000
    RESULTS = util.RESULTS_DIR
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"eod-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(json.dumps(doc, indent=2, default=str))
    log(f"written to {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
