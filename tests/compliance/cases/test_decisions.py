"""Deciding an alert on a payment held for review releases or rejects the payment; the ledger
(posted and available balances, the hold) follows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from compliance.cases import services
from compliance.cases.models import Case
from core_banking.ledger.models import Hold
from core_banking.payments.models import Payment

from .conftest import balance, held_payment, raise_alert

pytestmark = pytest.mark.django_db
D = Decimal


def _assigned(alert, people):
    services.case_assign(case_id=alert.case_id, assignee=people.reviewer, actor=people.officer)


def test_clearing_releases_the_held_payment(world, people):
    payment = held_payment(world)
    assert balance(world.a).posted == D("100000.00") and balance(world.a).available == D("98800.00")
    alert = raise_alert(world.ada, f"{payment.pk}:large", payment=payment)
    _assigned(alert, people)
    decided = services.alert_decide(alert_id=alert.pk, decision="clear", note="known supplier", actor=people.reviewer)
    assert decided.status == "cleared" and decided.payment_action == "released"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.POSTED
    assert Hold.objects.get(pk=payment.hold_id).status == "voided"
    assert balance(world.a).posted == balance(world.a).available == D("98800.00")
    assert balance(world.b).posted == D("1200.00")


def test_confirming_rejects_the_held_payment_and_gives_the_funds_back(world, people):
    payment = held_payment(world)
    alert = raise_alert(world.ada, f"{payment.pk}:large", payment=payment)
    _assigned(alert, people)
    decided = services.alert_decide(alert_id=alert.pk, decision="confirm", note="mule account", actor=people.reviewer)
    assert decided.status == "confirmed" and decided.payment_action == "rejected"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REJECTED and payment.entry_id is None
    assert Hold.objects.get(pk=payment.hold_id).status == "voided"
    assert balance(world.a).posted == balance(world.a).available == D("100000.00")
    assert balance(world.b).posted == D("0.00")


def test_a_large_release_awaits_maker_checker_approval(world, people):
    payment = held_payment(world, amount="60000.00", key="big")
    alert = raise_alert(world.ada, f"{payment.pk}:large", payment=payment, score=90)
    _assigned(alert, people)
    decided = services.alert_decide(alert_id=alert.pk, decision="clear", note="verified contract",
                                    actor=people.reviewer)
    assert decided.status == "cleared" and decided.payment_action == "release_pending_approval"
    assert decided.payment_approval_request_id is not None
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING_REVIEW  # still held: a second person approves the release
    assert balance(world.a).available == D("40000.00")
    from backoffice.approvals.models import ApprovalRequest

    request = ApprovalRequest.objects.get(pk=decided.payment_approval_request_id)
    assert request.action_type == "payment_release" and request.status == "pending"


def test_an_alert_whose_payment_is_no_longer_held_records_it(world, people):
    payment = held_payment(world)
    alert = raise_alert(world.ada, f"{payment.pk}:large", payment=payment)
    from core_banking.payments import services as payments

    payments.payment_reject(payment_id=payment.pk, actor=people.officer, reason="rejected by hand")
    decided = services.alert_decide(alert_id=alert.pk, decision="confirm", note="agreed", actor=people.officer)
    assert decided.payment_action == "not_held"


def test_a_refused_release_changes_nothing(world, people):
    payment = held_payment(world)
    alert = raise_alert(world.ada, f"{payment.pk}:large", payment=payment)
    from tests import banking

    banking.account_transition(account_id=world.a.pk, action="freeze", reason="court order")
    with pytest.raises(Exception) as refused:
        services.alert_decide(alert_id=alert.pk, decision="clear", note="ok", actor=people.officer)
    assert getattr(refused.value, "code", "")  # the payment's own refusal code, e.g. account_frozen
    alert.refresh_from_db()
    payment.refresh_from_db()
    assert alert.status == "open" and payment.status == "pending_review"
    assert Case.objects.get(pk=alert.case_id).history.filter(action__startswith="alert_").count() == 0
