"""Compliance alerts and the cases they group into.

* ``Alert``: one finding about one customer by one rule: transaction monitoring
  (``source=monitoring``, a rule code and the rule *version* that fired, the facts it saw, the
  payment it is about) or sanctions/PEP screening (``source=screening``, the list entry matched,
  the score and the evidence). ``dedup_key`` is unique per source: the same payment firing the
  same rule twice, or the same customer matching the same list entry again, is one alert.
  A reviewer decides each alert: ``cleared`` (a false positive) or ``confirmed``.
* ``Case``: the alerts of one customer under investigation. A new alert joins the customer's
  case that is still open (``open``, ``investigating``, ``escalated``) or opens a new one. Its
  status is a protected state machine:
  ``open -> investigating -> escalated``, ``open|investigating|escalated -> closed_no_action``,
  ``investigating|escalated -> reported`` (a suspicious activity report went to the regulator).
  Every transition writes a ``CaseStatusChange`` row (append-only) and an audit event.
* ``CaseNote``: the investigation's notes, append-only.

``score`` (0-100) is the highest score of the case's alerts; ``due_at`` the SLA (from
``COMPLIANCE_CASE_SLA_HOURS`` by score band) when the case opened.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.common.history import StatusHistory, append_only_triggers
from core_banking.customers.models import Customer
from core_banking.payments.models import Payment

OPEN_STATES = ("open", "investigating", "escalated")


class Alert(models.Model):
    class Source(models.TextChoices):
        MONITORING = "monitoring", "Transaction monitoring"
        SCREENING = "screening", "Sanctions and PEP screening"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLEARED = "cleared", "Cleared (false positive)"
        CONFIRMED = "confirmed", "Confirmed"

    case = models.ForeignKey("Case", on_delete=models.PROTECT, related_name="alerts")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="compliance_alerts")
    source = models.CharField(max_length=12, choices=Source.choices)
    rule_code = models.CharField(max_length=64, help_text="The monitoring rule or the screening list.")
    rule_version = models.PositiveIntegerField(default=1, help_text="The version of the rule that fired.")
    score = models.PositiveSmallIntegerField(help_text="0-100.")
    summary = models.CharField(max_length=500)
    facts = models.JSONField(default=dict, blank=True, help_text="What the rule saw / the screening evidence.")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="compliance_alerts")
    dedup_key = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="compliance_alert_queue"),
                   models.Index(fields=["customer", "created_at"], name="compliance_alert_customer")]
        constraints = [
            models.UniqueConstraint(fields=["source", "dedup_key"], name="compliance_alert_dedup"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="compliance_alert_score_0_100"),
            models.CheckConstraint(condition=Q(source__in=["monitoring", "screening"]),
                                   name="compliance_alert_source_valid"),
            models.CheckConstraint(condition=Q(status__in=["open", "cleared", "confirmed"]),
                                   name="compliance_alert_status_valid"),
            models.CheckConstraint(condition=Q(status="open") | (Q(decided_at__isnull=False) & ~Q(decision_note="")),
                                   name="compliance_alert_decision_recorded"),
        ]

    def __str__(self) -> str:
        return f"{self.source}/{self.rule_code} v{self.rule_version} on {self.customer_id} ({self.status})"


class Case(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        ESCALATED = "escalated", "Escalated"
        CLOSED_NO_ACTION = "closed_no_action", "Closed with no action"
        REPORTED = "reported", "Reported to the regulator"

    number = models.CharField(max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="compliance_cases")
    status = FSMField(default=Status.OPEN, choices=Status.choices, protected=True, db_index=True)
    score = models.PositiveSmallIntegerField(default=0)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="compliance_cases")
    opened_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(help_text="The SLA: decided by then.")
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True, help_text="Why it was closed or reported.")

    class Meta:
        ordering = ["due_at", "-score"]
        permissions = [
            ("work_case", "Can investigate and decide a compliance case (object permission when assigned)"),
            ("manage_case", "Can assign, escalate and close any compliance case"),
            ("report_case", "Can file a suspicious activity report"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="compliance_case_score_0_100"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "investigating", "escalated", "closed_no_action", "reported"]),
                name="compliance_case_status_valid"),
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATES) | (Q(closed_at__isnull=False) & ~Q(resolution="")),
                name="compliance_case_closed_has_resolution"),
            # One case under investigation per customer at a time: new alerts join it.
            models.UniqueConstraint(fields=["customer"], condition=Q(status__in=OPEN_STATES),
                                    name="compliance_case_one_open_per_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"

    @transition(field=status, source=Status.OPEN, target=Status.INVESTIGATING)
    def investigate(self) -> None:
        pass

    @transition(field=status, source=[Status.OPEN, Status.INVESTIGATING], target=Status.ESCALATED)
    def escalate(self) -> None:
        pass

    @transition(field=status, source=list(OPEN_STATES), target=Status.CLOSED_NO_ACTION)
    def close_no_action(self) -> None:
        pass

    @transition(field=status, source=[Status.INVESTIGATING, Status.ESCALATED], target=Status.REPORTED)
    def report(self) -> None:
        pass


class CaseStatusChange(StatusHistory):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=32)

    class Meta(StatusHistory.Meta):
        triggers = append_only_triggers()


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        triggers = append_only_triggers()
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="compliance_note_not_empty")]
