"""Products and customer accounts.

A ``Product`` fixes what an account opened from it is: its kind, currency, overdraft policy, the
general-ledger account its customer accounts sit under, and the codes of the tariff plan and
limit profile the back office resolves (``backoffice.tariffs`` / ``backoffice.limits``; the
engine keeps codes, not foreign keys, so that it never imports the back office) and of the
interest rate schedule its accounts earn under (``core_banking.interest``, which imports this
app, so it is a code here too).

An ``Account`` is a customer's account: an IBAN, a ledger account behind it (an analytical
account beneath the product's general-ledger account, where its money lives), and a lifecycle
state machine whose rules the payment engine obeys (``Account.require_debitable`` /
``require_creditable``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.common.history import StatusHistory
from core_banking.customers.models import Customer
from core_banking.ledger.models import AMOUNT, Currency, LedgerAccount

from . import exceptions as exc


class Product(models.Model):
    class Kind(models.TextChoices):
        CURRENT = "current", "Current account"
        SAVINGS = "savings", "Savings account"
        TERM_DEPOSIT = "term_deposit", "Term deposit"
        LOAN = "loan", "Loan"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    gl_account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"is_synthetic": True},
        help_text="The general-ledger header account the product's customer accounts sit under.",
    )
    overdraft_allowed = models.BooleanField(default=False)
    max_overdraft_limit = models.DecimalField(**AMOUNT, default=Decimal(0))
    default_overdraft_limit = models.DecimalField(**AMOUNT, default=Decimal(0))
    tariff_plan_code = models.CharField(max_length=32, blank=True, help_text="Tariff plan (back office).")
    limit_profile_code = models.CharField(max_length=32, blank=True, help_text="Limit profile (back office).")
    interest_schedule_code = models.CharField(
        max_length=32, blank=True,
        help_text="Interest rate schedule (core_banking.interest) its accounts earn under, when the schedule is "
        "active and in the account's currency; empty: no interest.",
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True, help_text="Inactive products open no new accounts.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_overdraft_limit__gte=0) & Q(default_overdraft_limit__gte=0)
                & Q(default_overdraft_limit__lte=models.F("max_overdraft_limit")),
                name="product_overdraft_limits",
            ),
            models.CheckConstraint(
                condition=Q(overdraft_allowed=True) | Q(max_overdraft_limit=0),
                name="product_no_overdraft_no_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.currency_id})"

    @property
    def is_deposit(self) -> bool:
        return self.kind != self.Kind.LOAN


class AccountNumber(models.Model):
    """The sequence account numbers are drawn from (its id), the same on PostgreSQL and SQLite."""

    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.pk:010d}"


class Account(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending activation"
        ACTIVE = "active", "Active"
        FROZEN = "frozen", "Frozen"
        DEBIT_BLOCKED = "debit_blocked", "Debits blocked"
        CREDIT_BLOCKED = "credit_blocked", "Credits blocked"
        DORMANT = "dormant", "Dormant"
        CLOSED = "closed", "Closed"

    number = models.CharField(max_length=34, unique=True, editable=False)
    iban = models.CharField(verbose_name="IBAN", max_length=34, unique=True, editable=False)
    name = models.CharField(max_length=200, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="accounts")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="accounts")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    ledger_account = models.OneToOneField(LedgerAccount, on_delete=models.PROTECT, related_name="customer_account")
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    status_reason = models.CharField(max_length=500, blank=True)
    overdraft_limit = models.DecimalField(**AMOUNT, default=Decimal(0))
    opened_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["customer", "status"], name="account_customer_status")]
        constraints = [
            models.CheckConstraint(condition=Q(overdraft_limit__gte=0), name="account_overdraft_gte_0"),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="account_closed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.iban} {self.name}".strip()

    # --- what the payment engine may do ------------------------------------------------------

    def require_debitable(self) -> None:
        """Money may leave: active or credit-blocked."""
        refusal = {
            self.Status.PENDING: exc.AccountNotActive, self.Status.FROZEN: exc.AccountFrozen,
            self.Status.DEBIT_BLOCKED: exc.AccountDebitBlocked, self.Status.DORMANT: exc.AccountDormant,
            self.Status.CLOSED: exc.AccountClosed,
        }.get(self.status)
        if refusal is not None:
            raise refusal(f"account {self.iban} is {self.get_status_display().lower()}; it cannot be debited",
                          account=self.iban)

    def require_creditable(self) -> None:
        """Money may arrive: active, debit-blocked or dormant (incoming money does not wake it)."""
        refusal = {
            self.Status.PENDING: exc.AccountNotActive, self.Status.FROZEN: exc.AccountFrozen,
            self.Status.CREDIT_BLOCKED: exc.AccountCreditBlocked, self.Status.CLOSED: exc.AccountClosed,
        }.get(self.status)
        if refusal is not None:
            raise refusal(f"account {self.iban} is {self.get_status_display().lower()}; it cannot be credited",
                          account=self.iban)

    # --- lifecycle (fields only; services lock, check, audit) --------------------------------

    OPEN_STATES = [Status.ACTIVE, Status.DEBIT_BLOCKED, Status.CREDIT_BLOCKED, Status.DORMANT]

    @transition(field=status, source=Status.PENDING, target=Status.ACTIVE)
    def activate(self, *, at) -> None:
        self.activated_at = at

    @transition(field=status, source=OPEN_STATES, target=Status.FROZEN)
    def freeze(self) -> None:
        pass

    @transition(field=status, source=Status.FROZEN, target=Status.ACTIVE)
    def unfreeze(self) -> None:
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.DEBIT_BLOCKED)
    def block_debits(self) -> None:
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.CREDIT_BLOCKED)
    def block_credits(self) -> None:
        pass

    @transition(field=status, source=[Status.DEBIT_BLOCKED, Status.CREDIT_BLOCKED], target=Status.ACTIVE)
    def unblock(self) -> None:
        pass

    @transition(field=status, source=Status.ACTIVE, target=Status.DORMANT)
    def mark_dormant(self) -> None:
        pass

    @transition(field=status, source=Status.DORMANT, target=Status.ACTIVE)
    def reactivate(self) -> None:
        pass

    @transition(field=status, source=[Status.PENDING, *OPEN_STATES], target=Status.CLOSED)
    def close(self, *, at) -> None:
        self.closed_at = at


class AccountStatusChange(StatusHistory):
    """The account's lifecycle history, one row per transition. Append-only."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="status_changes")

    class Meta(StatusHistory.Meta):
        ordering = ["account", "id"]

    def __str__(self) -> str:
        return f"Account {self.account_id}: {self.from_status} → {self.to_status}"
