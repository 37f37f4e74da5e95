"""The approvals API: create, list mine, inbox, retrieve, approve, reject, cancel, retry, with
problem+json codes; the OpenAPI schema documents it without warnings."""

import pytest

from backoffice.approvals.models import ApprovalRequest
from core_banking.accounts.models import Account
from tests.core_banking.ledger.interfaces import assert_problem, staff_api, token_api

from .conftest import freeze_request, snapshot

pytestmark = pytest.mark.django_db
BASE = "/api/v1/approvals"


def create_freeze(api, account, reason="suspicious"):
    return api.post(f"{BASE}/", {"action_type": "account_freeze",
                                 "payload": {"account_id": account.pk, "reason": reason}}, format="json")


def test_a_freeze_through_the_api(account, people):
    maker, checker = staff_api(people.ops), staff_api(people.officer)
    response = create_freeze(maker, account)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["maker"] == "ops-maker" and body["required_approvals"] == 1
    assert body["payload"] == {"account_id": account.pk, "reason": "suspicious"}

    mine = maker.get(f"{BASE}/").json()["results"]
    assert [r["id"] for r in mine] == [body["id"]]
    assert maker.get(f"{BASE}/", {"status": "executed"}).json()["results"] == []
    assert [r["id"] for r in checker.get(f"{BASE}/inbox/").json()] == [body["id"]]
    assert maker.get(f"{BASE}/inbox/").json() == []

    approved = checker.post(f"{BASE}/{body['id']}/approve/", {"comment": "seen"}, format="json")
    assert approved.status_code == 200, approved.content
    detail = approved.json()
    assert detail["status"] == "executed" and detail["result"]["status"] == "frozen"
    assert [d["decision"] for d in detail["decisions"]] == ["approve"]
    assert [h["action"] for h in detail["history"]] == ["create", "approve", "execute"]
    assert Account.objects.get(pk=account.pk).status == "frozen"
    assert checker.get(f"{BASE}/{body['id']}/").json()["status"] == "executed"


def test_problem_codes(bank, account, people):
    maker = staff_api(people.ops)
    request_id = create_freeze(maker, account).json()["id"]
    before = snapshot()
    assert_problem(maker.post(f"{BASE}/{request_id}/approve/", {}, format="json"), status=403,
                   code="self_approval_forbidden")
    assert_problem(create_freeze(staff_api(people.ops2), account), status=409, code="duplicate_pending_request")
    assert_problem(create_freeze(staff_api(people.officer), account), status=403, code="initiation_forbidden")
    assert_problem(staff_api(people.finance).post(f"{BASE}/{request_id}/approve/", {}, format="json"),
                   status=403, code="checker_role_required")
    assert_problem(staff_api(people.ops2).post(f"{BASE}/{request_id}/cancel/", {}, format="json"), status=403,
                   code="not_maker")
    assert_problem(staff_api(people.officer).post(f"{BASE}/{request_id}/reject/", {}, format="json"), status=400,
                   code="reason_required")
    assert_problem(maker.post(f"{BASE}/", {"action_type": "account_freeze", "payload": {"account_id": "x"}},
                              format="json"), status=400, code="invalid_approval_payload")
    assert_problem(maker.post(f"{BASE}/", {"action_type": "nope", "payload": {}}, format="json"), status=400,
                   code="validation_error")
    assert_problem(maker.get(f"{BASE}/999999/"), status=404, code="approval_request_not_found")
    assert snapshot() == before

    assert staff_api(people.officer).post(f"{BASE}/{request_id}/reject/", {"reason": "no"},
                                          format="json").json()["status"] == "rejected"
    assert_problem(staff_api(people.officer2).post(f"{BASE}/{request_id}/approve/", {}, format="json"),
                   status=409, code="transition_not_allowed")
    assert_problem(maker.post(f"{BASE}/{request_id}/cancel/", {}, format="json"), status=409,
                   code="transition_not_allowed")


def test_an_execution_failure_through_the_api_and_a_retry(bank, account, people):
    maker, checker = staff_api(people.finance), staff_api(people.finance2)
    payload = {"postings": [{"account_id": account.ledger_account_id, "amount": "5000.00"},
                            {"account_id": bank.cash["EUR"].pk, "amount": "-5000.00"}], "description": "charge"}
    request_id = maker.post(f"{BASE}/", {"action_type": "ledger_adjustment", "payload": payload},
                            format="json").json()["id"]
    body = checker.post(f"{BASE}/{request_id}/approve/", {}, format="json").json()
    assert body["status"] == "approved" and body["execution_error"].startswith("insufficient_funds")
    assert_problem(maker.post(f"{BASE}/{request_id}/retry/", format="json"), status=403,
                   code="self_approval_forbidden")
    from tests import banking

    banking.fund(bank, account, "5000.00")
    assert checker.post(f"{BASE}/{request_id}/retry/", format="json").json()["status"] == "executed"


def test_scopes_and_tokens(account, people):
    freeze_request(account, people.ops)
    assert_problem(token_api(role="api_client", scopes=["ledger"]).get(f"{BASE}/"), status=403,
                   code="permission_denied")
    assert token_api(role="api_client", scopes=["approvals"]).get(f"{BASE}/").status_code == 200
    from rest_framework.test import APIClient

    assert_problem(APIClient().get(f"{BASE}/"), status=401, code="not_authenticated")
    assert ApprovalRequest.objects.count() == 1


def test_the_schema_documents_the_api_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = [p for p in schema["paths"] if p.startswith("/api/v1/approvals/")]
    assert len(paths) == 7
    operations = {op["operationId"] for p in paths for op in schema["paths"][p].values()}
    assert operations == {"approvals_mine", "approvals_create", "approvals_inbox", "approvals_retrieve",
                          "approvals_approve", "approvals_reject", "approvals_cancel", "approvals_retry"}
    assert "ApprovalStatusEnum" in schema["components"]["schemas"]
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache


def test_the_expiry_task_is_scheduled(settings):
    assert settings.CELERY_BEAT_SCHEDULE["approvals.expire_requests"]["task"] == "approvals.expire_requests"
