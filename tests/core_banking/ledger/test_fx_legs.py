"""One builder of FX legs (``fx_legs``, debit positive), used by ``fx_convert`` and FX payments."""

from decimal import Decimal

import pytest

from core_banking.ledger.models import Posting
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import fx_convert, fx_legs, transfer

pytestmark = pytest.mark.django_db

D = Decimal


def balance(account):
    return account_balance(account_id=account.pk).posted


def test_the_seller_is_debited_against_the_positions(bank):
    legs = fx_legs(from_account_id=bank.alice.pk, to_account_id=bank.alice_usd.pk, sell_currency="EUR",
                   buy_currency="USD", sold=D("100.00"), bought=D("108.32"))
    assert [(leg.account_id, leg.amount, leg.currency) for leg in legs] == [
        (bank.alice.pk, D("100.00"), "EUR"), (bank.fxpos_eur.pk, D("-100.00"), "EUR"),
        (bank.fxpos_usd.pk, D("108.32"), "USD"), (bank.alice_usd.pk, D("-108.32"), "USD"),
    ]


def test_fx_convert_from_a_debit_normal_account_lowers_it(bank):
    """Treasury funds the USD nostro from cash: both are assets, the cash falls and the nostro
    rises (``fx_convert`` states the change in each account's normal orientation)."""
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=D("500.00"),
             idempotency_key="deposit")
    result = fx_convert(from_account_id=bank.cash.pk, to_account_id=bank.usd_cash.pk, sell_amount=D("200.00"),
                        rate=D("1.0850"), idempotency_key="treasury")
    assert balance(bank.cash) == D("300.00") and balance(bank.usd_cash) == D("217.00")
    postings = dict(Posting.objects.filter(entry=result.entry).values_list("account_id", "amount"))
    assert postings == {bank.cash.pk: D("-200.00"), bank.fxpos_eur.pk: D("200.00"),
                        bank.fxpos_usd.pk: D("-217.00"), bank.usd_cash.pk: D("217.00")}
