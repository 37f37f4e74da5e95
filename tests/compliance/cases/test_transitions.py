"""The compliance case's transition table (``compliance/cases/transitions.py``) and the model
agree: every action of the table is a django-fsm transition of ``Case`` and every transition is in
the table; the strings staff and the audit trail see are today's; the API's choices (and the
OpenAPI enum), the options offered, the admin's action and the SLA escalation are the table's."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.admin.sites import site
from drf_spectacular.plumbing import list_hash, load_enum_name_overrides

from compliance.cases import models, selectors, services, transitions
from compliance.cases.api import serializers
from compliance.cases.models import Case
from tests import banking
from tests.helpers import assert_table_is_the_models_transitions

from .conftest import raise_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(people):
    alert = raise_alert(banking.customer(first_name="Ada", last_name="Lovelace"), "t1")
    return Case.objects.get(pk=alert.case_id)


def test_every_action_of_the_table_is_a_transition_of_the_model_and_every_transition_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, Case)


def test_the_table_keeps_the_strings_staff_and_the_audit_trail_see():
    assert {t.name: (t.label, t.audit_action) for t in transitions.TRANSITIONS} == {
        "investigate": ("Start investigating", "compliance.case_investigating"),
        "escalate": ("Escalate", "compliance.case_escalated"),
        "close_no_action": ("Close with no action", "compliance.case_closed_no_action"),
        "report": ("Report to the regulator", "compliance.case_reported"),
    }
    assert {t.name: t.reason_refusal for t in transitions.TRANSITIONS if t.reason_required} == {
        "close_no_action": "closing a case needs a reason", "report": "a report needs a narrative"}
    assert all(bool(t.reason_refusal) == t.reason_required for t in transitions.TRANSITIONS)
    # One source: the services keep no list of their own.
    assert not hasattr(services, "TRANSITIONS") and not hasattr(services, "REASON_REQUIRED")


def test_what_each_transition_stamps_and_closes_is_a_field_of_the_case():
    fields = {f.name for f in Case._meta.get_fields()}
    assert {t.name: t.stamps for t in transitions.TRANSITIONS if t.stamps} == {
        "escalate": "escalated_at", "close_no_action": "closed_at", "report": "closed_at"}
    assert all(t.stamps in fields for t in transitions.TRANSITIONS if t.stamps)
    # Those that close the case reach a state that is not open.
    for spec in transitions.TRANSITIONS:
        targets = {t.target for t in getattr(Case, spec.name)._django_fsm.transitions.values()}
        assert spec.closes == bool(targets - set(models.OPEN_STATES)), spec.name


def test_the_report_is_filed_not_fired_and_needs_the_report_permission():
    assert [t.name for t in transitions.TRANSITIONS if t.by_filing] == ["report"]
    assert [t.name for t in transitions.TRANSITIONS if t.permission] == ["report"]
    assert transitions.REPORT_FILED.permission == models.REPORT
    assert transitions.REPORT_FILED.permission_refusal == "reporting a case needs compliance_cases.report_case"


def test_the_api_takes_the_actions_of_the_table_and_the_openapi_enum_names_them():
    field = serializers.TransitionSerializer().fields["action"]
    assert list(field.choices) == list(transitions.BY_NAME) == list(transitions.API_ACTIONS)
    assert settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["CaseTransitionActionEnum"] == (
        "compliance.cases.transitions.API_ACTIONS")
    hashed = list_hash([(action, action) for action in transitions.API_ACTIONS])
    assert load_enum_name_overrides()[hashed] == "CaseTransitionActionEnum"


def test_the_options_offered_are_the_tables(people, case):
    offered = selectors.available_transitions(case, people.officer)
    assert offered == [
        {"action": t.name, "label": t.label, "target": getattr(Case, t.name)._django_fsm.get_transition(
            case.status).target, "reason_required": t.reason_required}
        for t in transitions.TRANSITIONS if getattr(Case, t.name)._django_fsm.has_transition(case.status)]
    assert [o["action"] for o in offered] == ["investigate", "escalate", "close_no_action"]


def test_the_admin_actions_are_the_tables():
    actions = site._registry[Case].actions
    assert actions[0] == "assign_to_me"
    assert [(a.__name__, a.short_description, a.allowed_permissions) for a in actions[1:]] == [
        (t.admin_action, t.admin_label, ["work"]) for t in transitions.IN_ADMIN]
    assert [(t.admin_action, t.admin_label, t.admin_reason, t.done) for t in transitions.IN_ADMIN] == [
        ("escalate_selected", "Escalate selected cases", "escalated from the admin", "escalated")]


def test_the_sla_escalation_records_the_tables_actions():
    escalate = transitions.ESCALATE
    assert (escalate.sla_history_action, escalate.sla_audit_action) == ("escalate_sla",
                                                                        "compliance.case_sla_escalated")
    # The set-based UPDATE moves the cases the transition may leave from, to its target.
    assert set(Case.escalate._django_fsm.transitions) == {Case.Status.OPEN, Case.Status.INVESTIGATING}
