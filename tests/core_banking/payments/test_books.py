"""Payments and the ledger never disagree: a payment's entry is undone only through the payment,
and ``verify_books`` names every disagreement (issue 16, finding 3)."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from core_banking.common.maker_checker import system_execution
from core_banking.ledger import services as ledger
from core_banking.ledger.exceptions import PaymentEntry
from core_banking.ledger.models import JournalEntry
from core_banking.ledger.selectors import account_balance
from core_banking.payments import services
from core_banking.payments.books import payments_books_check
from tests import banking

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]

D = Decimal
IBAN = "DE89370400440532013000"


def flat_fee(intent, *, preview=False):
    from core_banking.payments.seams import FeeCharge

    amount = D("0.10") if intent.kind in ("incoming", "cash_deposit") else D("0.50")
    return [FeeCharge(code="TEST/flat", amount=amount, currency=intent.fee_account.currency_id, description="fee")]


def review_large(intent):
    from core_banking.payments.seams import Review

    return Review(code="large", reason="large") if intent.amount >= D("1000") else None


@override_settings(CORE_BANKING_FEE_POLICY="tests.core_banking.payments.test_books.flat_fee",
                   CORE_BANKING_PAYMENT_CHECKS=["tests.core_banking.payments.test_books.review_large"])
def _every_kind(bank, eur_product, ada, bram):
    usd_product = banking.product(bank, currency="USD", code="CUR-USD")
    a, b, usd = banking.account(ada, eur_product), banking.account(bram, eur_product), banking.account(ada, usd_product)
    banking.fund(bank, a, "5000.00")
    banking.rate("EUR", "USD", "1.0850")
    made = {}
    for key, kwargs in {
        "internal": dict(kind="internal_transfer", amount="30.00", debtor_account_id=a.pk, creditor_account_id=b.pk),
        "outgoing": dict(kind="outgoing", amount="40.00", debtor_account_id=a.pk, counterparty_iban=IBAN,
                         counterparty_name="Stadtwerke"),
        "incoming": dict(kind="incoming", amount="25.00", creditor_iban=a.iban, counterparty_iban=IBAN,
                         counterparty_name="Employer"),
        "cash": dict(kind="cash_deposit", amount="200.00", creditor_account_id=b.pk, channel="branch"),
        "fx": dict(kind="fx_conversion", amount="100.00", debtor_account_id=a.pk, creditor_account_id=usd.pk,
                   target_currency="USD"),
        "held": dict(kind="internal_transfer", amount="1200.00", debtor_account_id=a.pk, creditor_account_id=b.pk),
        "released": dict(kind="internal_transfer", amount="1100.00", debtor_account_id=a.pk, creditor_account_id=b.pk),
        "rejected": dict(kind="outgoing", amount="1000.00", debtor_account_id=a.pk, counterparty_iban=IBAN,
                         counterparty_name="X"),
        "returned": dict(kind="outgoing", amount="60.00", debtor_account_id=a.pk, counterparty_iban=IBAN,
                         counterparty_name="Closed Co"),
    }.items():
        made[key], _ = services.payment_create(currency="EUR", idempotency_key=key, **kwargs)
    services.payment_release(payment_id=made["released"].pk, reason="confirmed")
    services.payment_reject(payment_id=made["rejected"].pk, reason="sanctions hit")
    services.payment_return(payment_id=made["returned"].pk, reason="AC04 account closed")
    return a, made


def test_payments_of_every_kind_agree_with_the_books(bank, eur_product, ada, bram):
    _every_kind(bank, eur_product, ada, bram)
    report = payments_books_check()
    assert report.payments == 9
    assert report.ok, report.problems
    call_command("verify_books")


def test_a_payment_entry_cannot_be_reversed_in_the_ledger(bank, eur_product, ada, bram):
    _account, made = _every_kind(bank, eur_product, ada, bram)
    entries = JournalEntry.objects.count()
    for payment in (made["internal"], made["returned"]):
        for entry_id in filter(None, (payment.entry_id, payment.return_entry_id)):
            with pytest.raises(PaymentEntry) as refused:
                ledger.entry_reverse(entry_id=entry_id, idempotency_key=f"raw-{entry_id}", reason="hostile")
            assert refused.value.code == "payment_entry" and refused.value.extra["payment"] == payment.reference
    assert JournalEntry.objects.count() == entries


def test_the_double_debit_of_a_raw_reversal_and_a_return_is_found(bank, eur_product, ada, bram):
    """What the hostile tester did before the ledger refused it: reverse the payment's entry in the
    ledger, then return the payment; the customer got the money back twice."""
    account, made = _every_kind(bank, eur_product, ada, bram)
    payment = made["outgoing"]
    before = account_balance(account_id=account.ledger_account_id).posted
    with system_execution():  # the private path a raw reversal took before the refusal existed
        ledger._entry_reverse(JournalEntry.objects.get(pk=payment.entry_id), idempotency_key="raw", actor=None,
                              reason="raw reversal")
    services.payment_return(payment_id=payment.pk, reason="returned as well")
    assert account_balance(account_id=account.ledger_account_id).posted == before + D("40.50") + D("40.00")

    report = payments_books_check()
    codes = {(p["reference"], p["code"]) for p in report.problems}
    assert (payment.reference, "payment_entry_reversed") in codes
    with pytest.raises(CommandError, match="books verification failed"):
        call_command("verify_books")


@pytest.mark.parametrize("sql, code", [
    ("UPDATE payments_payment SET status = 'rejected' WHERE reference = %s", "entry_without_posting"),
    ("UPDATE payments_payment SET amount = amount + 1 WHERE reference = %s", "amounts_disagree"),
    ("UPDATE payments_payment SET fee_amount = 0 WHERE reference = %s", "amounts_disagree"),
])
def test_an_edit_behind_the_application_is_named(bank, eur_product, ada, bram, sql, code):
    _account, made = _every_kind(bank, eur_product, ada, bram)
    reference = made["outgoing"].reference
    with connection.cursor() as cursor:
        cursor.execute(sql, [reference])
    report = payments_books_check()
    assert {(p["reference"], p["code"]) for p in report.problems} == {(reference, code)}, report.problems


def test_a_hold_left_pending_and_an_orphan_entry_are_named(bank, eur_product, ada, bram):
    """(A posted payment without its entry, or returned without its return entry, the database
    refuses itself: payment_posted_has_entry, payment_returned_has_entry.)"""
    account, made = _every_kind(bank, eur_product, ada, bram)
    other = banking.account(bram, eur_product)
    hold, _ = ledger.hold_create(debit_account_id=account.ledger_account_id, credit_account_id=other.ledger_account_id,
                                 amount=D("5.00"), idempotency_key="stray")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE payments_payment SET hold_id = %s WHERE id = %s", [hold.pk, made["rejected"].pk])
    orphan = ledger.transfer(debit_account_id=account.ledger_account_id, credit_account_id=other.ledger_account_id,
                             amount=D("1.00"), idempotency_key="orphan", metadata={"payment": "PAY-NOPE"})
    problems = {(p["reference"], p["code"]) for p in payments_books_check().problems}
    assert problems == {(made["rejected"].reference, "hold_left_pending"), ("PAY-NOPE", "orphan_payment_entry")}
    assert orphan.entry_id


def test_the_nightly_task_records_a_mismatch_for_the_morning(bank, eur_product, ada, bram):
    from core_banking.audit.models import AuditEvent
    from core_banking.payments.tasks import verify_books

    _every_kind(bank, eur_product, ada, bram)
    assert verify_books.delay().get()["ok"] and not AuditEvent.objects.filter(action="books.mismatch").exists()

    with connection.cursor() as cursor:
        cursor.execute("UPDATE payments_payment SET amount = amount + 1 WHERE kind = 'outgoing' AND status = 'posted'")
    summary = verify_books.delay().get()

    assert (summary["ok"], summary["problem_count"]) == (False, 1)
    event = AuditEvent.objects.get(action="books.mismatch")
    assert event.after["problems"][0]["code"] == "amounts_disagree"
