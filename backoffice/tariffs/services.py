"""Tariff writes: plans, versions with their rules, rules, customer overrides, usage give-back.

Each write validates first (a refusal is a ``DomainError`` with a stable code, see
``exceptions.py``), then writes and appends its audit event in one transaction.

Governance of prices: a version's prices are fixed once it has started (its
``effective_from`` is on or before the current business date): fees may have been charged under
them. A change is a new version, created together with its rules, starting no earlier than the
current business date (only a plan's first version may be back-dated: nothing was priced under
the plan before it). Rules may be added to a version that has not started yet.

The admin uses the same ``*_validate`` functions, so that a form shows the same refusals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import Deferred, guarded, jsonable
from core_banking.common.money import check_fits, to_decimal
from core_banking.customers.models import Customer
from core_banking.ledger.models import Currency
from core_banking.ledger.selectors import business_date_current
from core_banking.payments.models import Channel, FeeEvent, Payment

from . import exceptions as exc
from .models import (
    FRACTION,
    PERIODIC_EVENTS,
    PLAN_CODE,
    CustomerTariff,
    FeeRule,
    FeeTier,
    FeeUsage,
    FeeUsageRecord,
    Period,
    TariffPlan,
    TariffVersion,
)

MAX_RULES_PER_VERSION = 100
MAX_TIERS_PER_RULE = 20
RULE_FIELDS = ("event", "channel", "currency", "fixed_amount", "percentage", "min_fee", "max_fee",
               "free_allowance_count", "allowance_period", "description")



# --- plans ---------------------------------------------------------------------------------


def plan_validate(plan: TariffPlan) -> None:
    plan.code = (plan.code or "").strip().upper()
    try:
        PLAN_CODE(plan.code)
    except ValidationError as error:
        raise exc.InvalidTariff(f"{plan.code!r} is not a valid plan code: upper-case letters, digits, '_' and '-'",
                                field="code") from error
    if not plan.name.strip():
        raise exc.InvalidTariff("a plan needs a name", field="name")


@transaction.atomic
def plan_create(*, code: str, name: str, description: str = "", is_active: bool = True, actor=None) -> TariffPlan:
    plan = TariffPlan(code=code, name=name, description=description, is_active=is_active)
    plan_validate(plan)
    if TariffPlan.objects.filter(code=plan.code).exists():
        raise exc.TariffExists(f"a tariff plan with code {plan.code!r} already exists", field="code")
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as error:
        raise exc.TariffExists(f"a tariff plan with code {plan.code!r} already exists", field="code") from error
    audit_record(action="tariff_plan.created", obj=plan, actor=actor,
                 after={"code": plan.code, "name": plan.name, "is_active": plan.is_active})
    return plan


@transaction.atomic
def plan_update(*, plan_id: int, actor=None, reason: str = "", name: str | None = None,
                description: str | None = None, is_active: bool | None = None) -> TariffPlan | Deferred:
    """Rename, describe, or (de)activate a plan: an inactive plan charges nothing. Passes the
    maker-checker gate (``tariff_change``)."""
    changes = {k: v for k, v in (("name", name), ("description", description), ("is_active", is_active))
               if v is not None}
    return guarded("tariff_change", payload={"operation": "plan_update", "plan_id": plan_id, **changes,
                                             "reason": reason}, actor=actor, reason=reason,
                   execute=lambda: _plan_update(plan_id=plan_id, actor=actor, reason=reason, **changes))


def _plan_update(*, plan_id: int, actor, reason: str, name: str | None = None, description: str | None = None,
                 is_active: bool | None = None) -> TariffPlan:
    plan = TariffPlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise exc.TariffNotFound(f"tariff plan {plan_id} does not exist")
    wanted = {"name": name, "description": description, "is_active": is_active}
    before = {field: getattr(plan, field) for field in wanted}
    for field, value in wanted.items():
        if value is not None:
            setattr(plan, field, value)
    plan_validate(plan)
    changed = [field for field in wanted if getattr(plan, field) != before[field]]
    if changed:
        plan.save(update_fields=[*changed, "updated_at"])
        audit_record(action="tariff_plan.updated", obj=plan, actor=actor, reason=reason, changes=changed,
                     before={f: before[f] for f in changed}, after={f: getattr(plan, f) for f in changed})
    return plan


# --- versions ------------------------------------------------------------------------------


def version_validate_start(plan: TariffPlan, effective_from: dt.date, *, exclude_id: int | None = None) -> None:
    """A new version starts on a free date, and not in the past unless it is the plan's first."""
    others = TariffVersion.objects.filter(plan=plan).exclude(pk=exclude_id)
    if others.filter(effective_from=effective_from).exists():
        raise exc.TariffExists(f"plan {plan.code} already has a version starting {effective_from.isoformat()}",
                               field="effective_from")
    if not others.exists():
        return  # the plan's first version: nothing has been priced under the plan yet
    today = business_date_current()
    if effective_from < today:
        raise exc.InvalidTariff(
            f"a new version of {plan.code} cannot start before the current business date {today.isoformat()}: "
            "fees have been charged under the version in force", field="effective_from")


def version_require_not_started(version: TariffVersion) -> None:
    today = business_date_current()
    if version.effective_from <= today:
        raise exc.TariffVersionInForce(
            f"version {version} has started (business date {today.isoformat()}); its prices are fixed: "
            "create a new version instead", version_id=version.pk)


@transaction.atomic
def version_create(*, plan_id: int, effective_from: dt.date, note: str = "",
                   rules: Iterable[Mapping[str, Any]] = (), actor=None, reason: str = "") -> TariffVersion | Deferred:
    """A new version of a plan with its rules, all or nothing. Passes the maker-checker gate
    (``tariff_change``)."""
    rules = list(rules)
    return guarded("tariff_change", payload=jsonable({
        "operation": "version_create", "plan_id": plan_id, "effective_from": effective_from, "note": note,
        "rules": rules, "reason": reason or note}), actor=actor, reason=reason or note,
        execute=lambda: _version_create(plan_id=plan_id, effective_from=effective_from, note=note, rules=rules,
                                        actor=actor))


def _version_create(*, plan_id: int, effective_from: dt.date, note: str, rules: list, actor) -> TariffVersion:
    plan = TariffPlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise exc.TariffNotFound(f"tariff plan {plan_id} does not exist")
    rules = list(rules)
    if len(rules) > MAX_RULES_PER_VERSION:
        raise exc.InvalidTariff(f"a version has at most {MAX_RULES_PER_VERSION} rules", field="rules")
    version_validate_start(plan, effective_from)
    version = TariffVersion.objects.create(plan=plan, effective_from=effective_from, note=note,
                                           created_by=user_or_none(actor))
    created = []
    for index, fields in enumerate(rules):
        try:
            created.append(_rule_add(version, fields))
        except DomainError as error:
            error.extra.setdefault("rule_index", index)
            raise
    audit_record(action="tariff_version.created", obj=version, actor=actor,
                 after={"plan": plan.code, "effective_from": effective_from, "note": note,
                        "rules": [_rule_summary(rule) for rule in created]})
    return version


# --- rules ---------------------------------------------------------------------------------


def _amount(value: Any, currency: Currency, field: str) -> Decimal:
    try:
        amount = check_fits(to_decimal(value), currency.exponent, currency=currency.code)
    except DomainError as error:
        raise exc.InvalidTariff(f"{field}: {error.detail}", field=field) from error
    if amount < 0:
        raise exc.InvalidTariff(f"{field} may not be negative", field=field)
    return amount


def _fraction(value: Any, field: str) -> Decimal:
    try:
        fraction = check_fits(to_decimal(value), FRACTION["decimal_places"])
    except DomainError as error:
        raise exc.InvalidTariff(f"{field} has more than {FRACTION['decimal_places']} decimal places",
                                field=field) from error
    if not 0 <= fraction <= 1:
        raise exc.InvalidTariff(f"{field} is a fraction between 0 and 1 (0.0025 = 0.25 %), not {fraction}",
                                field=field)
    return fraction


def rule_validate(rule: FeeRule, tiers: Iterable[FeeTier]) -> list[FeeTier]:
    """Check (and normalise) a rule and its tiers; returns the tiers in volume order."""
    if rule.event not in FeeEvent.values:
        raise exc.InvalidTariff(f"unknown fee event {rule.event!r}", field="event")
    rule.channel = rule.channel or ""
    if rule.channel and rule.channel not in Channel.values:
        raise exc.InvalidTariff(f"unknown channel {rule.channel!r}", field="channel")
    if rule.channel and rule.event in PERIODIC_EVENTS:
        raise exc.InvalidTariff(f"{rule.event} is periodic: it has no channel", field="channel")
    currency = Currency.objects.filter(code=rule.currency_id).first() if rule.currency_id else None
    if currency is None or not currency.is_active:
        raise exc.InvalidTariff(f"unknown or inactive fee currency {rule.currency_id!r}", field="currency")
    rule.fixed_amount = _amount(rule.fixed_amount, currency, "fixed_amount")
    rule.min_fee = _amount(rule.min_fee, currency, "min_fee")
    if rule.max_fee is not None:
        rule.max_fee = _amount(rule.max_fee, currency, "max_fee")
        if rule.max_fee < rule.min_fee:
            raise exc.InvalidTariff(f"max_fee {rule.max_fee} is below min_fee {rule.min_fee}", field="max_fee")
    rule.percentage = _fraction(rule.percentage, "percentage")
    if rule.free_allowance_count is None or int(rule.free_allowance_count) < 0:
        raise exc.InvalidTariff("free_allowance_count may not be negative", field="free_allowance_count")
    if rule.allowance_period not in Period.values:
        raise exc.InvalidTariff(f"allowance_period is day or month, not {rule.allowance_period!r}",
                                field="allowance_period")
    tiers = list(tiers)
    if len(tiers) > MAX_TIERS_PER_RULE:
        raise exc.InvalidTariff(f"a rule has at most {MAX_TIERS_PER_RULE} tiers", field="tiers")
    for tier in tiers:
        tier.from_volume = _amount(tier.from_volume, currency, "tiers.from_volume")
        if tier.from_volume <= 0:
            raise exc.InvalidTariff("a tier starts above a volume of 0 (band 0 is the rule itself)",
                                    field="tiers.from_volume")
        tier.percentage = _fraction(tier.percentage, "tiers.percentage")
        tier.fixed_amount = _amount(tier.fixed_amount, currency, "tiers.fixed_amount")
    starts = [tier.from_volume for tier in tiers]
    if len(set(starts)) != len(starts):
        raise exc.InvalidTariff("two tiers start at the same volume", field="tiers")
    return sorted(tiers, key=lambda tier: tier.from_volume)


def _rule_add(version: TariffVersion, fields: Mapping[str, Any]) -> FeeRule:
    fields = dict(fields)
    tiers = [FeeTier(**tier) for tier in fields.pop("tiers", None) or []]
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise exc.InvalidTariff(f"unknown rule field(s): {', '.join(sorted(unknown))}")
    currency = fields.pop("currency", None)
    rule = FeeRule(version=version, currency_id=getattr(currency, "code", currency), **fields)
    tiers = rule_validate(rule, tiers)
    if FeeRule.objects.filter(version=version, event=rule.event, channel=rule.channel).exists():
        raise exc.TariffExists(f"version {version} already has a rule for {rule.event} on "
                               f"{rule.channel or 'any channel'}", field="event")
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as error:
        raise exc.TariffExists(f"version {version} already has a rule for {rule.event} on "
                               f"{rule.channel or 'any channel'}", field="event") from error
    for tier in tiers:
        tier.rule = rule
    FeeTier.objects.bulk_create(tiers)
    return rule


def _rule_summary(rule: FeeRule) -> dict[str, Any]:
    exponent = rule.currency.exponent

    def money(value: Decimal | None) -> Decimal | None:
        return None if value is None else check_fits(value, exponent)  # validated: fits, lossless

    return {
        "id": rule.pk, "event": rule.event, "channel": rule.channel, "currency": rule.currency_id,
        "fixed_amount": money(rule.fixed_amount), "percentage": rule.percentage.normalize(),
        "min_fee": money(rule.min_fee), "max_fee": money(rule.max_fee),
        "free_allowance_count": rule.free_allowance_count, "allowance_period": rule.allowance_period,
        "tiers": [{"from_volume": money(t.from_volume), "percentage": t.percentage.normalize(),
                   "fixed_amount": money(t.fixed_amount)}
                  for t in FeeTier.objects.filter(rule=rule).order_by("from_volume")],
    }


@transaction.atomic
def rule_create(*, version_id: int, actor=None, reason: str = "", **fields: Any) -> FeeRule | Deferred:
    """Add a rule (with its tiers) to a version that has not started yet. Passes the maker-checker
    gate (``tariff_change``)."""
    return guarded("tariff_change", payload=jsonable({"operation": "rule_create", "version_id": version_id,
                                                      "fields": fields, "reason": reason}),
                   actor=actor, reason=reason, execute=lambda: _rule_create(version_id=version_id, actor=actor,
                                                                            **fields))


def _rule_create(*, version_id: int, actor, **fields: Any) -> FeeRule:
    version = TariffVersion.objects.select_for_update().select_related("plan").filter(pk=version_id).first()
    if version is None:
        raise exc.TariffNotFound(f"tariff version {version_id} does not exist")
    version_require_not_started(version)
    rule = _rule_add(version, fields)
    audit_record(action="fee_rule.created", obj=rule, actor=actor, after=_rule_summary(rule))
    return rule


# --- customer overrides --------------------------------------------------------------------


def customer_tariff_validate(override: CustomerTariff, *, exclude_id: int | None = None) -> None:
    if override.valid_to is not None and override.valid_to < override.valid_from:
        raise exc.InvalidTariff("valid_to is before valid_from", field="valid_to")
    overlapping = CustomerTariff.objects.filter(customer_id=override.customer_id).exclude(pk=exclude_id)
    if override.valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=override.valid_to)
    overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=override.valid_from)).first()
    if overlapping is not None:
        raise exc.CustomerTariffOverlap(f"the customer already has {overlapping}", override_id=overlapping.pk)


@transaction.atomic
def customer_tariff_assign(*, customer_id: int, plan_code: str, valid_from: dt.date,
                           valid_to: dt.date | None = None, note: str = "", actor=None) -> CustomerTariff:
    """Give one customer a plan that replaces their products' plan for the period."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()  # serialises overlap checks
    if customer is None:
        raise exc.TariffNotFound(f"customer {customer_id} does not exist")
    plan = TariffPlan.objects.filter(code=plan_code).first()
    if plan is None:
        raise exc.TariffNotFound(f"tariff plan {plan_code!r} does not exist")
    override = CustomerTariff(customer=customer, plan=plan, valid_from=valid_from, valid_to=valid_to, note=note,
                              created_by=user_or_none(actor))
    customer_tariff_validate(override)
    override.save()
    audit_record(action="customer_tariff.assigned", obj=override, actor=actor,
                 after={"customer": customer.number, "plan": plan.code, "valid_from": valid_from,
                        "valid_to": valid_to, "note": note})
    return override


# --- usage ---------------------------------------------------------------------------------


@transaction.atomic
def usage_give_back(*, payment: Payment) -> int:
    """Take back what ``payment`` added to the usage counters (once; again is a no-op).
    Returns the number of counters changed. Locks counters day before month, like pricing."""
    records = list(FeeUsageRecord.objects.select_for_update().filter(payment=payment, released_at__isnull=True))
    if not records:
        return 0
    usages = {u.pk: u for u in FeeUsage.objects.select_for_update()
              .filter(pk__in=[r.usage_id for r in records]).order_by("period", "pk")}
    now = timezone.now()
    for record in records:
        usage = usages[record.usage_id]
        usage.count = max(0, usage.count - record.count)
        usage.volume = max(Decimal(0), usage.volume - record.volume)
        usage.save(update_fields=["count", "volume", "updated_at"])
        record.released_at = now
        record.save(update_fields=["released_at"])
    return len(records)
