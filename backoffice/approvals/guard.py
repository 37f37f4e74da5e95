"""The back office's maker-checker guard (``CORE_BANKING_MAKER_CHECKER``, see
``core_banking/common/maker_checker.py``), which every sensitive service calls before it acts.

Everybody asks: an API client calling with its token, a staff member in an API session or in the
admin, a management command. The action executes directly only when its policy exempts it
(``ApprovalPolicy.exempt_below``: an amount below it, in the threshold's currency). Otherwise the
caller must hold one of the policy's initiator roles; the action is rehearsed (the direct
execution rolled back, so bad input is refused at once with the direct route's code and nothing
is written), then an approval request is created (``services.request_create``: one pending
request per target). The action executes when enough checkers, never the maker and never the
maker's own API client, approve it.
"""

from __future__ import annotations

from django.urls import reverse

from core_banking.common.maker_checker import Deferred, SensitiveAction, open_gate

from . import services
from .models import INITIATE
from .registry import ACTION_TYPES


def request_body(request_id: int) -> dict:
    from .api.views import request_detail

    return request_detail(request_id)


class ApprovalGuard:
    def submit(self, action: SensitiveAction) -> Deferred | None:
        if self.exempt(action):
            return None
        # Who may initiate, before anything else (a role that may not gets `initiation_forbidden`
        # whatever the input), then the direct route's own refusals, then the request.
        self.require_initiator(action.action_type, action.actor)
        action.rehearse()
        request = services.request_create(action_type=action.action_type, payload=action.payload,
                                          actor=action.actor, reason=action.reason)
        return Deferred(request_id=request.pk, body=request_body(request.pk),
                        location=reverse("approvals:request-detail", args=[request.pk]))

    def check(self, action: SensitiveAction) -> None:
        """Every refusal ``submit`` would give, writing nothing (for forms' ``clean``)."""
        if self.exempt(action):
            action.rehearse()
            return
        self.require_initiator(action.action_type, action.actor)
        action.rehearse()
        services.request_check(action_type=action.action_type, payload=action.payload, actor=action.actor)

    def exempt(self, action: SensitiveAction) -> bool:
        """The policy says no approval is needed for this amount."""
        policy = services.policy_for(action.action_type)
        if policy.exempt_below is None:
            return False
        from . import exceptions as exc

        action_type = ACTION_TYPES[action.action_type]
        try:
            normalized = action_type.validate(action.payload)
        except exc.InvalidApprovalPayload:
            return False  # the rehearsal gives the direct execution's own refusal
        amount, currency = action_type.amount(normalized)
        return amount is not None and currency == policy.threshold_currency and amount < policy.exempt_below

    def require_initiator(self, action_type: str, user) -> None:
        from . import exceptions as exc

        if not self.may_submit(action_type, user):
            if user is None:
                raise exc.ApprovalPermissionRefused(
                    f"{ACTION_TYPES[action_type].label.lower()} needs an approval request, and that needs a maker: "
                    "call it as a signed-in person or API client, not anonymously")
            if not user.has_perm(INITIATE):
                raise exc.ApprovalPermissionRefused(f"you may not initiate approval requests ({INITIATE})")
            policy = services.policy_for(action_type)
            raise exc.InitiationForbidden(
                f"{ACTION_TYPES[action_type].label.lower()} is initiated by "
                f"{', '.join(policy.initiator_roles) or 'nobody'}; your role may not initiate it",
                action_type=action_type)

    def may_submit(self, action_type: str, user) -> bool:
        if user is None or not user.is_active or not user.has_perm(INITIATE):
            return False
        policy = services.policy_for(action_type)
        return bool(set(user.groups.values_list("name", flat=True)) & set(policy.initiator_roles))


GUARD = ApprovalGuard()


def submit(action_type: str, payload: dict, *, actor, credential: str, reason: str = "", execute=None):
    """The back office's routes: ``GUARD.submit`` with a ``SensitiveAction`` built here. The
    route's ``execute`` calls a guarded service: the rehearsal runs it with the gate open."""
    return GUARD.submit(SensitiveAction(action_type=action_type, payload=payload, actor=actor,
                                        credential=credential, reason=reason,
                                        execute=open_gate(action_type, execute) if execute else None))


def check(action_type: str, payload: dict, *, actor, credential: str, reason: str = "", execute=None) -> None:
    GUARD.check(SensitiveAction(action_type=action_type, payload=payload, actor=actor, credential=credential,
                                reason=reason, execute=open_gate(action_type, execute) if execute else None))
