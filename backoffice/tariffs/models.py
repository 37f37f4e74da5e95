"""Tariffs: what the bank charges its customers, by plan, version, event and channel.

* A ``TariffPlan`` (``STANDARD``, ``PREMIUM``, ...) is named by a product's ``tariff_plan_code``
  or, for one customer, by a ``CustomerTariff`` override that replaces the product's plan.
* A plan's prices live in ``TariffVersion``s. The version in force on a business date is the
  latest with ``effective_from <= date``; it ends the day before the next version starts
  (``effective_to`` is derived, never stored), so versions of a plan cannot overlap: at most
  one version starts on a date (unique), and each one ends where the next begins.
* A version holds one ``FeeRule`` per (event, channel). ``channel`` empty means any channel; a
  rule for the payment's own channel beats the any-channel rule.
* Amounts of a rule (``fixed_amount``, ``min_fee``, ``max_fee``, tier thresholds and fixed
  amounts) are in the rule's fee ``currency``; the policy converts the result into the charged
  account's currency. **Percentages are fractions**: ``0.0025`` is 0.25 %, ``1`` is 100 %.
* ``FeeTier``s price by volume. Band 0 is the rule itself (its ``percentage`` and
  ``fixed_amount``), from a monthly volume of 0; each tier starts a band at ``from_volume``.
  The percentage is *marginal*: the part of the payment's amount that falls in a band of the
  account's cumulative monthly volume of the event (this payment included) is charged that
  band's percentage. The fixed amount is the one of the band the cumulative volume reaches
  with this payment (the highest band with ``from_volume <=`` volume including this payment).
* ``FeeUsage`` counts, per account, event and period (day or month), how many events a rule
  that depends on usage (a free allowance or tiers) has priced, and their volume in the
  account's currency. ``FeeUsageRecord`` remembers what each payment added, so that a rejected
  or returned payment gives exactly that back.

Every numeric invariant is a CHECK constraint too (tests prove them with raw SQL).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from core_banking.accounts.models import Account
from core_banking.common.money_display import format_money, format_percent
from core_banking.customers.models import Customer
from core_banking.ledger.models import AMOUNT, Currency, JournalEntry
from core_banking.payments.models import Channel, FeeEvent, Payment

# A fraction between 0 and 1 with 8 decimal places: 0.0025 = 0.25 %.
FRACTION = {"max_digits": 9, "decimal_places": 8}
PLAN_CODE = RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", "Upper-case letters, digits, '_' and '-'.")
# Events the end of day charges (``policy.periodic_fee_for``), not payments.
PERIODIC_EVENTS = frozenset({FeeEvent.MONTHLY_MAINTENANCE.value})


class Period(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"


def period_start(period: str, date: dt.date) -> dt.date:
    """The first day of the period ``date`` falls in."""
    return date if period == Period.DAY else date.replace(day=1)


def _fraction_0_1(prefix: str = "") -> Q:
    return Q(**{f"{prefix}percentage__gte": 0}) & Q(**{f"{prefix}percentage__lte": 1})


class TariffPlan(models.Model):
    code = models.CharField(max_length=32, unique=True, validators=[PLAN_CODE],
                            help_text="What products name in their tariff plan code, e.g. STANDARD.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="An inactive plan charges nothing.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=~Q(code=""), name="tariff_plan_code_not_empty")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TariffVersion(models.Model):
    """The prices of a plan from ``effective_from`` until the day before the next version."""

    plan = models.ForeignKey(TariffPlan, on_delete=models.PROTECT, related_name="versions")
    effective_from = models.DateField()
    note = models.CharField(max_length=500, blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "effective_from"], name="tariff_version_one_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} from {self.effective_from.isoformat()}"

    @property
    def effective_to(self) -> dt.date | None:
        """The last day in force: the day before the next version starts (None: open-ended).
        Selectors annotate ``next_effective_from``; without it, one query."""
        if hasattr(self, "next_effective_from"):
            following = self.next_effective_from
        else:
            following = (TariffVersion.objects.filter(plan_id=self.plan_id, effective_from__gt=self.effective_from)
                         .order_by("effective_from").values_list("effective_from", flat=True).first())
        return following - dt.timedelta(days=1) if following else None


class FeeRule(models.Model):
    version = models.ForeignKey(TariffVersion, on_delete=models.CASCADE, related_name="rules")
    event = models.CharField(max_length=20, choices=FeeEvent.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True,
                               help_text="Empty: any channel. A rule for the payment's channel beats it.")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+",
                                 help_text="The currency of the fee's amounts; converted to the account's.")
    fixed_amount = models.DecimalField(**AMOUNT, default=Decimal(0))
    percentage = models.DecimalField(**FRACTION, default=Decimal(0),
                                     help_text="A fraction of the amount: 0.0025 = 0.25 %.")
    min_fee = models.DecimalField(**AMOUNT, default=Decimal(0))
    max_fee = models.DecimalField(**AMOUNT, null=True, blank=True, help_text="Empty: no maximum.")
    free_allowance_count = models.PositiveIntegerField(
        default=0, help_text="The first N events of each period are free (0: none).")
    allowance_period = models.CharField(max_length=5, choices=Period.choices, default=Period.MONTH)
    description = models.CharField(max_length=200, blank=True, help_text="Shown to the customer.")

    class Meta:
        ordering = ["version", "event", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["version", "event", "channel"], name="fee_rule_one_per_event_channel"),
            models.CheckConstraint(condition=Q(fixed_amount__gte=0), name="fee_rule_fixed_gte_0"),
            models.CheckConstraint(condition=_fraction_0_1(), name="fee_rule_percentage_0_1"),
            models.CheckConstraint(condition=Q(min_fee__gte=0), name="fee_rule_min_gte_0"),
            models.CheckConstraint(condition=Q(max_fee__isnull=True) | Q(max_fee__gte=F("min_fee")),
                                   name="fee_rule_min_lte_max"),
            models.CheckConstraint(condition=Q(free_allowance_count__gte=0), name="fee_rule_allowance_gte_0"),
            models.CheckConstraint(condition=Q(allowance_period__in=Period.values), name="fee_rule_period_valid"),
            models.CheckConstraint(condition=Q(event__in=FeeEvent.values), name="fee_rule_event_valid"),
            models.CheckConstraint(condition=Q(channel="") | Q(channel__in=Channel.values),
                                   name="fee_rule_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.version}: {self.event}/{self.channel or 'any'}"

    def sorted_tiers(self) -> list[FeeTier]:
        return sorted(self.tiers.all(), key=lambda tier: tier.from_volume)


class FeeTier(models.Model):
    """A volume band of a rule, from ``from_volume`` of monthly volume (in the rule's currency)."""

    rule = models.ForeignKey(FeeRule, on_delete=models.CASCADE, related_name="tiers")
    from_volume = models.DecimalField(**AMOUNT, help_text="Cumulative monthly volume where the band starts.")
    percentage = models.DecimalField(**FRACTION, default=Decimal(0),
                                     help_text="A fraction of the part of the amount in this band.")
    fixed_amount = models.DecimalField(**AMOUNT, default=Decimal(0),
                                       help_text="Charged instead of the rule's when the volume reaches the band.")

    class Meta:
        ordering = ["rule", "from_volume"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "from_volume"], name="fee_tier_one_per_start"),
            models.CheckConstraint(condition=Q(from_volume__gt=0), name="fee_tier_from_gt_0"),
            models.CheckConstraint(condition=_fraction_0_1(), name="fee_tier_percentage_0_1"),
            models.CheckConstraint(condition=Q(fixed_amount__gte=0), name="fee_tier_fixed_gte_0"),
        ]

    def __str__(self) -> str:
        currency = self.rule.currency_id
        return (f"From {format_money(self.from_volume, currency)}: {format_percent(self.percentage)} + "
                f"{format_money(self.fixed_amount, currency)}")


class CustomerTariff(models.Model):
    """A plan for one customer that replaces their products' plan from ``valid_from`` to
    ``valid_to`` (inclusive; empty: open-ended). A customer's overrides do not overlap."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tariff_overrides")
    plan = models.ForeignKey(TariffPlan, on_delete=models.PROTECT, related_name="customer_overrides")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Last day (inclusive); empty: open-ended.")
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "-valid_from"]
        indexes = [models.Index(fields=["customer", "valid_from"], name="customer_tariff_lookup")]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                                   name="customer_tariff_dates_ordered"),
            models.UniqueConstraint(fields=["customer", "valid_from"], name="customer_tariff_one_per_start"),
        ]

    def __str__(self) -> str:
        until = self.valid_to.isoformat() if self.valid_to else "open-ended"
        return f"{self.customer_id}: {self.plan.code} {self.valid_from.isoformat()} to {until}"


class FeeUsage(models.Model):
    """Events of one kind an account made in one period, and their volume (account currency)."""

    # no index of its own: the composite key below starts with it, and each index costs every write
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    event = models.CharField(max_length=20, choices=FeeEvent.choices)
    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField()
    count = models.PositiveIntegerField(default=0)
    volume = models.DecimalField(**AMOUNT, default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "event", "period", "-period_start"]
        verbose_name_plural = "fee usage"
        constraints = [
            models.UniqueConstraint(fields=["account", "event", "period", "period_start"], name="fee_usage_unique"),
            models.CheckConstraint(condition=Q(count__gte=0), name="fee_usage_count_gte_0"),
            models.CheckConstraint(condition=Q(volume__gte=0), name="fee_usage_volume_gte_0"),
            models.CheckConstraint(condition=Q(period__in=Period.values), name="fee_usage_period_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.event} {self.period} {self.period_start.isoformat()}: {self.count}"


class FeeUsageRecord(models.Model):
    """What one payment added to one usage counter, given back once if the payment is released."""

    # no index of its own: the composite key below starts with it, and each index costs every write
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+", db_index=False)
    usage = models.ForeignKey(FeeUsage, on_delete=models.PROTECT, related_name="records")
    count = models.PositiveIntegerField(default=1)
    volume = models.DecimalField(**AMOUNT, default=Decimal(0))
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "usage"], name="fee_usage_record_unique"),
            models.CheckConstraint(condition=Q(count__gte=0), name="fee_usage_record_count_gte_0"),
            models.CheckConstraint(condition=Q(volume__gte=0), name="fee_usage_record_volume_gte_0"),
        ]

    def __str__(self) -> str:
        return (f"Payment {self.payment_id}: +{self.count} / +{format_money(self.volume, self.payment.currency_id)} "
                f"on usage {self.usage_id}")


class PeriodicFeeCharge(models.Model):
    """One periodic fee (``monthly_maintenance``) of one account for one month: what the end of
    day decided (``backoffice/tariffs/eod.py``). Unique per account, event and month, so a month
    is priced once; ``free`` (the tariff charged nothing), ``charged`` (posted: ``entry``) or
    ``unpaid`` (priced, but the account could not pay it; retried by each later end of day
    until it is charged)."""

    class Status(models.TextChoices):
        FREE = "free", "Free"
        CHARGED = "charged", "Charged"
        UNPAID = "unpaid", "Unpaid"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(max_length=20, choices=FeeEvent.choices)
    period_start = models.DateField(help_text="The first day of the month the fee is for.")
    status = models.CharField(max_length=8, choices=Status.choices)
    amount = models.DecimalField(**AMOUNT, default=Decimal(0), help_text="In the account's currency.")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=64, blank=True, help_text="What priced it, e.g. STANDARD/monthly_maintenance.")
    description = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="The policy's breakdown (plan, version, rule).")
    business_date = models.DateField(help_text="The end of day that priced it.")
    charged_on = models.DateField(null=True, blank=True, help_text="The end of day that posted it.")
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "event", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["account", "event", "period_start"], name="periodic_fee_once_per_month"),
            models.CheckConstraint(condition=Q(event__in=sorted(PERIODIC_EVENTS)), name="periodic_fee_event_valid"),
            models.CheckConstraint(condition=Q(status__in=["free", "charged", "unpaid"]),
                                   name="periodic_fee_status_valid"),
            models.CheckConstraint(condition=Q(period_start__day=1), name="periodic_fee_month_start"),
            models.CheckConstraint(condition=(Q(status="free") & Q(amount=0))
                                   | (~Q(status="free") & Q(amount__gt=0)), name="periodic_fee_amount"),
            models.CheckConstraint(condition=(Q(status="charged") & Q(entry__isnull=False)
                                              & Q(charged_on__isnull=False))
                                   | (~Q(status="charged") & Q(entry__isnull=True) & Q(charged_on__isnull=True)),
                                   name="periodic_fee_charged_has_entry"),
        ]

    def __str__(self) -> str:
        return (f"{self.event} on account {self.account_id} for {self.period_start:%Y-%m}: {self.status} "
                f"{format_money(self.amount, self.currency_id)}")
