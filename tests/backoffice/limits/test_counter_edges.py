"""Limit counters at their edges, worked by hand: a count limit of exactly 1, a payment larger than
a limit on an empty counter, an amount and a count limit on one counter, limits in two
currencies, the exact refusal of every kind of limit, and the give-back."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from backoffice.limits import checks, services
from backoffice.limits.exceptions import LimitExceeded
from backoffice.limits.models import LimitUsage, LimitUsageRecord
from core_banking.payments import services as payments
from core_banking.payments.seams import PaymentIntent
from tests import banking

from .conftest import DAY, intent, pay, usage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]
D = Decimal


def refused(account, amount, **options) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as caught:
        pay(account, amount, **options)
    return caught.value


# --- counts ------------------------------------------------------------------------------------


def test_a_count_limit_of_one_lets_exactly_one_payment_through(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_count=1)

    assert pay(account, "10.00") is None
    error = refused(account, "10.00")

    assert error.detail == (
        f"The payment exceeds the daily number of payments of 1 for account {account.iban} (profile RETAIL) "
        "on every channel: 1 made, 0 remaining for business date 2026-11-22.")
    assert usage("account", account.pk) == (D("10.00"), 1)
    assert pay(account, "10.00", business_date=DAY + dt.timedelta(days=1)) is None


def test_a_count_limit_of_zero_refuses_without_creating_a_counter(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", monthly_count=0)

    error = refused(account, "1.00")

    assert error.detail == (
        f"The payment exceeds the monthly number of payments of 0 for account {account.iban} (profile RETAIL) "
        "on every channel: 0 made, 0 remaining for the month 2026-11.")
    assert error.extra["period_start"] == "2026-11-01" and error.extra["limit_count"] == 0
    assert error.extra["used"] == "0" and error.extra["requested"] is None and error.extra["limit_amount"] is None
    assert not LimitUsage.objects.exists()


def test_an_amount_and_a_count_limit_on_one_counter_each_refuse_in_their_own_name(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("100.00"), daily_count=2)
    pay(account, "60.00")

    by_amount = refused(account, "40.01")
    assert by_amount.extra["limit"] == "daily_amount" and by_amount.extra["used"] == "60.00"
    assert by_amount.extra["remaining"] == "40.00" and by_amount.extra["requested"] == "40.01"

    pay(account, "40.00")  # exactly the amount left, and the second payment
    by_count = refused(account, "0.01")
    assert by_count.extra["limit"] == "daily_amount"  # both would be exceeded: the amount is named first
    LimitUsage.objects.update(amount=D("50.00"))  # room for exactly 50.00 more, none for a third payment
    by_count = refused(account, "50.00")
    assert by_count.extra["limit"] == "daily_count" and by_count.extra["used"] == "2"
    assert by_count.extra["remaining"] == "0" and by_count.extra["currency"] is None
    assert usage("account", account.pk) == (D("50.00"), 2)


@pytest.mark.parametrize(("fields", "named", "used"), [
    # One payment made, one more allowed by each limit: neither is exceeded, the amount limit is named.
    ({"daily_amount": D("100.00"), "daily_count": 2}, "daily_amount", "20.00"),
    ({"daily_count": 5}, "daily_count", "1"),
])
def test_a_counter_that_refuses_with_every_limit_still_holding_names_its_first_limit(
        retail, account, monkeypatch, fields, named, used):
    """Not reachable while the counter row is locked; if it ever were, the refusal still names a limit."""
    services.rule_create(profile_code="RETAIL", currency="EUR", **fields)
    pay(account, "20.00")
    monkeypatch.setattr(checks, "_consume", lambda key, amount, counter: None)

    error = refused(account, "1.00")

    assert error.extra["limit"] == named and error.extra["used"] == used


# --- amounts -----------------------------------------------------------------------------------


def test_a_payment_above_a_periodic_limit_is_refused_without_creating_a_counter(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("100.00"))

    error = refused(account, "100.01")

    assert error.extra["used"] == "0.00" and error.extra["remaining"] == "100.00"
    assert not LimitUsage.objects.exists()
    assert pay(account, "100.00") is None  # exactly the limit, on an empty counter
    assert usage("account", account.pk) == (D("100.00"), 1)


@pytest.mark.parametrize(("field", "value", "paid", "detail"), [
    ("max_single_amount", D("500.00"), None,
     "The payment of 500.01 EUR exceeds the single-payment limit of 500.00 EUR for {where}: at most 500.00 EUR "
     "may be paid at once."),
    ("daily_amount", D("500.00"), "200.00",
     "The payment of 500.01 EUR exceeds the daily amount limit of 500.00 EUR for {where}: 300.00 EUR remaining "
     "for business date 2026-11-22."),
    ("monthly_amount", D("500.00"), "499.99",
     "The payment of 500.01 EUR exceeds the monthly amount limit of 500.00 EUR for {where}: 0.01 EUR remaining "
     "for the month 2026-11."),
])
def test_the_refusal_of_each_amount_limit_word_for_word(retail, account, field, value, paid, detail):
    services.rule_create(profile_code="RETAIL", currency="EUR", **{field: value})
    if paid:
        pay(account, paid)

    error = refused(account, "500.01")

    assert error.detail == detail.format(where=f"account {account.iban} (profile RETAIL) on every channel")
    assert error.extra["limit"] == field and error.extra["currency"] == "EUR"
    assert error.extra["requested"] == "500.01" and error.extra["limit_amount"] == "500.00"


def test_the_single_payment_refusal_has_no_counter_fields(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", max_single_amount=D("5.00"))

    error = refused(account, "5.01")

    assert {k: error.extra[k] for k in ("period", "period_start", "used", "limit_count", "remaining")} == {
        "period": None, "period_start": None, "used": None, "limit_count": None, "remaining": "5.00"}


def test_account_and_customer_rules_are_named_in_the_refusal(retail, ada, account):
    services.rule_create(account_id=account.pk, currency="EUR", daily_count=1, channel="mobile")
    services.rule_create(customer_id=ada.pk, currency="EUR", monthly_amount=D("1000.00"))
    pay(account, "10.00", channel="mobile")

    by_account = refused(account, "10.00", channel="mobile")
    by_customer = refused(account, "995.00", channel="internet")

    assert by_account.detail == (
        f"The payment exceeds the daily number of payments of 1 for account {account.iban} (account rule) on the "
        "Mobile app channel: 1 made, 0 remaining for business date 2026-11-22.")
    assert by_account.extra["source"] == "account" and by_account.extra["channel"] == "mobile"
    assert by_customer.detail == (
        f"The payment of 995.00 EUR exceeds the monthly amount limit of 1000.00 EUR for customer {ada.number} "
        "(all their accounts) on every channel: 990.00 EUR remaining for the month 2026-11.")
    assert by_customer.extra["scope_id"] == ada.pk and by_customer.extra["source"] == "customer"


def test_limits_in_two_currencies_count_the_payment_in_each(retail, ada, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))
    services.rule_create(customer_id=ada.pk, currency="USD", daily_amount=D("120.00"))
    banking.rate("EUR", "USD", "1.0835")

    pay(account, "100.00")  # 108.35 USD

    assert usage("account", account.pk) == (D("100.00"), 1)
    assert usage("customer", ada.pk, currency="USD") == (D("108.35"), 1)
    error = refused(account, "11.00")  # 11.9185 USD, rounded up to 11.92: 120.27 > 120.00

    assert (error.extra["scope"], error.extra["currency"]) == ("customer", "USD")
    assert (error.extra["requested"], error.extra["remaining"]) == ("11.92", "11.65")
    assert usage("account", account.pk) == (D("100.00"), 1)  # the EUR counter it took is rolled back
    assert pay(account, "10.75") is None  # 11.647625 -> 11.65: exactly the rest
    assert usage("customer", ada.pk, currency="USD") == (D("120.00"), 2)


def test_a_limit_in_a_currency_without_minor_units_is_shown_without_decimals(retail, account):
    services.rule_create(profile_code="RETAIL", currency="JPY", daily_amount=D("10000"))
    banking.rate("EUR", "JPY", "162.5")

    pay(account, "60.00")  # 9,750 JPY
    error = refused(account, "1.54")  # 250.25 JPY, rounded up to 251 > 250 left

    assert usage("account", account.pk, currency="JPY") == (D("9750"), 1)
    assert (error.extra["requested"], error.extra["used"], error.extra["remaining"]) == ("251", "9750", "250")
    assert error.extra["limit_amount"] == "10000"
    assert pay(account, "1.53") is None  # 248.625 -> 249


def test_a_payment_with_no_debtor_is_not_limited(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", max_single_amount=D("1.00"))
    orphan = PaymentIntent(kind="outgoing", event="outgoing_payment", channel="api", amount=D("5.00"),
                           currency="EUR", business_date=DAY)

    assert checks.enforce(orphan) is None
    assert checks.LIMITS.check(intent(account, "0.50")) is None


# --- the give-back ----------------------------------------------------------------------------


def test_a_give_back_that_fails_half_way_gives_nothing_back(bank, retail, ada, account, monkeypatch):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))
    services.rule_create(customer_id=ada.pk, currency="EUR", daily_amount=D("5000.00"))
    banking.fund(bank, account, "1000.00")
    with override_settings(CORE_BANKING_PAYMENT_CHECKS=["backoffice.limits.checks.LIMITS"]):
        payment = payments.payment_create(kind="outgoing", amount="300.00", currency="EUR",
                                          debtor_account_id=account.pk, counterparty_iban="DE89 3704 0044 0532 0130 00",
                                          counterparty_name="Stadtwerke", idempotency_key="p1")[0]
    day = payment.business_date
    real_greatest, calls = checks.Greatest, []

    def greatest_failing_on_the_second_counter(*args, **kwargs):
        calls.append(args)
        if len(calls) > 2:  # two per counter: its amount and its count
            raise RuntimeError("the connection dropped")
        return real_greatest(*args, **kwargs)

    monkeypatch.setattr(checks, "Greatest", greatest_failing_on_the_second_counter)
    with pytest.raises(RuntimeError):
        checks.give_back(payment=payment)

    assert usage("account", account.pk, start=day) == (D("300.00"), 1)  # the first counter is not given back alone
    assert usage("customer", ada.pk, start=day) == (D("300.00"), 1)
    assert not LimitUsageRecord.objects.filter(released_at__isnull=False).exists()
