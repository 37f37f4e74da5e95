"""The tariffs API: who may read and write, and what it answers."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from backoffice.approvals.models import ApprovalRequest
from backoffice.tariffs.models import FeeRule, TariffPlan, TariffVersion
from core_banking.audit.models import AuditEvent
from core_banking.ledger.services import business_date_open
from tests.backoffice.api_clients.factories import ApiClientFactory, StaffUserFactory, grant, issue
from tests.backoffice.api_clients.support import assert_problem, bearer
from tests.core_banking.ledger.interfaces import ensure_roles, staff_api, staff_user, token_api

from .conftest import plan, rule

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/tariffs/plans/"
VIEW = "tariffs.view_tariffplan"
MAINTAIN = ("tariffs.view_tariffplan", "tariffs.add_tariffplan", "tariffs.add_tariffversion", "tariffs.add_feerule")


def api(*perms, scopes=("tariffs",)):
    client = ApiClientFactory(scopes=list(scopes))
    grant(client.user, *perms)
    return bearer(issue(client))


def bare_token(*perms):
    """A token whose user has exactly these permissions: its role group is cleared."""
    client = ApiClientFactory(scopes=["tariffs"])
    client.user.groups.clear()
    grant(client.user, *perms)
    return bearer(issue(client))


def operations_token():
    """A token whose user keeps the `operations` role: it may initiate a tariff change (maker-checker)."""
    ensure_roles()
    return token_api(role="operations", scopes=["tariffs"])


@pytest.fixture
def standard(db):
    return plan("STANDARD", rule(fixed_amount=Decimal("0.20"), percentage=Decimal("0.001"), min_fee=Decimal("1.00"),
                                 max_fee=Decimal("10.00"), free_allowance_count=5,
                                 tiers=[{"from_volume": Decimal("1000"), "percentage": Decimal("0.0005")}]),
                rule(channel="branch", fixed_amount=Decimal("5.00")))


def future(days=10) -> str:
    return (business_date_open() + dt.timedelta(days=days)).isoformat()


# --- who may -------------------------------------------------------------------------------


def test_without_credentials_the_answer_is_401(db):
    assert_problem(APIClient().get(PLANS), status=401, code="not_authenticated")


def test_a_token_without_the_tariffs_scope_is_refused(db):
    response = api(VIEW, scopes=["ledger"]).get(PLANS)

    body = assert_problem(response, status=403, code="permission_denied")
    assert "tariffs" in body["detail"]


def test_a_token_without_the_permission_is_refused(db):
    assert_problem(api().get(PLANS), status=403, code="permission_denied")


def test_reading_does_not_allow_writing(db):
    response = api(VIEW).post(PLANS, {"code": "GOLD", "name": "Gold"}, format="json")

    assert_problem(response, status=403, code="permission_denied")
    assert not TariffPlan.objects.exists()


def test_staff_with_the_permission_read_through_their_session(standard):
    user = StaffUserFactory()
    grant(user, VIEW)
    session = APIClient()
    session.force_authenticate(user=user)

    assert session.get(PLANS).status_code == 200


# --- reading -------------------------------------------------------------------------------


def test_plans_are_listed_with_their_versions_rules_and_tiers(standard):
    later = plan("ZERO")
    response = api(VIEW).get(PLANS)

    assert response.status_code == 200, response.content
    body = response.json()
    assert [p["code"] for p in body["results"]] == ["STANDARD", "ZERO"]
    version = body["results"][0]["versions"][0]
    assert version["effective_from"] == "2026-01-01" and version["effective_to"] is None
    generic, branch = version["rules"]
    assert generic == {
        "id": generic["id"], "version_id": version["id"], "event": "outgoing_payment", "channel": "", "currency": "EUR",
        "fixed_amount": "0.20", "percentage": "0.001", "min_fee": "1.00", "max_fee": "10.00",
        "free_allowance_count": 5, "allowance_period": "month", "description": "",
        "tiers": [{"from_volume": "1000.00", "percentage": "0.0005", "fixed_amount": "0.00"}],
    }
    assert branch["channel"] == "branch" and branch["max_fee"] is None
    assert body["results"][1]["id"] == later.pk and body["results"][1]["versions"][0]["rules"] == []


def test_the_list_filters_by_code_and_state(standard):
    plan("OLD", is_active=False)
    reader = api(VIEW)

    assert [p["code"] for p in reader.get(PLANS, {"is_active": "false"}).json()["results"]] == ["OLD"]
    assert [p["code"] for p in reader.get(PLANS, {"code": "standard"}).json()["results"]] == ["STANDARD"]


def test_one_plan_and_one_version(standard):
    reader = api(VIEW)
    version = standard.versions.get()

    assert reader.get(f"{PLANS}{standard.pk}/").json()["code"] == "STANDARD"
    assert len(reader.get(f"/api/v1/tariffs/versions/{version.pk}/").json()["rules"]) == 2
    assert_problem(reader.get(f"{PLANS}999999/"), status=404, code="tariff_not_found")


def test_a_version_ends_the_day_before_the_next_one_starts(standard):
    starts = business_date_open() + dt.timedelta(days=10)
    asked = operations_token().post(f"{PLANS}{standard.pk}/versions/",
                                    {"effective_from": starts.isoformat(), "reason": "yearly review"}, format="json")
    assert not TariffVersion.objects.filter(plan=standard, effective_from=starts).exists()  # until approved
    _approve(asked)

    versions = api(VIEW).get(f"{PLANS}{standard.pk}/").json()["versions"]

    assert [(v["effective_from"], v["effective_to"]) for v in versions] == [
        (starts.isoformat(), None), ("2026-01-01", (starts - dt.timedelta(days=1)).isoformat())]


# --- writing -------------------------------------------------------------------------------


def test_operations_create_a_plan_and_it_is_audited(db):
    response = api(*MAINTAIN).post(PLANS, {"code": "gold", "name": "Gold", "description": "For VIPs"}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["code"] == "GOLD" and response.json()["versions"] == []
    event = AuditEvent.objects.get(action="tariff_plan.created")
    assert event.after["code"] == "GOLD" and event.actor_repr.startswith("api:")


def test_a_duplicate_plan_code_conflicts(standard):
    response = api(*MAINTAIN).post(PLANS, {"code": "STANDARD", "name": "Again"}, format="json")

    assert_problem(response, status=409, code="tariff_exists")


def test_a_version_is_created_with_its_rules(standard):
    token = operations_token()
    starts = future()
    audited_before = AuditEvent.objects.filter(action="tariff_version.created").count()

    response = token.post(f"{PLANS}{standard.pk}/versions/", {
        "effective_from": starts, "note": "2027 prices", "reason": "yearly review",
        "rules": [
            {"event": "outgoing_payment", "currency": "EUR", "fixed_amount": "0.25", "percentage": "0.001",
             "min_fee": "1.00", "max_fee": "12.00",
             "tiers": [{"from_volume": "5000.00", "percentage": "0.0005"}]},
            {"event": "monthly_maintenance", "currency": "EUR", "fixed_amount": "5.00"},
        ],
    }, format="json")

    assert response.status_code == 202, response.content
    assert (response.json()["action_type"], response.json()["status"]) == ("tariff_change", "pending")
    assert ApprovalRequest.objects.get(pk=response.json()["id"]).maker == token.api_client.user
    assert TariffVersion.objects.count() == 1 and FeeRule.objects.count() == 2
    assert AuditEvent.objects.filter(action="tariff_version.created").count() == audited_before
    checker = staff_user("finance")
    version_id = _approve(response, checker)["result"]["version_id"]
    body = api(VIEW).get(f"/api/v1/tariffs/versions/{version_id}/").json()
    assert (body["effective_from"], body["note"]) == (starts, "2027 prices")
    assert body["created_by"] == checker.username  # executed on approval, by the checker
    assert [(r["event"], r["fixed_amount"]) for r in body["rules"]] == [
        ("monthly_maintenance", "5.00"), ("outgoing_payment", "0.25")]
    audited = AuditEvent.objects.get(action="tariff_version.created", object_id=str(body["id"]))
    assert audited.after["rules"][0]["tiers"] == [{"from_volume": "5000.00", "percentage": "0.0005",
                                                   "fixed_amount": "0.00"}]


def test_a_token_without_an_initiator_role_may_not_change_prices_and_nothing_is_written(standard):
    in_force = standard.versions.get()
    version = {"effective_from": future(), "reason": "yearly review",
               "rules": [{"event": "outgoing_payment", "currency": "EUR", "fixed_amount": "0.25"}]}
    rule_body = {"event": "cash_deposit", "currency": "EUR", "fixed_amount": "1.00", "reason": "cash costs"}

    for token, code in ((bare_token(*MAINTAIN), "permission_denied"),  # the model permissions, no role
                        (bare_token(*MAINTAIN, "approvals.add_approvalrequest"), "initiation_forbidden")):
        assert_problem(token.post(f"{PLANS}{standard.pk}/versions/", version, format="json"), status=403, code=code)
        assert_problem(token.post(f"/api/v1/tariffs/versions/{in_force.pk}/rules/", rule_body, format="json"),
                       status=403, code=code)  # the role first, whatever the input

    assert TariffVersion.objects.count() == 1 and FeeRule.objects.count() == 2
    assert not ApprovalRequest.objects.exists()


def test_a_refused_rule_refuses_the_whole_version(standard):
    response = operations_token().post(f"{PLANS}{standard.pk}/versions/", {
        "effective_from": future(), "reason": "yearly review",
        "rules": [{"event": "outgoing_payment", "currency": "EUR", "fixed_amount": "0.25"},
                  {"event": "cash_deposit", "currency": "EUR", "min_fee": "5.00", "max_fee": "2.00"}],
    }, format="json")

    body = assert_problem(response, status=422, code="invalid_tariff")
    assert body["field"] == "max_fee" and body["rule_index"] == 1
    assert TariffVersion.objects.count() == 1 and FeeRule.objects.count() == 2
    assert not ApprovalRequest.objects.exists()


def test_a_version_may_not_be_back_dated(standard):
    response = operations_token().post(f"{PLANS}{standard.pk}/versions/",
                                       {"effective_from": "2026-02-01", "reason": "yearly review"}, format="json")

    body = assert_problem(response, status=422, code="invalid_tariff")
    assert body["field"] == "effective_from"
    assert TariffVersion.objects.count() == 1 and not ApprovalRequest.objects.exists()


def test_amounts_are_strings_not_numbers(standard):
    response = api(*MAINTAIN).post(f"{PLANS}{standard.pk}/versions/", {
        "effective_from": future(), "rules": [{"event": "outgoing_payment", "currency": "EUR", "fixed_amount": 0.25}],
    }, format="json")

    assert_problem(response, status=400, code="validation_error")


def test_a_rule_is_added_to_a_version_that_has_not_started(standard):
    token = operations_token()
    version_id = _approve(token.post(f"{PLANS}{standard.pk}/versions/",
                                     {"effective_from": future(), "reason": "yearly review"},
                                     format="json"))["result"]["version_id"]

    response = token.post(f"/api/v1/tariffs/versions/{version_id}/rules/", {
        "event": "cash_withdrawal", "currency": "EUR", "fixed_amount": "2.50", "free_allowance_count": 2,
        "allowance_period": "day", "reason": "cash costs",
    }, format="json")

    assert response.status_code == 202, response.content
    assert not FeeRule.objects.filter(version_id=version_id).exists()  # until approved
    assert not AuditEvent.objects.filter(action="fee_rule.created").exists()
    rule_id = _approve(response)["result"]["rule_id"]
    (added,) = api(VIEW).get(f"/api/v1/tariffs/versions/{version_id}/").json()["rules"]
    assert (added["id"], added["event"], added["fixed_amount"]) == (rule_id, "cash_withdrawal", "2.50")
    assert added["free_allowance_count"] == 2 and added["allowance_period"] == "day"
    assert AuditEvent.objects.filter(action="fee_rule.created").count() == 1
    duplicate = token.post(f"/api/v1/tariffs/versions/{version_id}/rules/",
                           {"event": "cash_withdrawal", "currency": "EUR", "reason": "again"}, format="json")
    assert_problem(duplicate, status=409, code="tariff_exists")
    assert FeeRule.objects.filter(version_id=version_id).count() == 1
    assert not ApprovalRequest.objects.filter(status="pending").exists()


def test_the_prices_of_a_version_in_force_are_fixed(standard):
    version = standard.versions.get()

    response = operations_token().post(f"/api/v1/tariffs/versions/{version.pk}/rules/", {
        "event": "cash_deposit", "currency": "EUR", "fixed_amount": "1.00", "reason": "cash costs"}, format="json")

    assert_problem(response, status=409, code="tariff_version_in_force")
    assert FeeRule.objects.filter(version=version).count() == 2 and not ApprovalRequest.objects.exists()


def test_creating_a_rule_needs_its_own_permission(standard):
    version_id = _approve(operations_token().post(f"{PLANS}{standard.pk}/versions/",
                                                  {"effective_from": future(), "reason": "yearly review"},
                                                  format="json"))["result"]["version_id"]

    response = api(VIEW, "tariffs.add_tariffversion").post(f"/api/v1/tariffs/versions/{version_id}/rules/",
                                                           {"event": "cash_deposit", "currency": "EUR",
                                                            "reason": "cash costs"}, format="json")

    assert_problem(response, status=403, code="permission_denied")
    assert not FeeRule.objects.filter(version_id=version_id).exists()
    assert not ApprovalRequest.objects.filter(status="pending").exists()


# --- staff: maker-checker ------------------------------------------------------------------


def _approve(response, checker=None) -> dict:
    """A price change: 202 with its approval request; a finance user approves it and it executes."""
    assert response.status_code == 202, response.content
    assert response["Location"] == f"/api/v1/approvals/{response.json()['id']}/"
    decided = staff_api(checker or staff_user("finance")).post(f"{response['Location']}approve/", {}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == "executed", decided.content
    return decided.json()


def _ops():
    ensure_roles()
    return staff_api(staff_user("operations"))


def test_staff_add_a_version_and_a_rule_through_approvals(standard):
    ops = _ops()
    starts = future()

    asked = ops.post(f"{PLANS}{standard.pk}/versions/", {
        "effective_from": starts, "note": "2027 prices", "reason": "yearly review",
        "rules": [{"event": "outgoing_payment", "currency": "EUR", "fixed_amount": "0.30",
                   "tiers": [{"from_volume": "500.00", "percentage": "0.0002"}]}]}, format="json")
    assert asked.json()["action_type"] == "tariff_change"
    assert not TariffVersion.objects.filter(plan=standard, effective_from=starts).exists()
    version_id = _approve(asked)["result"]["version_id"]
    version = TariffVersion.objects.get(pk=version_id)
    assert (version.effective_from.isoformat(), version.note) == (starts, "2027 prices")
    assert version.rules.get().fixed_amount == Decimal("0.30")

    rule_asked = ops.post(f"/api/v1/tariffs/versions/{version_id}/rules/", {
        "event": "cash_deposit", "currency": "EUR", "fixed_amount": "2.00", "reason": "cash costs"}, format="json")
    assert not FeeRule.objects.filter(version=version, event="cash_deposit").exists()
    _approve(rule_asked)
    assert FeeRule.objects.get(version=version, event="cash_deposit").fixed_amount == Decimal("2.00")


def test_a_staff_price_change_is_refused_up_front_as_the_direct_route_would(standard):
    ops = _ops()
    in_force = standard.versions.get()

    assert_problem(ops.post(f"{PLANS}{standard.pk}/versions/", {"effective_from": "2026-02-01", "reason": "x"},
                            format="json"), status=422, code="invalid_tariff")
    assert_problem(ops.post(f"/api/v1/tariffs/versions/{in_force.pk}/rules/", {
        "event": "cash_deposit", "currency": "EUR", "reason": "x"}, format="json"),
        status=409, code="tariff_version_in_force")
    assert_problem(ops.post(f"{PLANS}{standard.pk}/versions/", {"effective_from": future()}, format="json"),
                   status=400, code="invalid_approval_payload")  # staff say why
    assert not ApprovalRequest.objects.exists() and TariffVersion.objects.count() == 1
