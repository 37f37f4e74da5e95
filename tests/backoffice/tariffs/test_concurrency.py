"""Two payments race for the last free event, each in its own transaction on PostgreSQL."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, transaction

from backoffice.tariffs.models import FeeUsage
from backoffice.tariffs.policy import fees_for
from tests import banking

from .conftest import account_on, outgoing, plan, rule

pytestmark = pytest.mark.django_db(transaction=True)


def race(intents, *, hold_for=0.3):
    """Price each intent on its own thread and connection, all released together; each
    transaction stays open a moment after pricing, as the rest of a payment would."""
    barrier = threading.Barrier(len(intents))

    def price(intent):
        try:
            barrier.wait()
            with transaction.atomic():
                charges = fees_for(intent, preview=False)
                time.sleep(hold_for)
            return charges
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(intents)) as pool:
        return list(pool.map(price, intents))


def test_only_one_of_two_concurrent_payments_gets_the_last_free_event():
    bank = banking.setup_bank()
    plan("STANDARD", rule(fixed_amount=Decimal("0.50"), free_allowance_count=2))
    a = account_on(bank)
    with transaction.atomic():
        assert fees_for(outgoing(a)) == []  # one of two free events used: one left

    results = race([outgoing(a), outgoing(a)])

    assert sorted(len(charges) for charges in results) == [0, 1]  # one free, one charged
    charged = next(charges[0] for charges in results if charges)
    assert charged.amount == Decimal("0.50") and charged.details["allowance"]["used"] == 3
    usage = FeeUsage.objects.get(account=a)
    assert (usage.count, usage.volume) == (3, Decimal("300.00"))


def test_two_first_payments_create_the_counter_once_and_share_one_free_event():
    bank = banking.setup_bank()
    plan("STANDARD", rule(fixed_amount=Decimal("0.50"), free_allowance_count=1))
    a = account_on(bank)

    results = race([outgoing(a, "10.00"), outgoing(a, "20.00")])

    assert sorted(len(charges) for charges in results) == [0, 1]
    usage = FeeUsage.objects.get(account=a)  # one row: the second INSERT did nothing
    assert (usage.count, usage.volume) == (2, Decimal("30.00"))


def test_many_concurrent_payments_take_exactly_the_allowance():
    bank = banking.setup_bank()
    plan("STANDARD", rule(fixed_amount=Decimal("0.50"), free_allowance_count=3))
    a = account_on(bank)

    results = race([outgoing(a) for _ in range(6)], hold_for=0.05)

    assert sum(1 for charges in results if not charges) == 3
    assert FeeUsage.objects.get(account=a).count == 6
