"""The payment seams as plug-ins: a configured check (or fee policy) with ``give_back`` is told
when a payment is rejected or returned; one that is not configured is not."""

from decimal import Decimal

import pytest
from django.test import override_settings

from core_banking.payments import services
from core_banking.payments.models import Payment
from core_banking.payments.seams import Review, fee_policy, no_fees, payment_checks
from tests import banking

pytestmark = pytest.mark.django_db
D = Decimal
HERE = "tests.core_banking.payments.test_seams"
IBAN = "DE89370400440532013000"


class Recording:
    """A check (and a fee policy) that holds payments of 500 or more and records its give-backs."""

    def __init__(self):
        self.given_back = []

    def check(self, intent):
        return Review(code="large_amount", reason="500 or more") if intent.amount >= D("500") else None

    def fees_for(self, intent, *, preview=False):
        return []

    def give_back(self, payment, intent):
        assert intent.payment is payment and intent.amount == payment.amount
        self.given_back.append(payment.reference)


CHECK = Recording()
POLICY = Recording()


def review_large(intent):
    return CHECK.check(intent)


@pytest.fixture(autouse=True)
def _fresh():
    CHECK.given_back.clear()
    POLICY.given_back.clear()


def outgoing(account, amount, key):
    return services.payment_create(kind="outgoing", amount=amount, currency="EUR", debtor_account_id=account.pk,
                                   counterparty_iban=IBAN, counterparty_name="X", idempotency_key=key)[0]


@override_settings(CORE_BANKING_FEE_POLICY=f"{HERE}.POLICY", CORE_BANKING_PAYMENT_CHECKS=[f"{HERE}.CHECK"])
def test_reject_and_return_call_give_back_on_the_policy_and_each_check(bank, eur_product, ada):
    account = banking.account(ada, eur_product)
    banking.fund(bank, account, "2000.00")
    held, posted = outgoing(account, "600.00", "held"), outgoing(account, "100.00", "posted")
    assert held.status == Payment.Status.PENDING_REVIEW and posted.status == Payment.Status.POSTED
    assert CHECK.given_back == [] and POLICY.given_back == []

    services.payment_reject(payment_id=held.pk, reason="not confirmed")
    services.payment_return(payment_id=posted.pk, reason="beneficiary account closed")

    assert CHECK.given_back == [held.reference, posted.reference]
    assert POLICY.given_back == [held.reference, posted.reference]


@override_settings(CORE_BANKING_PAYMENT_CHECKS=[f"{HERE}.CHECK"])
def test_a_check_removed_from_the_setting_is_not_told(bank, eur_product, ada):
    account = banking.account(ada, eur_product)
    banking.fund(bank, account, "2000.00")
    held, posted = outgoing(account, "600.00", "held"), outgoing(account, "100.00", "posted")

    with override_settings(CORE_BANKING_PAYMENT_CHECKS=[f"{HERE}.review_large"]):  # a plain function
        services.payment_reject(payment_id=held.pk, reason="not confirmed")
        services.payment_return(payment_id=posted.pk, reason="beneficiary account closed")

    assert CHECK.given_back == []


def test_plain_functions_are_the_seam_s_method():
    with override_settings(CORE_BANKING_FEE_POLICY="core_banking.payments.seams.no_fees",
                           CORE_BANKING_PAYMENT_CHECKS=[f"{HERE}.review_large", f"{HERE}.CHECK"]):
        assert fee_policy() is no_fees
        assert payment_checks() == [review_large, CHECK.check]
