from decimal import Decimal

import pytest

from tests import banking


@pytest.fixture
def product(bank):
    """A EUR current account with an overdraft of up to 1,000.00 (none by default)."""
    return banking.product(bank, code="CUR-EUR", name="Current account EUR", overdraft_allowed=True,
                           max_overdraft_limit=Decimal("1000.00"))


@pytest.fixture
def account(ada, product):
    return banking.account(ada, product)
