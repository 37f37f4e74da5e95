"""Limits as a bank's staff would describe them, one worked example each (enforce() directly)."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice.limits import checks, services
from backoffice.limits.exceptions import LimitExceeded
from backoffice.limits.selectors import remaining_allowance
from core_banking.payments.exceptions import FxRateUnavailable
from tests import banking

from .conftest import DAY, intent, pay, usage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]
D = Decimal


def refused(account, amount, **options) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as caught:
        pay(account, amount, **options)
    return caught.value


def test_no_rule_no_limit_and_nothing_is_counted(account):
    assert pay(account, "1000000.00") is None
    assert usage("account", account.pk) == (D(0), 0)


def test_single_payment_maximum(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", max_single_amount=D("500.00"))

    assert pay(account, "500.00") is None
    error = refused(account, "500.01")

    assert error.extra["limit"] == "max_single_amount"
    assert error.extra["limit_amount"] == "500.00" and error.extra["remaining"] == "500.00"
    assert error.extra["scope"] == "account" and error.extra["source"] == "profile RETAIL"
    assert usage("account", account.pk) == (D(0), 0)  # a single-payment limit needs no counter


def test_daily_amount(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))

    pay(account, "400.00")
    pay(account, "450.00")
    error = refused(account, "150.01")

    assert error.extra["limit"] == "daily_amount"
    assert error.extra["used"] == "850.00" and error.extra["remaining"] == "150.00"
    assert pay(account, "150.00") is None  # exactly up to the limit
    assert usage("account", account.pk) == (D("1000.00"), 3)
    refused(account, "0.01")


def test_daily_count(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_count=3)

    for _ in range(3):
        pay(account, "1.00")
    error = refused(account, "1.00")

    assert error.extra["limit"] == "daily_count"
    assert error.extra["limit_count"] == 3 and error.extra["remaining"] == "0" and error.extra["used"] == "3"
    assert error.extra["currency"] is None
    assert usage("account", account.pk) == (D("3.00"), 3)


def test_monthly_amount_spans_the_days_of_the_month(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", monthly_amount=D("2000.00"))

    pay(account, "900.00", business_date=dt.date(2026, 11, 2))
    pay(account, "900.00", business_date=dt.date(2026, 11, 20))
    error = refused(account, "300.00", business_date=dt.date(2026, 11, 30))

    assert error.extra["limit"] == "monthly_amount" and error.extra["period_start"] == "2026-11-01"
    assert error.extra["remaining"] == "200.00"
    assert pay(account, "300.00", business_date=dt.date(2026, 12, 1)) is None  # a new month
    assert usage("account", account.pk, period="month", start=dt.date(2026, 11, 1)) == (D("1800.00"), 2)
    assert usage("account", account.pk, period="month", start=dt.date(2026, 12, 1)) == (D("300.00"), 1)


def test_a_new_business_day_resets_the_daily_counter(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"),
                         monthly_amount=D("5000.00"))

    pay(account, "1000.00")
    refused(account, "1.00")
    assert pay(account, "1000.00", business_date=DAY + dt.timedelta(days=1)) is None

    assert usage("account", account.pk, start=DAY) == (D("1000.00"), 1)
    assert usage("account", account.pk, start=DAY + dt.timedelta(days=1)) == (D("1000.00"), 1)
    assert usage("account", account.pk, period="month", start=DAY.replace(day=1)) == (D("2000.00"), 2)


def test_an_account_rule_overrides_the_profile_field_by_field(bank, retail, product, ada, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", max_single_amount=D("500.00"),
                         daily_amount=D("1000.00"))
    services.rule_create(account_id=account.pk, currency="EUR", daily_amount=D("5000.00"),
                         note="Buying a car this week")
    other = banking.account(ada, product)

    assert pay(account, "500.00") is None
    error = refused(account, "600.00")  # the profile's single maximum still applies
    assert error.extra["limit"] == "max_single_amount" and error.extra["source"] == "profile RETAIL"
    for _ in range(5):
        pay(account, "500.00")
    assert usage("account", account.pk) == (D("3000.00"), 6)  # above the profile's 1000.00 a day

    pay(other, "500.00")
    pay(other, "500.00")
    error = refused(other, "1.00")  # the other account keeps the profile's daily limit
    assert error.extra["limit"] == "daily_amount" and error.extra["limit_amount"] == "1000.00"


def test_a_lower_account_rule_tightens_the_profile(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))
    services.rule_create(account_id=account.pk, currency="EUR", daily_amount=D("100.00"))

    error = refused(account, "100.01")

    assert error.extra["source"] == "account" and error.extra["limit_amount"] == "100.00"


def test_a_customer_limit_counts_across_all_their_accounts(bank, retail, product, ada, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))
    services.rule_create(customer_id=ada.pk, currency="EUR", daily_amount=D("1500.00"))
    savings = banking.account(ada, product)

    pay(account, "1000.00")
    pay(savings, "400.00")
    error = refused(savings, "200.00")  # the savings account's own limit would allow it

    assert error.extra["limit"] == "daily_amount" and error.extra["scope"] == "customer"
    assert error.extra["scope_id"] == ada.pk and error.extra["remaining"] == "100.00"
    assert f"customer {ada.number}" in error.detail
    assert usage("customer", ada.pk) == (D("1400.00"), 2)
    assert usage("account", savings.pk) == (D("400.00"), 1)


def test_a_channel_rule_applies_in_addition_to_the_every_channel_rule(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))
    services.rule_create(profile_code="RETAIL", channel="mobile", currency="EUR", daily_amount=D("300.00"))

    pay(account, "300.00", channel="mobile")
    error = refused(account, "0.01", channel="mobile")
    assert error.extra["channel"] == "mobile" and error.extra["remaining"] == "0.00"
    assert "the Mobile app channel" in error.detail

    pay(account, "700.00", channel="internet")  # other channels: only the every-channel limit
    error = refused(account, "0.01", channel="internet")
    assert error.extra["channel"] == "" and error.extra["limit"] == "daily_amount"
    assert usage("account", account.pk) == (D("1000.00"), 2)
    assert usage("account", account.pk, channel="mobile") == (D("300.00"), 1)


def test_a_payment_in_another_currency_is_converted_at_the_mid_rate_rounding_up(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("100.00"))
    banking.rate("USD", "EUR", "0.923456")

    pay(account, "50.00", currency="USD")  # 46.1728 EUR, counted as 46.18

    assert usage("account", account.pk) == (D("46.18"), 1)
    error = refused(account, "58.50", currency="USD")  # 54.022176 -> 54.03 > 53.82
    assert error.extra["requested"] == "54.03" and error.extra["remaining"] == "53.82"
    assert error.extra["currency"] == "EUR"


def test_without_a_rate_the_payment_is_refused_not_let_through(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("100.00"))

    with pytest.raises(FxRateUnavailable):
        pay(account, "1.00", currency="GBP")


def test_money_coming_in_is_not_limited(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", max_single_amount=D("1.00"), daily_count=0)

    assert pay(account, "5000.00", kind="incoming") is None
    assert pay(account, "5000.00", kind="cash_deposit") is None
    for kind in ("internal_transfer", "cash_withdrawal", "fx_conversion", "outgoing"):
        assert refused(account, "0.50", kind=kind).extra["limit"] == "daily_count"


def test_an_inactive_profile_limits_nothing(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", max_single_amount=D("1.00"))
    services.profile_update(profile_id=retail.pk, is_active=False)

    assert pay(account, "100.00") is None


def test_a_refusal_takes_back_what_earlier_counters_took(retail, ada, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))
    services.rule_create(customer_id=ada.pk, currency="EUR", daily_amount=D("100.00"))

    with pytest.raises(LimitExceeded):
        checks.enforce(intent(account, "200.00"))  # no surrounding transaction: the check's own savepoint

    assert usage("account", account.pk) == (D(0), 0)
    assert usage("customer", ada.pk) == (D(0), 0)


# --- the error --------------------------------------------------------------------------------


def test_the_error_names_the_limit_and_what_remains(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))
    pay(account, "750.00")

    error = refused(account, "300.00")

    assert error.code == "limit_exceeded" and error.status == 422
    assert error.detail == (
        f"The payment of 300.00 EUR exceeds the daily amount limit of 1000.00 EUR for account {account.iban} "
        "(profile RETAIL) on every channel: 250.00 EUR remaining for business date 2026-11-22."
    )
    problem = error.as_problem()
    assert problem["code"] == "limit_exceeded" and problem["status"] == 422
    assert {k: problem[k] for k in ("limit", "scope", "channel", "period", "limit_amount", "used", "remaining")} == {
        "limit": "daily_amount", "scope": "account", "channel": "", "period": "day", "limit_amount": "1000.00",
        "used": "750.00", "remaining": "250.00",
    }


def test_the_remaining_allowance_lists_every_limit(retail, ada, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", max_single_amount=D("500.00"),
                         daily_amount=D("1000.00"), daily_count=10)
    services.rule_create(profile_code="RETAIL", channel="mobile", currency="EUR", daily_amount=D("300.00"))
    services.rule_create(customer_id=ada.pk, currency="EUR", monthly_amount=D("20000.00"))
    pay(account, "120.00", channel="mobile")
    pay(account, "80.00", channel="api")

    lines = {(a.scope, a.channel, a.limit): a for a in remaining_allowance(account, "mobile", DAY)}

    assert set(lines) == {("account", "", "max_single_amount"), ("account", "", "daily_amount"),
                          ("account", "", "daily_count"), ("account", "mobile", "daily_amount"),
                          ("customer", "", "monthly_amount")}
    assert (lines["account", "", "daily_amount"].used, lines["account", "", "daily_amount"].remaining) == (
        "200.00", "800.00")
    assert lines["account", "", "daily_count"].remaining == "8"
    assert lines["account", "mobile", "daily_amount"].remaining == "180.00"
    assert lines["customer", "", "monthly_amount"].remaining == "19800.00"
    assert lines["account", "", "max_single_amount"].remaining == "500.00"
    assert lines["account", "", "max_single_amount"].used is None
