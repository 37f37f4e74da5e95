"""Payments under real concurrency on PostgreSQL: 8 threads, each its own transaction."""

import random
from collections import Counter
from decimal import Decimal

import pytest
from django.test import override_settings

from core_banking.accounts.exceptions import AccountFrozen
from core_banking.accounts.services import account_transition
from core_banking.ledger import exceptions as ledger_exc
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.verify import verify_ledger
from core_banking.payments import services
from core_banking.payments.models import Payment
from tests import banking
from tests.core_banking.ledger.test_concurrency import WORKERS, run_concurrently

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("maker_checker_direct")]


def posted(account):
    return account_balance(account_id=account.ledger_account_id).posted


@pytest.fixture
def setup():
    bank = banking.setup_bank(currencies=("EUR",))
    product = banking.product(bank, code="CUR")
    accounts = [banking.account(banking.customer(), product) for _ in range(6)]
    for account in accounts:
        banking.fund(bank, account, "100.00")
    return bank, accounts


def test_concurrent_retries_of_one_payment_create_it_once(setup):
    _, (a, b, *_rest) = setup
    request = dict(kind="internal_transfer", amount="12.50", currency="EUR", debtor_account_id=a.pk,
                   creditor_account_id=b.pk)
    results = run_concurrently(lambda i: services.payment_create(idempotency_key="retry", **request))
    assert [status for status, _ in results] == ["ok"] * WORKERS
    assert len({payment.pk for _, (payment, _) in results}) == 1
    assert sum(1 for _, (_, replayed) in results if not replayed) == 1
    assert Payment.objects.count() == 1 and posted(a) == Decimal("87.50")


@override_settings(CORE_BANKING_FEE_POLICY="tests.core_banking.payments.test_worked_examples.flat_fee")
def test_random_payments_with_fees_conserve_money_and_never_overdraw(setup):
    bank, accounts = setup

    def worker(i):
        rng = random.Random(i)
        outcomes = Counter()
        for n in range(15):
            payer, payee = rng.sample(accounts, 2)
            try:
                services.payment_create(kind="internal_transfer", amount=Decimal(rng.randint(100, 4000)) / 100,
                                        currency="EUR", debtor_account_id=payer.pk, creditor_account_id=payee.pk,
                                        idempotency_key=f"w{i}-{n}")
                outcomes["posted"] += 1
            except ledger_exc.InsufficientFunds:
                outcomes["refused"] += 1
        return outcomes

    results = run_concurrently(worker)
    assert [status for status, _ in results] == ["ok"] * WORKERS, results
    count = sum(r["posted"] for _, r in results)
    assert Payment.objects.filter(status="posted").count() == count
    fees = account_balance(account_id=bank.fees["EUR"].pk).posted
    assert fees == Decimal("0.50") * count
    assert sum(posted(a) for a in accounts) + fees == Decimal("600.00")
    assert min(posted(a) for a in accounts) >= 0
    assert verify_ledger().ok


def test_a_freeze_waits_for_payments_in_flight_and_stops_the_rest(setup):
    _, (a, b, *_rest) = setup

    def worker(i):
        if i == 0:
            return account_transition(account_id=a.pk, action="freeze", reason="fraud report")
        return services.payment_create(kind="internal_transfer", amount="5.00", currency="EUR",
                                       debtor_account_id=a.pk, creditor_account_id=b.pk, idempotency_key=f"f{i}")

    results = run_concurrently(worker)
    errors = [r for status, r in results if status == "error"]
    assert all(isinstance(e, AccountFrozen) for e in errors), errors
    made = Payment.objects.count()
    assert made + len(errors) == WORKERS - 1
    assert posted(a) == Decimal("100.00") - Decimal("5.00") * made
