"""The KYC application's transition table (``backoffice/kyc/transitions.py``) and the model agree:
every action of the table is a django-fsm transition of ``KycApplication`` and every transition is
in the table; the strings staff and the audit trail see are today's; the routes, the permissions at
the door, the request bodies and the admin's actions are the table's."""

from __future__ import annotations

from django.contrib.admin.sites import site
from django.urls import reverse

from backoffice.kyc import services, transitions
from backoffice.kyc.api import serializers, views
from backoffice.kyc.models import KycApplication
from tests.helpers import assert_table_is_the_models_transitions


def test_every_action_of_the_table_is_a_transition_of_the_model_and_every_transition_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, KycApplication)


def test_the_table_keeps_the_strings_staff_and_the_audit_trail_see():
    assert {t.name: (t.label, t.audit_action) for t in transitions.TRANSITIONS} == {
        "submit": ("Submit for review", "kyc.submitted"),
        "start_review": ("Start review", "kyc.review_started"),
        "request_information": ("Request information", "kyc.information_requested"),
        "resubmit": ("Resubmit", "kyc.resubmitted"),
        "approve": ("Approve", "kyc.approved"),
        "reject": ("Reject", "kyc.rejected"),
    }
    # One source: the services keep no list of their own.
    assert not hasattr(services, "TRANSITIONS")
    assert {t.name for t in transitions.TRANSITIONS if t.prepare} == {"submit", "resubmit"}
    assert {t.name for t in transitions.TRANSITIONS if t.reason_required} == {"request_information", "reject"}
    # Every action the services fire is the table's: reject has its own service, the rest are here.
    assert set(services.ACTION_SERVICES) | {"reject"} == set(transitions.BY_NAME)


def test_each_action_has_its_route_door_and_body_from_the_table():
    assert list(views.TRANSITION_VIEWS) == list(transitions.BY_NAME)
    for spec in transitions.TRANSITIONS:
        url = reverse(f"kyc:application-{spec.slug}", kwargs={"application_id": 7})
        assert url == f"/api/v1/kyc/applications/7/{spec.slug}/"
        view = views.TRANSITION_VIEWS[spec.name]
        decide = "kyc.add_kycapplication" if spec.prepare else "kyc.review_kycapplication"
        assert view.required_perms == {"POST": ["kyc.view_kycapplication", decide]}
    assert [t.name for t in transitions.TRANSITIONS if t.reason_code] == ["reject"]
    assert "reason_code" in serializers.KycRejectSerializer().fields


def test_the_admin_actions_are_the_tables():
    actions = site._registry[KycApplication].actions
    assert [(a.__name__, a.short_description) for a in actions] == [
        ("start_review_selected", "Start review of selected applications"),
        ("approve_selected", "Approve selected applications"),
    ]
