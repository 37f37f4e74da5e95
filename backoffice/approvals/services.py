"""Approval writes: create, approve (and execute), reject, cancel, retry, expire.

Each service locks the request row, checks in the service (not only in the view) who may act,
fires the transition and writes the request's history row and the audit event in the same
transaction.

Who may do what:

* ``request_create``: ``approvals.add_approvalrequest`` and one of the policy's initiator roles
  (``initiation_forbidden``: a checker-only role cannot initiate).
* ``request_approve`` / ``request_reject``: ``approvals.decide_approvalrequest``, one of the
  policy's checker roles (``checker_role_required``), never the maker
  (``self_approval_forbidden``), once per checker (``already_decided``).
* ``request_cancel``: the maker only (``not_maker``).
* ``request_retry``: like approving (a checker who is not the maker), on an approved request
  whose execution failed.

When the last required approval arrives the request is approved and its action executed at once,
inside a savepoint: success -> ``executed`` with the result; a failure (a ``DomainError`` or
anything else) rolls back the action only, and the request stays ``approved`` with the error in
``execution_error``, a history row and an audit event, ready for ``request_retry``.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from backoffice.api_clients.selectors import person_of
from core_banking.audit.services import audit_record, audit_record_many
from core_banking.common.actors import user_or_none
from core_banking.common.errors import DomainError, TransitionNotAllowed
from core_banking.common.maker_checker import approved_execution

from . import exceptions as exc
from . import transitions
from .events import approval_decided
from .models import DECIDE, INITIATE, ApprovalDecision, ApprovalHistory, ApprovalPolicy, ApprovalRequest
from .registry import ACTION_TYPES, action_type_get

logger = logging.getLogger(__name__)
Status = ApprovalRequest.Status


def _roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def _require_user(actor, perm: str, what: str) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise exc.ApprovalPermissionRefused(f"you may not {what}")
    if not actor.has_perm(perm):
        raise exc.ApprovalPermissionRefused(f"you may not {what} ({perm})")


def _history(request: ApprovalRequest, *, action: str, before: str, reason: str, actor, at) -> None:
    ApprovalHistory.objects.create(request=request, action=action, from_status=before, to_status=request.status,
                                   reason=reason, actor=user_or_none(actor), at=at)
    if request.status != before and request.status != Status.PENDING:
        approval_decided([(request.pk, request.action_type, request.target_key, before, request.status)])


def _audit(request: ApprovalRequest, action: str, *, before: str | None, actor, reason: str = "",
           extra: dict[str, Any] | None = None) -> None:
    after = {"status": request.status, "action_type": request.action_type, **(extra or {})}
    audit_record(action=action, obj=request, before=None if before is None else {"status": before},
                 after=after, changes=["status"] if before is not None and before != request.status else None,
                 reason=reason, actor=actor)


# --- policies ----------------------------------------------------------------------------------


def policy_for(action_type: str) -> ApprovalPolicy:
    """The action type's policy, created with the registry's defaults on first use."""
    action = action_type_get(action_type)
    policy = ApprovalPolicy.objects.filter(action_type=action.code).first()
    if policy is None:
        with transaction.atomic():
            policy, _ = ApprovalPolicy.objects.get_or_create(action_type=action.code, defaults=action.defaults)
    return policy


def policies_ensure() -> list[ApprovalPolicy]:
    return [policy_for(code) for code in ACTION_TYPES]


def required_approvals(policy: ApprovalPolicy, amount: Decimal | None, currency: str) -> int:
    """The policy's approvals, plus one above the threshold. An amount in another currency than
    the threshold's cannot be compared without a rate, so it needs the extra approval too."""
    needed = policy.required_approvals
    if policy.threshold_amount is not None and amount is not None:
        if currency != policy.threshold_currency or amount > policy.threshold_amount:
            needed += 1
    return needed


# --- creating ----------------------------------------------------------------------------------


def request_lock(request_id: int) -> ApprovalRequest:
    request = ApprovalRequest.objects.select_for_update(of=("self",)).select_related("maker").filter(
        pk=request_id).first()
    if request is None:
        raise exc.ApprovalRequestNotFound(f"approval request {request_id} does not exist")
    return request


def request_check(*, action_type: str, payload: dict[str, Any], actor):
    """Every refusal ``request_create`` would give, without writing anything (forms call it in
    ``clean``). Returns the action type, its policy, the normalized payload and its target."""
    _require_user(actor, INITIATE, "initiate approval requests")
    action = action_type_get(action_type)
    policy = policy_for(action.code)
    if not _roles(actor) & set(policy.initiator_roles):
        raise exc.InitiationForbidden(
            f"{action.label.lower()} is initiated by {', '.join(policy.initiator_roles) or 'nobody'}; "
            "your role may not initiate it", action_type=action.code)
    normalized = action.validate(payload or {})
    target = action.target(normalized)[:200]
    if ApprovalRequest.objects.filter(action_type=action.code, target_key=target, status=Status.PENDING).exists():
        raise exc.DuplicatePendingRequest(f"a {action.label.lower()} for {target} is already pending",
                                          action_type=action.code, target=target)
    return action, policy, normalized, target


@transaction.atomic
def request_create(*, action_type: str, payload: dict[str, Any], actor, reason: str = "",
                   now: dt.datetime | None = None) -> ApprovalRequest:
    """Ask for ``action_type`` with ``payload``; nothing executes until it is approved."""
    action, policy, normalized, target = request_check(action_type=action_type, payload=payload, actor=actor)
    amount, currency = action.amount(normalized)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                action_type=action.code, payload=normalized, target_key=target,
                summary=(action.describe(normalized) or action.label)[:500], amount=amount, currency=currency or "",
                reason=(reason or "").strip()[:500], maker=actor,
                required_approvals=required_approvals(policy, amount, currency),
                expires_at=now + dt.timedelta(hours=policy.expiry_hours), created_at=now)
    except IntegrityError as error:  # a concurrent maker won the race for the partial unique index
        if "approval_one_pending_per_target" not in str(error):
            raise
        raise exc.DuplicatePendingRequest(f"a {action.label.lower()} for {target} is already pending",
                                          action_type=action.code, target=target) from error
    _history(request, action="create", before="", reason=request.reason, actor=actor, at=now)
    _audit(request, "approval.created", before=None, actor=actor, reason=request.reason,
           extra={"payload": normalized, "target": target, "required_approvals": request.required_approvals,
                  "amount": None if amount is None else str(amount), "currency": currency})
    return request


# --- deciding ----------------------------------------------------------------------------------


def require_checker(request: ApprovalRequest, actor, *, policy: ApprovalPolicy | None = None) -> None:
    """The checks every decision makes: role permission, not the maker, a checker role."""
    _require_user(actor, DECIDE, "decide on approval requests")
    if hasattr(actor, "api_client"):  # a machine user (the project's one test, see api_clients.models)
        raise exc.ApprovalPermissionRefused("approval requests are decided by people in a staff session, "
                                            "not with an API token")
    if request.maker_id == actor.pk or person_of(request.maker) == person_of(actor):  # people, not tokens
        raise exc.SelfApprovalForbidden("the maker of a request (or the person owning the maker's API client) "
                                        "can never approve or reject it", request=request.pk)
    if ACTION_TYPES[request.action_type].beneficiary(request.payload) == actor.pk:
        raise exc.SelfApprovalForbidden("nobody approves a request that gives themselves more power",
                                        request=request.pk)
    policy = policy or policy_for(request.action_type)
    if not _roles(actor) & set(policy.checker_roles):
        raise exc.CheckerRoleRequired(
            f"{request.action_type} is decided by {', '.join(policy.checker_roles) or 'nobody'}",
            request=request.pk)


def _require_pending(request: ApprovalRequest, action: str, now: dt.datetime) -> None:
    if request.status != Status.PENDING:
        raise TransitionNotAllowed(f"{action} is not allowed for a request that is {request.status}",
                                   status_from=request.status, action=action)
    if request.expires_at <= now:
        raise exc.RequestExpired(f"approval request {request.pk} expired at {request.expires_at.isoformat()}",
                                 request=request.pk)


def _decide(request: ApprovalRequest, actor, decision: str, comment: str, now) -> None:
    if ApprovalDecision.objects.filter(request=request, checker=actor).exists():
        raise exc.AlreadyDecided(f"you have already decided on request {request.pk}", request=request.pk)
    ApprovalDecision.objects.create(request=request, checker=actor, decision=decision, comment=comment[:500], at=now)


@transaction.atomic
def request_approve(*, request_id: int, actor, comment: str = "", now: dt.datetime | None = None) -> ApprovalRequest:
    """Record an approval; with the last one required, approve and execute the action."""
    request = request_lock(request_id)
    require_checker(request, actor)
    now = now or timezone.now()
    _require_pending(request, "approve", now)
    comment = (comment or "").strip()
    _decide(request, actor, ApprovalDecision.Decision.APPROVE, comment, now)
    request.approvals_count += 1
    if request.approvals_count < request.required_approvals:
        request.save(update_fields=["approvals_count", "updated_at"])
        _history(request, action="approval", before=request.status, actor=actor, at=now,
                 reason=comment or f"approval {request.approvals_count} of {request.required_approvals}")
        _audit(request, "approval.approval_given", before=request.status, actor=actor, reason=comment,
               extra={"approvals": request.approvals_count, "required": request.required_approvals})
        return request
    before = request.status
    request.approve(at=now)
    request.status_reason = comment[:500]
    request.save()
    _history(request, action=transitions.BY_NAME["approve"].history_action, before=before, reason=comment,
             actor=actor, at=now)
    _audit(request, transitions.BY_NAME["approve"].audit_action, before=before, actor=actor, reason=comment,
           extra={"approvals": request.approvals_count})
    _execute(request, actor, now)
    return request


def _execute(request: ApprovalRequest, actor, now: dt.datetime) -> None:
    """Run the action in a savepoint; record success or failure on the (locked) request."""
    action = action_type_get(request.action_type)
    request.execution_attempts += 1
    try:
        with transaction.atomic(), approved_execution(request.action_type):
            result = action.execute(request.payload, actor, request_id=request.pk)
    except DomainError as error:
        _record_failure(request, actor, now, f"{error.code}: {error.detail}", code=error.code)
        return
    except Exception as error:  # noqa: BLE001 - a failure is recorded, not lost
        logger.exception("approval request %s: executing %s failed", request.pk, request.action_type)
        _record_failure(request, actor, now, f"{type(error).__name__}: {error}", code="execution_error")
        return
    before = request.status
    request.mark_executed(at=timezone.now(), result=result)
    request.save()
    executed = transitions.BY_NAME["mark_executed"]
    _history(request, action=executed.history_action, before=before, reason=executed.default_reason, actor=actor,
             at=now)
    _audit(request, executed.audit_action, before=before, actor=actor, extra={"result": result})


def _record_failure(request: ApprovalRequest, actor, now, message: str, *, code: str) -> None:
    request.execution_error = message[:4000]
    request.save(update_fields=["execution_error", "execution_attempts", "updated_at"])
    _history(request, action="execution_failed", before=request.status, reason=request.execution_error,
             actor=actor, at=now)
    _audit(request, "approval.execution_failed", before=request.status, actor=actor, reason=request.execution_error,
           extra={"error_code": code, "attempt": request.execution_attempts})


@transaction.atomic
def request_retry(*, request_id: int, actor, now: dt.datetime | None = None) -> ApprovalRequest:
    """Execute again an approved request whose execution failed (e.g. once funds arrived)."""
    request = request_lock(request_id)
    require_checker(request, actor)
    if request.status != Status.APPROVED or not request.execution_error:
        raise exc.NothingToRetry(f"approval request {request.pk} is {request.status}"
                                 + ("" if request.status != Status.APPROVED else " with no failed execution"),
                                 request=request.pk)
    _execute(request, actor, now or timezone.now())
    return request


@transaction.atomic
def request_reject(*, request_id: int, actor, reason: str, now: dt.datetime | None = None) -> ApprovalRequest:
    """A checker refuses the request (one rejection is enough); nothing executes."""
    request = request_lock(request_id)
    require_checker(request, actor)
    now = now or timezone.now()
    _require_pending(request, "reject", now)
    reason = (reason or "").strip()
    if not reason:
        raise exc.ReasonRequired("a rejection needs a reason", field="reason")
    _decide(request, actor, ApprovalDecision.Decision.REJECT, reason, now)
    before = request.status
    request.reject(at=now)
    request.status_reason = reason[:500]
    request.save()
    _history(request, action=transitions.BY_NAME["reject"].history_action, before=before, reason=reason,
             actor=actor, at=now)
    _audit(request, transitions.BY_NAME["reject"].audit_action, before=before, actor=actor, reason=reason)
    return request


@transaction.atomic
def request_cancel(*, request_id: int, actor, reason: str = "", now: dt.datetime | None = None) -> ApprovalRequest:
    """The maker withdraws a pending request."""
    request = request_lock(request_id)
    _require_user(actor, INITIATE, "cancel approval requests")
    if request.maker_id != actor.pk:
        raise exc.NotMaker("only the maker of a request may cancel it", request=request.pk)
    now = now or timezone.now()
    if request.status != Status.PENDING:
        raise TransitionNotAllowed(f"cancel is not allowed for a request that is {request.status}",
                                   status_from=request.status, action="cancel")
    reason = (reason or "").strip()
    before = request.status
    request.cancel(at=now)
    request.status_reason = reason[:500]
    request.save()
    _history(request, action=transitions.BY_NAME["cancel"].history_action, before=before, reason=reason,
             actor=actor, at=now)
    _audit(request, transitions.BY_NAME["cancel"].audit_action, before=before, actor=actor, reason=reason)
    return request


# --- expiry (the periodic task) ------------------------------------------------------------------


@transaction.atomic
def expire_requests(*, now: dt.datetime | None = None) -> int:
    """Expire every pending request past its ``expires_at``: one UPDATE, then one INSERT of
    history rows and one of audit events. Idempotent. Returns how many expired."""
    now = now or timezone.now()
    at = connection.ops.adapt_datetimefield_value(now)
    table = connection.ops.quote_name(ApprovalRequest._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, decided_at = %s, updated_at = %s, "  # noqa: S608
            f"status_reason = %s WHERE status = %s AND expires_at <= %s RETURNING id, action_type, target_key",
            [Status.EXPIRED.value, at, at, "expired", Status.PENDING.value, at])
        rows = cursor.fetchall()
    if rows:
        expire = transitions.BY_NAME["expire"]
        ApprovalHistory.objects.bulk_create([
            ApprovalHistory(request_id=pk, action=expire.history_action, from_status=Status.PENDING,
                            to_status=Status.EXPIRED, reason=expire.default_reason, at=now)
            for pk, _type, _target in rows])
        approval_decided([(pk, action_type, target, Status.PENDING, Status.EXPIRED)
                          for pk, action_type, target in rows])
        audit_record_many([
            {"action": expire.audit_action, "object_type": ApprovalRequest._meta.label_lower, "object_id": pk,
             "object_repr": f"#{pk} {action_type}", "before": {"status": "pending"},
             "after": {"status": "expired", "action_type": action_type}, "changes": ["status"],
             "reason": expire.default_reason} for pk, action_type, _target in rows])
    return len(rows)
