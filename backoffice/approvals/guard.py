"""The back office's maker-checker guard (``CORE_BANKING_MAKER_CHECKER``, see
``core_banking/common/maker_checker.py``), also used by the back office's own staff routes
(limits, tariffs).

Who executes directly and who asks for approval:

* an **API client** (a machine calling with its token: a payment connectivity layer, a partner
  system) executes directly, governed by its role and scopes, as the engine's contracts say
  (``POST /api/v1/ledger/entries/`` posts raw entries);
* a **staff member** (an API session or the admin) asks: the action is rehearsed first (the
  direct execution rolled back, so bad input is refused at once with the direct route's code and
  nothing is written), then an approval request is created (``services.request_create``: the
  policy's initiator roles, one pending request per target). The action executes when enough
  checkers, never the maker, approve it.
"""

from __future__ import annotations

from django.urls import reverse

from core_banking.common.maker_checker import TOKEN, Deferred, SensitiveAction

from . import services
from .models import INITIATE
from .registry import ACTION_TYPES


def request_body(request_id: int) -> dict:
    from .api.views import request_detail

    return request_detail(request_id)


class ApprovalGuard:
    def submit(self, action: SensitiveAction) -> Deferred | None:
        if action.credential == TOKEN:
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
        if action.credential == TOKEN:
            return
        self.require_initiator(action.action_type, action.actor)
        action.rehearse()
        services.request_check(action_type=action.action_type, payload=action.payload, actor=action.actor)

    def require_initiator(self, action_type: str, user) -> None:
        from . import exceptions as exc

        if not self.may_submit(action_type, user):
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
    """The back office's routes: ``GUARD.submit`` with a ``SensitiveAction`` built here."""
    return GUARD.submit(SensitiveAction(action_type=action_type, payload=payload, actor=actor,
                                        credential=credential, reason=reason, execute=execute))


def check(action_type: str, payload: dict, *, actor, credential: str, reason: str = "", execute=None) -> None:
    GUARD.check(SensitiveAction(action_type=action_type, payload=payload, actor=actor, credential=credential,
                                reason=reason, execute=execute))
