"""Support tickets: teams, categories with their SLAs, tickets, messages and each ticket's history.

A ``Ticket`` is about one customer and may point at one of that customer's accounts, one of their
payments or a ledger entry that touched one of their accounts. Its ``status`` is a protected
state machine (``new``, ``open``, ``waiting_on_customer``, ``resolved``, ``closed``; ``reopen``
goes back to ``open``). The transitions only change fields; ``services.ticket_transition`` locks
the row, checks who may act, fires the transition and writes the history row and the audit event.

Who may act on a ticket (``ticket_may_work``): a holder of ``tickets.manage_ticket`` (supervisors:
operations, administrators) on any ticket; otherwise a holder of ``tickets.work_ticket`` (the
support agent's capability) only on a ticket whose guardian object permission ``work_ticket`` they
hold, given to the assignee and to the permission group of the ticket's team
(``services.ticket_assign`` moves it).

The SLA due times are fixed when the ticket is created, from its category's ``CategorySla`` row
for its priority. ``services.escalate_breaches`` flags late tickets.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.accounts.models import Account
from core_banking.common.history import append_only_triggers
from core_banking.customers.models import Customer
from core_banking.ledger.models import JournalEntry
from core_banking.payments.models import Payment

WORK = "tickets.work_ticket"
MANAGE = "tickets.manage_ticket"
VIEW_INTERNAL = "tickets.view_internal_note"

class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Team(models.Model):
    """A support team. Its ``group`` (created with it, kept in step with ``members`` by
    ``signals``) holds the guardian object permissions on the team's tickets."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=500, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="ticket_teams")
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="ticket_team", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive categories take no new tickets.")

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CategorySla(models.Model):
    """How quickly a ticket of this category and priority gets its first reply and its resolution."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="slas")
    priority = models.CharField(max_length=8, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(help_text="Minutes to the first customer-visible reply.")
    resolution_minutes = models.PositiveIntegerField(help_text="Minutes to resolution.")

    class Meta:
        ordering = ["category", "priority"]
        verbose_name = "category SLA"
        verbose_name_plural = "category SLAs"
        constraints = [
            models.UniqueConstraint(fields=["category", "priority"], name="tickets_sla_one_per_priority"),
            models.CheckConstraint(
                condition=Q(response_minutes__gt=0) & Q(resolution_minutes__gte=models.F("response_minutes")),
                name="tickets_sla_minutes",
            ),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="tickets_sla_priority_valid"),
        ]

    def __str__(self) -> str:
        return (f"{self.category.code}, {self.priority} priority: reply within {self.response_minutes} min, resolve "
                f"within {self.resolution_minutes} min")


class TicketNumber(models.Model):
    """The sequence ticket numbers are drawn from (its id), the same on PostgreSQL and SQLite."""

    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"T{self.pk:08d}"


def ticket_may_work(ticket: Ticket, user) -> bool:
    """May ``user`` act on ``ticket`` (transitions, messages)? Supervisors on any ticket; agents on
    the tickets whose ``work_ticket`` object permission they hold (assignee or team member)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_perm(MANAGE):
        return True
    return user.has_perm(WORK) and user.has_perm(WORK, ticket)


class Ticket(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    ACTIVE_STATES = [Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER]

    number = models.CharField(max_length=16, unique=True, editable=False)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tickets")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = FSMField(default=Status.NEW, choices=Status.choices, protected=True, db_index=True)
    # What the ticket is about: a customer, and optionally one of their accounts, payments or entries.
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    journal_entry = models.ForeignKey(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    # Who works on it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    # SLA: fixed at creation from the category's SLA for the priority.
    response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    response_breached = models.BooleanField(default=False)
    resolution_breached = models.BooleanField(default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("work_ticket", "Can work on tickets assigned to them or their team"),
            ("manage_ticket", "Can assign tickets and act on any ticket"),
            ("view_internal_note", "Can read internal notes on tickets"),
        ]
        indexes = [
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["team", "status"], name="ticket_team_status"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_time"),
            models.Index(fields=["status", "response_due_at"], name="ticket_status_response_due"),
            models.Index(fields=["status", "resolution_due_at"], name="ticket_status_resolution_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["new", "open", "waiting_on_customer", "resolved", "closed"]),
                name="ticket_status_valid",
            ),
            models.CheckConstraint(condition=Q(priority__in=Priority.values), name="ticket_priority_valid"),
            models.CheckConstraint(condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                                   name="ticket_resolved_has_time"),
            models.CheckConstraint(condition=~Q(status="closed") | Q(closed_at__isnull=False),
                                   name="ticket_closed_has_time"),
            models.CheckConstraint(condition=Q(resolution_due_at__gte=models.F("response_due_at")),
                                   name="ticket_due_times_ordered"),
            models.CheckConstraint(condition=Q(escalation_level__lte=2), name="ticket_escalation_level_range"),
            models.CheckConstraint(
                condition=Q(escalation_level__gte=models.Case(
                    models.When(Q(response_breached=True) & Q(resolution_breached=True), then=2),
                    models.When(Q(response_breached=True) | Q(resolution_breached=True), then=1),
                    default=0, output_field=models.PositiveSmallIntegerField())),
                name="ticket_escalation_covers_breaches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def due_at(self):
        """The next SLA due time: the first response until there is one, then the resolution."""
        return self.response_due_at if self.first_response_at is None else self.resolution_due_at

    # --- lifecycle (fields only; services lock, check, record) --------------------------------
    # Each transition names ticket_may_work as its permission, so django-fsm's
    # get_available_user_status_transitions(user) lists exactly what a user may fire.

    @transition(field=status, source=Status.NEW, target=Status.OPEN, permission=ticket_may_work)
    def open(self) -> None:
        pass

    @transition(field=status, source=Status.OPEN, target=Status.WAITING_ON_CUSTOMER, permission=ticket_may_work)
    def wait_on_customer(self) -> None:
        pass

    @transition(field=status, source=Status.WAITING_ON_CUSTOMER, target=Status.OPEN, permission=ticket_may_work)
    def resume(self) -> None:
        pass

    @transition(field=status, source=ACTIVE_STATES, target=Status.RESOLVED, permission=ticket_may_work)
    def resolve(self, *, at) -> None:
        self.resolved_at = at

    @transition(field=status, source=[*ACTIVE_STATES, Status.RESOLVED], target=Status.CLOSED,
                permission=ticket_may_work)
    def close(self, *, at) -> None:
        self.closed_at = at

    @transition(field=status, source=[Status.RESOLVED, Status.CLOSED], target=Status.OPEN,
                permission=ticket_may_work)
    def reopen(self) -> None:
        self.resolved_at = None
        self.closed_at = None


class TicketMessage(models.Model):
    """A message on a ticket; append-only (a trigger refuses UPDATE and DELETE on PostgreSQL).
    Internal notes are for staff only; customer replies are what the customer sees."""

    class Visibility(models.TextChoices):
        INTERNAL_NOTE = "internal_note", "Internal note"
        CUSTOMER_REPLY = "customer_reply", "Customer reply"

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField()
    visibility = models.CharField(max_length=16, choices=Visibility.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["ticket", "id"]
        indexes = [models.Index(fields=["ticket", "visibility"], name="ticket_message_visibility")]
        constraints = [
            models.CheckConstraint(condition=Q(visibility__in=["internal_note", "customer_reply"]),
                                   name="ticket_message_visibility_valid"),
            models.CheckConstraint(condition=~Q(body=""), name="ticket_message_body_not_empty"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        kind = "Internal note" if self.visibility == "internal_note" else "Reply to the customer"
        return f"{kind} {self.pk} on ticket T{self.ticket_id:08d}"


class TicketStatusChange(models.Model):
    """The ticket's own history, one row per event: each transition (from, to), and the
    assignments and SLA escalations (``from_status`` = ``to_status``). Append-only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="status_changes")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["ticket", "id"]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"Ticket T{self.ticket_id:08d}: {self.action.replace('_', ' ')} ({self.from_status} → {self.to_status})"
