"""The ``monitoring_rule_change`` maker-checker action type (listed in ``APPROVAL_ACTION_MODULES``):
a compliance officer asks, another compliance officer approves (the maker never checks their own
request).

Payloads (JSON):

* ``{"operation": "rule_create", "code", "kind", "name", "description", "is_active",
  "version": {<version fields>}, "reason"}``
* ``{"operation": "version_create", "rule_id", "version": {<version fields>}, "reason"}``
* ``{"operation": "activate" | "deactivate", "rule_id", "reason"}``

Version fields: ``parameters`` (per kind), ``score``, ``action``, ``customer_types``,
``risk_ratings``, ``effective_from`` (ISO date), ``note``. A reason is always required.
"""

from __future__ import annotations

import datetime as dt

from backoffice.approvals.action_type import ActionType, Payload, Result, bad, integer, only, policy
from backoffice.staff.roles import COMPLIANCE_OFFICER

from . import services
from .exceptions import InvalidRule
from .models import MonitoringRule
from .services import rule_fields_validate, version_fields_validate

OPERATIONS = ("rule_create", "version_create", "activate", "deactivate")


def _rule_id(payload: Payload) -> int:
    rule_id = integer(payload, "rule_id")
    if not MonitoringRule.objects.filter(pk=rule_id).exists():
        raise bad(f"monitoring rule {rule_id} does not exist", "rule_id")
    return rule_id


def validate(payload: Payload) -> Payload:
    only(payload, {"operation", "reason", "code", "kind", "name", "description", "is_active", "version", "rule_id"})
    operation = payload.get("operation")
    if operation not in OPERATIONS:
        raise bad(f"operation must be one of {', '.join(OPERATIONS)}", "operation")
    only(payload, {"operation", "reason", *{"rule_create": ("code", "kind", "name", "description", "is_active",
                                                            "version"),
                                            "version_create": ("rule_id", "version")}.get(operation, ("rule_id",))})
    reason = payload.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise bad("reason is required (at most 500 characters)", "reason")
    out: Payload = {"operation": operation, "reason": reason.strip()}
    try:
        if operation == "rule_create":
            fields = rule_fields_validate(code=payload.get("code"), kind=payload.get("kind"),
                                          name=payload.get("name"), description=payload.get("description"))
            if MonitoringRule.objects.filter(code=fields["code"]).exists():
                raise bad(f"a monitoring rule with code {fields['code']!r} already exists", "code")
            is_active = payload.get("is_active", True)
            if not isinstance(is_active, bool):
                raise bad("is_active must be true or false", "is_active")
            out.update(fields, is_active=is_active,
                       version=version_fields_validate(fields["kind"], payload.get("version") or {}))
        elif operation == "version_create":
            rule_id = _rule_id(payload)
            kind = MonitoringRule.objects.get(pk=rule_id).kind
            out.update(rule_id=rule_id, version=version_fields_validate(kind, payload.get("version") or {}))
        else:
            out["rule_id"] = _rule_id(payload)
    except InvalidRule as error:
        raise bad(error.detail, error.extra.get("field", "payload")) from error
    return out


def target(payload: Payload) -> str:
    if payload["operation"] == "rule_create":
        return f"monitoring_rule_code:{payload['code']}"
    if payload["operation"] == "version_create":
        return f"monitoring_rule:{payload['rule_id']}:version"
    return f"monitoring_rule:{payload['rule_id']}:active"


def describe(payload: Payload) -> str:
    subject = payload.get("code") or f"rule {payload.get('rule_id')}"
    return f"monitoring {payload['operation'].replace('_', ' ')} of {subject}: {payload['reason']}"


def execute(payload: Payload, actor, *, request_id: int) -> Result:
    operation = payload["operation"]
    if operation == "rule_create":
        rule = services.rule_create(code=payload["code"], kind=payload["kind"], name=payload["name"],
                                    description=payload.get("description", ""), is_active=payload["is_active"],
                                    actor=actor, reason=payload["reason"], **_version(payload["version"]))
        return {"rule_id": rule.pk, "operation": operation, "version": 1}
    if operation == "version_create":
        version = services.version_create(rule_id=payload["rule_id"], actor=actor, reason=payload["reason"],
                                          **_version(payload["version"]))
        return {"rule_id": payload["rule_id"], "operation": operation, "version": version.version,
                "version_id": version.pk}
    rule = services.rule_set_active(rule_id=payload["rule_id"], is_active=operation == "activate", actor=actor,
                                    reason=payload["reason"])
    return {"rule_id": rule.pk, "operation": operation, "is_active": rule.is_active}


def _version(fields: Payload) -> Payload:
    return {**fields, "effective_from": dt.date.fromisoformat(fields["effective_from"])}


ACTIONS = [
    ActionType(code="monitoring_rule_change", label="Transaction monitoring rule change", validate=validate,
               target=target, execute=execute, describe=describe,
               defaults=policy(initiators=[COMPLIANCE_OFFICER], checkers=[COMPLIANCE_OFFICER])),
]
