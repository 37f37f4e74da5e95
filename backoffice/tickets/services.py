"""Ticket writes: teams and SLAs, creating, assigning, the lifecycle, messages, SLA escalation.

Each ticket service locks the ticket row, checks in the service (not only in the view) who may
act, changes the ticket, and writes the ticket's history row and the audit event in the same
transaction.

Who may do what:

* ``ticket_create``: ``tickets.add_ticket``.
* transitions and messages: ``ticket_may_work`` (``models``): a supervisor
  (``tickets.manage_ticket``) on any ticket; a worker (``tickets.work_ticket``) only on a ticket
  assigned to them or to one of their teams (guardian object permission), else ``not_assignee``.
  Without either permission: ``permission_denied``.
* ``ticket_assign``: supervisors assign and reassign anything; a worker may only *claim* an
  unassigned ticket of one of their teams (assign it to themselves, team unchanged).

Transitions that need a reason (``reason_required``): ``reopen`` (why the answer was not good
enough) and ``close`` of a ticket that was never resolved (why it is closed without resolution).
Every other transition takes an optional reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone
from django_fsm import can_proceed
from guardian.shortcuts import assign_perm, remove_perm

from core_banking.accounts.models import Account
from core_banking.audit.services import audit_record, audit_record_many
from core_banking.common.actors import user_or_none
from core_banking.common.errors import TransitionNotAllowed
from core_banking.customers.models import Customer
from core_banking.ledger.models import JournalEntry, Posting
from core_banking.payments.models import Payment

from . import exceptions as exc
from . import transitions
from .models import (
    MANAGE,
    WORK,
    Category,
    CategorySla,
    Priority,
    Team,
    Ticket,
    TicketMessage,
    TicketNumber,
    TicketStatusChange,
    ticket_may_work,
)

ADD = "tickets.add_ticket"
OBJECT_PERM = "work_ticket"  # the guardian object permission on one ticket (codename)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()



def reason_required(ticket: Ticket, action: str) -> bool:
    """Whether ``action`` needs a reason on ``ticket`` now (the table's ``reason``): reopening
    always does; so does closing a ticket that was never resolved."""
    rule = transitions.BY_NAME[action].reason
    return rule == transitions.ALWAYS or (rule == transitions.UNLESS_RESOLVED
                                          and ticket.status != Ticket.Status.RESOLVED)


def _require_worker(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise exc.TicketPermissionRefused("you may not work on tickets")
    if not (actor.has_perm(MANAGE) or actor.has_perm(WORK)):
        raise exc.TicketPermissionRefused("you may not work on tickets (tickets.work_ticket)")


def require_may_work(ticket: Ticket, actor) -> None:
    """``permission_denied`` without the role permission; ``not_assignee`` for a worker on a
    ticket that is neither theirs nor their team's."""
    _require_worker(actor)
    if not ticket_may_work(ticket, actor):
        raise exc.NotAssignee(f"ticket {ticket.number} is not assigned to you or to one of your teams",
                              ticket=ticket.number)


def _history(ticket: Ticket, *, action: str, before: str, reason: str, actor, at) -> TicketStatusChange:
    return TicketStatusChange.objects.create(ticket=ticket, action=action, from_status=before,
                                             to_status=ticket.status, reason=reason[:500],
                                             actor=user_or_none(actor), at=at)


def ticket_lock(ticket_id: int) -> Ticket:
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("team", "assignee").filter(
        pk=ticket_id).first()
    if ticket is None:
        raise exc.TicketNotFound(f"ticket {ticket_id} does not exist")
    return ticket


# --- teams and categories --------------------------------------------------------------------


@transaction.atomic
def team_create(*, name: str, description: str = "", members: Iterable = (), actor=None) -> Team:
    name = (name or "").strip()
    if not name:
        raise exc.InvalidTicket("a team needs a name")
    if Team.objects.filter(name=name).exists():
        raise exc.InvalidTicket(f"a team named {name!r} already exists")
    group = Group.objects.create(name=team_group_name(name))
    team = Team.objects.create(name=name, description=description, group=group)
    members = list(members)
    if members:
        team.members.add(*members)  # the m2m signal puts them in the team's group
    audit_record(action="ticket_team.created", obj=team, actor=actor,
                 after={"name": name, "members": sorted(getattr(m, "pk", m) for m in members)})
    return team


def team_group_name(name: str) -> str:
    return f"ticket-team:{name}"[:150]


@transaction.atomic
def team_set_members(*, team_id: int, members: Iterable, actor=None) -> Team:
    team = Team.objects.select_for_update().filter(pk=team_id).first()
    if team is None:
        raise exc.TeamNotFound(f"team {team_id} does not exist")
    before = sorted(team.members.values_list("pk", flat=True))
    team.members.set(list(members))
    after = sorted(team.members.values_list("pk", flat=True))
    audit_record(action="ticket_team.members_changed", obj=team, before={"members": before},
                 after={"members": after}, changes=["members"], actor=actor)
    return team


@transaction.atomic
def category_create(*, code: str, name: str, description: str = "", slas: dict[str, tuple[int, int]] | None = None,
                    actor=None) -> Category:
    """A category with its SLA per priority: ``slas={"normal": (response_minutes, resolution_minutes)}``."""
    code = (code or "").strip().upper()
    if not code or not (name or "").strip():
        raise exc.InvalidTicket("a category needs a code and a name")
    if Category.objects.filter(code=code).exists():
        raise exc.InvalidTicket(f"a category with code {code!r} already exists")
    category = Category.objects.create(code=code, name=name.strip(), description=description)
    for priority, (response, resolution) in (slas or {}).items():
        sla_set(category_id=category.pk, priority=priority, response_minutes=response,
                resolution_minutes=resolution, actor=actor)
    audit_record(action="ticket_category.created", obj=category, actor=actor,
                 after={"code": code, "name": category.name, "slas": {k: list(v) for k, v in (slas or {}).items()}})
    return category


@transaction.atomic
def sla_set(*, category_id: int, priority: str, response_minutes: int, resolution_minutes: int,
            actor=None) -> CategorySla:
    """Set (create or change) a category's SLA for one priority. Tickets already open keep the due
    times they were given."""
    if priority not in Priority.values:
        raise exc.InvalidTicket(f"unknown priority {priority!r}")
    response_minutes, resolution_minutes = int(response_minutes), int(resolution_minutes)
    if response_minutes <= 0 or resolution_minutes < response_minutes:
        raise exc.InvalidTicket("the response time must be positive and the resolution time at least as long")
    row = CategorySla.objects.select_for_update().filter(category_id=category_id, priority=priority).first()
    before = None if row is None else {"response_minutes": row.response_minutes,
                                       "resolution_minutes": row.resolution_minutes}
    if row is None:
        row = CategorySla(category_id=category_id, priority=priority)
    row.response_minutes, row.resolution_minutes = response_minutes, resolution_minutes
    row.save()
    audit_record(action="ticket_sla.set", obj=row, actor=actor, before=before,
                 after={"response_minutes": response_minutes, "resolution_minutes": resolution_minutes})
    return row


def sla_due_times(*, category: Category, priority: str, start: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The response and resolution due times of a ticket of ``category`` and ``priority`` created
    at ``start`` (calendar minutes)."""
    sla = CategorySla.objects.filter(category=category, priority=priority).first()
    if sla is None:
        raise exc.SlaNotConfigured(f"category {category.code} has no SLA for {priority} priority",
                                   category=category.code, priority=priority)
    return (start + dt.timedelta(minutes=sla.response_minutes),
            start + dt.timedelta(minutes=sla.resolution_minutes))


# --- creating --------------------------------------------------------------------------------


def ticket_links_validate(*, customer: Customer, account_id, payment_id, journal_entry_id) -> dict[str, Any]:
    links: dict[str, Any] = {"account": None, "payment": None, "journal_entry": None}
    if account_id is not None:
        account = Account.objects.filter(pk=account_id).first()
        if account is None or account.customer_id != customer.pk:
            raise exc.InvalidTicketLink(f"account {account_id} is not an account of customer {customer.number}",
                                        field="account")
        links["account"] = account
    if payment_id is not None:
        payment = Payment.objects.filter(pk=payment_id).first()
        if payment is None or customer.pk not in (payment.customer_id_debtor, payment.customer_id_creditor):
            raise exc.InvalidTicketLink(f"payment {payment_id} is not a payment of customer {customer.number}",
                                        field="payment")
        if links["account"] is not None and links["account"].pk not in (payment.debtor_account_id,
                                                                        payment.creditor_account_id):
            raise exc.InvalidTicketLink(f"payment {payment.reference} does not move money on the linked account",
                                        field="payment")
        links["payment"] = payment
    if journal_entry_id is not None:
        entry = JournalEntry.objects.filter(pk=journal_entry_id).first()
        touches = entry is not None and Posting.objects.filter(
            entry_id=entry.pk, account__customer_account__customer_id=customer.pk).exists()
        if not touches:
            raise exc.InvalidTicketLink(
                f"ledger entry {journal_entry_id} does not touch an account of customer {customer.number}",
                field="journal_entry")
        links["journal_entry"] = entry
    return links


@transaction.atomic
def ticket_create(
    *, customer_id: int, category_code: str, subject: str, description: str = "", priority: str = Priority.NORMAL,
    account_id: int | None = None, payment_id: int | None = None, journal_entry_id: int | None = None,
    team_id: int | None = None, actor=None, now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket about a customer (and optionally one of their accounts, payments or ledger
    entries), routed to ``team`` if given; its SLA due times come from the category's SLA for the
    priority. ``actor=None`` is the system (demo data, imports); a user needs ``tickets.add_ticket``."""
    if actor is not None and not actor.has_perm(ADD):
        raise exc.TicketPermissionRefused("you may not open tickets (tickets.add_ticket)")
    subject = (subject or "").strip()
    if not subject:
        raise exc.InvalidTicket("a ticket needs a subject", field="subject")
    if priority not in Priority.values:
        raise exc.InvalidTicket(f"unknown priority {priority!r}", field="priority")
    category = Category.objects.filter(code=(category_code or "").strip().upper()).first()
    if category is None or not category.is_active:
        raise exc.CategoryNotFound(f"there is no active ticket category {category_code!r}")
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise exc.InvalidTicketLink(f"customer {customer_id} does not exist", field="customer")
    links = ticket_links_validate(customer=customer, account_id=account_id, payment_id=payment_id,
                            journal_entry_id=journal_entry_id)
    team = None
    if team_id is not None:
        team = Team.objects.select_related("group").filter(pk=team_id).first()
        if team is None:
            raise exc.TeamNotFound(f"team {team_id} does not exist")
    now = now or timezone.now()
    response_due, resolution_due = sla_due_times(category=category, priority=priority, start=now)
    ticket = Ticket.objects.create(
        number=f"T{TicketNumber.objects.create().pk:08d}", subject=subject[:200], description=description,
        category=category, priority=priority, customer=customer, team=team, response_due_at=response_due,
        resolution_due_at=resolution_due, created_by=user_or_none(actor), created_at=now, **links,
    )
    if team is not None:
        assign_perm(OBJECT_PERM, team.group, ticket)
    _history(ticket, action="create", before="", reason="created", actor=actor, at=now)
    audit_record(action="ticket.created", obj=ticket, actor=actor, after={
        "number": ticket.number, "customer": customer.number, "category": category.code, "priority": priority,
        "team": team.name if team else None, "account": account_id, "payment": payment_id,
        "journal_entry": journal_entry_id, "response_due_at": response_due, "resolution_due_at": resolution_due,
    })
    return ticket


# --- assigning -------------------------------------------------------------------------------


@transaction.atomic
def ticket_assign(*, ticket_id: int, assignee_id: int | None = UNSET, team_id: int | None = UNSET, actor,
                  reason: str = "", now: dt.datetime | None = None) -> Ticket:
    """Assign a ticket to an agent and/or a team (``None`` clears one; leave an argument out to
    keep it). Supervisors may assign anything; a worker may only claim an unassigned ticket of one
    of their teams. The guardian object permission moves with the assignment."""
    ticket = ticket_lock(ticket_id)
    _require_worker(actor)
    new_assignee_id = ticket.assignee_id if assignee_id is UNSET else assignee_id
    new_team_id = ticket.team_id if team_id is UNSET else team_id
    if not actor.has_perm(MANAGE):
        if not ticket_may_work(ticket, actor):
            raise exc.NotAssignee(f"ticket {ticket.number} is not assigned to you or to one of your teams",
                                  ticket=ticket.number)
        claim = (ticket.assignee_id is None and new_assignee_id == actor.pk and new_team_id == ticket.team_id)
        if not claim:
            raise exc.TicketPermissionRefused(
                "only a supervisor (tickets.manage_ticket) may assign or reassign tickets; "
                "you may claim an unassigned ticket of your team")
    if ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        raise exc.TicketInactive(f"ticket {ticket.number} is {ticket.status}; reopen it to assign it",
                                 ticket=ticket.number)
    team = None
    if new_team_id is not None:
        team = Team.objects.select_related("group").filter(pk=new_team_id).first()
        if team is None:
            raise exc.TeamNotFound(f"team {new_team_id} does not exist")
    assignee = None
    if new_assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=new_assignee_id).first()
        if assignee is None or not assignee.is_active or not assignee.is_staff or not (
                assignee.has_perm(WORK) or assignee.has_perm(MANAGE)):
            raise exc.InvalidAssignee(f"user {new_assignee_id} is not an active member of staff who works tickets",
                                      assignee=new_assignee_id)
        if team is not None and not team.members.filter(pk=assignee.pk).exists():
            raise exc.InvalidAssignee(f"{assignee.get_username()} is not a member of team {team.name}",
                                      assignee=new_assignee_id)
    if new_assignee_id == ticket.assignee_id and new_team_id == ticket.team_id:
        return ticket  # nothing changes; nothing to record
    before = {"assignee": ticket.assignee.get_username() if ticket.assignee else None,
              "team": ticket.team.name if ticket.team else None}
    if new_assignee_id != ticket.assignee_id:
        if ticket.assignee is not None:
            remove_perm(OBJECT_PERM, ticket.assignee, ticket)
        if assignee is not None:
            assign_perm(OBJECT_PERM, assignee, ticket)
    if new_team_id != ticket.team_id:
        if ticket.team is not None:
            remove_perm(OBJECT_PERM, ticket.team.group, ticket)
        if team is not None:
            assign_perm(OBJECT_PERM, team.group, ticket)
    ticket.assignee, ticket.team = assignee, team
    ticket.save(update_fields=["assignee", "team", "updated_at"])
    after = {"assignee": assignee.get_username() if assignee else None, "team": team.name if team else None}
    reason = (reason or "").strip()
    note = reason or "assigned to " + " / ".join(v or "nobody" for v in after.values())
    _history(ticket, action="assign", before=ticket.status, reason=note, actor=actor, at=now or timezone.now())
    audit_record(action="ticket.assigned", obj=ticket, before=before, after=after,
                 changes=[k for k in after if after[k] != before[k]], reason=reason, actor=actor)
    return ticket


# --- the lifecycle ---------------------------------------------------------------------------


@transaction.atomic
def ticket_transition(*, ticket_id: int, action: str, actor, reason: str = "",
                      now: dt.datetime | None = None) -> Ticket:
    """Fire one lifecycle transition: ``open``, ``wait_on_customer``, ``resume``, ``resolve``,
    ``close`` or ``reopen``."""
    spec = transitions.BY_NAME.get(action)
    if spec is None:
        raise exc.UnknownTicketAction(f"unknown ticket action {action!r}", action=action)
    ticket = ticket_lock(ticket_id)
    require_may_work(ticket, actor)
    before = ticket.status
    method = getattr(ticket, action)
    if not can_proceed(method):
        raise TransitionNotAllowed(
            f"{spec.label.lower()} is not allowed for a ticket that is {ticket.get_status_display().lower()}",
            status_from=before, action=action)
    reason = (reason or "").strip()
    if reason_required(ticket, action) and not reason:
        raise exc.ReasonRequired(spec.reason_refusal, action=action)
    now = now or timezone.now()
    method(at=now) if spec.stamps_time else method()
    ticket.status_reason = reason[:500]
    ticket.save()
    _history(ticket, action=action, before=before, reason=reason, actor=actor, at=now)
    audit_record(action=spec.audit_action, obj=ticket, before={"status": before},
                 after={"status": ticket.status}, changes=["status"], reason=reason, actor=actor)
    return ticket


# --- messages --------------------------------------------------------------------------------


@transaction.atomic
def message_post(*, ticket_id: int, body: str, visibility: str, actor,
                 now: dt.datetime | None = None) -> TicketMessage:
    """Add an internal note or a customer-visible reply. The first reply is the ticket's first
    response (the response SLA is met). A closed ticket takes no messages (reopen it first)."""
    ticket = ticket_lock(ticket_id)
    require_may_work(ticket, actor)
    if visibility not in TicketMessage.Visibility.values:
        raise exc.InvalidTicket(f"unknown visibility {visibility!r}", field="visibility")
    body = (body or "").strip()
    if not body:
        raise exc.InvalidTicket("a message needs a body", field="body")
    if ticket.status == Ticket.Status.CLOSED:
        raise exc.TicketInactive(f"ticket {ticket.number} is closed; reopen it to add a message",
                                 ticket=ticket.number)
    now = now or timezone.now()
    message = TicketMessage.objects.create(ticket=ticket, author=user_or_none(actor), body=body, visibility=visibility,
                                           created_at=now)
    if visibility == TicketMessage.Visibility.CUSTOMER_REPLY and ticket.first_response_at is None:
        ticket.first_response_at = now
        ticket.save(update_fields=["first_response_at", "updated_at"])
    audit_record(action="ticket.message_posted", obj=ticket, actor=actor,
                 after={"message": message.pk, "visibility": visibility,
                        "first_response_at": ticket.first_response_at})
    return message


# --- SLA escalation --------------------------------------------------------------------------

# One UPDATE per kind of breach, returning the rows it flagged; the flag in the WHERE clause makes
# a second run (or a concurrent one, which waits for the row locks and re-checks) a no-op. A
# ticket waiting on the customer is not counted late: the customer has the ball.
_ESCALATIONS = {
    "response": ("response_breached", "first_response_at IS NULL AND response_due_at <= %s"),
    "resolution": ("resolution_breached", "resolution_due_at <= %s"),
}


@transaction.atomic
def escalate_breaches(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Flag the new or open tickets whose response or resolution due time has passed, raise their
    escalation level and record one history row and one audit event per flagged ticket (two
    INSERTs in all). Idempotent. Returns how many tickets were flagged per kind."""
    now = now or timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    flagged: dict[str, int] = {}
    history: list[TicketStatusChange] = []
    events: list[dict[str, Any]] = []
    table = connection.ops.quote_name(Ticket._meta.db_table)
    active = (Ticket.Status.NEW.value, Ticket.Status.OPEN.value)
    for kind, (flag, overdue) in _ESCALATIONS.items():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {flag} = TRUE, escalation_level = escalation_level + 1, "  # noqa: S608
                f"escalated_at = %s, updated_at = %s "
                f"WHERE {flag} = FALSE AND status IN (%s, %s) AND {overdue} "
                f"RETURNING id, number, status, escalation_level",
                [at, at, *active, at],
            )
            rows = cursor.fetchall()
        flagged[kind] = len(rows)
        for ticket_id, number, status, level in rows:
            reason = f"{kind} SLA breached; escalation level {level}"
            history.append(TicketStatusChange(ticket_id=ticket_id, action=f"escalate_{kind}", from_status=status,
                                              to_status=status, reason=reason, at=now))
            events.append({"action": f"ticket.{kind}_sla_breached", "object_type": Ticket._meta.label_lower,
                           "object_id": ticket_id, "object_repr": number, "after": {flag: True,
                                                                                   "escalation_level": level},
                           "changes": [flag, "escalation_level"], "reason": reason})
    if history:
        TicketStatusChange.objects.bulk_create(history)
        audit_record_many(events)
    return flagged

