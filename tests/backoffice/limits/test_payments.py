"""Limits through the payment engine's seam: a refused payment writes nothing, a held payment
counts, a rejected or returned payment gives its usage back."""

from decimal import Decimal

import pytest
from django.test import override_settings

from backoffice.limits import checks, services
from backoffice.limits.exceptions import LimitExceeded
from backoffice.limits.models import LimitUsage, LimitUsageRecord
from core_banking.ledger.selectors import account_balance
from core_banking.payments import services as payments
from core_banking.payments.models import Payment
from core_banking.payments.seams import Review
from tests import banking
from tests.core_banking.ledger.interfaces import assert_problem, ensure_roles, token_api

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]
D = Decimal
CHECKS = ["backoffice.limits.checks.LIMITS", "tests.backoffice.limits.test_payments.review_from_500"]


def review_from_500(intent):
    if intent.amount >= D("500"):
        return Review(code="large_amount", reason="500 or more")
    return None


def outgoing(account, amount, key):
    return payments.payment_create(kind="outgoing", amount=amount, currency="EUR", debtor_account_id=account.pk,
                                   counterparty_iban="DE89 3704 0044 0532 0130 00", counterparty_name="Stadtwerke",
                                   idempotency_key=key)[0]


def daily(account, payment):
    row = LimitUsage.objects.filter(scope_kind="account", scope_id=account.pk, channel="", period="day",
                                    period_start=payment.business_date).first()
    return (row.amount, row.count) if row else (D(0), 0)


@override_settings(CORE_BANKING_PAYMENT_CHECKS=CHECKS)
def test_usage_follows_the_payments_life(bank, retail, ada, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"), monthly_count=100)
    services.rule_create(customer_id=ada.pk, currency="EUR", daily_amount=D("5000.00"))
    banking.fund(bank, account, "5000.00")

    first = outgoing(account, "400.00", "p1")
    assert first.status == Payment.Status.POSTED and daily(account, first) == (D("400.00"), 1)

    held = outgoing(account, "500.00", "p2")  # held for review: it counts while it waits
    assert held.status == Payment.Status.PENDING_REVIEW and daily(account, first) == (D("900.00"), 2)
    assert LimitUsageRecord.objects.filter(payment=held).count() == 3  # account day and month, customer day

    with pytest.raises(LimitExceeded):
        outgoing(account, "200.00", "p3")
    assert not Payment.objects.filter(idempotency_key="p3").exists()  # refused: nothing written
    assert daily(account, first) == (D("900.00"), 2)

    payments.payment_reject(payment_id=held.pk, reason="Not confirmed by the customer")
    assert daily(account, first) == (D("400.00"), 1)
    assert not LimitUsageRecord.objects.filter(payment=held, released_at__isnull=True).exists()

    outgoing(account, "200.00", "p4")
    assert daily(account, first) == (D("600.00"), 2)

    payments.payment_return(payment_id=first.pk, reason="Beneficiary account closed")
    assert daily(account, first) == (D("200.00"), 1)
    customer = LimitUsage.objects.get(scope_kind="customer", scope_id=ada.pk, period="day")
    assert (customer.amount, customer.count) == (D("200.00"), 1)
    assert account_balance(account_id=account.ledger_account_id).posted == D("4800.00")


def test_a_second_release_gives_nothing_back_and_usage_never_goes_below_zero(bank, retail, account):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("1000.00"))
    banking.fund(bank, account, "1000.00")
    with override_settings(CORE_BANKING_PAYMENT_CHECKS=["backoffice.limits.checks.LIMITS"]):
        payment = outgoing(account, "300.00", "p1")
    assert daily(account, payment) == (D("300.00"), 1)

    checks.LIMITS.give_back(payment, None)
    assert daily(account, payment) == (D(0), 0)
    assert checks.give_back(payment=payment) == 0
    assert daily(account, payment) == (D(0), 0)

    # Someone set the counter lower by hand: the give-back stops at zero.
    record = LimitUsageRecord.objects.filter(payment=payment).first()
    LimitUsageRecord.objects.filter(pk=record.pk).update(released_at=None)
    LimitUsage.objects.filter(pk=record.usage_id).update(amount=D("100.00"), count=1)
    assert checks.give_back(payment=payment) >= 1
    assert daily(account, payment) == (D(0), 0)


@override_settings(CORE_BANKING_PAYMENT_CHECKS=["backoffice.limits.checks.LIMITS"])
def test_the_payments_api_shows_the_limit_in_its_problem_document(bank, retail, account):
    ensure_roles()
    services.rule_create(profile_code="RETAIL", currency="EUR", max_single_amount=D("250.00"))
    banking.fund(bank, account, "1000.00")
    api = token_api(scopes=["payments"])

    response = api.post("/api/v1/payments/", {
        "kind": "outgoing", "amount": "300.00", "currency": "EUR", "debtor_account_id": account.pk,
        "counterparty_iban": "DE89 3704 0044 0532 0130 00", "counterparty_name": "Stadtwerke",
    }, format="json", HTTP_IDEMPOTENCY_KEY="api-1")

    body = assert_problem(response, status=422, code="limit_exceeded")
    assert body["limit"] == "max_single_amount" and body["scope"] == "account" and body["channel"] == ""
    assert body["limit_amount"] == "250.00" and body["remaining"] == "250.00"
    assert "single-payment limit of 250.00 EUR" in body["detail"]


def test_without_the_limits_check_in_the_setting_nothing_is_given_back(bank, retail, account, monkeypatch):
    services.rule_create(profile_code="RETAIL", currency="EUR", daily_amount=D("5000.00"))
    banking.fund(bank, account, "5000.00")
    with override_settings(CORE_BANKING_PAYMENT_CHECKS=CHECKS):
        held = outgoing(account, "500.00", "p1")
        posted = outgoing(account, "100.00", "p2")
    assert held.status == Payment.Status.PENDING_REVIEW and daily(account, held) == (D("600.00"), 2)
    calls = []
    monkeypatch.setattr(checks, "give_back", lambda **kwargs: calls.append(kwargs))

    with override_settings(CORE_BANKING_PAYMENT_CHECKS=["tests.backoffice.limits.test_payments.review_from_500"]):
        payments.payment_reject(payment_id=held.pk, reason="Not confirmed by the customer")
        payments.payment_return(payment_id=posted.pk, reason="Beneficiary account closed")

    assert calls == []
    assert daily(account, held) == (D("600.00"), 2)
    assert not LimitUsageRecord.objects.filter(released_at__isnull=False).exists()
