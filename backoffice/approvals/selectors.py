"""Approval reads: one request, mine, the inbox (what waits for me)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from . import exceptions as exc
from .models import DECIDE, ApprovalDecision, ApprovalPolicy, ApprovalRequest
from .registry import ACTION_TYPES
from .services import policy_for


def _with_related(queryset: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    return queryset.select_related("maker")


def request_get(request_id: int) -> ApprovalRequest:
    request = _with_related(ApprovalRequest.objects.filter(pk=request_id)).first()
    if request is None:
        raise exc.ApprovalRequestNotFound(f"approval request {request_id} does not exist")
    return request


def requests_made_by(user, *, status: str = "") -> QuerySet[ApprovalRequest]:
    requests = ApprovalRequest.objects.filter(maker=user)
    if status:
        requests = requests.filter(status=status)
    return _with_related(requests)


def checkable_action_types(user) -> list[str]:
    """The action types whose policy names one of ``user``'s roles as a checker."""
    if not user.has_perm(DECIDE):
        return []
    for code in ACTION_TYPES:
        policy_for(code)  # the defaults exist once anyone looks
    roles = set(user.groups.values_list("name", flat=True))
    return [p.action_type for p in ApprovalPolicy.objects.all() if roles & set(p.checker_roles)]


def inbox_condition_for_user(user, *, now=None) -> Q:
    """Pending, not expired, of an action type the user checks, not made by them, not decided by them."""
    from django.utils import timezone

    decided = ApprovalDecision.objects.filter(checker=user).values("request_id")
    return (Q(status=ApprovalRequest.Status.PENDING, expires_at__gt=now or timezone.now(),
              action_type__in=checkable_action_types(user)) & ~Q(maker=user) & ~Q(pk__in=decided))


def inbox_for_user(user) -> QuerySet[ApprovalRequest]:
    """What waits for ``user``: oldest expiry first."""
    return _with_related(ApprovalRequest.objects.filter(inbox_condition_for_user(user))).order_by("expires_at", "id")
