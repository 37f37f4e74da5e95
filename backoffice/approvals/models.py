"""Maker-checker: policies per action type, approval requests, their decisions and history.

An ``ApprovalRequest`` asks for one sensitive action (``registry.ACTION_TYPES``) with a payload.
Its ``status`` is a protected state machine: ``pending`` -> ``approved`` (enough approvals) ->
``executed`` (the action's service ran); ``pending`` -> ``rejected`` / ``cancelled`` /
``expired``. An approved request whose execution failed stays ``approved`` with the error in
``execution_error`` until it is retried. The transitions change fields only; ``services`` lock
the row, check who may act, fire them and write the history row and the audit event.

"The same action cannot be pending twice" holds in the database: a partial unique index on
(``action_type``, ``target_key``) where ``status = 'pending'``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.common.history import append_only_triggers

AMOUNT = {"max_digits": 38, "decimal_places": 18}

VIEW = "approvals.view_approvalrequest"
INITIATE = "approvals.add_approvalrequest"
DECIDE = "approvals.decide_approvalrequest"


class ApprovalPolicy(models.Model):
    """How one action type is approved. Created with the registry's defaults on first use
    (``services.policy_for``); administrators tune it in the admin."""

    action_type = models.CharField(max_length=32, unique=True)
    required_approvals = models.PositiveSmallIntegerField(default=1)
    initiator_roles = models.JSONField(default=list, blank=True,
                                       help_text="Role (group) names that may initiate the action.")
    checker_roles = models.JSONField(default=list, blank=True,
                                     help_text="Role (group) names that may approve or reject it.")
    threshold_amount = models.DecimalField(**AMOUNT, null=True, blank=True,
                                           help_text="Above this amount one more approval is needed.")
    threshold_currency = models.CharField(max_length=3, blank=True,
                                          help_text="The threshold's currency; an amount in another "
                                          "currency always needs the extra approval.")
    expiry_hours = models.PositiveIntegerField(default=72, help_text="A pending request expires after this.")
    exempt_below = models.DecimalField(**AMOUNT, null=True, blank=True,
                                       help_text="Below this amount (in the threshold's currency) the action needs "
                                       "no approval and executes at once. Empty: every amount needs approval.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["action_type"]
        verbose_name_plural = "approval policies"
        constraints = [
            models.CheckConstraint(condition=Q(required_approvals__gte=1) & Q(required_approvals__lte=5),
                                   name="approval_policy_required_1_5"),
            models.CheckConstraint(condition=Q(expiry_hours__gte=1), name="approval_policy_expiry_positive"),
            models.CheckConstraint(condition=Q(threshold_amount__isnull=True) | (
                Q(threshold_amount__gt=0) & ~Q(threshold_currency="")), name="approval_policy_threshold_currency"),
            models.CheckConstraint(condition=Q(exempt_below__isnull=True) | (
                Q(exempt_below__gt=0) & ~Q(threshold_currency="")), name="approval_policy_exempt_below_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.action_type}: {self.required_approvals} approval(s)"


class ApprovalRequest(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        EXECUTED = "executed", "Executed"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    action_type = models.CharField(max_length=32, db_index=True)
    payload = models.JSONField(help_text="The action's normalized parameters.")
    target_key = models.CharField(max_length=200, help_text="What the action is about (the duplicate rule).")
    summary = models.CharField(max_length=500, blank=True)
    amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    reason = models.CharField(max_length=500, blank=True, help_text="Why the maker asks for it.")
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests")
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    required_approvals = models.PositiveSmallIntegerField()
    approvals_count = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    execution_error = models.TextField(blank=True)
    execution_attempts = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    status_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("decide_approvalrequest", "Can approve or reject approval requests")]
        indexes = [
            models.Index(fields=["maker", "-created_at"], name="approval_maker_time"),
            models.Index(fields=["status", "expires_at"], name="approval_status_expires"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["action_type", "target_key"], condition=Q(status="pending"),
                                    name="approval_one_pending_per_target"),
            models.CheckConstraint(condition=Q(status__in=["pending", "approved", "executed", "rejected",
                                                           "cancelled", "expired"]),
                                   name="approval_status_valid"),
            models.CheckConstraint(condition=Q(required_approvals__gte=1), name="approval_required_positive"),
            models.CheckConstraint(condition=~Q(status="executed") | Q(executed_at__isnull=False),
                                   name="approval_executed_has_time"),
            models.CheckConstraint(condition=~Q(status__in=["approved", "executed"]) | Q(
                approvals_count__gte=models.F("required_approvals")), name="approval_approved_has_approvals"),
        ]

    def __str__(self) -> str:
        what = self.summary or self.action_type.replace("_", " ")
        return f"Request {self.pk}: {what} ({self.get_status_display().lower()})"

    # --- lifecycle (fields only; services lock, check, record) --------------------------------

    @transition(field=status, source=Status.PENDING, target=Status.APPROVED)
    def approve(self, *, at) -> None:
        self.decided_at = at

    @transition(field=status, source=Status.APPROVED, target=Status.EXECUTED)
    def mark_executed(self, *, at, result) -> None:
        self.executed_at = at
        self.result = result
        self.execution_error = ""

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED)
    def reject(self, *, at) -> None:
        self.decided_at = at

    @transition(field=status, source=Status.PENDING, target=Status.CANCELLED)
    def cancel(self, *, at) -> None:
        self.decided_at = at

    @transition(field=status, source=Status.PENDING, target=Status.EXPIRED)
    def expire(self, *, at) -> None:
        self.decided_at = at


class ApprovalDecision(models.Model):
    """One checker's decision on one request (one each). Append-only."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="decisions")
    checker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=8, choices=Decision.choices)
    comment = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["request", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "checker"], name="approval_one_decision_per_checker"),
            models.CheckConstraint(condition=Q(decision__in=["approve", "reject"]), name="approval_decision_valid"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        verb = "Approval" if self.decision == "approve" else "Rejection"
        return f"{verb} of request {self.request_id} by {self.checker}"


class ApprovalHistory(models.Model):
    """The request's own history, one row per event (transitions, execution attempts). Append-only."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=10)
    to_status = models.CharField(max_length=10)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["request", "id"]
        verbose_name_plural = "approval history"
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"Request {self.request_id}: {self.action.replace('_', ' ')} ({self.from_status} → {self.to_status})"
