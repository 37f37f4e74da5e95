"""Worked typology cases through the payment engine: each rule fires when it should and stays
silent on the near-misses (just under the threshold, just outside the window)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.cases.models import Alert
from compliance.monitoring.models import CustomerDay, MonitoredFlow
from core_banking.payments.models import Payment
from tests import banking

from .conftest import pay, rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct", "monitored")]
D = Decimal


def alerts(code):
    return list(Alert.objects.filter(rule_code=code).order_by("id"))


def test_large_amount_fires_at_the_threshold_not_below(bank, account):
    rule("TM-LARGE", "large_amount", {"threshold": "10000"})
    banking.fund(bank, account, "50000.00")
    pay("outgoing", account, "9999.99")
    assert alerts("TM-LARGE") == []
    payment = pay("outgoing", account, "10000.00")
    (alert,) = alerts("TM-LARGE")
    assert payment.status == Payment.Status.POSTED  # alert only
    assert alert.payment_id == payment.pk and alert.rule_version == 1
    assert alert.dedup_key == f"payment:{payment.pk}:TM-LARGE:1"
    assert alert.facts["amount_base"] == "10000.00" and alert.facts["threshold"] == "10000"


def test_large_amount_in_a_currency_compares_the_amount_as_sent(bank, ada, product):
    rule("TM-LARGE-USD", "large_amount", {"threshold": "5000", "currency": "USD"})
    usd = banking.account(ada, banking.product(bank, currency="USD", code="USDCUR"))
    banking.rate("USD", "EUR", "0.90")
    pay("incoming", usd, "4999.99", currency="USD")
    assert alerts("TM-LARGE-USD") == []
    pay("incoming", usd, "5000.00", currency="USD")
    assert len(alerts("TM-LARGE-USD")) == 1


def test_cash_threshold_aggregates_deposits_and_withdrawals_of_the_day(bank, account):
    rule("TM-CASH", "cash_threshold", {"threshold": "10000"})
    pay("cash_deposit", account, "6000.00")
    pay("cash_withdrawal", account, "3999.99")
    assert alerts("TM-CASH") == []  # 9,999.99: just under
    pay("outgoing", account, "500.00")  # not cash: does not count
    assert alerts("TM-CASH") == []
    payment = pay("cash_deposit", account, "0.01")
    (alert,) = alerts("TM-CASH")
    assert alert.payment_id == payment.pk and alert.facts["day_total"] == "10000.00" and alert.facts["count"] == 3
    day = CustomerDay.objects.get(customer=account.customer, is_cash=True, direction="in")
    assert (day.count, day.amount_base) == (2, D("6000.01"))


def test_structuring_counts_payments_in_the_band_within_the_window(bank, account):
    rule("TM-STRUCT", "structuring", {"threshold": "10000", "margin": "0.1", "count": 3, "window_days": 7,
                                      "cash_only": True}, action="hold", score=75)
    pay("cash_deposit", account, "9500.00")
    pay("cash_deposit", account, "8999.99")  # below the band (9,000 - 10,000)
    pay("cash_deposit", account, "10000.00")  # at the threshold: reported anyway, not structuring
    pay("cash_deposit", account, "9000.00")
    assert alerts("TM-STRUCT") == []  # two in the band
    third = pay("cash_deposit", account, "9999.99")
    (alert,) = alerts("TM-STRUCT")
    assert third.status == Payment.Status.PENDING_REVIEW
    assert alert.facts["count"] == 3 and alert.facts["band_low"] == "9000.00"


def test_structuring_outside_the_window_does_not_count(bank, account):
    rule("TM-STRUCT", "structuring", {"threshold": "10000", "margin": "0.1", "count": 2, "window_days": 7})
    old = pay("cash_deposit", account, "9500.00")
    MonitoredFlow.objects.filter(payment=old).update(business_date=old.business_date - dt.timedelta(days=7))
    pay("cash_deposit", account, "9500.00")
    assert alerts("TM-STRUCT") == []  # 8 days apart
    MonitoredFlow.objects.filter(payment=old).update(business_date=old.business_date - dt.timedelta(days=6))
    pay("cash_deposit", account, "9500.00")
    assert len(alerts("TM-STRUCT")) == 1


def test_velocity_by_count_in_hours_ignores_older_payments(bank, account):
    rule("TM-VEL", "velocity", {"metric": "count", "limit": 3, "window_hours": 24})
    banking.fund(bank, account, "1000.00")
    first = pay("outgoing", account, "10.00")
    MonitoredFlow.objects.filter(payment=first).update(at=timezone.now() - dt.timedelta(hours=24, minutes=1))
    pay("outgoing", account, "10.00")
    pay("outgoing", account, "10.00")
    assert alerts("TM-VEL") == []  # the first is just outside 24h
    pay("outgoing", account, "10.00")
    (alert,) = alerts("TM-VEL")
    assert alert.facts["count"] == 3


def test_velocity_by_amount_in_days_reads_the_day_rows(bank, account):
    rule("TM-VEL-AMT", "velocity", {"metric": "amount", "limit": "1000", "window_days": 2, "direction": "in"})
    pay("incoming", account, "600.00")
    CustomerDay.objects.filter(customer=account.customer).update(
        business_date=Payment.objects.get().business_date - dt.timedelta(days=2))  # outside 2 days
    pay("incoming", account, "600.00")
    assert alerts("TM-VEL-AMT") == []
    pay("incoming", account, "400.00")
    assert len(alerts("TM-VEL-AMT")) == 1


def test_new_counterparty_large(bank, account):
    rule("TM-NEW", "new_counterparty_large", {"threshold": "5000"})
    banking.fund(bank, account, "50000.00")
    pay("outgoing", account, "4999.99", iban="NL91ABNA0417164300")  # new, but small
    assert alerts("TM-NEW") == []
    pay("outgoing", account, "6000.00", iban="NL91ABNA0417164300")  # large, but paid before
    assert alerts("TM-NEW") == []
    payment = pay("outgoing", account, "5000.00", iban="FR1420041010050500013M02606")
    (alert,) = alerts("TM-NEW")
    assert alert.payment_id == payment.pk and alert.facts["counterparty_iban"] == "FR1420041010050500013M02606"


def test_high_risk_country_with_a_segment(bank, account, product):
    rule("TM-HRC", "high_risk_country", {"countries": ["AE"]}, action="hold", risk_ratings=["high"])
    banking.fund(bank, account, "1000.00")
    pay("outgoing", account, "100.00", iban="AE070331234567890123456")  # ada is medium risk: out of the segment
    assert alerts("TM-HRC") == []
    risky = banking.customer(risk_rating="high")
    other = banking.account(risky, product)
    banking.fund(bank, other, "1000.00")
    pay("outgoing", other, "100.00", iban="DE89370400440532013000")
    assert alerts("TM-HRC") == []
    held = pay("outgoing", other, "100.00", iban="AE070331234567890123456")
    assert held.status == Payment.Status.PENDING_REVIEW and len(alerts("TM-HRC")) == 1


def test_dormant_reactivation(bank, account):
    from core_banking.accounts.models import Account

    rule("TM-DORMANT", "dormant_reactivation", {"idle_days": 365, "threshold": "5000"}, action="hold")
    banking.fund(bank, account, "20000.00")
    long_ago = timezone.now() - dt.timedelta(days=400)
    Account.objects.filter(pk=account.pk).update(opened_at=long_ago, activated_at=long_ago)
    account.refresh_from_db()
    pay("outgoing", account, "4999.99")  # idle (the funding was not a payment), but under the threshold
    assert alerts("TM-DORMANT") == []
    # The payment above was customer activity: the account is no longer idle.
    pay("outgoing", account, "6000.00")
    assert alerts("TM-DORMANT") == []


def test_dormant_reactivation_fires_on_an_idle_account(bank, account):
    from core_banking.accounts.models import Account

    rule("TM-DORMANT", "dormant_reactivation", {"idle_days": 365, "threshold": "5000"}, action="hold")
    banking.fund(bank, account, "20000.00")
    long_ago = timezone.now() - dt.timedelta(days=400)
    Account.objects.filter(pk=account.pk).update(opened_at=long_ago, activated_at=long_ago)
    account.refresh_from_db()
    held = pay("outgoing", account, "5000.00")
    assert held.status == Payment.Status.PENDING_REVIEW
    (alert,) = alerts("TM-DORMANT")
    assert alert.facts["idle_days"] == 365


def test_rapid_in_out(bank, account):
    rule("TM-RAPID", "rapid_in_out", {"pct": "80", "window_hours": 48, "min_incoming": "5000"})
    pay("incoming", account, "10000.00")
    pay("outgoing", account, "7999.99")
    assert alerts("TM-RAPID") == []  # 79.99 %
    payment = pay("outgoing", account, "0.01")
    (alert,) = alerts("TM-RAPID")
    assert alert.payment_id == payment.pk and alert.facts["share_pct"] == "80.0"


def test_rapid_in_out_outside_the_window(bank, account):
    rule("TM-RAPID", "rapid_in_out", {"pct": "80", "window_hours": 48})
    incoming = pay("incoming", account, "10000.00")
    MonitoredFlow.objects.filter(payment=incoming).update(at=timezone.now() - dt.timedelta(hours=48, seconds=1))
    pay("outgoing", account, "9000.00")
    assert alerts("TM-RAPID") == []


def test_an_inactive_rule_and_a_future_version_do_nothing(bank, account):
    from compliance.monitoring.models import MonitoringRule

    rule("TM-LARGE", "large_amount", {"threshold": "100"})
    MonitoringRule.objects.update(is_active=False)
    banking.fund(bank, account, "1000.00")
    pay("outgoing", account, "500.00")
    assert alerts("TM-LARGE") == []
    MonitoringRule.objects.update(is_active=True)
    rule("TM-LATER", "large_amount", {"threshold": "100"}, effective_from=dt.date(2099, 1, 1))
    pay("outgoing", account, "500.00")
    assert len(alerts("TM-LARGE")) == 1 and alerts("TM-LATER") == []
