"""The ticket state machine, SLA due times, history and audit, worked through by hand."""

import datetime as dt

import pytest

from backoffice.tickets import exceptions as exc
from backoffice.tickets import selectors, services
from backoffice.tickets.models import Ticket, TicketMessage
from core_banking.audit.models import AuditEvent
from core_banking.common.errors import TransitionNotAllowed
from tests import banking

from .conftest import NOW, advance, make_ticket, snapshot

pytestmark = pytest.mark.django_db
S = Ticket.Status


def history(ticket):
    return list(ticket.status_changes.order_by("id").values_list("action", "from_status", "to_status", "reason"))


def test_a_ticket_goes_new_open_waiting_open_resolved_closed(ada, category, people):
    ticket = make_ticket(ada, team=people.support, subject="Card blocked")
    assert ticket.status == S.NEW and ticket.number.startswith("T")

    ticket = advance(ticket, people.agent, "open", "wait_on_customer:asked for a photo of the card", "resume",
                     "resolve:card unblocked", "close")

    assert ticket.status == S.CLOSED and ticket.resolved_at is not None and ticket.closed_at is not None
    assert history(ticket) == [
        ("create", "", "new", "created"),
        ("open", "new", "open", ""),
        ("wait_on_customer", "open", "waiting_on_customer", "asked for a photo of the card"),
        ("resume", "waiting_on_customer", "open", ""),
        ("resolve", "open", "resolved", "card unblocked"),
        ("close", "resolved", "closed", ""),
    ]
    assert all(change.actor == people.agent for change in ticket.status_changes.exclude(action="create"))
    actions = list(AuditEvent.objects.filter(object_type="tickets.ticket", object_id=str(ticket.pk))
                   .order_by("id").values_list("action", "reason"))
    assert actions == [("ticket.created", ""), ("ticket.opened", ""),
                       ("ticket.waiting_on_customer", "asked for a photo of the card"), ("ticket.resumed", ""),
                       ("ticket.resolved", "card unblocked"), ("ticket.closed", "")]
    closed = AuditEvent.objects.get(object_id=str(ticket.pk), action="ticket.closed")
    assert (closed.before, closed.after, closed.actor_id) == ({"status": "resolved"}, {"status": "closed"},
                                                             people.agent.pk)


def test_reopen_needs_a_reason_and_clears_the_resolution(ada, category, people):
    ticket = advance(make_ticket(ada, team=people.support), people.agent, "open", "resolve")
    before = snapshot(ticket)

    with pytest.raises(exc.ReasonRequired) as refused:
        services.ticket_transition(ticket_id=ticket.pk, action="reopen", actor=people.agent, reason="  ")
    assert refused.value.code == "reason_required"
    assert snapshot(ticket) == before

    ticket = advance(ticket, people.agent, "reopen:customer says the card is still blocked")
    assert ticket.status == S.OPEN and ticket.resolved_at is None and ticket.closed_at is None
    ticket = advance(ticket, people.agent, "close:duplicate of another ticket", "reopen:not a duplicate after all")
    assert ticket.status == S.OPEN and ticket.closed_at is None


def test_closing_without_resolution_needs_a_reason_closing_a_resolved_one_does_not(ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    with pytest.raises(exc.ReasonRequired):
        services.ticket_transition(ticket_id=ticket.pk, action="close", actor=people.agent)
    ticket = advance(ticket, people.agent, "close:customer withdrew the question")
    assert ticket.status == S.CLOSED and ticket.resolved_at is None and ticket.status_reason.startswith("customer")

    resolved = advance(make_ticket(ada, team=people.support), people.agent, "open", "resolve", "close")
    assert resolved.status == S.CLOSED


@pytest.mark.parametrize(("path", "action"), [
    ((), "resume"), ((), "wait_on_customer"), ((), "reopen"),
    (("open",), "open"), (("open", "resolve"), "resolve"), (("open", "resolve"), "wait_on_customer"),
    (("close:gone",), "close"), (("close:gone",), "resolve"), (("open", "wait_on_customer"), "wait_on_customer"),
])
def test_transitions_from_the_wrong_state_are_refused_and_change_nothing(ada, category, people, path, action):
    ticket = advance(make_ticket(ada, team=people.support), people.agent, *path)
    before = snapshot(ticket)

    with pytest.raises(TransitionNotAllowed) as refused:
        services.ticket_transition(ticket_id=ticket.pk, action=action, actor=people.agent, reason="why not")

    assert refused.value.code == "transition_not_allowed" and refused.value.status == 409
    assert snapshot(ticket) == before


def test_an_unknown_action_is_refused(ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    with pytest.raises(exc.UnknownTicketAction):
        services.ticket_transition(ticket_id=ticket.pk, action="delete", actor=people.supervisor)
    with pytest.raises(exc.TicketNotFound):
        services.ticket_transition(ticket_id=ticket.pk + 1000, action="open", actor=people.supervisor)


@pytest.mark.parametrize(("priority", "response", "resolution"), [
    ("low", 480, 7200), ("normal", 240, 2880), ("high", 60, 480), ("urgent", 15, 120)])
def test_sla_due_times_come_from_the_category_and_priority(ada, category, priority, response, resolution):
    ticket = make_ticket(ada, priority=priority)
    assert ticket.response_due_at == NOW + dt.timedelta(minutes=response)
    assert ticket.resolution_due_at == NOW + dt.timedelta(minutes=resolution)
    assert ticket.due_at == ticket.response_due_at


def test_a_changed_sla_applies_to_new_tickets_only(ada, category):
    old = make_ticket(ada, priority="high")
    services.sla_set(category_id=category.pk, priority="high", response_minutes=30, resolution_minutes=240)
    new = make_ticket(ada, priority="high")
    assert old.response_due_at == NOW + dt.timedelta(minutes=60)
    assert new.response_due_at == NOW + dt.timedelta(minutes=30)
    assert AuditEvent.objects.filter(action="ticket_sla.set", before__response_minutes=60).exists()


def test_a_priority_without_an_sla_is_refused(ada, db):
    cards = services.category_create(code="CARDS", name="Cards", slas={"normal": (60, 600)})
    with pytest.raises(exc.SlaNotConfigured):
        services.ticket_create(customer_id=ada.pk, category_code="cards", subject="Lost card", priority="urgent")
    assert not Ticket.objects.exists()
    with pytest.raises(exc.InvalidTicket):  # resolution sooner than the response
        services.sla_set(category_id=cards.pk, priority="low", response_minutes=60, resolution_minutes=30)


def test_the_first_customer_reply_is_the_first_response_notes_are_not(ada, category, people):
    ticket = advance(make_ticket(ada, team=people.support), people.agent, "open")
    services.message_post(ticket_id=ticket.pk, body="Checked the card status.", visibility="internal_note",
                          actor=people.agent)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None

    later = NOW + dt.timedelta(minutes=30)
    services.message_post(ticket_id=ticket.pk, body="Your card is unblocked.", visibility="customer_reply",
                          actor=people.agent, now=later)
    services.message_post(ticket_id=ticket.pk, body="Anything else?", visibility="customer_reply",
                          actor=people.agent, now=later + dt.timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.first_response_at == later
    assert ticket.due_at == ticket.resolution_due_at
    assert list(ticket.messages.values_list("visibility", flat=True)) == ["internal_note", "customer_reply",
                                                                         "customer_reply"]


def test_messages_are_refused_on_a_closed_ticket_and_must_have_a_body(ada, category, people):
    ticket = make_ticket(ada, team=people.support)
    with pytest.raises(exc.InvalidTicket):
        services.message_post(ticket_id=ticket.pk, body="   ", visibility="internal_note", actor=people.agent)
    with pytest.raises(exc.InvalidTicket):
        services.message_post(ticket_id=ticket.pk, body="hello", visibility="public", actor=people.agent)
    advance(ticket, people.agent, "close:spam")
    with pytest.raises(exc.TicketInactive):
        services.message_post(ticket_id=ticket.pk, body="hello", visibility="customer_reply", actor=people.agent)
    assert not TicketMessage.objects.exists()


def test_available_transitions_follow_the_state(ada, category, people):
    ticket = make_ticket(ada, team=people.support)

    def names(t):
        return [(x["action"], x["reason_required"]) for x in selectors.available_transitions(t, people.agent)]

    assert names(ticket) == [("open", False), ("resolve", False), ("close", True)]
    ticket = advance(ticket, people.agent, "open")
    assert names(ticket) == [("wait_on_customer", False), ("resolve", False), ("close", True)]
    ticket = advance(ticket, people.agent, "wait_on_customer")
    assert names(ticket) == [("resume", False), ("resolve", False), ("close", True)]
    ticket = advance(ticket, people.agent, "resolve")
    assert names(ticket) == [("close", False), ("reopen", True)]
    ticket = advance(ticket, people.agent, "close")
    assert names(ticket) == [("reopen", True)]
    # Someone who may not act on the ticket is offered nothing.
    assert selectors.available_transitions(ticket, people.other_agent) == []


def test_links_must_belong_to_the_customer(ada, bram, account, eur_product, bank, category):
    bram_account = banking.account(bram, eur_product)
    ticket = make_ticket(ada, account_id=account.pk)
    assert ticket.account == account

    for fields in ({"account_id": bram_account.pk}, {"account_id": 10**9}, {"payment_id": 10**9},
                   {"journal_entry_id": 10**9}):
        with pytest.raises(exc.InvalidTicketLink):
            make_ticket(ada, **fields)
    with pytest.raises(exc.InvalidTicketLink):
        services.ticket_create(customer_id=10**9, category_code="GENERAL", subject="Who?")
    with pytest.raises(exc.CategoryNotFound):
        services.ticket_create(customer_id=ada.pk, category_code="NOPE", subject="What?")
    assert Ticket.objects.count() == 1


def test_a_payment_and_its_ledger_entry_link_to_either_party_only(bank, ada, bram, eur_product, category):
    from core_banking.payments import services as payments

    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    carol = banking.customer(first_name="Carol", last_name="Shaw")
    banking.fund(bank, a, "100.00")
    payment, _ = payments.payment_create(kind="internal_transfer", amount="30.00", currency="EUR",
                                         debtor_account_id=a.pk, creditor_account_id=b.pk, idempotency_key="t1")

    for customer, account in ((ada, a), (bram, b)):
        ticket = make_ticket(customer, payment_id=payment.pk, journal_entry_id=payment.entry_id, account_id=account.pk)
        assert (ticket.payment, ticket.journal_entry) == (payment, payment.entry)
    with pytest.raises(exc.InvalidTicketLink):
        make_ticket(carol, payment_id=payment.pk)
    with pytest.raises(exc.InvalidTicketLink):
        make_ticket(carol, journal_entry_id=payment.entry_id)
    c_account = banking.account(ada, eur_product)
    with pytest.raises(exc.InvalidTicketLink):  # ada's, but the payment did not touch this account
        make_ticket(ada, payment_id=payment.pk, account_id=c_account.pk)
