"""The tariff configuration as the fee policy reads it: every plan, version, rule (with its tiers)
and customer override, loaded once per process and again when the ``tariffs`` generation changes
(``core_banking.config.cache``; the tables' triggers are in migration 0003). Pricing a payment
then reads no configuration from the database."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch

from core_banking.config import cache

from .models import CustomerTariff, FeeRule, FeeTier, TariffPlan, TariffVersion


@dataclass(frozen=True)
class TariffConfig:
    plans_by_code: dict[str, TariffPlan]
    versions: dict[int, list[TariffVersion]]  # per plan id, latest effective_from first
    rules: dict[tuple[int, str, str], FeeRule]  # (version id, event, channel); "" = any channel
    overrides: dict[int, list[CustomerTariff]]  # per customer, latest valid_from (then id) first

    def customer_override(self, customer_id: int, business_date: dt.date) -> CustomerTariff | None:
        """As ``selectors.customer_override``."""
        for override in self.overrides.get(customer_id, ()):
            if override.valid_from <= business_date and (override.valid_to is None
                                                         or override.valid_to >= business_date):
                return override
        return None

    def version_in_force(self, plan: TariffPlan, business_date: dt.date) -> TariffVersion | None:
        """As ``selectors.version_in_force``."""
        return next((v for v in self.versions.get(plan.pk, ()) if v.effective_from <= business_date), None)

    def rule_for(self, version: TariffVersion, event: str, channel: str) -> FeeRule | None:
        """As ``selectors.rule_for``."""
        if channel:
            rule = self.rules.get((version.pk, event, channel))
            if rule is not None:
                return rule
        return self.rules.get((version.pk, event, ""))


def _load() -> TariffConfig:
    plans = {plan.pk: plan for plan in TariffPlan.objects.all()}
    versions: dict[int, list[TariffVersion]] = defaultdict(list)
    for version in TariffVersion.objects.order_by("plan_id", "-effective_from", "-id"):
        version.plan = plans[version.plan_id]
        versions[version.plan_id].append(version)
    rules = {(rule.version_id, rule.event, rule.channel or ""): rule for rule in (
        FeeRule.objects.select_related("currency")
        .prefetch_related(Prefetch("tiers", queryset=FeeTier.objects.order_by("from_volume"))))}
    overrides: dict[int, list[CustomerTariff]] = defaultdict(list)
    for override in CustomerTariff.objects.order_by("customer_id", "-valid_from", "-id"):
        override.plan = plans[override.plan_id]
        overrides[override.customer_id].append(override)
    return TariffConfig(plans_by_code={plan.code: plan for plan in plans.values()}, versions=dict(versions),
                        rules=rules, overrides=dict(overrides))


def tariff_config() -> TariffConfig:
    return cache.get("tariffs", "config", _load)
