"""Term deposits: products, contracts, their daily accrual and their lifecycle.

* A ``DepositProduct`` (``TD-EUR-12M``, ...) fixes what a deposit opened from it may be: its
  currency, the day-count convention (``core_banking.interest.daycount.Convention``), the terms
  (in days or months, a range and optionally a list of allowed terms), the amount range, the
  default annual rate, the withholding tax on interest and the early-withdrawal penalty rule
  (see ``calc.early_withdrawal``). It names the ``accounts.Product`` of kind ``term_deposit``
  that each deposit's own account is opened from (its general-ledger header).
* A ``TermDeposit`` is one contract. Its money lives on its own ``accounts.Account`` (``account``,
  a liability of the bank that may not go below zero); it is funded from and paid out to the
  customer's ``funding_account`` (same customer, same currency). The contract's terms (principal,
  rate, convention, term, tax rate, penalty rule) are copied from the product when it opens, so a
  later change of the product never changes a running contract. A deposit that rolls over keeps
  its account: the successor is a new contract on the same account, linked to its
  ``predecessor``.
* ``DepositAccrual``: one row per deposit and calendar day ``[start_date, maturity_date)``,
  unrounded at 18 decimal places, written set-based by the end of day (``eod.accrue``). The
  contract keeps the running sum (``accrued_interest``) and what the ledger holds for it in
  accrued interest payable (``accrued_posted``: the running sum rounded once to the currency).
* The lifecycle is a state machine with a history row per transition (``DepositStatusChange``):

      active -> matured        (principal and interest paid to the funding account)
      active -> rolled_over    (a successor contract continues on the same account)
      active -> withdrawn_early (principal and interest less the penalty paid out)

Every invariant the services keep is a CHECK, a unique constraint or a trigger too; the tests
prove each one with raw SQL.
"""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.accounts.models import Account, Product
from core_banking.common.history import StatusHistory, append_only_triggers
from core_banking.common.money_display import format_money
from core_banking.customers.models import Customer
from core_banking.interest.daycount import Convention
from core_banking.ledger.models import AMOUNT, Currency, JournalEntry

# An annual rate or a fraction with 8 decimal places: 0.03 = 3 %.
RATE = {"max_digits": 9, "decimal_places": 8}
PRODUCT_CODE = RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", "Upper-case letters, digits, '_' and '-'.")
CONVENTION_CHOICES = [(c.value, c.label) for c in Convention]
CONVENTIONS = [c.value for c in Convention]


class TermUnit(models.TextChoices):
    DAYS = "days", "Days"
    MONTHS = "months", "Months"


class MaturityInstruction(models.TextChoices):
    PAY_OUT = "pay_out", "Pay principal and interest to the funding account"
    ROLL_PRINCIPAL = "roll_principal", "Roll over the principal, pay the interest out"
    ROLL_ALL = "roll_all", "Roll over principal and interest"


def _fraction(name: str, *, upper_open: bool = True) -> Q:
    upper = Q(**{f"{name}__lt": 1}) if upper_open else Q(**{f"{name}__lte": 1})
    return Q(**{f"{name}__gte": 0}) & upper


class DepositProduct(models.Model):
    code = models.CharField(max_length=32, unique=True, validators=[PRODUCT_CODE])
    name = models.CharField(max_length=200)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    account_product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="deposit_products",
        limit_choices_to={"kind": Product.Kind.TERM_DEPOSIT},
        help_text="The accounts product (kind term deposit, same currency) each deposit's own account opens from.",
    )
    convention = models.CharField(max_length=16, choices=CONVENTION_CHOICES, default=Convention.ACT_365F.value)
    term_unit = models.CharField(max_length=8, choices=TermUnit.choices, default=TermUnit.MONTHS)
    min_term = models.PositiveIntegerField(help_text="In term units.")
    max_term = models.PositiveIntegerField(help_text="In term units.")
    allowed_terms = models.JSONField(
        default=list, blank=True,
        help_text="Optional list of the only terms offered (in term units, within min and max); empty: any term.",
    )
    min_amount = models.DecimalField(**AMOUNT)
    max_amount = models.DecimalField(**AMOUNT, null=True, blank=True, help_text="Empty: no maximum.")
    default_rate = models.DecimalField(**RATE, help_text="Annual, as a fraction: 0.03 = 3 %.")
    withholding_tax_rate = models.DecimalField(**RATE, default=Decimal(0),
                                               help_text="A fraction of the interest paid: 0.15 = 15 %.")
    early_withdrawal_allowed = models.BooleanField(default=True)
    penalty_days = models.PositiveIntegerField(
        default=0, help_text="Early withdrawal forfeits this many days of interest on the principal.")
    penalty_rate = models.DecimalField(
        **RATE, default=Decimal(0), help_text="Early withdrawal forfeits this fraction of the accrued interest.")
    penalty_may_touch_principal = models.BooleanField(
        default=False, help_text="Whether the penalty may exceed the accrued interest and reduce the principal.")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive products open no new deposits.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="deposit_product_code_not_empty"),
            models.CheckConstraint(condition=Q(convention__in=CONVENTIONS), name="deposit_product_convention_valid"),
            models.CheckConstraint(condition=Q(term_unit__in=TermUnit.values), name="deposit_product_term_unit_valid"),
            models.CheckConstraint(condition=Q(min_term__gte=1) & Q(max_term__gte=F("min_term")),
                                   name="deposit_product_term_range"),
            models.CheckConstraint(
                condition=Q(min_amount__gt=0) & (Q(max_amount__isnull=True) | Q(max_amount__gte=F("min_amount"))),
                name="deposit_product_amount_range"),
            models.CheckConstraint(condition=_fraction("default_rate"), name="deposit_product_rate_0_1"),
            models.CheckConstraint(condition=_fraction("withholding_tax_rate"),
                                   name="deposit_product_withholding_0_1"),
            models.CheckConstraint(condition=_fraction("penalty_rate", upper_open=False),
                                   name="deposit_product_penalty_rate_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.currency_id})"


class TermDeposit(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        MATURED = "matured", "Matured and paid out"
        ROLLED_OVER = "rolled_over", "Rolled over"
        WITHDRAWN_EARLY = "withdrawn_early", "Withdrawn early"

    number = models.CharField(max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="term_deposits")
    product = models.ForeignKey(DepositProduct, on_delete=models.PROTECT, related_name="deposits")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="term_deposits",
                                help_text="The deposit's own account, where the principal lives.")
    funding_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="funded_term_deposits",
                                        help_text="The customer's account it is funded from and paid out to.")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    principal = models.DecimalField(**AMOUNT)
    rate = models.DecimalField(**RATE, help_text="Annual, as a fraction: 0.03 = 3 %.")
    convention = models.CharField(max_length=16, choices=CONVENTION_CHOICES)
    term_unit = models.CharField(max_length=8, choices=TermUnit.choices)
    term = models.PositiveIntegerField()
    start_date = models.DateField(help_text="The first day that earns interest (the business date it opened).")
    maturity_date = models.DateField(help_text="The first day that earns no interest; paid out at its end of day.")
    instruction = models.CharField(max_length=16, choices=MaturityInstruction.choices,
                                   default=MaturityInstruction.PAY_OUT)
    withholding_tax_rate = models.DecimalField(**RATE)
    early_withdrawal_allowed = models.BooleanField()
    penalty_days = models.PositiveIntegerField()
    penalty_rate = models.DecimalField(**RATE)
    penalty_may_touch_principal = models.BooleanField()
    status = FSMField(default=Status.ACTIVE, choices=Status.choices, protected=True, db_index=True)
    status_reason = models.CharField(max_length=500, blank=True)
    predecessor = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="successor")
    accrued_interest = models.DecimalField(**AMOUNT, default=Decimal(0),
                                           help_text="Sum of the accrual rows, unrounded.")
    accrued_posted = models.DecimalField(
        **AMOUNT, default=Decimal(0),
        help_text="What the ledger holds in accrued interest payable for it: accrued_interest rounded once.")
    accrued_through = models.DateField(null=True, blank=True, help_text="The last day accrued.")
    # Settlement (maturity, rollover, early withdrawal).
    closed_on = models.DateField(null=True, blank=True, help_text="The business date it was settled.")
    closed_at = models.DateTimeField(null=True, blank=True)
    interest_paid = models.DecimalField(**AMOUNT, null=True, blank=True,
                                        help_text="Interest rounded once, before penalty and tax.")
    tax_withheld = models.DecimalField(**AMOUNT, null=True, blank=True)
    penalty = models.DecimalField(**AMOUNT, null=True, blank=True)
    payout_amount = models.DecimalField(**AMOUNT, null=True, blank=True,
                                        help_text="What reached the funding account.")
    opening_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    settlement_entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    idempotency_scope = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("open_termdeposit", "Can open term deposits on customers' behalf"),
            ("withdraw_termdeposit", "Can withdraw a term deposit before maturity"),
        ]
        indexes = [
            models.Index(fields=["status", "maturity_date"], name="deposit_status_maturity"),
            models.Index(fields=["customer", "status"], name="deposit_customer_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_scope", "idempotency_key"], name="deposit_idempotency"),
            models.UniqueConstraint(fields=["account"], condition=Q(status="active"),
                                    name="deposit_one_active_per_account"),
            models.CheckConstraint(condition=Q(principal__gt=0), name="deposit_principal_positive"),
            models.CheckConstraint(condition=_fraction("rate"), name="deposit_rate_0_1"),
            models.CheckConstraint(condition=_fraction("withholding_tax_rate"), name="deposit_withholding_0_1"),
            models.CheckConstraint(condition=_fraction("penalty_rate", upper_open=False),
                                   name="deposit_penalty_rate_0_1"),
            models.CheckConstraint(condition=Q(convention__in=CONVENTIONS), name="deposit_convention_valid"),
            models.CheckConstraint(condition=Q(term_unit__in=TermUnit.values), name="deposit_term_unit_valid"),
            models.CheckConstraint(condition=Q(instruction__in=MaturityInstruction.values),
                                   name="deposit_instruction_valid"),
            models.CheckConstraint(condition=Q(status__in=["active", "matured", "rolled_over", "withdrawn_early"]),
                                   name="deposit_status_valid"),
            models.CheckConstraint(condition=Q(term__gte=1), name="deposit_term_positive"),
            models.CheckConstraint(condition=Q(maturity_date__gt=F("start_date")), name="deposit_matures_after_start"),
            models.CheckConstraint(condition=~Q(account=F("funding_account")), name="deposit_accounts_distinct"),
            models.CheckConstraint(condition=~Q(predecessor=F("id")), name="deposit_not_its_own_predecessor"),
            models.CheckConstraint(condition=Q(accrued_interest__gte=0) & Q(accrued_posted__gte=0),
                                   name="deposit_accrued_not_negative"),
            models.CheckConstraint(
                condition=Q(accrued_through__isnull=True)
                | (Q(accrued_through__gte=F("start_date")) & Q(accrued_through__lt=F("maturity_date"))),
                name="deposit_accrued_within_term"),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(closed_on__isnull=True) & Q(closed_at__isnull=True)
                           & Q(interest_paid__isnull=True) & Q(payout_amount__isnull=True))
                | (~Q(status="active") & Q(closed_on__isnull=False) & Q(closed_at__isnull=False)
                   & Q(interest_paid__gte=0) & Q(tax_withheld__gte=0) & Q(penalty__gte=0)
                   & Q(payout_amount__gte=0)),
                name="deposit_settlement_by_status"),
            models.CheckConstraint(condition=Q(status="withdrawn_early") | Q(penalty=0) | Q(penalty__isnull=True),
                                   name="deposit_penalty_only_early"),
            models.CheckConstraint(condition=~Q(status="withdrawn_early") | Q(early_withdrawal_allowed=True),
                                   name="deposit_early_withdrawal_allowed"),
            models.CheckConstraint(condition=Q(opening_entry__isnull=False) | Q(predecessor__isnull=False),
                                   name="deposit_funded"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.principal.normalize():f} {self.currency_id} until {self.maturity_date}"

    # --- lifecycle (fields only; services lock, check, post, audit) -------------------------

    def _settle(self, *, on, at, interest, tax, penalty, payout, entry) -> None:
        self.closed_on, self.closed_at = on, at
        self.interest_paid, self.tax_withheld, self.penalty, self.payout_amount = interest, tax, penalty, payout
        self.settlement_entry = entry

    @transition(field=status, source=Status.ACTIVE, target=Status.MATURED)
    def mature(self, *, on, at, interest, tax, payout, entry) -> None:
        self._settle(on=on, at=at, interest=interest, tax=tax, penalty=Decimal(0), payout=payout, entry=entry)

    @transition(field=status, source=Status.ACTIVE, target=Status.ROLLED_OVER)
    def roll_over(self, *, on, at, interest, tax, payout, entry) -> None:
        self._settle(on=on, at=at, interest=interest, tax=tax, penalty=Decimal(0), payout=payout, entry=entry)

    @transition(field=status, source=Status.ACTIVE, target=Status.WITHDRAWN_EARLY,
                conditions=[lambda d: d.early_withdrawal_allowed])
    def withdraw_early(self, *, on, at, interest, tax, penalty, payout, entry, reason) -> None:
        self._settle(on=on, at=at, interest=interest, tax=tax, penalty=penalty, payout=payout, entry=entry)
        self.status_reason = reason


class DepositAccrual(models.Model):
    """One deposit's interest for one calendar day, unrounded (18 decimal places)."""

    deposit = models.ForeignKey(TermDeposit, on_delete=models.PROTECT, related_name="accruals")
    accrual_date = models.DateField(help_text="The calendar day that earned the interest.")
    business_date = models.DateField(help_text="The end of day that wrote the row.")
    principal = models.DecimalField(**AMOUNT)
    rate = models.DecimalField(**RATE)
    convention = models.CharField(max_length=16, choices=CONVENTION_CHOICES)
    daily_factor = models.DecimalField(max_digits=40, decimal_places=38,
                                       help_text="The day's year fraction (interest.daycount.daily_factor).")
    amount = models.DecimalField(**AMOUNT, help_text="principal x rate x daily factor, at 18 places (half even).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deposit", "accrual_date"]
        indexes = [models.Index(fields=["business_date"], name="deposit_accrual_business_date")]
        constraints = [
            models.UniqueConstraint(fields=["deposit", "accrual_date"], name="deposit_accrual_one_per_day"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="deposit_accrual_amount_not_negative"),
            models.CheckConstraint(condition=Q(principal__gt=0), name="deposit_accrual_principal_positive"),
            models.CheckConstraint(condition=_fraction("rate"), name="deposit_accrual_rate_0_1"),
            models.CheckConstraint(condition=Q(daily_factor__gte=0) & Q(daily_factor__lt=1),
                                   name="deposit_accrual_factor_0_1"),
            models.CheckConstraint(condition=Q(convention__in=CONVENTIONS), name="deposit_accrual_convention_valid"),
            models.CheckConstraint(condition=Q(business_date__gte=F("accrual_date")),
                                   name="deposit_accrual_not_in_advance"),
        ]
        triggers = [
            # Accrual rows are facts: corrections are new rows of a new contract, never edits.
            pgtrigger.Protect(name="accrual_immutable", operation=pgtrigger.Update | pgtrigger.Delete),
            # Set-based (once per INSERT statement): every row lies within its deposit's term and
            # the deposit is still active.
            pgtrigger.Trigger(
                name="accrual_within_term",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                referencing=pgtrigger.Referencing(new="new_rows"),
                func="""
                    IF EXISTS (
                        SELECT 1 FROM new_rows r JOIN deposits_termdeposit d ON d.id = r.deposit_id
                        WHERE r.accrual_date < d.start_date OR r.accrual_date >= d.maturity_date
                           OR d.status <> 'active'
                    ) THEN
                        RAISE EXCEPTION 'deposit accrual outside its deposit''s active term'
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NULL;
                """,
            ),
        ]

    def __str__(self) -> str:
        return (f"Interest on deposit {self.deposit_id} for {self.accrual_date.isoformat()}: "
                f"{format_money(self.amount, self.deposit.currency_id)}")


class DepositStatusChange(StatusHistory):
    """The deposit's lifecycle history, one row per transition (the first: opened)."""

    deposit = models.ForeignKey(TermDeposit, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=16, blank=True)

    class Meta(StatusHistory.Meta):
        ordering = ["deposit", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_status=F("to_status")), name="deposit_history_changes_status"),
        ]
        triggers = append_only_triggers()  # the shared one (a Meta that extends its base must name them)

    def __str__(self) -> str:
        return f"{self.deposit_id}: {self.from_status or '-'} -> {self.to_status}"
