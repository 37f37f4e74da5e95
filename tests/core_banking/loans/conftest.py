"""Fixtures of the loans tests: the bank, a EUR personal-loan product (annuity, 12 %, 30/360,
5 grace days, a 15.00 late fee), a customer with a funded current account, and the people who
apply (operations) and approve (finance). Business dates are set with the ledger's own roll."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core_banking.ledger import services as ledger
from core_banking.ledger.services import business_date_open
from core_banking.loans import services
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, staff_user


def roll_to(day: dt.date) -> None:
    if business_date_open() < day:
        ledger.business_date_roll(to_date=day)


def start_day() -> dt.date:
    """The 15th of a month at least three weeks ahead (business dates only move forward)."""
    later = dt.date.today() + dt.timedelta(days=21)
    return later.replace(day=15) if later.day <= 15 else (later.replace(day=1) + dt.timedelta(days=32)).replace(day=15)


@pytest.fixture
def start(db) -> dt.date:
    day = start_day()
    roll_to(day)
    return day


@pytest.fixture
def loan_account_product(bank):
    return banking.product(bank, kind="loan", code="LOAN-EUR", name="Loans EUR")


def make_product(loan_account_product, **fields):
    defaults = {
        "code": "PL-EUR", "name": "Personal loan EUR", "currency_id": "EUR",
        "account_product_id": loan_account_product.pk, "amortisation": "annuity", "rate_default": Decimal("0.12"),
        "rate_min": Decimal("0.05"), "rate_max": Decimal("0.20"), "convention": "30_360_isda",
        "frequency": "monthly", "term_min": 3, "term_max": 60, "amount_min": Decimal("500.00"),
        "amount_max": Decimal("50000.00"), "grace_days": 5, "late_fee": Decimal("15.00"),
        "bucket_boundaries": [30, 60, 90],
    }
    return services.loan_product_create(**{**defaults, **fields})


@pytest.fixture
def loan_product(loan_account_product):
    return make_product(loan_account_product)


@pytest.fixture
def current_account(bank, ada):
    account = banking.account(ada, banking.product(bank, code="CUR-EUR", name="Current EUR"))
    banking.fund(bank, account, "1000.00")
    return account


@pytest.fixture
def maker(db):
    ensure_roles()
    return staff_user("operations")


@pytest.fixture
def checker(db):
    ensure_roles()
    return staff_user("finance")


def running_loan(*, product, customer, account, maker, checker, principal="10000.00", term=12, **fields):
    """Applied by ``maker``, approved by ``checker``, disbursed by ``maker`` today."""
    loan = services.loan_apply(customer_id=customer.pk, product_id=product.pk, account_id=account.pk,
                               principal=Decimal(principal), term=term, actor=maker, **fields)
    services.loan_approve(loan_id=loan.pk, actor=checker)
    return services.loan_disburse(loan_id=loan.pk, actor=maker)


@pytest.fixture
def loan(start, loan_product, ada, current_account, maker, checker):
    return running_loan(product=loan_product, customer=ada, account=current_account, maker=maker, checker=checker)
