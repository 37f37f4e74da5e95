"""The authorization matrix through the admin: every staff role against every KYC workflow action
the admin offers (the change page's workflow panel and the changelist actions), allowed or
refused as designed; the panel offers an action exactly when it is allowed; a refused action
changes nothing (the application, its history, audit events, documents, checks, object
permissions and the customer's KYC status).

As in test_matrix (the API), a compliance reviewer acts as the application's assignee, so the
object-level rule is met wherever the role allows the action. The API client role is a machine
and never signs in to the admin.
"""

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages

from backoffice.kyc.models import KycApplication
from backoffice.kyc.transitions import BY_NAME as TRANSITIONS
from tests import banking
from tests.core_banking.ledger.interfaces import sign_in, staff_user

from .conftest import snapshot
from .test_matrix import ACTIONS, ALLOWED, _prepare

pytestmark = pytest.mark.django_db
PAGE = "/admin/kyc/kycapplication/"

STAFF_ROLES = ("operations", "compliance_reviewer", "compliance_officer", "support_agent", "finance",
               "administrator")
# The workflow actions the admin offers: every transition, and assignment (the panel).
PANEL_ACTIONS = (*TRANSITIONS, "assign")
VIEWERS = {"operations", "compliance_reviewer", "compliance_officer", "support_agent", "administrator"}
PANEL_MATRIX = [(role, action) for role in STAFF_ROLES for action in PANEL_ACTIONS]
# Changelist actions -> the transition they fire.
BULK_ACTIONS = {"start_review_selected": "start_review", "approve_selected": "approve"}
BULK_MATRIX = [(role, name) for role in STAFF_ROLES for name in BULK_ACTIONS]


def _application(role, action, people):
    user = staff_user(role)
    state, _expected = ACTIONS[action]
    assignee = user if role == "compliance_reviewer" else None
    return user, _prepare(banking.customer(kyc="not_started"), people, state, assignee)


def _data(action, people) -> dict:
    if action == "assign":
        return {"assignee": people.other_reviewer.pk, "reason": "matrix"}
    if action == "reject":
        return {"reason_code": "other", "reason": "matrix"}
    return {"reason": "matrix"}


def _effect(application, action, people) -> bool:
    application.refresh_from_db()
    if action == "assign":
        return application.assignee_id == people.other_reviewer.pk
    return application.status == ACTIONS[action][1]


@pytest.mark.parametrize(("role", "action"), PANEL_MATRIX, ids=[f"{r}-{a}" for r, a in PANEL_MATRIX])
def test_admin_panel_matrix(role, action, people, client):
    user, application = _application(role, action, people)
    browser = sign_in(client, user)
    url = f"{PAGE}{application.pk}/do/{action}/"
    allowed = action in ALLOWED[role]

    page = browser.get(f"{PAGE}{application.pk}/change/")
    if role in VIEWERS:
        assert page.status_code == 200
        assert (f'action="{url}"' in page.content.decode()) is allowed, "offered exactly when allowed"
    else:
        assert page.status_code == 403
    before = snapshot(application)

    response = browser.post(url, _data(action, people))

    if allowed:
        assert response.status_code == 302, response.content[:2000]
        assert _effect(application, action, people)
        assert not [m for m in get_messages(response.wsgi_request) if m.level >= messages.ERROR]
    else:
        assert response.status_code in (302, 403), response.status_code
        if response.status_code == 302:
            errors = [m for m in get_messages(response.wsgi_request) if m.level == messages.ERROR]
            assert errors, "a refusal is shown as an error message"
        assert snapshot(application) == before
        assert not _effect(application, action, people)


@pytest.mark.parametrize(("role", "name"), BULK_MATRIX, ids=[f"{r}-{n}" for r, n in BULK_MATRIX])
def test_admin_changelist_actions_matrix(role, name, people, client):
    action = BULK_ACTIONS[name]
    user, application = _application(role, action, people)
    browser = sign_in(client, user)
    before = snapshot(application)

    response = browser.post(PAGE, {"action": name, "_selected_action": [application.pk], "index": 0})

    if action in ALLOWED[role]:
        assert response.status_code == 302, response.content[:2000]
        assert _effect(application, action, people)
    else:
        # No view permission: 403. Viewing only: the action is not offered (the list comes back,
        # or "no action selected"). Offered but refused by the service: an error message.
        assert response.status_code in (200, 302, 403), response.status_code
        if response.status_code == 200:
            assert f'value="{name}"' not in response.content.decode()
        if response.status_code == 302:
            errors = [m for m in get_messages(response.wsgi_request) if m.level >= messages.WARNING]
            assert errors, "a refusal is shown as a message"
        assert snapshot(application) == before
        assert KycApplication.objects.get(pk=application.pk).status == ACTIONS[action][0]


def test_the_admin_matrix_is_complete():
    assert set(PANEL_ACTIONS) == set(TRANSITIONS) | {"assign"}
    assert len(PANEL_MATRIX) == len(STAFF_ROLES) * len(PANEL_ACTIONS)
    assert set(STAFF_ROLES) | {"api_client"} == set(ALLOWED)
