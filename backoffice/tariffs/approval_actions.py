"""The ``tariff_change`` maker-checker action type (listed in ``APPROVAL_ACTION_MODULES``): a
plan's name, description or activity, a new version with its rules, or a new rule, through
``backoffice.tariffs.services``. Operations ask; finance decides.

Payloads: ``{"operation": "plan_update", "plan_id", "name"?, "description"?, "is_active"?,
"reason"}``, ``{"operation": "version_create", "plan_id", "effective_from", "note"?, "rules",
"reason"}``, ``{"operation": "rule_create", "version_id", "fields", "reason"}``. Amounts and
rates are strings (the tariffs' services check them); a JSON number is refused.
"""

from __future__ import annotations

import datetime as dt

from backoffice.approvals.action_type import ActionType, Payload, Result, bad, integer, iso_date, only, policy, text
from backoffice.staff.roles import FINANCE, OPERATIONS

from . import services as tariffs
from .models import TariffPlan, TariffVersion


def _plan_id(payload: Payload) -> int:
    plan_id = integer(payload, "plan_id")
    if not TariffPlan.objects.filter(pk=plan_id).exists():
        raise bad(f"tariff plan {plan_id} does not exist", "plan_id")
    return plan_id


def _no_floats(values, name: str) -> None:
    if any(isinstance(v, float) for v in values):
        raise bad("amounts and rates must be decimal strings, not floats", name)


def validate(payload: Payload) -> Payload:
    only(payload, {"operation", "plan_id", "version_id", "name", "description", "is_active", "fields", "reason",
                   "effective_from", "note", "rules"})
    operation = payload.get("operation")
    if operation not in ("plan_update", "version_create", "rule_create"):
        raise bad("operation must be plan_update, version_create or rule_create", "operation")
    reason = text(payload, "reason", required=True)
    if operation == "version_create":
        plan_id = _plan_id(payload)
        effective_from = iso_date(payload.get("effective_from") or "", "effective_from")
        rules = payload.get("rules") or []
        if not isinstance(rules, list) or not all(isinstance(r, dict) and r.get("event") for r in rules):
            raise bad("rules must be a list of objects, each with at least an event", "rules")
        _no_floats((v for r in rules for v in r.values()), "rules")
        return {"operation": operation, "plan_id": plan_id, "effective_from": effective_from,
                "note": text(payload, "note"), "rules": rules, "reason": reason}
    if operation == "plan_update":
        out: Payload = {"operation": operation, "plan_id": _plan_id(payload), "reason": reason}
        for name in ("name", "description"):
            if payload.get(name) is not None:
                out[name] = text(payload, name, required=name == "name")
        if payload.get("is_active") is not None:
            if not isinstance(payload["is_active"], bool):
                raise bad("is_active must be true or false", "is_active")
            out["is_active"] = payload["is_active"]
        if len(out) == 3:
            raise bad("name, description or is_active must change", "payload")
        return out
    version_id = integer(payload, "version_id")
    if not TariffVersion.objects.filter(pk=version_id).exists():
        raise bad(f"tariff version {version_id} does not exist", "version_id")
    fields = payload.get("fields")
    if not isinstance(fields, dict) or not fields.get("event"):
        raise bad("fields must be an object with at least an event", "fields")
    _no_floats(fields.values(), "fields")
    return {"operation": operation, "version_id": version_id, "fields": fields, "reason": reason}


def target(payload: Payload) -> str:
    if payload["operation"] == "plan_update":
        return f"tariff_plan:{payload['plan_id']}"
    if payload["operation"] == "version_create":
        return f"tariff_plan:{payload['plan_id']}:version:{payload['effective_from']}"
    fields = payload["fields"]
    return f"tariff_version:{payload['version_id']}:{fields['event']}:{fields.get('channel') or '*'}"


def execute(payload: Payload, actor, *, request_id: int) -> Result:
    if payload["operation"] == "plan_update":
        changes = {k: payload[k] for k in ("name", "description", "is_active") if k in payload}
        plan = tariffs.plan_update(plan_id=payload["plan_id"], actor=actor, reason=payload["reason"], **changes)
        return {"plan_id": plan.pk, "operation": "plan_update"}
    if payload["operation"] == "version_create":
        version = tariffs.version_create(plan_id=payload["plan_id"], actor=actor, note=payload["note"],
                                         effective_from=dt.date.fromisoformat(payload["effective_from"]),
                                         rules=payload["rules"])
        return {"version_id": version.pk, "operation": "version_create"}
    rule = tariffs.rule_create(version_id=payload["version_id"], actor=actor, **payload["fields"])
    return {"rule_id": rule.pk, "operation": "rule_create"}


ACTIONS = [
    ActionType(code="tariff_change", label="Tariff change", validate=validate, target=target, execute=execute,
               describe=lambda p: f"tariff {p['operation']}: {p['reason']}",
               defaults=policy(initiators=[OPERATIONS], checkers=[FINANCE])),
]
