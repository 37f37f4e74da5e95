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
from bench.util import WaitSampler, combine, latency_summary, run_workers, setup_django

ACCOUNTS = 50


def _configuration():
    """The tariffs, limits, booking accounts and the product the bench's customers hold (created
    once per run; later fixtures reuse them). Returns (product, cash ledger account)."""
    from django.db import transaction

    from backoffice.limits.demo import load_demo as load_limits
    from backoffice.tariffs.demo import load_demo as load_tariffs
    from core_banking.accounts import services as accounts
    from core_banking.accounts.models import Product
    from core_banking.ledger import services as ledger
    from core_banking.ledger.models import AccountType, Currency, LedgerAccount
    from core_banking.payments.models import BookingAccount

    product = Product.objects.filter(code="Y-CUR").first()
    if product is not None:
        return product, LedgerAccount.objects.get(code="Y1100-EUR")
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
    return product, cash


def create_fixture(count: int = ACCOUNTS, tag: str = "y", funding: Decimal = Decimal("1000000.00")) -> list[int]:
    """``count`` customers with KYC approved and a funded EUR account each, on a product with the
    STANDARD tariff and the RETAIL limits. Each scenario (y, yr, h) has its own customers (``tag``),
    so that one scenario's usage counters (daily number of payments...) do not refuse the next's."""
    from django.db import transaction

    from core_banking.accounts import services as accounts
    from core_banking.common.maker_checker import system_execution
    from core_banking.customers import services as customers
    from core_banking.ledger import services as ledger

    product, cash = _configuration()
    with transaction.atomic():
        ids = []
        for i in range(count):
            customer = customers.customer_create(type="person", first_name="Bench",
                                                 last_name=f"Customer {tag} {i}", date_of_birth=dt.date(1980, 1, 1))
            with system_execution():  # the bench's own set-up: a KYC override needs no approval here
                customers.customer_set_kyc_status(customer_id=customer.pk, status="approved")
            account = accounts.account_open(customer_id=customer.pk, product_id=product.pk)
            ledger.transfer(debit_account_id=cash.pk, credit_account_id=account.ledger_account_id,
                            amount=funding, idempotency_key=f"{tag}-fund-{i}")
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


# --- (yr): half of the payments refused ---------------------------------------------------------------

REFUSAL_POOR_ACCOUNTS = 25
POOR_FUNDING = Decimal("0.50")  # less than any payment of the scenario: every payment from them is refused


def create_refusal_fixture(tag: str = "yr", count: int = ACCOUNTS, poor: int = REFUSAL_POOR_ACCOUNTS) -> dict:
    """yr's own customers: ``count`` well-funded accounts (payers and payees of the normal payments
    and payers of the over-limit ones) and ``poor`` accounts holding 0.50 EUR, which only ever pay."""
    return {"accounts": create_fixture(count, tag=tag),
            "poor_accounts": create_fixture(poor, tag=f"{tag}-poor", funding=POOR_FUNDING)}


def single_payment_limit() -> Decimal:
    """The RETAIL profile's single-payment maximum for all channels (backoffice/limits/demo.py)."""
    from backoffice.limits.demo import PROFILES

    return min(rule["max_single_amount"] for rule in PROFILES["RETAIL"]["rules"]
               if not rule["channel"] and rule["max_single_amount"])


# What payment i of a worker is meant to be: four in a row are normal, over the limit, normal,
# beyond the payer's funds; so half are refused, half of those by a limit, half for the funds.
INTENTS = ("normal", "over_limit", "normal", "insufficient_funds")


def prepare_refusal_worker(url: str, accounts: list[int], poor_accounts: list[int], limit: Decimal,
                           seconds: float, tag: str, seed: int):
    """Worker process: warm up with normal payments, then alternate normal and refused payments."""
    from django.apps import apps

    if not apps.ready:
        setup_django(url)
    from django.db import connection

    from core_banking.common.errors import DomainError
    from core_banking.payments.services import payment_create

    rng = random.Random(seed)

    def pay(key: str, intent: str) -> None:
        payee = rng.choice(accounts)
        if intent == "insufficient_funds":
            payer = rng.choice(poor_accounts)
            amount = cents(rng, 100, 10_000)
        else:
            payer = rng.choice([a for a in accounts if a != payee])
            amount = cents(rng, 100, 10_000) + (limit if intent == "over_limit" else 0)
        payment_create(kind="internal_transfer", amount=amount, currency="EUR",
                       debtor_account_id=payer, creditor_account_id=payee, idempotency_key=key)

    for i in range(3):
        pay(f"{tag}-warmup-{i}", "normal")

    def run() -> dict:
        clock = SqlClock()
        out = {"accepted": [], "refused": [], "accepted_queries": 0, "refused_queries": 0, "codes": {},
               "unexpected": {}}
        start = time.monotonic()
        deadline = start + seconds
        i = 0
        with connection.execute_wrapper(clock):
            while time.monotonic() < deadline:
                intent = INTENTS[i % len(INTENTS)]
                queries = clock.queries
                t0 = time.perf_counter()
                try:
                    pay(f"{tag}-{i}", intent)
                    outcome, code = "accepted", None
                except DomainError as error:  # a limit or the funds
                    outcome, code = "refused", getattr(error, "code", type(error).__name__)
                elapsed = time.perf_counter() - t0
                out[outcome].append(elapsed)
                out[f"{outcome}_queries"] += clock.queries - queries
                if code:
                    out["codes"][code] = out["codes"].get(code, 0) + 1
                expected = "accepted" if intent == "normal" else "refused"
                if outcome != expected:
                    label = f"{intent} {outcome}" + (f" ({code})" if code else "")
                    out["unexpected"][label] = out["unexpected"].get(label, 0) + 1
                i += 1
        end = time.monotonic()
        connection.close()
        return {**out, "count": len(out["accepted"]), "start": start, "end": end, "sql_seconds": clock.seconds}

    return run


def scenario_refusals(url: str, fixture: dict, workers: Sequence[int], seconds: float) -> dict:
    limit = single_payment_limit()
    out = {
        "description": "payments.services.payment_create as in y, but every other payment is refused: in turn "
                       f"normal, over the RETAIL single-payment limit ({limit} EUR + 0.01-100.00), normal, from an "
                       f"account holding {POOR_FUNDING} EUR (1.00-100.00: insufficient funds)",
        "single_payment_limit": str(limit),
        "by_workers": {},
    }
    for n in workers:
        log(f"yr: {n} worker(s) x {seconds}s")
        before_workers()
        args = [(url, list(fixture["accounts"]), list(fixture["poor_accounts"]), limit, seconds, f"yr-{n}w{w}",
                 hash(("yr", n, w))) for w in range(n)]
        with WaitSampler(url) as waits:
            results = run_workers(prepare_refusal_worker, args)
        seconds_wall = max(r["end"] for r in results) - min(r["start"] for r in results)
        accepted = [x for r in results for x in r["accepted"]]
        refused = [x for r in results for x in r["refused"]]
        accepted_queries = sum(r["accepted_queries"] for r in results)
        refused_queries = sum(r["refused_queries"] for r in results)
        codes: dict[str, int] = {}
        unexpected: dict[str, int] = {}
        for r in results:
            for key, value in r["codes"].items():
                codes[key] = codes.get(key, 0) + value
            for key, value in r["unexpected"].items():
                unexpected[key] = unexpected.get(key, 0) + value
        busy = sum(r["end"] - r["start"] for r in results)
        level = {
            "workers": n,
            "seconds": round(seconds_wall, 3),
            "accepted": len(accepted),
            "refused": len(refused),
            "payments_per_second": round(len(accepted) / seconds_wall, 1),
            "refusals_per_second": round(len(refused) / seconds_wall, 1),
            "attempts_per_second": round((len(accepted) + len(refused)) / seconds_wall, 1),
            "latency_ms": {"accepted": latency_summary(accepted), "refused": latency_summary(refused)},
            "queries_per_accepted": round(accepted_queries / len(accepted), 2) if accepted else None,
            "queries_per_refused": round(refused_queries / len(refused), 2) if refused else None,
            "refusals_by_code": codes,
            "unexpected_outcomes": unexpected,
            "sql_share_of_worker_time": round(sum(r["sql_seconds"] for r in results) / busy, 3) if busy else None,
            "db_wait_profile": waits.summary(),
        }
        if level["latency_ms"]["accepted"] and level["latency_ms"]["refused"]:
            level["refused_over_accepted_p50"] = round(
                level["latency_ms"]["refused"]["p50"] / level["latency_ms"]["accepted"]["p50"], 3)
        out["by_workers"][str(n)] = level
        log(f"yr: {n} worker(s): {level['payments_per_second']} payments/s, "
            f"{level['refusals_per_second']} refusals/s, queries {level['queries_per_accepted']} per accepted, "
            f"{level['queries_per_refused']} per refused")
    return out
