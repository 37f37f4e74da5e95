"""Limit writes: profiles and rules.

Each write validates first (a refusal is a ``DomainError`` with a stable code, see
``exceptions.py``), then writes and appends its audit event, in one transaction. The admin
calls the same ``*_validate`` functions, so a form shows the same refusals.

A rule's scope (profile, customer or account) is fixed once created; its channel, currency and
limits may change. A change takes effect with the next payment; what has been counted stays
counted (the counters are per scope, channel, period and currency, not per rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core_banking.accounts.models import Account
from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none
from core_banking.common.errors import DomainError
from core_banking.common.maker_checker import Deferred, guarded, jsonable
from core_banking.common.money import check_fits, quantize, to_decimal
from core_banking.customers.models import Customer
from core_banking.ledger.models import Currency
from core_banking.payments.models import Channel

from . import exceptions as exc
from .models import AMOUNT_LIMITS, COUNT_LIMITS, LIMIT_FIELDS, PROFILE_CODE, LimitProfile, LimitRule

RULE_FIELDS = ("channel", "currency", *LIMIT_FIELDS, "note")
MAX_COUNT = 2**31 - 1  # PositiveIntegerField



# --- profiles ------------------------------------------------------------------------------


def profile_validate(profile: LimitProfile) -> None:
    profile.code = (profile.code or "").strip().upper()
    try:
        PROFILE_CODE(profile.code)
    except ValidationError as error:
        raise exc.InvalidLimit(f"{profile.code!r} is not a valid profile code: upper-case letters, digits, '_' "
                               "and '-'", field="code") from error
    if len(profile.code) > LimitProfile._meta.get_field("code").max_length:
        raise exc.InvalidLimit("a profile code has at most 32 characters", field="code")
    if not (profile.name or "").strip():
        raise exc.InvalidLimit("a profile needs a name", field="name")


@transaction.atomic
def profile_create(*, code: str, name: str, description: str = "", is_active: bool = True,
                   actor=None) -> LimitProfile:
    profile = LimitProfile(code=code, name=name, description=description, is_active=is_active)
    profile_validate(profile)
    if LimitProfile.objects.filter(code=profile.code).exists():
        raise exc.LimitExists(f"a limit profile with code {profile.code!r} already exists", field="code")
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as error:
        raise exc.LimitExists(f"a limit profile with code {profile.code!r} already exists", field="code") from error
    audit_record(action="limit_profile.created", obj=profile, actor=actor,
                 after={"code": profile.code, "name": profile.name, "is_active": profile.is_active})
    return profile


@transaction.atomic
def profile_update(*, profile_id: int, actor=None, reason: str = "", name: str | None = None,
                   description: str | None = None, is_active: bool | None = None) -> LimitProfile:
    """Rename, describe, or (de)activate a profile: an inactive profile limits nothing. The code
    is fixed: products name the profile by it."""
    profile = LimitProfile.objects.select_for_update().filter(pk=profile_id).first()
    if profile is None:
        raise exc.LimitNotFound(f"limit profile {profile_id} does not exist")
    wanted = {"name": name, "description": description, "is_active": is_active}
    before = {field: getattr(profile, field) for field in wanted}
    for field, value in wanted.items():
        if value is not None:
            setattr(profile, field, value)
    profile_validate(profile)
    changed = [field for field in wanted if getattr(profile, field) != before[field]]
    if changed:
        profile.save(update_fields=[*changed, "updated_at"])
        audit_record(action="limit_profile.updated", obj=profile, actor=actor, reason=reason, changes=changed,
                     before={f: before[f] for f in changed}, after={f: getattr(profile, f) for f in changed})
    return profile


# --- rules ---------------------------------------------------------------------------------


def _amount(value: Any, currency: Currency, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = check_fits(to_decimal(value), currency.exponent, currency=currency.code)
    except (DomainError, TypeError) as error:
        detail = error.detail if isinstance(error, DomainError) else str(error)
        raise exc.InvalidLimit(f"{field}: {detail}", field=field) from error
    if amount < 0:
        raise exc.InvalidLimit(f"{field} may not be negative", field=field)
    return amount


def _count(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise exc.InvalidLimit(f"{field} is a whole number of payments", field=field)
    try:
        count = int(value)
    except ValueError as error:
        raise exc.InvalidLimit(f"{field} is a whole number of payments", field=field) from error
    if not 0 <= count <= MAX_COUNT:
        raise exc.InvalidLimit(f"{field} is between 0 and {MAX_COUNT}", field=field)
    return count


def _ordered(rule: LimitRule, smaller: str, larger: str) -> None:
    low, high = getattr(rule, smaller), getattr(rule, larger)
    if low is not None and high is not None and low > high:
        raise exc.InvalidLimit(f"{smaller} {low} is above {larger} {high}", field=smaller)


def rule_validate_limits(rule: LimitRule) -> None:
    """Check (and normalise) what a rule limits: a known channel and active currency, amounts that
    fit the currency, limits not negative and in order, at least one limit."""
    rule.channel = rule.channel or ""
    if rule.channel and rule.channel not in Channel.values:
        raise exc.InvalidLimit(f"unknown channel {rule.channel!r}", field="channel")
    currency = Currency.objects.filter(code=rule.currency_id).first() if rule.currency_id else None
    if currency is None or not currency.is_active:
        raise exc.InvalidLimit(f"unknown or inactive currency {rule.currency_id!r}", field="currency")
    for field in AMOUNT_LIMITS:
        setattr(rule, field, _amount(getattr(rule, field), currency, field))
    for field in COUNT_LIMITS:
        setattr(rule, field, _count(getattr(rule, field), field))
    if all(getattr(rule, field) is None for field in LIMIT_FIELDS):
        raise exc.InvalidLimit("a rule sets at least one limit", field="max_single_amount")
    for smaller, larger in (("max_single_amount", "daily_amount"), ("max_single_amount", "monthly_amount"),
                            ("daily_amount", "monthly_amount"), ("daily_count", "monthly_count")):
        _ordered(rule, smaller, larger)


def rule_validate(rule: LimitRule, *, exclude_id: int | None = None) -> None:
    """``rule_validate_limits``, plus: exactly one scope, and no other rule of that scope and
    channel."""
    scopes = [s for s in ("profile_id", "customer_id", "account_id") if getattr(rule, s) is not None]
    if len(scopes) != 1:
        raise exc.InvalidLimit("a rule belongs to exactly one of a profile, a customer or an account", field="scope")
    rule_validate_limits(rule)
    scope_field = scopes[0].removesuffix("_id")
    duplicate = LimitRule.objects.filter(**{scopes[0]: getattr(rule, scopes[0])}, channel=rule.channel)
    if duplicate.exclude(pk=exclude_id).exists():
        raise exc.LimitExists(f"this {scope_field} already has a rule for {rule.channel or 'every channel'}",
                              field="channel")


def rule_summary(rule: LimitRule) -> dict[str, Any]:
    """The rule for the audit trail, amounts in its currency's decimal places."""
    exponent = Currency.objects.filter(code=rule.currency_id).values_list("exponent", flat=True).first()

    def value(field: str) -> Any:
        amount = getattr(rule, field)
        if field in AMOUNT_LIMITS and amount is not None and exponent is not None:
            return quantize(to_decimal(amount), exponent)
        return amount

    return {
        "id": rule.pk, "scope": rule.scope, "profile": rule.profile_id, "customer": rule.customer_id,
        "account": rule.account_id, "channel": rule.channel, "currency": rule.currency_id,
        **{field: value(field) for field in LIMIT_FIELDS}, "note": rule.note,
    }


def _scope(*, profile_code: str | None, customer_id: int | None, account_id: int | None) -> dict[str, Any]:
    given = [v for v in (profile_code, customer_id, account_id) if v not in (None, "")]
    if len(given) != 1:
        raise exc.InvalidLimit("name exactly one of profile, customer or account", field="scope")
    if profile_code:
        profile = LimitProfile.objects.select_for_update().filter(code=profile_code.strip().upper()).first()
        if profile is None:
            raise exc.LimitNotFound(f"limit profile {profile_code!r} does not exist", field="profile")
        return {"profile": profile}
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise exc.LimitNotFound(f"customer {customer_id} does not exist", field="customer")
        return {"customer": customer}
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        raise exc.LimitNotFound(f"account {account_id} does not exist", field="account")
    return {"account": account}


def _unknown(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise exc.InvalidLimit(f"unknown rule field(s): {', '.join(sorted(unknown))}", field=sorted(unknown)[0])


def _save(rule: LimitRule, **kwargs) -> None:
    try:
        with transaction.atomic():
            rule.save(**kwargs)
    except IntegrityError as error:
        raise exc.LimitExists(f"{rule.scope_label} already has a rule for {rule.channel or 'every channel'}",
                              field="channel") from error


# Limit rules change through maker-checker (``core_banking/common/maker_checker.py``): each
# service below passes the gate, which returns the ``Deferred`` approval request (action type
# ``limit_change``) unless an approved request is being executed.


@transaction.atomic
def rule_create(*, profile_code: str | None = None, customer_id: int | None = None, account_id: int | None = None,
                actor=None, reason: str = "", **fields: Any) -> LimitRule | Deferred:
    """A rule for a profile (by code), a customer or an account."""
    scope = {k: v for k, v in (("profile_code", profile_code), ("customer_id", customer_id),
                               ("account_id", account_id)) if v not in (None, "")}
    return guarded("limit_change", payload={"operation": "create", **scope, "fields": jsonable(fields),
                                            "reason": reason}, actor=actor, reason=reason,
                   execute=lambda: _rule_create(profile_code=profile_code, customer_id=customer_id,
                                                account_id=account_id, actor=actor, **fields))


def _rule_create(*, profile_code, customer_id, account_id, actor, **fields: Any) -> LimitRule:
    _unknown(fields)
    scope = _scope(profile_code=profile_code, customer_id=customer_id, account_id=account_id)
    currency = fields.pop("currency", None)
    rule = LimitRule(**scope, currency_id=getattr(currency, "code", currency), created_by=user_or_none(actor), **fields)
    rule_validate(rule)
    _save(rule)
    audit_record(action="limit_rule.created", obj=rule, actor=actor, after=rule_summary(rule))
    return rule


@transaction.atomic
def rule_update(*, rule_id: int, actor=None, reason: str = "", **fields: Any) -> LimitRule | Deferred:
    """Change a rule's channel, currency, limits or note; a limit given as None is removed."""
    return guarded("limit_change", payload={"operation": "update", "rule_id": rule_id, "fields": jsonable(fields),
                                            "reason": reason}, actor=actor, reason=reason,
                   execute=lambda: _rule_update(rule_id=rule_id, actor=actor, reason=reason, **fields))


def _rule_update(*, rule_id: int, actor, reason: str, **fields: Any) -> LimitRule:
    _unknown(fields)
    rule = LimitRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise exc.LimitNotFound(f"limit rule {rule_id} does not exist")
    before = rule_summary(rule)
    if "currency" in fields:
        currency = fields.pop("currency")
        rule.currency_id = getattr(currency, "code", currency)
    for field, value in fields.items():
        setattr(rule, field, "" if field in ("channel", "note") and value is None else value)
    rule_validate(rule, exclude_id=rule.pk)
    after = rule_summary(rule)
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        _save(rule)
        audit_record(action="limit_rule.updated", obj=rule, actor=actor, reason=reason, changes=changed,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return rule


@transaction.atomic
def rule_delete(*, rule_id: int, actor=None, reason: str = "") -> Deferred | None:
    """Remove a rule: its limits stop applying with the next payment."""
    return guarded("limit_change", payload={"operation": "delete", "rule_id": rule_id, "reason": reason},
                   actor=actor, reason=reason,
                   execute=lambda: _rule_delete(rule_id=rule_id, actor=actor, reason=reason))


def _rule_delete(*, rule_id: int, actor, reason: str) -> None:
    rule = LimitRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise exc.LimitNotFound(f"limit rule {rule_id} does not exist")
    summary = rule_summary(rule)
    label = str(rule)
    rule.delete()
    audit_record(action="limit_rule.deleted", object_type="limits.limitrule", object_id=summary["id"],
                 object_repr=label, actor=actor, reason=reason, before=summary)
