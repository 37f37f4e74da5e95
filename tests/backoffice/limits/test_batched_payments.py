"""Limits on the payment path's own round trips (``checks.plan``): real payments through
``payment_create`` racing in real concurrent transactions, and refusals that write nothing."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.limits import services
from backoffice.limits.exceptions import LimitExceeded
from backoffice.limits.models import LimitUsage, LimitUsageRecord
from core_banking.payments import services as payments
from core_banking.payments.models import Payment
from tests import banking

D = Decimal
WORKERS = 8
WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM)\b", re.IGNORECASE)


def transfer(debtor, creditor, amount, key):
    return payments.payment_create(kind="internal_transfer", amount=amount, currency="EUR",
                                   debtor_account_id=debtor.pk, creditor_account_id=creditor.pk,
                                   idempotency_key=key)[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("maker_checker_direct")
def test_concurrent_first_payments_create_each_counter_once_and_never_exceed_it(bank, retail, ada, bram, product):
    """Every payment reads the day's counters as missing; one creates them, the others find them
    created meanwhile (``ConcurrentChange``), run again and then count after it."""
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_count=5, daily_amount=D("1000.00"))
    payer, payee = banking.account(ada, product), banking.account(bram, product)
    banking.fund(bank, payer, D("5000.00"))
    barrier = threading.Barrier(WORKERS)

    def pay(i):
        try:
            barrier.wait()
            return ("ok", transfer(payer, payee, D("10.00"), f"race-{i}"))
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            return ("error", error)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(pay, range(WORKERS)))

    passed = [r for status, r in results if status == "ok"]
    errors = [r for status, r in results if status == "error"]
    assert len(passed) == 5
    assert all(isinstance(e, LimitExceeded) for e in errors), errors
    row = LimitUsage.objects.get(scope_kind="account", scope_id=payer.pk, channel="", period="day")
    assert (row.amount, row.count) == (D("50.00"), 5)
    assert LimitUsage.objects.filter(scope_kind="account", scope_id=payer.pk).count() == 1
    assert sorted(LimitUsageRecord.objects.values_list("payment_id", flat=True)) == sorted(p.pk for p in passed)
    assert Payment.objects.filter(status="posted").count() == 5


@pytest.mark.django_db
@pytest.mark.usefixtures("maker_checker_direct")
def test_a_payment_over_a_limit_is_refused_from_its_reads_and_writes_nothing(bank, retail, ada, bram, product):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("100.00"))
    payer, payee = banking.account(ada, product), banking.account(bram, product)
    banking.fund(bank, payer, D("500.00"))
    transfer(payer, payee, D("60.00"), "first")

    with CaptureQueriesContext(connection) as queries, pytest.raises(LimitExceeded) as refused:
        transfer(payer, payee, D("50.00"), "second")

    assert refused.value.extra["remaining"] == "40.00"
    statements = [q["sql"] for q in queries.captured_queries  # (the test's transaction makes savepoints)
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]
    writes = [sql for sql in statements if WRITE.search(sql)]
    assert writes == []
    assert len(statements) == 2  # the two batches of reads
    assert Payment.objects.count() == 1
    assert LimitUsage.objects.get(scope_kind="account", scope_id=payer.pk, period="day").amount == D("60.00")
