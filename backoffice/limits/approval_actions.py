"""The ``limit_change`` maker-checker action type (listed in ``APPROVAL_ACTION_MODULES``):
create, update or delete a limit rule through ``backoffice.limits.services``. Operations ask;
a compliance officer or finance decides.

Payloads: ``{"operation": "create", "profile_code" | "customer_id" | "account_id", "fields",
"reason"}``, ``{"operation": "update", "rule_id", "fields", "reason"}``, ``{"operation":
"delete", "rule_id", "reason"}``. Amount limits are plain decimal strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from backoffice.approvals.action_type import ActionType, Payload, Result, bad, decimal, integer, only, policy, text
from backoffice.staff.roles import COMPLIANCE_OFFICER, FINANCE, OPERATIONS

from . import services as limits
from .models import AMOUNT_LIMITS, COUNT_LIMITS, LimitRule

SCOPES = ("profile_code", "customer_id", "account_id")


def _fields(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        raise bad("fields must be a non-empty object of rule fields", "fields")
    unknown = set(raw) - set(limits.RULE_FIELDS)
    if unknown:
        raise bad(f"unknown rule field(s): {', '.join(sorted(unknown))}", "fields")
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None:
            out[name] = None
        elif name in AMOUNT_LIMITS:
            out[name] = str(decimal(value, name))
        elif name in COUNT_LIMITS:
            out[name] = integer({name: value}, name)
        else:
            out[name] = text({name: value}, name)
    return out


def _rule_id(payload: Payload) -> int:
    rule_id = integer(payload, "rule_id")
    if not LimitRule.objects.filter(pk=rule_id).exists():
        raise bad(f"limit rule {rule_id} does not exist", "rule_id")
    return rule_id


def validate(payload: Payload) -> Payload:
    only(payload, {"operation", "rule_id", *SCOPES, "fields", "reason"})
    operation = payload.get("operation")
    if operation == "delete":
        if payload.get("fields"):
            raise bad("a deletion takes no fields", "fields")
        rule_id = _rule_id(payload)
        return {"operation": "delete", "rule_id": rule_id, "reason": text(payload, "reason", required=True)}
    if operation not in ("create", "update"):
        raise bad("operation must be create, update or delete", "operation")
    fields = _fields(payload.get("fields"))
    reason = text(payload, "reason", required=True)
    if operation == "update":
        return {"operation": "update", "rule_id": _rule_id(payload), "fields": fields, "reason": reason}
    named = [name for name in SCOPES if payload.get(name) not in (None, "")]
    if len(named) != 1:
        raise bad("name exactly one of profile_code, customer_id or account_id", "scope")
    name = named[0]
    scope = {name: text(payload, name).upper() if name == "profile_code" else integer(payload, name)}
    return {"operation": "create", **scope, "fields": fields, "reason": reason}


def target(payload: Payload) -> str:
    if payload["operation"] in ("update", "delete"):
        return f"limit_rule:{payload['rule_id']}"
    scope = next(f"{k}={payload[k]}" for k in SCOPES if k in payload)
    fields = payload["fields"]
    return f"limit_scope:{scope}:{fields.get('channel') or '*'}:{fields.get('currency') or '*'}"


def execute(payload: Payload, actor, *, request_id: int) -> Result:
    if payload["operation"] == "delete":
        limits.rule_delete(rule_id=payload["rule_id"], actor=actor, reason=payload["reason"])
        return {"rule_id": payload["rule_id"], "operation": "delete"}
    fields = {k: (Decimal(v) if k in AMOUNT_LIMITS and v is not None else v) for k, v in payload["fields"].items()}
    if payload["operation"] == "update":
        rule = limits.rule_update(rule_id=payload["rule_id"], actor=actor, reason=payload["reason"], **fields)
    else:
        scope = {k: payload[k] for k in SCOPES if k in payload}
        rule = limits.rule_create(actor=actor, **scope, **fields)
    return {"rule_id": rule.pk, "operation": payload["operation"]}


ACTIONS = [
    ActionType(code="limit_change", label="Limit change", validate=validate, target=target, execute=execute,
               describe=lambda p: f"limit rule {p['operation']}: {p['reason']}",
               defaults=policy(initiators=[OPERATIONS], checkers=[COMPLIANCE_OFFICER, FINANCE])),
]
