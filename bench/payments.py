"""(y) The payment path: ``payments.services.payment_create`` end to end, in N worker processes.

Each payment is one transaction that checks the accounts' lifecycle, prices the fee from the
STANDARD tariff (usage counters), enforces the RETAIL limits (usage counters), writes the
payment and its history, one journal entry with the fee, and the audit row. Internal transfers
of 1.00 to 100.00 EUR between random pairs of 50 funded customer accounts.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from collections.abc import Sequence
from decimal import Decimal

from bench.ledger import SqlClock, before_workers, cents, log
from bench.util import WaitSampler, combine, run_workers, setup_django

ACCOUNTS = 50


def create_fixture(count: int = ACCOUNTS) -> list[int]:
    """Customers with KYC approved and funded EUR accounts on a product with a tariff and limits."""
    from django.db import transaction

    from backoffice.limits.demo import load_demo as load_limits
    from backoffice.tariffs.demo import load_demo as load_tariffs
    from core_banking.accounts import services as accounts
    from core_banking.common.maker_checker import system_execution
    from core_banking.customers import services as customers
    from core_banking.ledger import services as ledger
    from core_banking.ledger.models import AccountType, Currency
    from core_banking.payments.models import BookingAccount

    load_tariffs(stdout=io.StringIO())
    load_limits(stdout=io.StringIO())
    with transaction.atomic():
        deposits = ledger.ledger_account_create(code="Y2100", name="Customer deposits", type=AccountType.LIABILITY,
                                                currency="EUR", is_synthetic=True)
        cash = ledger.ledger_account_create(code="Y1100-EUR", name="Cash", type=AccountType.ASSET, currency="EUR",
                                            shard_count=8)
        for purpose, code, type_ in ((BookingAccount.Purpose.SETTLEMENT, "Y2200-EUR", AccountType.LIABILITY),
                                     (BookingAccount.Purpose.FEE_INCOME, "Y4100-EUR", AccountType.INCOME)):
            account = ledger.ledger_account_create(code=code, name=code, type=type_, currency="EUR", shard_count=16)
            BookingAccount.objects.get_or_create(purpose=purpose, currency_id="EUR",
                                                 defaults={"ledger_account": account})
        BookingAccount.objects.get_or_create(purpose=BookingAccount.Purpose.CASH, currency_id="EUR",
                                             defaults={"ledger_account": cash})
        product = accounts.product_create(code="Y-CUR", name="Current account", kind="current",
                                          currency=Currency.objects.get(code="EUR"), gl_account=deposits,
                                          tariff_plan_code="STANDARD", limit_profile_code="RETAIL")
        ids = []
        for i in range(count):
            customer = customers.customer_create(type="person", first_name="Bench", last_name=f"Customer {i}",
                                                 date_of_birth=dt.date(1980, 1, 1))
            with system_execution():  # the bench's own set-up: a KYC override needs no approval here
                customers.customer_set_kyc_status(customer_id=customer.pk, status="approved")
            account = accounts.account_open(customer_id=customer.pk, product_id=product.pk)
            ledger.transfer(debit_account_id=cash.pk, credit_account_id=account.ledger_account_id,
                            amount=Decimal("1000000.00"), idempotency_key=f"y-fund-{i}")
            ids.append(account.pk)
    return ids


def prepare_payment_worker(url: str, accounts: list[int], seconds: float, tag: str, seed: int):
    """Worker process: connect, warm up, and return ``run()`` making payments for ``seconds``."""
    from django.apps import apps

    if not apps.ready:
        setup_django(url)
    from django.db import connection

    from core_banking.common.errors import DomainError
    from core_banking.payments.services import payment_create

    rng = random.Random(seed)

    def pay(key: str) -> None:
        payer, payee = rng.sample(accounts, 2)
        payment_create(kind="internal_transfer", amount=cents(rng, 100, 10_000), currency="EUR",
                       debtor_account_id=payer, creditor_account_id=payee, idempotency_key=key)

    for i in range(3):
        pay(f"{tag}-warmup-{i}")

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
                    pay(f"{tag}-{i}")
                except DomainError:  # a limit or the funds: counted, not fatal
                    rejected += 1
                latencies.append(time.perf_counter() - t0)
                i += 1
        end = time.monotonic()
        connection.close()
        return {"count": i - rejected, "rejected": rejected, "start": start, "end": end,
                "latencies": latencies, "sql_seconds": clock.seconds, "queries": clock.queries}

    return run


def scenario_payments(url: str, accounts: Sequence[int], workers: Sequence[int], seconds: float) -> dict:
    out = {"description": __doc__.strip().splitlines()[0], "by_workers": {}}
    for n in workers:
        log(f"y: {n} worker(s) x {seconds}s")
        before_workers()
        args = [(url, list(accounts), seconds, f"y-{n}w{w}", hash(("y", n, w))) for w in range(n)]
        with WaitSampler(url) as waits:
            level = combine(run_workers(prepare_payment_worker, args))
        level["db_wait_profile"] = waits.summary()
        level["payments_per_second"] = level.pop("transfers_per_second")
        out["by_workers"][str(n)] = level
        log(f"y: {n} worker(s): {level['payments_per_second']}/s")
    return out
