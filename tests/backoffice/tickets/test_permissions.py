"""Object-level permissions, checked in the services: an agent acts on the tickets assigned to them
or their team, never on another agent's; supervisors act on any; refused actions change nothing."""

import pytest
from guardian.shortcuts import get_users_with_perms

from backoffice.tickets import exceptions as exc
from backoffice.tickets import services, transitions
from backoffice.tickets.models import Ticket
from core_banking.common.errors import PermissionRefused
from tests.core_banking.ledger.interfaces import staff_user

from .conftest import advance, make_ticket, snapshot

pytestmark = pytest.mark.django_db


def refused(call, error=exc.NotAssignee, **kwargs):
    with pytest.raises(error) as caught:
        call(**kwargs)
    return caught.value


def test_an_agent_cannot_act_on_another_agents_ticket(ada, category, people):
    ticket = make_ticket(ada)  # no team
    services.ticket_assign(ticket_id=ticket.pk, assignee_id=people.other_agent.pk, actor=people.supervisor)
    before = snapshot(ticket)

    for action in transitions.BY_NAME:
        error = refused(services.ticket_transition, ticket_id=ticket.pk, action=action, actor=people.agent,
                        reason="because")
        assert (error.code, error.status) == ("not_assignee", 403)
    refused(services.message_post, ticket_id=ticket.pk, body="hi", visibility="customer_reply", actor=people.agent)
    refused(services.ticket_assign, ticket_id=ticket.pk, assignee_id=people.agent.pk, actor=people.agent)

    assert snapshot(ticket) == before
    # The assignee may.
    assert advance(ticket, people.other_agent, "open").status == Ticket.Status.OPEN


def test_team_members_may_act_on_their_teams_tickets_others_may_not(ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    before = snapshot(ticket)
    refused(services.ticket_transition, ticket_id=ticket.pk, action="open", actor=people.other_agent)
    assert snapshot(ticket) == before

    assert advance(ticket, people.agent, "open").status == Ticket.Status.OPEN
    # A new member gets the team's tickets; a member who leaves loses them.
    newcomer = staff_user("support_agent")
    people.support.members.add(newcomer)
    assert advance(ticket, newcomer, "wait_on_customer").status == Ticket.Status.WAITING_ON_CUSTOMER
    people.support.members.remove(newcomer)
    refused(services.ticket_transition, ticket_id=ticket.pk, action="resume", actor=newcomer)


def test_supervisors_act_on_any_ticket(ada, category, people):
    ticket = make_ticket(ada, team=people.payments)
    admin = staff_user("administrator")
    assert advance(ticket, people.supervisor, "open").status == Ticket.Status.OPEN
    assert advance(ticket, admin, "resolve").status == Ticket.Status.RESOLVED


@pytest.mark.parametrize("role", ["compliance_reviewer", "compliance_officer", "finance", "api_client", None])
def test_roles_without_the_work_permission_are_refused_even_if_assigned_a_team(ada, category, people, role):
    outsider = staff_user(role)
    people.support.members.add(outsider)  # team membership alone is not the role's capability
    ticket = make_ticket(ada, team=people.support)
    before = snapshot(ticket)

    error = refused(services.ticket_transition, PermissionRefused, ticket_id=ticket.pk, action="open",
                    actor=outsider)
    assert (error.code, error.status) == ("permission_denied", 403)
    refused(services.message_post, PermissionRefused, ticket_id=ticket.pk, body="x", visibility="internal_note",
            actor=outsider)
    refused(services.ticket_assign, PermissionRefused, ticket_id=ticket.pk, assignee_id=people.agent.pk,
            actor=outsider)
    assert snapshot(ticket) == before


def test_an_inactive_agent_may_not_act(ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    people.agent.is_active = False
    people.agent.save()
    refused(services.ticket_transition, PermissionRefused, ticket_id=ticket.pk, action="open", actor=people.agent)


def test_the_object_permission_follows_the_assignment(ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    assert set(get_users_with_perms(ticket, only_with_perms_in=["work_ticket"])) == {people.agent}

    services.ticket_assign(ticket_id=ticket.pk, assignee_id=people.other_agent.pk, team_id=people.payments.pk,
                           actor=people.supervisor, reason="it is about a payment")

    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.team) == (people.other_agent, people.payments)
    assert set(get_users_with_perms(ticket, only_with_perms_in=["work_ticket"])) == {people.other_agent}
    refused(services.ticket_transition, ticket_id=ticket.pk, action="open", actor=people.agent)
    change = ticket.status_changes.get(action="assign")
    assert (change.from_status, change.to_status, change.reason, change.actor) == (
        "new", "new", "it is about a payment", people.supervisor)


def test_an_agent_may_claim_an_unassigned_team_ticket_but_not_reassign(ada, category, people):
    teammate = staff_user("support_agent")
    people.support.members.add(teammate)
    ticket = make_ticket(ada, team=people.support)

    services.ticket_assign(ticket_id=ticket.pk, assignee_id=people.agent.pk, actor=people.agent)
    ticket.refresh_from_db()
    assert ticket.assignee == people.agent
    before = snapshot(ticket)

    # Taking it from a teammate, giving it away or moving it to another team is for supervisors.
    for kwargs in ({"assignee_id": teammate.pk}, {"assignee_id": None}, {"team_id": people.payments.pk}):
        error = refused(services.ticket_assign, PermissionRefused, ticket_id=ticket.pk, actor=teammate, **kwargs)
        assert error.code == "permission_denied"
    refused(services.ticket_assign, PermissionRefused, ticket_id=ticket.pk, assignee_id=teammate.pk,
            actor=people.agent)
    assert snapshot(ticket) == before


def test_assignees_must_be_staff_who_work_tickets_and_members_of_the_team(ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    finance = staff_user("finance")
    for assignee in (finance.pk, 10**9):
        refused(services.ticket_assign, exc.InvalidAssignee, ticket_id=ticket.pk, assignee_id=assignee,
                actor=people.supervisor)
    error = refused(services.ticket_assign, exc.InvalidAssignee, ticket_id=ticket.pk,
                    assignee_id=people.other_agent.pk, actor=people.supervisor)
    assert "not a member of team Support" in error.detail
    refused(services.ticket_assign, exc.TeamNotFound, ticket_id=ticket.pk, team_id=10**9, actor=people.supervisor)


def test_resolved_and_closed_tickets_are_not_assigned(ada, category, people):
    ticket = advance(make_ticket(ada, team=people.support), people.agent, "resolve")
    refused(services.ticket_assign, exc.TicketInactive, ticket_id=ticket.pk, assignee_id=people.agent.pk,
            actor=people.supervisor)


def test_creating_needs_the_add_permission(ada, category, people):
    for role in ("finance", "compliance_officer", "administrator"):
        with pytest.raises(PermissionRefused):
            services.ticket_create(customer_id=ada.pk, category_code="GENERAL", subject="x", actor=staff_user(role))
    assert not Ticket.objects.exists()
    ticket = services.ticket_create(customer_id=ada.pk, category_code="GENERAL", subject="x", actor=people.agent)
    assert ticket.created_by == people.agent
