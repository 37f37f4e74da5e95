"""Issue 16: granting a staff role is maker-checker; nobody becomes superuser or widens a role by
hand in the admin."""

import pytest
from django.contrib.auth.models import Group

from backoffice.approvals import services as approvals
from backoffice.approvals.exceptions import ApprovalPermissionRefused, SelfApprovalForbidden
from backoffice.approvals.models import ApprovalRequest
from backoffice.staff import services
from backoffice.staff.roles import roles_of
from core_banking.audit.models import AuditEvent
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user
from tests.helpers import sign_in_verified

pytestmark = pytest.mark.django_db
USERS = "/admin/auth/user/"


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def admin_session(client):
    administrator = staff_user("administrator", username="the-admin")
    staff_user("compliance_officer", username="officer-on-duty")  # past the bootstrap: grants need approval
    sign_in_verified(client, administrator)
    client.administrator = administrator
    return client


def _act(client, action: str, user, role: str, reason: str = "new job"):
    return client.post(USERS, {"action": action, "_selected_action": [user.pk], "role": role, "reason": reason,
                               "index": 0}, follow=True)


def test_the_user_form_cannot_make_a_superuser_or_grant_groups(admin_session):
    target = staff_user("support_agent", username="agent-x")
    finance = Group.objects.get(name="finance")
    page = admin_session.get(f"{USERS}{target.pk}/change/")
    assert page.status_code == 200

    admin_session.post(f"{USERS}{target.pk}/change/", {
        "username": "agent-x", "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "groups": [finance.pk], "email": "x@example.com"})

    target.refresh_from_db()
    assert not target.is_superuser and roles_of(target) == ["support_agent"]
    own = admin_session.post(f"{USERS}{admin_session.administrator.pk}/change/", {
        "username": "the-admin", "is_active": "on", "is_staff": "on", "is_superuser": "on"})
    assert own.status_code in (200, 302)
    admin_session.administrator.refresh_from_db()
    assert not admin_session.administrator.is_superuser


def test_a_role_is_granted_only_when_a_compliance_officer_approves(admin_session):
    target = staff_user("support_agent", username="agent-y")

    response = _act(admin_session, "request_role", target, "finance")

    assert response.status_code == 200
    request = ApprovalRequest.objects.get(action_type="role_grant")
    assert (request.status, request.payload["role"], request.maker) == ("pending", "finance",
                                                                        admin_session.administrator)
    assert roles_of(target) == ["support_agent"]
    with pytest.raises(ApprovalPermissionRefused):  # administrators decide nothing
        approvals.request_approve(request_id=request.pk, actor=staff_user("administrator"))

    approvals.request_approve(request_id=request.pk, actor=staff_user("compliance_officer"))

    assert ApprovalRequest.objects.get(pk=request.pk).status == "executed"
    assert set(roles_of(target)) == {"support_agent", "finance"}
    assert AuditEvent.objects.filter(action="staff.role_granted", object_id=str(target.pk)).exists()


def test_nobody_approves_their_own_new_role(admin_session):
    officer = staff_user("compliance_officer", username="officer-z")
    _act(admin_session, "request_role", officer, "finance")
    request = ApprovalRequest.objects.get(action_type="role_grant")

    with pytest.raises(SelfApprovalForbidden):
        approvals.request_approve(request_id=request.pk, actor=officer)
    assert roles_of(officer) == ["compliance_officer"]


def test_a_role_is_removed_at_once_and_refusals_write_nothing(admin_session):
    target = staff_user("operations", username="ops-q")

    _act(admin_session, "remove_role", target, "operations", reason="left the team")
    assert roles_of(target) == []
    before = ApprovalRequest.objects.count()
    _act(admin_session, "request_role", target, "finance", reason="")  # no reason: refused
    _act(admin_session, "request_role", target, "superuser", reason="x")  # not a role: refused
    assert ApprovalRequest.objects.count() == before and roles_of(target) == []


def test_until_a_compliance_officer_exists_a_grant_applies_at_once_and_says_so():
    """Bootstrap after createsuperuser: nobody could approve yet."""
    first = staff_user(username="first-admin")
    officer = staff_user(username="first-officer")
    services.role_grant(user_id=first.pk, role="administrator", actor=None, reason="bank set-up")
    services.role_grant(user_id=officer.pk, role="compliance_officer", actor=first, reason="bank set-up")
    assert roles_of(first) == ["administrator"] and roles_of(officer) == ["compliance_officer"]
    assert AuditEvent.objects.filter(action="staff.role_granted", reason__startswith="bootstrap").count() == 2

    later = services.role_grant(user_id=first.pk, role="finance", actor=first, reason="now it asks")
    assert later.request_id and roles_of(first) == ["administrator"]


def test_the_service_itself_defers_and_refuses_api_client_users():
    staff_user("compliance_officer")
    target = staff_user("support_agent", username="agent-s")
    administrator = staff_user("administrator")
    deferred = services.role_grant(user_id=target.pk, role="finance", actor=administrator, reason="new job")
    assert deferred.request_id and roles_of(target) == ["support_agent"]
    with pytest.raises(ApprovalPermissionRefused):
        services.role_grant(user_id=target.pk, role="operations", actor=staff_user("support_agent"), reason="me")


def test_role_groups_are_read_only_for_an_administrator(admin_session):
    finance = Group.objects.get(name="finance")
    before = set(finance.permissions.values_list("pk", flat=True))

    page = admin_session.get(f"/admin/auth/group/{finance.pk}/change/")
    posted = admin_session.post(f"/admin/auth/group/{finance.pk}/change/", {"name": "finance", "permissions": []})

    assert page.status_code == 200 and posted.status_code == 403
    assert set(finance.permissions.values_list("pk", flat=True)) == before
    assert admin_session.get("/admin/auth/group/add/").status_code == 403
