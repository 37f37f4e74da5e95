"""The tickets API: who may call, problem codes, internal notes, available transitions, queues."""

import datetime as dt

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from backoffice.tickets import services
from backoffice.tickets.models import Ticket, TicketMessage
from tests.core_banking.ledger.interfaces import assert_problem, grant, staff_api, staff_user, token_api

from .conftest import NOW, advance, make_ticket, snapshot

pytestmark = pytest.mark.django_db
BASE = "/api/v1/tickets"


def client(*perms, scopes=("tickets",)):
    api = token_api(scopes=scopes)
    api.api_client.user.groups.clear()
    grant(api.api_client.user, *perms)
    return api


@pytest.fixture
def ticket(ada, category, people):
    return make_ticket(ada, team=people.support, subject="Card blocked", now=dt.datetime.now(dt.UTC))


# --- who may call ----------------------------------------------------------------------------


def test_anonymous_requests_are_401(ticket):
    for method, url in (("get", f"{BASE}/"), ("get", f"{BASE}/{ticket.pk}/"), ("post", f"{BASE}/{ticket.pk}/open/"),
                        ("get", f"{BASE}/queue/")):
        assert_problem(getattr(APIClient(), method)(url), status=401, code="not_authenticated")


def test_a_token_without_the_tickets_scope_is_403(ticket):
    body = assert_problem(client("tickets.view_ticket", scopes=["payments"]).get(f"{BASE}/"), status=403,
                          code="permission_denied")
    assert "tickets" in body["detail"]


def test_roles_without_the_permission_get_403(ticket):
    for role in ("finance",):
        assert_problem(staff_api(staff_user(role)).get(f"{BASE}/"), status=403, code="permission_denied")
    reader = staff_api(staff_user("compliance_reviewer"))
    assert reader.get(f"{BASE}/{ticket.pk}/").status_code == 200
    before = snapshot(ticket)
    assert_problem(reader.post(f"{BASE}/{ticket.pk}/open/", {}, format="json"), status=403, code="permission_denied")
    assert snapshot(ticket) == before


def test_another_agents_ticket_is_not_assignee_and_nothing_changes(ticket, people):
    api = staff_api(people.other_agent)
    before = snapshot(ticket)
    for path, body in (("open/", {}), ("close/", {"reason": "x"}), ("assign/", {"assignee": people.other_agent.pk}),
                       ("messages/", {"body": "hi", "visibility": "customer_reply"})):
        problem = assert_problem(api.post(f"{BASE}/{ticket.pk}/{path}", body, format="json"), status=403,
                                 code="not_assignee")
        assert problem["ticket"] == ticket.number
    assert snapshot(ticket) == before
    assert api.get(f"{BASE}/{ticket.pk}/").json()["available_transitions"] == []


# --- the workflow ----------------------------------------------------------------------------


def test_an_agent_works_a_ticket_through_the_api(ticket, people):
    api = staff_api(people.agent)

    detail = api.post(f"{BASE}/{ticket.pk}/assign/", {"assignee": people.agent.pk}, format="json").json()
    assert detail["assignee"] == "agent" and detail["team"] == "Support"
    assert [t["action"] for t in detail["available_transitions"]] == ["open", "resolve", "close"]

    assert api.post(f"{BASE}/{ticket.pk}/open/", {}, format="json").json()["status"] == "open"
    reply = api.post(f"{BASE}/{ticket.pk}/messages/", {"body": "We unblocked it.", "visibility": "customer_reply"},
                     format="json")
    assert reply.status_code == 201 and reply.json()["author"] == "agent"
    assert api.post(f"{BASE}/{ticket.pk}/wait_on_customer/", {"reason": "please confirm"},
                    format="json").json()["status"] == "waiting_on_customer"
    assert api.post(f"{BASE}/{ticket.pk}/resume/", {}, format="json").json()["status"] == "open"
    assert api.post(f"{BASE}/{ticket.pk}/resolve/", {"reason": "confirmed"}, format="json").json()["status"] == \
        "resolved"
    detail = api.post(f"{BASE}/{ticket.pk}/close/", {}, format="json").json()
    assert detail["status"] == "closed" and detail["first_response_at"] is not None
    assert [t["action"] for t in detail["available_transitions"]] == ["reopen"]
    assert detail["available_transitions"][0]["reason_required"] is True

    problem = assert_problem(api.post(f"{BASE}/{ticket.pk}/reopen/", {}, format="json"), status=400,
                             code="reason_required")
    assert problem["action"] == "reopen"
    detail = api.post(f"{BASE}/{ticket.pk}/reopen/", {"reason": "still blocked"}, format="json").json()
    assert detail["status"] == "open"
    assert [(h["action"], h["from_status"], h["to_status"], h["reason"], h["actor"]) for h in detail["history"]][-1] \
        == ("reopen", "closed", "open", "still blocked", "agent")


def test_a_transition_from_the_wrong_state_is_409(ticket, people):
    api = staff_api(people.agent)
    before = snapshot(ticket)
    problem = assert_problem(api.post(f"{BASE}/{ticket.pk}/resume/", {}, format="json"), status=409,
                             code="transition_not_allowed")
    assert problem["status_from"] == "new"
    assert snapshot(ticket) == before


def test_unknown_tickets_are_404(category, people):
    api = staff_api(people.supervisor)
    assert_problem(api.get(f"{BASE}/999999/"), status=404, code="ticket_not_found")
    assert_problem(api.post(f"{BASE}/999999/open/", {}, format="json"), status=404, code="ticket_not_found")
    assert_problem(api.get(f"{BASE}/teams/999999/queue/"), status=404, code="team_not_found")


def test_internal_notes_are_hidden_from_readers_without_the_permission(ticket, people):
    services.message_post(ticket_id=ticket.pk, body="Customer sounded upset.", visibility="internal_note",
                          actor=people.agent)
    services.message_post(ticket_id=ticket.pk, body="We are on it.", visibility="customer_reply", actor=people.agent)

    def bodies(user):
        return [m["body"] for m in staff_api(user).get(f"{BASE}/{ticket.pk}/").json()["messages"]]

    assert bodies(people.agent) == ["Customer sounded upset.", "We are on it."]
    assert bodies(staff_user("compliance_officer")) == ["Customer sounded upset.", "We are on it."]
    assert bodies(staff_user("compliance_reviewer")) == ["We are on it."]
    partner = token_api(role="api_client", scopes=["tickets"])
    assert [m["body"] for m in partner.get(f"{BASE}/{ticket.pk}/").json()["messages"]] == ["We are on it."]


def test_create_validates_and_answers_problem_codes(ada, bram, account, category, people):
    api = staff_api(people.agent)
    response = api.post(f"{BASE}/", {"customer": ada.pk, "category": "general", "priority": "urgent",
                                     "subject": "Card blocked", "account": account.pk, "team": people.support.pk},
                        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["category"], body["account"], body["team"]) == ("new", "GENERAL", account.pk,
                                                                               "Support")
    assert body["history"][0]["action"] == "create" and body["created_at"]

    assert_problem(api.post(f"{BASE}/", {"customer": bram.pk, "category": "GENERAL", "subject": "x",
                                         "account": account.pk}, format="json"), status=400,
                   code="invalid_ticket_link")
    assert_problem(api.post(f"{BASE}/", {"customer": ada.pk, "category": "NOPE", "subject": "x"}, format="json"),
                   status=400, code="category_not_found")
    problem = assert_problem(api.post(f"{BASE}/", {"customer": ada.pk, "subject": "x", "priority": "asap"},
                                      format="json"), status=400, code="validation_error")
    assert set(problem["errors"]) == {"category", "priority"}
    assert Ticket.objects.count() == 1

    partner = token_api(role="api_client", scopes=["tickets"])
    assert partner.post(f"{BASE}/", {"customer": ada.pk, "category": "GENERAL", "subject": "From the app"},
                        format="json").status_code == 201


def test_assignment_rules_through_the_api(ticket, people):
    agent = staff_api(people.agent)
    assert_problem(agent.post(f"{BASE}/{ticket.pk}/assign/", {"assignee": people.other_agent.pk}, format="json"),
                   status=403, code="permission_denied")
    assert_problem(agent.post(f"{BASE}/{ticket.pk}/assign/", {}, format="json"), status=400, code="validation_error")
    supervisor = staff_api(people.supervisor)
    assert_problem(supervisor.post(f"{BASE}/{ticket.pk}/assign/", {"assignee": people.other_agent.pk},
                                   format="json"), status=400, code="invalid_assignee")
    detail = supervisor.post(f"{BASE}/{ticket.pk}/assign/", {"assignee": people.other_agent.pk,
                                                             "team": people.payments.pk, "reason": "payments"},
                             format="json").json()
    assert (detail["assignee"], detail["team"]) == ("other-agent", "Payments")
    detail = supervisor.post(f"{BASE}/{ticket.pk}/assign/", {"assignee": None}, format="json").json()
    assert (detail["assignee"], detail["team"]) == (None, "Payments")


def test_list_filters(ada, bram, category, people):
    a = make_ticket(ada, team=people.support, priority="high")
    b = make_ticket(bram, team=people.payments)
    advance(b, people.supervisor, "open")
    services.escalate_breaches(now=NOW + dt.timedelta(minutes=61))
    api = staff_api(people.agent)

    def ids(query=""):
        return [t["id"] for t in api.get(f"{BASE}/?{query}").json()["results"]]

    assert ids() == [b.pk, a.pk]
    assert ids("status=open") == [b.pk]
    assert ids(f"customer={ada.pk}") == [a.pk]
    assert ids(f"team={people.payments.pk}") == [b.pk]
    assert ids("priority=high") == [a.pk]
    assert ids("breached=true") == [a.pk] and ids("breached=false") == [b.pk]
    assert ids("unassigned=true") == [b.pk, a.pk]
    assert ids("category=general") == [b.pk, a.pk]
    assert_problem(api.get(f"{BASE}/?status=lost"), status=400, code="validation_error")


def test_my_queue_and_the_team_queue(ada, category, people):
    services.category_create(code="URGENT", name="Urgent", slas={"normal": (5, 10)})
    mine_late = make_ticket(ada, team=people.support, now=NOW + dt.timedelta(hours=2))
    mine_early = make_ticket(ada, now=NOW)
    team_unassigned = make_ticket(ada, team=people.support, now=NOW - dt.timedelta(hours=1))
    teammate_ticket = make_ticket(ada, team=people.support)
    other_team = make_ticket(ada, team=people.payments)
    done = make_ticket(ada, team=people.support)
    teammate = staff_user("support_agent")
    people.support.members.add(teammate)
    for t in (mine_late, mine_early):
        services.ticket_assign(ticket_id=t.pk, assignee_id=people.agent.pk, actor=people.supervisor)
    services.ticket_assign(ticket_id=teammate_ticket.pk, assignee_id=teammate.pk, actor=people.supervisor)
    services.ticket_assign(ticket_id=done.pk, assignee_id=people.agent.pk, actor=people.supervisor)
    advance(done, people.agent, "resolve")

    api = staff_api(people.agent)
    queue = [t["number"] for t in api.get(f"{BASE}/queue/").json()]
    assert queue == [mine_early.number, mine_late.number, team_unassigned.number]
    assert len(api.get(f"{BASE}/queue/?limit=1").json()) == 1

    team_queue = [t["number"] for t in api.get(f"{BASE}/teams/{people.support.pk}/queue/").json()]
    assert team_queue == [team_unassigned.number, teammate_ticket.number, mine_late.number]
    assert_problem(api.get(f"{BASE}/teams/{people.payments.pk}/queue/"), status=403, code="not_team_member")
    supervisor_view = staff_api(people.supervisor).get(f"{BASE}/teams/{people.payments.pk}/queue/").json()
    assert [t["number"] for t in supervisor_view] == [other_team.number]


def test_messages_on_a_closed_ticket_are_409(ticket, people):
    advance(ticket, people.agent, "close:spam")
    assert_problem(staff_api(people.agent).post(f"{BASE}/{ticket.pk}/messages/",
                                                {"body": "hello", "visibility": "internal_note"}, format="json"),
                   status=409, code="ticket_inactive")
    assert not TicketMessage.objects.exists()


def test_the_schema_documents_every_endpoint():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = {path for path in schema["paths"] if path.startswith(BASE)}
    assert {f"{BASE}/", f"{BASE}/{{ticket_id}}/", f"{BASE}/{{ticket_id}}/messages/", f"{BASE}/{{ticket_id}}/assign/",
            f"{BASE}/{{ticket_id}}/reopen/", f"{BASE}/queue/", f"{BASE}/teams/{{team_id}}/queue/"} <= paths
    operations = {op["operationId"] for path in paths for op in schema["paths"][path].values()}
    assert {"tickets_open", "tickets_wait_on_customer", "tickets_close", "tickets_my_queue"} <= operations
