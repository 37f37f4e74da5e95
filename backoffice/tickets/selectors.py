"""Ticket reads: look-up, search, the queues, what a user may see and fire."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from . import exceptions as exc
from . import transitions
from .models import MANAGE, VIEW_INTERNAL, Team, Ticket, TicketMessage
from .services import reason_required

QUEUE_LIMIT = 500


def _with_related(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return queryset.select_related("category", "customer", "assignee", "team", "account", "payment")


def with_due_at(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Annotate ``next_due_at``: the response due time until the first reply, then the resolution's."""
    return queryset.annotate(next_due_at=Case(When(first_response_at__isnull=True, then=F("response_due_at")),
                                              default=F("resolution_due_at")))


def visible_tickets_q(visible_to) -> Q:
    """Client isolation (core_banking/common/visibility.py): the tickets ``visible_to`` opened or
    that are about a customer it onboarded."""
    return Q(created_by=visible_to) | Q(customer__created_by=visible_to)


def ticket_get(ticket_id: int, *, visible_to=None) -> Ticket:
    tickets = Ticket.objects.filter(pk=ticket_id)
    if visible_to is not None:
        tickets = tickets.filter(visible_tickets_q(visible_to))
    ticket = _with_related(tickets).select_related("journal_entry").first()
    if ticket is None:
        raise exc.TicketNotFound(f"ticket {ticket_id} does not exist")
    return ticket


def ticket_search(*, status: str = "", priority: str = "", category: str = "", customer_id: int | None = None,
                  account_id: int | None = None, payment_id: int | None = None, assignee_id: int | None = None,
                  team_id: int | None = None, unassigned: bool | None = None,
                  breached: bool | None = None, visible_to=None) -> QuerySet[Ticket]:
    tickets = Ticket.objects.all()
    if visible_to is not None:
        tickets = tickets.filter(visible_tickets_q(visible_to))
    if status:
        tickets = tickets.filter(status=status)
    if priority:
        tickets = tickets.filter(priority=priority)
    if category:
        tickets = tickets.filter(category__code=category.upper())
    for field, value in (("customer_id", customer_id), ("account_id", account_id), ("payment_id", payment_id),
                         ("assignee_id", assignee_id), ("team_id", team_id)):
        if value is not None:
            tickets = tickets.filter(**{field: value})
    if unassigned is not None:
        tickets = tickets.filter(assignee__isnull=unassigned)
    if breached is not None:
        late = Q(response_breached=True) | Q(resolution_breached=True)
        tickets = tickets.filter(late) if breached else tickets.exclude(late)
    return _with_related(tickets)


def queue_condition_for_user(user) -> Q:
    """The filter of ``queue_for_user`` (the admin's "My queue" filter uses it too)."""
    teams = Team.objects.filter(members=user).values("pk")
    return Q(status__in=Ticket.ACTIVE_STATES) & (Q(assignee=user) | Q(assignee__isnull=True, team__in=teams))


def queue_for_user(user) -> QuerySet[Ticket]:
    """What ``user`` should work on: the active tickets assigned to them, then the unassigned
    active tickets of their teams; each part by next SLA due time."""
    tickets = Ticket.objects.filter(queue_condition_for_user(user))
    tickets = with_due_at(tickets).annotate(
        queue_part=Case(When(assignee=user, then=Value(0)), default=Value(1), output_field=IntegerField()))
    return _with_related(tickets).order_by("queue_part", "next_due_at", "id")


def queue_for_team(team: Team) -> QuerySet[Ticket]:
    """The team's active tickets (assigned or not), by next SLA due time."""
    tickets = with_due_at(Ticket.objects.filter(team=team, status__in=Ticket.ACTIVE_STATES))
    return _with_related(tickets).order_by("next_due_at", "id")


def team_get(team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise exc.TeamNotFound(f"team {team_id} does not exist")
    return team


def team_queue_for(*, team_id: int, user) -> QuerySet[Ticket]:
    """A team's queue, for its members and supervisors only (``not_team_member``)."""
    team = team_get(team_id)
    if not user.has_perm(MANAGE) and not team.members.filter(pk=user.pk).exists():
        raise exc.NotTeamMember(f"you are not a member of team {team.name}", team=team.name)
    return queue_for_team(team)


def ticket_messages(ticket: Ticket, user) -> QuerySet[TicketMessage]:
    """The ticket's messages, oldest first; internal notes only for ``tickets.view_internal_note``."""
    messages = ticket.messages.select_related("author").order_by("id")
    if not user.has_perm(VIEW_INTERNAL):
        messages = messages.filter(visibility=TicketMessage.Visibility.CUSTOMER_REPLY)
    return messages


def available_transitions(ticket: Ticket, user) -> list[dict[str, Any]]:
    """The transitions ``user`` may fire on ``ticket`` now (state allows it and they may work on
    it), in a fixed order, each with whether it needs a reason."""
    allowed = {t.name for t in ticket.get_available_user_status_transitions(user)}
    return [{"action": t.name, "label": t.label, "target": _target(ticket, t.name),
             "reason_required": reason_required(ticket, t.name)}
            for t in transitions.TRANSITIONS if t.name in allowed]


def _target(ticket: Ticket, action: str) -> str:
    meta = getattr(ticket, action)._django_fsm
    return meta.get_transition(ticket.status).target


# --- staff pages -----------------------------------------------------------------------------


def ticket_find(*, number: str, limit: int = 20) -> list[Ticket]:
    """A ticket by its number (exact, the unique index), for the staff search box."""
    number = (number or "").strip().upper()
    if not number:
        return []
    return list(_with_related(Ticket.objects.filter(number=number))[:limit])


def customer_open_tickets(customer_id: int, *, limit: int = 50) -> list[Ticket]:
    """A customer's active tickets, next SLA due first (``ticket_customer_time`` index)."""
    tickets = with_due_at(Ticket.objects.filter(customer_id=customer_id, status__in=Ticket.ACTIVE_STATES))
    return list(_with_related(tickets).order_by("next_due_at", "id")[:limit])


def ticket_backlog(*, now=None) -> dict[str, Any]:
    """The active tickets per status, and how many of them are past an SLA (breached flag set by
    the escalation task, or due time already passed): one grouped query."""
    from django.db.models import Count
    from django.utils import timezone

    now = now or timezone.now()
    late = (Q(response_breached=True) | Q(resolution_breached=True)
            | Q(first_response_at__isnull=True, response_due_at__lte=now) | Q(resolution_due_at__lte=now))
    rows = (Ticket.objects.filter(status__in=Ticket.ACTIVE_STATES).order_by().values("status")
            .annotate(n=Count("id"), breached=Count("id", filter=late)))
    by_status = {r["status"]: r for r in rows}
    return {"by_status": [{"status": s.label, "count": by_status.get(s.value, {}).get("n", 0),
                           "breached": by_status.get(s.value, {}).get("breached", 0)}
                          for s in Ticket.Status if s.value in Ticket.ACTIVE_STATES],
            "total": sum(r["n"] for r in rows), "breached": sum(r["breached"] for r in rows)}


def ticket_page(ticket_id: int, user) -> dict[str, Any]:
    """One ticket's full story for its staff page: the ticket with its customer, account, payment,
    entry, assignee and team; its messages (internal notes only for who may read them) and its
    status history, each with who wrote or did it; whether ``user`` may work on it, the
    transitions they may fire, and whom it may be assigned to. A fixed number of queries."""
    from django.contrib.auth import get_user_model

    from .models import WORK, TicketStatusChange, ticket_may_work

    ticket = _with_related(with_due_at(Ticket.objects.filter(pk=ticket_id))).select_related(
        "journal_entry", "created_by").first()
    if ticket is None:
        raise exc.TicketNotFound(f"ticket {ticket_id} does not exist")
    may_work = bool((user.has_perm(WORK) or user.has_perm(MANAGE)) and ticket_may_work(ticket, user))
    active = ticket.status in Ticket.ACTIVE_STATES
    agents: list = []
    if active and user.has_perm(MANAGE):
        # A supervisor assigns to a member of the ticket's team (or of any team when it has none).
        members = ticket.team.members.all() if ticket.team_id else get_user_model().objects.filter(
            ticket_teams__isnull=False)
        agents = list(members.filter(is_active=True, is_staff=True).distinct().order_by("username"))
    return {
        "ticket": ticket,
        "ticket_messages": list(ticket_messages(ticket, user)),
        "history": list(TicketStatusChange.objects.filter(ticket=ticket).select_related("actor").order_by("at", "id")),
        "may_work": may_work,
        "may_claim": bool(may_work and active and ticket.assignee_id is None and not user.has_perm(MANAGE)),
        "may_post": may_work and ticket.status != Ticket.Status.CLOSED,
        "may_see_internal": user.has_perm(VIEW_INTERNAL),
        "transitions": available_transitions(ticket, user) if may_work else [],
        "agents": agents,
    }
