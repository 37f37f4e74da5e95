"""The database refuses what the services refuse, around the ORM (raw SQL)."""

import pytest
from django.db import IntegrityError, connection, transaction

from backoffice.tickets import services

from .conftest import advance, make_ticket

pytestmark = pytest.mark.django_db


def run(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(("sql", "constraint"), [
    ("UPDATE tickets_ticket SET status = 'resolved', resolved_at = NULL WHERE id = %s", "ticket_resolved_has_time"),
    ("UPDATE tickets_ticket SET status = 'closed', closed_at = NULL WHERE id = %s", "ticket_closed_has_time"),
    ("UPDATE tickets_ticket SET status = 'archived' WHERE id = %s", "ticket_status_valid"),
    ("UPDATE tickets_ticket SET priority = 'whenever' WHERE id = %s", "ticket_priority_valid"),
    ("UPDATE tickets_ticket SET resolution_due_at = response_due_at - interval '1 minute' WHERE id = %s",
     "ticket_due_times_ordered"),
    ("UPDATE tickets_ticket SET escalation_level = 3 WHERE id = %s", "ticket_escalation_level_range"),
    ("UPDATE tickets_ticket SET response_breached = TRUE WHERE id = %s", "ticket_escalation_covers_breaches"),
])
def test_ticket_check_constraints(ada, category, sql, constraint):
    ticket = make_ticket(ada)
    with pytest.raises(IntegrityError, match=constraint):
        run(sql, [ticket.pk])


def test_a_resolved_ticket_with_its_time_passes(ada, category, people):
    ticket = make_ticket(ada)
    run("UPDATE tickets_ticket SET status = 'resolved', resolved_at = now() WHERE id = %s", [ticket.pk])


def test_sla_check_constraints(category):
    sla = category.slas.get(priority="normal")
    with pytest.raises(IntegrityError, match="tickets_sla_minutes"):
        run("UPDATE tickets_categorysla SET resolution_minutes = 1 WHERE id = %s", [sla.pk])
    with pytest.raises(IntegrityError, match="tickets_sla_one_per_priority"):
        run("INSERT INTO tickets_categorysla (category_id, priority, response_minutes, resolution_minutes) "
            "VALUES (%s, 'normal', 10, 20)", [category.pk])


def test_messages_and_history_are_append_only(ada, category, people):
    ticket = advance(make_ticket(ada, team=people.support), people.agent, "open")
    services.message_post(ticket_id=ticket.pk, body="Checked.", visibility="internal_note", actor=people.agent)
    for table in ("tickets_ticketmessage", "tickets_ticketstatuschange"):
        with pytest.raises(IntegrityError, match="append-only"):
            run(f"UPDATE {table} SET ticket_id = ticket_id WHERE ticket_id = %s", [ticket.pk])  # noqa: S608
        with pytest.raises(IntegrityError, match="append-only"):
            run(f"DELETE FROM {table} WHERE ticket_id = %s", [ticket.pk])  # noqa: S608
    with pytest.raises(IntegrityError, match="ticket_message_visibility_valid"):
        run("INSERT INTO tickets_ticketmessage (ticket_id, body, visibility, created_at) "
            "VALUES (%s, 'x', 'public', now())", [ticket.pk])
