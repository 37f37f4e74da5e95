import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
from django.utils import timezone

from core_banking.eod.calendar import cutoff_at, next_business_day
from core_banking.ledger.models import AccountType
from core_banking.payments import services as payments
from core_banking.payments.models import BookingAccount, Payment
from tests import banking

_n = itertools.count(1)
BENEFICIARIES = ["NL91ABNA0417164300", "DE89370400440532013000", "FR1420041010050500013M02606",
                 "BE68539007547034", "ES9121000418450200051332"]


def add_suspense(bank) -> None:
    suspense = banking._gl("2300-EUR", "Suspense EUR", AccountType.LIABILITY, "EUR")
    BookingAccount.objects.get_or_create(purpose=BookingAccount.Purpose.SUSPENSE, currency_id="EUR",
                                         defaults={"ledger_account": suspense})
    bank.suspense = suspense


@pytest.fixture
def world(bank, settings):
    return make_world(bank, settings)


def make_world(bank, settings):
    """A EUR bank with a suspense account, two funded customers' accounts, and the flat test fee."""
    settings.CORE_BANKING_FEE_POLICY = "tests.core_banking.payments.test_worked_examples.flat_fee"
    settings.CORE_BANKING_PAYMENT_CHECKS = []
    settings.CORE_BANKING_MAKER_CHECKER = "core_banking.common.maker_checker.DIRECT"
    add_suspense(bank)
    product = banking.product(bank, code="CUR-EUR")
    ada = banking.account(banking.customer(first_name="Ada", last_name="Lovelace"), product)
    bram = banking.account(banking.customer(first_name="Bram", last_name="de Vries"), product)
    for account in (ada, bram):
        banking.fund(bank, account, "1000.00")
    return SimpleNamespace(bank=bank, product=product, ada=ada, bram=bram)


def outgoing(account, amount, *, at: dt.datetime | None = None, iban: str | None = None, e2e: str = "") -> Payment:
    """An outgoing SEPA payment, posted; ``at`` backdates its posting time (the cut-off's input)."""
    n = next(_n)
    payment, _ = payments.payment_create(
        kind="outgoing", amount=amount, currency="EUR", debtor_account_id=account.pk,
        counterparty_iban=iban or BENEFICIARIES[n % len(BENEFICIARIES)], counterparty_name=f"Beneficiary {n}",
        remittance_info=f"Invoice {n}", end_to_end_id=e2e or f"E2E-{n}", idempotency_key=f"out-{n}")
    if at is not None:
        Payment.objects.filter(pk=payment.pk).update(posted_at=at)
        payment.refresh_from_db()
    return payment


def business_cutoff(day: dt.date | None = None) -> dt.datetime:
    """The cut-off of a business date (the next business date after ``day``, default today)."""
    day = day or timezone.localdate()
    return cutoff_at(next_business_day(day - dt.timedelta(days=1)))
