"""The approval request's change page in the admin: a workflow panel offering only what the
signed-in user may do with that request now, with its reason field; what it fires is recorded
in the request's history (who, when, from, to, reason) and in the audit trail."""

import re

import pytest
from django.contrib.messages import get_messages

from backoffice.approvals import services
from backoffice.approvals.models import ApprovalHistory
from core_banking.accounts.models import Account
from core_banking.audit.models import AuditEvent
from tests.banking import account_transition
from tests.core_banking.ledger.interfaces import sign_in

from .conftest import freeze_request

pytestmark = pytest.mark.django_db
PAGE = "/admin/approvals/approvalrequest/"


def offered(client, user, request) -> list[str]:
    page = sign_in(client, user).get(f"{PAGE}{request.pk}/change/")
    assert page.status_code == 200
    return re.findall(rf'action="{PAGE}{request.pk}/do/([a-z]+)/"', page.content.decode())


def test_each_user_sees_only_what_they_may_fire(client, account, people):
    request = freeze_request(account, people.ops)

    assert offered(client, people.officer, request) == ["approve", "reject"]  # a checker of freezes
    assert offered(client, people.ops2, request) == ["approve", "reject"]  # operations check freezes too
    assert offered(client, people.ops, request) == ["cancel"]  # the maker: never approve their own
    assert offered(client, people.finance, request) == []  # finance does not check freezes
    assert offered(client, people.reviewer, request) == []  # may not decide
    assert offered(client, people.admin, request) == []

    services.request_approve(request_id=request.pk, actor=people.officer)
    assert offered(client, people.ops2, request) == []  # executed: nothing left to do
    assert offered(client, people.ops, request) == []


def test_a_checker_who_has_decided_is_not_offered_a_second_decision(client, account, people):
    request = freeze_request(account, people.ops)
    request.required_approvals = 2
    request.save(update_fields=["required_approvals"])
    services.request_approve(request_id=request.pk, actor=people.officer)

    assert offered(client, people.officer, request) == []
    assert offered(client, people.ops2, request) == ["approve", "reject"]


def test_rejecting_from_the_panel_needs_a_reason_and_is_recorded(client, account, people):
    request = freeze_request(account, people.ops)
    browser = sign_in(client, people.officer)

    refused = browser.post(f"{PAGE}{request.pk}/do/reject/", {"reason": ""})
    assert any("needs a reason" in str(m) for m in get_messages(refused.wsgi_request))
    request.refresh_from_db()
    assert request.status == "pending"

    browser.post(f"{PAGE}{request.pk}/do/reject/", {"reason": "no evidence"})
    request.refresh_from_db()
    assert request.status == "rejected"
    row = ApprovalHistory.objects.filter(request=request).last()
    assert (row.action, row.from_status, row.to_status, row.reason, row.actor) == (
        "reject", "pending", "rejected", "no evidence", people.officer)
    assert row.at is not None
    event = AuditEvent.objects.get(action="approval.rejected", object_id=str(request.pk))
    assert (event.before, event.after["status"], event.reason, event.actor_id) == (
        {"status": "pending"}, "rejected", "no evidence", people.officer.pk)
    assert Account.objects.get(pk=account.pk).status == "active"


def test_the_panel_refuses_what_it_does_not_offer_and_changes_nothing(client, account, people):
    request = freeze_request(account, people.ops)
    rows = ApprovalHistory.objects.count()

    response = sign_in(client, people.ops).post(f"{PAGE}{request.pk}/do/approve/", {"reason": "mine"})

    assert any("never approve" in str(m) for m in get_messages(response.wsgi_request))
    request.refresh_from_db()
    assert request.status == "pending" and ApprovalHistory.objects.count() == rows
    assert sign_in(client, people.agent).post(f"{PAGE}{request.pk}/do/approve/").status_code == 403


def test_approving_from_the_panel_executes_and_a_failure_offers_retry(client, account, people):
    request = freeze_request(account, people.ops)
    account_transition(account_id=account.pk, action="freeze", reason="frozen meanwhile")

    sign_in(client, people.officer).post(f"{PAGE}{request.pk}/do/approve/", {"reason": "seen"})

    request.refresh_from_db()
    assert request.status == "approved" and "not allowed for an account that is frozen" in request.execution_error
    assert offered(client, people.officer, request) == ["retry"]
    assert offered(client, people.ops, request) == []  # the maker may not retry
    account_transition(account_id=account.pk, action="unfreeze", reason="lifted")
    sign_in(client, people.officer).post(f"{PAGE}{request.pk}/do/retry/")
    request.refresh_from_db()
    assert request.status == "executed"
    assert Account.objects.get(pk=account.pk).status == "frozen"
