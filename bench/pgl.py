"""(g) A pure-SQL ledger for comparison, written for the bench from the published description of
pgledger (a public pure-SQL PostgreSQL ledger; this is our own code, not theirs): one PL/pgSQL call
per transfer that locks the two accounts with a sorted ``SELECT ... FOR UPDATE``, updates each
balance, and writes one transfer row and two entry rows (each with the account's balance before
and after and its version). No idempotency, no hash chain, no business date, no holds.

Its own tables (``pgl_*``) in the bench database, 50 accounts funded from an unconstrained source
account, amounts 0.01-100.00 as in (a); one transaction per transfer, the call sent on its own in
autocommit (one statement = one transaction, as pgbench drives it): **one round trip, the commit
included**, where d1 needs BEGIN + the call, then COMMIT.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from decimal import Decimal

import psycopg

from bench.util import WaitSampler, combine, run_workers

FUNDING = Decimal("1000000.00")
REFUSED = "PGL01"  # SQLSTATE: the payer's balance would go negative

SCHEMA = f"""
DROP TABLE IF EXISTS pgl_entries, pgl_transfers, pgl_accounts;
CREATE TABLE pgl_accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    currency text NOT NULL,
    balance numeric NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 0,
    allow_negative_balance boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE pgl_transfers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_account_id bigint NOT NULL REFERENCES pgl_accounts (id),
    to_account_id bigint NOT NULL REFERENCES pgl_accounts (id),
    amount numeric NOT NULL CHECK (amount > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pgl_transfers_from ON pgl_transfers (from_account_id);
CREATE INDEX pgl_transfers_to ON pgl_transfers (to_account_id);
CREATE TABLE pgl_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES pgl_accounts (id),
    transfer_id bigint NOT NULL REFERENCES pgl_transfers (id),
    amount numeric NOT NULL,
    account_previous_balance numeric NOT NULL,
    account_current_balance numeric NOT NULL,
    account_version bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pgl_entries_account ON pgl_entries (account_id, id);

CREATE OR REPLACE FUNCTION pgl_transfer(p_from bigint, p_to bigint, p_amount numeric) RETURNS bigint
LANGUAGE plpgsql AS $pgl$
DECLARE
    a pgl_accounts;
    v_from pgl_accounts;
    v_to pgl_accounts;
    v_transfer bigint;
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'amount must be positive';
    END IF;
    IF p_from = p_to THEN
        RAISE EXCEPTION 'from and to must differ';
    END IF;
    -- both accounts locked in id order: two transfers never deadlock
    FOR a IN SELECT * FROM pgl_accounts WHERE id IN (p_from, p_to) ORDER BY id FOR UPDATE LOOP
        IF a.id = p_from THEN v_from := a; ELSE v_to := a; END IF;
    END LOOP;
    IF v_from.id IS NULL OR v_to.id IS NULL THEN
        RAISE EXCEPTION 'unknown account';
    END IF;
    IF v_from.currency <> v_to.currency THEN
        RAISE EXCEPTION 'currency mismatch';
    END IF;
    IF NOT v_from.allow_negative_balance AND v_from.balance < p_amount THEN
        RAISE EXCEPTION 'insufficient funds' USING ERRCODE = '{REFUSED}';
    END IF;
    UPDATE pgl_accounts SET balance = balance - p_amount, version = version + 1, updated_at = now()
     WHERE id = p_from;
    UPDATE pgl_accounts SET balance = balance + p_amount, version = version + 1, updated_at = now()
     WHERE id = p_to;
    INSERT INTO pgl_transfers (from_account_id, to_account_id, amount)
    VALUES (p_from, p_to, p_amount) RETURNING id INTO v_transfer;
    INSERT INTO pgl_entries (account_id, transfer_id, amount, account_previous_balance,
                             account_current_balance, account_version)
    VALUES (p_from, v_transfer, -p_amount, v_from.balance, v_from.balance - p_amount, v_from.version + 1),
           (p_to, v_transfer, p_amount, v_to.balance, v_to.balance + p_amount, v_to.version + 1);
    RETURN v_transfer;
END
$pgl$;
"""


def create_fixture(url: str, n_accounts: int) -> list[int]:
    """The pgl_ tables and function, a source account that may go negative, ``n_accounts``
    accounts funded through the function itself (setup, not measured). Returns their ids."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        source = conn.execute("INSERT INTO pgl_accounts (name, currency, allow_negative_balance)"
                              " VALUES ('source', 'EUR', true) RETURNING id").fetchone()[0]
        ids = [row[0] for row in conn.execute(
            "INSERT INTO pgl_accounts (name, currency) SELECT 'customer ' || i, 'EUR'"
            " FROM generate_series(1, %s) AS i RETURNING id", [n_accounts]).fetchall()]
        for account in ids:
            conn.execute("SELECT pgl_transfer(%s, %s, %s)", [source, account, FUNDING])
        conn.execute("ANALYZE pgl_accounts, pgl_transfers, pgl_entries")
    return ids


def verify(url: str) -> dict:
    """The pure-SQL ledger's own consistency: balances equal the sum of entries, every transfer
    has two entries summing to zero."""
    with psycopg.connect(url) as conn:
        bad_balances = conn.execute(
            "SELECT count(*) FROM pgl_accounts a WHERE a.balance <>"
            " (SELECT coalesce(sum(e.amount), 0) FROM pgl_entries e WHERE e.account_id = a.id)").fetchone()[0]
        bad_transfers = conn.execute(
            "SELECT count(*) FROM (SELECT transfer_id FROM pgl_entries GROUP BY transfer_id"
            " HAVING count(*) <> 2 OR sum(amount) <> 0) AS x").fetchone()[0]
        transfers = conn.execute("SELECT count(*) FROM pgl_transfers").fetchone()[0]
    return {"ok": not bad_balances and not bad_transfers, "transfers": transfers,
            "balance_mismatches": bad_balances, "unbalanced_transfers": bad_transfers}


def prepare_worker(url: str, options: str, accounts: list[int], seconds: float, seed: int):
    """Worker process: connect (autocommit), prepare the call, warm up; return ``run()``."""
    rng = random.Random(seed)
    conn = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor, options=options)
    cur = conn.cursor()
    cur.execute("PREPARE pgl_call(bigint, bigint, numeric) AS SELECT pgl_transfer($1, $2, $3)")

    def post() -> None:
        payer, payee = rng.sample(accounts, 2)
        cur.execute("EXECUTE pgl_call(%s, %s, %s)", [payer, payee, Decimal(rng.randint(1, 10_000)).scaleb(-2)])

    for _ in range(3):
        post()

    def run() -> dict:
        latencies, rejected = [], 0
        start = time.monotonic()
        deadline = start + seconds
        i = 0
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                post()
            except psycopg.Error as error:
                if error.sqlstate != REFUSED:
                    raise
                rejected += 1
            latencies.append(time.perf_counter() - t0)
            i += 1
        end = time.monotonic()
        conn.close()
        return {"count": i - rejected, "rejected": rejected, "start": start, "end": end, "latencies": latencies}

    return run


def scenario_pgl(url: str, options: str, accounts: Sequence[int], workers: Sequence[int], seconds: float, log,
                 before_workers) -> dict:
    out = {}
    for n in workers:
        log(f"g: {n} worker(s) x {seconds}s")
        before_workers()
        args = [(url, options, list(accounts), seconds, hash(("g", n, w))) for w in range(n)]
        with WaitSampler(url) as waits:
            level = combine(run_workers(prepare_worker, args))
        level["db_wait_profile"] = waits.summary()
        out[str(n)] = level
        log(f"g: {n} worker(s): {level['transfers_per_second']}/s")
    return {
        "description": "a pure-SQL ledger written from pgledger's description (own code): one PL/pgSQL call per "
                       "transfer (sorted SELECT FOR UPDATE of both accounts, two balance UPDATEs, one transfer "
                       "row, two entry rows), no idempotency, no hash chain, no holds; own pgl_ tables; "
                       "autocommit, so one round trip per transfer with the commit",
        "round_trips_per_transfer": 1,
        "accounts": len(accounts),
        "by_workers": out,
    }
