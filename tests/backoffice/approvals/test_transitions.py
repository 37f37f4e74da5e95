"""The approval request's transition table (``backoffice/approvals/transitions.py``) and the model
agree: every transition of the table is a django-fsm transition of ``ApprovalRequest`` and every
transition is in the table; each staff action leads to one of them; the strings the history, the
audit trail and staff see are today's; the routes, the buttons and the admin's actions are the
table's."""

from __future__ import annotations

from django.contrib.admin.sites import site
from django.urls import reverse

from backoffice.approvals import selectors, services, transitions
from backoffice.approvals.api import views
from backoffice.approvals.models import ApprovalRequest
from tests.helpers import assert_table_is_the_models_transitions


def test_every_transition_of_the_table_is_one_of_the_model_and_every_one_of_the_model_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, ApprovalRequest)
    assert {a.fires for a in transitions.STAFF_ACTIONS} <= set(transitions.BY_NAME)


def test_the_table_keeps_the_strings_the_history_and_the_audit_trail_show():
    assert {t.name: (t.history_action, t.audit_action, t.default_reason) for t in transitions.TRANSITIONS} == {
        "approve": ("approve", "approval.approved", ""),
        "mark_executed": ("execute", "approval.executed", "executed"),
        "reject": ("reject", "approval.rejected", ""),
        "cancel": ("cancel", "approval.cancelled", ""),
        "expire": ("expire", "approval.expired", "not decided in time"),
    }


def test_the_staff_actions_their_buttons_routes_services_and_admin_actions():
    assert selectors.ACTIONS == {"approve": ("Approve", False), "reject": ("Reject", True),
                                 "cancel": ("Cancel my request", False),
                                 "retry": ("Retry the failed execution", False)}
    assert list(views.STAFF_ACTION_VIEWS) == list(transitions.STAFF_BY_NAME)
    for action in transitions.STAFF_ACTIONS:
        assert reverse(f"approvals:request-{action.name}", kwargs={"request_id": 7}) == (
            f"/api/v1/approvals/7/{action.name}/")
        assert callable(getattr(services, f"request_{action.name}"))
    actions = site._registry[ApprovalRequest].actions
    assert [(a.__name__, a.short_description, a.allowed_permissions) for a in actions] == [
        ("approve_selected", "Approve selected requests", ["decide"]),
        ("reject_selected", "Reject selected requests (reason needed)", ["decide"]),
        ("cancel_selected", "Cancel selected requests (mine only)", ["initiate"]),
        ("retry_selected", "Retry the failed execution of selected requests", ["decide"]),
    ]
