"""Loans: products, applications and their lifecycle, the repayment schedule, daily accrual,
repayments and their allocation, delinquency. docs/loans.md has the full story.

* ``LoanProduct`` fixes the terms a loan may take (currency, amortisation method, rate and term
  and amount ranges, day-count convention, repayment frequency, per-instalment fee, the order in
  which a repayment pays fees / penalties / interest / principal, grace days, the late fee, and
  the delinquency bucket boundaries). It names an ``accounts.Product`` of kind ``loan``: each
  disbursed loan gets its own customer account from it (``account_open``), i.e. an asset ledger
  account under that product's general-ledger header, whose balance is the principal outstanding.
* ``Loan``: the borrower, the customer's account the money is paid into and repayments come
  from, the principal, annual rate, number of instalments, dates, and a state machine::

      applied -> approved -> disbursed -> active <-> in_arrears -> repaid
                             disbursed | active | in_arrears  -> written_off

  ``LoanStatusChange`` is its append-only history (who, when, from, to, reason).
* ``Instalment``: the schedule, one row per due date, with principal, interest, fees and
  penalties due and paid. Generated at approval (``schedule.generate``), regenerated for the
  actual disbursement date and after a partial early repayment (unpaid instalments only).
* ``LoanAccrual``: one row per loan and calendar day (unique), written set-based by the end of
  day (``eod.accrue``), with the unrounded day's interest and what was posted to the ledger.
* ``Repayment`` and ``RepaymentAllocation``: each repayment (by the customer, an automatic
  collection at due-date processing, an early repayment) with one allocation row per instalment
  and component; ``LateFee`` (one per instalment, unique) and ``DueRun`` (one per loan and
  business date, unique) make the due-date processing idempotent.

Every invariant that matters is also a database constraint (tests prove them with raw SQL);
the ones PostgreSQL needs a function for (a permutation, ascending boundaries) are added by
migration 0002.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.accounts.models import Account, Product
from core_banking.common.history import StatusHistory, append_only_triggers
from core_banking.common.money_display import format_money
from core_banking.customers.models import Customer
from core_banking.interest.daycount import Convention
from core_banking.ledger.models import AMOUNT, Currency, JournalEntry

from .schedule import COMPONENTS, DEFAULT_ALLOCATION_ORDER, DEFAULT_BUCKET_BOUNDARIES, Method, RepaymentFrequency
from .transitions import BY_NAME

# An annual rate as a fraction with 8 decimal places: 0.12 = 12 %.
RATE = {"max_digits": 9, "decimal_places": 8}

CONVENTION_CHOICES = [(c.value, c.label) for c in Convention]
METHOD_CHOICES = [(Method.ANNUITY.value, "Annuity (equal instalments)"),
                  (Method.EQUAL_PRINCIPAL.value, "Equal principal")]
FREQUENCY_CHOICES = [(RepaymentFrequency.MONTHLY.value, "Monthly"),
                     (RepaymentFrequency.QUARTERLY.value, "Quarterly")]

# The staff transitions' permissions are the transition table's (transitions.py).
APPROVE = BY_NAME["approve"].permission
DISBURSE = BY_NAME["disburse"].permission
REPAY = "loans.repay_loan"
WRITE_OFF = BY_NAME["write_off"].permission
APPLY = "loans.add_loan"
VIEW = "loans.view_loan"

LOAN_STATES = ["applied", "approved", "disbursed", "active", "in_arrears", "repaid", "written_off"]
INSTALMENT_STATES = ["pending", "due", "overdue", "paid", "cancelled", "written_off"]
REPAYMENT_KINDS = ["repayment", "collection", "early_partial", "payoff"]


def _non_negative(*names: str) -> Q:
    condition = Q()
    for name in names:
        condition &= Q(**{f"{name}__gte": 0})
    return condition


class LoanProduct(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    account_product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="loan_products", limit_choices_to={"kind": "loan"},
        help_text="The accounts product (kind loan) each disbursed loan's own account is opened from.",
    )
    amortisation = models.CharField(max_length=16, choices=METHOD_CHOICES, default=Method.ANNUITY.value)
    rate_default = models.DecimalField(**RATE, help_text="Annual, a fraction: 0.12 = 12 %.")
    rate_min = models.DecimalField(**RATE)
    rate_max = models.DecimalField(**RATE)
    convention = models.CharField(max_length=16, choices=CONVENTION_CHOICES, default=Convention.THIRTY_360_ISDA.value)
    frequency = models.CharField(max_length=12, choices=FREQUENCY_CHOICES, default=RepaymentFrequency.MONTHLY.value)
    term_min = models.PositiveSmallIntegerField(help_text="Fewest instalments.")
    term_max = models.PositiveSmallIntegerField(help_text="Most instalments.")
    amount_min = models.DecimalField(**AMOUNT)
    amount_max = models.DecimalField(**AMOUNT)
    instalment_fee = models.DecimalField(**AMOUNT, default=Decimal(0),
                                         help_text="A servicing fee due with every instalment (the 'fees' part).")
    allocation_order = models.JSONField(
        default=list, help_text="The order a repayment pays the parts of what is due: a permutation of "
        "fees, penalties, interest, principal.")
    grace_days = models.PositiveSmallIntegerField(default=0, help_text="Days past due before a late fee.")
    late_fee = models.DecimalField(**AMOUNT, default=Decimal(0),
                                   help_text="Charged once per overdue instalment, as a penalty.")
    bucket_boundaries = models.JSONField(
        default=list, help_text="Upper bounds in days past due of the delinquency buckets, ascending: "
        "[30, 60, 90] gives current, 1-30, 31-60, 61-90, 90+.")
    is_active = models.BooleanField(default=True, help_text="Inactive products take no new applications.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="loans_product_code_not_empty"),
            models.CheckConstraint(condition=Q(amortisation__in=[m.value for m in Method]),
                                   name="loans_product_method_valid"),
            models.CheckConstraint(condition=Q(convention__in=[c.value for c in Convention]),
                                   name="loans_product_convention_valid"),
            models.CheckConstraint(condition=Q(frequency__in=[f.value for f in RepaymentFrequency]),
                                   name="loans_product_frequency_valid"),
            models.CheckConstraint(
                condition=Q(rate_min__gte=0) & Q(rate_min__lte=F("rate_default")) & Q(rate_default__lte=F("rate_max"))
                & Q(rate_max__lt=1), name="loans_product_rates_ordered"),
            models.CheckConstraint(condition=Q(term_min__gte=1) & Q(term_min__lte=F("term_max")),
                                   name="loans_product_terms_ordered"),
            models.CheckConstraint(condition=Q(amount_min__gt=0) & Q(amount_min__lte=F("amount_max")),
                                   name="loans_product_amounts_ordered"),
            models.CheckConstraint(condition=_non_negative("instalment_fee", "late_fee"),
                                   name="loans_product_fees_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.currency_id})"

    def save(self, *args, **kwargs):
        if not self.allocation_order:
            self.allocation_order = list(DEFAULT_ALLOCATION_ORDER)
        if not self.bucket_boundaries:
            self.bucket_boundaries = list(DEFAULT_BUCKET_BOUNDARIES)
        super().save(*args, **kwargs)


class Loan(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        APPROVED = "approved", "Approved"
        DISBURSED = "disbursed", "Disbursed"
        ACTIVE = "active", "Active"
        IN_ARREARS = "in_arrears", "In arrears"
        REPAID = "repaid", "Repaid"
        WRITTEN_OFF = "written_off", "Written off"

    RUNNING = [Status.DISBURSED, Status.ACTIVE, Status.IN_ARREARS]
    CLOSED = [Status.REPAID, Status.WRITTEN_OFF]

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="loans")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="loans_paid_out",
                                help_text="The customer's account: disbursement goes in, repayments come out.")
    loan_account = models.OneToOneField(Account, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="loan",
                                        help_text="The loan's own account (asset): principal outstanding.")
    principal = models.DecimalField(**AMOUNT)
    rate = models.DecimalField(**RATE, help_text="Annual, a fraction.")
    term = models.PositiveSmallIntegerField(help_text="Number of instalments.")
    amortisation = models.CharField(max_length=16, choices=METHOD_CHOICES)
    convention = models.CharField(max_length=16, choices=CONVENTION_CHOICES)
    frequency = models.CharField(max_length=12, choices=FREQUENCY_CHOICES)
    start_date = models.DateField(help_text="Interest runs from here: the (planned, then actual) disbursement date.")
    first_due_date = models.DateField()
    status = FSMField(default=Status.APPLIED, choices=Status.choices, protected=True, db_index=True)
    status_reason = models.CharField(max_length=500, blank=True)
    principal_outstanding = models.DecimalField(**AMOUNT, default=Decimal(0),
                                                help_text="Mirrors the loan account's ledger balance.")
    days_past_due = models.PositiveIntegerField(default=0)
    delinquency_bucket = models.CharField(max_length=16, default="current")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    disbursed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["customer", "status"], name="loans_loan_customer_status")]
        permissions = [
            ("approve_loan", "Can approve loan applications"),
            ("disburse_loan", "Can disburse approved loans"),
            ("repay_loan", "Can take loan repayments (regular and early)"),
            ("write_off_loan", "Can write loans off"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="loans_loan_principal_gt_0"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=1), name="loans_loan_rate_0_1"),
            models.CheckConstraint(condition=Q(term__gte=1), name="loans_loan_term_gte_1"),
            models.CheckConstraint(condition=Q(first_due_date__gt=F("start_date")), name="loans_loan_due_after_start"),
            models.CheckConstraint(
                condition=Q(principal_outstanding__gte=0) & Q(principal_outstanding__lte=F("principal")),
                name="loans_loan_outstanding_within_principal"),
            models.CheckConstraint(condition=Q(status__in=LOAN_STATES), name="loans_loan_status_valid"),
            # Maker-checker: whoever applied cannot approve.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | Q(applied_by__isnull=True) | ~Q(approved_by=F("applied_by")),
                name="loans_loan_maker_is_not_checker"),
            models.CheckConstraint(
                condition=Q(status="applied") | Q(approved_at__isnull=False), name="loans_loan_approved_has_time"),
            models.CheckConstraint(
                condition=Q(status__in=["applied", "approved"])
                | (Q(loan_account__isnull=False) & Q(disbursed_at__isnull=False)),
                name="loans_loan_disbursed_has_account"),
            models.CheckConstraint(
                condition=~Q(status__in=["applied", "approved"]) | Q(principal_outstanding=0),
                name="loans_loan_nothing_outstanding_before_disbursal"),
            models.CheckConstraint(
                condition=~Q(status__in=["repaid", "written_off"])
                | (Q(principal_outstanding=0) & Q(closed_at__isnull=False)),
                name="loans_loan_closed_is_settled"),
            models.CheckConstraint(condition=~Q(status="repaid") | Q(days_past_due=0),
                                   name="loans_loan_repaid_not_past_due"),
        ]

    def __str__(self) -> str:
        return f"Loan {self.pk} ({self.customer_id}, {self.principal} {self.currency_id})"

    # --- lifecycle (fields only; the services lock, post, record history and audit) ---

    @transition(field=status, source=Status.APPLIED, target=Status.APPROVED)
    def approve(self, *, by, at) -> None:
        self.approved_by = by
        self.approved_at = at

    @transition(field=status, source=Status.APPROVED, target=Status.DISBURSED)
    def disburse(self, *, loan_account, at) -> None:
        self.loan_account = loan_account
        self.disbursed_at = at
        self.principal_outstanding = self.principal

    @transition(field=status, source=Status.DISBURSED, target=Status.ACTIVE)
    def activate(self) -> None:
        pass

    @transition(field=status, source=[Status.DISBURSED, Status.ACTIVE], target=Status.IN_ARREARS)
    def fall_into_arrears(self) -> None:
        pass

    @transition(field=status, source=Status.IN_ARREARS, target=Status.ACTIVE)
    def cure(self) -> None:
        self.days_past_due = 0

    @transition(field=status, source=RUNNING, target=Status.REPAID)
    def mark_repaid(self, *, at) -> None:
        self.closed_at = at
        self.days_past_due = 0
        self.delinquency_bucket = "current"

    @transition(field=status, source=RUNNING, target=Status.WRITTEN_OFF)
    def write_off(self, *, at) -> None:
        self.closed_at = at
        self.principal_outstanding = Decimal(0)


class LoanStatusChange(StatusHistory):
    """The loan's lifecycle history, one row per transition. Append-only."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="status_changes")
    action = models.CharField(max_length=32)

    class Meta(StatusHistory.Meta):
        ordering = ["loan", "id"]

    def __str__(self) -> str:
        return f"{self.loan_id}: {self.from_status} -> {self.to_status}"


class Instalment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Not yet due"
        DUE = "due", "Due"
        OVERDUE = "overdue", "Overdue"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled by an early repayment"
        WRITTEN_OFF = "written_off", "Written off"

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    period_start = models.DateField(help_text="Interest of this instalment runs over [period start, due date).")
    due_date = models.DateField()
    principal_due = models.DecimalField(**AMOUNT)
    interest_due = models.DecimalField(**AMOUNT)
    fees_due = models.DecimalField(**AMOUNT, default=Decimal(0))
    penalties_due = models.DecimalField(**AMOUNT, default=Decimal(0))
    principal_paid = models.DecimalField(**AMOUNT, default=Decimal(0))
    interest_paid = models.DecimalField(**AMOUNT, default=Decimal(0))
    fees_paid = models.DecimalField(**AMOUNT, default=Decimal(0))
    penalties_paid = models.DecimalField(**AMOUNT, default=Decimal(0))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "number"]
        indexes = [models.Index(fields=["due_date", "status"], name="loans_instalment_due_status")]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="loans_instalment_number_unique"),
            models.UniqueConstraint(fields=["loan", "due_date"], name="loans_instalment_due_date_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="loans_instalment_number_gte_1"),
            models.CheckConstraint(condition=Q(due_date__gt=F("period_start")), name="loans_instalment_period"),
            models.CheckConstraint(
                condition=_non_negative("principal_due", "interest_due", "fees_due", "penalties_due", "principal_paid",
                                        "interest_paid", "fees_paid", "penalties_paid"),
                name="loans_instalment_amounts_gte_0"),
            *(models.CheckConstraint(condition=Q(**{f"{part}_paid__lte": F(f"{part}_due")}),
                                     name=f"loans_instalment_{part}_paid_lte_due") for part in COMPONENTS),
            models.CheckConstraint(condition=Q(status__in=INSTALMENT_STATES),
                                   name="loans_instalment_status_valid"),
            # Paid (or cancelled) exactly when every part is paid in full.
            models.CheckConstraint(
                condition=~Q(status__in=["paid", "cancelled"])
                | (Q(principal_paid=F("principal_due")) & Q(interest_paid=F("interest_due"))
                   & Q(fees_paid=F("fees_due")) & Q(penalties_paid=F("penalties_due"))),
                name="loans_instalment_paid_is_settled"),
            models.CheckConstraint(condition=~Q(status="paid") | Q(paid_on__isnull=False),
                                   name="loans_instalment_paid_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} #{self.number} due {self.due_date.isoformat()}"

    def due(self, part: str) -> Decimal:
        return getattr(self, f"{part}_due")

    def paid(self, part: str) -> Decimal:
        return getattr(self, f"{part}_paid")

    def unpaid(self, part: str) -> Decimal:
        return self.due(part) - self.paid(part)

    @property
    def total_due(self) -> Decimal:
        return sum((self.due(p) for p in COMPONENTS), Decimal(0))

    @property
    def total_unpaid(self) -> Decimal:
        return sum((self.unpaid(p) for p in COMPONENTS), Decimal(0))


class LoanAccrual(models.Model):
    """One loan's interest for one calendar day: ``amount`` unrounded (18 places) on the
    principal outstanding; ``cumulative`` the loan's running total; ``posted`` what this day
    added to the ledger, ``round(cumulative) - round(cumulative - amount)`` at the currency's
    exponent, so the ledger always holds the loan's rounded running total."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="accruals")
    date = models.DateField()
    principal = models.DecimalField(**AMOUNT)
    rate = models.DecimalField(**RATE)
    factor = models.DecimalField(**AMOUNT, help_text="The day's year fraction (daycount.daily_factor).")
    amount = models.DecimalField(**AMOUNT)
    cumulative = models.DecimalField(**AMOUNT)
    posted = models.DecimalField(**AMOUNT)
    business_date = models.DateField(help_text="The end of day that wrote the row.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "date"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "date"], name="loans_accrual_one_per_day"),
            models.CheckConstraint(condition=_non_negative("principal", "factor", "amount", "posted"),
                                   name="loans_accrual_amounts_gte_0"),
            models.CheckConstraint(condition=Q(cumulative__gte=F("amount")), name="loans_accrual_cumulative"),
            models.CheckConstraint(condition=Q(date__lte=F("business_date")), name="loans_accrual_not_ahead"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        money = format_money(self.amount, self.loan.currency_id)
        return f"Interest on loan {self.loan_id} for {self.date.isoformat()}: {money}"


class Repayment(models.Model):
    class Kind(models.TextChoices):
        REPAYMENT = "repayment", "Repayment"
        COLLECTION = "collection", "Collected at due-date processing"
        EARLY_PARTIAL = "early_partial", "Partial early repayment"
        PAYOFF = "payoff", "Full early repayment"

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(**AMOUNT)
    business_date = models.DateField()
    entry = models.ForeignKey(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    idempotency_scope = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=160)
    request_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_scope", "idempotency_key"],
                                    name="loans_repayment_idempotency"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="loans_repayment_amount_gt_0"),
            models.CheckConstraint(condition=Q(kind__in=REPAYMENT_KINDS), name="loans_repayment_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {format_money(self.amount, self.loan.currency_id)} on loan {self.loan_id}"


class RepaymentAllocation(models.Model):
    class Component(models.TextChoices):
        FEES = "fees", "Fees"
        PENALTIES = "penalties", "Penalties"
        INTEREST = "interest", "Interest"
        PRINCIPAL = "principal", "Principal"

    repayment = models.ForeignKey(Repayment, on_delete=models.PROTECT, related_name="allocations")
    instalment = models.ForeignKey(Instalment, on_delete=models.PROTECT, related_name="allocations")
    component = models.CharField(max_length=12, choices=Component.choices)
    amount = models.DecimalField(**AMOUNT)
    position = models.PositiveSmallIntegerField(help_text="The order it was paid in within the repayment.")

    class Meta:
        ordering = ["repayment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["repayment", "instalment", "component"],
                                    name="loans_allocation_unique_part"),
            models.UniqueConstraint(fields=["repayment", "position"], name="loans_allocation_unique_position"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="loans_allocation_amount_gt_0"),
            models.CheckConstraint(condition=Q(component__in=list(COMPONENTS)),
                                   name="loans_allocation_component_valid"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return (f"{format_money(self.amount, self.instalment.loan.currency_id)} of {self.component} to instalment "
                f"{self.instalment_id}")


class LateFee(models.Model):
    """The late fee charged on one overdue instalment: at most one per instalment."""

    instalment = models.OneToOneField(Instalment, on_delete=models.PROTECT, related_name="late_fee")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="late_fees")
    amount = models.DecimalField(**AMOUNT)
    business_date = models.DateField()
    days_past_due = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="loans_late_fee_amount_gt_0")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"Late fee of {format_money(self.amount, self.loan.currency_id)} on instalment {self.instalment_id}"


class DueRun(models.Model):
    """Due-date processing of one loan for one business date (its outcome). Unique, so a rerun
    of the day processes nothing twice."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="due_runs")
    business_date = models.DateField()
    collected = models.DecimalField(**AMOUNT, default=Decimal(0))
    days_past_due = models.PositiveIntegerField(default=0)
    delinquency_bucket = models.CharField(max_length=16)
    late_fees = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "business_date"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "business_date"], name="loans_due_run_once_per_day"),
            models.CheckConstraint(condition=Q(collected__gte=0), name="loans_due_run_collected_gte_0"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.loan_id} {self.business_date.isoformat()}: {self.delinquency_bucket}"


#: The loan statuses as plain values (the API lists them so; the schema names the enum by them).
LOAN_STATUSES = list(Loan.Status.values)
