"""Tariff reads: plans with their versions and rules, and the look-ups the fee policy makes."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from . import exceptions as exc
from .models import CustomerTariff, FeeRule, FeeTier, FeeUsage, TariffPlan, TariffVersion


def versions_with_end(queryset: QuerySet[TariffVersion] | None = None) -> QuerySet[TariffVersion]:
    """Versions annotated with the start of the next version of their plan, from which their
    ``effective_to`` (the day before) is derived without a query per row."""
    following = (TariffVersion.objects.filter(plan=OuterRef("plan"), effective_from__gt=OuterRef("effective_from"))
                 .order_by("effective_from").values("effective_from")[:1])
    queryset = TariffVersion.objects.all() if queryset is None else queryset
    return queryset.annotate(next_effective_from=Subquery(following))


def _rules() -> Prefetch:
    return Prefetch(
        "rules",
        queryset=FeeRule.objects.select_related("currency")
        .prefetch_related(Prefetch("tiers", queryset=FeeTier.objects.order_by("from_volume")))
        .order_by("event", "channel"),
    )


def _versions() -> Prefetch:
    return Prefetch(
        "versions",
        queryset=versions_with_end().select_related("created_by").prefetch_related(_rules())
        .order_by("-effective_from"),
    )


def plan_list(*, is_active: bool | None = None, code: str = "") -> QuerySet[TariffPlan]:
    """Plans in code order, with their versions (newest first), rules and tiers."""
    plans = TariffPlan.objects.prefetch_related(_versions()).order_by("code")
    if is_active is not None:
        plans = plans.filter(is_active=is_active)
    if code:
        plans = plans.filter(code=code.strip().upper())
    return plans


def plan_get(*, plan_id: int) -> TariffPlan:
    plan = TariffPlan.objects.prefetch_related(_versions()).filter(pk=plan_id).first()
    if plan is None:
        raise exc.TariffNotFound(f"tariff plan {plan_id} does not exist")
    return plan


def plan_get_by_code(*, code: str) -> TariffPlan | None:
    return TariffPlan.objects.filter(code=code).first()


def version_get(*, version_id: int) -> TariffVersion:
    version = (versions_with_end().select_related("plan", "created_by").prefetch_related(_rules())
               .filter(pk=version_id).first())
    if version is None:
        raise exc.TariffNotFound(f"tariff version {version_id} does not exist")
    return version


def rule_get(*, rule_id: int) -> FeeRule:
    rule = (FeeRule.objects.select_related("currency", "version__plan")
            .prefetch_related(Prefetch("tiers", queryset=FeeTier.objects.order_by("from_volume")))
            .filter(pk=rule_id).first())
    if rule is None:
        raise exc.TariffNotFound(f"fee rule {rule_id} does not exist")
    return rule


# --- what the fee policy looks up ----------------------------------------------------------


def customer_override(*, customer_id: int, business_date: dt.date) -> CustomerTariff | None:
    """The customer's override valid on ``business_date`` (the latest started, should two overlap)."""
    return (CustomerTariff.objects.select_related("plan")
            .filter(customer_id=customer_id, valid_from__lte=business_date)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=business_date))
            .order_by("-valid_from", "-id").first())


def version_in_force(*, plan: TariffPlan, business_date: dt.date) -> TariffVersion | None:
    """The latest version with ``effective_from <= business_date``."""
    return (TariffVersion.objects.filter(plan=plan, effective_from__lte=business_date)
            .order_by("-effective_from").first())


def rule_for(*, version: TariffVersion, event: str, channel: str) -> FeeRule | None:
    """The rule for the event on this channel, else the event's any-channel rule."""
    candidates = (FeeRule.objects.select_related("currency")
                  .prefetch_related(Prefetch("tiers", queryset=FeeTier.objects.order_by("from_volume")))
                  .filter(version=version, event=event, channel__in={channel or "", ""}))
    rules = {rule.channel: rule for rule in candidates}
    return rules.get(channel) if channel and channel in rules else rules.get("")


def usage_list(*, account_id: int, event: str | None = None) -> QuerySet[FeeUsage]:
    usage = FeeUsage.objects.filter(account_id=account_id)
    if event:
        usage = usage.filter(event=event)
    return usage.order_by("event", "period", "-period_start")
