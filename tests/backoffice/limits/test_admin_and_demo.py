"""Limits in the admin (forms refuse what the services refuse; usage is read-only) and the demo
profiles (idempotent)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management.base import OutputWrapper
from django.test import RequestFactory

from backoffice.approvals import services as approvals
from backoffice.approvals.models import ApprovalRequest
from backoffice.limits import demo, services
from backoffice.limits.models import LimitProfile, LimitRule, LimitUsage, LimitUsageRecord
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, sign_in, staff_user

from .conftest import pay

pytestmark = pytest.mark.django_db
ADMIN = "/admin/limits"
D = Decimal


@pytest.fixture
def root(client):
    ensure_roles()
    return sign_in(client, staff_user(superuser=True))


def inline(rules):
    data = {"rules-TOTAL_FORMS": str(len(rules)), "rules-INITIAL_FORMS": "0", "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000"}
    for i, rule in enumerate(rules):
        data.update({f"rules-{i}-{field}": value for field, value in rule.items()})
    return data


def test_the_pages_open(root, retail, account):
    banking.as_system(services.rule_create, profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))
    banking.as_system(services.rule_create, account_id=account.pk, currency="EUR", daily_amount=D("2000.00"))
    pay(account, "10.00")

    for url in (f"{ADMIN}/limitprofile/", f"{ADMIN}/limitprofile/{retail.pk}/change/", f"{ADMIN}/limitprofile/add/",
                f"{ADMIN}/limitrule/", f"{ADMIN}/limitrule/add/", f"{ADMIN}/limitrule/?scope=account",
                f"{ADMIN}/limitrule/?q={account.iban}", f"{ADMIN}/limitusage/", f"{ADMIN}/limitusage/?q={account.pk}",
                f"{ADMIN}/limitusagerecord/"):
        response = root.get(url)
        assert response.status_code == 200, (url, response.status_code)
    page = root.get(f"{ADMIN}/limitrule/").content.decode()
    assert "1,000.00 EUR<" in page and "1000.000000" not in page  # amounts in the currency's places


@pytest.fixture
def maker(client):
    ensure_roles()
    user = staff_user("operations")
    sign_in(client, user)
    return user


def approve_pending(checker_role="compliance_officer") -> list:
    """A second person (a checker of limit changes) approves every pending request."""
    checker = staff_user(checker_role)
    done = [approvals.request_approve(request_id=r.pk, actor=checker)
            for r in ApprovalRequest.objects.filter(status="pending").order_by("id")]
    assert all(r.status == "executed" for r in done), [r.execution_error for r in done]
    return done


def test_a_profile_is_created_and_its_rules_ask_for_approval(maker, client, bank):
    response = client.post(f"{ADMIN}/limitprofile/add/", {
        "code": "youth", "name": "Young savers", "description": "", "is_active": "on",
        "approval_reason": "new youth offer",
        **inline([{"channel": "", "currency": "EUR", "daily_amount": "200.00", "daily_count": "10"},
                  {"channel": "mobile", "currency": "EUR", "max_single_amount": "50.00"}]),
    }, follow=True)

    assert response.status_code == 200
    profile = LimitProfile.objects.get(code="YOUTH")
    assert not profile.rules.exists()  # not before a checker approves
    requests = list(ApprovalRequest.objects.order_by("id"))
    assert [(r.action_type, r.maker, r.reason, r.payload["operation"]) for r in requests] == [
        ("limit_change", maker, "new youth offer", "create")] * 2
    assert "approval request #" in response.content.decode()

    approve_pending()
    assert sorted(profile.rules.values_list("channel", flat=True)) == ["", "mobile"]
    assert profile.rules.get(channel="").daily_amount == D("200.00")


@pytest.mark.parametrize("rules", [
    [{"channel": "", "currency": "EUR", "daily_amount": "200.00"}, {"channel": "", "currency": "EUR",
                                                                     "daily_count": "3"}],
    [{"channel": "", "currency": "EUR", "daily_amount": "200.001"}],
    [{"channel": "", "currency": "EUR"}],
    [{"channel": "", "currency": "EUR", "daily_amount": "300.00", "monthly_amount": "100.00"}],
])
def test_the_profile_form_refuses_rules_the_services_refuse(root, bank, rules):
    response = root.post(f"{ADMIN}/limitprofile/add/", {"code": "YOUTH", "name": "Young savers", **inline(rules)})

    assert response.status_code == 200
    assert not LimitProfile.objects.filter(code="YOUTH").exists()


def test_a_rule_for_an_existing_profile_cannot_repeat_a_channel(root, retail):
    banking.as_system(services.rule_create, profile_code="RETAIL", currency="EUR", daily_count=5)

    response = root.post(f"{ADMIN}/limitrule/add/", {"profile": retail.pk, "channel": "", "currency": "EUR",
                                                      "daily_count": "3"})

    assert response.status_code == 200
    assert LimitRule.objects.count() == 1


def test_a_customer_rule_is_added_changed_and_removed_through_approvals(maker, client, ada, account):
    response = client.post(f"{ADMIN}/limitrule/add/", {"customer": ada.pk, "channel": "branch", "currency": "EUR",
                                                        "daily_amount": "500.00", "approval_reason": "VIP"})
    request = ApprovalRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/approvals/approvalrequest/{request.pk}/change/"
    assert request.payload == {"operation": "create", "customer_id": ada.pk, "reason": "VIP",
                               "fields": {"channel": "branch", "currency": "EUR", "daily_amount": "500.00"}}
    assert not LimitRule.objects.exists()
    approve_pending()
    rule = LimitRule.objects.get()
    assert (rule.customer_id, rule.channel, rule.daily_amount) == (ada.pk, "branch", D("500.00"))

    no_reason = client.post(f"{ADMIN}/limitrule/add/", {"account": account.pk, "channel": "", "currency": "EUR",
                                                         "daily_amount": "500.00"})
    two_scopes = client.post(f"{ADMIN}/limitrule/add/", {"customer": ada.pk, "account": account.pk, "channel": "",
                                                          "currency": "EUR", "daily_amount": "500.00",
                                                          "approval_reason": "x"})
    assert no_reason.status_code == two_scopes.status_code == 200
    assert LimitRule.objects.count() == 1 and ApprovalRequest.objects.count() == 1

    client.post(f"{ADMIN}/limitrule/{rule.pk}/change/", {"account": account.pk, "channel": "branch",
                                                         "currency": "EUR", "daily_amount": "600.00",
                                                         "approval_reason": "raised"})
    change = ApprovalRequest.objects.get(status="pending")
    assert change.payload == {"operation": "update", "rule_id": rule.pk, "fields": {"daily_amount": "600.00"},
                              "reason": "raised"}
    duplicate = client.post(f"{ADMIN}/limitrule/{rule.pk}/change/", {"channel": "branch", "currency": "EUR",
                                                                     "daily_amount": "700.00", "approval_reason": "y"})
    assert duplicate.status_code == 200 and "already pending" in duplicate.content.decode()
    approve_pending()
    rule.refresh_from_db()
    assert (rule.customer_id, rule.account_id, rule.daily_amount) == (ada.pk, None, D("600.00"))

    client.post(f"{ADMIN}/limitrule/{rule.pk}/delete/", {"post": "yes"})
    assert LimitRule.objects.filter(pk=rule.pk).exists()
    assert ApprovalRequest.objects.get(status="pending").payload["operation"] == "delete"
    approve_pending()
    assert not LimitRule.objects.exists()


def test_a_superuser_without_a_role_may_not_change_a_rule(root, ada):
    response = root.post(f"{ADMIN}/limitrule/add/", {"customer": ada.pk, "channel": "", "currency": "EUR",
                                                      "daily_amount": "500.00", "approval_reason": "x"})

    assert response.status_code == 200 and "your role may not initiate it" in response.content.decode()
    assert not LimitRule.objects.exists() and not ApprovalRequest.objects.exists()


@pytest.mark.parametrize("model", [LimitUsage, LimitUsageRecord])
def test_usage_cannot_be_added_changed_or_deleted_even_by_a_superuser(model, django_user_model):
    request = RequestFactory().get("/admin/")
    request.user = django_user_model.objects.create_superuser("boss", "boss@example.com", "a-long-enough-password")
    model_admin = admin.site._registry[model]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert not admin.site._registry[LimitProfile].has_delete_permission(request)


def test_the_demo_profiles_load_once(db):
    out = StringIO()
    demo.load_demo(stdout=OutputWrapper(out))  # what seed_demo passes
    demo.load_demo(stdout=OutputWrapper(out))

    assert list(LimitProfile.objects.values_list("code", flat=True)) == ["BUSINESS", "RETAIL"]
    assert LimitRule.objects.count() == 6
    assert all(rule.currency_id == "EUR" for rule in LimitRule.objects.all())
    retail = LimitRule.objects.get(profile__code="RETAIL", channel="")
    assert retail.daily_amount == D("15000.00") and retail.max_single_amount <= retail.daily_amount
    assert out.getvalue().splitlines() == ["Limit profiles: 2 created, 6 rule(s) created (RETAIL, BUSINESS).",
                                           "Limit profiles: 0 created, 0 rule(s) created (RETAIL, BUSINESS)."]
