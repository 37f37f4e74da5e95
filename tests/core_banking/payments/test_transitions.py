"""The payment lifecycle's transition table (``core_banking/payments/transitions.py``) and the
model agree: every transition of the table is a django-fsm transition of ``Payment`` and every
transition is in the table; the strings refusals and the audit trail show are today's; the API
routes, the permissions, the admin's actions and the approvals registry's action type are the
table's."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse

from core_banking.payments import services, transitions
from core_banking.payments.api import views
from core_banking.payments.models import Payment
from tests.helpers import assert_table_is_the_models_transitions


def test_every_transition_of_the_table_is_one_of_the_model_and_every_one_of_the_model_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, Payment)


def test_the_table_keeps_the_strings_the_audit_trail_and_the_history_show():
    assert {t.name: (t.audit_action, t.default_reason) for t in transitions.TRANSITIONS} == {
        "mark_posted": ("payment.posted", ""),
        "hold_for_review": ("payment.held_for_review", ""),
        "release": ("payment.released", "released"),
        "reject": ("payment.rejected", ""),
        "mark_returned": ("payment.returned", ""),
        # settlement fires these; it audits its batches and files, not each payment
        "mark_sent": ("", ""),
        "mark_settled": ("", ""),
    }


def test_the_staff_transitions_are_routed_permissioned_and_served_from_the_table():
    assert {slug: (t.name, t.service, t.permission, t.reason_required) for slug, t in transitions.BY_SLUG.items()} == {
        "release": ("release", "payment_release", "payments.review_payment", False),
        "reject": ("reject", "payment_reject", "payments.review_payment", True),
        "return": ("mark_returned", "payment_return", "payments.return_payment", True),
    }
    assert list(views.TRANSITION_VIEWS) == [t.name for t in transitions.BY_SLUG.values()]
    for slug, spec in transitions.BY_SLUG.items():
        assert reverse(f"payments:payment-{slug}", kwargs={"payment_id": 7}) == f"/api/v1/payments/7/{slug}/"
        view = views.TRANSITION_VIEWS[spec.name]
        assert view.transition is spec and view.required_perms == {"POST": [spec.permission]}
        assert callable(getattr(services, spec.service)) and spec.summary and spec.refused
        assert bool(spec.reason_refusal) == spec.reason_required
    # Only the release passes maker-checker.
    assert transitions.BY_ACTION_TYPE == {"payment_release": transitions.RELEASE}


def test_each_refusal_names_the_state_a_person_fires_the_transition_from():
    for spec in transitions.BY_SLUG.values():
        sources = set(getattr(Payment, spec.name)._django_fsm.transitions)
        person = Payment.Status.PENDING_REVIEW if spec.name != "mark_returned" else Payment.Status.POSTED
        assert person in sources
        assert spec.refused == f"not {person.label.lower()}"
    # A sent payment comes back only when the scheme rejects it (settlement), never by a person's hand.
    assert set(Payment.mark_returned._django_fsm.transitions) == {Payment.Status.POSTED, Payment.Status.SENT}


def test_the_admin_actions_are_the_tables():
    actions = site._registry[Payment].actions
    assert [(a.__name__, a.short_description, a.allowed_permissions) for a in actions] == [
        ("release_selected", "Release selected payments held for review", ["review"]),
        ("reject_selected", "Reject selected payments held for review", ["review"]),
    ]
    assert [(t.done, t.admin_reason) for t in transitions.IN_ADMIN] == [
        ("released", "released in the admin"), ("rejected", "rejected in the admin")]


@pytest.mark.backoffice
def test_the_release_action_type_of_the_table_is_in_the_approvals_registry():
    from backoffice.approvals.registry import ACTION_TYPES

    registered = {code for code in ACTION_TYPES if code.startswith("payment_")}
    assert registered == set(transitions.BY_ACTION_TYPE)
    action_type = ACTION_TYPES[transitions.RELEASE.action_type]
    assert action_type.label == transitions.RELEASE.approval_label == "Release of a large payment"
    assert action_type.describe({"payment_id": 5, "reason": ""}) == "release payment 5"
