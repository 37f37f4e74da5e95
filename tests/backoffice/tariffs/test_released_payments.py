"""A rejected or returned payment gives back the fee usage it took, end to end through the
payments engine with this fee policy plugged into its seam."""

from decimal import Decimal

import pytest
from django.test import override_settings

from backoffice.tariffs.models import FeeUsage, FeeUsageRecord
from backoffice.tariffs.services import usage_give_back
from core_banking.payments import services as payments
from core_banking.payments.models import Payment
from core_banking.payments.seams import Review
from tests import banking

from .conftest import account_on, plan, rule

pytestmark = pytest.mark.django_db

D = Decimal
IBAN = "DE89 3704 0044 0532 0130 00"


def review_everything(intent):
    return Review(code="test_review", reason="every payment is reviewed in this test")


def pay(account, amount="10.00", key="p1"):
    payment, _ = payments.payment_create(kind="outgoing", amount=amount, currency="EUR", debtor_account_id=account.pk,
                                         counterparty_iban=IBAN, counterparty_name="Stadtwerke", idempotency_key=key)
    return payment


@pytest.fixture(autouse=True)
def tariffs_price_payments(settings):
    settings.CORE_BANKING_FEE_POLICY = "backoffice.tariffs.policy.TARIFFS"


@pytest.fixture
def account(bank):
    plan("STANDARD", rule(fixed_amount=D("0.50"), free_allowance_count=1))
    a = account_on(bank)
    banking.fund(bank, a, "100.00")
    return a


def usage(account):
    row = FeeUsage.objects.get(account=account)
    return row.count, row.volume


def test_a_returned_payment_gives_back_its_free_event_but_keeps_its_fee(account):
    free = pay(account, "10.00", "p1")
    charged = pay(account, "20.00", "p2")
    assert (free.fee_amount, charged.fee_amount) == (D("0"), D("0.50"))
    assert charged.fees[0]["code"] == "STANDARD/outgoing_payment"
    assert usage(account) == (2, D("30.00"))

    payments.payment_return(payment_id=charged.pk, reason="beneficiary account closed")

    charged.refresh_from_db()
    assert charged.status == Payment.Status.RETURNED and charged.fee_amount == D("0.50")  # no refund
    assert usage(account) == (1, D("10.00"))

    payments.payment_return(payment_id=free.pk, reason="unknown beneficiary")

    assert usage(account) == (0, D("0.00"))
    assert pay(account, "30.00", "p3").fee_amount == D("0")  # the free event is available again


@override_settings(CORE_BANKING_PAYMENT_CHECKS=["tests.backoffice.tariffs.test_released_payments.review_everything"])
def test_a_rejected_payment_gives_back_its_usage(account):
    held = pay(account, "10.00", "p1")
    assert held.status == Payment.Status.PENDING_REVIEW
    assert usage(account) == (1, D("10.00"))

    payments.payment_reject(payment_id=held.pk, reason="suspicious")

    assert usage(account) == (0, D("0.00"))
    record = FeeUsageRecord.objects.get(payment=held)
    assert record.released_at is not None


def test_usage_is_given_back_once(account):
    payment = pay(account)
    payments.payment_return(payment_id=payment.pk, reason="returned")

    assert usage_give_back(payment=payment) == 0  # already given back by the policy's give_back
    assert usage(account) == (0, D("0.00"))


def test_a_preview_through_the_engine_takes_nothing(account):
    preview = payments.payment_preview(kind="outgoing", amount="10.00", currency="EUR", debtor_account_id=account.pk,
                                       counterparty_iban=IBAN, counterparty_name="Stadtwerke")

    assert preview.fee_total == D("0")
    assert not FeeUsage.objects.exists()
