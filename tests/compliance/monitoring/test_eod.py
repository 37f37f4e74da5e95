"""The end-of-day batch: aggregate rules over the whole day, idempotent by dedup key."""

import pytest

from compliance.cases.models import Alert
from compliance.monitoring import eod
from compliance.monitoring.models import MonitoredFlow
from tests import banking

from .conftest import pay, rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct", "monitored")]


def test_the_batch_raises_what_the_day_shows_once(bank, account, product):
    bob = banking.account(banking.customer(), product)
    pay("cash_deposit", account, "6000.00")
    pay("cash_deposit", account, "5000.00")
    pay("cash_deposit", bob, "100.00")
    date = MonitoredFlow.objects.first().business_date
    # The rule came in force after the payments: only the batch sees the day whole.
    rule("TM-CASH", "cash_threshold", {"threshold": "10000"})

    population = eod.population(date)
    assert population == sorted([account.customer_id, bob.customer_id])
    assert eod.BATCH.run(date, population[0], population[-1]) == 2
    (alert,) = Alert.objects.all()
    assert alert.customer_id == account.customer_id and alert.payment_id is None
    assert alert.dedup_key == f"eod:{date.isoformat()}:{account.customer_id}:TM-CASH:1"
    assert alert.facts["day_total"] == "11000.00" and alert.facts["batch"] is True

    eod.BATCH.run(date, population[0], population[-1])  # a re-run changes nothing
    assert Alert.objects.count() == 1


def test_the_batch_does_not_repeat_a_real_time_alert(bank, account):
    rule("TM-CASH", "cash_threshold", {"threshold": "10000"})
    pay("cash_deposit", account, "10000.00")
    date = MonitoredFlow.objects.first().business_date
    eod.BATCH.run(date, account.customer_id, account.customer_id)
    assert Alert.objects.count() == 1
