"""Approval reads: one request, mine, the inbox (what waits for me)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from . import exceptions as exc
from . import transitions
from .models import DECIDE, ApprovalDecision, ApprovalPolicy, ApprovalRequest
from .registry import ACTION_TYPES
from .services import policy_for


def _with_related(queryset: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    return queryset.select_related("maker")


def request_get(request_id: int, *, visible_to=None) -> ApprovalRequest:
    """``visible_to`` (core_banking/common/visibility.py): None for any request, else only the
    requests that user made (a partner API client sees its own requests, nobody else's)."""
    requests = ApprovalRequest.objects.filter(pk=request_id)
    if visible_to is not None:
        requests = requests.filter(maker=visible_to)
    request = _with_related(requests).first()
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
    policies = list(ApprovalPolicy.objects.all())
    known = {p.action_type for p in policies}
    if any(code not in known for code in ACTION_TYPES):
        for code in ACTION_TYPES:
            policy_for(code)  # the defaults exist once anyone looks
        policies = list(ApprovalPolicy.objects.all())
    roles = set(user.groups.values_list("name", flat=True))
    return [p.action_type for p in policies if roles & set(p.checker_roles)]


def inbox_condition_for_user(user, *, now=None) -> Q:
    """Pending, not expired, of an action type the user checks, not made by them, not decided by them."""
    from django.utils import timezone

    decided = ApprovalDecision.objects.filter(checker=user).values("request_id")
    return (Q(status=ApprovalRequest.Status.PENDING, expires_at__gt=now or timezone.now(),
              action_type__in=checkable_action_types(user)) & ~Q(maker=user) & ~Q(pk__in=decided))


def inbox_for_user(user) -> QuerySet[ApprovalRequest]:
    """What waits for ``user``: oldest expiry first."""
    return _with_related(ApprovalRequest.objects.filter(inbox_condition_for_user(user))).order_by("expires_at", "id")


#: action -> (label, whether a reason is required), in the order people see them: the transition
#: table's staff actions (``transitions.py``).
ACTIONS: dict[str, tuple[str, bool]] = {a.name: (a.label, a.reason_required) for a in transitions.STAFF_ACTIONS}


def available_actions(request: ApprovalRequest, user, *, now=None) -> list[dict]:
    """What ``user`` may do with ``request`` now, as the services decide it: approve and reject
    for a checker of its policy who is not the maker and has not decided yet, while it is pending
    and not expired; cancel for its maker while it is pending; retry for such a checker when an
    approved request's execution failed."""
    from django.utils import timezone

    from .models import INITIATE

    if not (user.is_active and user.is_authenticated):
        return []
    now = now or timezone.now()
    is_maker = request.maker_id == user.pk
    checker = (not is_maker and request.action_type in checkable_action_types(user))
    pending = request.status == ApprovalRequest.Status.PENDING and request.expires_at > now
    allowed = set()
    if pending and checker and not ApprovalDecision.objects.filter(request=request, checker=user).exists():
        allowed |= {"approve", "reject"}
    if pending and is_maker and user.has_perm(INITIATE):
        allowed.add("cancel")
    if checker and request.status == ApprovalRequest.Status.APPROVED and request.execution_error:
        allowed.add("retry")
    return [{"action": action, "label": label, "reason_required": required}
            for action, (label, required) in ACTIONS.items() if action in allowed]


def request_target(request: ApprovalRequest, user) -> dict:
    """What ``request`` is about, for a human deciding on it: for account actions the IBAN, holder,
    product, status and balance; for a reversal or an adjustment the entry and its postings; for a
    limit or tariff change the rule or plan; for a payment release its reference, parties and
    amount; for a KYC override the customer and their current status. Links to the admin pages
    only of the models ``user`` may view. See ``targets.py`` for the shape."""
    from .targets import describe

    return describe(request.action_type, request.payload or {}, user)


def request_next_step(request) -> str:
    """What happens next with ``request``, in words (the 202 of a deferred action says it too)."""
    from .services import policy_for

    status = request.status
    if status == "pending":
        missing = request.required_approvals - request.approvals_count
        roles = ", ".join(policy_for(request.action_type).checker_roles) or "nobody"
        return (f"Waits for {missing} more approval(s) by {roles} (never the maker, nor the person owning the "
                f"maker's API client) before {request.expires_at.isoformat(timespec='minutes')}; the action "
                "executes with the last approval, as the service would execute it now. Until then nothing changed.")
    if status == "approved":
        return (f"Approved, but executing it failed ({request.execution_error}); a checker may retry it."
                if request.execution_error else "Approved; executing.")
    if status == "executed":
        return "Executed: the action took effect when the last approval arrived."
    return f"{status.capitalize()}: nothing was done."


# --- staff pages -----------------------------------------------------------------------------


def requests_for_targets(target_keys, *, pending_only: bool = True, limit: int = 50) -> list[ApprovalRequest]:
    """The requests about the given targets (``account:<id>``, ``customer:<id>``, ...), the
    ones in flight (pending) by default, oldest expiry first."""
    keys = [k for k in target_keys if k]
    if not keys:
        return []
    requests = ApprovalRequest.objects.filter(target_key__in=keys)
    if pending_only:
        requests = requests.filter(status=ApprovalRequest.Status.PENDING)
    return list(_with_related(requests).order_by("expires_at", "id")[:limit])


def request_page(request_id: int) -> ApprovalRequest:
    """One request with its decisions and history (and who made them) for its staff page."""
    from django.db.models import Prefetch

    from .models import ApprovalHistory

    request = (ApprovalRequest.objects.filter(pk=request_id).select_related("maker")
               .prefetch_related(Prefetch("decisions", queryset=ApprovalDecision.objects.select_related("checker")
                                          .order_by("id")),
                                 Prefetch("history", queryset=ApprovalHistory.objects.select_related("actor")
                                          .order_by("id")))
               .first())
    if request is None:
        raise exc.ApprovalRequestNotFound(f"approval request {request_id} does not exist")
    return request
