"""(u) Where the CPU goes: one ledger transfer (as in a) against one payment (as in y), client and
server apart, in one process.

The rate scenarios measure what the machine gives; this one measures what each operation costs
it, which is what decides their ratio once the two cores are busy (4 and 8 workers). One process
alternates blocks of transfers and payments (the machine's drift falls on both alike) and reads,
per block, its own CPU time (``time.process_time``: Python, psycopg, the driver) and the CPU time
of its PostgreSQL backend process (``/proc/<pid>/stat``, user and system; only when the server
runs on this machine and the file is readable, else ``null``). What is left of the wall time is
waiting: the network, the commit's WAL flush.

From these, two ceilings of ``payment_over_service`` (y / a, target 0.5) on a CPU-bound machine,
where a rate is the cores divided by the CPU an operation costs client and server together:
``cpu_bound_ceiling`` = a transfer's CPU / a payment's CPU, and ``ceiling_with_free_python`` = a
transfer's CPU / a payment's server CPU alone (what y / a could be if the payment's Python cost
nothing).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Sequence

from bench.ledger import Fixture, cents, log

BLOCK = 200  # operations per block; blocks of transfers and payments alternate
PAYMENTS_PER_ACCOUNT = 45  # the RETAIL profile refuses an account's 51st payment of a business date


def _server_cpu_reader():
    """A function returning the session's backend's CPU seconds so far as (user, system), or None
    when its ``/proc`` entry cannot be read (the server on another machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    path = f"/proc/{pid}/stat"
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> tuple[float, float] | None:
        try:
            with open(path) as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            return None
        return int(fields[11]) / ticks, int(fields[12]) / ticks

    return read if read() is not None else None


def _block(operation, count: int, server_cpu) -> dict:
    before = server_cpu() if server_cpu else None
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(count):
        operation()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    after = server_cpu() if server_cpu else None
    block = {"wall": wall, "client": cpu}
    if before is not None and after is not None:
        block["server_user"], block["server_system"] = after[0] - before[0], after[1] - before[1]
    return block


def _per_operation(blocks: list[dict], count: int) -> dict:
    def ms(key: str) -> float | None:
        if any(key not in b for b in blocks):
            return None
        return round(sum(b[key] for b in blocks) / count * 1000, 4)

    out = {"operations": count, "wall_ms": ms("wall"), "client_cpu_ms": ms("client"),
           "server_user_ms": ms("server_user"), "server_system_ms": ms("server_system")}
    if out["server_user_ms"] is not None:
        out["server_cpu_ms"] = round(out["server_user_ms"] + out["server_system_ms"], 4)
        out["cpu_ms"] = round(out["client_cpu_ms"] + out["server_cpu_ms"], 4)
        out["waiting_ms"] = round(out["wall_ms"] - out["cpu_ms"], 4)
    return out


def scenario_cpu(fixture: Fixture, payment_accounts: Sequence[int], seconds: float, seed: int = 5) -> dict:
    """Blocks of ``BLOCK`` transfers and ``BLOCK`` payments in turn, in this process, until each
    side has run ``seconds`` (or the payments would reach ``PAYMENTS_PER_ACCOUNT`` per account)."""
    from core_banking.common.runtime import freeze_loaded_objects
    from core_banking.ledger import services as ledger
    from core_banking.payments.services import payment_create

    freeze_loaded_objects()  # as the worker processes of a and y do
    rng = random.Random(seed)
    numbers = iter(range(10**9))

    def transfer() -> None:
        payer, payee = rng.sample(fixture.accounts, 2)
        ledger.transfer(debit_account_id=payer, credit_account_id=payee, amount=cents(rng, 1, 10_000),
                        idempotency_key=f"u-t-{next(numbers)}")

    def payment() -> None:
        # each account pays in turn (to a random other), so none reaches the daily count first
        number = next(numbers)
        payer = payment_accounts[number % len(payment_accounts)]
        payee = rng.choice([a for a in payment_accounts if a != payer])
        payment_create(kind="internal_transfer", amount=cents(rng, 100, 10_000), currency="EUR",
                       debtor_account_id=payer, creditor_account_id=payee, idempotency_key=f"u-p-{number}")

    for _ in range(5):  # warm-up: prepared statements, caches
        transfer()
        payment()
    server_cpu = _server_cpu_reader()
    budget = PAYMENTS_PER_ACCOUNT * len(payment_accounts) - 5  # the warm-up's
    transfers, payments = [], []
    log(f"u: blocks of {BLOCK} transfers and {BLOCK} payments in turn, {seconds}s each side")
    while (len(payments) + 1) * BLOCK <= budget and (
            len(transfers) < 2 or sum(b["wall"] for b in transfers) < seconds
            or sum(b["wall"] for b in payments) < seconds):
        transfers.append(_block(transfer, BLOCK, server_cpu))
        payments.append(_block(payment, BLOCK, server_cpu))
    t = _per_operation(transfers, BLOCK * len(transfers))
    p = _per_operation(payments, BLOCK * len(payments))
    out = {
        "description": "one process, blocks of transfers (as a) and payments (as y) in turn: client CPU "
                       "(process_time), server CPU (the backend's /proc stat; null if not readable), the "
                       "rest of the wall time is waiting",
        "transfer": t,
        "payment": p,
    }
    if "cpu_ms" in t and "cpu_ms" in p:
        out["payment_cpu_over_transfer_cpu"] = round(p["cpu_ms"] / t["cpu_ms"], 3)
        out["cpu_bound_ceiling"] = round(t["cpu_ms"] / p["cpu_ms"], 3)
        out["ceiling_with_free_python"] = round(t["cpu_ms"] / p["server_cpu_ms"], 3)
    log(f"u: transfer {t}; payment {p}")
    return out
