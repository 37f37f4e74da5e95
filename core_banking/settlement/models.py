"""Settlement of external payments: batches per rail, currency and cut-off, the ISO 20022 files
that go out (pain.001) and come back (pain.002 status reports, camt.054 notifications), and the
suspense work queue of incoming credits the bank could not apply.

* ``Batch``: the outgoing payments of one rail (SEPA credit transfer) and currency that leave at
  one cut-off of the bank calendar. A state machine (django-fsm-2, protected field, history in
  ``BatchStatusChange``): ``open`` (collecting) -> ``closed`` (its pain.001 written and stored)
  -> ``sent`` (handed to the scheme; its payments are ``sent``) -> ``completed`` (every item has
  its answer); ``open``/``closed`` -> ``cancelled`` (maker-checker; its payments queue again).
* ``BatchItem``: one instruction of a batch: an outgoing payment, or the return of an incoming
  credit from suspense to its sender. It snapshots what the file says (amount, creditor, ids) and
  carries its answer (``accepted`` / ``rejected`` with the scheme's reason code). A payment is in
  at most one live item (a partial unique index); a cancelled batch's items are ``released``.
* ``SettlementFile``: the bytes of every file, out and in, with its sha256 (unique: importing the
  same file twice changes nothing). Immutable: a file is never edited or deleted (only the
  import's summary is written after the insert).
* ``SuspenseItem``: an incoming credit whose beneficiary is unknown, closed or cannot take it,
  parked on the suspense booking account until staff book it to the right account or return it
  to the sender (both maker-checker). History in ``SuspenseStatusChange``.

Each rule is enforced twice: by the services, and by PostgreSQL (check constraints, partial
unique indexes, triggers on status transitions and on items of closed batches), each proved by a
raw-SQL test (``tests/core_banking/settlement/test_database_invariants.py``).
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import FSMField, FSMModelMixin, transition

from core_banking.common.history import StatusHistory, append_only_triggers
from core_banking.common.money_display import format_money
from core_banking.ledger.models import AMOUNT, Currency, JournalEntry
from core_banking.payments.models import Payment


class Rail(models.TextChoices):
    SEPA_CT = "sepa_ct", "SEPA credit transfer"


#: The currencies each rail carries.
RAIL_CURRENCIES = {Rail.SEPA_CT: ("EUR",)}

# Allowed (from, to) pairs of a batch's status, the same table the FSM transitions below follow.
BATCH_TRANSITIONS = {("open", "closed"), ("open", "cancelled"), ("closed", "sent"), ("closed", "cancelled"),
                     ("sent", "completed")}
_BATCH_TRANSITIONS_SQL = " OR ".join(f"(OLD.status = '{a}' AND NEW.status = '{b}')"
                                     for a, b in sorted(BATCH_TRANSITIONS))


class Batch(FSMModelMixin, models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open (collecting)"
        CLOSED = "closed", "Closed (file written)"
        SENT = "sent", "Sent"
        COMPLETED = "completed", "Completed (all answered)"
        CANCELLED = "cancelled", "Cancelled"

    rail = models.CharField(max_length=16, choices=Rail.choices, default=Rail.SEPA_CT)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField(help_text="The business date whose cut-off closes the batch.")
    cutoff_at = models.DateTimeField(help_text="When the batch closes (the business date's cut-off).")
    status = FSMField(default=Status.OPEN, choices=Status.choices, protected=True, db_index=True)
    message_id = models.CharField(verbose_name="message ID", max_length=35, blank=True,
                                  help_text="The pain.001 group header's MsgId, set when the batch closes.")
    item_count = models.PositiveIntegerField(default=0)
    total_amount = models.DecimalField(**AMOUNT, default=0)
    status_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-cutoff_at", "-id"]
        verbose_name, verbose_name_plural = "settlement batch", "settlement batches"
        permissions = [
            ("close_batch", "Can close due settlement batches now"),
            ("cancel_batch", "Can ask to cancel a settlement batch before it is sent"),
            ("import_settlementfile", "Can import settlement status reports and notifications"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "closed", "sent", "completed", "cancelled"]),
                                   name="settlement_batch_status_valid"),
            models.CheckConstraint(condition=Q(rail__in=["sepa_ct"]), name="settlement_batch_rail_valid"),
            # One live batch per rail, currency and cut-off (a cancelled one gives way to a new one).
            models.UniqueConstraint(fields=["rail", "currency", "cutoff_at"], condition=~Q(status="cancelled"),
                                    name="settlement_batch_one_per_cutoff"),
            models.UniqueConstraint(fields=["message_id"], condition=~Q(message_id=""),
                                    name="settlement_batch_message_id_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "cancelled"]) | (Q(closed_at__isnull=False) & ~Q(message_id="")),
                name="settlement_batch_closed_has_file_id"),
            models.CheckConstraint(condition=~Q(status__in=["sent", "completed"]) | Q(sent_at__isnull=False),
                                   name="settlement_batch_sent_has_time"),
        ]
        indexes = [models.Index(fields=["status", "cutoff_at"], name="settlement_batch_due")]
        triggers = [
            pgtrigger.Protect(name="batch_not_deleted", operation=pgtrigger.Delete),
            # The status moves only along the table; what a closed batch's file says never changes.
            pgtrigger.Trigger(
                name="batch_transition_allowed", when=pgtrigger.Before, operation=pgtrigger.Update,
                func=f"""
                    IF NEW.status <> OLD.status AND NOT ({_BATCH_TRANSITIONS_SQL}) THEN
                        RAISE EXCEPTION 'settlement batch % cannot go from % to %', OLD.id, OLD.status, NEW.status
                            USING ERRCODE = 'check_violation';
                    END IF;
                    IF OLD.status <> 'open' AND (NEW.message_id <> OLD.message_id OR NEW.rail <> OLD.rail
                            OR NEW.currency_id <> OLD.currency_id OR NEW.cutoff_at <> OLD.cutoff_at
                            OR NEW.item_count <> OLD.item_count OR NEW.total_amount <> OLD.total_amount) THEN
                        RAISE EXCEPTION 'settlement batch % is closed: its contents cannot change', OLD.id
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return (f"{self.get_rail_display()} {self.currency_id} {self.business_date.isoformat()} "
                f"#{self.pk} ({self.get_status_display()})")

    @transition(field=status, source=Status.OPEN, target=Status.CLOSED)
    def close(self, *, message_id: str, item_count: int, total_amount, at) -> None:
        self.message_id, self.item_count, self.total_amount, self.closed_at = message_id, item_count, total_amount, at

    @transition(field=status, source=Status.CLOSED, target=Status.SENT)
    def send(self, *, at) -> None:
        self.sent_at = at

    @transition(field=status, source=Status.SENT, target=Status.COMPLETED)
    def complete(self, *, at) -> None:
        self.finished_at = at

    @transition(field=status, source=[Status.OPEN, Status.CLOSED], target=Status.CANCELLED)
    def cancel(self, *, reason: str, at) -> None:
        self.status_reason, self.finished_at = reason, at


class BatchStatusChange(StatusHistory):
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="history")

    class Meta(StatusHistory.Meta):
        verbose_name, verbose_name_plural = "settlement batch status change", "settlement batch status changes"
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"Batch {self.batch_id}: {self.from_status or '-'} → {self.to_status}"


class SettlementFile(models.Model):
    """A file exchanged with the scheme, stored as it was written or received. Append-only."""

    class Kind(models.TextChoices):
        PAIN001 = "pain.001", "Payment initiation (pain.001)"
        PAIN002 = "pain.002", "Payment status report (pain.002)"
        CAMT054 = "camt.054", "Debit/credit notification (camt.054)"

    class Direction(models.TextChoices):
        OUT = "out", "Sent"
        IN = "in", "Received"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="files")
    name = models.CharField(max_length=200)
    message_id = models.CharField(verbose_name="message ID", max_length=35, blank=True)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(verbose_name="SHA-256", max_length=64, unique=True)
    summary = models.JSONField(default=dict, blank=True, help_text="What the import did, or what the file holds.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name, verbose_name_plural = "settlement file", "settlement files"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["pain.001", "pain.002", "camt.054"]),
                                   name="settlement_file_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind="pain.001") & Q(direction="out") & Q(batch__isnull=False))
                | (Q(kind__in=["pain.002", "camt.054"]) & Q(direction="in")),
                name="settlement_file_kind_direction"),
            models.CheckConstraint(condition=Q(size__gt=0), name="settlement_file_not_empty"),
            # A batch has one pain.001.
            models.UniqueConstraint(fields=["batch"], condition=Q(kind="pain.001"),
                                    name="settlement_file_one_pain001_per_batch"),
        ]
        # The stored file never changes and is never deleted; only the import's ``summary``
        # (what it did, written once the import has run) may be set after the insert.
        triggers = [
            pgtrigger.Protect(name="file_not_deleted", operation=pgtrigger.Delete),
            pgtrigger.Trigger(
                name="file_immutable", when=pgtrigger.Before, operation=pgtrigger.Update,
                func="""
                    IF NEW.content IS DISTINCT FROM OLD.content OR NEW.sha256 <> OLD.sha256
                            OR NEW.size <> OLD.size OR NEW.kind <> OLD.kind OR NEW.direction <> OLD.direction
                            OR NEW.name <> OLD.name OR NEW.message_id <> OLD.message_id
                            OR NEW.batch_id IS DISTINCT FROM OLD.batch_id OR NEW.created_at <> OLD.created_at THEN
                        RAISE EXCEPTION 'settlement file % is stored as received: it cannot be changed', OLD.id
                            USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


class SuspenseItem(FSMModelMixin, models.Model):
    """An incoming credit the bank could not apply, parked on the suspense account."""

    class Status(models.TextChoices):
        OPEN = "open", "Open (to identify)"
        BOOKED = "booked", "Booked to an account"
        RETURNING = "returning", "Being returned to the sender"
        RETURNED = "returned", "Returned to the sender"

    file = models.ForeignKey(SettlementFile, on_delete=models.PROTECT, related_name="suspense_items")
    status = FSMField(default=Status.OPEN, choices=Status.choices, protected=True, db_index=True)
    reason_code = models.CharField(max_length=40, help_text="Why it was not applied (unknown_account, ...).")
    reason = models.CharField(max_length=500, blank=True)
    amount = models.DecimalField(**AMOUNT)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    creditor_iban = models.CharField(verbose_name="beneficiary IBAN (as received)", max_length=34, blank=True)
    creditor_name = models.CharField(verbose_name="beneficiary name (as received)", max_length=140, blank=True)
    debtor_iban = models.CharField(verbose_name="sender IBAN", max_length=34, blank=True)
    debtor_name = models.CharField(verbose_name="sender name", max_length=140, blank=True)
    debtor_bic = models.CharField(verbose_name="sender's bank BIC", max_length=11, blank=True)
    end_to_end_id = models.CharField(verbose_name="end-to-end ID", max_length=64, blank=True)
    remittance_info = models.CharField(max_length=140, blank=True)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+",
                                 help_text="Settlement to suspense, when the credit arrived.")
    release_entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+", help_text="Suspense to settlement, when it left suspense.")
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   help_text="The incoming payment that booked it to the right account.")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name, verbose_name_plural = "suspense item", "suspense items"
        permissions = [("resolve_suspenseitem", "Can ask to book or return an incoming credit held in suspense")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="suspense_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=["open", "booked", "returning", "returned"]),
                                   name="suspense_status_valid"),
            models.CheckConstraint(condition=~Q(status="booked") | (Q(payment__isnull=False)
                                                                    & Q(release_entry__isnull=False)),
                                   name="suspense_booked_has_payment"),
            models.CheckConstraint(condition=~Q(status__in=["returning", "returned"]) | Q(release_entry__isnull=False),
                                   name="suspense_returned_has_entry"),
            models.CheckConstraint(condition=~Q(status="open") | Q(payment__isnull=True),
                                   name="suspense_open_has_no_payment"),
        ]
        triggers = [pgtrigger.Protect(name="suspense_not_deleted", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"Suspense {self.pk}: {format_money(self.amount, self.currency_id)} from {self.debtor_name or '?'}"

    @transition(field=status, source=Status.OPEN, target=Status.BOOKED)
    def book(self, *, payment: Payment, release_entry: JournalEntry, at) -> None:
        self.payment, self.release_entry, self.resolved_at = payment, release_entry, at

    @transition(field=status, source=Status.OPEN, target=Status.RETURNING)
    def start_return(self, *, release_entry: JournalEntry) -> None:
        self.release_entry = release_entry

    @transition(field=status, source=Status.RETURNING, target=Status.RETURNED)
    def returned(self, *, at) -> None:
        self.resolved_at = at

    @transition(field=status, source=Status.RETURNING, target=Status.OPEN)
    def reopen(self) -> None:
        """The return was rejected by the scheme: the money is back in suspense."""
        self.release_entry = None


class SuspenseStatusChange(StatusHistory):
    item = models.ForeignKey(SuspenseItem, on_delete=models.PROTECT, related_name="history")

    class Meta(StatusHistory.Meta):
        verbose_name, verbose_name_plural = "suspense item status change", "suspense item status changes"
        triggers = append_only_triggers()


class BatchItem(models.Model):
    """One credit transfer instruction of a batch, as the file states it, and its answer."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        RELEASED = "released", "Released (batch cancelled or payment returned before sending)"

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="items")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="settlement_items")
    suspense = models.ForeignKey(SuspenseItem, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="return_items")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    amount = models.DecimalField(**AMOUNT)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    instruction_id = models.CharField(verbose_name="instruction ID", max_length=35)
    end_to_end_id = models.CharField(verbose_name="end-to-end ID", max_length=35)
    creditor_iban = models.CharField(verbose_name="creditor IBAN", max_length=34)
    creditor_name = models.CharField(max_length=140)
    creditor_bic = models.CharField(verbose_name="creditor BIC", max_length=11, blank=True)
    remittance_info = models.CharField(max_length=140, blank=True)
    reason_code = models.CharField(max_length=8, blank=True, help_text="The scheme's reason code of a rejection.")
    reason = models.CharField(max_length=500, blank=True)
    response_file = models.ForeignKey(SettlementFile, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="answered_items")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["batch", "id"]
        verbose_name, verbose_name_plural = "batch item", "batch items"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="settlement_item_amount_positive"),
            models.CheckConstraint(condition=Q(state__in=["queued", "sent", "accepted", "rejected", "released"]),
                                   name="settlement_item_state_valid"),
            models.CheckConstraint(condition=(Q(payment__isnull=False) & Q(suspense__isnull=True))
                                   | (Q(payment__isnull=True) & Q(suspense__isnull=False)),
                                   name="settlement_item_one_source"),
            # A payment (or a suspense return) is in at most one live batch item.
            models.UniqueConstraint(fields=["payment"], condition=~Q(state="released"),
                                    name="settlement_item_payment_once"),
            models.UniqueConstraint(fields=["suspense"], condition=~Q(state="released"),
                                    name="settlement_item_suspense_once"),
            models.UniqueConstraint(fields=["batch", "instruction_id"], name="settlement_item_instruction_unique"),
        ]
        triggers = [
            pgtrigger.Protect(name="item_not_deleted", operation=pgtrigger.Delete),
            # Items are added only to an open batch, and an item's instruction never changes.
            pgtrigger.Trigger(
                name="item_into_open_batch", when=pgtrigger.Before, operation=pgtrigger.Insert,
                func="""
                    IF (SELECT status FROM settlement_batch WHERE id = NEW.batch_id) <> 'open' THEN
                        RAISE EXCEPTION 'settlement batch % is not open: no item can be added', NEW.batch_id
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
            pgtrigger.Trigger(
                name="item_instruction_fixed", when=pgtrigger.Before, operation=pgtrigger.Update,
                func="""
                    IF NEW.batch_id <> OLD.batch_id OR NEW.amount <> OLD.amount
                            OR NEW.currency_id <> OLD.currency_id OR NEW.instruction_id <> OLD.instruction_id
                            OR NEW.end_to_end_id <> OLD.end_to_end_id OR NEW.creditor_iban <> OLD.creditor_iban
                            OR NEW.payment_id IS DISTINCT FROM OLD.payment_id
                            OR NEW.suspense_id IS DISTINCT FROM OLD.suspense_id THEN
                        RAISE EXCEPTION 'batch item % is an instruction: it cannot be changed', OLD.id
                            USING ERRCODE = 'check_violation';
                    END IF;
                    IF NEW.state <> OLD.state AND NOT (
                            (OLD.state = 'queued' AND NEW.state IN ('sent', 'released'))
                            OR (OLD.state = 'sent' AND NEW.state IN ('accepted', 'rejected'))) THEN
                        RAISE EXCEPTION 'batch item % cannot go from % to %', OLD.id, OLD.state, NEW.state
                            USING ERRCODE = 'check_violation';
                    END IF;
                    RETURN NEW;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instruction_id} {format_money(self.amount, self.currency_id)} to {self.creditor_name}"
