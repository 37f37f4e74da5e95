"""Maker-checker worked examples: each action type executes the real service once approved."""

from decimal import Decimal

import pytest

from backoffice.approvals import services
from backoffice.approvals.models import ApprovalHistory, ApprovalRequest
from backoffice.limits.models import LimitRule
from backoffice.tariffs import services as tariffs
from core_banking.accounts.models import Account
from core_banking.audit.models import AuditEvent
from core_banking.customers.models import Customer
from core_banking.ledger.models import JournalEntry
from core_banking.ledger.selectors import account_balance
from core_banking.payments import services as payments
from core_banking.payments.models import Payment
from tests import banking

from .conftest import freeze_request

pytestmark = pytest.mark.django_db
D = Decimal
Status = ApprovalRequest.Status


def balance(ledger_account_id) -> Decimal:
    return account_balance(account_id=ledger_account_id).posted


def test_account_freeze_executes_once_a_checker_approves(account, people):
    request = freeze_request(account, people.ops)
    assert request.status == Status.PENDING and request.required_approvals == 1
    assert Account.objects.get(pk=account.pk).status == Account.Status.ACTIVE  # nothing happens before approval

    request = services.request_approve(request_id=request.pk, actor=people.officer, comment="confirmed")

    assert request.status == Status.EXECUTED and request.executed_at is not None
    assert request.result == {"account_id": account.pk, "status": "frozen"}
    assert Account.objects.get(pk=account.pk).status == Account.Status.FROZEN
    actions = list(ApprovalHistory.objects.filter(request=request).values_list("action", "from_status", "to_status"))
    assert actions == [("create", "", "pending"), ("approve", "pending", "approved"),
                       ("execute", "approved", "executed")]
    audit = set(AuditEvent.objects.filter(object_type="approvals.approvalrequest",
                                          object_id=str(request.pk)).values_list("action", flat=True))
    assert audit == {"approval.created", "approval.approved", "approval.executed"}


def test_unfreeze_then_close(bank, account, people):
    services.request_approve(request_id=freeze_request(account, people.ops).pk, actor=people.officer)
    unfreeze = services.request_create(action_type="account_unfreeze", actor=people.ops,
                                       payload={"account_id": account.pk, "reason": "cleared"})
    assert services.request_approve(request_id=unfreeze.pk, actor=people.officer).status == Status.EXECUTED
    assert Account.objects.get(pk=account.pk).status == Account.Status.ACTIVE
    close = services.request_create(action_type="account_close", actor=people.ops,
                                    payload={"account_id": account.pk, "reason": "customer left"})
    close = services.request_approve(request_id=close.pk, actor=people.ops2)
    # Not empty: the close is refused by the accounts service and recorded.
    assert close.status == Status.APPROVED and close.execution_error.startswith("account_not_empty")
    assert Account.objects.get(pk=account.pk).status == Account.Status.ACTIVE


def adjustment(account, bank, amount: str) -> dict:
    return {"postings": [{"account_id": bank.cash["EUR"].pk, "amount": amount},
                         {"account_id": account.ledger_account_id, "amount": f"-{amount}"}],
            "description": "goodwill credit"}


def test_adjustment_above_the_threshold_needs_two_approvals(bank, account, people):
    request = services.request_create(action_type="ledger_adjustment", actor=people.finance,
                                      payload=adjustment(account, bank, "15000.00"))
    assert request.required_approvals == 2 and request.amount == D("15000.00") and request.currency == "EUR"
    before = balance(account.ledger_account_id)

    request = services.request_approve(request_id=request.pk, actor=people.finance2)
    assert request.status == Status.PENDING and request.approvals_count == 1
    assert JournalEntry.objects.filter(kind="adjustment").count() == 0

    request = services.request_approve(request_id=request.pk, actor=people.officer)
    assert request.status == Status.EXECUTED
    entry = JournalEntry.objects.get(pk=request.result["entry_id"])
    assert entry.kind == "adjustment" and entry.idempotency_key == f"approval:{request.pk}"
    assert balance(account.ledger_account_id) == before + D("15000.00")  # credited to the customer


def test_adjustment_below_the_threshold_needs_one(bank, account, people):
    request = services.request_create(action_type="ledger_adjustment", actor=people.finance,
                                      payload=adjustment(account, bank, "10.00"))
    assert request.required_approvals == 1
    assert services.request_approve(request_id=request.pk, actor=people.finance2).status == Status.EXECUTED


def test_reversal(bank, account, people):
    entry = JournalEntry.objects.filter(postings__account_id=account.ledger_account_id).first()
    request = services.request_create(action_type="reversal", actor=people.ops,
                                      payload={"entry_id": entry.pk, "reason": "posted twice"})
    assert request.amount == D("1000.00") and request.required_approvals == 1
    request = services.request_approve(request_id=request.pk, actor=people.finance2)
    assert request.status == Status.EXECUTED
    assert JournalEntry.objects.get(pk=request.result["entry_id"]).reverses_id == entry.pk
    assert balance(account.ledger_account_id) == 0


def review_large(intent):
    from core_banking.payments.seams import Review

    if intent.amount >= D("500"):
        return Review(code="large_amount", reason="500 or more", details={"threshold": "500"})
    return None


def test_payment_release(settings, bank, account, eur_product, people):
    settings.CORE_BANKING_PAYMENT_CHECKS = ["tests.backoffice.approvals.test_worked_examples.review_large"]
    other = banking.account(banking.customer(), eur_product)
    payment, _ = payments.payment_create(kind="internal_transfer", amount="600.00", currency="EUR",
                                         debtor_account_id=account.pk, creditor_account_id=other.pk,
                                         idempotency_key="big-one")
    assert payment.status == Payment.Status.PENDING_REVIEW
    request = services.request_create(action_type="payment_release", actor=people.reviewer,
                                      payload={"payment_id": payment.pk, "reason": "documents checked"})
    assert request.amount == D("600.00") and request.required_approvals == 1
    request = services.request_approve(request_id=request.pk, actor=people.officer)
    assert request.status == Status.EXECUTED and request.result["status"] == "posted"
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.POSTED


def test_kyc_override(ada, people):
    request = services.request_create(action_type="kyc_override", actor=people.reviewer,
                                      payload={"customer_id": ada.pk, "status": "rejected", "reason": "fraud"})
    request = services.request_approve(request_id=request.pk, actor=people.officer)
    assert request.status == Status.EXECUTED
    assert Customer.objects.get(pk=ada.pk).kyc_status == "rejected"


def test_limit_change(account, people):
    request = services.request_create(action_type="limit_change", actor=people.ops, payload={
        "operation": "create", "account_id": account.pk, "reason": "customer asked",
        "fields": {"currency": "EUR", "max_single_amount": "250.00"}})
    assert request.target_key == f"limit_scope:account_id={account.pk}:*:EUR"
    request = services.request_approve(request_id=request.pk, actor=people.officer)
    assert request.status == Status.EXECUTED, request.execution_error
    rule = LimitRule.objects.get(pk=request.result["rule_id"])
    assert rule.account_id == account.pk and rule.max_single_amount == D("250.00")

    update = services.request_create(action_type="limit_change", actor=people.ops, payload={
        "operation": "update", "rule_id": rule.pk, "reason": "raise", "fields": {"max_single_amount": "500"}})
    assert services.request_approve(request_id=update.pk, actor=people.finance).status == Status.EXECUTED
    rule.refresh_from_db()
    assert rule.max_single_amount == D("500")


def test_tariff_change(people):
    plan = tariffs.plan_create(code="STANDARD", name="Standard")
    request = services.request_create(action_type="tariff_change", actor=people.ops, payload={
        "operation": "plan_update", "plan_id": plan.pk, "is_active": False, "reason": "retired"})
    request = services.request_approve(request_id=request.pk, actor=people.finance)
    assert request.status == Status.EXECUTED
    plan.refresh_from_db()
    assert plan.is_active is False
