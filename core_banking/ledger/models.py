"""The ledger: an immutable, idempotent, multi-currency double-entry system of record.

Design in brief (docs/ledger.md has the full story):

* ``LedgerAccount`` is a node of the chart of accounts. Synthetic (general-ledger) accounts form
  a tree by ``parent``; analytical accounts (customer accounts, later) hang beneath them. Each
  account has one currency and a balance rule (unconstrained, never below zero, or never below
  an overdraft limit).
* ``JournalEntry`` + ``Posting``: postings carry a signed amount (debit positive, credit
  negative); per entry and currency they sum to zero. Entries and postings are never updated or
  deleted (PostgreSQL triggers); a correction is a reversal entry linked by ``reverses``, unique,
  so an entry is reversed at most once. A deferred constraint trigger refuses an unbalanced entry
  at commit, however it was written.
* Balances live in ``AccountBalance`` rows ("shards"), updated in the same transaction as the
  postings, in the account's *normal* orientation (credit-normal accounts such as customer
  deposits show a positive balance when in credit). A constrained account has exactly one shard,
  locked in id order before its check; the check is also a CHECK constraint on the row. An
  unconstrained high-traffic account (fee income, settlement, the outside world) has several
  shards and each posting updates one picked at random, so concurrent transfers do not queue on
  one hot row. Each posting records its shard's balance after it, its position ``posted_at``
  (strictly increasing per shard), so point-in-time balances and statements are index lookups.
* Tamper evidence: entries are appended to one of a few hash chains (``LedgerChain``); each
  entry's ``hash`` is sha256(previous hash of its chain || digest of its content and postings).
* Holds (two-phase transfers) reserve funds: they raise the debit shard's ``held`` (reducing the
  available balance, not the posted one) until posted, voided or expired.
* Idempotency: every entry carries (``idempotency_scope``, ``idempotency_key``), unique; a
  replay with the same payload returns the original entry, a different payload is refused.
"""

from __future__ import annotations

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.common.money_display import format_money

AMOUNT = {"max_digits": 38, "decimal_places": 18}


class Currency(models.Model):
    """A currency (ISO 4217) or a configurable asset with its exponent (decimal places)."""

    class Kind(models.TextChoices):
        FIAT = "fiat", "Fiat currency"
        ASSET = "asset", "Other asset"

    code = models.CharField(max_length=12, primary_key=True)
    name = models.CharField(max_length=100)
    exponent = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.FIAT)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "currencies"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(exponent__gte=0) & Q(exponent__lte=18), name="currency_exponent_0_18"
            ),
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z0-9]{3,12}$"), name="currency_code_format"),
        ]

    def __str__(self) -> str:
        return self.code


class AccountType(models.TextChoices):
    ASSET = "asset", "Asset"
    LIABILITY = "liability", "Liability"
    EQUITY = "equity", "Equity"
    INCOME = "income", "Income"
    EXPENSE = "expense", "Expense"


DEBIT_NORMAL_TYPES = {AccountType.ASSET, AccountType.EXPENSE}


class BalanceRule(models.TextChoices):
    UNCONSTRAINED = "unconstrained", "Unconstrained"
    NON_NEGATIVE = "non_negative", "Never below zero"
    OVERDRAFT_LIMIT = "overdraft_limit", "Never below the overdraft limit"


def _no_truncate(why: str) -> pgtrigger.Trigger:
    """A statement trigger refusing TRUNCATE (which row triggers never see), saying why."""
    return pgtrigger.Trigger(
        name="no_truncate",
        operation=pgtrigger.Truncate,
        level=pgtrigger.Statement,
        when=pgtrigger.Before,
        func=f"RAISE EXCEPTION '{why}: cannot truncate %', TG_TABLE_NAME;",
    )


class LedgerAccount(models.Model):
    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=AccountType.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_synthetic = models.BooleanField(
        default=False,
        help_text="A general-ledger header account: it aggregates its children and takes no postings.",
    )
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    balance_rule = models.CharField(
        max_length=16, choices=BalanceRule.choices, default=BalanceRule.UNCONSTRAINED
    )
    overdraft_limit = models.DecimalField(**AMOUNT, default=Decimal(0))
    shard_count = models.PositiveSmallIntegerField(
        default=1,
        help_text="Balance shards. Unconstrained high-traffic accounts use several so that "
        "concurrent postings do not queue on one row.",
    )
    is_active = models.BooleanField(default=True)
    external_id = models.CharField(verbose_name="external ID", max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who opened it through the API (client isolation: a partner sees the ledger accounts it
    # opened); empty for the chart of accounts and the accounts the engine opens itself.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        permissions = [
            ("post_entry", "Can post raw journal entries"),
            ("view_trial_balance", "Can view the trial balance"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(overdraft_limit__gte=0), name="ledger_account_overdraft_gte_0"),
            models.CheckConstraint(
                condition=Q(shard_count__gte=1) & Q(shard_count__lte=64), name="ledger_account_shards_1_64"
            ),
            models.CheckConstraint(
                condition=Q(balance_rule=BalanceRule.UNCONSTRAINED) | Q(shard_count=1),
                name="ledger_account_constrained_single_shard",
            ),
        ]
        # Postings are checked against their account and its currency by the statement-level
        # trigger on ledger_posting (migration 0009), not by a foreign key: an account is
        # therefore never deleted, and keeps its id and currency, whatever writes to it.
        triggers = [
            pgtrigger.Protect(name="never_deleted", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="id_currency_fixed", operation=pgtrigger.Update, condition=pgtrigger.AnyChange("id", "currency")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name} ({self.currency_id})"

    @property
    def is_debit_normal(self) -> bool:
        return self.type in DEBIT_NORMAL_TYPES

    @property
    def sign(self) -> int:
        """+1 when a debit raises the balance (assets, expenses), -1 otherwise."""
        return 1 if self.is_debit_normal else -1

    @property
    def floor(self) -> Decimal | None:
        """The lowest available balance allowed, or None for an unconstrained account."""
        if self.balance_rule == BalanceRule.NON_NEGATIVE:
            return Decimal(0)
        if self.balance_rule == BalanceRule.OVERDRAFT_LIMIT:
            return -self.overdraft_limit
        return None


class AccountBalance(models.Model):
    """One balance shard of an account; the account's balance is the sum of its shards."""

    id = models.BigIntegerField(primary_key=True)
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="balances")
    shard = models.PositiveSmallIntegerField()
    balance = models.DecimalField(**AMOUNT, default=Decimal(0))
    held = models.DecimalField(**AMOUNT, default=Decimal(0), help_text="Reserved by pending debits (holds).")
    pending_in = models.DecimalField(**AMOUNT, default=Decimal(0), help_text="Pending credits (holds).")
    floor = models.DecimalField(**AMOUNT, null=True, blank=True)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    posting_count = models.BigIntegerField(default=0)

    class Meta:
        db_table = "ledger_balance"
        constraints = [
            models.UniqueConstraint(fields=["account", "shard"], name="ledger_balance_account_shard"),
            # The row id is derived from (account, shard) so the engine can address a shard
            # without looking it up: id = account_id * 64 + shard.
            models.CheckConstraint(
                condition=Q(id=F("account_id") * 64 + F("shard")) & Q(shard__lt=64),
                name="ledger_balance_id_from_account_shard",
            ),
            models.CheckConstraint(
                condition=Q(floor__isnull=True) | Q(balance__gte=F("floor") + F("held")),
                name="ledger_balance_available_above_floor",
            ),
            models.CheckConstraint(condition=Q(held__gte=0) & Q(pending_in__gte=0), name="ledger_balance_holds_gte_0"),
        ]

    def __str__(self) -> str:
        return f"Account {self.account_id}, shard {self.shard}: {format_money(self.balance, self.account.currency_id)}"


class LedgerChain(models.Model):
    """Head of one hash chain. Entries are spread over a few chains so that appending an entry
    does not serialize all traffic on one row; each chain is verified on its own."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    length = models.BigIntegerField(default=0)
    head = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        db_table = "ledger_chain"
        # Entries name their chain without a foreign key (the deferred check of each entry looks
        # it up, migration 0009): a chain is never deleted, emptied or renumbered.
        triggers = [
            pgtrigger.Protect(name="never_deleted", operation=pgtrigger.Delete),
            pgtrigger.Protect(name="id_fixed", operation=pgtrigger.Update, condition=pgtrigger.AnyChange("id")),
            _no_truncate("hash chains are never removed"),
        ]

    def __str__(self) -> str:
        return f"chain {self.id} @ {self.length}"


class BusinessDay(models.Model):
    """The bank's business dates. One is open; postings take its date. Closing a day records the
    instant it closed, so "balance as of business date D" is "balance as of that instant"."""

    date = models.DateField(primary_key=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ledger_business_day"
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["closed_at"], condition=Q(closed_at__isnull=True), name="ledger_one_open_business_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} ({'open' if self.closed_at is None else 'closed'})"


class EntryKind(models.TextChoices):
    TRANSFER = "transfer", "Transfer"
    ADJUSTMENT = "adjustment", "Manual adjustment"
    REVERSAL = "reversal", "Reversal"
    FX = "fx", "FX conversion"
    HOLD_POSTING = "hold_posting", "Posted hold"


_IMMUTABLE = [
    pgtrigger.Protect(name="immutable", operation=pgtrigger.Update | pgtrigger.Delete),
    _no_truncate("ledger rows are immutable"),
]


class JournalEntry(models.Model):
    kind = models.CharField(max_length=16, choices=EntryKind.choices, default=EntryKind.TRANSFER)
    business_date = models.DateField(db_index=True)
    value_date = models.DateField()
    created_at = models.DateTimeField(db_index=True)
    # Looked up by equality only (staff search, API filter): one plain B-tree, declared in Meta.indexes;
    # Django's db_index would add a second, varchar_pattern_ops, one for LIKE (migration 0010).
    external_ref = models.CharField(max_length=128, blank=True)
    description = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    idempotency_scope = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # No foreign-key constraint: the entry's deferred check looks the chain up at commit, together
    # with the entry's postings (one look-up per entry instead of a trigger call more).
    chain = models.ForeignKey(
        LedgerChain, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    chain_seq = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "ledger_entry"
        verbose_name_plural = "journal entries"
        ordering = ["-id"]
        indexes = [models.Index(fields=["external_ref"], name="ledger_entry_external_ref")]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"], name="ledger_entry_idempotency"
            ),
            models.UniqueConstraint(fields=["chain", "chain_seq"], name="ledger_entry_chain_position"),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(kind=EntryKind.REVERSAL),
                name="ledger_entry_reversal_kind",
            ),
        ]
        triggers = _IMMUTABLE

    def __str__(self) -> str:
        return f"Entry {self.pk} {self.external_ref}".strip()


class Posting(models.Model):
    # Indexes are chosen by hand: (entry) and (account, shard, posted_at) serve the ledger's own
    # queries; (amount), added by migration 0007 outside the model state, serves the staff search
    # of entries by amount (one more index entry per posting written).
    # No foreign-key constraints: the statement-level trigger on ledger_posting checks, set-based
    # and once per INSERT/COPY, that every posting's entry exists and that its account exists in
    # the posting's currency (migration 0009; per-row foreign-key checks were a third of the bulk
    # path's server time). Entries, accounts and chains are never deleted (their triggers).
    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="postings", db_index=False, db_constraint=False
    )
    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="postings", db_index=False, db_constraint=False
    )
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    amount = models.DecimalField(**AMOUNT, help_text="Signed: debit positive, credit negative.")
    shard = models.PositiveSmallIntegerField()
    balance_after = models.DecimalField(
        **AMOUNT, help_text="The shard's balance after this posting, in the account's normal orientation."
    )
    posted_at = models.DateTimeField(help_text="Strictly increasing per account shard.")
    business_date = models.DateField()
    value_date = models.DateField()

    class Meta:
        db_table = "ledger_posting"
        ordering = ["posted_at", "id"]
        indexes = [
            models.Index(fields=["entry"], name="ledger_posting_entry"),
        ]
        constraints = [
            # The chain of balances per shard: one posting per instant, which is also the index
            # behind statements, running balances and point-in-time balances.
            models.UniqueConstraint(fields=["account", "shard", "posted_at"], name="ledger_posting_position"),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_amount_not_zero"),
        ]
        triggers = _IMMUTABLE

    def __str__(self) -> str:
        return f"Posting {self.pk}: {format_money(self.amount, self.currency_id)} on account {self.account_id}"


class Hold(FSMModelMixin, models.Model):
    """A pending transfer: funds reserved on the debit account until posted, voided or expired."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        POSTED = "posted", "Posted"
        VOIDED = "voided", "Voided"
        EXPIRED = "expired", "Expired"

    debit_account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="holds_out")
    credit_account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="holds_in")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**AMOUNT)
    debit_shard = models.PositiveSmallIntegerField()
    credit_shard = models.PositiveSmallIntegerField()
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    external_ref = models.CharField(max_length=128, blank=True, db_index=True)
    description = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    idempotency_scope = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    posted_amount = models.DecimalField(**AMOUNT, null=True, blank=True)
    entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="hold"
    )

    class Meta:
        db_table = "ledger_hold"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_scope", "idempotency_key"], name="ledger_hold_idempotency"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(posted_amount__isnull=True) | (Q(posted_amount__gt=0) & Q(posted_amount__lte=F("amount"))),
                name="ledger_hold_posted_amount_within_hold",
            ),
            models.CheckConstraint(
                condition=~Q(debit_account=F("credit_account")), name="ledger_hold_distinct_accounts"
            ),
        ]

    def __str__(self) -> str:
        return f"Hold {self.pk}: {format_money(self.amount, self.currency_id)} ({self.get_status_display().lower()})"

    @transition(field=status, source=Status.PENDING, target=Status.POSTED)
    def mark_posted(self, *, amount: Decimal, entry: JournalEntry, at) -> None:
        self.posted_amount = amount
        self.entry = entry
        self.resolved_at = at

    @transition(field=status, source=Status.PENDING, target=Status.VOIDED)
    def mark_voided(self, *, at) -> None:
        self.resolved_at = at

    @transition(field=status, source=Status.PENDING, target=Status.EXPIRED)
    def mark_expired(self, *, at) -> None:
        self.resolved_at = at
