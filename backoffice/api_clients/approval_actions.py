"""The maker-checker action types of API clients (registered in `backoffice.approvals.registry`):
creating a client (`api_client_create`) and widening one (`api_client_change`: a new scope, or
reactivation). An administrator initiates; a compliance officer decides. Narrowing a client
(dropping scopes, deactivating it) and revoking tokens only reduce access and apply at once.

Each payload is validated by the API-client services' own checks, so a request that could never
execute is refused when it is made, with the services' stable codes.
"""

from __future__ import annotations

from typing import Any

from backoffice.approvals import exceptions as approval_exc

Payload = dict[str, Any]


def _bad(detail: str, name: str) -> approval_exc.InvalidApprovalPayload:
    return approval_exc.InvalidApprovalPayload(detail, field=name)


def _only(payload: Payload, allowed: set[str]) -> None:
    if not isinstance(payload, dict):
        raise _bad("the payload must be an object", "payload")
    unknown = set(payload) - allowed
    if unknown:
        raise approval_exc.UnknownPayloadField(f"unknown field(s): {', '.join(sorted(unknown))}",
                                               field=f"payload.{sorted(unknown)[0]}")


def _maker(request_id: int):
    from backoffice.approvals.models import ApprovalRequest

    request = ApprovalRequest.objects.select_related("maker").filter(pk=request_id).first()
    return request.maker if request is not None else None


# --- api_client_create ------------------------------------------------------------------------


def create_validate(payload: Payload) -> Payload:
    from .services import api_client_validate

    _only(payload, {"name", "role", "scopes", "owner_id"})
    scopes = payload.get("scopes") or []
    return api_client_validate(name=payload.get("name") or "", role=payload.get("role") or "",
                               scopes=scopes, owner=payload.get("owner_id"))


def create_target(payload: Payload) -> str:
    return f"api_client:{payload['name']}"


def create_describe(payload: Payload) -> str:
    scopes = ", ".join(payload["scopes"]) or "no scopes"
    return f"create API client {payload['name']} (role {payload['role']}, {scopes})"


def create_execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
    from .services import api_client_create

    client = api_client_create(name=payload["name"], role=payload["role"], scopes=payload["scopes"],
                               owner=payload["owner_id"], created_by=_maker(request_id) or actor)
    return {"client_id": client.pk, "name": client.name, "username": client.user.username}


# --- api_client_change ------------------------------------------------------------------------


def change_validate(payload: Payload) -> Payload:
    from .models import ApiClient
    from .services import clean_scopes

    _only(payload, {"client_id", "scopes", "is_active"})
    client_id = payload.get("client_id")
    if isinstance(client_id, bool) or not (str(client_id or "").isascii() and str(client_id or "").isdigit()):
        raise _bad("client_id must be a positive integer", "client_id")
    if not ApiClient.objects.filter(pk=int(client_id)).exists():
        raise _bad(f"API client {client_id} does not exist", "client_id")
    is_active = payload.get("is_active")
    if not isinstance(is_active, bool):
        raise _bad("is_active must be true or false", "is_active")
    return {"client_id": int(client_id), "scopes": clean_scopes(payload.get("scopes") or []),
            "is_active": is_active}


def change_target(payload: Payload) -> str:
    return f"api_client:{payload['client_id']}"


def change_describe(payload: Payload) -> str:
    scopes = ", ".join(payload["scopes"]) or "no scopes"
    state = "active" if payload["is_active"] else "inactive"
    return f"change API client {payload['client_id']} to {scopes}, {state}"


def change_execute(payload: Payload, actor, *, request_id: int) -> dict[str, Any]:
    from .models import ApiClient
    from .services import api_client_update

    client = api_client_update(client=ApiClient.objects.get(pk=payload["client_id"]),
                               scopes=payload["scopes"], is_active=payload["is_active"])
    return {"client_id": client.pk, "scopes": client.scopes, "is_active": client.is_active}
