"""The maker-checker action types of API clients (listed in ``APPROVAL_ACTION_MODULES``):
creating a client (`api_client_create`) and widening one (`api_client_change`: a new scope, or
reactivation). An administrator initiates; a compliance officer decides. Narrowing a client
(dropping scopes, deactivating it) and revoking tokens only reduce access and apply at once.

Each payload is validated by the API-client services' own checks, so a request that could never
execute is refused when it is made, with the services' stable codes.
"""

from __future__ import annotations

from backoffice.approvals.action_type import ActionType, Payload, Result, bad, integer, only, policy
from backoffice.approvals.models import ApprovalRequest
from backoffice.staff.roles import ADMINISTRATOR, COMPLIANCE_OFFICER

from .models import ApiClient
from .services import api_client_create, api_client_update, api_client_validate, clean_scopes


def _maker(request_id: int):
    request = ApprovalRequest.objects.select_related("maker").filter(pk=request_id).first()
    return request.maker if request is not None else None


# --- api_client_create ------------------------------------------------------------------------


def create_validate(payload: Payload) -> Payload:
    only(payload, {"name", "role", "scopes", "owner_id"})
    scopes = payload.get("scopes") or []
    return api_client_validate(name=payload.get("name") or "", role=payload.get("role") or "",
                               scopes=scopes, owner=payload.get("owner_id"))


def create_target(payload: Payload) -> str:
    return f"api_client:{payload['name']}"


def create_describe(payload: Payload) -> str:
    scopes = ", ".join(payload["scopes"]) or "no scopes"
    return f"create API client {payload['name']} (role {payload['role']}, {scopes})"


def create_execute(payload: Payload, actor, *, request_id: int) -> Result:
    client = api_client_create(name=payload["name"], role=payload["role"], scopes=payload["scopes"],
                               owner=payload["owner_id"], created_by=_maker(request_id) or actor)
    return {"client_id": client.pk, "name": client.name, "username": client.user.username}


# --- api_client_change ------------------------------------------------------------------------


def change_validate(payload: Payload) -> Payload:
    only(payload, {"client_id", "scopes", "is_active"})
    client_id = integer(payload, "client_id")
    if not ApiClient.objects.filter(pk=client_id).exists():
        raise bad(f"API client {client_id} does not exist", "client_id")
    is_active = payload.get("is_active")
    if not isinstance(is_active, bool):
        raise bad("is_active must be true or false", "is_active")
    return {"client_id": client_id, "scopes": clean_scopes(payload.get("scopes") or []),
            "is_active": is_active}


def change_target(payload: Payload) -> str:
    return f"api_client:{payload['client_id']}"


def change_describe(payload: Payload) -> str:
    scopes = ", ".join(payload["scopes"]) or "no scopes"
    state = "active" if payload["is_active"] else "inactive"
    return f"change API client {payload['client_id']} to {scopes}, {state}"


def change_execute(payload: Payload, actor, *, request_id: int) -> Result:
    client = api_client_update(client=ApiClient.objects.get(pk=payload["client_id"]),
                               scopes=payload["scopes"], is_active=payload["is_active"])
    return {"client_id": client.pk, "scopes": client.scopes, "is_active": client.is_active}


ACTIONS = [
    ActionType(code="api_client_create", label="Create an API client", validate=create_validate,
               target=create_target, execute=create_execute, describe=create_describe,
               defaults=policy(initiators=[ADMINISTRATOR], checkers=[COMPLIANCE_OFFICER]),
               beneficiary=lambda p: p.get("owner_id")),
    ActionType(code="api_client_change", label="Widen an API client", validate=change_validate,
               target=change_target, execute=change_execute, describe=change_describe,
               defaults=policy(initiators=[ADMINISTRATOR], checkers=[COMPLIANCE_OFFICER])),
]
