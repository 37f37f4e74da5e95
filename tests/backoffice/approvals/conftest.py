"""Fixtures for the approvals app: the role groups with the approvals permissions as designed
(``APPROVAL_ROLE_PERMISSIONS``, as ``backoffice/staff/roles.py`` grants them), the bank, a
funded customer account, makers and checkers."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from backoffice.approvals import services
from backoffice.approvals.models import ApprovalDecision, ApprovalHistory, ApprovalRequest
from core_banking.audit.models import AuditEvent
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user

D = Decimal

# The approvals permissions per role, as designed.
APPROVAL_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": ["approvals.view_approvalrequest", "approvals.add_approvalrequest",
                   "approvals.decide_approvalrequest", "approvals.view_approvalpolicy"],
    "compliance_reviewer": ["approvals.view_approvalrequest", "approvals.add_approvalrequest",
                            "approvals.view_approvalpolicy"],
    "compliance_officer": ["approvals.view_approvalrequest", "approvals.add_approvalrequest",
                           "approvals.decide_approvalrequest", "approvals.view_approvalpolicy"],
    "support_agent": [],
    "finance": ["approvals.view_approvalrequest", "approvals.add_approvalrequest",
                "approvals.decide_approvalrequest", "approvals.view_approvalpolicy"],
    # Administrators ask for API clients (api_client_create / api_client_change) but decide nothing.
    "administrator": ["approvals.view_approvalrequest", "approvals.add_approvalrequest",
                      "approvals.view_approvalpolicy", "approvals.change_approvalpolicy"],
    "api_client": ["approvals.view_approvalrequest", "approvals.add_approvalrequest"],
}


def grant_role_permissions() -> None:
    """The role groups from the catalogue (backoffice/staff/roles.py), which must grant exactly
    ``APPROVAL_ROLE_PERMISSIONS`` (asserted in test_matrix)."""
    ensure_roles()


@pytest.fixture(autouse=True)
def roles(db):
    grant_role_permissions()


@pytest.fixture
def account(bank, ada, eur_product):
    account = banking.account(ada, eur_product)
    banking.fund(bank, account, "1000.00")
    return account


@pytest.fixture
def people(db):
    return SimpleNamespace(
        ops=staff_user("operations", username="ops-maker"),
        ops2=staff_user("operations", username="ops-checker"),
        officer=staff_user("compliance_officer", username="officer"),
        officer2=staff_user("compliance_officer", username="officer2"),
        reviewer=staff_user("compliance_reviewer", username="reviewer"),
        finance=staff_user("finance", username="finance-maker"),
        finance2=staff_user("finance", username="finance-checker"),
        finance3=staff_user("finance", username="finance-checker2"),
        agent=staff_user("support_agent", username="agent"),
        admin=staff_user("administrator", username="admin-user"),
    )


def freeze_request(account, maker, reason="suspicious activity") -> ApprovalRequest:
    return services.request_create(action_type="account_freeze", actor=maker,
                                   payload={"account_id": account.pk, "reason": reason})


def snapshot(request: ApprovalRequest | None = None) -> tuple:
    """Everything a refused action must leave as it was."""
    rows = list(ApprovalRequest.objects.order_by("id").values())
    decisions = list(ApprovalDecision.objects.values_list("id", flat=True))
    history = list(ApprovalHistory.objects.values_list("id", flat=True))
    # Events about objects (sign-ins and the request log are about people and HTTP, not state).
    events = AuditEvent.objects.exclude(object_type__in=["", "auth.user", "otp_static.staticdevice"]).exclude(
        action="http.request").count()
    return rows, decisions, history, events
