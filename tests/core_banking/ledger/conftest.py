import itertools
from decimal import Decimal

import pytest

from core_banking.ledger.models import AccountType, BalanceRule
from core_banking.ledger.services import ledger_account_create

_codes = itertools.count(1)


def make_account(
    *,
    type=AccountType.LIABILITY,
    currency="EUR",
    rule=BalanceRule.UNCONSTRAINED,
    overdraft=Decimal(0),
    shards=1,
    code=None,
    name=None,
    parent=None,
):
    n = next(_codes)
    return ledger_account_create(
        code=code or f"T{n:06d}", name=name or f"Test account {n}", type=type, currency=currency,
        balance_rule=rule, overdraft_limit=overdraft, shard_count=shards, parent=parent,
    )


@pytest.fixture
def account_factory(db):
    return make_account


@pytest.fixture
def bank(db):
    """A small bank: cash at the central bank (asset), two customers (liabilities that may not go
    below zero), fee income (sharded, hot), and FX positions."""
    from types import SimpleNamespace

    return SimpleNamespace(
        cash=make_account(type=AccountType.ASSET, code="1000-EUR", name="Cash at central bank"),
        alice=make_account(rule=BalanceRule.NON_NEGATIVE, code="2100-ALICE", name="Alice current account"),
        bob=make_account(rule=BalanceRule.NON_NEGATIVE, code="2100-BOB", name="Bob current account"),
        fees=make_account(type=AccountType.INCOME, code="4000-FEES", name="Fee income", shards=8),
        marketing=make_account(type=AccountType.EXPENSE, code="6000-MKT", name="Marketing bonuses"),
        usd_cash=make_account(type=AccountType.ASSET, currency="USD", code="1000-USD", name="USD nostro"),
        alice_usd=make_account(currency="USD", rule=BalanceRule.NON_NEGATIVE, code="2100-ALICE-USD",
                               name="Alice USD account"),
        fxpos_eur=make_account(type=AccountType.EQUITY, code="FXPOS-EUR", name="FX position EUR"),
        fxpos_usd=make_account(type=AccountType.EQUITY, currency="USD", code="FXPOS-USD", name="FX position USD"),
    )
