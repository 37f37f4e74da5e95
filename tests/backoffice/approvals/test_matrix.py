"""The authorization matrix: every role against every workflow action, through the API and the
admin, allowed or refused as designed (with the designed code); a refused action changes nothing.

The request is an account freeze made by an operations user (never the acting user, except for
``cancel``, where the acting user is the maker: only a maker may cancel). Its policy: operations
initiate; compliance officers and operations check. The API client role is a machine and never
signs in to the admin.
"""

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.utils import timezone

from backoffice.approvals import services
from backoffice.approvals.models import ApprovalRequest
from core_banking.accounts.models import Account
from tests.core_banking.ledger.interfaces import sign_in, staff_api, staff_user, token_api

from .conftest import freeze_request, snapshot

pytestmark = pytest.mark.django_db
BASE = "/api/v1/approvals"
CHANGELIST = "/admin/approvals/approvalrequest/"

ROLES = ("operations", "compliance_reviewer", "compliance_officer", "finance", "administrator", "support_agent",
         "api_client")
DENIED = "permission_denied"
ALLOWED = None
READERS = {"operations", "compliance_reviewer", "compliance_officer", "finance", "administrator", "api_client"}
# action -> role -> None (allowed) or the problem code of the refusal.
EXPECTED: dict[str, dict[str, str | None]] = {
    "list_mine": {role: ALLOWED if role in READERS else DENIED for role in ROLES},
    "retrieve": {role: ALLOWED if role in READERS else DENIED for role in ROLES},
    "inbox": {role: ALLOWED if role in {"operations", "compliance_officer", "finance"} else DENIED
              for role in ROLES},
    "create": {"operations": ALLOWED, "compliance_reviewer": "initiation_forbidden",
               "compliance_officer": "initiation_forbidden", "finance": "initiation_forbidden",
               "administrator": "initiation_forbidden", "support_agent": DENIED, "api_client": "initiation_forbidden"},
    "approve": {"operations": ALLOWED, "compliance_officer": ALLOWED, "finance": "checker_role_required",
                "compliance_reviewer": DENIED, "administrator": DENIED, "support_agent": DENIED, "api_client": DENIED},
    "cancel": {"operations": ALLOWED, "compliance_reviewer": ALLOWED, "compliance_officer": ALLOWED,
               "finance": ALLOWED, "api_client": ALLOWED, "administrator": ALLOWED, "support_agent": DENIED},
}
EXPECTED["reject"] = dict(EXPECTED["approve"])
ACTIONS = tuple(EXPECTED)
MATRIX = [(role, action) for action in ACTIONS for role in ROLES]
STATUS_AFTER = {"approve": "executed", "reject": "rejected", "cancel": "cancelled"}


def _actor(role):
    if role == "api_client":
        api = token_api(role="api_client", scopes=["approvals"])
        return api, api.api_client.user
    actor = staff_user(role)
    return staff_api(actor), actor


def _request_for(action, account, people, actor) -> ApprovalRequest | None:
    if action == "create":
        return None
    if action == "cancel":
        # The acting user is the maker (made when the policy let their role initiate).
        return ApprovalRequest.objects.create(
            action_type="account_freeze", payload={"account_id": account.pk, "reason": "matrix"},
            target_key=f"account:{account.pk}", maker=actor, required_approvals=1, created_at=timezone.now(),
            expires_at=timezone.now() + timezone.timedelta(hours=1))
    return freeze_request(account, people.ops)


def _effect(action, request, account) -> bool:
    if action == "create":
        return ApprovalRequest.objects.filter(action_type="account_freeze").exists()
    request.refresh_from_db()
    return request.status == STATUS_AFTER[action]


def _api_call(api, action, request, account):
    if action == "list_mine":
        return api.get(f"{BASE}/")
    if action == "inbox":
        return api.get(f"{BASE}/inbox/")
    if action == "retrieve":
        return api.get(f"{BASE}/{request.pk}/")
    if action == "create":
        return api.post(f"{BASE}/", {"action_type": "account_freeze",
                                     "payload": {"account_id": account.pk, "reason": "matrix"}}, format="json")
    body = {"comment": "matrix"} if action == "approve" else {"reason": "matrix"}  # each takes its own field
    return api.post(f"{BASE}/{request.pk}/{action}/", body, format="json")


@pytest.mark.parametrize(("role", "action"), MATRIX)
def test_api(role, action, account, people):
    api, actor = _actor(role)
    request = _request_for(action, account, people, actor)
    before = snapshot()

    response = _api_call(api, action, request, account)

    expected = EXPECTED[action][role]
    if expected is ALLOWED:
        assert response.status_code in (200, 201), response.content
        if action in STATUS_AFTER or action == "create":
            assert _effect(action, request, account)
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == expected
        assert snapshot() == before
        if action in STATUS_AFTER or action == "create":
            assert not _effect(action, request, account)
        assert Account.objects.get(pk=account.pk).status == Account.Status.ACTIVE


def test_reads_show_what_they_should(account, people):
    request = freeze_request(account, people.ops)
    officer_api = staff_api(people.officer)
    assert [r["id"] for r in officer_api.get(f"{BASE}/inbox/").json()] == [request.pk]
    assert officer_api.get(f"{BASE}/").json()["results"] == []  # made by the officer: none
    assert [r["id"] for r in staff_api(people.ops).get(f"{BASE}/").json()["results"]] == [request.pk]
    assert staff_api(people.finance).get(f"{BASE}/inbox/").json() == []  # finance does not check freezes


# --- admin ------------------------------------------------------------------------------------

ADMIN_ACTIONS = {"approve": "approve_selected", "reject": "reject_selected", "cancel": "cancel_selected"}
ADMIN_MATRIX = [(role, action) for action in ADMIN_ACTIONS for role in ROLES if role != "api_client"]


@pytest.mark.parametrize(("role", "action"), ADMIN_MATRIX)
def test_admin(role, action, account, people, client):
    actor = staff_user(role)
    request = _request_for(action, account, people, actor)
    browser = sign_in(client, actor)
    before = snapshot()

    response = browser.post(CHANGELIST, {"action": ADMIN_ACTIONS[action], "_selected_action": [request.pk],
                                         "reason": "matrix", "index": 0})

    if EXPECTED[action][role] is ALLOWED:
        assert response.status_code == 302, response.content[:2000]
        assert _effect(action, request, account)
    else:
        # No view permission: 403. Viewing only: the action is not offered (the list comes back).
        # Not offered (posted anyway): "No action selected", a warning. Offered but refused by
        # the service: an error message.
        assert response.status_code in (200, 302, 403), response.status_code
        if response.status_code == 200:
            assert f'value="{ADMIN_ACTIONS[action]}"' not in response.content.decode()
        if response.status_code == 302:
            errors = [m for m in get_messages(response.wsgi_request) if m.level >= messages.WARNING]
            assert errors, "a refusal is shown as an error message"
        assert not _effect(action, request, account)
        assert snapshot() == before


def test_admin_pages_render(account, people, client):
    request = services.request_approve(request_id=freeze_request(account, people.ops).pk, actor=people.officer)
    browser = sign_in(client, people.ops2)
    assert browser.get(CHANGELIST).status_code == 200
    assert browser.get(f"{CHANGELIST}?queue=inbox").status_code == 200
    page = browser.get(f"{CHANGELIST}{request.pk}/change/")
    assert page.status_code == 200 and b"executed" in page.content
    assert browser.get(f"{CHANGELIST}add/").status_code == 403


def test_the_matrix_is_complete():
    assert all(set(EXPECTED[action]) == set(ROLES) for action in ACTIONS)
    assert len(MATRIX) == len(ROLES) * len(ACTIONS)


def test_the_role_catalogue_grants_exactly_the_designed_approval_permissions():
    from backoffice.staff.roles import ROLE_PERMISSIONS

    from .conftest import APPROVAL_ROLE_PERMISSIONS

    for role in ROLE_PERMISSIONS:
        granted = {p for p in ROLE_PERMISSIONS[role] if p.startswith("approvals.")}
        assert granted == set(APPROVAL_ROLE_PERMISSIONS.get(role, [])), role
