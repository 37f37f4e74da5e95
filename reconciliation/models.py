"""Reconciliation: the bank's accounts at other banks, their statements, and what matches what.

* ``ExternalAccount``: a nostro (or safeguarding) account held at another bank, mapped to the
  ledger account that mirrors it in our books, with its matching configuration.
* ``StatementFile``: one imported file, kept as received (private storage), unique by sha256: the
  same file twice is refused. A file holds one or more statements.
* ``Statement``: one bank statement (camt.053 ``Stmt``, an MT940 ``:20:``..``:62F:`` block, a CSV
  file): period, opening and closing balances as the bank states them, the closing we compute
  (opening + lines) and whether they agree. Overlapping periods (or the same numbered statement)
  on one external account are refused by the database.
* ``StatementLine``: one movement, signed from the account holder's view (credit on our account
  at the bank = money in = positive).
* ``Match`` with ``MatchLine`` / ``MatchPosting``: lines <-> ledger postings. A match is never
  deleted: unmatching marks it (who, when, why), and a partial unique index keeps a line or a
  posting in at most one *active* match.
* ``Break``: an unmatched line or posting older than N days, worked through a small state machine.
* ``SafeguardingCheck``: per date and currency, client money owed vs safeguarded.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.common.history import StatusHistory
from core_banking.common.money_display import format_money

from .storage import statement_storage

AMOUNT = {"max_digits": 38, "decimal_places": 18}


def default_matching_config() -> dict:
    return {"rules": ["reference", "amount_date", "sum"], "date_tolerance_days": 2, "amount_tolerance": "0"}


class DateRange(Func):
    function = "daterange"
    output_field = DateRangeField()


class ExternalAccount(models.Model):
    class Purpose(models.TextChoices):
        NOSTRO = "nostro", "Nostro"
        SAFEGUARDING = "safeguarding", "Safeguarding"

    name = models.CharField(max_length=200)
    bank_bic = models.CharField(verbose_name="bank BIC", max_length=11, blank=True)
    account_identifier = models.CharField(
        max_length=64, help_text="IBAN or the bank's own identifier (MT940 :25:, camt Acct/Id)")
    currency = models.ForeignKey("ledger.Currency", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.NOSTRO)
    ledger_account = models.ForeignKey("ledger.LedgerAccount", on_delete=models.PROTECT, related_name="+")
    matching_config = models.JSONField(
        default=default_matching_config,
        help_text='{"rules": ["reference", "amount_date", "sum"], "date_tolerance_days": 2, "amount_tolerance": "0"}')
    csv_mapping = models.JSONField(
        default=dict, blank=True,
        help_text='CSV columns: {"date": "Date", "amount": "Amount", "reference": "Ref", "decimal": ","...}')
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account_identifier", "currency"], name="rec_extacct_identifier_currency"),
            models.CheckConstraint(condition=~Q(account_identifier=""), name="rec_extacct_identifier_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.account_identifier} ({self.currency_id})"

    @property
    def rules(self) -> list[str]:
        return list((self.matching_config or {}).get("rules", default_matching_config()["rules"]))

    @property
    def date_tolerance_days(self) -> int:
        return int((self.matching_config or {}).get("date_tolerance_days", 2))

    @property
    def amount_tolerance(self) -> Decimal:
        return Decimal(str((self.matching_config or {}).get("amount_tolerance", "0")))


class Format(models.TextChoices):
    CAMT053 = "camt053", "ISO 20022 camt.053"
    MT940 = "mt940", "SWIFT MT940"
    CSV = "csv", "CSV"


class StatementFile(models.Model):
    """One imported file as received; a file holds one or more statements."""

    external_account = models.ForeignKey(ExternalAccount, on_delete=models.PROTECT, related_name="files")
    format = models.CharField(max_length=8, choices=Format.choices)
    file = models.FileField(storage=statement_storage, upload_to="statements/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, unique=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)
    statement_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    error_report = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="rec_file_sha256_hex"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name or self.sha256[:12]} ({self.format})"


class Statement(models.Model):
    file = models.ForeignKey(StatementFile, on_delete=models.PROTECT, related_name="statements")
    external_account = models.ForeignKey(ExternalAccount, on_delete=models.PROTECT, related_name="statements")
    format = models.CharField(max_length=8, choices=Format.choices)
    statement_id = models.CharField(max_length=64, blank=True, help_text="camt Stmt/Id, MT940 :20:")
    sequence = models.CharField(max_length=32, blank=True, help_text="camt ElctrncSeqNb/LglSeqNb, MT940 :28C:")
    statement_key = models.CharField(
        max_length=128, blank=True,
        help_text="Unique per external account when the bank numbers its statements; blank when it does not.")
    position_in_file = models.PositiveIntegerField(default=0)
    period_from = models.DateField()
    period_to = models.DateField()
    currency = models.CharField(max_length=12)
    opening_balance = models.DecimalField(**AMOUNT)
    closing_balance = models.DecimalField(**AMOUNT)
    computed_closing = models.DecimalField(**AMOUNT)
    balanced = models.BooleanField()
    line_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    error_report = models.JSONField(default=list, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["external_account", "period_from", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_from__lte=F("period_to")), name="rec_statement_period_ordered"),
            models.CheckConstraint(
                condition=(Q(balanced=True) & Q(computed_closing=F("closing_balance")))
                | (Q(balanced=False) & ~Q(computed_closing=F("closing_balance"))),
                name="rec_statement_balanced_flag_true"),
            models.UniqueConstraint(fields=["external_account", "statement_key"], condition=~Q(statement_key=""),
                                    name="rec_statement_key_unique"),
            ExclusionConstraint(
                name="rec_statement_no_overlap",
                expressions=[(F("external_account"), RangeOperators.EQUAL),
                             (DateRange(F("period_from"), F("period_to"), models.Value("[]")),
                              RangeOperators.OVERLAPS)]),
        ]

    def __str__(self) -> str:
        return f"Statement {self.statement_id or self.pk} {self.period_from}..{self.period_to}"


class LineStatus(models.TextChoices):
    UNMATCHED = "unmatched", "Unmatched"
    SUGGESTED = "suggested", "Suggested"
    MATCHED = "matched", "Matched"


class StatementLine(models.Model):
    # (statement, position) is unique: that index serves look-ups by statement.
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines", db_index=False)
    external_account = models.ForeignKey(ExternalAccount, on_delete=models.PROTECT, related_name="+",
                                         db_index=False)
    position = models.PositiveIntegerField()
    booking_date = models.DateField()
    value_date = models.DateField()
    amount = models.DecimalField(**AMOUNT, help_text="Signed: credit on our account at the bank (money in) > 0")
    currency = models.CharField(max_length=12)
    reference = models.CharField(max_length=140, blank=True, help_text="End-to-end id / customer reference")
    bank_reference = models.CharField(max_length=140, blank=True)
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField(verbose_name="counterparty IBAN", max_length=64, blank=True)
    description = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=LineStatus.choices, default=LineStatus.UNMATCHED)

    class Meta:
        ordering = ["statement", "position"]
        indexes = [
            # The open lines of an account (what the matcher and the break detection read); a
            # matched line leaves the index, so matching writes fewer index entries.
            models.Index(fields=["external_account", "value_date"], condition=~Q(status="matched"),
                         name="rec_line_open"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["statement", "position"], name="rec_line_position_unique"),
            models.CheckConstraint(condition=Q(status__in=LineStatus.values), name="rec_line_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Line {self.statement_id}#{self.position} {format_money(self.amount, self.currency)}"


class MatchRule(models.TextChoices):
    REFERENCE = "reference", "Exact reference"
    AMOUNT_DATE = "amount_date", "Amount and date window"
    SUM = "sum", "One-to-many / many-to-one sum"
    MANUAL = "manual", "Manual"


class MatchState(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    MATCHED = "matched", "Matched"
    UNMATCHED = "unmatched", "Unmatched (kept for audit)"


class Match(models.Model):
    external_account = models.ForeignKey(ExternalAccount, on_delete=models.PROTECT, related_name="matches")
    rule = models.CharField(max_length=12, choices=MatchRule.choices)
    state = models.CharField(max_length=12, choices=MatchState.choices)
    # No index on the user columns: the matcher writes 100,000s of rows; who matched is read per match.
    matched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", help_text="None: the automatic matcher", db_index=False)
    matched_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    unmatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", db_index=False)
    unmatched_at = models.DateTimeField(null=True, blank=True)
    unmatch_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "matches"
        permissions = [("match_manually", "Can match and unmatch statement lines by hand")]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=MatchState.values), name="rec_match_state_valid"),
            models.CheckConstraint(condition=Q(rule__in=MatchRule.values), name="rec_match_rule_valid"),
            models.CheckConstraint(
                condition=(Q(state=MatchState.UNMATCHED) & Q(unmatched_at__isnull=False))
                | (~Q(state=MatchState.UNMATCHED) & Q(unmatched_at__isnull=True)),
                name="rec_match_unmatched_has_time"),
            models.CheckConstraint(condition=~Q(rule=MatchRule.MANUAL) | Q(matched_by__isnull=False),
                                   name="rec_match_manual_has_user"),
        ]

    def __str__(self) -> str:
        return f"Match {self.pk} ({self.rule}, {self.state})"


class MatchLine(models.Model):
    # (match, line) is unique: that index serves look-ups by match, so no separate one.
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="line_links", db_index=False)
    line = models.ForeignKey(StatementLine, on_delete=models.PROTECT, related_name="match_links", db_index=False)
    state = models.CharField(max_length=12, choices=MatchState.choices)

    class Meta:
        # Active links are found through the partial unique index; the others through this one.
        indexes = [models.Index(fields=["line"], condition=~Q(state="matched"), name="rec_matchline_inactive")]
        constraints = [
            models.UniqueConstraint(fields=["line"], condition=Q(state="matched"), name="rec_matchline_one_active"),
            models.UniqueConstraint(fields=["match", "line"], name="rec_matchline_pair"),
        ]

    def __str__(self) -> str:
        return f"match {self.match_id} line {self.line_id} ({self.state})"


class MatchPosting(models.Model):
    match = models.ForeignKey(Match, on_delete=models.PROTECT, related_name="posting_links", db_index=False)
    posting = models.ForeignKey("ledger.Posting", on_delete=models.PROTECT, related_name="+", db_index=False)
    state = models.CharField(max_length=12, choices=MatchState.choices)

    class Meta:
        indexes = [models.Index(fields=["posting"], condition=~Q(state="matched"), name="rec_matchposting_inactive")]
        constraints = [
            models.UniqueConstraint(fields=["posting"], condition=Q(state="matched"),
                                    name="rec_matchposting_one_active"),
            models.UniqueConstraint(fields=["match", "posting"], name="rec_matchposting_pair"),
        ]

    def __str__(self) -> str:
        return f"match {self.match_id} posting {self.posting_id} ({self.state})"


class Break(FSMModelMixin, models.Model):
    """An unmatched statement line or ledger posting older than the tolerated age."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        RESOLVED = "resolved", "Resolved"
        WRITTEN_OFF = "written_off", "Written off"

    class RootCause(models.TextChoices):
        UNKNOWN = "", "Not yet known"
        TIMING = "timing", "Timing difference"
        BANK_FEE = "bank_fee", "Bank fee / charge"
        MISSING_BOOKING = "missing_booking", "Missing booking in the ledger"
        DUPLICATE = "duplicate", "Duplicate"
        AMOUNT_DIFFERENCE = "amount_difference", "Amount difference"
        BANK_ERROR = "bank_error", "Bank error"
        OTHER = "other", "Other"

    external_account = models.ForeignKey(ExternalAccount, on_delete=models.PROTECT, related_name="breaks")
    line = models.OneToOneField(StatementLine, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="break_item")
    posting = models.OneToOneField("ledger.Posting", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    amount = models.DecimalField(**AMOUNT)
    item_date = models.DateField(help_text="Value date of the line or posting (the age counts from it)")
    status = FSMField(default=Status.OPEN, choices=Status.choices, protected=True, db_index=True)
    root_cause = models.CharField(max_length=20, choices=RootCause.choices, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    note = models.TextField(blank=True)
    approval_request_id = models.BigIntegerField(null=True, blank=True,
                                                 help_text="The maker-checker request of the adjustment")
    adjustment_entry_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item_date", "id"]
        permissions = [("resolve_break", "Can write off a break or resolve it by adjustment")]
        constraints = [
            models.CheckConstraint(condition=(Q(line__isnull=True) & Q(posting__isnull=False))
                                   | (Q(line__isnull=False) & Q(posting__isnull=True)),
                                   name="rec_break_line_xor_posting"),
        ]

    def __str__(self) -> str:
        return (f"Break {self.pk}: {format_money(self.amount, self.external_account.currency_id)} "
                f"({self.get_status_display().lower()})")

    @transition(field=status, source=Status.OPEN, target=Status.INVESTIGATING)
    def investigate(self) -> None:
        pass

    @transition(field=status, source=[Status.OPEN, Status.INVESTIGATING], target=Status.RESOLVED)
    def resolve(self, *, at) -> None:
        self.resolved_at = at

    @transition(field=status, source=[Status.OPEN, Status.INVESTIGATING], target=Status.WRITTEN_OFF)
    def write_off(self, *, at) -> None:
        self.resolved_at = at


class BreakHistory(StatusHistory):
    brk = models.ForeignKey(Break, on_delete=models.PROTECT, related_name="history")

    class Meta(StatusHistory.Meta):
        verbose_name_plural = "break history"


class SafeguardingCheck(models.Model):
    class Outcome(models.TextChoices):
        OK = "ok", "Covered"
        SHORTFALL = "shortfall", "Shortfall"
        EXCESS = "excess", "Excess"

    date = models.DateField()
    currency = models.ForeignKey("ledger.Currency", on_delete=models.PROTECT, related_name="+")
    client_money = models.DecimalField(**AMOUNT, help_text="Owed to customers: sum of customer account balances")
    safeguarded = models.DecimalField(**AMOUNT, help_text="Latest closing balances of the safeguarding accounts")
    difference = models.DecimalField(**AMOUNT, help_text="safeguarded - client money")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["date", "currency"], name="rec_safeguarding_date_currency"),
            models.CheckConstraint(condition=Q(difference=F("safeguarded") - F("client_money")),
                                   name="rec_safeguarding_difference"),
        ]

    def __str__(self) -> str:
        return f"Safeguarding {self.date} {self.currency_id}: {self.outcome}"
