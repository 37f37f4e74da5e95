"""Hold, reject and give-back through the payment engine; versions are immutable."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from compliance.cases.models import Alert, Case
from compliance.monitoring.exceptions import ComplianceRejected
from compliance.monitoring.models import CustomerDay, MonitoredFlow, RuleVersion
from core_banking.ledger.selectors import account_balance
from core_banking.payments import services as payments
from core_banking.payments.models import Payment
from tests import banking

from .conftest import CHECKS, pay, rule

D = Decimal


@pytest.mark.django_db
@pytest.mark.usefixtures("maker_checker_direct", "monitored")
def test_a_held_payment_keeps_the_funds_held_and_its_alert_is_on_the_case(bank, account):
    rule("TM-LARGE-HOLD", "large_amount", {"threshold": "1000"}, action="hold", score=80)
    banking.fund(bank, account, "5000.00")
    held = pay("outgoing", account, "1500.00")

    assert held.status == Payment.Status.PENDING_REVIEW
    balance = account_balance(account_id=account.ledger_account_id)
    assert balance.posted == D("5000.00") and balance.available == D("3500.00")
    (reason,) = held.review_reasons
    assert reason["code"] == "TM-LARGE-HOLD" and reason["details"]["rule_version"] == 1
    assert reason["details"]["facts"]["amount_base"] == "1500.00"
    case = Case.objects.get(customer=account.customer)
    (alert,) = case.alerts.all()
    assert (alert.payment_id, alert.rule_code, alert.rule_version, alert.score) == (held.pk, "TM-LARGE-HOLD", 1, 80)
    assert alert.facts["action"] == "hold" and alert.facts["threshold"] == "1000"
    assert case.score == 80

    payments.payment_reject(payment_id=held.pk, reason="customer could not explain it")
    assert MonitoredFlow.objects.get(payment=held).released_at is not None
    day = CustomerDay.objects.get(customer=account.customer, direction="out")
    assert (day.count, day.amount_base) == (0, D(0))
    assert account_balance(account_id=account.ledger_account_id).available == D("5000.00")


@pytest.mark.django_db
@pytest.mark.usefixtures("maker_checker_direct", "monitored")
def test_the_strongest_action_wins_and_every_rule_that_fired_alerts(bank, account):
    rule("TM-LARGE", "large_amount", {"threshold": "100"}, action="alert", score=30)
    rule("TM-NEW", "new_counterparty_large", {"threshold": "100"}, action="hold", score=60)
    banking.fund(bank, account, "5000.00")
    held = pay("outgoing", account, "500.00")
    assert held.status == Payment.Status.PENDING_REVIEW and held.review_reasons[0]["code"] == "TM-NEW"
    assert set(Alert.objects.values_list("rule_code", flat=True)) == {"TM-LARGE", "TM-NEW"}


@pytest.mark.django_db
@pytest.mark.usefixtures("maker_checker_direct", "monitored")
def test_a_returned_payment_gives_its_flows_back_once(bank, account):
    pay("incoming", account, "700.00")
    payment = Payment.objects.get()
    payments.payment_return(payment_id=payment.pk, reason="sent back")
    assert CustomerDay.objects.get(customer=account.customer).count == 0
    from compliance.monitoring.engine import flows_release

    assert flows_release(payment.pk) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("maker_checker_direct")
def test_a_rejected_payment_writes_nothing_but_its_alert_survives(settings, bank, account):
    settings.CORE_BANKING_PAYMENT_CHECKS = CHECKS
    rule("TM-HRC-BLOCK", "high_risk_country", {"countries": ["AE"]}, action="reject", score=95)
    banking.fund(bank, account, "5000.00")
    for _attempt in range(2):  # a client's retry with the same key: one alert
        with pytest.raises(ComplianceRejected) as refused:
            payments.payment_create(kind="outgoing", amount="100.00", currency="EUR", debtor_account_id=account.pk,
                                    counterparty_iban="AE070331234567890123456", counterparty_name="X",
                                    idempotency_key="retry-me")
    assert refused.value.code == "compliance_rejected" and refused.value.extra["rule"] == "TM-HRC-BLOCK"
    assert not Payment.objects.filter(idempotency_key="retry-me").exists()
    assert not MonitoredFlow.objects.exists() and not CustomerDay.objects.exists()
    (alert,) = Alert.objects.all()
    assert alert.payment_id is None and alert.rule_version == 1 and alert.score == 95
    assert alert.facts["refused"] is True and alert.facts["idempotency_key"] == "retry-me"
    assert alert.case.customer_id == account.customer_id
    assert account_balance(account_id=account.ledger_account_id).available == D("5000.00")


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_version():
    rule("TM-LARGE", "large_amount", {"threshold": "100"})
    version = RuleVersion.objects.get()
    for sql in ("UPDATE compliance_monitoring_ruleversion SET score = 1 WHERE id = %s",
                "DELETE FROM compliance_monitoring_ruleversion WHERE id = %s"):
        with pytest.raises((IntegrityError, InternalError), match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(sql, [version.pk])
    assert RuleVersion.objects.get().score == 50
