"""The database refuses what the services refuse, also around the ORM (raw SQL)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from backoffice.limits import services

from .conftest import DAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]


def refused(sql, params, constraint):
    with pytest.raises(IntegrityError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    assert constraint in str(caught.value)


USAGE = ("INSERT INTO limits_limitusage (scope_kind, scope_id, channel, period, period_start, currency_id, amount, "
         "count, updated_at) VALUES (%s, %s, %s, %s, %s, 'EUR', %s, %s, %s)")


def usage_row(**overrides):
    row = {"scope_kind": "account", "scope_id": 1, "channel": "", "period": "day", "period_start": DAY,
           "amount": "10.00", "count": 1}
    row.update(overrides)
    return [*row.values(), timezone.now()]


def test_a_valid_usage_row_is_accepted():
    with connection.cursor() as cursor:
        cursor.execute(USAGE, usage_row())
        cursor.execute(USAGE, usage_row(period="month", period_start=dt.date(2026, 11, 1)))


@pytest.mark.parametrize(("overrides", "constraint"), [
    ({"amount": "-0.01"}, "limit_usage_amount_not_negative"),
    ({"count": -1}, "count"),  # PositiveIntegerField's own check, and limit_usage_count_not_negative
    ({"count": 0, "amount": "5.00"}, "limit_usage_no_amount_without_count"),
    ({"period": "week", "period_start": dt.date(2026, 11, 1)}, "limit_usage_period_valid"),
    ({"period": "month", "period_start": DAY}, "limit_usage_month_starts_on_the_first"),
    ({"scope_kind": "profile"}, "limit_usage_scope_kind_valid"),
    ({"channel": "fax"}, "limit_usage_channel_valid"),
])
def test_usage_rows_that_break_an_invariant_are_refused(overrides, constraint):
    refused(USAGE, usage_row(**overrides), constraint)


def test_a_counter_exists_once_per_key():
    with connection.cursor() as cursor:
        cursor.execute(USAGE, usage_row())
    refused(USAGE, usage_row(amount="1.00"), "limit_usage_key")


def test_an_update_cannot_take_usage_below_zero():
    with connection.cursor() as cursor:
        cursor.execute(USAGE, usage_row())
    refused("UPDATE limits_limitusage SET amount = amount - 20", [], "limit_usage_amount_not_negative")


RULE = ("INSERT INTO limits_limitrule (profile_id, customer_id, account_id, channel, currency_id, max_single_amount, "
        "daily_amount, daily_count, monthly_amount, monthly_count, note, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, 'EUR', %s, %s, %s, %s, %s, '', now(), now())")


def rule_row(**overrides):
    row = {"profile_id": None, "customer_id": None, "account_id": None, "channel": "", "max_single_amount": None,
           "daily_amount": "100.00", "daily_count": None, "monthly_amount": None, "monthly_count": None}
    row.update(overrides)
    return list(row.values())


def test_a_rule_has_exactly_one_scope(retail, ada, account):
    refused(RULE, rule_row(), "limit_rule_exactly_one_scope")
    refused(RULE, rule_row(profile_id=retail.pk, customer_id=ada.pk), "limit_rule_exactly_one_scope")
    refused(RULE, rule_row(customer_id=ada.pk, account_id=account.pk), "limit_rule_exactly_one_scope")
    with connection.cursor() as cursor:
        cursor.execute(RULE, rule_row(account_id=account.pk))


@pytest.mark.parametrize(("overrides", "constraint"), [
    ({"daily_amount": "-1"}, "limit_rule_limits_not_negative"),
    ({"daily_amount": None}, "limit_rule_has_a_limit"),
    ({"max_single_amount": "200.00"}, "limit_rule_periods_ordered"),
    ({"monthly_amount": "99.99"}, "limit_rule_periods_ordered"),
    ({"daily_count": 10, "monthly_count": 9}, "limit_rule_periods_ordered"),
    ({"channel": "atm"}, "limit_rule_channel_valid"),
])
def test_rules_that_break_an_invariant_are_refused(retail, overrides, constraint):
    refused(RULE, rule_row(profile_id=retail.pk, **overrides), constraint)


def test_one_rule_per_scope_and_channel(retail):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount="100.00")

    refused(RULE, rule_row(profile_id=retail.pk), "limit_rule_profile_channel_unique")
    with connection.cursor() as cursor:
        cursor.execute(RULE, rule_row(profile_id=retail.pk, channel="mobile"))
