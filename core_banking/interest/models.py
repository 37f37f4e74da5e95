"""Interest configuration and the daily accrual record.

* An ``InterestRateSchedule`` (``SAVINGS-EUR``, ...) fixes how interest is computed: the day-count
  convention, the accrual basis (end-of-day balance or average daily balance), how often accrued
  interest is capitalised (monthly by default), the minimum balance for credit interest, the
  withholding tax on credit interest and how tiers apply. Its amounts (minimum balance, tier
  thresholds) are in its ``currency``; it applies to accounts in that currency only.
* Its rates live in effective-dated ``InterestRate`` versions: the version in force on a date is
  the latest with ``effective_from <= date`` (unique per schedule, so versions never overlap).
  A version has a credit rate, a debit (overdraft) rate and optional ``InterestRateTier``s
  (credit bands by balance, see ``calc``). **Rates are annual fractions**: ``0.025`` is 2.5 %.
* ``InterestAccrual``: one row per account and calendar day, written set-based by the end of
  day (``eod``): the balance it accrued on, the effective annual rate, the convention, the
  unrounded day's accrual at the ledger's 18 decimal places, the account's unrounded running
  total within the capitalisation period (``cumulative``, restarting at each ``period_start``)
  and what the day moved in the ledger (``posted = round(cumulative) - round(cumulative -
  amount)`` at the currency's exponent), so the accrued-interest GL accounts always hold each
  account's rounded running total. Append-only.
* ``InterestCapitalisation``: one row per account, schedule and capitalisation period: the
  period's interest (the sum of its ``posted``, i.e. its cumulative rounded once), the tax
  withheld and the net paid to (or charged on) the customer's account, with the journal entry
  that booked it. Append-only.

Every numeric invariant is a CHECK constraint too (tests prove them with raw SQL).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from core_banking.accounts.models import Account
from core_banking.common.history import append_only_triggers
from core_banking.common.money_display import format_money, format_percent
from core_banking.ledger.models import AMOUNT, Currency, JournalEntry

from .calc import AccrualBasis, Frequency, TierMode
from .daycount import Convention

# An annual rate as a fraction with 8 decimal places: 0.025 = 2.5 %.
RATE = {"max_digits": 9, "decimal_places": 8}
SCHEDULE_CODE = RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", "Upper-case letters, digits, '_' and '-'.")

CONVENTION_CHOICES = [(c.value, c.label) for c in Convention]
BASIS_CHOICES = [(AccrualBasis.END_OF_DAY.value, "End-of-day balance"),
                 (AccrualBasis.AVERAGE_DAILY.value, "Average daily balance")]
FREQUENCY_CHOICES = [(Frequency.MONTHLY.value, "Monthly"), (Frequency.QUARTERLY.value, "Quarterly"),
                     (Frequency.ANNUALLY.value, "Annually")]
TIER_MODE_CHOICES = [(TierMode.WHOLE_BALANCE.value, "Whole balance at its band's rate"),
                     (TierMode.MARGINAL.value, "Marginal: each slice at its band's rate")]


def _open_unit_interval(name: str) -> Q:
    """-1 < rate < 1."""
    return Q(**{f"{name}__gt": -1}) & Q(**{f"{name}__lt": 1})


class InterestRateSchedule(models.Model):
    code = models.CharField(max_length=32, unique=True, validators=[SCHEDULE_CODE])
    name = models.CharField(max_length=200)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+",
                                 help_text="The currency of the minimum balance and tier thresholds.")
    convention = models.CharField(max_length=16, choices=CONVENTION_CHOICES, default=Convention.ACT_365F.value)
    accrual_basis = models.CharField(max_length=16, choices=BASIS_CHOICES, default=AccrualBasis.END_OF_DAY.value)
    capitalisation_frequency = models.CharField(max_length=12, choices=FREQUENCY_CHOICES,
                                                default=Frequency.MONTHLY.value)
    minimum_balance = models.DecimalField(**AMOUNT, default=Decimal(0),
                                          help_text="A credit balance below it earns no interest.")
    withholding_tax_rate = models.DecimalField(**RATE, default=Decimal(0),
                                               help_text="A fraction of credit interest: 0.15 = 15 %.")
    tier_mode = models.CharField(max_length=16, choices=TIER_MODE_CHOICES, default=TierMode.WHOLE_BALANCE.value)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="An inactive schedule accrues nothing.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="interest_schedule_code_not_empty"),
            models.CheckConstraint(condition=Q(convention__in=[c.value for c in Convention]),
                                   name="interest_schedule_convention_valid"),
            models.CheckConstraint(condition=Q(accrual_basis__in=[v for v, _ in BASIS_CHOICES]),
                                   name="interest_schedule_basis_valid"),
            models.CheckConstraint(condition=Q(capitalisation_frequency__in=[v for v, _ in FREQUENCY_CHOICES]),
                                   name="interest_schedule_frequency_valid"),
            models.CheckConstraint(condition=Q(tier_mode__in=[v for v, _ in TIER_MODE_CHOICES]),
                                   name="interest_schedule_tier_mode_valid"),
            models.CheckConstraint(condition=Q(minimum_balance__gte=0), name="interest_schedule_minimum_gte_0"),
            models.CheckConstraint(condition=Q(withholding_tax_rate__gte=0) & Q(withholding_tax_rate__lt=1),
                                   name="interest_schedule_withholding_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class InterestRate(models.Model):
    """The rates of a schedule from ``effective_from`` until the day before the next version."""

    schedule = models.ForeignKey(InterestRateSchedule, on_delete=models.PROTECT, related_name="rates")
    effective_from = models.DateField()
    credit_rate = models.DecimalField(**RATE, help_text="Annual, on credit balances (band 0 when tiered).")
    debit_rate = models.DecimalField(**RATE, default=Decimal(0), help_text="Annual, on overdrawn balances.")
    note = models.CharField(max_length=500, blank=True, help_text="What changed and why.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["schedule", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "effective_from"], name="interest_rate_one_per_date"),
            models.CheckConstraint(condition=_open_unit_interval("credit_rate"), name="interest_rate_credit_bounds"),
            models.CheckConstraint(condition=Q(debit_rate__gte=0) & Q(debit_rate__lt=1),
                                   name="interest_rate_debit_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule.code} from {self.effective_from.isoformat()}"


class InterestRateTier(models.Model):
    """A credit band of a rate version starting at ``from_balance`` (inclusive)."""

    rate_version = models.ForeignKey(InterestRate, on_delete=models.CASCADE, related_name="tiers")
    from_balance = models.DecimalField(**AMOUNT)
    rate = models.DecimalField(**RATE)

    class Meta:
        ordering = ["rate_version", "from_balance"]
        constraints = [
            models.UniqueConstraint(fields=["rate_version", "from_balance"], name="interest_tier_one_per_start"),
            models.CheckConstraint(condition=Q(from_balance__gte=0), name="interest_tier_from_gte_0"),
            models.CheckConstraint(condition=_open_unit_interval("rate"), name="interest_tier_rate_bounds"),
        ]

    def __str__(self) -> str:
        return (f"From {format_money(self.from_balance, self.rate_version.schedule.currency_id)}: "
                f"{format_percent(self.rate)}")


class InterestAccrual(models.Model):
    """One account's interest for one business date, unrounded (18 decimal places)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="interest_accruals")
    business_date = models.DateField()
    schedule = models.ForeignKey(InterestRateSchedule, on_delete=models.PROTECT, related_name="accruals")
    rate_version = models.ForeignKey(InterestRate, on_delete=models.PROTECT, related_name="accruals")
    balance = models.DecimalField(**AMOUNT, help_text="The end-of-day balance (normal orientation).")
    rate = models.DecimalField(
        **AMOUNT, help_text="The effective annual rate (blended for marginal tiers; on the average for that basis)."
    )
    amount = models.DecimalField(**AMOUNT, help_text="Signed: > 0 owed to the customer, < 0 owed by them.")
    convention = models.CharField(max_length=16, choices=CONVENTION_CHOICES)
    period_start = models.DateField(
        help_text="The first day of the capitalisation period the day belongs to (cumulative restarts there)."
    )
    cumulative = models.DecimalField(
        **AMOUNT, help_text="The account's unrounded running total within the period, this day included."
    )
    posted = models.DecimalField(
        **AMOUNT, help_text="What this day moved in the ledger: round(cumulative) - round(cumulative - amount), "
        "half away from zero at the currency's exponent.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "business_date"]
        indexes = [models.Index(fields=["schedule", "business_date"], name="interest_accrual_sched_date")]
        constraints = [
            models.UniqueConstraint(fields=["account", "business_date"], name="interest_accrual_one_per_day"),
            models.CheckConstraint(condition=Q(convention__in=[c.value for c in Convention]),
                                   name="interest_accrual_convention_valid"),
            models.CheckConstraint(condition=_open_unit_interval("rate"), name="interest_accrual_rate_bounds"),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("business_date")),
                                   name="interest_accrual_in_its_period"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return (f"Interest on account {self.account_id} for {self.business_date.isoformat()}: "
                f"{format_money(self.amount, self.account.currency_id)}")


class InterestCapitalisation(models.Model):
    """One account's interest of one capitalisation period, rounded once and booked."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="interest_capitalisations")
    schedule = models.ForeignKey(InterestRateSchedule, on_delete=models.PROTECT, related_name="capitalisations")
    period_start = models.DateField()
    period_end = models.DateField(help_text="The period's last day (inclusive).")
    interest = models.DecimalField(**AMOUNT, help_text="Signed: > 0 paid to the customer, < 0 charged to them.")
    withholding_tax = models.DecimalField(**AMOUNT, help_text="Withheld from credit interest (>= 0).")
    net = models.DecimalField(**AMOUNT, help_text="interest - withholding_tax: what the customer's account received "
                              "(or paid, when negative).")
    entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              help_text="The journal entry that booked it (none when everything was zero).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["account", "schedule", "period_start"],
                                    name="interest_capitalisation_one_per_period"),
            models.CheckConstraint(condition=Q(net=models.F("interest") - models.F("withholding_tax")),
                                   name="interest_capitalisation_net"),
            models.CheckConstraint(condition=Q(withholding_tax__gte=0), name="interest_capitalisation_tax_gte_0"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="interest_capitalisation_period_order"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.account_id} {self.period_start.isoformat()}..{self.period_end.isoformat()}: {self.net}"
