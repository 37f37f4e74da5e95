"""Monitoring rule writes: create a rule (with its first version), propose a new version,
activate and deactivate. Every write is a ``monitoring_rule_change`` through maker-checker
(``core_banking/common/maker_checker.py``): each service passes the gate, which returns the
``Deferred`` approval request unless an approved request of that type is executing (or engine
work runs under ``system_execution``, as the seed does). A compliance officer asks; another
compliance officer approves (``compliance/monitoring/approval_actions.py``).

A version is never changed once written (append-only trigger): a change of parameters, score,
action, segment or date is a new version with the next number. ``effective_from`` may not lie
before the open business date: what was in force in the past stays what it was, so an alert's
recorded version always names the parameters that fired.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none
from core_banking.common.maker_checker import Deferred, guarded
from core_banking.customers.models import Customer
from core_banking.ledger.selectors import business_date_current

from . import exceptions as exc
from .kinds import Action, Kind, parameters_validate
from .models import RULE_CODE, MonitoringRule, RuleVersion

ACTION_TYPE = "monitoring_rule_change"
VERSION_FIELDS = ("parameters", "score", "action", "customer_types", "risk_ratings", "effective_from", "note")


# --- validation (shared by the services, the approval payload and the API) ------------------


def _list(value: Any, name: str, allowed: list[str]) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise exc.InvalidRule(f"{name} must be a list of strings", field=name)
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise exc.InvalidRule(f"{name}: unknown value(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})",
                              field=name)
    return sorted(set(value))


def _date(value: Any, *, allow_past: bool = False) -> dt.date:
    today = business_date_current()
    if value in (None, ""):
        return today
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as error:
            raise exc.InvalidRule("effective_from must be an ISO date (YYYY-MM-DD)", field="effective_from") from error
    if not isinstance(value, dt.date):
        raise exc.InvalidRule("effective_from must be a date", field="effective_from")
    if value < today and not allow_past:
        raise exc.InvalidRule(f"effective_from {value.isoformat()} is before the open business date "
                              f"{today.isoformat()}: the past is not rewritten", field="effective_from")
    return value


def version_fields_validate(kind: str, fields: dict[str, Any], *, allow_past: bool = False) -> dict[str, Any]:
    """A version's fields checked and normalised to JSON (``effective_from`` ISO)."""
    unknown = set(fields) - set(VERSION_FIELDS)
    if unknown:
        raise exc.InvalidRule(f"unknown field(s): {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    score = fields.get("score")
    if isinstance(score, bool) or not isinstance(score, int | str) or not str(score).isdigit() \
            or not 0 <= int(score) <= 100:
        raise exc.InvalidRule("score must be a whole number from 0 to 100", field="score")
    action = fields.get("action") or Action.ALERT
    if action not in Action.values:
        raise exc.InvalidRule(f"action must be one of {', '.join(Action.values)}", field="action")
    note = fields.get("note") or ""
    if not isinstance(note, str) or len(note) > 500:
        raise exc.InvalidRule("note is text of at most 500 characters", field="note")
    return {
        "parameters": parameters_validate(kind, fields.get("parameters")),
        "score": int(score), "action": action,
        "customer_types": _list(fields.get("customer_types"), "customer_types", Customer.Type.values),
        "risk_ratings": _list(fields.get("risk_ratings"), "risk_ratings", Customer.RiskRating.values),
        "effective_from": _date(fields.get("effective_from"), allow_past=allow_past).isoformat(),
        "note": note.strip(),
    }


def rule_fields_validate(*, code: Any, kind: Any, name: Any, description: Any = "") -> dict[str, Any]:
    code = (code or "").strip().upper() if isinstance(code, str) else ""
    try:
        RULE_CODE(code)
    except ValidationError as error:
        raise exc.InvalidRule(f"{code!r} is not a valid rule code: upper-case letters, digits, '_' and '-'",
                              field="code") from error
    if len(code) > 40:
        raise exc.InvalidRule("a rule code has at most 40 characters", field="code")
    if kind not in Kind.values:
        raise exc.InvalidRule(f"kind must be one of {', '.join(Kind.values)}", field="kind")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise exc.InvalidRule("a rule needs a name (at most 200 characters)", field="name")
    if not isinstance(description or "", str):
        raise exc.InvalidRule("description is text", field="description")
    return {"code": code, "kind": kind, "name": name.strip(), "description": (description or "").strip()}


def rule_summary(rule: MonitoringRule) -> dict[str, Any]:
    return {"id": rule.pk, "code": rule.code, "kind": rule.kind, "name": rule.name, "is_active": rule.is_active}


def version_summary(version: RuleVersion) -> dict[str, Any]:
    return {"rule": version.rule.code, "version": version.version, "parameters": version.parameters,
            "score": version.score, "action": version.action, "customer_types": version.customer_types,
            "risk_ratings": version.risk_ratings, "effective_from": version.effective_from.isoformat(),
            "note": version.note}


def _locked(rule_id: int) -> MonitoringRule:
    rule = MonitoringRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise exc.RuleNotFound(f"monitoring rule {rule_id} does not exist")
    return rule


# --- writes (guarded) -------------------------------------------------------------------------


@transaction.atomic
def rule_create(*, code: str, kind: str, name: str, description: str = "", is_active: bool = True, actor=None,
                reason: str = "", **version: Any) -> MonitoringRule | Deferred:
    """A rule and its version 1 (``version``: the fields of ``VERSION_FIELDS``)."""
    payload = {"operation": "rule_create", "code": code, "kind": kind, "name": name, "description": description,
               "is_active": is_active, "version": _jsonable(version), "reason": reason}
    return guarded(ACTION_TYPE, payload=payload, actor=actor, reason=reason,
                   execute=lambda: _rule_create(code=code, kind=kind, name=name, description=description,
                                                is_active=is_active, actor=actor, reason=reason, version=version))


def _rule_create(*, code, kind, name, description, is_active, actor, reason, version) -> MonitoringRule:
    fields = rule_fields_validate(code=code, kind=kind, name=name, description=description)
    checked = version_fields_validate(kind, version)
    if MonitoringRule.objects.filter(code=fields["code"]).exists():
        raise exc.RuleExists(f"a monitoring rule with code {fields['code']!r} already exists", field="code")
    try:
        with transaction.atomic():
            rule = MonitoringRule.objects.create(**fields, is_active=bool(is_active))
    except IntegrityError as error:
        raise exc.RuleExists(f"a monitoring rule with code {fields['code']!r} already exists", field="code") from error
    _version_insert(rule, checked, actor)
    audit_record(action="monitoring_rule.created", obj=rule, actor=actor, reason=reason, after=rule_summary(rule))
    return rule


@transaction.atomic
def version_create(*, rule_id: int, actor=None, reason: str = "", **fields: Any) -> RuleVersion | Deferred:
    """Propose the rule's next version; it is in force from its ``effective_from``."""
    payload = {"operation": "version_create", "rule_id": rule_id, "version": _jsonable(fields), "reason": reason}
    return guarded(ACTION_TYPE, payload=payload, actor=actor, reason=reason,
                   execute=lambda: _version_create(rule_id=rule_id, actor=actor, reason=reason, fields=fields))


def _version_create(*, rule_id: int, actor, reason: str, fields: dict[str, Any]) -> RuleVersion:
    rule = _locked(rule_id)
    version = _version_insert(rule, version_fields_validate(rule.kind, fields), actor)
    audit_record(action="monitoring_rule.version_created", obj=version, actor=actor, reason=reason,
                 after=version_summary(version))
    return version


def _version_insert(rule: MonitoringRule, checked: dict[str, Any], actor) -> RuleVersion:
    number = (rule.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    return RuleVersion.objects.create(rule=rule, version=number, created_by=user_or_none(actor),
                                      **{**checked, "effective_from": dt.date.fromisoformat(checked["effective_from"])})


@transaction.atomic
def rule_set_active(*, rule_id: int, is_active: bool, actor=None, reason: str = "") -> MonitoringRule | Deferred:
    """Activate or deactivate a rule (all its versions) from the next payment on."""
    operation = "activate" if is_active else "deactivate"
    return guarded(ACTION_TYPE, payload={"operation": operation, "rule_id": rule_id, "reason": reason},
                   actor=actor, reason=reason,
                   execute=lambda: _rule_set_active(rule_id=rule_id, is_active=is_active, actor=actor, reason=reason))


def _rule_set_active(*, rule_id: int, is_active: bool, actor, reason: str) -> MonitoringRule:
    rule = _locked(rule_id)
    if is_active and not rule.versions.exists():
        raise exc.InvalidRule("a rule without a version cannot be activated", field="rule_id")
    if rule.is_active != is_active:
        rule.is_active = is_active
        rule.save(update_fields=["is_active", "updated_at"])
        audit_record(action="monitoring_rule.activated" if is_active else "monitoring_rule.deactivated", obj=rule,
                     actor=actor, reason=reason, before={"is_active": not is_active}, after={"is_active": is_active})
    return rule


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    from core_banking.common.maker_checker import jsonable

    return jsonable(dict(fields))
