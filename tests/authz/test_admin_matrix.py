"""The admin authorization matrix (issue 16, "Tests"): every registered ModelAdmin and every admin
action, for each staff role's 2FA-verified session, against ``table.ADMIN_VIEW`` and
``table.ADMIN_ACTIONS``."""

from __future__ import annotations

import pytest
from django.test import Client

from backoffice.staff.roles import STAFF_ROLE_NAMES
from tests.helpers import sign_in_verified

from .probe import admin_action_rows, admin_models, changelist_url, offered_actions
from .table import ADMIN_ACTIONS, ADMIN_VIEW

pytestmark = pytest.mark.django_db


def _marks(grant):
    return [pytest.mark.xfail(strict=True, reason=grant.xfail)] if grant.xfail else []


def test_every_admin_model_and_action_has_a_row(people):
    models = set(admin_models())
    actions = admin_action_rows(people.superuser)
    problems = [f"model without a row in ADMIN_VIEW: {label}" for label in sorted(models - set(ADMIN_VIEW))]
    problems += [f"ADMIN_VIEW row for an unregistered model: {label}" for label in sorted(set(ADMIN_VIEW) - models)]
    problems += [f"admin action without a row in ADMIN_ACTIONS: {key}" for key in sorted(actions - set(ADMIN_ACTIONS))]
    problems += [f"ADMIN_ACTIONS row for no such action: {key}" for key in sorted(set(ADMIN_ACTIONS) - actions)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("label", [pytest.param(label, marks=_marks(grant)) for label, grant in ADMIN_VIEW.items()])
def test_who_sees_the_changelist(label, people):
    if label not in admin_models():
        pytest.fail(f"{label} is not registered: see test_every_admin_model_and_action_has_a_row")
    grant = ADMIN_VIEW[label]
    wrong = []
    for role in STAFF_ROLE_NAMES:
        status = people.sessions[role].get(changelist_url(label)).status_code
        if (status == 200) != (role in grant.roles):
            wrong.append(f"{role}: changelist answers {status}, table says "
                         f"{'200' if role in grant.roles else '403'}")
    note = f"\n(flagged row: {grant.flag})" if grant.flag else ""
    assert not wrong, "\n".join(wrong) + note


@pytest.mark.parametrize("key", [pytest.param(key, id=f"{key[0]}:{key[1]}", marks=_marks(grant))
                                 for key, grant in ADMIN_ACTIONS.items()])
def test_who_is_offered_the_action(key, people):
    label, action = key
    if label not in admin_models():
        pytest.fail(f"{label} is not registered: see test_every_admin_model_and_action_has_a_row")
    grant = ADMIN_ACTIONS[key]
    wrong = []
    for role in STAFF_ROLE_NAMES:
        sees = people.sessions[role].get(changelist_url(label)).status_code == 200
        offered = sees and action in offered_actions(label, people.users[role])
        if offered != (role in grant.roles):
            wrong.append(f"{role}: {'offered' if offered else 'not offered'}, table says "
                         f"{'offered' if role in grant.roles else 'not offered'}")
    note = f"\n(flagged row: {grant.flag})" if grant.flag else ""
    assert not wrong, "\n".join(wrong) + note


def test_an_api_client_user_never_reaches_the_admin(tokens):
    """The machine-only role: an API client's user is not staff, so even a session with a second
    factor gets the login redirect, never a page, whatever its role."""
    for role, api in tokens.full.items():
        browser = sign_in_verified(Client(), api.api_client.user)
        for url in ("/admin/", changelist_url("payments.payment"), changelist_url("api_clients.apiclient")):
            response = browser.get(url)
            assert response.status_code == 302, (role, url, response.status_code)
