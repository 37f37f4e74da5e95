"""The authorization matrix: every role against every workflow action, through the API and through
the admin, allowed or refused as designed; a refused action changes nothing.

The acting user is a member of the ticket's team (Support), so the object-level rule is met
wherever the role allows the action; object-level refusals are in test_permissions and test_api.
The API client role is a machine and never signs in to the admin.
"""

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages

from backoffice.tickets import services, transitions
from backoffice.tickets.models import Ticket
from tests.core_banking.ledger.interfaces import sign_in, staff_api, staff_user, token_api

from .conftest import make_ticket, snapshot

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tickets"
CHANGELIST = "/admin/tickets/ticket/"

ROLES = ("operations", "administrator", "support_agent", "compliance_reviewer", "compliance_officer", "finance",
         "api_client")
# action -> (transitions a supervisor fires first, status expected after the action)
ACTIONS = {
    "create": ((), None),
    "claim": ((), "new"),
    "assign": ((), "new"),
    "open": ((), "open"),
    "wait_on_customer": (("open",), "waiting_on_customer"),
    "resume": (("open", "wait_on_customer"), "open"),
    "resolve": (("open",), "resolved"),
    "close": (("open", "resolve"), "closed"),
    "reopen": (("open", "resolve", "close"), "open"),
    "note": (("open",), "open"),
    "reply": (("open",), "open"),
}
WORKFLOW = set(ACTIONS) - {"create", "assign"}
ALLOWED = {
    "operations": set(ACTIONS),
    "administrator": set(ACTIONS) - {"create"},
    "support_agent": set(ACTIONS) - {"assign"},
    "compliance_reviewer": set(),
    "compliance_officer": set(),
    "finance": set(),
    "api_client": {"create"},
}
MATRIX = [(role, action) for role in ROLES for action in ACTIONS]


@pytest.fixture
def setup(ada, category, people):
    ticket = make_ticket(ada, team=people.support, subject="Matrix ticket")
    return ticket


def _prepare(ticket, people, action):
    for step in ACTIONS[action][0]:
        services.ticket_transition(ticket_id=ticket.pk, action=step, actor=people.supervisor,
                                   reason="set-up" if step == "close" else "")
    return Ticket.objects.get(pk=ticket.pk)


def _effect(ticket, people, action, actor) -> bool:
    """Did the action take effect?"""
    if action == "create":
        return Ticket.objects.filter(subject="Created in the matrix").exists()
    ticket.refresh_from_db()
    if action == "claim":
        return ticket.assignee_id == actor.pk
    if action == "assign":
        return ticket.assignee_id == people.agent.pk
    if action in ("note", "reply"):
        return ticket.messages.exists()
    return ticket.status == ACTIONS[action][1]


# --- API --------------------------------------------------------------------------------------


def _api_actor(role, people):
    if role == "api_client":
        api = token_api(role="api_client", scopes=["tickets"])
        actor = api.api_client.user
    else:
        actor = staff_user(role)
        api = staff_api(actor)
    people.support.members.add(actor)
    return api, actor


def _api_call(api, ticket, people, action, actor, ada):
    if action == "create":
        return api.post(f"{BASE}/", {"customer": ada.pk, "category": "GENERAL", "subject": "Created in the matrix"},
                        format="json")
    if action == "claim":
        return api.post(f"{BASE}/{ticket.pk}/assign/", {"assignee": actor.pk}, format="json")
    if action == "assign":
        return api.post(f"{BASE}/{ticket.pk}/assign/", {"assignee": people.agent.pk}, format="json")
    if action in ("note", "reply"):
        visibility = "internal_note" if action == "note" else "customer_reply"
        return api.post(f"{BASE}/{ticket.pk}/messages/", {"body": "Hello", "visibility": visibility}, format="json")
    return api.post(f"{BASE}/{ticket.pk}/{action}/", {"reason": "matrix"}, format="json")


@pytest.mark.parametrize(("role", "action"), MATRIX)
def test_api(role, action, setup, people, ada):
    ticket = _prepare(setup, people, action)
    api, actor = _api_actor(role, people)
    before = snapshot(ticket)

    response = _api_call(api, ticket, people, action, actor, ada)

    if action in ALLOWED[role]:
        assert response.status_code in (200, 201), response.content
        assert _effect(ticket, people, action, actor)
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
        assert not _effect(ticket, people, action, actor)
        assert snapshot(ticket) == before
        assert Ticket.objects.count() == 1


# --- admin ------------------------------------------------------------------------------------

ADMIN_ACTIONS = {"claim": "claim_selected", "assign": "assign_selected", "open": "open_selected",
                 "wait_on_customer": "wait_selected", "resume": "resume_selected", "resolve": "resolve_selected",
                 "close": "close_selected", "reopen": "reopen_selected"}


def _admin_call(browser, ticket, people, action, ada):
    if action == "create":
        return browser.post(f"{CHANGELIST}add/", {"customer": ada.pk, "category": ticket.category_id,
                                                  "priority": "normal", "subject": "Created in the matrix",
                                                  "description": ""})
    if action in ("note", "reply"):
        visibility = "internal_note" if action == "note" else "customer_reply"
        return browser.post(f"{CHANGELIST}{ticket.pk}/do/message/", {"body": "Hello", "visibility": visibility})
    data = {"action": ADMIN_ACTIONS[action], "_selected_action": [ticket.pk], "reason": "matrix", "index": 0}
    if action == "assign":
        data["assignee"] = people.agent.pk
    return browser.post(CHANGELIST, data)


@pytest.mark.parametrize(("role", "action"), [(r, a) for r, a in MATRIX if r != "api_client"])
def test_admin(role, action, setup, people, ada, client):
    ticket = _prepare(setup, people, action)
    actor = staff_user(role)
    people.support.members.add(actor)
    browser = sign_in(client, actor)
    before = snapshot(ticket)

    response = _admin_call(browser, ticket, people, action, ada)

    if action in ALLOWED[role]:
        assert response.status_code == 302, response.content[:2000]
        assert _effect(ticket, people, action, actor)
    else:
        # No view permission: 403. Viewing only: the action is not offered (the list comes back).
        # Offered but refused by the service: an error message.
        assert response.status_code in (200, 302, 403), response.status_code
        if response.status_code == 200:
            assert f'value="{ADMIN_ACTIONS[action]}"' not in response.content.decode()
        if response.status_code == 302:
            errors = [m for m in get_messages(response.wsgi_request) if m.level == messages.ERROR]
            assert errors, "a refusal is shown as an error message"
        assert not _effect(ticket, people, action, actor)
        assert snapshot(ticket) == before
        assert Ticket.objects.count() == 1


def test_the_matrix_is_complete():
    assert set(ALLOWED) == set(ROLES) and len(MATRIX) == len(ROLES) * len(ACTIONS)
    assert WORKFLOW | {"create", "assign"} == set(ACTIONS) and set(transitions.BY_NAME) <= set(ACTIONS)


def test_the_role_catalogue_grants_exactly_the_designed_ticket_permissions():
    from backoffice.staff.roles import ROLE_PERMISSIONS

    from .conftest import TICKET_ROLE_PERMISSIONS

    for role, expected in TICKET_ROLE_PERMISSIONS.items():
        granted = {p for p in ROLE_PERMISSIONS[role] if p.startswith("tickets.")}
        assert granted == set(expected), role
