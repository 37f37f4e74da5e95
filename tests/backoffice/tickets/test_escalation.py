"""SLA escalation with a fixed "now": set-based, idempotent, recorded."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.tickets import services, tasks
from backoffice.tickets.models import Ticket
from core_banking.audit.models import AuditEvent

from .conftest import NOW, advance, make_ticket

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)


def flags(ticket):
    ticket.refresh_from_db()
    return ticket.response_breached, ticket.resolution_breached, ticket.escalation_level


def test_a_late_first_response_then_a_late_resolution_escalate_twice(ada, category, people):
    ticket = make_ticket(ada, priority="high", team=people.support)  # 60 min to respond, 480 to resolve

    assert services.escalate_breaches(now=NOW + 59 * MIN) == {"response": 0, "resolution": 0}
    assert flags(ticket) == (False, False, 0)

    assert services.escalate_breaches(now=NOW + 60 * MIN) == {"response": 1, "resolution": 0}
    assert flags(ticket) == (True, False, 1)
    assert ticket.escalated_at == NOW + 60 * MIN

    assert services.escalate_breaches(now=NOW + 480 * MIN) == {"response": 0, "resolution": 1}
    assert flags(ticket) == (True, True, 2)

    rows = list(ticket.status_changes.filter(action__startswith="escalate").values_list(
        "action", "from_status", "to_status", "reason", "actor"))
    assert rows == [("escalate_response", "new", "new", "response SLA breached; escalation level 1", None),
                    ("escalate_resolution", "new", "new", "resolution SLA breached; escalation level 2", None)]
    events = AuditEvent.objects.filter(object_type="tickets.ticket", object_id=str(ticket.pk),
                                       action__endswith="_sla_breached").order_by("id")
    assert [(e.action, e.after) for e in events] == [
        ("ticket.response_sla_breached", {"response_breached": True, "escalation_level": 1}),
        ("ticket.resolution_sla_breached", {"resolution_breached": True, "escalation_level": 2}),
    ]


def test_escalation_is_idempotent(ada, category, people):
    make_ticket(ada, priority="urgent")
    later = NOW + dt.timedelta(days=1)
    assert services.escalate_breaches(now=later) == {"response": 1, "resolution": 1}
    history, events = Ticket.objects.get().status_changes.count(), AuditEvent.objects.count()

    assert services.escalate_breaches(now=later) == {"response": 0, "resolution": 0}
    assert services.escalate_breaches(now=later + dt.timedelta(days=30)) == {"response": 0, "resolution": 0}
    assert Ticket.objects.get().status_changes.count() == history and AuditEvent.objects.count() == events
    assert Ticket.objects.get().escalation_level == 2


def test_what_is_not_late_is_not_flagged(ada, category, people):
    answered = advance(make_ticket(ada, team=people.support), people.agent, "open")
    services.message_post(ticket_id=answered.pk, body="On it.", visibility="customer_reply", actor=people.agent,
                          now=NOW + 10 * MIN)
    waiting = advance(make_ticket(ada, team=people.support), people.agent, "open", "wait_on_customer")
    resolved = advance(make_ticket(ada, team=people.support), people.agent, "resolve")
    closed = advance(make_ticket(ada, team=people.support), people.agent, "close:spam")
    late = make_ticket(ada, team=people.support)

    # Past the response due time (240 min) but not the resolution's (2880 min).
    assert services.escalate_breaches(now=NOW + 241 * MIN) == {"response": 1, "resolution": 0}
    assert [flags(t) for t in (answered, waiting, resolved, closed, late)] == [
        (False, False, 0), (False, False, 0), (False, False, 0), (False, False, 0), (True, False, 1)]

    # Past the resolution due time: only the answered-but-unresolved and the late ticket.
    assert services.escalate_breaches(now=NOW + 2881 * MIN) == {"response": 0, "resolution": 2}
    assert flags(answered) == (False, True, 1) and flags(late) == (True, True, 2)
    assert flags(waiting) == (False, False, 0)  # the customer has the ball


def test_one_update_per_kind_however_many_tickets(ada, category, people):
    for _ in range(25):
        make_ticket(ada, priority="urgent")
    with CaptureQueriesContext(connection) as queries:
        assert services.escalate_breaches(now=NOW + dt.timedelta(days=1)) == {"response": 25, "resolution": 25}
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements.count("UPDATE") == 2
    assert statements.count("INSERT") == 2  # the history rows and the audit events, in bulk
    assert len(statements) <= 8  # plus savepoints: no query per ticket


def test_the_task_calls_the_service(ada, category):
    make_ticket(ada, priority="urgent", now=NOW - dt.timedelta(days=365))
    assert tasks.escalate_breaches.delay().get() == {"response": 1, "resolution": 1}
    assert tasks.escalate_breaches.name == "tickets.escalate_breaches"
