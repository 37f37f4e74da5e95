"""The interest demo loader (``core_banking.interest.demo.load_demo``, for ``DEMO_DATA_LOADERS``):
the SAVINGS-EUR schedule and the demo savings product under it, loaded any number of times."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from core_banking.accounts.models import Account, Product
from core_banking.audit.models import AuditEvent
from core_banking.interest import eod
from core_banking.interest.demo import load_demo
from core_banking.interest.models import InterestRate, InterestRateSchedule, InterestRateTier
from core_banking.ledger.models import JournalEntry
from core_banking.ledger.selectors import account_balance, business_date_current
from core_banking.payments.demo import DEMO_EMAIL_DOMAIN
from tests import banking

pytestmark = pytest.mark.django_db
D = Decimal


def load() -> str:
    out = io.StringIO()
    load_demo(stdout=out)
    return out.getvalue()


def snapshot():
    return (list(InterestRateSchedule.objects.values_list("code", "convention", "capitalisation_frequency")),
            list(InterestRate.objects.values_list("schedule__code", "effective_from", "credit_rate")),
            list(InterestRateTier.objects.values_list("from_balance", "rate")),
            list(Product.objects.order_by("code").values_list("code", "interest_schedule_code")),
            Account.objects.count(), JournalEntry.objects.count(),
            AuditEvent.objects.filter(action="product.updated").count())


def assert_schedule() -> InterestRateSchedule:
    schedule = InterestRateSchedule.objects.get(code="SAVINGS-EUR")
    assert (schedule.currency_id, schedule.convention, schedule.accrual_basis, schedule.capitalisation_frequency,
            schedule.tier_mode, schedule.is_active) == ("EUR", "act_365f", "end_of_day", "monthly",
                                                        "whole_balance", True)
    version = InterestRate.objects.get(schedule=schedule)
    assert (version.credit_rate, version.debit_rate, version.effective_from) == (
        D("0.025"), D(0), business_date_current())
    assert list(version.tiers.values_list("from_balance", "rate")) == [(D("50000.00"), D("0.0275"))]
    return schedule


def test_the_demo_savings_product_earns_under_savings_eur_and_a_second_load_adds_nothing():
    bank = banking.setup_bank(currencies=("EUR",))
    savings = banking.product(bank, kind="savings", code="SAV-EUR")  # as the payments demo makes it
    current = banking.product(bank, code="CUR-EUR")
    account = banking.account(banking.customer(), savings)

    out = load()

    assert_schedule()
    assert Product.objects.get(pk=savings.pk).interest_schedule_code == "SAVINGS-EUR"
    assert Product.objects.get(pk=current.pk).interest_schedule_code == ""
    assert "Interest schedule SAVINGS-EUR" in out and "Product SAV-EUR: earns under SAVINGS-EUR" in out
    event = AuditEvent.objects.get(action="product.updated")
    assert event.after == {"interest_schedule_code": "SAVINGS-EUR"}
    # The end of day's interest steps now take the demo savings account.
    assert list(eod.population(business_date_current())) == [account.pk]

    before = snapshot()
    assert load() == ""  # nothing to do, nothing said
    assert snapshot() == before


def test_a_product_under_another_schedule_is_left_as_it_is():
    bank = banking.setup_bank(currencies=("EUR",))
    banking.product(bank, kind="savings", code="SAV-EUR", interest_schedule_code="OTHER")

    out = load()

    assert Product.objects.get(code="SAV-EUR").interest_schedule_code == "OTHER"
    assert "left as it is" in out
    assert_schedule()


def test_without_the_payments_demo_it_creates_the_product_and_a_funded_account_once():
    ada = banking.customer(first_name="Ada", last_name="Lovelace", email=f"ada.lovelace@{DEMO_EMAIL_DOMAIN}")

    load()

    assert_schedule()
    product = Product.objects.get(code="SAV-EUR")
    assert (product.kind, product.currency_id, product.interest_schedule_code) == ("savings", "EUR", "SAVINGS-EUR")
    account = Account.objects.get(product=product)
    assert account.customer_id == ada.pk and account.status == "active"
    assert account_balance(account_id=account.ledger_account_id).posted == D("2500.00")
    assert JournalEntry.objects.filter(metadata__has_key="payment").count() == 1
    assert list(eod.population(business_date_current())) == [account.pk]

    before = snapshot()
    load()
    assert snapshot() == before
    assert account_balance(account_id=account.ledger_account_id).posted == D("2500.00")


def test_with_no_demo_customer_it_creates_the_schedule_and_product_only():
    load()
    load()

    assert_schedule()
    assert Product.objects.filter(code="SAV-EUR", interest_schedule_code="SAVINGS-EUR").count() == 1
    assert not Account.objects.exists()
    assert not JournalEntry.objects.exists()
