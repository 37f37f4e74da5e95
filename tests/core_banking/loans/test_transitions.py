"""The loan lifecycle's transition table (``core_banking/loans/transitions.py``) and the model
agree: every action of the table is a django-fsm transition of ``Loan`` and every transition is in
the table; the strings refusals, the audit trail, the API and the admin show are today's; the
API routes, the admin's actions and the permissions are the table's."""

from __future__ import annotations

from django.contrib.admin.sites import site
from django.urls import reverse

from core_banking.loans import models, transitions
from core_banking.loans.api import views
from core_banking.loans.models import Loan
from tests.helpers import assert_table_is_the_models_transitions


def test_every_action_of_the_table_is_a_transition_of_the_model_and_every_transition_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, Loan)


def test_the_table_keeps_the_strings_refusals_and_the_audit_trail_show():
    assert {t.name: (t.noun, t.audit_action, t.default_reason) for t in transitions.TRANSITIONS} == {
        "approve": ("approval", "loan.approved", ""),
        "disburse": ("disbursement", "loan.disbursed", ""),
        "activate": ("activation", "loan.activated", "first end of day"),
        "fall_into_arrears": ("arrears", "loan.in_arrears", ""),
        "cure": ("return to active", "loan.cured", "arrears repaid"),
        "mark_repaid": ("repayment in full", "loan.repaid", "repaid in full"),
        "write_off": ("write-off", "loan.written_off", ""),
    }


def test_the_staff_actions_are_routed_permissioned_and_offered_from_the_table():
    assert {slug: t.name for slug, t in transitions.BY_SLUG.items()} == {
        "approve": "approve", "disburse": "disburse", "write-off": "write_off"}
    for slug, spec in transitions.BY_SLUG.items():
        assert reverse(f"loans:loan-{slug}", kwargs={"loan_id": 7}) == f"/api/v1/loans/7/{slug}/"
        view = views.TRANSITION_VIEWS[spec.name]
        assert view.transition is spec and view.required_perms == {"POST": [spec.permission]}
    assert (models.APPROVE, models.DISBURSE, models.WRITE_OFF) == (
        "loans.approve_loan", "loans.disburse_loan", "loans.write_off_loan")
    assert [t.name for t in transitions.TRANSITIONS if t.reason_required] == ["write_off"]
    # Every staff action is on the API and in the admin, and the engine's own are on neither.
    assert {t.name for t in transitions.IN_ADMIN} == {t.name for t in transitions.BY_SLUG.values()}
    assert all(t.permission and t.summary for t in transitions.BY_SLUG.values())


def test_the_admin_actions_are_the_tables():
    actions = site._registry[Loan].actions
    assert [(a.__name__, a.short_description) for a in actions] == [
        ("approve_selected", "Approve selected applications"),
        ("disburse_selected", "Disburse selected approved loans"),
        ("write_off_selected", "Write selected loans off"),
    ]
