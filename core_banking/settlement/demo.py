"""Demo settlement for ``manage.py seed_demo`` (after the payments demo): a suspense account per
currency, and the demo's outgoing EUR payments settled in batches — one batch per business date,
closed at its cut-off with its pain.001 stored, and sent — while those of a business date whose
cut-off has not passed yet wait in its open batch.

The payments demo posts its whole history at seeding time; its outgoing payments are dated back
to noon of their business date (the input of the cut-off rule), so that every past business
date's batch is due, as if the bank had sent its file at each cut-off. The reconciliation demo
(``reconciliation.demo``) builds the clearing account's statements from these batches.
Idempotent: when a batch exists it only reports.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core_banking.eod.calendar import cutoff_at
from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountType, LedgerAccount
from core_banking.payments.models import BookingAccount, Payment

from . import services
from .models import Batch, BatchItem, SettlementFile


def _suspense_accounts() -> None:
    parent = LedgerAccount.objects.filter(code="2200").first()
    for currency in ("EUR", "USD", "GBP"):
        if BookingAccount.objects.filter(purpose=BookingAccount.Purpose.SUSPENSE, currency_id=currency).exists():
            continue
        code = f"2200-SUSP-{currency}"
        account = LedgerAccount.objects.filter(code=code).first() or ledger.ledger_account_create(
            code=code, name=f"Suspense: incoming payments to apply {currency}", type=AccountType.LIABILITY,
            currency=currency, parent=parent)
        BookingAccount.objects.create(purpose=BookingAccount.Purpose.SUSPENSE, currency_id=currency,
                                      ledger_account=account)


def load_demo(*, stdout) -> None:
    if Batch.objects.exists():
        stdout.write(f"Settlement demo: already loaded ({Batch.objects.count()} batches, "
                     f"{SettlementFile.objects.count()} files).")
        return
    with transaction.atomic():
        _suspense_accounts()
        outgoing = Payment.objects.filter(kind=Payment.Kind.OUTGOING, status=Payment.Status.POSTED, currency_id="EUR")
        dates = sorted(set(outgoing.values_list("business_date", flat=True)))
        now = timezone.now()
        for day in dates:
            noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
            if cutoff_at(day) < now:
                outgoing.filter(business_date=day).update(posted_at=noon)
    report = services.close_due_batches()
    waiting = BatchItem.objects.filter(batch__status=Batch.Status.OPEN).count()
    stdout.write(f"Settlement demo: {Batch.objects.count()} batches ({report.closed} closed and sent with their "
                 f"pain.001, {waiting} payments waiting in the open batch); debtor agent "
                 f"{settings.SETTLEMENT_BANK_BIC}.")
