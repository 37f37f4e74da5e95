import datetime as dt

import pytest

from core_banking.ledger.models import AccountType
from core_banking.ledger.services import business_date_roll, ledger_account_create

from . import steps

FRIDAY = dt.date(2030, 1, 4)


@pytest.fixture
def eod_steps(settings):
    """The framework's own test steps, in place of the bank's."""
    settings.CORE_BANKING_EOD_STEPS = ["tests.core_banking.eod.steps.CREDIT", "tests.core_banking.eod.steps.EMPTY",
                                       "tests.core_banking.eod.steps.FLAKY"]
    settings.BANK_HOLIDAYS = "ECB"
    settings.BANK_WEEKEND = (6, 7)
    steps.FAILURES.clear()
    steps.CALLS.clear()
    yield settings
    steps.FAILURES.clear()


@pytest.fixture
def population(db):
    """A funding account and 10 accounts to credit; the open business date is a Friday."""
    business_date_roll(to_date=FRIDAY)
    ledger_account_create(code=steps.SOURCE, name="EOD test source", type=AccountType.ASSET, currency="EUR")
    return [ledger_account_create(code=f"{steps.PREFIX}{n:02d}", name=f"EOD test {n}", type=AccountType.LIABILITY,
                                  currency="EUR") for n in range(10)]
