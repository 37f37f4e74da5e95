"""The staff ticket page (issue 9): a ticket's full story (messages, status history, SLA, what it is
about) and the work on it (reply, internal note, status, assign) through the ticket services, each
offered only to who may take it; linked from the queues, the customer 360° and a payment's story."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backoffice.tickets import services as tickets
from backoffice.tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db


def url(ticket, action=None):
    return reverse("staff:ticket-action", args=[ticket.pk, action]) if action else reverse("staff:ticket",
                                                                                           args=[ticket.pk])


def test_who_may_open_a_ticket_page(world, people, signed_in):
    for user, status in ((people.support, 200), (people.ops, 200), (people.reviewer, 200), (people.officer, 200),
                         (people.nobody, 403)):
        assert signed_in(user).get(url(world.ticket)).status_code == status, user.username
    assert signed_in(people.support).get(reverse("staff:ticket", args=[999999])).status_code == 404


def test_the_page_tells_the_whole_story_with_links_and_times_in_the_bank_zone(world, people, signed_in):
    tickets.message_post(ticket_id=world.ticket.pk, body="Checking with payments", visibility="internal_note",
                         actor=people.ops)
    page = signed_in(people.support).get(url(world.ticket)).content.decode()

    assert world.ticket.number in page and "Where is my money?" in page
    assert "First response due" in page and "Resolution due" in page
    assert "Checking with payments" in page  # support agents read internal notes
    assert reverse("staff:customer", args=[world.ada.pk]) in page
    assert reverse("staff:payment", args=[world.internal.pk]) in page
    assert " CET" in page or " CEST" in page  # every time says its zone
    assert "Assign to me" in page  # an unassigned ticket of the agent's team


def test_internal_notes_are_hidden_from_who_may_not_read_them(world, people, signed_in):
    tickets.message_post(ticket_id=world.ticket.pk, body="Internal only", visibility="internal_note",
                         actor=people.ops)
    page = signed_in(people.reviewer).get(url(world.ticket)).content.decode()

    assert "Internal only" not in page
    assert "You may read this ticket" in page
    assert 'name="body"' not in page  # no reply form for who may not work it


def test_an_agent_claims_replies_and_resolves_through_the_services(world, people, signed_in):
    client = signed_in(people.support)

    claimed = client.post(url(world.ticket, "claim"))
    replied = client.post(url(world.ticket, "message"), {"body": "We found it; it arrives today.",
                                                         "visibility": "customer_reply"})
    noted = client.post(url(world.ticket, "message"), {"body": "Bank holiday delay", "visibility": "internal_note"})
    opened = client.post(url(world.ticket, "transition"), {"action": "open"})
    resolved = client.post(url(world.ticket, "transition"), {"action": "resolve"})

    assert [r.status_code for r in (claimed, replied, noted, opened, resolved)] == [302] * 5
    ticket = Ticket.objects.get(pk=world.ticket.pk)
    assert ticket.assignee == people.support and ticket.status == "resolved"
    assert ticket.first_response_at is not None  # the reply met the response SLA
    assert list(TicketMessage.objects.filter(ticket=ticket).values_list("visibility", flat=True)) == [
        "customer_reply", "internal_note"]
    page = client.get(url(world.ticket)).content.decode()
    assert "We found it; it arrives today." in page and "resolve" in page


def test_refusals_come_back_on_the_page_and_change_nothing(world, people, signed_in):
    reviewer = signed_in(people.reviewer)

    refused = reviewer.post(url(world.ticket, "message"), {"body": "Hi", "visibility": "customer_reply"})
    empty = signed_in(people.support).post(url(world.ticket, "message"), {"body": "", "visibility": "customer_reply"})
    reopen = signed_in(people.support).post(url(world.ticket, "transition"), {"action": "close"})

    assert refused.status_code == 403 and "Refused" in refused.content.decode()
    assert empty.status_code == 400
    assert reopen.status_code == 400 and "needs a reason" in reopen.content.decode()
    assert not TicketMessage.objects.filter(ticket=world.ticket).exists()
    assert Ticket.objects.get(pk=world.ticket.pk).status == "new"
    assert signed_in(people.support).get(url(world.ticket, "message")).status_code == 405


def test_a_supervisor_assigns_to_a_team_member(world, people, signed_in):
    client = signed_in(people.ops)
    page = client.get(url(world.ticket)).content.decode()
    assert 'name="assignee"' in page and "Assign to me" not in page

    response = client.post(url(world.ticket, "assign"), {"assignee": str(people.support.pk)})

    assert response.status_code == 302
    assert Ticket.objects.get(pk=world.ticket.pk).assignee == people.support
    assert "assign" in client.get(url(world.ticket)).content.decode()


def test_queues_customer_payment_and_search_link_to_the_ticket_page(world, people, signed_in):
    client = signed_in(people.support)
    target = url(world.ticket)

    assert target in client.get(reverse("staff:queues")).content.decode()
    assert target in client.get(reverse("staff:customer", args=[world.ada.pk])).content.decode()
    assert target in client.get(reverse("staff:payment", args=[world.internal.pk])).content.decode()
    assert target in client.get(reverse("staff:search"), {"q": world.ticket.number}).content.decode()


def test_the_page_query_count_does_not_grow_with_messages(world, people, signed_in, django_assert_max_num_queries):
    client = signed_in(people.support)
    client.get(url(world.ticket))
    with django_assert_max_num_queries(40) as few:
        client.get(url(world.ticket))
    for n in range(5):
        tickets.message_post(ticket_id=world.ticket.pk, body=f"note {n}", visibility="internal_note",
                             actor=people.ops)
        tickets.ticket_transition(ticket_id=world.ticket.pk, action="open" if n == 0 else "wait_on_customer"
                                  if n % 2 else "resume", actor=people.ops)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url(world.ticket))
