import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from backoffice.limits import checks, services
from backoffice.limits.models import LimitUsage
from core_banking.payments.seams import PaymentIntent
from tests import banking

DAY = dt.date(2026, 11, 22)


@pytest.fixture
def retail(db):
    """The RETAIL profile with no rules yet."""
    return services.profile_create(code="RETAIL", name="Retail customers")


@pytest.fixture
def product(bank, retail):
    return banking.product(bank, limit_profile_code="RETAIL")


@pytest.fixture
def account(ada, product):
    return banking.account(ada, product)


def intent(account, amount, *, kind="outgoing", channel="api", currency="EUR", business_date=DAY, payment=None):
    event = {"outgoing": "outgoing_payment", "internal_transfer": "internal_transfer",
             "cash_withdrawal": "cash_withdrawal", "fx_conversion": "fx_conversion", "incoming": "incoming_payment",
             "cash_deposit": "cash_deposit"}[kind]
    debtor = None if kind in ("incoming", "cash_deposit") else account
    creditor = account if debtor is None else None
    return PaymentIntent(kind=kind, event=event, channel=channel, amount=Decimal(amount), currency=currency,
                         business_date=business_date, debtor=debtor, creditor=creditor, payment=payment)


def pay(account, amount, **options):
    """Run the check in its own transaction, as the payment engine does."""
    with transaction.atomic():
        return checks.enforce(intent(account, amount, **options))


def usage(scope_kind, scope_id, *, channel="", period="day", start=DAY, currency="EUR"):
    row = LimitUsage.objects.filter(scope_kind=scope_kind, scope_id=scope_id, channel=channel, period=period,
                                    period_start=start, currency_id=currency).first()
    return (row.amount, row.count) if row else (Decimal(0), 0)
