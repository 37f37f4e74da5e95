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
* ``CaseAttachment``: evidence files of a case (private storage ``STORAGES["compliance"]``, never
  under MEDIA_URL; streamed only to who may work the case), with their SHA-256; append-only.
* ``SuspiciousActivityReport``: the report filed with the regulator (``docs/compliance-cases.md``):
  the JSON document exactly as filed and its SHA-256; append-only, one per case.

Who may act on a case (``case_may_work``): a holder of ``compliance_cases.manage_case`` on any
case; a holder of ``compliance_cases.work_case`` only on a case whose guardian object permission
``work_case`` they hold (``services.case_assign`` gives it to the assignee and takes it from the
previous one). Deciding an alert also needs ``compliance_cases.decide_alert``; filing a report
``compliance_cases.report_case``.

``score`` (0-100) is the highest score of the case's alerts; ``due_at`` the SLA (from
``COMPLIANCE_CASE_SLA_HOURS`` by score band) when the case opened.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.common.history import StatusHistory, append_only_triggers
from core_banking.customers.models import Customer
from core_banking.payments.models import Payment

OPEN_STATES = ("open", "investigating", "escalated")

VIEW = "compliance_cases.view_case"
VIEW_ALERT = "compliance_cases.view_alert"
WORK = "compliance_cases.work_case"
MANAGE = "compliance_cases.manage_case"
REPORT = "compliance_cases.report_case"
DECIDE = "compliance_cases.decide_alert"
VIEW_REPORT = "compliance_cases.view_suspiciousactivityreport"
OBJECT_PERM = "work_case"  # the guardian object permission on one case (codename)


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def case_may_work(case: Case, user) -> bool:
    """May ``user`` act on ``case`` (transitions, notes, attachments, alert decisions)? Managers on
    any case; workers on the cases whose ``work_case`` object permission they hold (assignee)."""
    if not _active(user):
        return False
    if user.has_perm(MANAGE):
        return True
    return user.has_perm(WORK) and user.has_perm(WORK, case)


class PaymentAction(models.TextChoices):
    RELEASED = "released", "Payment released"
    RELEASE_PENDING = "release_pending_approval", "Release awaits approval (maker-checker)"
    REJECTED = "rejected", "Payment rejected"
    NOT_HELD = "not_held", "Payment was not held for review"


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
    # What the decision did to the payment held for review (``services.alert_decide``).
    payment_action = models.CharField(max_length=24, choices=PaymentAction.choices, blank=True)
    payment_approval_request_id = models.BigIntegerField(
        null=True, blank=True, help_text="The maker-checker request the release awaits (approvals app).")

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("decide_alert", "Can clear or confirm a compliance alert")]
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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    # Each transition names case_may_work as its permission, so django-fsm's
    # get_available_user_status_transitions(user) lists what a user may fire.

    @transition(field=status, source=Status.OPEN, target=Status.INVESTIGATING, permission=case_may_work)
    def investigate(self) -> None:
        pass

    @transition(field=status, source=[Status.OPEN, Status.INVESTIGATING], target=Status.ESCALATED,
                permission=case_may_work)
    def escalate(self) -> None:
        pass

    @transition(field=status, source=list(OPEN_STATES), target=Status.CLOSED_NO_ACTION, permission=case_may_work)
    def close_no_action(self) -> None:
        pass

    @transition(field=status, source=[Status.INVESTIGATING, Status.ESCALATED], target=Status.REPORTED,
                permission=lambda case, user: case_may_work(case, user) and user.has_perm(REPORT))
    def report(self) -> None:
        pass


class CaseStatusChange(StatusHistory):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=32)

    class Meta(StatusHistory.Meta):
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"Case {self.case_id}: {self.action.replace('_', ' ')} ({self.from_status} → {self.to_status})"


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        triggers = append_only_triggers()
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="compliance_note_not_empty")]

    def __str__(self) -> str:
        return f"Note {self.pk} on case {self.case_id}"


MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_CONTENT_TYPES = {
    "application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"),
    "text/plain": (".txt",), "text/csv": (".csv",),
}


def compliance_storage():
    """The ``compliance`` storage alias when configured (a private location, never under
    MEDIA_URL), else the default storage under ``compliance-private/``."""
    return storages["compliance"] if "compliance" in settings.STORAGES else default_storage


def attachment_path(attachment: CaseAttachment, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    return f"compliance-private/{attachment.case_id}/{uuid.uuid4().hex}{suffix}"


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, storage=compliance_storage, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "id"]
        triggers = append_only_triggers()
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0) & Q(size__lte=MAX_ATTACHMENT_BYTES),
                                   name="compliance_attachment_size_range"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="compliance_attachment_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.original_name}"


class SuspiciousActivityReport(models.Model):
    """The report as filed: ``document`` is the exact JSON text sent (``services.case_report_file``),
    ``sha256`` its digest. Append-only; one per case."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="sar")
    reference = models.CharField(max_length=32, unique=True)
    document = models.TextField()
    sha256 = models.CharField(max_length=64)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = "suspicious activity report"
        triggers = append_only_triggers()
        constraints = [
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="compliance_sar_sha256"),
        ]

    def __str__(self) -> str:
        return self.reference
