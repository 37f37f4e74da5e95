"""The ``role_grant`` maker-checker action type (listed in ``APPROVAL_ACTION_MODULES``): an
administrator asks for a staff role to be granted, a compliance officer decides, and the new
holder of the role can never be its checker (``beneficiary``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from backoffice.approvals.action_type import ActionType, Payload, Result, integer, only, policy, text

from .roles import ADMINISTRATOR, COMPLIANCE_OFFICER
from .services import role_grant, role_validate


def validate(payload: Payload) -> Payload:
    only(payload, {"user_id", "role", "reason"})
    user_id = integer(payload, "user_id")
    role = text(payload, "role", required=True)
    role_validate(user_id=user_id, role=role)
    return {"user_id": user_id, "role": role, "reason": text(payload, "reason", required=True)}


def execute(payload: Payload, actor, *, request_id: int) -> Result:
    role_grant(user_id=payload["user_id"], role=payload["role"], actor=actor, reason=payload["reason"])
    return {"user_id": payload["user_id"], "role": payload["role"]}


def describe(payload: Payload) -> str:
    user = get_user_model().objects.filter(pk=payload["user_id"]).values_list("username", flat=True).first()
    return f"grant the {payload['role']} role to {user or payload['user_id']}: {payload['reason']}"


ACTIONS = [
    ActionType(code="role_grant", label="Grant a staff role", validate=validate,
               target=lambda p: f"user:{p['user_id']}:role:{p['role']}", execute=execute, describe=describe,
               defaults=policy(initiators=[ADMINISTRATOR], checkers=[COMPLIANCE_OFFICER]),
               beneficiary=lambda p: p["user_id"]),
]
