"""Textbook cases, written as a bank's accountant would read them."""

from decimal import Decimal

import pytest

from core_banking.ledger import exceptions as exc
from core_banking.ledger.selectors import account_balance, trial_balance
from core_banking.ledger.services import entry_post, entry_reverse, fx_convert, transfer
from core_banking.ledger.verify import verify_ledger

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("maker_checker_direct")]


def balance(account):
    return account_balance(account_id=account.pk).posted


def test_cash_deposit_raises_both_the_banks_cash_and_what_it_owes_the_customer(bank):
    # Given Alice pays 100.00 EUR in cash
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("100.00"),
             idempotency_key="deposit-1")

    # Then the bank's cash (an asset) and its debt to Alice (a liability) both rise
    assert balance(bank.cash) == Decimal("100.00")
    assert balance(bank.alice) == Decimal("100.00")
    assert verify_ledger().ok


def test_bonus_is_an_expense_for_the_bank(bank):
    transfer(debit_account_id=bank.marketing.pk, credit_account_id=bank.alice.pk, amount=Decimal("25.00"),
             idempotency_key="bonus-1", description="Welcome bonus")

    assert balance(bank.marketing) == Decimal("25.00")
    assert balance(bank.alice) == Decimal("25.00")
    tb = trial_balance()
    assert tb.balanced
    assert tb.totals["EUR"] == (Decimal("25.00"), Decimal("25.00"))


def test_payment_with_fee_is_one_entry(bank):
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("100.00"),
             idempotency_key="deposit")

    result = entry_post(
        postings=[
            {"account_id": bank.alice.pk, "amount": "50.00"},
            {"account_id": bank.bob.pk, "amount": "-50.00"},
            {"account_id": bank.alice.pk, "amount": "1.50"},
            {"account_id": bank.fees.pk, "amount": "-1.50"},
        ],
        idempotency_key="pay-1",
    )

    assert result.entry.postings.count() == 4
    assert balance(bank.alice) == Decimal("48.50")
    assert balance(bank.bob) == Decimal("50.00")
    assert balance(bank.fees) == Decimal("1.50")
    alice_lines = list(result.entry.postings.filter(account=bank.alice).order_by("posted_at"))
    assert [p.balance_after for p in alice_lines] == [Decimal("50.00"), Decimal("48.50")]
    assert verify_ledger().ok


def test_refund_by_reversal_restores_every_balance(bank):
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("80.00"),
             idempotency_key="deposit")
    payment = transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("30.00"),
                       idempotency_key="pay")

    reversal = entry_reverse(entry_id=payment.entry.pk, idempotency_key="refund", reason="goods returned")

    assert reversal.entry.reverses_id == payment.entry.pk
    assert balance(bank.alice) == Decimal("80.00")
    assert balance(bank.bob) == Decimal("0.00")
    with pytest.raises(exc.AlreadyReversed):
        entry_reverse(entry_id=payment.entry.pk, idempotency_key="refund-again")
    # the same request replayed returns the same reversal
    again = entry_reverse(entry_id=payment.entry.pk, idempotency_key="refund", reason="goods returned")
    assert again.replayed and again.entry.pk == reversal.entry.pk
    assert verify_ledger().ok


def test_fx_conversion_goes_through_position_accounts_with_the_rate(bank):
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("1000.00"),
             idempotency_key="deposit")

    result = fx_convert(from_account_id=bank.alice.pk, to_account_id=bank.alice_usd.pk,
                        sell_amount=Decimal("100.00"), rate=Decimal("1.08325"), idempotency_key="fx-1")

    # 100.00 * 1.08325 = 108.325 -> 108.32 (half even, rounded once)
    assert balance(bank.alice) == Decimal("900.00")
    assert balance(bank.alice_usd) == Decimal("108.32")
    # The position accounts (credit-normal) carry the two legs of the trade: 100 EUR in,
    # 108.32 USD out, until revaluation turns the difference into FX profit or loss.
    assert balance(bank.fxpos_eur) == Decimal("100.00")
    assert balance(bank.fxpos_usd) == Decimal("-108.32")
    assert result.entry.metadata["fx"] == {"pair": "EUR/USD", "rate": "1.08325", "sell": "100.00", "buy": "108.32"}
    tb = trial_balance()
    assert tb.balanced and set(tb.totals) == {"EUR", "USD"}
    assert verify_ledger().ok


def test_insufficient_funds_changes_nothing(bank):
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("10.00"),
             idempotency_key="deposit")

    with pytest.raises(exc.InsufficientFunds) as refused:
        transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("10.01"),
                 idempotency_key="too-much")

    assert refused.value.extra["accounts"] == [bank.alice.pk]
    assert balance(bank.alice) == Decimal("10.00")
    assert balance(bank.bob) == Decimal("0.00")
    from core_banking.ledger.models import JournalEntry

    assert JournalEntry.objects.count() == 1


def test_overdraft_limit_allows_going_negative_down_to_the_limit(bank, account_factory):
    from core_banking.ledger.models import BalanceRule

    overdraft = account_factory(rule=BalanceRule.OVERDRAFT_LIMIT, overdraft=Decimal("50.00"))
    transfer(debit_account_id=overdraft.pk, credit_account_id=bank.bob.pk, amount=Decimal("50.00"),
             idempotency_key="to-limit")
    assert balance(overdraft) == Decimal("-50.00")
    with pytest.raises(exc.InsufficientFunds):
        transfer(debit_account_id=overdraft.pk, credit_account_id=bank.bob.pk, amount=Decimal("0.01"),
                 idempotency_key="past-limit")


@pytest.mark.parametrize(
    ("currency", "amount", "ok"),
    [("EUR", "10.00", True), ("EUR", "10.001", False), ("JPY", "100", True), ("JPY", "100.5", False),
     ("BHD", "1.234", True), ("BHD", "1.2345", False)],
)
def test_amounts_must_fit_the_currency_exponent(account_factory, currency, amount, ok):
    from core_banking.ledger.models import AccountType

    a = account_factory(type=AccountType.ASSET, currency=currency)
    b = account_factory(currency=currency)
    if ok:
        transfer(debit_account_id=a.pk, credit_account_id=b.pk, amount=Decimal(amount), idempotency_key="k")
        assert balance(b) == Decimal(amount)
    else:
        with pytest.raises(exc.InvalidAmount):
            transfer(debit_account_id=a.pk, credit_account_id=b.pk, amount=Decimal(amount), idempotency_key="k")


def test_unbalanced_and_cross_currency_entries_are_refused(bank):
    with pytest.raises(exc.UnbalancedEntry) as unbalanced:
        entry_post(postings=[{"account_id": bank.cash.pk, "amount": "10.00"},
                             {"account_id": bank.alice.pk, "amount": "-9.99"}], idempotency_key="u")
    assert unbalanced.value.extra["imbalance"] == {"EUR": "0.01"}
    with pytest.raises(exc.CurrencyMismatch):
        entry_post(postings=[{"account_id": bank.cash.pk, "amount": "10.00", "currency": "USD"},
                             {"account_id": bank.alice.pk, "amount": "-10.00"}], idempotency_key="c")
    with pytest.raises(TypeError):
        transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=10.0, idempotency_key="f")


def test_idempotent_replay_and_conflict(bank):
    first = transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("5.00"),
                     idempotency_key="same")
    replay = transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("5.00"),
                      idempotency_key="same")

    assert replay.replayed and replay.entry.pk == first.entry.pk
    assert balance(bank.alice) == Decimal("5.00")
    with pytest.raises(exc.IdempotencyConflict):
        transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("6.00"),
                 idempotency_key="same")


def test_the_posting_path_works_without_prepared_statements(bank, settings):
    # Behind a transaction-mode connection pooler, prepared statements must be turned off.
    settings.LEDGER_PREPARED_STATEMENTS = False
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("12.00"),
             idempotency_key="inline-1")
    again = transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("12.00"),
                     idempotency_key="inline-1")
    with pytest.raises(exc.InsufficientFunds):
        transfer(debit_account_id=bank.bob.pk, credit_account_id=bank.alice.pk, amount=Decimal("1.00"),
                 idempotency_key="inline-2")

    assert again.replayed
    assert balance(bank.alice) == Decimal("12.00")
    assert verify_ledger().ok
