"""Monitoring reads."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .exceptions import RuleNotFound
from .models import MonitoringRule, RuleVersion


def _rules() -> QuerySet[MonitoringRule]:
    return MonitoringRule.objects.prefetch_related(
        Prefetch("versions", queryset=RuleVersion.objects.select_related("created_by").order_by("-version")))


def rule_list(*, kind: str = "", is_active: bool | None = None, code: str = "") -> QuerySet[MonitoringRule]:
    rules = _rules()
    if kind:
        rules = rules.filter(kind=kind)
    if is_active is not None:
        rules = rules.filter(is_active=is_active)
    if code:
        rules = rules.filter(code__iexact=code)
    return rules.order_by("code")


def rule_get(*, rule_id: int) -> MonitoringRule:
    rule = _rules().filter(pk=rule_id).first()
    if rule is None:
        raise RuleNotFound(f"monitoring rule {rule_id} does not exist")
    return rule
