"""Real concurrent transactions on PostgreSQL: 8 threads, each with its own connection."""

import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from core_banking.ledger import exceptions as exc
from core_banking.ledger.models import AccountBalance, AccountType, BalanceRule, JournalEntry
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import entry_post, entry_reverse, transfer
from core_banking.ledger.verify import verify_ledger

from .conftest import make_account

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("maker_checker_direct")]
WORKERS = 8


def run_concurrently(fn, count=WORKERS):
    """Run fn(i) on `count` threads released together by a barrier; return results or errors."""
    barrier = threading.Barrier(count)

    def call(i):
        try:
            barrier.wait()
            return ("ok", fn(i))
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            return ("error", error)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(call, range(count)))


def test_many_transfers_conserve_the_total_and_never_overdraw():
    source = make_account(type=AccountType.ASSET)
    customers = [make_account(rule=BalanceRule.NON_NEGATIVE) for _ in range(10)]
    for i, customer in enumerate(customers):
        transfer(debit_account_id=source.pk, credit_account_id=customer.pk, amount=Decimal("100.00"),
                 idempotency_key=f"fund-{i}")

    def worker(i):
        rng = random.Random(i)
        outcomes = Counter()
        for n in range(40):
            payer, payee = rng.sample(customers, 2)
            amount = Decimal(rng.randint(1, 6000)) / 100
            try:
                transfer(debit_account_id=payer.pk, credit_account_id=payee.pk, amount=amount,
                         idempotency_key=f"w{i}-{n}")
                outcomes["posted"] += 1
            except exc.InsufficientFunds:
                outcomes["refused"] += 1
        return outcomes

    results = run_concurrently(worker)

    errors = [r for status, r in results if status == "error"]
    assert errors == []  # no deadlock, no serialization failure, no lost update
    posted = sum(r["posted"] for _, r in results)
    assert posted + sum(r["refused"] for _, r in results) == WORKERS * 40
    assert JournalEntry.objects.count() == 10 + posted
    balances = [account_balance(account_id=c.pk).posted for c in customers]
    assert sum(balances) == Decimal("1000.00")
    assert min(balances) >= 0
    assert verify_ledger().ok


def test_no_overdraft_when_eight_withdrawals_race_for_the_same_funds():
    source = make_account(type=AccountType.ASSET)
    alice = make_account(rule=BalanceRule.NON_NEGATIVE)
    transfer(debit_account_id=source.pk, credit_account_id=alice.pk, amount=Decimal("100.00"), idempotency_key="f")

    results = run_concurrently(
        lambda i: transfer(debit_account_id=alice.pk, credit_account_id=source.pk, amount=Decimal("30.00"),
                           idempotency_key=f"withdraw-{i}")
    )

    succeeded = [r for status, r in results if status == "ok"]
    refused = [r for status, r in results if status == "error"]
    assert len(succeeded) == 3
    assert all(isinstance(r, exc.InsufficientFunds) for r in refused) and len(refused) == 5
    assert account_balance(account_id=alice.pk).posted == Decimal("10.00")


def test_concurrent_retries_with_one_idempotency_key_create_exactly_one_entry():
    source = make_account(type=AccountType.ASSET)
    alice = make_account(rule=BalanceRule.NON_NEGATIVE)

    results = run_concurrently(
        lambda i: transfer(debit_account_id=source.pk, credit_account_id=alice.pk, amount=Decimal("42.00"),
                           idempotency_key="the-same-retry")
    )

    assert [status for status, _ in results] == ["ok"] * WORKERS
    assert len({r.entry.pk for _, r in results}) == 1
    assert sum(1 for _, r in results if not r.replayed) == 1
    assert JournalEntry.objects.count() == 1
    assert account_balance(account_id=alice.pk).posted == Decimal("42.00")


def test_concurrent_reversals_reverse_once():
    source = make_account(type=AccountType.ASSET)
    alice = make_account(rule=BalanceRule.NON_NEGATIVE)
    original = transfer(debit_account_id=source.pk, credit_account_id=alice.pk, amount=Decimal("9.00"),
                        idempotency_key="orig")

    results = run_concurrently(lambda i: entry_reverse(entry_id=original.entry.pk, idempotency_key=f"rev-{i}"))

    ok = [r for status, r in results if status == "ok"]
    errors = [r for status, r in results if status == "error"]
    assert len(ok) == 1
    assert all(isinstance(e, exc.AlreadyReversed) for e in errors), errors
    assert account_balance(account_id=alice.pk).posted == Decimal("0.00")
    assert verify_ledger().ok


def test_a_hot_fee_account_takes_concurrent_postings_on_several_shards():
    source = make_account(type=AccountType.ASSET)
    payers = [make_account(rule=BalanceRule.NON_NEGATIVE) for _ in range(WORKERS)]
    fees = make_account(type=AccountType.INCOME, shards=16)
    for i, payer in enumerate(payers):
        transfer(debit_account_id=source.pk, credit_account_id=payer.pk, amount=Decimal("100.00"),
                 idempotency_key=f"fund-{i}")

    def worker(i):
        for n in range(25):
            entry_post(postings=[{"account_id": payers[i].pk, "amount": "1.25"},
                                 {"account_id": source.pk, "amount": "-1.00"},
                                 {"account_id": fees.pk, "amount": "-0.25"}],
                       idempotency_key=f"pay-{i}-{n}")

    results = run_concurrently(worker)

    assert [status for status, _ in results] == ["ok"] * WORKERS
    assert account_balance(account_id=fees.pk).posted == Decimal("50.00")
    used_shards = AccountBalance.objects.filter(account=fees, posting_count__gt=0).count()
    assert used_shards > 1
    assert verify_ledger().ok
