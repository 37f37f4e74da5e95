"""The counterparty check: a listed counterparty holds the payment for review with an alert."""

from decimal import Decimal

import pytest

from compliance.cases.models import Alert
from compliance.screening import services
from compliance.screening.models import ScreeningHit
from core_banking.payments import services as payments
from core_banking.payments.models import Payment
from tests import banking
from tests.core_banking.ledger.interfaces import staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]
CHECKS = ["backoffice.limits.checks.LIMITS", "compliance.screening.checks.COUNTERPARTY"]


@pytest.fixture
def account(db, settings, sample):
    settings.CORE_BANKING_PAYMENT_CHECKS = CHECKS
    bank = banking.setup_bank()
    account = banking.account(banking.customer(first_name="Ada", last_name="Lovelace"), banking.product(bank))
    banking.fund(bank, account, "5000.00")
    return account


def outgoing(account, name, key, iban="DE89 3704 0044 0532 0130 00"):
    return payments.payment_create(kind="outgoing", amount=Decimal("100.00"), currency="EUR",
                                   debtor_account_id=account.pk, counterparty_iban=iban, counterparty_name=name,
                                   idempotency_key=key)[0]


def test_a_listed_counterparty_holds_the_payment_with_an_alert(account):
    payment = outgoing(account, "PAO Sberbank", "p1", iban="RU02 0445 2560 0407 0281 0412 3456 7890 1")
    assert payment.status == Payment.Status.PENDING_REVIEW
    hit = ScreeningHit.objects.get()
    assert (hit.payment_id, hit.context, hit.subject_reference, hit.external_id) == (
        payment.pk, "payment", f"payment:{payment.reference}", "sample-sberbank")
    alert = Alert.objects.get()
    assert (alert.customer_id, alert.payment_id, alert.source, alert.dedup_key) == (
        account.customer_id, payment.pk, "screening", f"payment:{payment.pk}:sample-sberbank")
    assert hit.alert_id == alert.pk
    assert [r["code"] for r in payment.review_reasons] == ["sanctions_screening"]
    assert payment.hold_id is not None  # the funds are held


def test_an_unlisted_counterparty_posts(account):
    payment = outgoing(account, "Stadtwerke München", "p2")
    assert payment.status == Payment.Status.POSTED
    assert not ScreeningHit.objects.exists() and not Alert.objects.exists()


def test_clearing_the_payment_hit_releases_the_held_payment(account):
    payment = outgoing(account, "PAO Sberbank", "p3", iban="RU02 0445 2560 0407 0281 0412 3456 7890 1")
    hit = ScreeningHit.objects.get(payment=payment)
    services.hit_decide(hit_id=hit.pk, status="cleared", note="a Swiss namesake, not the listed bank",
                        actor=staff_user("compliance_officer"))
    payment.refresh_from_db()
    alert = Alert.objects.get(pk=hit.alert_id)
    assert (payment.status, alert.status, alert.payment_action) == (Payment.Status.POSTED, "cleared", "released")
    assert payment.entry_id is not None
