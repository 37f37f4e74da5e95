"""KYC writes: creating an application, uploading documents, the review workflow, periodic reviews.

Each workflow service locks the application row, checks in the service (not only in the view)
who may act, fires the transition and writes the history row and the audit event in the same
transaction; the customer's KYC status changes only through
``core_banking.customers.services.customer_set_kyc_status``, in that same transaction.

Who may do what:

* ``application_create``, ``document_upload``: ``kyc.add_kycapplication`` / ``kyc.add_kycdocument``.
* ``submit``, ``resubmit``: ``kyc_may_prepare`` (``kyc.add_kycapplication``, or whoever may review).
* ``application_assign``: ``kyc.assign_kycapplication`` (operations, compliance officers); the
  assignee must hold ``kyc.review_kycapplication``. The guardian object permission moves with it.
* ``start_review``, ``request_information``, ``approve``, ``reject``: ``kyc_may_act``: a compliance
  officer (``kyc.supervise_kycapplication``) on any application, a reviewer only on the ones
  assigned to them (else ``not_assignee``); neither: ``permission_denied``.
* A **high-risk** approval is two-step: the first ``approve`` records ``first_approval_by/at``
  (status stays ``in_review``); the second must come from a compliance officer
  (``compliance_officer_required``) who is not the first approver (``same_approver``).

Submission and approval call the screening hook (possibly a network call) *before* locking the
row, then re-check the state under the lock. Approval is refused while screening is not clear: an
open hit waits for a compliance reviewer (``kyc_screening_unresolved``), a match or a confirmed hit
leaves only rejection (``kyc_screening_match``).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_fsm import can_proceed
from guardian.shortcuts import assign_perm, remove_perm

from core_banking.audit.services import audit_record, audit_record_many
from core_banking.common.actors import user_or_none
from core_banking.common.errors import TransitionNotAllowed
from core_banking.common.maker_checker import system_execution
from core_banking.customers import services as customers
from core_banking.customers.models import Customer

from . import checks, scoring, transitions
from . import exceptions as exc
from .events import kyc_decided
from .models import (
    ADD,
    ADD_DOCUMENT,
    ASSIGN,
    DOCUMENT_CONTENT_TYPES,
    MAX_DOCUMENT_BYTES,
    OBJECT_PERM,
    REVIEW,
    SUPERVISE,
    KycApplication,
    KycCheckResult,
    KycDocument,
    KycHistory,
    RejectionReason,
    RiskRating,
    kyc_may_act,
    kyc_may_prepare,
)

_MAGIC = {"application/pdf": (b"%PDF-",), "image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",)}


def _active_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active


def _require_reviewer(application: KycApplication, actor) -> None:
    """``permission_denied`` without a review role; ``not_assignee`` for a reviewer on someone else's case."""
    if not _active_user(actor) or not (actor.has_perm(SUPERVISE) or actor.has_perm(REVIEW)):
        raise exc.KycPermissionRefused("you may not review KYC applications (kyc.review_kycapplication)")
    if not kyc_may_act(application, actor):
        raise exc.NotAssignee(f"KYC application {application.pk} is not assigned to you",
                              application=application.pk)


def _require_preparer(application: KycApplication, actor) -> None:
    if not kyc_may_prepare(application, actor):
        raise exc.KycPermissionRefused("you may not prepare KYC applications (kyc.add_kycapplication)")


def require_may(application: KycApplication, action: str, actor) -> None:
    if transitions.BY_NAME[action].prepare:
        _require_preparer(application, actor)
    else:
        _require_reviewer(application, actor)


def _history(application: KycApplication, *, action: str, before: str, reason: str, actor, at) -> KycHistory:
    return KycHistory.objects.create(application=application, action=action, from_status=before,
                                     to_status=application.status, reason=reason[:500], actor=user_or_none(actor),
                                     at=at)


def application_lock(application_id: int) -> KycApplication:
    application = KycApplication.objects.select_for_update(of=("self",)).select_related(
        "customer", "assignee").filter(pk=application_id).first()
    if application is None:
        raise exc.ApplicationNotFound(f"KYC application {application_id} does not exist")
    return application


def _get(application_id: int) -> KycApplication:
    application = KycApplication.objects.select_related("customer", "assignee").filter(pk=application_id).first()
    if application is None:
        raise exc.ApplicationNotFound(f"KYC application {application_id} does not exist")
    return application


def _require_can(application: KycApplication, action: str) -> None:
    if not can_proceed(getattr(application, action)):
        raise TransitionNotAllowed(
            f"{transitions.BY_NAME[action].label.lower()} is not allowed for an application that is "
            f"{application.get_status_display().lower()}",
            status_from=application.status, action=action)


# --- creating and documents ------------------------------------------------------------------


@transaction.atomic
def application_create(*, customer_id: int, kind: str = KycApplication.Kind.ONBOARDING, product_kind: str = "",
                       actor=None, now: dt.datetime | None = None) -> KycApplication:
    """Open a draft application for a customer. ``actor=None`` is the system; a user needs
    ``kyc.add_kycapplication``. One open application per customer (``kyc_application_open``)."""
    if actor is not None and not (_active_user(actor) and actor.has_perm(ADD)):
        raise exc.KycPermissionRefused("you may not open KYC applications (kyc.add_kycapplication)")
    if kind not in KycApplication.Kind.values:
        raise exc.InvalidApplication(f"unknown kind {kind!r}", field="kind")
    if product_kind and product_kind not in scoring.PRODUCT_POINTS:
        raise exc.InvalidApplication(f"unknown product kind {product_kind!r}", field="product_kind")
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise exc.InvalidApplication(f"customer {customer_id} does not exist", field="customer")
    if customer.status == Customer.Status.CLOSED:
        raise exc.InvalidApplication(f"customer {customer.number} is closed", field="customer")
    if KycApplication.objects.filter(customer=customer, status__in=KycApplication.OPEN_STATES).exists():
        raise exc.ApplicationAlreadyOpen(f"customer {customer.number} already has an open KYC application",
                                         customer=customer.number)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            application = KycApplication.objects.create(customer=customer, kind=kind, product_kind=product_kind,
                                                        created_by=user_or_none(actor), created_at=now)
    except IntegrityError as error:  # a concurrent create won the race
        raise exc.ApplicationAlreadyOpen(f"customer {customer.number} already has an open KYC application",
                                         customer=customer.number) from error
    _history(application, action="create", before="", reason="created", actor=actor, at=now)
    audit_record(action="kyc.application_created", obj=application, actor=actor,
                 after={"customer": customer.number, "kind": kind, "product_kind": product_kind})
    return application


def document_validate(*, upload, type: str, expiry_date: dt.date | None) -> tuple[str, int]:
    """Type, size and content checks of an upload; returns (content type, size). The declared
    content type, the extension and the file's first bytes must agree."""
    if type not in KycDocument.Type.values:
        raise exc.InvalidDocument(f"unknown document type {type!r}", field="type")
    if type in KycDocument.IDENTITY_TYPES and expiry_date is None:
        raise exc.InvalidDocument("an identity document needs its expiry date", field="expiry_date")
    if upload is None:
        raise exc.InvalidDocument("no file was uploaded", field="file")
    size = upload.size or 0
    if size <= 0:
        raise exc.InvalidDocument("the file is empty", field="file")
    if size > MAX_DOCUMENT_BYTES:
        raise exc.DocumentTooLarge(
            f"the file is {size} bytes; at most {MAX_DOCUMENT_BYTES} bytes ({MAX_DOCUMENT_BYTES // 2**20} MB) "
            "are accepted", field="file", max_bytes=MAX_DOCUMENT_BYTES)
    name = (getattr(upload, "name", "") or "").lower()
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    by_extension = next((ct for ct, exts in DOCUMENT_CONTENT_TYPES.items() if name.endswith(exts)), None)
    if by_extension is None:
        raise exc.UnsupportedDocumentType(f"{name or 'the file'!r}: only .pdf, .png, .jpg and .jpeg files "
                                          "are accepted", field="file")
    if declared and declared not in ("application/octet-stream", by_extension):
        raise exc.UnsupportedDocumentType(f"the file is declared as {declared!r} but named {name!r}", field="file")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(_MAGIC[by_extension]):
        raise exc.UnsupportedDocumentType(f"the content of {name!r} is not a {by_extension} file", field="file")
    return by_extension, size


@transaction.atomic
def document_upload(*, application_id: int, type: str, upload, expiry_date: dt.date | None = None, actor,
                    now: dt.datetime | None = None) -> KycDocument:
    """Attach a document (PDF, PNG or JPEG, at most 10 MB) to a draft application or one whose
    information was requested. Stored through the storage API under a private path."""
    if not (_active_user(actor) and actor.has_perm(ADD_DOCUMENT)):
        raise exc.KycPermissionRefused("you may not upload KYC documents (kyc.add_kycdocument)")
    application = application_lock(application_id)
    if application.status not in (KycApplication.Status.DRAFT, KycApplication.Status.INFORMATION_REQUESTED):
        raise exc.ApplicationClosed(
            f"KYC application {application.pk} is {application.get_status_display().lower()}; documents are "
            "taken while it is a draft or information is requested", application_status=application.status)
    content_type, size = document_validate(upload=upload, type=type, expiry_date=expiry_date)
    now = now or timezone.now()
    original = (getattr(upload, "name", "") or "document").rsplit("/", 1)[-1][:255]
    document = KycDocument(application=application, type=type, original_name=original, size=size,
                           content_type=content_type, expiry_date=expiry_date, uploaded_by=user_or_none(actor),
                           uploaded_at=now)
    document.file.save(original, upload, save=False)
    # The file is written before the row; if writing the row fails, the file is deleted again.
    stored_name, storage = document.file.name, document.file.storage
    try:
        document.save()
        _history(application, action="document_uploaded", before=application.status,
                 reason=f"{document.get_type_display()}: {original}", actor=actor, at=now)
        audit_record(action="kyc.document_uploaded", obj=application, actor=actor, after={
            "document": document.pk, "type": type, "size": size, "content_type": content_type,
            "expiry_date": expiry_date})
    except Exception:
        storage.delete(stored_name)
        raise
    return document


# --- assigning -------------------------------------------------------------------------------


@transaction.atomic
def application_assign(*, application_id: int, assignee_id: int | None, actor, reason: str = "",
                       now: dt.datetime | None = None) -> KycApplication:
    """Assign an open application to a reviewer (``None`` unassigns). The guardian object
    permission ``review_kycapplication`` moves with the assignment."""
    if not (_active_user(actor) and actor.has_perm(ASSIGN)):
        raise exc.KycPermissionRefused("you may not assign KYC applications (kyc.assign_kycapplication)")
    application = application_lock(application_id)
    if application.status not in KycApplication.OPEN_STATES:
        raise TransitionNotAllowed(f"KYC application {application.pk} is decided; it cannot be assigned",
                                   status_from=application.status, action="assign")
    assignee = None
    if assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=assignee_id).first()
        if assignee is None or not assignee.is_active or not assignee.is_staff or not (
                assignee.has_perm(REVIEW) or assignee.has_perm(SUPERVISE)):
            raise exc.InvalidAssignee(f"user {assignee_id} is not an active member of staff who reviews KYC",
                                      assignee=assignee_id)
    if assignee_id == application.assignee_id:
        return application
    before = application.assignee.get_username() if application.assignee else None
    if application.assignee is not None:
        remove_perm(OBJECT_PERM, application.assignee, application)
    if assignee is not None:
        assign_perm(OBJECT_PERM, assignee, application)
    application.assignee = assignee
    application.save(update_fields=["assignee", "updated_at"])
    after = assignee.get_username() if assignee else None
    reason = (reason or "").strip()
    _history(application, action="assign", before=application.status, reason=reason or f"assigned to {after}",
             actor=actor, at=now or timezone.now())
    audit_record(action="kyc.assigned", obj=application, before={"assignee": before}, after={"assignee": after},
                 changes=["assignee"], reason=reason, actor=actor)
    return application


# --- submission and the checks ---------------------------------------------------------------


def _risk_input(application: KycApplication, screened: list[checks.Screened]) -> scoring.RiskInput:
    customer = application.customer
    countries = [customer.country]
    if customer.type == Customer.Type.BUSINESS:
        for owner in checks.beneficial_owners(customer):
            countries += [owner.nationality, owner.country_of_residence]
    activity = customer.occupation if customer.type == Customer.Type.PERSON else customer.industry
    return scoring.RiskInput(customer_type=customer.type, countries=tuple(c for c in countries if c),
                             product_kind=application.product_kind, activity=activity,
                             screening_outcome=checks.screening.worst(s.result.outcome for s in screened))


def _submit(*, application_id: int, action: str, actor, now: dt.datetime | None) -> KycApplication:
    # Outside the lock: who may act and from which state (cheap refusals), then the screening.
    application = _get(application_id)
    require_may(application, action, actor)
    _require_can(application, action)
    screened = checks.gather_screening(application.customer)
    with transaction.atomic():
        application = application_lock(application_id)
        require_may(application, action, actor)
        _require_can(application, action)
        now = now or timezone.now()
        today = timezone.localdate(now)
        outcomes = checks.run_checks(application, screened=screened, today=today)
        risk_input = _risk_input(application, screened)
        risk = scoring.score(risk_input)
        application.check_run += 1
        KycCheckResult.objects.bulk_create([
            KycCheckResult(application=application, run=application.check_run, code=o.code, outcome=o.outcome,
                           detail=o.detail[:500], at=now) for o in outcomes])
        before = application.status
        getattr(application, action)(at=now)
        application.risk_score, application.risk_rating, application.risk_factors = risk.score, risk.rating, \
            risk.factors
        application.screening_outcome = risk_input.screening_outcome
        application.status_reason = ""
        application.save()
        failed = [o.code for o in outcomes if o.outcome == KycCheckResult.Outcome.FAIL]
        _history(application, action=action, before=before,
                 reason=f"checks: {len(outcomes) - len(failed)} passed or warned, {len(failed)} failed", actor=actor,
                 at=now)
        audit_record(action=transitions.BY_NAME[action].audit_action, obj=application, actor=actor,
                     before={"status": before},
                     after={"status": application.status, "risk_score": risk.score, "risk_rating": risk.rating,
                            "failed_checks": failed}, changes=["status", "risk_score", "risk_rating"])
        if application.kind == KycApplication.Kind.ONBOARDING and \
                application.customer.kyc_status != Customer.KycStatus.PENDING:
            with system_execution():  # the review workflow's own step, not an override
                customers.customer_set_kyc_status(customer_id=application.customer_id,
                                                  status=Customer.KycStatus.PENDING, actor=actor,
                                                  reason=f"KYC application {application.pk} submitted")
    return application


def application_submit(*, application_id: int, actor, now: dt.datetime | None = None) -> KycApplication:
    """Submit a draft: run the automatic checks and the risk score; the customer's KYC status
    becomes ``pending`` (onboarding; a periodic review leaves the current status until decided)."""
    return _submit(application_id=application_id, action="submit", actor=actor, now=now)


def application_resubmit(*, application_id: int, actor, now: dt.datetime | None = None) -> KycApplication:
    """Resubmit after information was requested: the checks and the score run again."""
    return _submit(application_id=application_id, action="resubmit", actor=actor, now=now)


# --- the review ------------------------------------------------------------------------------


def latest_failed_checks(application: KycApplication) -> list[str]:
    return list(application.check_results.filter(run=application.check_run, outcome=KycCheckResult.Outcome.FAIL)
                .values_list("code", flat=True))


@transaction.atomic
def application_start_review(*, application_id: int, actor, reason: str = "",
                             now: dt.datetime | None = None) -> KycApplication:
    return _simple(application_id=application_id, action="start_review", actor=actor, reason=reason, now=now)


@transaction.atomic
def application_request_information(*, application_id: int, actor, reason: str,
                                    now: dt.datetime | None = None) -> KycApplication:
    """Ask for more information or documents (``reason`` says what); any first approval lapses."""
    return _simple(application_id=application_id, action="request_information", actor=actor, reason=reason, now=now)


def _simple(*, application_id: int, action: str, actor, reason: str, now) -> KycApplication:
    application = application_lock(application_id)
    require_may(application, action, actor)
    _require_can(application, action)
    spec = transitions.BY_NAME[action]
    reason = (reason or "").strip()
    if spec.reason_required and not reason:
        raise exc.ReasonRequired(f"{spec.label.lower()} needs a reason", action=action)
    now = now or timezone.now()
    before = application.status
    getattr(application, action)()
    application.status_reason = reason[:500]
    application.save()
    _history(application, action=action, before=before, reason=reason, actor=actor, at=now)
    audit_record(action=spec.audit_action, obj=application, before={"status": before},
                 after={"status": application.status}, changes=["status"], reason=reason, actor=actor)
    return application


def second_approval_needed(application: KycApplication) -> bool:
    return application.risk_rating == RiskRating.HIGH


def may_approve_now(application: KycApplication, user) -> bool:
    """For the list of available actions: may ``user`` give the approval that is due?"""
    if not second_approval_needed(application) or application.first_approval_by_id is None:
        return True
    return user.pk != application.first_approval_by_id and user.has_perm(SUPERVISE)


def require_screening_resolved(application: KycApplication) -> None:
    """Screen the customer (and each beneficial owner) again and refuse while anything is not
    clear: an open possible match waits for a compliance reviewer's decision
    (``kyc_screening_unresolved``); a match, or a hit a reviewer confirmed, leaves only rejection
    (``kyc_screening_match``). A hit cleared by a reviewer no longer counts. Screening again, not
    reading the submission's result, also catches a list updated since the submission."""
    screened = checks.gather_screening(application.customer)
    subjects = [{"reference": s.subject.reference, "name": s.subject.name, "outcome": s.result.outcome,
                 "detail": s.result.detail} for s in screened if s.result.outcome != checks.screening.CLEAR]
    if not subjects:
        return
    names = "; ".join(f"{s['name']} ({s['outcome']})" for s in subjects)
    if any(s["outcome"] == checks.screening.MATCH for s in subjects):
        raise exc.ScreeningMatch(f"sanctions/PEP screening found a match: {names}", subjects=subjects)
    raise exc.ScreeningUnresolved(f"a screening hit awaits a compliance reviewer's decision: {names}",
                                  subjects=subjects)


def application_approve(*, application_id: int, actor, reason: str = "",
                        now: dt.datetime | None = None) -> KycApplication:
    """Approve. For a high-risk application the first call records the first approval and the
    second, by a different compliance officer, approves. Approval sets the customer's KYC status,
    risk rating and next review date (from the rating's review interval).

    Both approvals need the screening resolved (``require_screening_resolved``): it runs before
    the row is locked, as at submission (the hook may call a provider)."""
    application = _get(application_id)
    require_may(application, "approve", actor)
    _require_can(application, "approve")
    require_screening_resolved(application)
    return _approve(application_id=application_id, actor=actor, reason=reason, now=now)


@transaction.atomic
def _approve(*, application_id: int, actor, reason: str, now: dt.datetime | None) -> KycApplication:
    application = application_lock(application_id)
    require_may(application, "approve", actor)
    _require_can(application, "approve")
    failed = latest_failed_checks(application)
    if failed:
        raise exc.ChecksFailed(f"automatic checks failed: {', '.join(failed)}", failed_checks=failed)
    reason = (reason or "").strip()
    now = now or timezone.now()
    if second_approval_needed(application):
        if application.first_approval_by_id is None:
            application.first_approval_by, application.first_approval_at = actor, now
            application.save(update_fields=["first_approval_by", "first_approval_at", "updated_at"])
            _history(application, action="first_approval", before=application.status,
                     reason=reason or "high risk: a compliance officer must give the second approval", actor=actor,
                     at=now)
            audit_record(action="kyc.first_approval", obj=application, actor=actor, reason=reason,
                         after={"first_approval_by": actor.get_username(), "risk_rating": application.risk_rating})
            return application
        if application.first_approval_by_id == actor.pk:
            raise exc.SameApprover("you gave the first approval; another compliance officer must give the second")
        if not actor.has_perm(SUPERVISE):
            raise exc.ComplianceOfficerRequired(
                "this high-risk application needs its second approval from a compliance officer")
    before = application.status
    rating = application.risk_rating
    next_review = scoring.next_review_date(rating, from_date=timezone.localdate(now))
    application.approve(by=actor, at=now, next_review_date=next_review)
    application.status_reason = reason[:500]
    application.save()
    _history(application, action="approve", before=before, reason=reason, actor=actor, at=now)
    audit_record(action="kyc.approved", obj=application, before={"status": before}, reason=reason, actor=actor,
                 after={"status": application.status, "risk_rating": rating, "next_review_date": next_review},
                 changes=["status"])
    with system_execution():  # the review's decision under its own four-eyes rules, not an override
        customers.customer_set_kyc_status(customer_id=application.customer_id, status=Customer.KycStatus.APPROVED,
                                          risk_rating=rating, next_review_date=next_review, actor=actor,
                                          reason=f"KYC application {application.pk} approved")
    kyc_decided(application, "approved")
    return application


@transaction.atomic
def application_reject(*, application_id: int, reason_code: str, actor, reason: str = "",
                       now: dt.datetime | None = None) -> KycApplication:
    """Reject with a reason code (``RejectionReason``); the customer's KYC status becomes rejected."""
    application = application_lock(application_id)
    require_may(application, "reject", actor)
    _require_can(application, "reject")
    if reason_code not in RejectionReason.values:
        raise exc.InvalidReasonCode(f"unknown rejection reason code {reason_code!r}", field="reason_code")
    reason = (reason or "").strip()
    now = now or timezone.now()
    before = application.status
    application.reject(by=actor, at=now, reason_code=reason_code)
    application.status_reason = reason[:500]
    application.save()
    _history(application, action="reject", before=before, reason=f"{reason_code}: {reason}".rstrip(": "),
             actor=actor, at=now)
    audit_record(action="kyc.rejected", obj=application, before={"status": before}, reason=reason, actor=actor,
                 after={"status": application.status, "reason_code": reason_code}, changes=["status"])
    with system_execution():  # the review's decision, not an override
        customers.customer_set_kyc_status(customer_id=application.customer_id, status=Customer.KycStatus.REJECTED,
                                          actor=actor,
                                          reason=f"KYC application {application.pk} rejected: {reason_code}")
    kyc_decided(application, "rejected")
    return application


ACTION_SERVICES = {
    "submit": application_submit,
    "start_review": application_start_review,
    "request_information": application_request_information,
    "resubmit": application_resubmit,
    "approve": application_approve,
}


def application_transition(*, application_id: int, action: str, actor, reason: str = "",
                           reason_code: str = "") -> KycApplication:
    """One entry point for the API and the admin."""
    if action == "reject":
        return application_reject(application_id=application_id, reason_code=reason_code, reason=reason,
                                  actor=actor)
    if action not in ACTION_SERVICES:
        raise exc.UnknownAction(f"unknown KYC action {action!r}", action=action)
    if transitions.BY_NAME[action].prepare:
        return ACTION_SERVICES[action](application_id=application_id, actor=actor)
    return ACTION_SERVICES[action](application_id=application_id, actor=actor, reason=reason)


# --- periodic re-review ----------------------------------------------------------------------


@transaction.atomic
def open_periodic_reviews(*, today: dt.date | None = None) -> int:
    """Open a draft ``periodic_review`` application for every active, approved customer whose
    next review date has passed and who has no open application: one INSERT ... SELECT (the
    partial unique index makes a concurrent or repeated run a no-op), then one INSERT each for
    the history rows and the audit events. Returns how many were opened."""
    today = today or timezone.localdate()
    now = timezone.now()
    app_table = connection.ops.quote_name(KycApplication._meta.db_table)
    customer_table = connection.ops.quote_name(Customer._meta.db_table)
    open_states = list(KycApplication.OPEN_STATES)
    marks = ", ".join(["%s"] * len(open_states))
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {app_table} (customer_id, kind, status, product_kind, risk_rating, risk_factors, "  # noqa: S608
            f"screening_outcome, check_run, status_reason, rejection_reason_code, created_at, updated_at) "
            f"SELECT c.id, %s, %s, '', '', '{{}}', '', 0, %s, '', %s, %s FROM {customer_table} c "
            f"WHERE c.next_review_date < %s AND c.status = %s AND c.kyc_status = %s "
            f"AND NOT EXISTS (SELECT 1 FROM {app_table} a WHERE a.customer_id = c.id AND a.status IN ({marks})) "
            f"ORDER BY c.id ON CONFLICT DO NOTHING RETURNING id, customer_id",
            [KycApplication.Kind.PERIODIC_REVIEW.value, KycApplication.Status.DRAFT.value, "periodic review due",
             at, at, today, Customer.Status.ACTIVE.value, Customer.KycStatus.APPROVED.value, *open_states],
        )
        rows = cursor.fetchall()
    if not rows:
        return 0
    KycHistory.objects.bulk_create([
        KycHistory(application_id=app_id, action="create", from_status="", to_status="draft",
                   reason="periodic review due", at=now) for app_id, _customer in rows])
    audit_record_many([{
        "action": "kyc.periodic_review_opened", "object_type": KycApplication._meta.label_lower,
        "object_id": app_id, "object_repr": f"KYC-{app_id}", "after": {"customer": customer_id,
                                                                     "kind": "periodic_review"},
        "reason": f"next review date before {today.isoformat()}"} for app_id, customer_id in rows])
    return len(rows)

