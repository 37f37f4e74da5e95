"""KYC applications, their documents, automatic check results and history.

A ``KycApplication`` reviews one customer: at onboarding (``kind=onboarding``) or when their
periodic review date has passed (``kind=periodic_review``, opened by the daily task). Its
``status`` is a protected state machine::

    draft -> submitted -> in_review -> approved
                             |   \\-> rejected
                             v
              information_requested -> resubmitted -> in_review

The transitions change fields only; ``services`` lock the row, check who may act, fire the
transition and write the history row and the audit event.

Who may act (``kyc_may_act``): a compliance officer (``kyc.supervise_kycapplication``) on any
application; a reviewer (``kyc.review_kycapplication``) only on the applications whose guardian
object permission ``review_kycapplication`` they hold, which ``services.application_assign``
gives to the assignee (and moves on reassignment). Preparing an application (create, upload,
submit, resubmit) is the onboarding side's: ``kyc.add_kycapplication``.

A high-risk application needs two approvals: the first (assignee or officer) is recorded in
``first_approval_by/at``; a compliance officer who is not the first approver gives the second,
which fires ``approve``. The database refuses a high-risk approval without two distinct approvers.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage, storages
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.accounts.models import Product
from core_banking.common.history import append_only_triggers
from core_banking.customers.models import Customer

VIEW = "kyc.view_kycapplication"
ADD = "kyc.add_kycapplication"
REVIEW = "kyc.review_kycapplication"
SUPERVISE = "kyc.supervise_kycapplication"
ASSIGN = "kyc.assign_kycapplication"
VIEW_DOCUMENT = "kyc.view_kycdocument"
ADD_DOCUMENT = "kyc.add_kycdocument"
OBJECT_PERM = "review_kycapplication"  # the guardian object permission on one application

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DOCUMENT_CONTENT_TYPES = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}

def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def kyc_may_act(application: KycApplication, user) -> bool:
    """May ``user`` review ``application`` (start, request information, approve, reject)?
    Compliance officers on any; reviewers on the ones assigned to them (guardian)."""
    if not _active(user):
        return False
    if user.has_perm(SUPERVISE):
        return True
    return user.has_perm(REVIEW) and user.has_perm(REVIEW, application)


def kyc_may_prepare(application: KycApplication, user) -> bool:
    """May ``user`` submit or resubmit (the onboarding side, or whoever may review it)?"""
    return _active(user) and (user.has_perm(ADD) or kyc_may_act(application, user))


def kyc_may_see_documents(application: KycApplication, user) -> bool:
    """Documents are for ``kyc.view_kycdocument`` holders who also assign or review this application."""
    if not _active(user) or not user.has_perm(VIEW_DOCUMENT):
        return False
    return user.has_perm(ASSIGN) or kyc_may_act(application, user)


class RiskRating(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class RejectionReason(models.TextChoices):
    DOCUMENTS_INVALID = "documents_invalid", "Documents invalid or forged"
    IDENTITY_NOT_VERIFIED = "identity_not_verified", "Identity could not be verified"
    SCREENING_MATCH = "screening_match", "Sanctions or PEP screening match"
    RISK_APPETITE = "risk_appetite", "Outside the bank's risk appetite"
    INFORMATION_NOT_PROVIDED = "information_not_provided", "Requested information not provided"
    UNDERAGE = "underage", "Customer under 18"
    FRAUD_SUSPECTED = "fraud_suspected", "Fraud suspected"
    OTHER = "other", "Other"


class KycApplication(FSMModelMixin, models.Model):
    class Kind(models.TextChoices):
        ONBOARDING = "onboarding", "Onboarding"
        PERIODIC_REVIEW = "periodic_review", "Periodic review"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        INFORMATION_REQUESTED = "information_requested", "Information requested"
        RESUBMITTED = "resubmitted", "Resubmitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    OPEN_STATES = [Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.INFORMATION_REQUESTED,
                   Status.RESUBMITTED]
    DECIDED_STATES = [Status.APPROVED, Status.REJECTED]

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="kyc_applications")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ONBOARDING)
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    product_kind = models.CharField(max_length=12, choices=Product.Kind.choices, blank=True,
                                    help_text="The product the customer asks for (a risk factor).")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="assigned_kyc_applications")
    # The risk score, computed at (re)submission from the checks and the screening (scoring.py).
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    risk_rating = models.CharField(max_length=6, choices=RiskRating.choices, blank=True)
    risk_factors = models.JSONField(default=dict, blank=True)
    screening_outcome = models.CharField(max_length=16, blank=True)
    check_run = models.PositiveSmallIntegerField(default=0, help_text="How many times the checks ran.")
    status_reason = models.CharField(max_length=500, blank=True)
    rejection_reason_code = models.CharField(max_length=32, choices=RejectionReason.choices, blank=True)
    first_approval_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    first_approval_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    next_review_date = models.DateField(null=True, blank=True, help_text="Set on approval from the rating.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "KYC application"
        permissions = [
            ("review_kycapplication", "Can review KYC applications assigned to them"),
            ("supervise_kycapplication", "Can act on any KYC application and give second approvals"),
            ("assign_kycapplication", "Can assign KYC applications to reviewers"),
        ]
        indexes = [
            models.Index(fields=["assignee", "status"], name="kyc_app_assignee_status"),
            models.Index(fields=["customer", "-created_at"], name="kyc_app_customer_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=[
                "draft", "submitted", "in_review", "information_requested", "resubmitted", "approved", "rejected"]),
                name="kyc_app_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=["onboarding", "periodic_review"]), name="kyc_app_kind_valid"),
            models.CheckConstraint(condition=Q(risk_rating__in=["", "low", "medium", "high"]),
                                   name="kyc_app_risk_rating_valid"),
            models.CheckConstraint(
                condition=~Q(status="approved") | (Q(decided_at__isnull=False) & Q(decided_by__isnull=False)
                                                   & ~Q(risk_rating="")),
                name="kyc_app_approved_is_decided"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | (Q(decided_at__isnull=False) & ~Q(rejection_reason_code="")),
                name="kyc_app_rejected_has_reason"),
            models.CheckConstraint(condition=Q(status="rejected") | Q(rejection_reason_code=""),
                                   name="kyc_app_reason_code_only_rejected"),
            models.CheckConstraint(condition=Q(status="draft") | Q(submitted_at__isnull=False),
                                   name="kyc_app_submitted_has_time"),
            models.CheckConstraint(
                condition=Q(first_approval_by__isnull=True, first_approval_at__isnull=True)
                | Q(first_approval_by__isnull=False, first_approval_at__isnull=False),
                name="kyc_app_first_approval_pair"),
            models.CheckConstraint(
                condition=~Q(status="approved", risk_rating="high")
                | (Q(first_approval_by__isnull=False) & ~Q(first_approval_by=F("decided_by"))),
                name="kyc_app_high_risk_four_eyes"),
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status__in=[
                    "draft", "submitted", "in_review", "information_requested", "resubmitted"]),
                name="kyc_app_one_open_per_customer"),
        ]

    def __str__(self) -> str:
        return f"KYC-{self.pk} {self.get_kind_display()} ({self.status})"

    # --- lifecycle (fields only; services lock, check, record) ---------------------------------

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED, permission=kyc_may_prepare)
    def submit(self, *, at) -> None:
        self.submitted_at = at

    @transition(field=status, source=[Status.SUBMITTED, Status.RESUBMITTED], target=Status.IN_REVIEW,
                permission=kyc_may_act)
    def start_review(self) -> None:
        pass

    @transition(field=status, source=Status.IN_REVIEW, target=Status.INFORMATION_REQUESTED, permission=kyc_may_act)
    def request_information(self) -> None:
        self.first_approval_by, self.first_approval_at = None, None

    @transition(field=status, source=Status.INFORMATION_REQUESTED, target=Status.RESUBMITTED,
                permission=kyc_may_prepare)
    def resubmit(self, *, at) -> None:
        self.submitted_at = at

    @transition(field=status, source=Status.IN_REVIEW, target=Status.APPROVED, permission=kyc_may_act)
    def approve(self, *, by, at, next_review_date) -> None:
        self.decided_by, self.decided_at, self.next_review_date = by, at, next_review_date

    @transition(field=status, source=[Status.IN_REVIEW, Status.INFORMATION_REQUESTED], target=Status.REJECTED,
                permission=kyc_may_act)
    def reject(self, *, by, at, reason_code) -> None:
        self.decided_by, self.decided_at, self.rejection_reason_code = by, at, reason_code


def kyc_storage():
    """Where documents are stored: the ``kyc`` storage alias when configured (a private location,
    never under MEDIA_URL), else the default storage under ``kyc-private/``."""
    return storages["kyc"] if "kyc" in settings.STORAGES else default_storage


def document_path(document: KycDocument, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    return f"kyc-private/{document.application_id}/{uuid.uuid4().hex}{suffix}"


class KycDocument(models.Model):
    class Type(models.TextChoices):
        PASSPORT = "passport", "Passport"
        ID_CARD = "id_card", "National identity card"
        DRIVING_LICENCE = "driving_licence", "Driving licence"
        PROOF_OF_ADDRESS = "proof_of_address", "Proof of address"
        COMPANY_REGISTRATION = "company_registration", "Company registration extract"
        UBO_DECLARATION = "ubo_declaration", "Beneficial ownership (UBO) declaration"
        SOURCE_OF_FUNDS = "source_of_funds", "Source of funds evidence"
        OTHER = "other", "Other"

    IDENTITY_TYPES = (Type.PASSPORT, Type.ID_CARD, Type.DRIVING_LICENCE)

    application = models.ForeignKey(KycApplication, on_delete=models.PROTECT, related_name="documents")
    type = models.CharField(max_length=24, choices=Type.choices)
    file = models.FileField(upload_to=document_path, storage=kyc_storage, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=32)
    expiry_date = models.DateField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["application", "id"]
        verbose_name = "KYC document"
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0) & Q(size__lte=MAX_DOCUMENT_BYTES),
                                   name="kyc_document_size_range"),
            models.CheckConstraint(condition=Q(content_type__in=list(DOCUMENT_CONTENT_TYPES)),
                                   name="kyc_document_content_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.original_name})"


class KycCheckResult(models.Model):
    """One automatic check's outcome in one run (each (re)submission is a run). Append-only."""

    class Outcome(models.TextChoices):
        PASS = "pass", "Pass"
        WARN = "warn", "Warning"
        FAIL = "fail", "Fail"

    application = models.ForeignKey(KycApplication, on_delete=models.PROTECT, related_name="check_results")
    run = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40)
    outcome = models.CharField(max_length=4, choices=Outcome.choices)
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["application", "run", "id"]
        verbose_name = "KYC check result"
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=["pass", "warn", "fail"]), name="kyc_check_outcome_valid"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.code}: {self.outcome}"


class KycHistory(models.Model):
    """The application's own history: each transition, assignment and first approval. Append-only."""

    application = models.ForeignKey(KycApplication, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=24)
    to_status = models.CharField(max_length=24)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["application", "id"]
        verbose_name = "KYC history entry"
        verbose_name_plural = "KYC history"
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"KYC-{self.application_id}: {self.action.replace('_', ' ')} ({self.from_status} → {self.to_status})"
