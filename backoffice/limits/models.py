"""Payment limits: how much money may leave a customer's accounts, per payment, day and month.

What is limited
    Money **leaving** a customer account: the debtor account of an internal transfer, an
    outgoing payment, a cash withdrawal or an FX conversion (``LIMITED_KINDS``). Incoming
    payments and cash deposits are never limited.

Where limits come from
    A ``LimitRule`` belongs to exactly one scope (a CHECK constraint):

    * a ``LimitProfile`` — it applies to every account of every product whose
      ``limit_profile_code`` names the profile (an inactive profile, or a code that names no
      profile, limits nothing);
    * an ``Account`` — it **overrides** the profile rule of the same channel *field by field*: a
      limit the account rule sets replaces the profile's, a limit it leaves empty (null) keeps the
      profile's. To lift one of the profile's limits for an account, set a higher value;
    * a ``Customer`` — it applies **in addition** to the account's limits and is measured over
      all of that customer's accounts together.

    A rule's ``channel`` is one ``payments.Channel`` or blank for every channel. A
    channel-specific rule applies **in addition** to the every-channel rule of the same scope:
    both must hold (the every-channel rule counts the payments of all channels, the channel rule
    only its own). There is at most one rule per scope and channel (unique constraints).

    Each limit is nullable (null = no such limit): ``max_single_amount`` (one payment),
    ``daily_amount`` / ``daily_count`` and ``monthly_amount`` / ``monthly_count`` (the totals
    of the business day and calendar month of ``PaymentIntent.business_date``, this payment
    included). A limit of 0 allows nothing. Amounts are in the rule's ``currency``; a payment in
    another currency is converted at the FX mid rate and rounded **up**, once, to that currency's
    exponent (``ROUND_UP``: a limit is never under-counted by rounding).

How usage is counted
    ``LimitUsage`` is one counter per (scope kind, scope id, channel or '' for every channel,
    period ``day``/``month``, first day of the period, currency): the amount and number of
    payments counted against that key. An account's limits (profile and account rules) are
    counted under ``scope_kind="account"``; a customer's under ``scope_kind="customer"``.
    A counter exists from the first payment that a rule with a period limit measured; usage
    before a limit existed is not counted. ``LimitUsageRecord`` remembers what each payment
    added to which counter, so that a payment that is rejected or returned gives back exactly
    that (``checks.give_back``, when the engine gives a payment back), never taking a counter below zero.

Every numeric invariant is also a CHECK constraint (tests prove them with raw SQL).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from core_banking.accounts.models import Account
from core_banking.common.money_display import format_money
from core_banking.customers.models import Customer
from core_banking.ledger.models import AMOUNT, Currency
from core_banking.payments.models import Channel, Payment

PROFILE_CODE = RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", "Upper-case letters, digits, '_' and '-'.")
# Payment kinds whose debtor account is limited (money leaving a customer account).
LIMITED_KINDS = frozenset({
    Payment.Kind.INTERNAL_TRANSFER.value, Payment.Kind.OUTGOING.value, Payment.Kind.CASH_WITHDRAWAL.value,
    Payment.Kind.FX_CONVERSION.value,
})
CHANNEL_VALUES = ["", *Channel.values]  # "" = every channel
AMOUNT_LIMITS = ("max_single_amount", "daily_amount", "monthly_amount")
COUNT_LIMITS = ("daily_count", "monthly_count")
LIMIT_FIELDS = ("max_single_amount", "daily_amount", "daily_count", "monthly_amount", "monthly_count")


class Period(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"


class ScopeKind(models.TextChoices):
    """Whose usage a counter measures."""

    ACCOUNT = "account", "Account"
    CUSTOMER = "customer", "Customer (all accounts)"


def period_of(field: str) -> str | None:
    """``day`` for the daily limits, ``month`` for the monthly ones, None for the single amount."""
    if field.startswith("daily"):
        return Period.DAY.value
    if field.startswith("monthly"):
        return Period.MONTH.value
    return None


def period_start(period: str, date: dt.date) -> dt.date:
    """The first day of the period ``date`` falls in."""
    return date if period == Period.DAY else date.replace(day=1)


def _null_or(field: str, condition: Q) -> Q:
    return Q(**{f"{field}__isnull": True}) | condition


def _not_above(smaller: str, larger: str) -> Q:
    """``smaller <= larger`` when both are set."""
    return Q(**{f"{smaller}__isnull": True}) | Q(**{f"{larger}__isnull": True}) | Q(**{f"{smaller}__lte": F(larger)})


class LimitProfile(models.Model):
    code = models.CharField(max_length=32, unique=True, validators=[PROFILE_CODE],
                            help_text="What products name in their limit profile code, e.g. RETAIL.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="An inactive profile limits nothing.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="limit_profile_code_not_empty")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LimitRule(models.Model):
    """The limits of one scope (a profile, a customer or an account) on one channel or all."""

    profile = models.ForeignKey(LimitProfile, null=True, blank=True, on_delete=models.CASCADE, related_name="rules")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True,
                               help_text="Blank: every channel (a channel rule applies in addition).")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+",
                                 help_text="The currency of the rule's amounts.")
    max_single_amount = models.DecimalField(**AMOUNT, null=True, blank=True, help_text="Largest single payment.")
    daily_amount = models.DecimalField(**AMOUNT, null=True, blank=True, help_text="Total per business day.")
    daily_count = models.PositiveIntegerField(null=True, blank=True, help_text="Payments per business day.")
    monthly_amount = models.DecimalField(**AMOUNT, null=True, blank=True, help_text="Total per calendar month.")
    monthly_count = models.PositiveIntegerField(null=True, blank=True, help_text="Payments per calendar month.")
    note = models.CharField(max_length=500, blank=True, help_text="Why this rule exists (e.g. a customer request).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(profile__isnull=False) & Q(customer__isnull=True) & Q(account__isnull=True))
                | (Q(profile__isnull=True) & Q(customer__isnull=False) & Q(account__isnull=True))
                | (Q(profile__isnull=True) & Q(customer__isnull=True) & Q(account__isnull=False)),
                name="limit_rule_exactly_one_scope",
            ),
            models.CheckConstraint(condition=Q(channel__in=CHANNEL_VALUES), name="limit_rule_channel_valid"),
            models.CheckConstraint(
                condition=_null_or("max_single_amount", Q(max_single_amount__gte=0))
                & _null_or("daily_amount", Q(daily_amount__gte=0))
                & _null_or("monthly_amount", Q(monthly_amount__gte=0))
                & _null_or("daily_count", Q(daily_count__gte=0))
                & _null_or("monthly_count", Q(monthly_count__gte=0)),
                name="limit_rule_limits_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(max_single_amount__isnull=False) | Q(daily_amount__isnull=False)
                | Q(daily_count__isnull=False) | Q(monthly_amount__isnull=False) | Q(monthly_count__isnull=False),
                name="limit_rule_has_a_limit",
            ),
            models.CheckConstraint(
                condition=_not_above("max_single_amount", "daily_amount")
                & _not_above("max_single_amount", "monthly_amount")
                & _not_above("daily_amount", "monthly_amount")
                & _not_above("daily_count", "monthly_count"),
                name="limit_rule_periods_ordered",
            ),
            models.UniqueConstraint(fields=["profile", "channel"], condition=Q(profile__isnull=False),
                                    name="limit_rule_profile_channel_unique"),
            models.UniqueConstraint(fields=["customer", "channel"], condition=Q(customer__isnull=False),
                                    name="limit_rule_customer_channel_unique"),
            models.UniqueConstraint(fields=["account", "channel"], condition=Q(account__isnull=False),
                                    name="limit_rule_account_channel_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope_label} {self.channel or 'every channel'} ({self.currency_id})"

    @property
    def scope(self) -> str:
        if self.profile_id is not None:
            return "profile"
        return "customer" if self.customer_id is not None else "account"

    @property
    def scope_label(self) -> str:
        if self.profile_id is not None:
            return f"profile {self.profile.code}"
        if self.customer_id is not None:
            return f"customer {self.customer.number}"
        return f"account {self.account.iban}" if self.account_id is not None else "unscoped"


class LimitUsage(models.Model):
    """What has been counted against the limits of one scope, channel, period and currency."""

    scope_kind = models.CharField(max_length=8, choices=ScopeKind.choices)
    scope_id = models.BigIntegerField(help_text="The account's or the customer's id.")
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True,
                               help_text="Blank: the payments of every channel.")
    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField(help_text="The business date (day) or the first of the month.")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**AMOUNT, default=0)
    count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_start", "scope_kind", "scope_id", "channel", "period", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["scope_kind", "scope_id", "channel", "period", "period_start", "currency"],
                                    name="limit_usage_key"),
            models.CheckConstraint(condition=Q(scope_kind__in=ScopeKind.values), name="limit_usage_scope_kind_valid"),
            models.CheckConstraint(condition=Q(channel__in=CHANNEL_VALUES), name="limit_usage_channel_valid"),
            models.CheckConstraint(condition=Q(period__in=Period.values), name="limit_usage_period_valid"),
            models.CheckConstraint(condition=Q(period="day") | Q(period_start__day=1),
                                   name="limit_usage_month_starts_on_the_first"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="limit_usage_amount_not_negative"),
            models.CheckConstraint(condition=Q(count__gte=0), name="limit_usage_count_not_negative"),
            models.CheckConstraint(condition=Q(count__gt=0) | Q(amount=0), name="limit_usage_no_amount_without_count"),
        ]

    def __str__(self) -> str:
        return (f"{self.scope_kind.capitalize()} {self.scope_id}, {self.channel or 'every channel'}, {self.period} "
                f"from {self.period_start.isoformat()}: {format_money(self.amount, self.currency_id)} in {self.count}")


class LimitUsageRecord(models.Model):
    """What one payment added to one counter, so that a release gives exactly that back."""

    # no index of its own: the composite key below starts with it, and each index costs every write
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+", db_index=False)
    usage = models.ForeignKey(LimitUsage, on_delete=models.PROTECT, related_name="records")
    amount = models.DecimalField(**AMOUNT)
    count = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["payment", "usage"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "usage"], name="limit_usage_record_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="limit_usage_record_amount_not_negative"),
            models.CheckConstraint(condition=Q(count__gte=0), name="limit_usage_record_count_not_negative"),
        ]

    def __str__(self) -> str:
        state = "released" if self.released_at else "counted"
        money = format_money(self.amount, self.usage.currency_id)
        return f"Payment {self.payment_id} on usage {self.usage_id}: {money} in {self.count} ({state})"
