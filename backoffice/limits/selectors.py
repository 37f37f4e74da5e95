"""Limit reads: profiles and rules, the limits in force for an account, and what remains of them.

``effective_limits`` is the one place that turns rules into the limits a payment must respect
(the semantics are in ``models``); the payment check (``checks.enforce``) and the remaining
allowance (``remaining_allowance``) both use it, so they never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from core_banking.accounts.models import Account
from core_banking.common.money import quantize
from core_banking.config import cache

from . import exceptions as exc
from .models import COUNT_LIMITS, LIMIT_FIELDS, LimitProfile, LimitRule, LimitUsage, ScopeKind, period_of, period_start

CounterKey = tuple[str, int, str, str, dt.date, str]  # scope kind, scope id, channel, period, start, currency


@dataclass(frozen=True)
class Limit:
    """One limit in force for an account: where it comes from, what it limits, and how much."""

    scope: str  # ScopeKind: whose usage it measures
    scope_id: int  # the account's or the customer's id
    source: str  # the rule it comes from: "profile RETAIL", "account" or "customer"
    rule_id: int
    channel: str  # "" = every channel
    field: str  # one of LIMIT_FIELDS
    value: Decimal | int
    currency: str
    exponent: int

    @property
    def period(self) -> str | None:
        return period_of(self.field)

    @property
    def is_count(self) -> bool:
        return self.field in COUNT_LIMITS

    def counter_key(self, business_date: dt.date) -> CounterKey:
        period = self.period
        assert period is not None, "a single-payment limit has no counter"
        return (self.scope, self.scope_id, self.channel, period, period_start(period, business_date), self.currency)

    def sort_key(self) -> tuple:
        return (self.scope, self.scope_id, self.channel, LIMIT_FIELDS.index(self.field))


def _limit(rule: LimitRule, scope: str, scope_id: int, field: str) -> Limit:
    source = f"profile {rule.profile.code}" if rule.profile_id is not None else rule.scope
    return Limit(scope=scope, scope_id=scope_id, source=source, rule_id=rule.pk, channel=rule.channel, field=field,
                 value=getattr(rule, field), currency=rule.currency_id, exponent=rule.currency.exponent)


@dataclass(frozen=True)
class LimitConfig:
    """Every limit rule, by whose it is: loaded once per process and again when the ``limits``
    generation changes (``core_banking.config.cache``; triggers in migration 0002)."""

    by_profile: dict[str, list[LimitRule]]  # active profiles' rules, by profile code
    by_account: dict[int, list[LimitRule]]
    by_customer: dict[int, list[LimitRule]]


def _load_config() -> LimitConfig:
    by_profile: dict[str, list[LimitRule]] = defaultdict(list)
    by_account: dict[int, list[LimitRule]] = defaultdict(list)
    by_customer: dict[int, list[LimitRule]] = defaultdict(list)
    for rule in LimitRule.objects.select_related("currency", "profile").order_by("id"):
        if rule.profile_id is not None:
            if rule.profile.is_active:
                by_profile[rule.profile.code].append(rule)
        elif rule.account_id is not None:
            by_account[rule.account_id].append(rule)
        elif rule.customer_id is not None:
            by_customer[rule.customer_id].append(rule)
    return LimitConfig(by_profile=dict(by_profile), by_account=dict(by_account), by_customer=dict(by_customer))


def limit_config() -> LimitConfig:
    return cache.get("limits", "config", _load_config)


def effective_limits(account: Account, channel: str) -> list[Limit]:
    """The limits a payment from ``account`` on ``channel`` must respect, in a stable order: for
    the every-channel rules and the channel's own, the account's limits (its profile's rules,
    overridden field by field by the account's rules) and its customer's. No query once the
    configuration is cached (``limit_config``)."""
    channels = ["", channel] if channel else [""]
    code = account.product.limit_profile_code
    config = limit_config()
    rules = [rule for rule in (*(config.by_profile.get(code, ()) if code else ()),
                               *config.by_account.get(account.pk, ()), *config.by_customer.get(account.customer_id, ()))
             if rule.channel in channels]
    limits: list[Limit] = []
    for each in channels:
        profile_rule = next((r for r in rules if r.profile_id is not None and r.channel == each), None)
        account_rule = next((r for r in rules if r.account_id is not None and r.channel == each), None)
        customer_rule = next((r for r in rules if r.customer_id is not None and r.channel == each), None)
        for field in LIMIT_FIELDS:
            rule = account_rule if account_rule is not None and getattr(account_rule, field) is not None \
                else profile_rule
            if rule is not None and getattr(rule, field) is not None:
                limits.append(_limit(rule, ScopeKind.ACCOUNT.value, account.pk, field))
            if customer_rule is not None and getattr(customer_rule, field) is not None:
                limits.append(_limit(customer_rule, ScopeKind.CUSTOMER.value, account.customer_id, field))
    return sorted(limits, key=Limit.sort_key)


def _key_filter(key: CounterKey) -> Q:
    scope_kind, scope_id, channel, period, start, currency = key
    return Q(scope_kind=scope_kind, scope_id=scope_id, channel=channel, period=period, period_start=start,
             currency_id=currency)


def usage_for(keys: list[CounterKey]) -> dict[CounterKey, tuple[Decimal, int]]:
    """The counted (amount, count) of each key; (0, 0) for a counter that does not exist yet."""
    found: dict[CounterKey, tuple[Decimal, int]] = dict.fromkeys(keys, (Decimal(0), 0))
    if not keys:
        return found
    condition = Q()
    for key in keys:
        condition |= _key_filter(key)
    for row in LimitUsage.objects.filter(condition).values_list(
            "scope_kind", "scope_id", "channel", "period", "period_start", "currency_id", "amount", "count"):
        found[tuple(row[:6])] = (row[6], row[7])
    return found


@dataclass(frozen=True)
class Allowance:
    """One limit and what is left of it. Amounts are in ``currency``; a single-payment limit
    has no period and no usage (``remaining`` is the most one payment may be)."""

    limit: str
    scope: str
    scope_id: int
    source: str
    rule_id: int
    channel: str
    period: str | None
    period_start: dt.date | None
    currency: str | None  # None for a count
    limit_value: str
    used: str | None
    remaining: str


def _fmt(value: Decimal | int, limit: Limit) -> str:
    return str(value) if limit.is_count else format(quantize(Decimal(value), limit.exponent), "f")


def allowance_of(limit: Limit, business_date: dt.date, used: tuple[Decimal, int] | None) -> Allowance:
    if limit.period is None or used is None:
        used_value, remaining = None, limit.value
    else:
        used_value = used[1] if limit.is_count else used[0]
        remaining = max(limit.value - used_value, 0)
    return Allowance(
        limit=limit.field, scope=limit.scope, scope_id=limit.scope_id, source=limit.source, rule_id=limit.rule_id,
        channel=limit.channel, period=limit.period,
        period_start=period_start(limit.period, business_date) if limit.period else None,
        currency=None if limit.is_count else limit.currency, limit_value=_fmt(limit.value, limit),
        used=None if used_value is None else _fmt(used_value, limit), remaining=_fmt(remaining, limit),
    )


def remaining_allowance(account: Account, channel: str, business_date: dt.date) -> list[Allowance]:
    """Every limit a payment from ``account`` on ``channel`` on ``business_date`` must respect,
    with what has been used of it and what remains (never below zero). A payment passes when it
    fits every line: the smallest remainder of each kind is what is left."""
    limits = effective_limits(account, channel)
    periodic = [limit for limit in limits if limit.period is not None]
    used = usage_for(sorted({limit.counter_key(business_date) for limit in periodic}))
    return [allowance_of(limit, business_date,
                         used[limit.counter_key(business_date)] if limit.period is not None else None)
            for limit in limits]


# --- profiles and rules --------------------------------------------------------------------


def _rules() -> QuerySet[LimitRule]:
    return LimitRule.objects.select_related("currency", "profile", "customer", "account")


def profile_list(*, is_active: bool | None = None, code: str = "") -> QuerySet[LimitProfile]:
    profiles = LimitProfile.objects.prefetch_related(
        Prefetch("rules", queryset=LimitRule.objects.select_related("currency").order_by("channel", "id")))
    if is_active is not None:
        profiles = profiles.filter(is_active=is_active)
    if code:
        profiles = profiles.filter(code=code.strip().upper())
    return profiles


def profile_get(*, profile_id: int) -> LimitProfile:
    profile = profile_list().filter(pk=profile_id).first()
    if profile is None:
        raise exc.LimitNotFound(f"limit profile {profile_id} does not exist")
    return profile


def rule_list(*, profile_code: str = "", customer_id: int | None = None, account_id: int | None = None,
              scope: str = "", channel: str | None = None) -> QuerySet[LimitRule]:
    rules = _rules()
    if profile_code:
        rules = rules.filter(profile__code=profile_code.strip().upper())
    if customer_id is not None:
        rules = rules.filter(customer_id=customer_id)
    if account_id is not None:
        rules = rules.filter(account_id=account_id)
    if scope:
        rules = rules.filter(**{f"{scope}__isnull": False})
    if channel is not None:
        rules = rules.filter(channel=channel)
    return rules


def rule_get(*, rule_id: int) -> LimitRule:
    rule = _rules().filter(pk=rule_id).first()
    if rule is None:
        raise exc.LimitNotFound(f"limit rule {rule_id} does not exist")
    return rule
