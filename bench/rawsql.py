"""(d) The raw-SQL floor: the statements the engine sends for one two-leg transfer, sent with
psycopg 3 directly (no Django, no ORM, no service layer, no validation), one transaction each.

The SQL is the engine's own: the statement bodies are taken from
``core_banking.ledger.prepared.STATEMENTS`` and prepared once per connection, exactly as the engine
does, so the floor follows the engine when the SQL of a statement changes (when the engine changes
its *shape*, update ``RawTransfer.post``). Per transfer, three round trips:

  1. BEGIN; EXECUTE ledger_locks (business-date lock shared + the idempotency-key lock);
     EXECUTE ledger_accounts; EXECUTE ledger_existing; EXECUTE ledger_open_day
  2. EXECUTE ledger_write_one: both balance rows locked in id order with the floor check in the
     UPDATE's WHERE, the chain head UPDATE, INSERT entry, INSERT postings (balance after in SQL)
  3. COMMIT

The engine sends the same statements, but Django sends BEGIN as a round trip of its own (four in
all). The rows written are real, hash-chained ledger rows: ``verify_ledger`` checks them too.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import psycopg

from bench.util import WaitSampler, combine, run_workers
from core_banking.ledger.hashing import digest, entry_content_digest  # pure Python
from core_banking.ledger.prepared import STATEMENTS  # the engine's SQL (plain strings)

SHARD_FACTOR = 64  # engine.SHARD_FACTOR
BUSINESS_DATE_LOCK = 0x4C444752  # engine.BUSINESS_DATE_LOCK
SCOPE = "system"
CURRENCY = "EUR"
EXPONENT = 2
USED = ("ledger_locks", "ledger_accounts", "ledger_existing", "ledger_open_day", "ledger_write_one")


class Refused(Exception):
    """The floor check refused the transfer (insufficient funds): the transaction rolls back."""


def _execute(name: str, n_params: int) -> str:
    return f"EXECUTE {name}" + (f"({', '.join(['%s'] * n_params)})" if n_params else "")


def _next_result(cur: psycopg.Cursor) -> list:
    cur.nextset()
    return cur.fetchall()


class RawTransfer:
    """One connection (client-side binding, as Django uses) posting two-leg transfers between
    credit-normal (liability) accounts with the engine's prepared statements."""

    def __init__(self, url: str, chains: int, options: str = ""):
        # ``options`` as in the app's DATABASES (e.g. "-c plan_cache_mode=force_generic_plan").
        self.conn = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor, options=options)
        self.cur = self.conn.cursor()
        self.chains = chains
        for name in USED:
            types, body = STATEMENTS[name]
            self.cur.execute(f"PREPARE {name}{f'({types})' if types else ''} AS {body}")
        self.timings: dict[str, list] = defaultdict(lambda: [0, 0.0])

    def _timed(self, label: str, sql: str, params=None) -> None:
        t0 = time.perf_counter()
        self.cur.execute(sql, params)
        slot = self.timings[label]
        slot[0] += 1
        slot[1] += time.perf_counter() - t0

    def post(self, payer: int, payee: int, amount: Decimal, key: str) -> int:
        """Debit ``payer``, credit ``payee`` (both credit-normal: the payer's balance goes down)."""
        cur = self.cur
        legs = [(payer, amount), (payee, -amount)]
        read = "; ".join([
            "BEGIN", _execute("ledger_locks", 2), _execute("ledger_accounts", 1),
            _execute("ledger_existing", 2), _execute("ledger_open_day", 0),
        ])
        self._timed("begin + locks + reads", read,
                    [BUSINESS_DATE_LOCK, [f"{SCOPE}\x1f{key}"], sorted({payer, payee}), SCOPE, [key]])
        try:
            _locks, accounts, existing, open_day = (_next_result(cur) for _ in range(4))  # after BEGIN's
            accounts = {row[0]: row for row in accounts}
            bdate = open_day[0][0]
            if len(accounts) != 2 or existing:
                raise RuntimeError(f"unexpected state for {key}: accounts {sorted(accounts)}, existing {existing}")

            now = dt.datetime.now(dt.UTC)
            request_hash = digest({"kind": "transfer", "legs": [[a, None, str(m)] for a, m in legs]})
            content = entry_content_digest(
                kind="transfer", business_date=bdate, value_date=bdate, created_at=now, external_ref="",
                description="", metadata={}, created_by_id=None, idempotency_scope=SCOPE, idempotency_key=key,
                reverses_id=None, postings=[(a, CURRENCY, m) for a, m in legs],
            )
            # In a liability account's normal orientation a debit lowers the balance: delta = -amount.
            shards = sorted((account * SHARD_FACTOR, -signed) for account, signed in legs)
            shard_columns = [[r for r, _ in shards], [d for _, d in shards], [1, 1], [Decimal(0)] * 2,
                             [Decimal(0)] * 2]
            leg_columns = [[a for a, _ in legs], [CURRENCY] * 2, [m for _, m in legs], [0, 0],
                           [a * SHARD_FACTOR for a, _ in legs], [-m for _, m in legs]]
            params = [*shard_columns, content, random.randrange(self.chains), "transfer", bdate, bdate, now, "",
                      "", json.dumps({}), None, SCOPE, key, request_hash, None, *leg_columns]
            self._timed("write entry (balances + chain + entry + postings)",
                        _execute("ledger_write_one", len(params)), params)
            updated, entry_id, _chain, _seq, _hash = cur.fetchone()
            if len(updated or ()) != 2:
                raise Refused(key)
            if entry_id is None:
                raise RuntimeError(f"idempotency key {key} already used")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self._timed("commit", "COMMIT")
        return entry_id


def prepare_raw_worker(url: str, options: str, accounts: list[int], chains: int, seconds: float, tag: str,
                       seed: int):
    """Worker process: connect, prepare, warm up; return ``run()`` posting raw transfers."""
    rng = random.Random(seed)
    random.seed(seed)  # chain choice
    raw = RawTransfer(url, chains, options)

    def post(key: str) -> None:
        payer, payee = rng.sample(accounts, 2)
        raw.post(payer, payee, Decimal(rng.randint(1, 10_000)).scaleb(-EXPONENT), key)

    for i in range(3):
        post(f"{tag}-warmup-{i}")
    raw.timings.clear()

    def run() -> dict:
        latencies, rejected = [], 0
        start = time.monotonic()
        deadline = start + seconds
        i = 0
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                post(f"{tag}-{i}")
            except Refused:
                rejected += 1
            latencies.append(time.perf_counter() - t0)
            i += 1
        end = time.monotonic()
        raw.conn.close()
        return {"count": i - rejected, "rejected": rejected, "start": start, "end": end,
                "latencies": latencies, "statements": dict(raw.timings)}

    return run


def scenario_raw(url: str, options: str, accounts: Sequence[int], chains: int, workers: Sequence[int],
                 seconds: float, log, before_workers) -> dict:
    out = {}
    for n in workers:
        log(f"d: {n} raw worker(s) x {seconds}s")
        before_workers()
        args = [(url, options, list(accounts), chains, seconds, f"d-{n}w{w}", hash(("d", n, w)))
                for w in range(n)]
        with WaitSampler(url) as waits:
            results = run_workers(prepare_raw_worker, args)
        level = combine(results)
        totals: dict[str, list] = defaultdict(lambda: [0, 0.0])
        for r in results:
            for label, (count, spent) in r["statements"].items():
                totals[label][0] += count
                totals[label][1] += spent
        level["round_trip_mean_ms"] = {label: round(s / c * 1000, 3) for label, (c, s) in totals.items()}
        level["db_wait_profile"] = waits.summary()
        out[str(n)] = level
        log(f"d: {n} raw worker(s): {level['transfers_per_second']}/s")
    return {
        "description": "psycopg 3 directly, no Django: the engine's own prepared statements for a 2-leg "
                       "transfer in 3 round trips (BEGIN+locks+reads, one statement updating the balances and "
                       "writing chain link + entry + postings, COMMIT), one transaction per transfer",
        "by_workers": out,
    }
