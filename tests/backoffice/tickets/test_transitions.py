"""The ticket lifecycle's transition table (``backoffice/tickets/transitions.py``) and the model
agree: every action of the table is a django-fsm transition of ``Ticket`` and every transition is
in the table; the strings staff and the audit trail see are today's; the routes, the admin's
actions and the reason rules are the table's."""

from __future__ import annotations

import inspect

from django.contrib.admin.sites import site
from django.urls import reverse

from backoffice.tickets import services, transitions
from backoffice.tickets.api import views
from backoffice.tickets.models import Ticket
from tests.helpers import assert_table_is_the_models_transitions


def test_every_action_of_the_table_is_a_transition_of_the_model_and_every_transition_is_in_the_table():
    assert_table_is_the_models_transitions(transitions.TRANSITIONS, Ticket)


def test_the_table_keeps_the_strings_staff_and_the_audit_trail_see():
    assert {t.name: (t.label, t.audit_action, t.admin_action, t.done) for t in transitions.TRANSITIONS} == {
        "open": ("Open", "ticket.opened", "open_selected", "opened"),
        "wait_on_customer": ("Wait on customer", "ticket.waiting_on_customer", "wait_selected",
                             "now waiting on the customer"),
        "resume": ("Resume (customer answered)", "ticket.resumed", "resume_selected", "resumed"),
        "resolve": ("Resolve", "ticket.resolved", "resolve_selected", "resolved"),
        "close": ("Close", "ticket.closed", "close_selected", "closed"),
        "reopen": ("Reopen", "ticket.reopened", "reopen_selected", "reopened"),
    }
    # One source: the service keeps no list of its own.
    assert not hasattr(services, "TRANSITIONS")


def test_the_transitions_that_stamp_a_time_take_it_and_the_others_do_not():
    for spec in transitions.TRANSITIONS:
        takes_at = "at" in inspect.signature(getattr(Ticket, spec.name)).parameters
        assert takes_at == spec.stamps_time, spec.name


def test_the_reason_rules_and_their_refusals():
    assert {t.name: t.reason for t in transitions.TRANSITIONS if t.reason != transitions.NEVER} == {
        "close": transitions.UNLESS_RESOLVED, "reopen": transitions.ALWAYS}
    assert all(bool(t.reason_refusal) == (t.reason != transitions.NEVER) for t in transitions.TRANSITIONS)
    resolved, open_ = Ticket(status=Ticket.Status.RESOLVED), Ticket(status=Ticket.Status.OPEN)
    assert [services.reason_required(open_, t.name) for t in transitions.TRANSITIONS] == [
        False, False, False, False, True, True]
    assert not services.reason_required(resolved, "close")


def test_each_action_has_its_route_and_its_admin_action_in_table_order():
    assert list(views.TRANSITION_VIEWS) == list(transitions.BY_NAME)
    for name in transitions.BY_NAME:
        url = reverse(f"tickets:ticket-{name.replace('_', '-')}", kwargs={"ticket_id": 7})
        assert url == f"/api/v1/tickets/7/{name}/"
    actions = [a for a in site._registry[Ticket].actions if callable(a)]
    assert [(a.__name__, a.short_description) for a in actions] == [
        (t.admin_action, t.admin_label) for t in transitions.TRANSITIONS]
