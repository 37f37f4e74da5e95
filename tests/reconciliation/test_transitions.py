"""The reconciliation break's transition table (``reconciliation/transitions.py``) and the model
agree: every action of the table is a django-fsm transition of ``Break`` and every transition is in
the table; the strings the audit trail, the refusals and the staff page show are today's; the API's
routes, permissions and operations are the table's."""

from __future__ import annotations

from django.urls import reverse

from reconciliation import roles, services, transitions
from reconciliation.api import views
from reconciliation.models import Break
from reconciliation.staff import views as staff_views
from tests.helpers import assert_table_is_the_models_transitions


def test_every_action_of_the_table_is_a_transition_of_the_model_and_every_transition_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, Break)


def test_the_table_keeps_the_strings_the_audit_trail_and_the_refusals_show():
    assert {t.name: (t.audit_action, t.default_reason, t.verb) for t in transitions.TRANSITIONS} == {
        "investigate": ("reconciliation.break_investigate", "investigation started", "investigate"),
        "resolve": ("reconciliation.break_resolve", "", "resolve"),
        "write_off": ("reconciliation.break_write_off", "", "write off"),
    }
    assert {t.name: (t.permission, t.permission_refusal, t.reason_refusal) for t in transitions.TRANSITIONS} == {
        "investigate": (roles.WORK_BREAK, "you may not work breaks", ""),
        "resolve": (roles.RESOLVE_BREAK, "you may not resolve breaks", "a reason is required"),
        "write_off": (roles.RESOLVE_BREAK, "you may not write off breaks", "a reason is required"),
    }
    assert [t.name for t in transitions.TRANSITIONS if t.reason_required] == ["resolve", "write_off"]


def test_each_action_has_its_route_permission_and_operation_from_the_table():
    assert list(views.TRANSITION_VIEWS) == list(transitions.BY_NAME)
    for spec in transitions.TRANSITIONS:
        url = reverse(f"reconciliation:break-{spec.slug}", kwargs={"break_id": 7})
        assert url == f"/api/v1/reconciliation/breaks/7/{spec.slug}/"
        view = views.TRANSITION_VIEWS[spec.name]
        assert view.transition is spec and view.required_perms == {"POST": [spec.permission]}
    assert {t.name: t.summary for t in transitions.TRANSITIONS} == {
        "investigate": "Start investigating an open break",
        "resolve": "Resolve a break by a ledger adjustment (maker-checker: 202 with the approval request)",
        "write_off": "",
    }


def test_the_staff_page_offers_and_names_the_tables_actions():
    assert staff_views.BREAK_ACTIONS == {"assign", "claim", *transitions.BY_NAME}
    assert {t.name: (t.label, t.done.format(pk=5, entry=9)) for t in transitions.TRANSITIONS} == {
        "investigate": ("Investigate", "Break 5: investigating."),
        "resolve": ("Resolve by adjustment", "Break 5 resolved by adjustment (entry 9)."),
        "write_off": ("Write off", "Break 5 written off."),
    }
    # The services keep no list of their own.
    assert not hasattr(services, "TRANSITIONS")
