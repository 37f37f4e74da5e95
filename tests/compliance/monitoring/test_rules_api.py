"""Rule changes go through maker-checker (202, another compliance officer approves); a new
version leaves old alerts' recorded version alone; the API and its schema."""

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from backoffice.staff.roles import sync_role_groups
from compliance.cases.models import Alert
from compliance.monitoring import services
from compliance.monitoring.models import MonitoringRule, RuleVersion
from compliance.monitoring.roles import MONITORING_ROLE_PERMISSIONS
from core_banking.common.maker_checker import Deferred
from tests import banking
from tests.core_banking.ledger.interfaces import grant, staff_api, staff_user

from .conftest import pay, rule

pytestmark = pytest.mark.django_db
BASE = "/api/v1/compliance/monitoring"


def officer():
    user = staff_user("compliance_officer")
    grant(user, *MONITORING_ROLE_PERMISSIONS["compliance_officer"])  # until the catalogue merges them
    return user


def reviewer():
    user = staff_user("compliance_reviewer")
    grant(user, *MONITORING_ROLE_PERMISSIONS["compliance_reviewer"])
    return user


def _approve(response, checker) -> dict:
    assert response.status_code == 202, response.content
    decided = staff_api(checker).post(f"{response['Location']}approve/", {}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "executed", decided.content
    return decided.json()


def test_the_service_defers_to_an_approval_without_the_gate_open():
    sync_role_groups()
    rule("TM-LARGE", "large_amount", {"threshold": "100"})
    maker = officer()
    result = services.version_create(rule_id=MonitoringRule.objects.get().pk, actor=maker, reason="raise it",
                                     parameters={"threshold": "200"}, score=50)
    assert isinstance(result, Deferred)
    assert RuleVersion.objects.count() == 1


def test_a_new_version_through_approval_leaves_old_alerts_alone(settings, bank, account):
    sync_role_groups()
    settings.CORE_BANKING_PAYMENT_CHECKS = ["compliance.monitoring.checks.MONITORING"]
    settings.CORE_BANKING_MAKER_CHECKER = "core_banking.common.maker_checker.DIRECT"
    r = rule("TM-LARGE", "large_amount", {"threshold": "100"})
    banking.fund(bank, account, "1000.00")
    pay("outgoing", account, "150.00")
    settings.CORE_BANKING_MAKER_CHECKER = "backoffice.approvals.guard.GUARD"

    maker, checker = officer(), officer()
    asked = staff_api(maker).post(f"{BASE}/rules/{r.pk}/versions/", {
        "parameters": {"threshold": "200"}, "score": 60, "action": "alert", "reason": "too noisy"}, format="json")
    assert asked.status_code == 202, asked.content
    assert asked.json()["payload"]["operation"] == "version_create"
    assert RuleVersion.objects.filter(rule=r).count() == 1  # until approved
    own = staff_api(maker).post(f"{asked['Location']}approve/", {}, format="json")
    assert own.status_code in (403, 409, 422), own.content  # the maker never checks their own request
    assert _approve(asked, checker)["result"]["version"] == 2

    version = RuleVersion.objects.get(rule=r, version=2)
    assert version.parameters == {"threshold": "200", "currency": "", "direction": "any"} and version.score == 60
    (old,) = Alert.objects.all()
    assert old.rule_version == 1 and old.facts["threshold"] == "100"

    settings.CORE_BANKING_MAKER_CHECKER = "core_banking.common.maker_checker.DIRECT"
    pay("outgoing", account, "150.00")  # under v2's threshold
    assert Alert.objects.count() == 1
    pay("outgoing", account, "250.00")
    assert list(Alert.objects.order_by("id").values_list("rule_version", flat=True)) == [1, 2]


def test_a_new_rule_for_a_segment_through_approval():
    sync_role_groups()
    rule("TM-LARGE", "large_amount", {"threshold": "10000"})
    maker, checker = officer(), officer()
    body = {"code": "TM-LARGE-BUSINESS", "kind": "large_amount", "name": "Large amount, businesses",
            "version": {"parameters": {"threshold": "50000", "currency": "EUR"}, "score": 40,
                        "customer_types": ["business"], "risk_ratings": ["high"]},
            "reason": "businesses move more"}
    asked = staff_api(maker).post(f"{BASE}/rules/", body, format="json")
    assert asked.json()["payload"]["operation"] == "rule_create"
    assert not MonitoringRule.objects.filter(code="TM-LARGE-BUSINESS").exists()  # until approved
    _approve(asked, checker)
    created = MonitoringRule.objects.get(code="TM-LARGE-BUSINESS")
    version = created.versions.get()
    assert (created.kind, version.version, version.parameters["threshold"], version.score) == (
        "large_amount", 1, "50000", 40)
    assert (version.customer_types, version.risk_ratings) == (["business"], ["high"])
    taken = staff_api(maker).post(f"{BASE}/rules/", {**body, "code": "TM-LARGE"}, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "monitoring_rule_exists", taken.content
    bad = staff_api(maker).post(f"{BASE}/rules/", {**body, "code": "TM-X", "version": {
        "parameters": {"threshold": "x"}, "score": 40}}, format="json")
    assert bad.status_code == 422 and bad.json()["field"] == "parameters.threshold", bad.content
    assert staff_api(reviewer()).post(f"{BASE}/rules/", {**body, "code": "TM-Y"}, format="json").status_code == 403
    assert MonitoringRule.objects.count() == 2


def test_deactivate_and_activate_through_approval():
    sync_role_groups()
    r = rule("TM-LARGE", "large_amount", {"threshold": "100"})
    maker, checker = officer(), officer()
    _approve(staff_api(maker).post(f"{BASE}/rules/{r.pk}/deactivate/", {"reason": "retired"}, format="json"), checker)
    assert MonitoringRule.objects.get().is_active is False
    _approve(staff_api(maker).post(f"{BASE}/rules/{r.pk}/activate/", {"reason": "back"}, format="json"), checker)
    assert MonitoringRule.objects.get().is_active is True


def test_reviewers_read_and_may_not_change():
    sync_role_groups()
    r = rule("TM-LARGE", "large_amount", {"threshold": "100"})
    api = staff_api(reviewer())
    listed = api.get(f"{BASE}/rules/")
    assert listed.status_code == 200, listed.content
    (row,) = listed.json()["results"]
    assert row["code"] == "TM-LARGE" and row["versions"][0]["version"] == 1
    assert api.get(f"{BASE}/rules/{r.pk}/").json()["versions"][0]["parameters"]["threshold"] == "100"
    assert api.post(f"{BASE}/rules/{r.pk}/deactivate/", {"reason": "x"}, format="json").status_code == 403


@pytest.mark.parametrize("body, field", [
    ({"parameters": {"threshold": 100.5}, "score": 50}, "parameters.threshold"),
    ({"parameters": {"threshold": "100", "bogus": 1}, "score": 50}, "parameters.bogus"),
    ({"parameters": {"threshold": "100"}, "score": 50, "effective_from": "2000-01-01"}, "effective_from"),
])
def test_an_invalid_version_is_refused_up_front(body, field):
    sync_role_groups()
    r = rule("TM-LARGE", "large_amount", {"threshold": "100"})
    response = staff_api(officer()).post(f"{BASE}/rules/{r.pk}/versions/", {**body, "reason": "x"}, format="json")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert RuleVersion.objects.count() == 1


def test_the_monitoring_views_generate_their_schema_without_warnings():
    patterns = [path("api/v1/compliance/monitoring/", include("compliance.monitoring.api.urls"))]
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    assert len(schema["paths"]) == 5


def test_the_seed_is_idempotent():
    from compliance.monitoring.seed import DEFAULT_RULES, seed

    assert seed() == len(DEFAULT_RULES)
    assert seed() == 0
    assert MonitoringRule.objects.filter(is_active=True).count() == len(DEFAULT_RULES)
