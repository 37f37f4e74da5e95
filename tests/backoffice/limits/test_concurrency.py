"""Real concurrent transactions on PostgreSQL: many threads, each with its own connection and
transaction, racing for the same limits."""

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, transaction

from backoffice.limits import checks, services
from backoffice.limits.exceptions import LimitExceeded
from backoffice.limits.models import LimitUsage
from tests import banking

from .conftest import DAY, intent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("maker_checker_direct")]
WORKERS = 10
D = Decimal


def run_concurrently(fn, count=WORKERS):
    """Run fn(i) on `count` threads released together by a barrier; return (status, result) each."""
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


def enforce_in_transaction(payment_intent):
    with transaction.atomic():
        checks.enforce(payment_intent)


def test_concurrent_payments_never_exceed_a_daily_limit_together(bank, retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"), daily_count=50)
    amount = D("300.00")

    results = run_concurrently(lambda i: enforce_in_transaction(intent(account, amount)))

    passed = [r for status, r in results if status == "ok"]
    errors = [r for status, r in results if status == "error"]
    assert all(isinstance(e, LimitExceeded) for e in errors), errors  # no deadlock, no lost update
    assert len(passed) * amount <= D("1000.00")
    assert len(passed) == 3  # the first three fit; each later one sees their usage
    row = LimitUsage.objects.get(scope_kind="account", scope_id=account.pk, channel="", period="day")
    assert (row.amount, row.count) == (len(passed) * amount, len(passed))
    assert {e.extra["remaining"] for e in errors} == {"100.00"}


def test_a_race_on_a_counter_that_does_not_exist_yet_creates_it_once(bank, retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_count=4)

    results = run_concurrently(lambda i: enforce_in_transaction(intent(account, "1.00")))

    assert sum(1 for status, _ in results if status == "ok") == 4
    assert all(isinstance(r, LimitExceeded) for status, r in results if status == "error")
    assert LimitUsage.objects.filter(scope_kind="account", scope_id=account.pk).count() == 1
    assert LimitUsage.objects.get(scope_kind="account", scope_id=account.pk).count == 4


def test_mixed_payments_over_shared_counters_neither_deadlock_nor_exceed(bank, retail, product, ada, account):
    """Two accounts of one customer; profile, channel and customer limits; day and month counters.
    Every payment takes several counters; threads take them in any mix of orders of arrival."""
    savings = banking.account(ada, product)
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("600.00"), daily_count=30,
                         monthly_amount=D("5000.00"))
    services.rule_create(profile_code="RETAIL", channel="mobile", currency="EUR", daily_amount=D("250.00"))
    services.rule_create(customer_id=ada.pk, currency="EUR", daily_amount=D("900.00"), monthly_count=40)
    accounts = [account, savings]

    def worker(i):
        rng = random.Random(i)
        accepted = []
        for _ in range(12):
            debtor = rng.choice(accounts)
            channel = rng.choice(["api", "mobile"])
            amount = D(rng.randint(100, 9000)) / 100
            try:
                enforce_in_transaction(intent(debtor, amount, channel=channel))
                accepted.append((debtor.pk, channel, amount))
            except LimitExceeded:
                pass
        return accepted

    results = run_concurrently(worker)

    errors = [r for status, r in results if status == "error"]
    assert errors == []  # a deadlock or serialization failure would show here
    accepted = [payment for _, payments in results for payment in payments]
    expected = defaultdict(lambda: [D(0), 0])
    for account_id, channel, amount in accepted:
        keys = [("account", account_id, "", "day"), ("account", account_id, "", "month"),
                ("customer", ada.pk, "", "day"), ("customer", ada.pk, "", "month")]
        if channel == "mobile":
            keys.append(("account", account_id, "mobile", "day"))
        for key in keys:
            expected[key][0] += amount
            expected[key][1] += 1
    stored = {(u.scope_kind, u.scope_id, u.channel, u.period): [u.amount, u.count]
              for u in LimitUsage.objects.all()}
    assert stored == dict(expected)
    for (scope_kind, _, channel, period), (amount, count) in stored.items():
        if scope_kind == "customer":
            assert period == "month" or amount <= D("900.00")
            assert period == "day" or count <= 40
        elif channel == "mobile":
            assert amount <= D("250.00")
        else:
            assert amount <= (D("600.00") if period == "day" else D("5000.00"))
            assert period == "month" or count <= 30
    assert accepted, "some payments fit"
    assert len(accepted) < WORKERS * 12, "and some did not"
    assert all(u.period_start in (DAY, DAY.replace(day=1)) for u in LimitUsage.objects.all())
