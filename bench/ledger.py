"""Ledger scenarios through the Django services: (a) single transfers, (b) the hot fee account,
(c) the bulk path, (e) reads over a large ledger, (p) a profile of one worker, and the final
``verify_ledger``. Django must be set up (``util.setup_django``) before these are called.
"""

from __future__ import annotations

import cProfile
import pstats
import random
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bench.util import RESULTS_DIR, Timer, WaitSampler, combine, latency_summary, run_workers, setup_django

CURRENCY = "EUR"
FUNDING = Decimal("1000000.00")  # per constrained account: far more than the bench can move out
FEE = Decimal("0.25")
BULK_SOURCE_SHARE = 0.1  # in bulk batches, this share of transfers comes from the unconstrained source


def log(message: str) -> None:
    import sys

    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cents(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high)).scaleb(-2)


# --- accounts ------------------------------------------------------------------------------------


@dataclass
class Fixture:
    source: int  # unconstrained asset account (the outside world), sharded
    accounts: list[int]  # constrained (non_negative) customer accounts, funded
    fee_accounts: dict[int, int]  # shard_count -> unconstrained fee-income account


def create_accounts(prefix: str, count: int, **fields) -> list[int]:
    """Open ``count`` accounts through the service (in one transaction, for speed)."""
    from django.db import transaction

    from core_banking.ledger.services import ledger_account_create

    with transaction.atomic():
        return [
            ledger_account_create(code=f"{prefix}{i:06d}", name=f"{prefix}{i}", currency=CURRENCY, **fields).id
            for i in range(count)
        ]


def fund(source: int, accounts: Sequence[int], amount: Decimal, key: str, batch: int = 5000) -> None:
    """Credit every account with ``amount`` from the unconstrained source, through the bulk path."""
    from core_banking.ledger.services import entries_post_bulk

    for start in range(0, len(accounts), batch):
        chunk = accounts[start:start + batch]
        entries_post_bulk(
            entries=[{"postings": [{"account_id": source, "amount": amount},
                                   {"account_id": a, "amount": -amount}]} for a in chunk],
            idempotency_key=f"{key}-{start}",
        )


def create_fixture(n_accounts: int) -> Fixture:
    """The accounts scenarios (a)-(d) share: a sharded source, ``n_accounts`` funded non-negative
    customer accounts (liabilities), and two fee-income accounts with 1 and 16 shards."""
    source = create_accounts("BENCH-SRC-", 1, type="asset", shard_count=16)[0]
    accounts = create_accounts("BENCH-CUST-", n_accounts, type="liability", balance_rule="non_negative")
    fees = {shards: create_accounts(f"BENCH-FEE{shards}-", 1, type="income", shard_count=shards)[0]
            for shards in (1, 16)}
    fund(source, accounts, FUNDING, key="fund-fixture")
    history(source, accounts, HISTORY)
    analyze()
    return Fixture(source=source, accounts=accounts, fee_accounts=fees)


HISTORY = 20_000  # transfers written before anything is measured: an established, not a pristine, ledger


def history(source: int, accounts: Sequence[int], count: int, batch: int = 5000) -> None:
    """Some history through the bulk path, so that the planner's statistics (see ``analyze``)
    describe a ledger with entries in it rather than an empty one."""
    from core_banking.ledger.services import entries_post_bulk

    rng = random.Random(1)
    for start in range(0, count, batch):
        entries_post_bulk(entries=random_transfers(rng, min(batch, count - start), accounts, source, 0.5),
                          idempotency_key=f"history-{start}")


def analyze() -> None:
    """Refresh the planner's statistics, as autovacuum does on an established database; called
    after setup and before each timed level (workers prepare their statements after it). The
    engine's prepared statements run with generic plans (plan_cache_mode=force_generic_plan),
    chosen once per session from the statistics of that moment: planned against the statistics
    of a nearly empty ledger they can scan whole tables (see the README)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- SQL timing ------------------------------------------------------------------------------------

_STATEMENT_LABELS = [
    (re.compile(r"pg_advisory_xact_lock_shared.*FROM ledger_ledgeraccount", re.S),
     "locks + reads (accounts, keys, date)"),
    (re.compile(r"UPDATE ledger_balance.*INSERT INTO ledger_entry", re.S),
     "write entry (balances + chain + entry + postings)"),
    (re.compile(r"UPDATE ledger_balance"), "update balances (lock + floor check)"),
    (re.compile(r"pg_advisory_xact_lock"), "advisory locks"),
    (re.compile(r"FROM ledger_ledgeraccount"), "read accounts"),
    (re.compile(r"FROM ledger_entry\s+WHERE idempotency_scope"),
     "read idempotency keys"),
    (re.compile(r"FROM ledger_business_day"), "read business date"),
    (re.compile(r"UPDATE ledger_chain|FROM ledger_chain"), "hash chain"),
    (re.compile(r"INSERT INTO ledger_entry"), "insert entry"),
    (re.compile(r"INSERT INTO ledger_posting"), "insert postings"),
    (re.compile(r"nextval"), "reserve entry ids"),
    (re.compile(r'FROM "ledger_entry"'), "re-read entries (in_bulk)"),
]


def statement_label(sql: str) -> str:
    """A short name for a statement of the posting path (the engine's SQL changes; unknown
    statements are shown by their first words)."""
    for pattern, label in _STATEMENT_LABELS:
        if pattern.search(sql):
            return label
    return " ".join(sql.split())[:60]


class SqlClock:
    """A Django ``execute_wrapper``: time spent in ``cursor.execute`` (the round trip: network plus
    server work), optionally per statement kind. The BEGIN that psycopg sends before a transaction's
    first statement is counted in that statement; COMMIT is not a cursor call and is timed apart."""

    def __init__(self, per_statement: bool = False):
        self.seconds = 0.0
        self.queries = 0
        self.per_statement = per_statement
        self.by_label: dict[str, list] = defaultdict(lambda: [0, 0.0])

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - t0
            self.seconds += elapsed
            self.queries += 1
            if self.per_statement:
                slot = self.by_label[statement_label(sql)]
                slot[0] += 1
                slot[1] += elapsed


def before_workers() -> None:
    """Before a level of worker processes: fresh statistics, and no Django connection open in the
    parent (forked children must not share its socket)."""
    from django.db import connections

    analyze()
    connections.close_all()


# --- (a) and (b): single transfers in concurrent worker processes ---------------------------------


def _ensure_django(url: str) -> None:
    from django.apps import apps

    if not apps.ready:  # "spawn" workers start from scratch; forked ones inherit a set-up Django
        setup_django(url)


def _transfer_maker(accounts: Sequence[int], fee_account: int | None, rng: random.Random):
    """A function posting one random transfer: two legs, or three with a fee to ``fee_account``."""
    from core_banking.ledger import services
    from core_banking.ledger.engine import Leg

    def post(key: str) -> None:
        payer, payee = rng.sample(accounts, 2)
        amount = cents(rng, 1, 10_000)
        if fee_account is None:
            services.transfer(debit_account_id=payer, credit_account_id=payee, amount=amount, idempotency_key=key)
        else:
            services.entry_post(
                postings=[Leg(payer, amount + FEE), Leg(payee, -amount), Leg(fee_account, -FEE)],
                idempotency_key=key,
            )

    return post


def prepare_transfer_worker(url: str, accounts: list[int], fee_account: int | None, seconds: float,
                            tag: str, seed: int):
    """Worker process: connect, warm up, and return ``run()`` posting transfers for ``seconds``."""
    _ensure_django(url)
    from django.db import connection

    from core_banking.ledger.exceptions import InsufficientFunds

    post = _transfer_maker(accounts, fee_account, random.Random(seed))
    for i in range(3):
        post(f"{tag}-warmup-{i}")

    def run() -> dict:
        clock = SqlClock()
        latencies, rejected = [], 0
        start = time.monotonic()
        deadline = start + seconds
        i = 0
        with connection.execute_wrapper(clock):
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                try:
                    post(f"{tag}-{i}")
                except InsufficientFunds:
                    rejected += 1
                latencies.append(time.perf_counter() - t0)
                i += 1
        end = time.monotonic()
        connection.close()
        return {"count": i - rejected, "rejected": rejected, "start": start, "end": end,
                "latencies": latencies, "sql_seconds": clock.seconds, "queries": clock.queries}

    return run


def run_transfer_levels(url: str, fixture: Fixture, workers: Sequence[int], seconds: float, tag: str,
                        fee_account: int | None = None) -> dict:
    out = {}
    for n in workers:
        log(f"{tag}: {n} worker(s) x {seconds}s")
        before_workers()
        args = [(url, fixture.accounts, fee_account, seconds, f"{tag}-{n}w{w}", hash((tag, n, w)))
                for w in range(n)]
        with WaitSampler(url) as waits:
            results = run_workers(prepare_transfer_worker, args)
        level = combine(results)
        level["db_wait_profile"] = waits.summary()
        out[str(n)] = level
        log(f"{tag}: {n} worker(s): {level['transfers_per_second']}/s")
    return out


def scenario_single(url: str, fixture: Fixture, workers: Sequence[int], seconds: float) -> dict:
    return {
        "description": "services.transfer: 2 legs between random pairs of the constrained accounts, "
                       "one transaction per transfer, N worker processes",
        "by_workers": run_transfer_levels(url, fixture, workers, seconds, "a"),
    }


def scenario_hot_account(url: str, fixture: Fixture, workers: Sequence[int], seconds: float) -> dict:
    out = {
        "description": "services.entry_post: 3 legs (payer -amount-fee, payee +amount, fee income +fee); "
                       "every transfer also credits the one fee-income account",
        "fee": str(FEE),
    }
    for shards, account in sorted(fixture.fee_accounts.items()):
        out[f"fee_account_shards_{shards}"] = {
            "by_workers": run_transfer_levels(url, fixture, workers, seconds, f"b{shards}", fee_account=account)
        }
    return out


# --- (c): the bulk path ----------------------------------------------------------------------------


def random_transfers(rng: random.Random, count: int, accounts: Sequence[int], source: int,
                     source_share: float, low: int = 1, high: int = 10_000) -> list[dict]:
    """``count`` two-leg entries in the bulk request format between random distinct accounts; a
    ``source_share`` of them are paid by the unconstrained source instead of a customer."""
    entries = []
    for _ in range(count):
        payer, payee = rng.sample(accounts, 2)
        if rng.random() < source_share:
            payer = source
        amount = cents(rng, low, high)
        entries.append({"postings": [{"account_id": payer, "amount": amount},
                                     {"account_id": payee, "amount": -amount}]})
    return entries


def scenario_bulk(fixture: Fixture, sizes: Sequence[int], seconds: float, seed: int = 3) -> dict:
    """Batches of two-leg transfers through ``entries_post_bulk`` (one transaction per batch), for
    ``seconds`` per batch size (at least two batches). Only the service call is timed."""
    from core_banking.common.runtime import freeze_loaded_objects
    from core_banking.ledger.services import entries_post_bulk

    # The bulk path runs in this (the bench's) process: like the web server's and Celery's workers
    # (and the bench's worker processes), it leaves the objects loaded so far out of the garbage
    # collector's later passes; a batch allocates enough to set off several full collections.
    freeze_loaded_objects()
    rng = random.Random(seed)
    out = {
        "description": "services.entries_post_bulk: batches of 2-leg transfers among the constrained "
                       f"accounts ({int(BULK_SOURCE_SHARE * 100)}% paid by the sharded unconstrained source), "
                       "one transaction per batch; only the service call is timed",
        "by_batch_size": {},
    }
    for size in sizes:
        log(f"c: batches of {size} for {seconds}s")
        timings: list[float] = []
        deadline = time.monotonic() + seconds
        while len(timings) < 2 or time.monotonic() < deadline:
            entries = random_transfers(rng, size, fixture.accounts, fixture.source, BULK_SOURCE_SHARE)
            with Timer() as t:
                entries_post_bulk(entries=entries, idempotency_key=f"c{size}-{len(timings)}")
            timings.append(t.seconds)
        total = sum(timings)
        count = size * len(timings)
        out["by_batch_size"][str(size)] = {
            "batches": len(timings),
            "count": count,
            "seconds": round(total, 3),
            "transfers_per_second": round(count / total, 1),
            "batch_latency_ms": latency_summary(timings),
        }
        log(f"c: batches of {size}: {count / total:.0f}/s")
    return out


# --- (e): reads over a large ledger ----------------------------------------------------------------


def _explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def _captured(fn) -> list[str]:
    """The SQL a selector call actually runs (parameters inlined by psycopg)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [q["sql"] for q in ctx.captured_queries]


def _sizes() -> dict:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in ("ledger_posting", "ledger_entry", "ledger_balance"):
            cursor.execute(
                "SELECT pg_relation_size(%s), pg_indexes_size(%s), pg_total_relation_size(%s)",
                [table, table, table],
            )
            heap, indexes, total = cursor.fetchone()
            cursor.execute(
                "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                "WHERE relname = %s ORDER BY indexrelname",
                [table],
            )
            out[table] = {
                "table_mb": round(heap / 2**20, 1),
                "indexes_mb": round(indexes / 2**20, 1),
                "total_mb": round(total / 2**20, 1),
                "index_mb": {name: round(size / 2**20, 1) for name, size in cursor.fetchall()},
            }
    return out


def _time_calls(fn, args_list) -> list[float]:
    latencies = []
    for args in args_list:
        t0 = time.perf_counter()
        fn(**args)
        latencies.append(time.perf_counter() - t0)
    return latencies


def scenario_reads(postings: int, n_accounts: int, batch_size: int, samples: int, seed: int = 5) -> dict:
    """Load about ``postings`` postings (two-leg transfers via the bulk path) across ``n_accounts``
    accounts, then time ``account_balance`` and ``balance_as_of`` on random accounts."""
    from django.db import connection
    from django.utils import timezone

    from core_banking.ledger import selectors
    from core_banking.ledger.services import entries_post_bulk

    rng = random.Random(seed)
    transfers = max(postings // 2, n_accounts)
    log(f"e: opening {n_accounts} accounts")
    with Timer() as t_open:
        source = create_accounts("BENCH-E-SRC-", 1, type="asset", shard_count=16)[0]
        accounts = create_accounts("BENCH-E-", n_accounts, type="liability", balance_rule="non_negative")
        analyze()
    log(f"e: loading {transfers} transfers ({2 * transfers} postings) in batches of {batch_size}")
    load_started = timezone.now()
    batch_seconds: list[float] = []
    with Timer() as t_load:
        # First every account is funded from the source; then random transfers among the accounts.
        fund_entries = [{"postings": [{"account_id": source, "amount": FUNDING},
                                      {"account_id": a, "amount": -FUNDING}]} for a in accounts]
        done, batch_no = 0, 0
        while done < transfers:
            size = min(batch_size, transfers - done)
            if done < len(fund_entries):
                entries = fund_entries[done:done + size]
            else:
                entries = random_transfers(rng, size, accounts, source, source_share=0.0, high=10_000)
            with Timer() as t:
                entries_post_bulk(entries=entries, idempotency_key=f"e-load-{batch_no}")
            batch_seconds.append(t.seconds)
            done += len(entries)
            batch_no += 1
            if batch_no % 20 == 0:
                log(f"e: {done}/{transfers} transfers loaded "
                    f"({done / (time.perf_counter() - t_load.start):.0f}/s)")
    load_ended = timezone.now()
    with Timer() as t_analyze, connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_posting, ledger_entry, ledger_balance, ledger_ledgeraccount")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_posting")
        posting_rows = cursor.fetchone()[0]

    log(f"e: timing reads over {samples} random accounts")
    sample = [rng.choice(accounts) for _ in range(samples)]
    span = (load_ended - load_started).total_seconds()

    def past_instant():
        return load_started + (load_ended - load_started) * rng.random()

    warm = [{"account_id": a} for a in sample[:20]]
    _time_calls(selectors.account_balance, warm)
    _time_calls(selectors.balance_as_of, [{**w, "at": past_instant()} for w in warm])
    balance_latencies = _time_calls(selectors.account_balance, [{"account_id": a} for a in sample])
    as_of_args = [{"account_id": a, "at": past_instant()} for a in sample]
    as_of_latencies = _time_calls(selectors.balance_as_of, as_of_args)

    # The same read on the 16-shard source: one query per shard.
    sharded_args = [{"account_id": source, "at": past_instant()} for _ in range(max(samples // 10, 10))]
    _time_calls(selectors.balance_as_of, sharded_args[:5])
    sharded_latencies = _time_calls(selectors.balance_as_of, sharded_args)

    # Consistency spot check: "as of now" equals the stored balance.
    mismatches = sum(
        selectors.balance_as_of(account_id=a).posted != selectors.account_balance(account_id=a).posted
        for a in sample[:100]
    )
    probe = {"account_id": sample[0], "at": past_instant()}
    explain = {
        "balance_as_of": [
            {"sql": sql, "plan": _explain(sql)} for sql in _captured(lambda: selectors.balance_as_of(**probe))
        ],
        "account_balance": [
            {"sql": sql, "plan": _explain(sql)}
            for sql in _captured(lambda: selectors.account_balance(account_id=probe["account_id"]))
        ],
    }
    return {
        "description": "selectors.account_balance and selectors.balance_as_of(at=random instant during the "
                       "load) on random accounts, sequential, one connection, after a bulk load",
        "accounts": n_accounts,
        "open_accounts_seconds": round(t_open.seconds, 2),
        "load": {
            "transfers": transfers,
            "postings_written": 2 * transfers,
            "batch_size": batch_size,
            "batches": batch_no,
            "seconds": round(t_load.seconds, 2),
            "service_seconds": round(sum(batch_seconds), 2),
            "transfers_per_second": round(transfers / t_load.seconds, 1),
            # A growing batch time means the write path scales with the size of the ledger.
            "batch_ms_first_10_mean": round(sum(batch_seconds[:10]) / len(batch_seconds[:10]) * 1000, 1),
            "batch_ms_last_10_mean": round(sum(batch_seconds[-10:]) / len(batch_seconds[-10:]) * 1000, 1),
            "history_span_seconds": round(span, 2),
        },
        "analyze_seconds": round(t_analyze.seconds, 2),
        "postings_in_table": posting_rows,
        "sizes": _sizes(),
        "account_balance_ms": latency_summary(balance_latencies),
        "balance_as_of_ms": latency_summary(as_of_latencies),
        "balance_as_of_16_shard_account_ms": latency_summary(sharded_latencies),
        "as_of_now_mismatches_in_100": mismatches,
        "explain": explain,
    }


# --- (p): where the time of one single transfer goes -----------------------------------------------


def scenario_profile(fixture: Fixture, seconds: float, top: int = 25) -> dict:
    """One worker (this process): first per-statement round-trip and COMMIT times, then a cProfile
    run whose stats are saved next to the results (``snakeviz``/``pstats`` can open them)."""
    from django.db import connection

    post = _transfer_maker(fixture.accounts, None, random.Random(11))
    for i in range(3):
        post(f"p-warmup-{i}")

    # Phase 1: wall-clock split without a profiler (which would inflate the Python side).
    clock = SqlClock(per_statement=True)
    commit = {"n": 0, "seconds": 0.0}
    real_commit = connection.commit

    def timed_commit():
        t0 = time.perf_counter()
        try:
            return real_commit()
        finally:
            commit["n"] += 1
            commit["seconds"] += time.perf_counter() - t0

    connection.commit = timed_commit
    count, deadline = 0, time.monotonic() + seconds / 2
    try:
        with connection.execute_wrapper(clock), Timer() as wall:
            while time.monotonic() < deadline:
                post(f"p-split-{count}")
                count += 1
    finally:
        del connection.commit  # back to the class's method
    per = 1000 / count
    statements = {
        label: {"per_transfer": round(n / count, 2), "mean_ms": round(s / n * 1000, 3),
                "ms_per_transfer": round(s * per, 3)}
        for label, (n, s) in sorted(clock.by_label.items(), key=lambda kv: -kv[1][1])
    }
    total_ms = wall.seconds * per
    sql_ms = clock.seconds * per
    commit_ms = commit["seconds"] * per
    split = {
        "transfers": count,
        "transfer_ms": round(total_ms, 3),
        "sql_round_trips_ms": round(sql_ms, 3),
        "commit_ms": round(commit_ms, 3),
        "python_ms": round(total_ms - sql_ms - commit_ms, 3),
        "statements": statements,
    }

    # Phase 2: cProfile.
    profiler = cProfile.Profile()
    n, deadline = 0, time.monotonic() + seconds / 2
    profiler.enable()
    while time.monotonic() < deadline:
        post(f"p-prof-{n}")
        n += 1
    profiler.disable()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    prof_path = RESULTS_DIR / f"profile-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.prof"
    profiler.dump_stats(prof_path)
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append({"function": f"{_short(filename)}:{line}({func})", "calls_per_transfer": round(ncalls / n, 2),
                     "tottime_ms_per_transfer": round(tottime / n * 1000, 4),
                     "cumtime_ms_per_transfer": round(cumtime / n * 1000, 4)})
    by_tottime = sorted(rows, key=lambda r: -r["tottime_ms_per_transfer"])[:top]
    by_cumtime = sorted(rows, key=lambda r: -r["cumtime_ms_per_transfer"])[:top]
    return {
        "description": "one worker, services.transfer in a loop: wall-clock split (SQL round trips per "
                       "statement, COMMIT, Python) and a cProfile of the same loop",
        "split": split,
        "cprofile": {"transfers": n, "stats_file": str(prof_path), "top_by_tottime": by_tottime,
                     "top_by_cumtime": by_cumtime},
    }


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --- consistency ---------------------------------------------------------------------------------


def verify() -> dict:
    from core_banking.ledger.verify import verify_ledger

    log("verify_ledger")
    with Timer() as t:
        report = verify_ledger()
    return {**report.summary(), "seconds": round(t.seconds, 2), "first_problems": report.problems[:10]}
