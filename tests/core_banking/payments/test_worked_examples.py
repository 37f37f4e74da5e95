"""Payments as a bank's staff would describe them, end to end through the ledger."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings

from core_banking.ledger.exceptions import CurrencyMismatch, IdempotencyConflict, InsufficientFunds
from core_banking.ledger.models import JournalEntry, Posting
from core_banking.ledger.selectors import account_balance, account_statement
from core_banking.payments import services
from core_banking.payments.exceptions import QuoteMismatch
from core_banking.payments.models import Payment
from core_banking.payments.seams import FeeCharge, Review
from tests import banking

pytestmark = pytest.mark.django_db

D = Decimal


def balance(account):
    return account_balance(account_id=account.ledger_account_id)


def flat_fee(intent, *, preview=False):
    """A test fee policy: 0.50 on everything but incoming money, 0.10 on that."""
    account = intent.fee_account
    amount = D("0.10") if intent.kind in ("incoming", "cash_deposit") else D("0.50")
    return [FeeCharge(code="TEST/flat", amount=amount, currency=account.currency_id, description="flat fee")]


def review_large(intent):
    if intent.amount >= D("1000"):
        return Review(code="large_amount", reason="1,000 or more", details={"threshold": "1000"})
    return None


def test_internal_transfer_moves_money_and_writes_one_entry(bank, eur_product, ada, bram):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "100.00")
    payment, replayed = services.payment_create(
        kind="internal_transfer", amount="30.00", currency="EUR", debtor_account_id=a.pk,
        creditor_account_id=b.pk, remittance_info="Dinner", idempotency_key="k1",
    )
    assert not replayed and payment.status == Payment.Status.POSTED
    assert balance(a).posted == D("70.00") and balance(b).posted == D("30.00")
    postings = Posting.objects.filter(entry=payment.entry)
    assert sorted(p.amount for p in postings) == [D("-30.00"), D("30.00")]
    assert [c.to_status for c in payment.status_changes.all()] == ["initiated", "posted"]


def test_a_replay_returns_the_original_and_another_payload_conflicts(bank, eur_product, ada, bram):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "100.00")
    request = dict(kind="internal_transfer", amount="30.00", currency="EUR", debtor_account_id=a.pk,
                   creditor_account_id=b.pk)
    first, _ = services.payment_create(idempotency_key="same", **request)
    again, replayed = services.payment_create(idempotency_key="same", **request)
    assert replayed and again.pk == first.pk
    assert balance(a).posted == D("70.00")
    with pytest.raises(IdempotencyConflict):
        services.payment_create(idempotency_key="same", **{**request, "amount": "31.00"})


@override_settings(CORE_BANKING_FEE_POLICY="tests.core_banking.payments.test_worked_examples.flat_fee")
def test_the_fee_is_part_of_the_same_entry(bank, eur_product, ada):
    a = banking.account(ada, eur_product)
    banking.fund(bank, a, "100.00")
    payment, _ = services.payment_create(
        kind="outgoing", amount="40.00", currency="EUR", debtor_account_id=a.pk,
        counterparty_iban="DE89 3704 0044 0532 0130 00", counterparty_name="Stadtwerke", idempotency_key="o1",
    )
    assert payment.fee_amount == D("0.50") and payment.fees[0]["code"] == "TEST/flat"
    assert balance(a).posted == D("59.50")
    legs = {p.account.code: p.amount for p in Posting.objects.filter(entry=payment.entry).select_related("account")}
    assert legs == {a.ledger_account.code: D("40.50"), "2200-EUR": D("-40.00"), "4100-EUR": D("-0.50")}
    assert JournalEntry.objects.filter(metadata__payment=payment.reference).count() == 1


@override_settings(CORE_BANKING_FEE_POLICY="tests.core_banking.payments.test_worked_examples.flat_fee")
def test_incoming_payment_fee_is_charged_to_the_receiver(bank, eur_product, ada):
    a = banking.account(ada, eur_product)
    payment, _ = services.payment_create(
        kind="incoming", amount="25.00", currency="EUR", creditor_iban=a.iban,
        counterparty_iban="GB33BUKB20201555555555", counterparty_name="Employer Ltd", idempotency_key="i1",
    )
    assert payment.creditor_account_id == a.pk
    assert balance(a).posted == D("24.90")


def test_insufficient_funds_writes_nothing(bank, eur_product, ada, bram):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "10.00")
    with pytest.raises(InsufficientFunds):
        services.payment_create(kind="internal_transfer", amount="10.01", currency="EUR",
                                debtor_account_id=a.pk, creditor_account_id=b.pk, idempotency_key="x")
    assert not Payment.objects.exists()
    assert balance(a).posted == D("10.00")


def test_cash_deposit_and_withdrawal_go_through_the_vault(bank, eur_product, ada):
    a = banking.account(ada, eur_product)
    services.payment_create(kind="cash_deposit", amount="200.00", currency="EUR", creditor_account_id=a.pk,
                            channel="branch", idempotency_key="cd")
    services.payment_create(kind="cash_withdrawal", amount="50.00", currency="EUR", debtor_account_id=a.pk,
                            channel="branch", idempotency_key="cw")
    assert balance(a).posted == D("150.00")
    assert account_balance(account_id=bank.cash["EUR"].pk).posted == D("150.00")


def test_fx_conversion_with_spread(bank, eur_product, ada):
    """1 EUR = 1.0850 USD mid; spread 0.5%: the customer gets 1.0850 * 0.995 = 1.079575 USD per
    EUR, so 100.00 EUR buys 107.9575 -> 107.96 USD (half even, rounded once)."""
    usd_product = banking.product(bank, currency="USD", code="CUR-USD")
    eur, usd = banking.account(ada, eur_product), banking.account(ada, usd_product)
    banking.fund(bank, eur, "150.00")
    banking.rate("EUR", "USD", "1.0850", spread="0.005")
    payment, _ = services.payment_create(kind="fx_conversion", amount="100.00", currency="EUR",
                                         debtor_account_id=eur.pk, creditor_account_id=usd.pk,
                                         target_currency="USD", idempotency_key="fx1")
    assert payment.fx_rate == D("1.079575") and payment.fx_mid_rate == D("1.0850")
    assert payment.target_amount == D("107.96")
    assert balance(eur).posted == D("50.00") and balance(usd).posted == D("107.96")
    assert payment.entry.metadata["fx"]["rate"] == "1.079575000000"


def test_fx_quote_is_honoured_and_used_once(bank, eur_product, ada):
    usd_product = banking.product(bank, currency="USD", code="CUR-USD")
    eur, usd = banking.account(ada, eur_product), banking.account(ada, usd_product)
    banking.fund(bank, eur, "300.00")
    banking.rate("USD", "EUR", "0.9200", spread="0.01")  # the inverse pair is used
    quote = services.fx_quote_create(sell_currency="EUR", buy_currency="USD", sell_amount=D("100.00"))
    banking.rate("EUR", "USD", "1.5000")  # the market moves after the quote
    request = dict(kind="fx_conversion", amount="100.00", currency="EUR", debtor_account_id=eur.pk,
                   creditor_account_id=usd.pk, target_currency="USD", quote_id=quote.pk)
    payment, _ = services.payment_create(idempotency_key="q1", **request)
    assert payment.target_amount == quote.buy_amount == D("107.61")  # 100 / 0.92 * 0.99 = 107.6087
    with pytest.raises(QuoteMismatch):
        services.payment_create(idempotency_key="q2", **request)


def test_currency_mismatch_is_refused(bank, eur_product, ada, bram):
    usd_product = banking.product(bank, currency="USD", code="CUR-USD")
    a, b = banking.account(ada, eur_product), banking.account(bram, usd_product)
    banking.fund(bank, a, "100.00")
    with pytest.raises(CurrencyMismatch):
        services.payment_create(kind="internal_transfer", amount="1.00", currency="EUR", debtor_account_id=a.pk,
                                creditor_account_id=b.pk, idempotency_key="m")


@override_settings(CORE_BANKING_PAYMENT_CHECKS=["tests.core_banking.payments.test_worked_examples.review_large"])
def test_a_payment_held_for_review_reserves_funds_until_released(bank, eur_product, ada, bram, django_user_model):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "1500.00")
    payment, _ = services.payment_create(kind="internal_transfer", amount="1200.00", currency="EUR",
                                         debtor_account_id=a.pk, creditor_account_id=b.pk, idempotency_key="big")
    assert payment.status == Payment.Status.PENDING_REVIEW
    assert payment.review_reasons[0]["code"] == "large_amount"
    assert balance(a).posted == D("1500.00") and balance(a).available == D("300.00")
    with pytest.raises(InsufficientFunds):
        services.payment_create(kind="internal_transfer", amount="400.00", currency="EUR",
                                debtor_account_id=a.pk, creditor_account_id=b.pk, idempotency_key="second")
    services.payment_release(payment_id=payment.pk, reason="customer confirmed")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.POSTED and payment.hold.status == "voided"
    assert balance(a).posted == D("300.00") and balance(a).available == D("300.00")
    assert balance(b).posted == D("1200.00")


@override_settings(CORE_BANKING_PAYMENT_CHECKS=["tests.core_banking.payments.test_worked_examples.review_large"])
def test_a_rejected_payment_gives_the_funds_back(bank, eur_product, ada):
    a = banking.account(ada, eur_product)
    banking.fund(bank, a, "1500.00")
    payment, _ = services.payment_create(kind="outgoing", amount="1000.00", currency="EUR",
                                         debtor_account_id=a.pk, counterparty_iban="DE89370400440532013000",
                                         counterparty_name="X", idempotency_key="r")
    services.payment_reject(payment_id=payment.pk, reason="sanctions hit confirmed")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REJECTED and payment.entry_id is None
    assert balance(a).available == D("1500.00")


def test_an_outgoing_payment_returned_by_the_other_bank(bank, eur_product, ada):
    a = banking.account(ada, eur_product)
    banking.fund(bank, a, "100.00")
    payment, _ = services.payment_create(kind="outgoing", amount="60.00", currency="EUR", debtor_account_id=a.pk,
                                         counterparty_iban="DE89370400440532013000", counterparty_name="Closed Co",
                                         idempotency_key="ret")
    services.payment_return(payment_id=payment.pk, reason="AC04 account closed")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.RETURNED and balance(a).posted == D("100.00")


def test_statement_of_payments_agrees_with_verify_ledger(bank, eur_product, ada, bram, capsys):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "100.00")
    for i in range(3):
        services.payment_create(kind="internal_transfer", amount="10.00", currency="EUR", debtor_account_id=a.pk,
                                creditor_account_id=b.pk, idempotency_key=f"s{i}")
    call_command("verify_ledger")
    assert "every invariant holds" in capsys.readouterr().out
    today = Payment.objects.first().business_date
    statement = account_statement(account_id=a.ledger_account_id, date_from=today, date_to=today)
    assert statement.closing_balance == balance(a).posted == D("70.00")
    assert [line.balance for line in statement.lines] == [D("100.00"), D("90.00"), D("80.00"), D("70.00")]
