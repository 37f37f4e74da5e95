"""Settlement writes: queueing outgoing payments into batches, closing a batch at its cut-off
(the pain.001), sending it, cancelling it, importing the answers (pain.002, camt.054) and the
incoming credits, and resolving the suspense queue.

Lock order, everywhere: the batch row, then its payments (by id), then the accounts. A batch is
closed under its row lock, so two workers closing it write one file: the second waits, then
finds it closed and does nothing. Imports are one transaction each; the file's sha256 is unique,
so the same file imported twice (or by two workers at once) changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django_fsm import can_proceed

from core_banking.accounts.models import Account
from core_banking.audit.services import audit_record
from core_banking.common.actors import user_or_none
from core_banking.common.errors import DomainError, PermissionRefused
from core_banking.common.history import record_transition
from core_banking.common.maker_checker import Deferred, guarded, passes
from core_banking.common.money import quantize
from core_banking.eod.calendar import cutoff_at, is_business_day, next_business_day
from core_banking.ledger import services as ledger
from core_banking.ledger.engine import Leg
from core_banking.ledger.selectors import currencies as known_currencies
from core_banking.payments import selectors as payment_selectors
from core_banking.payments import services as payments
from core_banking.payments.exceptions import NoBookingAccount
from core_banking.payments.models import BookingAccount, Channel, Payment
from core_banking.payments.services.booking import history as payment_history

from . import exceptions as exc
from . import pain001, parsers, transitions
from .events import batch_event, file_event, suspense_event
from .models import (
    RAIL_CURRENCIES,
    Batch,
    BatchItem,
    BatchStatusChange,
    Rail,
    SettlementFile,
    SuspenseItem,
    SuspenseStatusChange,
)

logger = logging.getLogger(__name__)

LIVE = ~Q(state=BatchItem.State.RELEASED)


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionRefused(f"you need the {permission} permission")


def _require_maker(actor, permission: str, action_type: str) -> None:
    """The person who asks needs ``permission``; an approved request's execution does not (its
    checker's authority is the approval policy's checker roles)."""
    if not passes(action_type):
        _require(actor, permission)


# --- the calendar -------------------------------------------------------------------------


def next_cutoff(at: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The business date and cut-off instant of the first cut-off after ``at``: today's, if today
    is a business date and its cut-off is still ahead, else the next business date's."""
    day = timezone.localtime(at).date()
    if is_business_day(day) and at < cutoff_at(day):
        return day, cutoff_at(day)
    day = next_business_day(day)
    return day, cutoff_at(day)


# --- history ------------------------------------------------------------------------------


def _batch_history(batch: Batch, before: str, actor, reason: str = "") -> None:
    record_transition(BatchStatusChange, batch, from_status=before, reason=reason[:500], actor=user_or_none(actor))
    batch_event(batch, before, reason)


def _suspense_history(item: SuspenseItem, before: str, actor, reason: str = "") -> None:
    record_transition(SuspenseStatusChange, item, from_status=before, reason=reason[:500], actor=user_or_none(actor))
    suspense_event(item, before, reason)


# --- queueing -----------------------------------------------------------------------------


def _open_batch(rail: str, currency: str, business_date: dt.date, cutoff: dt.datetime) -> Batch:
    """The live batch of this cut-off, locked (created open when there is none)."""
    for _attempt in range(3):
        batch = (Batch.objects.select_for_update().filter(rail=rail, currency_id=currency, cutoff_at=cutoff)
                 .exclude(status=Batch.Status.CANCELLED).first())
        if batch is not None:
            return batch
        try:
            with transaction.atomic():
                batch = Batch.objects.create(rail=rail, currency_id=currency, business_date=business_date,
                                             cutoff_at=cutoff)
                record_transition(BatchStatusChange, batch, from_status="", reason="opened")
            return Batch.objects.select_for_update().get(pk=batch.pk)
        except IntegrityError:  # another worker opened it first: take theirs
            continue
    raise RuntimeError(f"could not open a {rail} {currency} batch for {cutoff}")


def _target_batch(rail: str, currency: str, posted_at: dt.datetime, now: dt.datetime) -> Batch:
    """The open batch an instruction goes in: the one of the first cut-off after it was made;
    if that batch is already closed (the instruction committed a moment after the cut-off),
    the one of the next cut-off after now."""
    business_date, cutoff = next_cutoff(posted_at)
    batch = _open_batch(rail, currency, business_date, cutoff)
    if batch.status != Batch.Status.OPEN:
        business_date, cutoff = next_cutoff(max(now, cutoff))
        batch = _open_batch(rail, currency, business_date, cutoff)
    return batch


def _payment_item(batch: Batch, payment: Payment) -> BatchItem:
    return BatchItem(batch=batch, payment=payment, amount=payment.amount, currency_id=payment.currency_id,
                     instruction_id=payment.reference, end_to_end_id=(payment.end_to_end_id or payment.reference)[:35],
                     creditor_iban=payment.counterparty_iban, creditor_name=payment.counterparty_name[:140],
                     creditor_bic=payment.counterparty_bic, remittance_info=payment.remittance_info[:140])


def _return_item(batch: Batch, item: SuspenseItem) -> BatchItem:
    return BatchItem(batch=batch, suspense=item, amount=item.amount, currency_id=item.currency_id,
                     instruction_id=f"RET{item.pk}", end_to_end_id=(item.end_to_end_id or f"RET{item.pk}")[:35],
                     creditor_iban=item.debtor_iban, creditor_name=(item.debtor_name or "Unknown")[:140],
                     creditor_bic=item.debtor_bic, remittance_info=f"Return {item.end_to_end_id}".strip()[:140])


def _queue_lock(rail: str, currency: str) -> None:
    """Serialize queueing per rail and currency (a transaction-level advisory lock): a second
    worker waits, then finds the payments already queued and opens no batch of its own."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"settlement-queue:{rail}:{currency}"])


def batches_enqueue(*, now: dt.datetime | None = None) -> int:
    """Put every posted outgoing payment (and every suspense return) that is in no live batch
    into the open batch of its cut-off. Safe to run concurrently and repeatedly: queueing is
    serialized per rail and currency, and a payment is in at most one live item (a partial unique
    index)."""
    now = now or timezone.now()
    queued = 0
    for rail, currencies in RAIL_CURRENCIES.items():
        for currency in currencies:
            with transaction.atomic():
                _queue_lock(rail, currency)
                live = BatchItem.objects.filter(LIVE, payment=OuterRef("pk"))
                waiting = (Payment.objects.filter(kind=Payment.Kind.OUTGOING, status=Payment.Status.POSTED,
                                                  currency_id=currency).exclude(Exists(live))
                           .order_by("posted_at", "pk"))
                groups: dict[tuple[dt.date, dt.datetime], list[Payment]] = defaultdict(list)
                for payment in waiting:
                    groups[next_cutoff(payment.posted_at or payment.created_at)].append(payment)
                for (_date, cutoff), group in groups.items():
                    batch = _target_batch(rail, currency, cutoff - dt.timedelta(microseconds=1), now)
                    BatchItem.objects.bulk_create([_payment_item(batch, p) for p in group], ignore_conflicts=True)
                    queued += len(group)
                live_return = BatchItem.objects.filter(LIVE, suspense=OuterRef("pk"))
                returns = list(SuspenseItem.objects.filter(status=SuspenseItem.Status.RETURNING, currency_id=currency)
                               .exclude(Exists(live_return)))
                if returns:
                    batch = _target_batch(rail, currency, now, now)
                    BatchItem.objects.bulk_create([_return_item(batch, r) for r in returns], ignore_conflicts=True)
                    queued += len(returns)
    return queued


# --- close, send, cancel ------------------------------------------------------------------


def _locked_batch(batch_id: int) -> Batch:
    batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise exc.BatchNotFound(f"settlement batch {batch_id} does not exist")
    return batch


def _message_id(batch: Batch) -> str:
    return f"{settings.BANK_CODE}-{batch.rail.upper()}-{batch.business_date:%Y%m%d}-{batch.pk}"[:35]


@transaction.atomic
def batch_close(*, batch_id: int, actor=None, now: dt.datetime | None = None) -> Batch:
    """Close an open batch whose cut-off has passed: write its pain.001 (validated against the
    schema) and store it. Items whose payment is no longer posted (returned meanwhile) are
    released. A batch that is not open is returned as it is (a second worker does nothing)."""
    _require(actor, transitions.CLOSE_BATCH.permission)
    now = now or timezone.now()
    batch = _locked_batch(batch_id)
    if batch.status != Batch.Status.OPEN:
        return batch
    if batch.cutoff_at > now:
        raise exc.BatchStateRefused(f"batch {batch.pk} closes at its cut-off, {batch.cutoff_at:%Y-%m-%d %H:%M}")
    items = list(batch.items.filter(state=BatchItem.State.QUEUED).order_by("pk"))
    statuses = dict(Payment.objects.select_for_update().filter(pk__in=[i.payment_id for i in items if i.payment_id])
                    .order_by("pk").values_list("pk", "status"))
    keep, stale = [], []
    for item in items:
        if item.payment_id and statuses.get(item.payment_id) != Payment.Status.POSTED:
            item.state, item.reason = BatchItem.State.RELEASED, f"payment is {statuses.get(item.payment_id)}"
            stale.append(item)
        else:
            keep.append(item)
    for item in stale:
        item.save(update_fields=["state", "reason", "updated_at"])
    before = batch.status
    if not keep:
        batch.cancel(reason=transitions.CANCEL_BATCH.default_reason, at=now)
        batch.save()
        _batch_history(batch, before, actor, transitions.CANCEL_BATCH.default_reason)
        return batch
    message_id = _message_id(batch)
    # (in the currency's exponent: the stored amounts carry the columns' 18 places)
    total = quantize(sum((i.amount for i in keep), Decimal(0)), known_currencies()[batch.currency_id].exponent)
    # Requested execution date: the batch's business date (today's, for a batch closed late).
    content = pain001.build(message_id=message_id, currency=batch.currency_id,
                            execution_date=max(batch.business_date, timezone.localdate(now)), items=keep)
    SettlementFile.objects.create(
        kind=SettlementFile.Kind.PAIN001, direction=SettlementFile.Direction.OUT, batch=batch,
        name=f"{message_id}.pain001.xml", message_id=message_id, content=content, size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), created_by=user_or_none(actor),
        summary={"items": len(keep), "total": str(total), "currency": batch.currency_id, "schema": pain001.SCHEMA})
    batch.close(message_id=message_id, item_count=len(keep), total_amount=total, at=now)
    batch.save()
    batch.changed_now = True
    _batch_history(batch, before, actor, f"cut-off {timezone.localtime(batch.cutoff_at):%Y-%m-%d %H:%M}")
    audit_record(action=transitions.CLOSE_BATCH.audit_action, obj=batch, actor=actor,
                 after={"message_id": message_id, "items": len(keep), "total": str(total)})
    return batch


@transaction.atomic
def batch_send(*, batch_id: int, actor=None, now: dt.datetime | None = None) -> Batch:
    """Hand a closed batch's file to the scheme: its items and payments become ``sent``. Refused
    (``settlement_batch_not_sendable``) when a payment changed after the file was written: the
    file would pay money the bank no longer owes; cancel the batch instead."""
    now = now or timezone.now()
    batch = _locked_batch(batch_id)
    if batch.status != Batch.Status.CLOSED:
        return batch
    items = list(batch.items.filter(state=BatchItem.State.QUEUED).order_by("pk"))
    locked = {p.pk: p for p in Payment.objects.select_for_update(of=("self",))
              .select_related("debtor_account__customer").filter(pk__in=[i.payment_id for i in items if i.payment_id])
              .order_by("pk")}
    changed = [p.reference for p in locked.values() if p.status != Payment.Status.POSTED]
    if changed:
        raise exc.BatchNotSendable(f"batch {batch.pk}: payment(s) {', '.join(changed)} changed after the file "
                                   "was written; cancel the batch")
    BatchItem.objects.filter(pk__in=[i.pk for i in items]).update(state=BatchItem.State.SENT, updated_at=now)
    for payment in locked.values():
        payment.mark_sent()
        payment.save(update_fields=["status", "updated_at"])
        payment_history(payment, Payment.Status.POSTED, actor, f"sent in {batch.message_id}")
    before = batch.status
    batch.send(at=now)
    batch.save()
    batch.changed_now = True
    _batch_history(batch, before, actor, transitions.SEND.default_reason)
    return batch


def batch_cancel(*, batch_id: int, actor=None, reason: str) -> Batch | Deferred:
    """Cancel a batch before it is sent (maker-checker ``settlement_batch_cancel``): its items are
    released and its payments go into the next batch to close; a written file stays stored."""
    spec = transitions.CANCEL_BATCH
    _require_maker(actor, spec.permission, spec.action_type)
    if not reason.strip():
        raise exc.BatchStateRefused(spec.reason_refusal)
    return guarded(spec.action_type, payload={"batch_id": batch_id, "reason": reason}, actor=actor,
                   reason=reason, execute=lambda: _batch_cancel(batch_id=batch_id, actor=actor, reason=reason))


@transaction.atomic
def _batch_cancel(*, batch_id: int, actor, reason: str) -> Batch:
    batch = _locked_batch(batch_id)
    before = batch.status
    if not can_proceed(batch.cancel):
        raise exc.BatchStateRefused(f"batch {batch.pk} is {batch.status}: {transitions.CANCEL_BATCH.refused}")
    batch.items.filter(state=BatchItem.State.QUEUED).update(state=BatchItem.State.RELEASED,
                                                            reason="batch cancelled", updated_at=timezone.now())
    batch.cancel(reason=reason, at=timezone.now())
    batch.save()
    _batch_history(batch, before, actor, reason)
    audit_record(action=transitions.CANCEL_BATCH.audit_action, obj=batch, actor=actor, after={"status": batch.status},
                 reason=reason)
    return batch


@dataclass
class CloseReport:
    queued: int = 0
    closed: int = 0
    sent: int = 0
    failed: int = 0


def close_due_batches(*, now: dt.datetime | None = None) -> CloseReport:
    """The beat task's work (``settlement.close_due_batches``): queue, close every open batch
    whose cut-off has passed, send every closed batch older than ``SETTLEMENT_SEND_DELAY``. Each
    batch in its own transaction; a failure is logged and the others go on."""
    now = now or timezone.now()
    report = CloseReport(queued=batches_enqueue(now=now))
    for batch_id in Batch.objects.filter(status=Batch.Status.OPEN, cutoff_at__lte=now).values_list("pk", flat=True):
        try:
            if getattr(batch_close(batch_id=batch_id, now=now), "changed_now", False):
                report.closed += 1
        except DomainError as error:
            report.failed += 1
            logger.error("settlement batch %s not closed: %s", batch_id, error)
    delay = dt.timedelta(seconds=getattr(settings, "SETTLEMENT_SEND_DELAY", 0))
    for batch_id in Batch.objects.filter(status=Batch.Status.CLOSED, closed_at__lte=now - delay) \
            .values_list("pk", flat=True):
        try:
            if getattr(batch_send(batch_id=batch_id, now=now), "changed_now", False):
                report.sent += 1
        except DomainError as error:
            report.failed += 1
            logger.error("settlement batch %s not sent: %s", batch_id, error)
    return report


# --- answers: pain.002 and camt.054 ---------------------------------------------------------


@dataclass
class ImportResult:
    file: SettlementFile
    created: bool


def settlement_file_import(*, data: bytes, name: str = "", actor=None) -> ImportResult:
    """Import a pain.002 status report or a camt.054 notification, in one transaction. The same
    bytes a second time (sha256) change nothing and return the first import's file."""
    _require(actor, "settlement.import_settlementfile")
    if not data:
        raise exc.SettlementFileInvalid("the file is empty")
    sha = hashlib.sha256(data).hexdigest()
    existing = SettlementFile.objects.filter(sha256=sha).first()
    if existing is not None:
        return ImportResult(existing, False)
    kind = parsers.kind_of(data)
    try:
        with transaction.atomic():
            settlement_file = SettlementFile(kind=kind, direction=SettlementFile.Direction.IN, name=name[:200] or sha,
                                             content=data, size=len(data), sha256=sha, created_by=user_or_none(actor))
            if kind == SettlementFile.Kind.PAIN002:
                summary = _import_pain002(settlement_file, parsers.parse_pain002(data))
            else:
                summary = _import_camt054(settlement_file, parsers.parse_camt054(data))
            file_event(settlement_file, summary)
            audit_record(action="settlement.file_imported", obj=settlement_file, actor=actor,
                         after={"kind": kind, "sha256": sha, **summary})
    except IntegrityError:
        existing = SettlementFile.objects.filter(sha256=sha).first()
        if existing is None:
            raise
        return ImportResult(existing, False)  # a concurrent import of the same file won
    return ImportResult(settlement_file, True)


def _save_file(settlement_file: SettlementFile, *, message_id: str, batch: Batch | None, summary: dict) -> None:
    settlement_file.message_id, settlement_file.batch, settlement_file.summary = message_id[:35], batch, summary
    settlement_file.save()


def _accept(item: BatchItem, settlement_file: SettlementFile, summary: dict) -> None:
    item.state, item.response_file = BatchItem.State.ACCEPTED, settlement_file
    item.save(update_fields=["state", "response_file", "updated_at"])
    if item.payment_id:
        payment = Payment.objects.select_for_update(of=("self",)).select_related(
            "debtor_account__customer").get(pk=item.payment_id)
        if payment.status == Payment.Status.SENT:
            payment.mark_settled(reason=f"accepted ({settlement_file.kind})")
            payment.save(update_fields=["status", "status_reason", "updated_at"])
            payment_history(payment, Payment.Status.SENT, None, f"accepted in {settlement_file.kind}")
            summary["settled"] += 1
    else:
        suspense = SuspenseItem.objects.select_for_update().get(pk=item.suspense_id)
        if suspense.status == SuspenseItem.Status.RETURNING:
            suspense.returned(at=timezone.now())
            suspense.save()
            _suspense_history(suspense, SuspenseItem.Status.RETURNING, None, transitions.RETURNED.default_reason)


def _reject(item: BatchItem, settlement_file: SettlementFile, code: str, text: str, summary: dict) -> None:
    reason = f"rejected by the scheme: {code or 'no reason code'}{' ' + text if text else ''}"
    item.state, item.reason_code, item.reason, item.response_file = BatchItem.State.REJECTED, code[:8], \
        reason[:500], settlement_file
    if item.payment_id:
        try:
            with transaction.atomic():
                payments.payment_return(payment_id=item.payment_id, reason=reason, settlement_rejection=True)
            summary["returned"] += 1
        except DomainError as error:  # e.g. the payer's account closed meanwhile: operations return it by hand
            item.reason = f"{reason}; not returned automatically: {error}"[:500]
            summary["return_failed"] = summary.get("return_failed", 0) + 1
    else:
        suspense = SuspenseItem.objects.select_for_update().get(pk=item.suspense_id)
        if suspense.status == SuspenseItem.Status.RETURNING:
            _post_suspense(suspense, back=True, key=f"settlement-suspense-back:{suspense.pk}:{item.pk}",
                           description=f"Return of suspense item {suspense.pk} rejected ({code})")
            suspense.reopen()
            suspense.save()
            _suspense_history(suspense, SuspenseItem.Status.RETURNING, None, reason)
    item.save(update_fields=["state", "reason_code", "reason", "response_file", "updated_at"])


def _finish_batches(batch_ids: set[int]) -> None:
    for batch in Batch.objects.select_for_update().filter(pk__in=batch_ids, status=Batch.Status.SENT).order_by("pk"):
        if not batch.items.filter(state__in=[BatchItem.State.QUEUED, BatchItem.State.SENT]).exists():
            batch.complete(at=timezone.now())
            batch.save()
            _batch_history(batch, Batch.Status.SENT, None, transitions.COMPLETE.default_reason)


def _import_pain002(settlement_file: SettlementFile, report: parsers.StatusReport) -> dict:
    batch = Batch.objects.select_for_update().filter(message_id=report.original_message_id).first()
    if batch is None:
        raise exc.SettlementFileUnmatched(f"no batch was sent with message id {report.original_message_id!r}")
    summary = {"settled": 0, "returned": 0, "credited": 0, "suspense": 0, "unmatched": []}
    _save_file(settlement_file, message_id=report.message_id, batch=batch, summary=summary)
    items = list(batch.items.filter(state=BatchItem.State.SENT).order_by("pk"))
    by_e2e: dict[str, list[BatchItem]] = defaultdict(list)
    for item in items:
        by_e2e[item.end_to_end_id].append(item)
    answered: set[int] = set()
    for tx in report.transactions:
        candidates = by_e2e.get(tx.end_to_end_id) or []
        if not candidates:
            summary["unmatched"].append(tx.end_to_end_id)
            continue
        item = candidates.pop(0)
        answered.add(item.pk)
        if tx.status in parsers.REJECTED:
            _reject(item, settlement_file, tx.reason_code, tx.reason, summary)
        elif tx.status in parsers.ACCEPTED:
            _accept(item, settlement_file, summary)
    group = report.group_status
    if group in parsers.REJECTED | parsers.ACCEPTED or group == "PART":
        for item in items:  # the group's status answers every transaction the report does not list
            if item.pk in answered:
                continue
            if group in parsers.REJECTED:
                _reject(item, settlement_file, "", "the whole file was rejected", summary)
            else:
                _accept(item, settlement_file, summary)
    _finish_batches({batch.pk})
    SettlementFile.objects.filter(pk=settlement_file.pk).update(summary=summary)
    return summary


def _import_camt054(settlement_file: SettlementFile, notification: parsers.Notification) -> dict:
    summary = {"settled": 0, "returned": 0, "credited": 0, "suspense": 0, "unmatched": []}
    _save_file(settlement_file, message_id=notification.message_id, batch=None, summary=summary)
    batches: set[int] = set()
    for n, movement in enumerate(notification.movements):
        if movement.direction == "DBIT":
            item = (BatchItem.objects.select_for_update().filter(
                state=BatchItem.State.SENT, end_to_end_id=movement.end_to_end_id, amount=movement.amount,
                currency_id=movement.currency).order_by("pk").first())
            if item is None:
                summary["unmatched"].append(movement.end_to_end_id)
                continue
            batches.add(item.batch_id)
            if movement.return_reason:
                _reject(item, settlement_file, movement.return_reason, "returned", summary)
            else:
                _accept(item, settlement_file, summary)
        elif movement.direction == "CRDT":
            _incoming_credit(settlement_file, movement, n, summary)
    _finish_batches(batches)
    SettlementFile.objects.filter(pk=settlement_file.pk).update(summary=summary)
    return summary


# --- incoming credits and suspense ----------------------------------------------------------


def _booking(purpose: str, currency: str) -> int:
    try:
        return payment_selectors.booking_account(purpose, currency).pk
    except NoBookingAccount as error:
        if purpose == BookingAccount.Purpose.SUSPENSE:
            raise exc.SuspenseAccountMissing(f"no suspense booking account in {currency}") from error
        raise


def _post_suspense(item: SuspenseItem, *, back: bool, key: str, description: str):
    """Money between settlement and suspense: in (``back``: settlement -> suspense) or out."""
    settlement = _booking(BookingAccount.Purpose.SETTLEMENT, item.currency_id)
    suspense = _booking(BookingAccount.Purpose.SUSPENSE, item.currency_id)
    debit, credit = (settlement, suspense) if back else (suspense, settlement)
    return ledger.entry_post(postings=[Leg(debit, item.amount, item.currency_id),
                                       Leg(credit, -item.amount, item.currency_id)],
                             idempotency_key=key, external_ref=item.end_to_end_id or f"suspense-{item.pk}",
                             description=description[:500], metadata={"settlement_suspense": key}).entry


def _incoming_credit(settlement_file: SettlementFile, movement: parsers.Movement, n: int, summary: dict) -> None:
    """Book one camt.054 credit to the beneficiary by IBAN through the payments service, or park it
    in suspense when the beneficiary is unknown, closed or cannot take it."""
    iban = movement.creditor_iban.replace(" ", "").upper()
    account = Account.objects.filter(iban=iban).first() if iban else None
    reason_code, reason = "", ""
    if account is None:
        reason_code, reason = "unknown_account", f"no account of ours has IBAN {iban or '(none)'}"
    elif account.status == Account.Status.CLOSED:
        reason_code, reason = "account_closed", f"account {iban} is closed"
    else:
        try:
            with transaction.atomic():
                payment, _ = payments.payment_create(
                    kind=Payment.Kind.INCOMING, amount=movement.amount, currency=movement.currency,
                    channel=Channel.FILE, creditor_account_id=account.pk, counterparty_iban=movement.debtor_iban,
                    counterparty_name=movement.debtor_name[:140], counterparty_bic=movement.debtor_bic[:11],
                    remittance_info=movement.remittance_info[:140], end_to_end_id=movement.end_to_end_id[:64],
                    idempotency_key=f"camt054:{movement.reference or settlement_file.sha256 + ':' + str(n)}")
            summary["credited"] += 1
            return
        except DomainError as error:
            reason_code, reason = error.code, str(error)
    item = SuspenseItem(file=settlement_file, reason_code=reason_code[:40], reason=reason[:500],
                        amount=movement.amount, currency_id=movement.currency, creditor_iban=iban[:34],
                        creditor_name=movement.creditor_name[:140], debtor_iban=movement.debtor_iban[:34],
                        debtor_name=movement.debtor_name[:140], debtor_bic=movement.debtor_bic[:11],
                        end_to_end_id=movement.end_to_end_id[:64], remittance_info=movement.remittance_info[:140])
    item.entry = _post_suspense(item, back=True, key=f"settlement-suspense:{settlement_file.sha256[:40]}:{n}",
                                description=f"Suspense: {reason}")
    item.save()
    _suspense_history(item, "", None, reason)
    summary["suspense"] += 1


def _locked_suspense(item_id: int, spec: transitions.SettlementTransition) -> SuspenseItem:
    item = SuspenseItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise exc.SuspenseStateRefused(f"suspense item {item_id} does not exist")
    if not can_proceed(getattr(item, spec.name)):
        raise exc.SuspenseStateRefused(f"suspense item {item.pk} is {item.status}, {spec.refused}")
    return item


def suspense_book(*, item_id: int, account_id: int, actor=None, reason: str) -> SuspenseItem | Deferred:
    """Book a credit held in suspense to the account staff identified (maker-checker
    ``settlement_suspense_book``): suspense back to settlement, then an incoming payment to the
    account through the payments service (fees per tariff), in one transaction."""
    _require_maker(actor, transitions.BOOK.permission, transitions.BOOK.action_type)
    return guarded(transitions.BOOK.action_type, payload={"item_id": item_id, "account_id": account_id,
                                                        "reason": reason},
                   actor=actor, reason=reason,
                   execute=lambda: _suspense_book(item_id=item_id, account_id=account_id, actor=actor, reason=reason))


@transaction.atomic
def _suspense_book(*, item_id: int, account_id: int, actor, reason: str) -> SuspenseItem:
    item = _locked_suspense(item_id, transitions.BOOK)
    release = _post_suspense(item, back=False, key=f"settlement-suspense-out:{item.pk}",
                             description=f"Suspense item {item.pk} booked to account {account_id}")
    payment, _ = payments.payment_create(
        kind=Payment.Kind.INCOMING, amount=item.amount, currency=item.currency_id, channel=Channel.STAFF,
        creditor_account_id=account_id, counterparty_iban=item.debtor_iban, counterparty_name=item.debtor_name,
        counterparty_bic=item.debtor_bic, remittance_info=item.remittance_info, end_to_end_id=item.end_to_end_id,
        idempotency_key=f"settlement-suspense:{item.pk}", actor=None)
    item.book(payment=payment, release_entry=release, at=timezone.now())
    item.save()
    _suspense_history(item, SuspenseItem.Status.OPEN, actor, reason or f"booked to account {account_id}")
    audit_record(action=transitions.BOOK.audit_action, obj=item, actor=actor,
                 after={"payment": payment.reference, "account_id": account_id}, reason=reason)
    return item


def suspense_return(*, item_id: int, actor=None, reason: str) -> SuspenseItem | Deferred:
    """Send a credit held in suspense back to its sender (maker-checker
    ``settlement_suspense_return``): suspense to settlement now, and a credit transfer to the
    sender's IBAN in the next batch."""
    _require_maker(actor, transitions.START_RETURN.permission, transitions.START_RETURN.action_type)
    return guarded(transitions.START_RETURN.action_type, payload={"item_id": item_id, "reason": reason}, actor=actor,
                   reason=reason, execute=lambda: _suspense_return(item_id=item_id, actor=actor, reason=reason))


@transaction.atomic
def _suspense_return(*, item_id: int, actor, reason: str) -> SuspenseItem:
    item = _locked_suspense(item_id, transitions.START_RETURN)
    if not item.debtor_iban:
        raise exc.SuspenseStateRefused(f"suspense item {item.pk} has no sender IBAN to return it to")
    n = item.history.count()
    release = _post_suspense(item, back=False, key=f"settlement-suspense-return:{item.pk}:{n}",
                             description=f"Suspense item {item.pk} returned to {item.debtor_iban}")
    item.start_return(release_entry=release)
    item.save()
    _suspense_history(item, SuspenseItem.Status.OPEN, actor, reason or transitions.START_RETURN.default_reason)
    _queue_lock(Rail.SEPA_CT, item.currency_id)
    batch = _target_batch(Rail.SEPA_CT, item.currency_id, timezone.now(), timezone.now())
    BatchItem.objects.bulk_create([_return_item(batch, item)])
    audit_record(action=transitions.START_RETURN.audit_action, obj=item, actor=actor, after={"batch": batch.pk},
                 reason=reason)
    return item


def batch_totals(batch: Batch) -> dict:
    """Counts and sums of a batch's items per state (admin and API)."""
    rows = batch.items.values("state").annotate(total=Sum("amount")).order_by("state")
    exponent = known_currencies()[batch.currency_id].exponent
    return {row["state"]: str(quantize(row["total"], exponent)) for row in rows}
