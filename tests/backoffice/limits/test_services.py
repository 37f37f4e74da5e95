"""Profile and rule writes: validation with stable codes, and the audit trail."""

from decimal import Decimal

import pytest

from backoffice.limits import services
from backoffice.limits.exceptions import InvalidLimit, LimitExists, LimitNotFound
from backoffice.limits.models import LimitRule
from core_banking.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]
D = Decimal


def test_a_profile_code_is_normalised_and_unique(db):
    profile = services.profile_create(code=" retail ", name="Retail")

    assert profile.code == "RETAIL"
    assert AuditEvent.objects.filter(action="limit_profile.created", object_id=str(profile.pk)).exists()
    with pytest.raises(LimitExists):
        services.profile_create(code="RETAIL", name="Again")
    with pytest.raises(InvalidLimit) as caught:
        services.profile_create(code="re tail", name="Bad")
    assert caught.value.extra["field"] == "code"
    with pytest.raises(InvalidLimit):
        services.profile_create(code="OK", name=" ")


def test_a_profile_update_records_what_changed(retail):
    services.profile_update(profile_id=retail.pk, is_active=False, reason="replaced by RETAIL2")

    event = AuditEvent.objects.get(action="limit_profile.updated")
    assert event.changes == ["is_active"] and event.before == {"is_active": True}
    assert event.reason == "replaced by RETAIL2"
    services.profile_update(profile_id=retail.pk, is_active=False)  # no change, no event
    assert AuditEvent.objects.filter(action="limit_profile.updated").count() == 1
    with pytest.raises(LimitNotFound):
        services.profile_update(profile_id=999999, name="x")


@pytest.mark.parametrize(("fields", "field"), [
    ({}, "max_single_amount"),  # at least one limit
    ({"daily_amount": "10.001"}, "daily_amount"),  # more places than EUR has
    ({"daily_amount": D("-1")}, "daily_amount"),
    ({"daily_count": -1}, "daily_count"),
    ({"daily_count": True}, "daily_count"),
    ({"daily_count": "many"}, "daily_count"),
    ({"max_single_amount": D("200"), "daily_amount": D("100")}, "max_single_amount"),
    ({"daily_amount": D("200"), "monthly_amount": D("100")}, "daily_amount"),
    ({"daily_count": 5, "monthly_count": 4}, "daily_count"),
    ({"channel": "atm", "daily_count": 1}, "channel"),
    ({"currency": "XYZ", "daily_count": 1}, "currency"),
    ({"colour": "red", "daily_count": 1}, "colour"),
])
def test_a_rule_that_is_not_valid_is_refused_naming_the_field(retail, fields, field):
    fields = {"currency": "EUR", **fields}

    with pytest.raises(InvalidLimit) as caught:
        services.rule_create(profile_code="RETAIL", **fields)

    assert caught.value.extra["field"] == field
    assert not LimitRule.objects.exists()


def test_a_rule_needs_exactly_one_existing_scope(retail, ada, account):
    with pytest.raises(InvalidLimit):
        services.rule_create(currency="EUR", daily_count=1)
    with pytest.raises(InvalidLimit):
        services.rule_create(profile_code="RETAIL", customer_id=ada.pk, currency="EUR", daily_count=1)
    with pytest.raises(LimitNotFound):
        services.rule_create(customer_id=999999, currency="EUR", daily_count=1)
    with pytest.raises(LimitNotFound):
        services.rule_create(account_id=999999, currency="EUR", daily_count=1)
    rule = services.rule_create(customer_id=ada.pk, currency="EUR", daily_count=1)
    assert rule.scope == "customer" and rule.created_by is None


def test_one_rule_per_scope_and_channel(retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_count=5)
    services.rule_create(profile_code="RETAIL", channel="mobile", currency="EUR", daily_count=2)
    services.rule_create(account_id=account.pk, currency="EUR", daily_count=9)  # another scope

    with pytest.raises(LimitExists):
        services.rule_create(profile_code="RETAIL", currency="USD", daily_count=1)
    mobile = LimitRule.objects.get(channel="mobile")
    with pytest.raises(LimitExists):
        services.rule_update(rule_id=mobile.pk, channel="")


def test_a_rule_update_is_validated_and_audited(retail):
    rule = services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("100.00"))

    with pytest.raises(InvalidLimit):
        services.rule_update(rule_id=rule.pk, daily_amount=None)  # it would have no limit left
    services.rule_update(rule_id=rule.pk, daily_amount=D("250.00"), monthly_amount=D("1000.00"), reason="review")

    rule.refresh_from_db()
    assert (rule.daily_amount, rule.monthly_amount) == (D("250.00"), D("1000.00"))
    event = AuditEvent.objects.get(action="limit_rule.updated")
    assert sorted(event.changes) == ["daily_amount", "monthly_amount"]
    assert event.before == {"daily_amount": "100.00", "monthly_amount": None}
    assert event.after == {"daily_amount": "250.00", "monthly_amount": "1000.00"}
    services.rule_update(rule_id=rule.pk, daily_amount=D("250"))  # the same amount: nothing to record
    assert AuditEvent.objects.filter(action="limit_rule.updated").count() == 1


def test_a_rule_delete_is_audited(retail):
    rule = services.rule_create(profile_code="RETAIL", currency="EUR", daily_count=5)

    services.rule_delete(rule_id=rule.pk, reason="no longer needed")

    assert not LimitRule.objects.exists()
    event = AuditEvent.objects.get(action="limit_rule.deleted")
    assert event.before["daily_count"] == 5 and event.reason == "no longer needed"
    with pytest.raises(LimitNotFound):
        services.rule_delete(rule_id=rule.pk)
