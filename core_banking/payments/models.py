"""Payments, FX rates and quotes, and the bank's booking accounts.

A ``Payment`` is one customer money movement (internal transfer, outgoing or incoming external
payment, cash deposit or withdrawal, FX conversion). Posting it writes exactly one journal
entry that carries the amount and its fees; a payment held for review reserves the funds with
a ledger hold until a reviewer releases or rejects it. The status machine:

    initiated -> posted                        (the normal case, in one transaction)
    initiated -> pending_review -> posted      (released by a reviewer)
                                -> rejected    (the hold is voided)
    posted -> returned                         (an external payment sent back)
    posted -> sent -> settled                  (outgoing: in a settlement batch's file, then accepted)
              sent -> returned                 (outgoing: rejected by the scheme, returned to the payer)

``sent`` and ``settled`` are set by ``core_banking/settlement`` (batches, pain.001, pain.002/camt.054).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.accounts.models import Account
from core_banking.common.history import StatusHistory
from core_banking.common.money_display import format_money, format_rate
from core_banking.ledger.models import AMOUNT, Currency, Hold, JournalEntry, LedgerAccount

RATE = {"max_digits": 28, "decimal_places": 12}


class FeeEvent(models.TextChoices):
    """What a tariff charges for: each payment kind, plus periodic events the EOD charges."""

    INTERNAL_TRANSFER = "internal_transfer", "Internal transfer"
    OUTGOING_PAYMENT = "outgoing_payment", "Outgoing payment"
    INCOMING_PAYMENT = "incoming_payment", "Incoming payment"
    FX_CONVERSION = "fx_conversion", "FX conversion"
    CASH_DEPOSIT = "cash_deposit", "Cash deposit"
    CASH_WITHDRAWAL = "cash_withdrawal", "Cash withdrawal"
    MONTHLY_MAINTENANCE = "monthly_maintenance", "Monthly account maintenance"


class Channel(models.TextChoices):
    API = "api", "API"
    INTERNET = "internet", "Internet banking"
    MOBILE = "mobile", "Mobile app"
    BRANCH = "branch", "Branch"
    STAFF = "staff", "Back office"
    FILE = "file", "File / bulk"


class BookingAccount(models.Model):
    """The bank's own ledger account for a purpose and currency: where external payments settle,
    where cash sits, where fees are earned."""

    class Purpose(models.TextChoices):
        SETTLEMENT = "settlement", "External payment settlement"
        CASH = "cash", "Cash (vault and tills)"
        FEE_INCOME = "fee_income", "Fee income"
        SUSPENSE = "suspense", "Suspense (incoming money not yet applied)"

    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    ledger_account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["purpose", "currency"]
        constraints = [models.UniqueConstraint(fields=["purpose", "currency"], name="booking_account_unique")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.currency_id}: {self.ledger_account.code}"


class FxRate(models.Model):
    """A mid-market rate that operations maintain: 1 ``base`` = ``mid_rate`` ``quote``, from
    ``valid_from`` until a newer row for the pair. The customer rate is the mid rate less the
    spread (a fraction, 0.005 = 0.5 %), whichever way the pair is converted."""

    base = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    quote = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    mid_rate = models.DecimalField(**RATE)
    spread = models.DecimalField(max_digits=8, decimal_places=6, default=Decimal("0.005"))
    valid_from = models.DateTimeField()
    source = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["base", "quote", "-valid_from"]
        verbose_name, verbose_name_plural = "FX rate", "FX rates"
        constraints = [
            models.CheckConstraint(condition=Q(mid_rate__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(condition=Q(spread__gte=0) & Q(spread__lt=1), name="fx_spread_0_1"),
            models.CheckConstraint(condition=~Q(base=models.F("quote")), name="fx_rate_distinct_pair"),
            models.UniqueConstraint(fields=["base", "quote", "valid_from"], name="fx_rate_unique_start"),
        ]
        indexes = [models.Index(fields=["base", "quote", "-valid_from"], name="fx_rate_lookup")]

    def __str__(self) -> str:
        return f"{format_rate(self.mid_rate, self.base_id, self.quote_id)} from {self.valid_from:%Y-%m-%d %H:%M}"


class FxQuote(models.Model):
    """A firm price for a conversion, valid until ``expires_at`` and usable once."""

    id = models.CharField(max_length=32, primary_key=True)
    sell_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    buy_currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    sell_amount = models.DecimalField(**AMOUNT)
    buy_amount = models.DecimalField(**AMOUNT)
    mid_rate = models.DecimalField(**RATE)
    rate = models.DecimalField(**RATE)
    spread = models.DecimalField(max_digits=8, decimal_places=6)
    fx_rate = models.ForeignKey(FxRate, on_delete=models.PROTECT, related_name="quotes")
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name, verbose_name_plural = "FX quote", "FX quotes"

    def __str__(self) -> str:
        return (f"Quote {self.id}: {format_money(self.sell_amount, self.sell_currency_id)} for "
                f"{format_money(self.buy_amount, self.buy_currency_id)}")


class Payment(FSMModelMixin, models.Model):
    class Kind(models.TextChoices):
        INTERNAL_TRANSFER = "internal_transfer", "Internal transfer"
        OUTGOING = "outgoing", "Outgoing external payment"
        INCOMING = "incoming", "Incoming external payment"
        CASH_DEPOSIT = "cash_deposit", "Cash deposit"
        CASH_WITHDRAWAL = "cash_withdrawal", "Cash withdrawal"
        FX_CONVERSION = "fx_conversion", "FX conversion"

    class Status(models.TextChoices):
        INITIATED = "initiated", "Initiated"
        PENDING_REVIEW = "pending_review", "Pending review"
        POSTED = "posted", "Posted"
        REJECTED = "rejected", "Rejected"
        RETURNED = "returned", "Returned"
        SENT = "sent", "Sent"
        SETTLED = "settled", "Settled"

    reference = models.CharField(max_length=20, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = FSMField(default=Status.INITIATED, choices=Status.choices, protected=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    # No single-column index on the account and currency keys: every payment pays for each index
    # of this table, the composite indexes (payment_debtor_time, payment_creditor_time) serve the
    # account look-ups, and nothing looks payments up by currency or by creator (an account,
    # currency or user referred to is never deleted: PROTECT, and closing is a status).
    debtor_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="payments_out", db_index=False
    )
    creditor_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="payments_in", db_index=False
    )
    customer_id_debtor = models.BigIntegerField(verbose_name="debtor's customer ID", null=True, blank=True,
                                                editable=False)
    customer_id_creditor = models.BigIntegerField(verbose_name="creditor's customer ID", null=True, blank=True,
                                                  editable=False)
    amount = models.DecimalField(**AMOUNT)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+", db_index=False)
    counterparty_iban = models.CharField(verbose_name="counterparty IBAN", max_length=34, blank=True)
    counterparty_name = models.CharField(max_length=140, blank=True)
    counterparty_bic = models.CharField(verbose_name="counterparty BIC", max_length=11, blank=True)
    counterparty_country = models.CharField(max_length=2, blank=True)
    remittance_info = models.CharField(max_length=140, blank=True)
    end_to_end_id = models.CharField(verbose_name="end-to-end ID", max_length=64, blank=True)
    fee_amount = models.DecimalField(**AMOUNT, default=Decimal(0))
    fee_currency = models.ForeignKey(Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     db_index=False)
    fees = models.JSONField(default=list, blank=True, help_text="Fee breakdown, one item per fee charged.")
    fx_quote = models.OneToOneField(FxQuote, null=True, blank=True, on_delete=models.PROTECT, related_name="payment")
    fx_rate = models.DecimalField(verbose_name="FX rate", **RATE, null=True, blank=True)
    fx_mid_rate = models.DecimalField(verbose_name="FX mid rate", **RATE, null=True, blank=True)
    target_amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    target_currency = models.ForeignKey(
        Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    hold = models.OneToOneField(Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="payment")
    return_entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="returned_payment"
    )
    review_reasons = models.JSONField(default=list, blank=True)
    status_reason = models.CharField(max_length=500, blank=True)
    business_date = models.DateField()
    idempotency_scope = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("review_payment", "Can release or reject a payment held for review"),
            ("return_payment", "Can return an external payment"),
            ("initiate_payment", "Can initiate payments on customers' behalf"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_scope", "idempotency_key"], name="payment_idempotency"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(fee_amount__gte=0), name="payment_fee_not_negative"),
            models.CheckConstraint(
                condition=~Q(status__in=["posted", "returned", "sent", "settled"]) | Q(entry__isnull=False),
                name="payment_posted_has_entry",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["sent", "settled"]) | Q(kind="outgoing"),
                name="payment_sent_is_outgoing",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending_review") | Q(hold__isnull=False),
                name="payment_review_has_hold",
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | Q(return_entry__isnull=False),
                name="payment_returned_has_entry",
            ),
            models.CheckConstraint(
                condition=(Q(kind="internal_transfer") & Q(debtor_account__isnull=False)
                           & Q(creditor_account__isnull=False))
                | (Q(kind="fx_conversion") & Q(debtor_account__isnull=False) & Q(creditor_account__isnull=False))
                | (Q(kind__in=["outgoing", "cash_withdrawal"]) & Q(debtor_account__isnull=False)
                   & Q(creditor_account__isnull=True))
                | (Q(kind__in=["incoming", "cash_deposit"]) & Q(creditor_account__isnull=False)
                   & Q(debtor_account__isnull=True)),
                name="payment_accounts_by_kind",
            ),
        ]
        # Support look-up: by account and time, counterparty IBAN, end-to-end id, customer,
        # amount and business date (plans in docs/payments.md).
        indexes = [
            models.Index(fields=["debtor_account", "-created_at"], name="payment_debtor_time"),
            models.Index(fields=["creditor_account", "-created_at"], name="payment_creditor_time"),
            models.Index(fields=["customer_id_debtor", "-created_at"], name="payment_cust_debtor_time"),
            models.Index(fields=["customer_id_creditor", "-created_at"], name="payment_cust_creditor_time"),
            models.Index(fields=["counterparty_iban", "-created_at"], name="payment_cpty_iban_time"),
            models.Index(fields=["end_to_end_id"], name="payment_end_to_end"),
            models.Index(fields=["amount", "-created_at"], name="payment_amount_time"),
            models.Index(fields=["business_date", "status"], name="payment_date_status"),
            models.Index(fields=["status", "-created_at"], name="payment_status_time"),
            models.Index(fields=["-created_at", "-id"], name="payment_time"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.get_kind_display()} {format_money(self.amount, self.currency_id)}"

    @property
    def fee_account(self) -> Account | None:
        """The account the fee is charged to: the payer, or the receiver of incoming money."""
        if self.kind in (self.Kind.INCOMING, self.Kind.CASH_DEPOSIT):
            return self.creditor_account
        return self.debtor_account

    @transition(field=status, source=Status.INITIATED, target=Status.POSTED)
    def mark_posted(self, *, entry: JournalEntry, at) -> None:
        self.entry = entry
        self.posted_at = at

    @transition(field=status, source=Status.INITIATED, target=Status.PENDING_REVIEW)
    def hold_for_review(self, *, hold: Hold, reasons: list[dict]) -> None:
        self.hold = hold
        self.review_reasons = reasons

    @transition(field=status, source=Status.PENDING_REVIEW, target=Status.POSTED)
    def release(self, *, entry: JournalEntry, at) -> None:
        self.entry = entry
        self.posted_at = at

    @transition(field=status, source=Status.PENDING_REVIEW, target=Status.REJECTED)
    def reject(self, *, reason: str) -> None:
        self.status_reason = reason

    @transition(field=status, source=[Status.POSTED, Status.SENT], target=Status.RETURNED)
    def mark_returned(self, *, entry: JournalEntry, reason: str) -> None:
        self.return_entry = entry
        self.status_reason = reason

    @transition(field=status, source=Status.POSTED, target=Status.SENT)
    def mark_sent(self) -> None:
        pass

    @transition(field=status, source=Status.SENT, target=Status.SETTLED)
    def mark_settled(self, *, reason: str = "") -> None:
        self.status_reason = reason


class PaymentStatusChange(StatusHistory):
    """The payment's lifecycle history, one row per transition. Append-only."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="status_changes")

    class Meta(StatusHistory.Meta):
        ordering = ["payment", "id"]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status or '-'} -> {self.to_status}"
