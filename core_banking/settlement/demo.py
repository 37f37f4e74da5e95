"""Demo settlement for ``manage.py seed_demo`` (after the payments demo): a suspense account per
currency, and the demo's outgoing EUR payments of the last business dates settled in batches —
one batch per business date, closed at its cut-off with its pain.001 stored, and sent — while
older ones wait in the open batch of the next cut-off.

The payments demo posts its whole history at seeding time; its outgoing payments of the last
``DAYS`` business dates are dated back to noon of their business date (the input of the cut-off
rule), so that their batches' cut-offs have passed. Idempotent: when a batch exists it only reports.
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
from .models import Batch, SettlementFile

DAYS = 3


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
        dates = sorted(set(outgoing.values_list("business_date", flat=True)))[-DAYS:]
        now = timezone.now()
        for day in dates:
            noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
            if cutoff_at(day) < now:
                outgoing.filter(business_date=day).update(posted_at=noon)
    report = services.close_due_batches()
    stdout.write(f"Settlement demo: {Batch.objects.count()} batches ({report.closed} closed and sent with their "
                 f"pain.001, {report.queued} payments queued); debtor agent {settings.SETTLEMENT_BANK_BIC}.")
