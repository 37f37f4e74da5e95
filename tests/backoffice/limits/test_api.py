"""The limits API as a partner app and as staff use it: scope, permissions, profiles, rules and
what remains of an account's limits."""

from decimal import Decimal

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from backoffice.approvals.models import ApprovalRequest
from backoffice.limits import services
from backoffice.limits.models import LimitRule
from core_banking.audit.models import AuditEvent
from tests import banking
from tests.core_banking.ledger.interfaces import assert_problem, grant, staff_api, staff_user, token_api

from .conftest import DAY, pay

pytestmark = pytest.mark.django_db
D = Decimal
BASE = "/api/v1/limits"
READ = ("limits.view_limitprofile", "limits.view_limitrule", "limits.view_limitusage")
WRITE = ("limits.add_limitrule", "limits.change_limitrule", "limits.delete_limitrule")


def client(*perms, scopes=("limits",)):
    api = token_api(scopes=scopes)
    api.api_client.user.groups.clear()  # exactly the permissions granted here, not the role's
    grant(api.api_client.user, *perms)
    return api


def operations_token():
    """A token whose user keeps the `operations` role: it may initiate a limit change (maker-checker)."""
    return token_api(role="operations", scopes=["limits"])


@pytest.fixture
def rules(retail, ada, account):
    banking.as_system(services.rule_create, profile_code="RETAIL", currency="EUR", max_single_amount=D("500.00"),
                      daily_amount=D("1000.00"), daily_count=10)
    banking.as_system(services.rule_create, profile_code="RETAIL", channel="mobile", currency="EUR",
                      daily_amount=D("300.00"))
    banking.as_system(services.rule_create, customer_id=ada.pk, currency="EUR", monthly_amount=D("20000.00"))


# --- who may call ------------------------------------------------------------------------------


def test_anonymous_requests_are_401(retail):
    assert_problem(APIClient().get(f"{BASE}/profiles/"), status=401, code="not_authenticated")


def test_a_token_without_the_limits_scope_is_403(retail):
    body = assert_problem(client(*READ, scopes=["payments"]).get(f"{BASE}/profiles/"), status=403,
                          code="permission_denied")
    assert "limits" in body["detail"]


def test_a_token_without_the_permission_is_403(retail, account):
    api = client()
    assert_problem(api.get(f"{BASE}/profiles/"), status=403, code="permission_denied")
    assert_problem(api.get(f"{BASE}/accounts/{account.pk}/allowance/"), status=403, code="permission_denied")
    reader = client(*READ)
    assert_problem(reader.post(f"{BASE}/rules/", {"profile": "RETAIL", "currency": "EUR", "daily_count": 1},
                               format="json"), status=403, code="permission_denied")


def test_staff_with_the_permissions_use_their_session(rules, account):
    user = staff_user()
    grant(user, *READ)

    response = staff_api(user).get(f"{BASE}/accounts/{account.pk}/allowance/", {"channel": "mobile"})

    assert response.status_code == 200, response.content


# --- profiles ----------------------------------------------------------------------------------


def test_profiles_are_listed_with_their_rules(rules, retail):
    services.profile_create(code="BUSINESS", name="Business customers", is_active=False)
    api = client(*READ)

    response = api.get(f"{BASE}/profiles/")

    assert response.status_code == 200, response.content
    profiles = response.json()["results"]
    assert [p["code"] for p in profiles] == ["BUSINESS", "RETAIL"]
    retail_rules = profiles[1]["rules"]
    assert [(r["channel"], r["daily_amount"]) for r in retail_rules] == [("", "1000.00"), ("mobile", "300.00")]
    assert retail_rules[0]["max_single_amount"] == "500.00" and retail_rules[0]["monthly_amount"] is None
    assert retail_rules[0]["daily_count"] == 10
    active = api.get(f"{BASE}/profiles/", {"is_active": "true"}).json()["results"]
    assert [p["code"] for p in active] == ["RETAIL"]
    detail = api.get(f"{BASE}/profiles/{retail.pk}/")
    assert detail.status_code == 200 and detail.json()["code"] == "RETAIL"
    assert_problem(api.get(f"{BASE}/profiles/999999/"), status=404, code="limit_not_found")


# --- rules -------------------------------------------------------------------------------------


def test_operations_create_change_and_remove_an_account_rule(retail, account):
    """A token asks like staff: 202 with an approval request, nothing changes until a compliance
    officer approves it."""
    api = operations_token()

    created = api.post(f"{BASE}/rules/", {"account": account.pk, "currency": "EUR", "daily_amount": "5000.00",
                                          "note": "Buying a car", "reason": "buying a car"}, format="json")
    assert created.status_code == 202, created.content
    assert (created.json()["action_type"], created.json()["status"]) == ("limit_change", "pending")
    assert created.json()["payload"] == {
        "operation": "create", "account_id": account.pk, "reason": "buying a car",
        "fields": {"currency": "EUR", "daily_amount": "5000.00", "note": "Buying a car"}}
    assert ApprovalRequest.objects.get(pk=created.json()["id"]).maker == api.api_client.user
    assert not LimitRule.objects.exists()
    assert not AuditEvent.objects.filter(action="limit_rule.created").exists()
    rule_id = _approve(created)["result"]["rule_id"]
    rule = api.get(f"{BASE}/rules/{rule_id}/").json()
    assert (rule["scope"], rule["account"], rule["channel"], rule["daily_amount"], rule["daily_count"]) == (
        "account", account.pk, "", "5000.00", None)
    assert AuditEvent.objects.filter(action="limit_rule.created", object_id=str(rule_id)).exists()

    changed = api.patch(f"{BASE}/rules/{rule_id}/", {"daily_amount": None, "daily_count": 3,
                                                     "reason": "customer asked"}, format="json")
    assert changed.status_code == 202, changed.content
    assert (LimitRule.objects.get(pk=rule_id).daily_amount, LimitRule.objects.get(pk=rule_id).daily_count) == (
        D("5000.00"), None)  # until approved
    assert not AuditEvent.objects.filter(action="limit_rule.updated").exists()
    _approve(changed)
    after = api.get(f"{BASE}/rules/{rule_id}/").json()
    assert (after["daily_amount"], after["daily_count"]) == (None, 3)
    event = AuditEvent.objects.get(action="limit_rule.updated", object_id=str(rule_id))
    assert set(event.changes) == {"daily_amount", "daily_count"} and event.reason == "customer asked"

    listed = api.get(f"{BASE}/rules/", {"account": account.pk}).json()["results"]
    assert [r["id"] for r in listed] == [rule_id]

    removed = api.delete(f"{BASE}/rules/{rule_id}/", {"reason": "car bought"}, format="json")
    assert removed.status_code == 202, removed.content
    assert LimitRule.objects.filter(pk=rule_id).exists()  # until approved
    _approve(removed)
    assert not LimitRule.objects.filter(pk=rule_id).exists()
    assert AuditEvent.objects.filter(action="limit_rule.deleted", object_id=str(rule_id), reason="car bought").exists()
    assert ApprovalRequest.objects.filter(maker=api.api_client.user, status="executed").count() == 3


def test_a_token_without_an_initiator_role_may_not_change_limits_and_nothing_is_written(rules, account):
    rule = LimitRule.objects.get(profile__code="RETAIL", channel="mobile")
    new_rule = {"account": account.pk, "currency": "EUR", "daily_amount": "5000.00", "reason": "buying a car"}
    bare = client(*READ, *WRITE)  # the model permissions, no role
    initiator_perm = client(*READ, *WRITE, "approvals.add_approvalrequest")  # may ask, but its role may not
    before = LimitRule.objects.count()

    for api, code in ((bare, "permission_denied"), (initiator_perm, "initiation_forbidden")):
        assert_problem(api.post(f"{BASE}/rules/", new_rule, format="json"), status=403, code=code)
        assert_problem(api.patch(f"{BASE}/rules/{rule.pk}/", {"daily_count": 1, "reason": "x"}, format="json"),
                       status=403, code=code)
        assert_problem(api.delete(f"{BASE}/rules/{rule.pk}/", {"reason": "x"}, format="json"), status=403,
                       code=code)

    assert LimitRule.objects.count() == before and not LimitRule.objects.filter(account=account).exists()
    rule.refresh_from_db()
    assert (rule.daily_amount, rule.daily_count) == (D("300.00"), None)
    assert not ApprovalRequest.objects.exists()


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"profile": "RETAIL", "currency": "EUR", "daily_amount": "10.001"}, 422, "invalid_limit"),
    ({"profile": "RETAIL", "currency": "EUR"}, 422, "invalid_limit"),
    ({"profile": "RETAIL", "currency": "EUR", "daily_amount": "100.00", "monthly_amount": "50.00"}, 422,
     "invalid_limit"),
    ({"profile": "RETAIL", "currency": "XXX", "daily_count": 1}, 400, "unknown_currency"),
    ({"profile": "NOPE", "currency": "EUR", "daily_count": 1}, 404, "limit_not_found"),
    ({"profile": "RETAIL", "customer": 1, "currency": "EUR", "daily_count": 1}, 400, "validation_error"),
    ({"profile": "RETAIL", "currency": "EUR", "daily_amount": 100}, 400, "validation_error"),
    ({"profile": "RETAIL", "currency": "EUR", "channel": "fax", "daily_count": 1}, 400, "validation_error"),
])
def test_a_rule_that_is_not_valid_is_refused(retail, body, status, code):
    """Refused up front (the change is rehearsed before any approval request): nothing is written."""
    api = operations_token()

    assert_problem(api.post(f"{BASE}/rules/", {**body, "reason": "new rule"}, format="json"), status=status,
                   code=code)
    assert not LimitRule.objects.exists() and not ApprovalRequest.objects.exists()


def test_a_second_rule_for_the_same_scope_and_channel_conflicts(rules):
    api = operations_token()
    before = LimitRule.objects.count()

    response = api.post(f"{BASE}/rules/", {"profile": "RETAIL", "channel": "mobile", "currency": "EUR",
                                           "daily_count": 5, "reason": "new rule"}, format="json")

    assert_problem(response, status=409, code="limit_exists")
    assert LimitRule.objects.count() == before and not ApprovalRequest.objects.exists()


# --- remaining allowance -----------------------------------------------------------------------


def test_the_remaining_allowance_of_an_account(rules, ada, account):
    pay(account, "120.00", channel="mobile")
    api = client(*READ)

    response = api.get(f"{BASE}/accounts/{account.pk}/allowance/",
                       {"channel": "mobile", "business_date": DAY.isoformat()})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["account"], body["channel"], body["business_date"]) == (account.pk, "mobile", "2026-11-22")
    lines = {(line["scope"], line["channel"], line["limit"]): line for line in body["limits"]}
    assert lines["account", "", "daily_amount"] == {
        "limit": "daily_amount", "scope": "account", "scope_id": account.pk, "source": "profile RETAIL",
        "rule_id": lines["account", "", "daily_amount"]["rule_id"], "channel": "", "period": "day",
        "period_start": "2026-11-22", "currency": "EUR", "limit_value": "1000.00", "used": "120.00",
        "remaining": "880.00",
    }
    assert lines["account", "mobile", "daily_amount"]["remaining"] == "180.00"
    count = lines["account", "", "daily_count"]
    assert (count["currency"], count["limit_value"], count["used"], count["remaining"]) == (None, "10", "1", "9")
    assert lines["customer", "", "monthly_amount"]["period_start"] == "2026-11-01"
    assert_problem(api.get(f"{BASE}/accounts/999999/allowance/"), status=404, code="account_not_found")
    assert_problem(api.get(f"{BASE}/accounts/{account.pk}/allowance/", {"channel": "fax"}), status=400,
                   code="validation_error")


# --- documentation -----------------------------------------------------------------------------


def test_the_limits_views_generate_their_schema_without_warnings():
    patterns = [path("api/v1/limits/", include("backoffice.limits.api.urls"))]
    GENERATOR_STATS.reset()

    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)

    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    assert set(schema["paths"]) == {
        "/api/v1/limits/profiles/", "/api/v1/limits/profiles/{profile_id}/", "/api/v1/limits/rules/",
        "/api/v1/limits/rules/{rule_id}/", "/api/v1/limits/accounts/{account_id}/allowance/",
    }


# --- staff: maker-checker ----------------------------------------------------------------------


def _approve(response) -> dict:
    """A staff change: 202 with its approval request; a compliance officer approves, it executes."""
    assert response.status_code == 202, response.content
    assert response["Location"] == f"/api/v1/approvals/{response.json()['id']}/"
    decided = staff_api(staff_user("compliance_officer")).post(f"{response['Location']}approve/", {}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "executed", decided.content
    return decided.json()


def test_staff_create_change_and_remove_a_rule_through_approvals(retail, account):
    ops = staff_api(staff_user("operations"))

    asked = ops.post(f"{BASE}/rules/", {"account": account.pk, "currency": "EUR", "daily_amount": "5000.00",
                                        "reason": "buying a car"}, format="json")
    assert asked.json()["payload"] == {"operation": "create", "account_id": account.pk, "reason": "buying a car",
                                       "fields": {"currency": "EUR", "daily_amount": "5000.00"}}
    assert not LimitRule.objects.exists()
    rule_id = _approve(asked)["result"]["rule_id"]
    assert LimitRule.objects.get(pk=rule_id).daily_amount == D("5000.00")

    changed = ops.patch(f"{BASE}/rules/{rule_id}/", {"daily_amount": None, "daily_count": 3, "reason": "asked"},
                        format="json")
    assert LimitRule.objects.get(pk=rule_id).daily_amount == D("5000.00")  # until approved
    _approve(changed)
    rule = LimitRule.objects.get(pk=rule_id)
    assert (rule.daily_amount, rule.daily_count) == (None, 3)

    _approve(ops.delete(f"{BASE}/rules/{rule_id}/", {"reason": "car bought"}, format="json"))
    assert not LimitRule.objects.exists()
    assert ApprovalRequest.objects.filter(status="executed").count() == 3
    assert AuditEvent.objects.filter(action="limit_rule.deleted", reason="car bought").exists()


def test_a_staff_change_is_refused_up_front_as_the_direct_route_would(rules, retail):
    ops = staff_api(staff_user("operations"))
    before = LimitRule.objects.count()

    assert_problem(ops.post(f"{BASE}/rules/", {"profile": "RETAIL", "currency": "EUR", "daily_amount": "10.001",
                                               "reason": "x"}, format="json"), status=422, code="invalid_limit")
    assert_problem(ops.post(f"{BASE}/rules/", {"profile": "RETAIL", "channel": "mobile", "currency": "EUR",
                                               "daily_count": 5, "reason": "x"}, format="json"),
                   status=409, code="limit_exists")
    assert_problem(ops.post(f"{BASE}/rules/", {"profile": "RETAIL", "channel": "branch", "currency": "EUR",
                                               "daily_count": 5}, format="json"),
                   status=400, code="invalid_approval_payload")  # staff say why
    assert_problem(ops.patch(f"{BASE}/rules/999999/", {"daily_count": 1, "reason": "x"}, format="json"),
                   status=404, code="limit_not_found")
    assert_problem(staff_api(staff_user("compliance_officer")).post(
        f"{BASE}/rules/", {"profile": "RETAIL", "channel": "branch", "currency": "EUR", "daily_count": 5,
                           "reason": "x"}, format="json"), status=403, code="permission_denied")
    assert LimitRule.objects.count() == before and not ApprovalRequest.objects.exists()
