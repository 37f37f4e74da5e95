"""Fixtures for the tickets app: the role groups (the catalogue of ``backoffice/staff/roles.py``,
whose tickets permissions must be exactly ``TICKET_ROLE_PERMISSIONS``), a customer with an account, a category with
SLAs, the Support team with an agent, another agent outside it and a supervisor."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest

from backoffice.tickets import services
from backoffice.tickets.models import Ticket, TicketStatusChange
from core_banking.audit.models import AuditEvent
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
_config = ("team", "category", "categorysla")

# The tickets permissions per role, as designed; the role catalogue must say the same.
TICKET_ROLE_PERMISSIONS: dict[str, list[str]] = {
    "operations": [
        "tickets.view_ticket", "tickets.add_ticket", "tickets.work_ticket", "tickets.manage_ticket",
        "tickets.view_internal_note",
        *(f"tickets.{action}_{model}" for model in _config for action in ("view", "add", "change")),
    ],
    "compliance_reviewer": ["tickets.view_ticket"],
    "compliance_officer": ["tickets.view_ticket", "tickets.view_internal_note"],
    "support_agent": [
        "tickets.view_ticket", "tickets.add_ticket", "tickets.work_ticket", "tickets.view_internal_note",
        *(f"tickets.view_{model}" for model in _config),
    ],
    "finance": [],
    "administrator": [
        "tickets.view_ticket", "tickets.work_ticket", "tickets.manage_ticket", "tickets.view_internal_note",
        *(f"tickets.{action}_{model}" for model in _config for action in ("view", "add", "change")),
    ],
    "api_client": ["tickets.view_ticket", "tickets.add_ticket"],
}

_subjects = itertools.count(1)


@pytest.fixture(autouse=True)
def roles(db):
    ensure_roles()


@pytest.fixture
def account(ada, eur_product):
    return banking.account(ada, eur_product)


@pytest.fixture
def category(db):
    return services.category_create(code="GENERAL", name="General question", slas={
        "low": (480, 7200), "normal": (240, 2880), "high": (60, 480), "urgent": (15, 120)})


@pytest.fixture
def people(db):
    agent = staff_user("support_agent", username="agent")
    other_agent = staff_user("support_agent", username="other-agent")
    supervisor = staff_user("operations", username="supervisor")
    support = services.team_create(name="Support", members=[agent])
    payments = services.team_create(name="Payments", members=[other_agent])
    return SimpleNamespace(agent=agent, other_agent=other_agent, supervisor=supervisor, support=support,
                           payments=payments)


def make_ticket(customer, *, priority="normal", now=NOW, team=None, **fields) -> Ticket:
    return services.ticket_create(customer_id=customer.pk, category_code="GENERAL",
                                  subject=fields.pop("subject", f"Question {next(_subjects)}"), priority=priority,
                                  team_id=team.pk if team else None, now=now, **fields)


def advance(ticket: Ticket, actor, *actions: str) -> Ticket:
    """Move a ticket along as ``actor``; each action may be "action:reason"."""
    for step in actions:
        action, _, reason = step.partition(":")
        ticket = services.ticket_transition(ticket_id=ticket.pk, action=action, actor=actor, reason=reason)
    return ticket


def snapshot(ticket: Ticket) -> tuple:
    """Everything a refused action must leave as it was."""
    row = Ticket.objects.filter(pk=ticket.pk).values().get()
    history = list(TicketStatusChange.objects.filter(ticket=ticket).values_list("id", flat=True))
    events = AuditEvent.objects.filter(object_type="tickets.ticket", object_id=str(ticket.pk)).count()
    messages = ticket.messages.count()
    from guardian.models import GroupObjectPermission, UserObjectPermission

    perms = (UserObjectPermission.objects.filter(object_pk=str(ticket.pk)).count(),
             GroupObjectPermission.objects.filter(object_pk=str(ticket.pk)).count())
    return row, history, events, messages, perms


D = Decimal
