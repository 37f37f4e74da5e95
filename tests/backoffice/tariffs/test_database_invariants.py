"""The database refuses bad tariff data by itself, whoever writes it: raw SQL around the ORM
and the services."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from backoffice.tariffs.models import FeeRule, FeeUsage
from backoffice.tariffs.policy import fees_for

from .conftest import account_on, outgoing, plan, rule

pytestmark = pytest.mark.django_db


def refused(sql, params=(), *, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def version(db):
    return plan("STANDARD", rule(fixed_amount=Decimal("0.35"))).versions.get()


RULE_INSERT = (
    "INSERT INTO tariffs_feerule (version_id, event, channel, currency_id, fixed_amount, percentage, min_fee, max_fee,"
    " free_allowance_count, allowance_period, description) VALUES (%s, %s, %s, 'EUR', %s, %s, %s, %s, %s, %s, '')"
)


def insert_rule(version, *, event="cash_deposit", channel="", fixed="0", percentage="0", min_fee="0", max_fee=None,
                free=0, period="month"):
    with connection.cursor() as cursor:
        cursor.execute(RULE_INSERT, [version.pk, event, channel, Decimal(fixed), Decimal(percentage),
                                     Decimal(min_fee), None if max_fee is None else Decimal(max_fee), free, period])


@pytest.mark.parametrize(("fields", "constraint"), [
    ({"fixed": "-0.01"}, "fee_rule_fixed_gte_0"),
    ({"percentage": "1.5"}, "fee_rule_percentage_0_1"),
    ({"percentage": "-0.001"}, "fee_rule_percentage_0_1"),
    ({"min_fee": "-1"}, "fee_rule_min_gte_0"),
    ({"min_fee": "5.00", "max_fee": "2.00"}, "fee_rule_min_lte_max"),
    ({"free": -1}, "fee_rule_allowance_gte_0"),
    ({"period": "year"}, "fee_rule_period_valid"),
    ({"event": "coffee"}, "fee_rule_event_valid"),
    ({"channel": "fax"}, "fee_rule_channel_valid"),
    ({"event": "outgoing_payment"}, "fee_rule_one_per_event_channel"),
])
def test_fee_rules_keep_their_invariants(version, fields, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        insert_rule(version, **fields)


def test_a_valid_rule_goes_in(version):
    insert_rule(version, fixed="1.00", percentage="0.001", min_fee="1.00", max_fee="1.00", free=3, period="day")

    assert FeeRule.objects.filter(version=version).count() == 2


@pytest.mark.parametrize(("from_volume", "percentage", "fixed", "constraint"), [
    ("0", "0.001", "0", "fee_tier_from_gt_0"),
    ("1000", "1.01", "0", "fee_tier_percentage_0_1"),
    ("1000", "0.001", "-1", "fee_tier_fixed_gte_0"),
])
def test_fee_tiers_keep_their_invariants(version, from_volume, percentage, fixed, constraint):
    refused("INSERT INTO tariffs_feetier (rule_id, from_volume, percentage, fixed_amount) VALUES (%s, %s, %s, %s)",
            [version.rules.get().pk, Decimal(from_volume), Decimal(percentage), Decimal(fixed)], constraint=constraint)


def test_two_versions_of_a_plan_cannot_start_on_the_same_day(version):
    refused("INSERT INTO tariffs_tariffversion (plan_id, effective_from, note, created_at) VALUES (%s, %s, '', now())",
            [version.plan_id, version.effective_from], constraint="tariff_version_one_per_date")


def test_a_customer_override_ends_after_it_starts(bank):
    a = account_on(bank)
    standard = plan("GOLD")
    refused("INSERT INTO tariffs_customertariff (customer_id, plan_id, valid_from, valid_to, note, created_at)"
            " VALUES (%s, %s, %s, %s, '', now())",
            [a.customer_id, standard.pk, dt.date(2026, 3, 1), dt.date(2026, 2, 28)],
            constraint="customer_tariff_dates_ordered")


def test_usage_counters_never_go_negative_nor_double(bank):
    plan("STANDARD", rule(fixed_amount=Decimal("0.50"), free_allowance_count=1))
    a = account_on(bank)
    fees_for(outgoing(a))
    usage = FeeUsage.objects.get(account=a)

    refused("UPDATE tariffs_feeusage SET count = -1 WHERE id = %s", [usage.pk], constraint="fee_usage_count_gte_0")
    refused("UPDATE tariffs_feeusage SET volume = -0.01 WHERE id = %s", [usage.pk], constraint="fee_usage_volume_gte_0")
    refused("UPDATE tariffs_feeusage SET period = 'week' WHERE id = %s", [usage.pk],
            constraint="fee_usage_period_valid")
    refused("INSERT INTO tariffs_feeusage (account_id, event, period, period_start, count, volume, updated_at)"
            " VALUES (%s, 'outgoing_payment', 'month', %s, 0, 0, now())", [a.pk, usage.period_start],
            constraint="fee_usage_unique")
