import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountType, BusinessDay
from reconciliation.models import ExternalAccount

SAMPLES = Path("/work/shared/data/statements")
_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _private_statement_storage(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "reconciliation": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "statements"), "base_url": None}}}


@pytest.fixture(autouse=True)
def _business_date(request):
    if "db" in request.fixturenames or "transactional_db" in request.fixturenames:
        if not BusinessDay.objects.filter(closed_at__isnull=True).exists():
            BusinessDay.objects.create(date=dt.date(2024, 1, 2), opened_at=timezone.now())


def ledger_account(currency="EUR", type=AccountType.ASSET, code=None):
    return ledger.ledger_account_create(code=code or f"NOSTRO-{next(_n)}", name="Nostro mirror", type=type,
                                        currency=currency)


def external_account(identifier, currency="EUR", *, ledger_acc=None, **fields):
    return ExternalAccount.objects.create(
        name=f"Bank {identifier}", account_identifier=identifier, currency_id=currency,
        ledger_account=ledger_acc or ledger_account(currency), **fields)


@pytest.fixture
def contra(db):
    return ledger.ledger_account_create(code="SUSPENSE", name="Suspense", type=AccountType.LIABILITY, currency="EUR")


def post(nostro, contra, amount, *, value_date, ref="", payment_reference=None, key=None):
    """A booking on the nostro mirror (debit positive = money in at the bank)."""
    amount = Decimal(str(amount))
    metadata = {"payment_reference": payment_reference} if payment_reference else {}
    result = ledger.entry_post(postings=[{"account_id": nostro.pk, "amount": str(amount)},
                                         {"account_id": contra.pk, "amount": str(-amount)}],
                               idempotency_key=key or f"k-{next(_n)}", external_ref=ref, metadata=metadata,
                               value_date=value_date)
    return result.entry.postings.get(account_id=nostro.pk)
