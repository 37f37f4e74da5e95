"""Transaction monitoring: rules as data, and the per-customer aggregates they read.

* ``MonitoringRule``: one typology the bank watches for (``kind``, see ``kinds.py``), named by a
  stable ``code``. ``is_active`` switches it on or off as a whole.
* ``RuleVersion``: the rule's parameters, score (0-100), action (``alert`` | ``hold`` |
  ``reject``), customer segment (customer types and risk ratings; empty = every customer) from
  ``effective_from`` (a business date). The version in force on a date is the rule's latest
  version with ``effective_from <= date``. A version is **append-only** (a database trigger
  refuses UPDATE and DELETE): an alert records the version that fired, and that version's
  parameters stay what they were. A change is a new version, through maker-checker
  (``monitoring_rule_change``).
* ``MonitoredFlow``: one row per payment and customer side (the debtor's customer: ``out``; the
  creditor's: ``in``): the amount in the base currency, cash or not, the counterparty, the
  instant. Windows in hours, structuring bands and "never paid this IBAN before" are index range
  reads on it (``(customer, at)``, ``(customer, counterparty_iban)``), never a scan of the
  customer's history. ``released_at`` is set when the payment was rejected after review or
  returned (``checks.give_back``): a released flow no longer counts.
* ``CustomerDay``: per customer, business date, direction and cash flag, the number and base
  currency sum of the flows: day windows (cash per day, velocity in days) read a handful of rows.
  Written set-based by the check (``INSERT ... ON CONFLICT DO UPDATE``), given back on release.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from core_banking.accounts.models import Account
from core_banking.common.history import append_only_triggers
from core_banking.common.money_display import format_money
from core_banking.customers.models import Customer
from core_banking.ledger.models import AMOUNT
from core_banking.payments.models import Payment

from .kinds import Action, Kind

RULE_CODE = RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", "Upper-case letters, digits, '_' and '-'.")


class Direction(models.TextChoices):
    IN = "in", "Incoming"
    OUT = "out", "Outgoing"


class MonitoringRule(models.Model):
    code = models.CharField(max_length=40, unique=True, validators=[RULE_CODE],
                            help_text="Stable name, recorded on every alert (e.g. TM-LARGE-EUR).")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False, help_text="An inactive rule evaluates nothing.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        permissions = [("manage_monitoringrule", "Can propose monitoring rule versions and (de)activate rules")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="monitoring_rule_kind_valid"),
            models.CheckConstraint(condition=~Q(code=""), name="monitoring_rule_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.kind})"


class RuleVersion(models.Model):
    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    parameters = models.JSONField(default=dict, help_text="Validated per kind (compliance/monitoring/kinds.py).")
    score = models.PositiveSmallIntegerField(help_text="0-100, given to the alert.")
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.ALERT)
    customer_types = models.JSONField(default=list, blank=True, help_text="Customer types; empty: every type.")
    risk_ratings = models.JSONField(default=list, blank=True, help_text="Risk ratings; empty: every rating.")
    effective_from = models.DateField(help_text="The business date from which this version is in force.")
    note = models.CharField(max_length=500, blank=True, help_text="Why this version.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rule", "-version"]
        triggers = append_only_triggers()
        indexes = [models.Index(fields=["rule", "-effective_from", "-version"], name="monitoring_version_in_force")]
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="monitoring_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="monitoring_version_positive"),
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="monitoring_version_score"),
            models.CheckConstraint(condition=Q(action__in=Action.values), name="monitoring_version_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} v{self.version} from {self.effective_from.isoformat()}"


class MonitoredFlow(models.Model):
    # no index of its own: the composite key below starts with it, and each index costs every write
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+", db_index=False)
    # no index of its own: the composite key below starts with it, and each index costs every write
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    is_cash = models.BooleanField(default=False)
    amount = models.DecimalField(**AMOUNT, help_text="As sent, in ``currency``.")
    currency = models.CharField(max_length=12)
    amount_base = models.DecimalField(**AMOUNT, help_text="In the bank's base currency (FX mid rate).")
    counterparty_iban = models.CharField(verbose_name="counterparty IBAN", max_length=34, blank=True)
    counterparty_country = models.CharField(max_length=2, blank=True)
    business_date = models.DateField()
    at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True, help_text="Rejected or returned: no longer counts.")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "at"], name="monitoring_flow_window"),
            models.Index(fields=["customer", "business_date"], name="monitoring_flow_day"),
            models.Index(fields=["customer", "counterparty_iban"], name="monitoring_flow_cpty",
                         condition=Q(direction="out") & ~Q(counterparty_iban="")),
            models.Index(fields=["business_date", "customer"], name="monitoring_flow_population"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["payment", "customer", "direction"], name="monitoring_flow_once"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="monitoring_flow_direction"),
            models.CheckConstraint(condition=Q(amount_base__gte=0), name="monitoring_flow_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return (f"{self.direction} {format_money(self.amount, self.currency)} of customer {self.customer_id} "
                f"({self.business_date})")


class CustomerDay(models.Model):
    # no index of its own: the composite key below starts with it, and each index costs every write
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", db_index=False)
    business_date = models.DateField()
    direction = models.CharField(max_length=3, choices=Direction.choices)
    is_cash = models.BooleanField(default=False)
    count = models.PositiveIntegerField(default=0)
    amount_base = models.DecimalField(**AMOUNT, default=0)

    class Meta:
        ordering = ["-business_date", "customer"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "business_date", "direction", "is_cash"],
                                    name="monitoring_customer_day_key"),
            models.CheckConstraint(condition=Q(count__gte=0), name="monitoring_day_count_not_negative"),
            models.CheckConstraint(condition=Q(amount_base__gte=0), name="monitoring_day_amount_not_negative"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="monitoring_day_direction"),
        ]

    def __str__(self) -> str:
        cash = " cash" if self.is_cash else ""
        return (f"customer {self.customer_id} {self.business_date} {self.direction}{cash}: "
                f"{format_money(self.amount_base, settings.BANK_BASE_CURRENCY)} in {self.count}")
