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
                       seed: int, client: type = RawTransfer):
    """Worker process: connect, prepare, warm up; return ``run()`` posting raw transfers."""
    rng = random.Random(seed)
    random.seed(seed)  # chain choice
    raw = client(url, chains, options)

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


def _round_trips(results: list[dict]) -> dict:
    """Mean milliseconds per kind of round trip, over all workers."""
    totals: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for r in results:
        for label, (count, spent) in r["statements"].items():
            totals[label][0] += count
            totals[label][1] += spent
    return {label: round(s / c * 1000, 3) for label, (c, s) in totals.items()}


def _levels(name: str, prepare, url: str, options: str, accounts: Sequence[int], chains: int,
            workers: Sequence[int], seconds: float, log, before_workers) -> dict:
    """Each worker count of a raw scenario (d or d1): its workers, rates, round trips and waits."""
    out = {}
    for n in workers:
        log(f"{name}: {n} raw worker(s) x {seconds}s")
        before_workers()
        args = [(url, options, list(accounts), chains, seconds, f"{name}-{n}w{w}", hash((name, n, w)))
                for w in range(n)]
        with WaitSampler(url) as waits:
            results = run_workers(prepare, args)
        level = combine(results)
        level["round_trip_mean_ms"] = _round_trips(results)
        level["db_wait_profile"] = waits.summary()
        out[str(n)] = level
        log(f"{name}: {n} raw worker(s): {level['transfers_per_second']}/s")
    return out


def scenario_raw(url: str, options: str, accounts: Sequence[int], chains: int, workers: Sequence[int],
                 seconds: float, log, before_workers) -> dict:
    out = _levels("d", prepare_raw_worker, url, options, accounts, chains, workers, seconds, log, before_workers)
    return {
        "description": "psycopg 3 directly, no Django: the engine's own prepared statements for a 2-leg "
                       "transfer in 3 round trips (BEGIN+locks+reads, one statement updating the balances and "
                       "writing chain link + entry + postings, COMMIT), one transaction per transfer",
        "by_workers": out,
    }


# --- (d1): the one-round-trip floor ------------------------------------------------------------------
#
# What d does in three round trips, in one PL/pgSQL function created in the bench database: the
# function's body is generated from the same ``STATEMENTS`` (their ``$n`` renumbered to the
# function's arguments), so d1 follows the engine's SQL exactly as d does. Per transfer:
#
#   1. BEGIN; EXECUTE bench_d1_call(...)  -- the function: advisory locks, account reads and checks,
#      idempotency check (a replay returns the first entry), open business date (the client caches
#      it; the function refuses a stale one), then ledger_write_one (sorted FOR UPDATE, floor check
#      with holds, chain head, entry, postings); a refusal raises, so nothing can be committed
#   2. COMMIT
#
# The content digest of the entry is computed by the client (as the engine does), with the business
# date it cached; the chain head is extended in SQL by ledger_write_one itself.

D1_FUNCTION = "bench_d1_transfer"
D1_REFUSED = "LDG01"  # SQLSTATE: the floor check refused the transfer
D1_STALE_DATE = "LDG02"  # SQLSTATE: the client's cached business date is no longer the open one
D1_CONFLICT = "LDG03"  # SQLSTATE: the idempotency key was used for another request
D1_INVALID = "LDG04"  # SQLSTATE: unknown or inactive account, mixed currencies


def _renumber(body: str, mapping: dict[int, str]) -> str:
    import re

    return re.sub(r"\$(\d+)", lambda m: mapping[int(m.group(1))], body)


def d1_function_sql() -> tuple[str, str]:
    """(CREATE FUNCTION statement, the argument types): the function's arguments are those of
    ledger_write_one ($1-$25), then the business-date lock ($26), the advisory-lock keys ($27), the
    idempotency keys ($28) and the account ids ($29)."""
    write_types, write_body = STATEMENTS["ledger_write_one"]
    arg_types = write_types + ", bigint, text[], text[], bigint[]"
    locks = _renumber(STATEMENTS["ledger_locks"][1], {1: "$26", 2: "$27"}).strip()
    assert locks.startswith("SELECT ")
    accounts = _renumber(STATEMENTS["ledger_accounts"][1], {1: "$29"})
    existing = _renumber(STATEMENTS["ledger_existing"][1], {1: "$16", 2: "$28"})
    open_day = STATEMENTS["ledger_open_day"][1]
    body = f"""
#variable_conflict use_column
DECLARE
    v_found int; v_inactive int; v_currencies int; v_currency text;
    v_key text; v_existing bigint; v_existing_hash text;
    v_open date;
    v_updated bigint[]; v_entry bigint; v_chain bigint; v_seq bigint; v_hash text;
BEGIN
    -- round trip 1 of d: locks and reads
    PERFORM {locks[len("SELECT "):]};
    SELECT count(*), count(*) FILTER (WHERE NOT a.is_active), count(DISTINCT a.currency_id), min(a.currency_id)
      INTO v_found, v_inactive, v_currencies, v_currency
      FROM ({accounts}) AS a;
    IF v_found <> cardinality($29) OR v_inactive > 0 OR v_currencies <> 1 OR v_currency <> ALL($21) THEN
        RAISE EXCEPTION 'unknown, inactive or mismatched accounts %', $29 USING ERRCODE = '{D1_INVALID}';
    END IF;
    SELECT x.idempotency_key, x.id, x.request_hash INTO v_key, v_existing, v_existing_hash
      FROM ({existing}) AS x LIMIT 1;
    IF v_key IS NOT NULL THEN
        IF v_existing_hash = $18 THEN  -- a replay: the entry already written, nothing new
            RETURN QUERY SELECT v_existing, true;
            RETURN;
        END IF;
        RAISE EXCEPTION 'idempotency key % used for another request', $17 USING ERRCODE = '{D1_CONFLICT}';
    END IF;
    SELECT x.date INTO v_open FROM ({open_day}) AS x;
    IF v_open IS DISTINCT FROM $9 THEN
        RAISE EXCEPTION 'business date % is not the open one (%)', $9, v_open USING ERRCODE = '{D1_STALE_DATE}';
    END IF;
    -- round trip 2 of d: balances (sorted FOR UPDATE, floor check with holds), chain, entry, postings
    {write_body.rstrip()}
      INTO v_updated, v_entry, v_chain, v_seq, v_hash;
    IF coalesce(cardinality(v_updated), 0) <> cardinality($1) THEN
        RAISE EXCEPTION 'insufficient funds' USING ERRCODE = '{D1_REFUSED}';
    END IF;
    IF v_entry IS NULL THEN
        RAISE EXCEPTION 'idempotency key % already used', $17 USING ERRCODE = '{D1_CONFLICT}';
    END IF;
    RETURN QUERY SELECT v_entry, false;
END
"""
    create = (f"CREATE OR REPLACE FUNCTION {D1_FUNCTION}({arg_types})"
              f" RETURNS TABLE (d1_entry_id bigint, d1_replayed boolean) LANGUAGE plpgsql AS $d1${body}$d1$")
    return create, arg_types


def create_d1_function(url: str) -> None:
    """Create (or replace) the d1 function in the bench database (setup, not measured)."""
    create, _types = d1_function_sql()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(create)


class RawTransferOne(RawTransfer):
    """d1: one round trip (BEGIN + the function) plus COMMIT per transfer."""

    def __init__(self, url: str, chains: int, options: str = ""):
        self.conn = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor, options=options)
        self.cur = self.conn.cursor()
        self.chains = chains
        _create, types = d1_function_sql()
        n = len(types.split(","))
        self.n_params = n
        self.cur.execute(f"PREPARE bench_d1_call({types}) AS SELECT * FROM {D1_FUNCTION}"
                         f"({', '.join(f'${i}' for i in range(1, n + 1))})")
        self.timings = defaultdict(lambda: [0, 0.0])
        self.bdate = self._open_day()
        self.replays = 0

    def _open_day(self) -> dt.date:
        return self.cur.execute("SELECT date FROM ledger_business_day WHERE closed_at IS NULL").fetchone()[0]

    def post(self, payer: int, payee: int, amount: Decimal, key: str) -> int:
        for _attempt in range(3):
            try:
                return self._post(payer, payee, amount, key)
            except psycopg.Error as error:
                if error.sqlstate == D1_STALE_DATE:
                    self.bdate = self._open_day()  # the day was closed: refresh the cache and retry
                    continue
                if error.sqlstate == D1_REFUSED:
                    raise Refused(key) from None
                raise
        raise RuntimeError(f"business date kept changing under {key}")

    def _post(self, payer: int, payee: int, amount: Decimal, key: str) -> int:
        legs = [(payer, amount), (payee, -amount)]
        bdate = self.bdate
        now = dt.datetime.now(dt.UTC)
        request_hash = digest({"kind": "transfer", "legs": [[a, None, str(m)] for a, m in legs]})
        content = entry_content_digest(
            kind="transfer", business_date=bdate, value_date=bdate, created_at=now, external_ref="",
            description="", metadata={}, created_by_id=None, idempotency_scope=SCOPE, idempotency_key=key,
            reverses_id=None, postings=[(a, CURRENCY, m) for a, m in legs],
        )
        shards = sorted((account * SHARD_FACTOR, -signed) for account, signed in legs)
        shard_columns = [[r for r, _ in shards], [d for _, d in shards], [1, 1], [Decimal(0)] * 2, [Decimal(0)] * 2]
        leg_columns = [[a for a, _ in legs], [CURRENCY] * 2, [m for _, m in legs], [0, 0],
                       [a * SHARD_FACTOR for a, _ in legs], [-m for _, m in legs]]
        params = [*shard_columns, content, random.randrange(self.chains), "transfer", bdate, bdate, now, "",
                  "", json.dumps({}), None, SCOPE, key, request_hash, None, *leg_columns,
                  BUSINESS_DATE_LOCK, [f"{SCOPE}\x1f{key}"], [key], sorted({payer, payee})]
        try:
            self._timed("begin + function", "BEGIN; " + _execute("bench_d1_call", len(params)), params)
            entry_id, replayed = _next_result(self.cur)[0]
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self._timed("commit", "COMMIT")
        self.replays += bool(replayed)
        return entry_id


def prepare_raw_one_worker(url: str, options: str, accounts: list[int], chains: int, seconds: float, tag: str,
                           seed: int):
    """Worker process for d1 (as ``prepare_raw_worker``, with the one-round-trip client)."""
    return prepare_raw_worker(url, options, accounts, chains, seconds, tag, seed, client=RawTransferOne)


def scenario_raw_one(url: str, options: str, accounts: Sequence[int], chains: int, workers: Sequence[int],
                     seconds: float, log, before_workers) -> dict:
    out = _levels("d1", prepare_raw_one_worker, url, options, accounts, chains, workers, seconds, log,
                  before_workers)
    return {
        "description": "psycopg 3 directly, no Django: one PL/pgSQL function (created by the bench, its body "
                       "generated from the engine's prepared statements) does what d does in its first two "
                       "round trips; per transfer BEGIN + the call in one round trip, then COMMIT. Idempotency "
                       "(advisory lock, replay), holds in the floor check and the hash chain are kept",
        "round_trips_per_transfer": 2,
        "by_workers": out,
    }
