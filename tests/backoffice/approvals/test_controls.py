"""Issue 16 regressions: maker-checker that nothing bypasses, people (not tokens) as makers and
checkers, payments and ledger that never disagree. Each test goes through the real HTTP stack
and also asserts that nothing was written."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections

from backoffice.approvals import services as approvals
from backoffice.approvals.exceptions import ApprovalPermissionRefused, SelfApprovalForbidden
from backoffice.approvals.models import ApprovalRequest
from core_banking.common.errors import DomainError
from core_banking.ledger.models import JournalEntry
from core_banking.ledger.selectors import account_balance
from core_banking.payments.books import payments_books_check
from core_banking.payments.models import Payment
from tests import banking
from tests.core_banking.ledger.interfaces import assert_problem, staff_api, staff_user, token_api

pytestmark = pytest.mark.django_db
D = Decimal
ENTRIES = "/api/v1/ledger/entries/"


def _entries() -> int:
    return JournalEntry.objects.count()


def test_an_api_clients_50000_adjustment_waits_for_two_checkers(account, bank):
    """Finding 2: an `adjustment` of 50,000.00 EUR by an API client (the policy's threshold is
    10,000) answered 201 and posted at once."""
    maker = token_api(role="finance", scopes=("ledger",))
    before, balance = _entries(), account_balance(account_id=account.ledger_account_id).posted
    body = {"kind": "adjustment", "description": "goodwill credit",
            "postings": [{"account_id": bank.cash["EUR"].pk, "amount": "50000.00"},
                         {"account_id": account.ledger_account_id, "amount": "-50000.00"}]}

    response = maker.post(ENTRIES, body, format="json", HTTP_IDEMPOTENCY_KEY="adj-1")

    assert response.status_code == 202, response.content
    request = ApprovalRequest.objects.get(pk=response.json()["id"])
    assert (request.action_type, request.status, request.required_approvals) == ("ledger_adjustment", "pending", 2)
    assert request.maker == maker.api_client.user
    assert "Waits for 2 more approval(s) by finance, compliance_officer" in response.json()["next_step"]
    assert _entries() == before  # nothing posted

    first = staff_api(staff_user("finance")).post(f"{response['Location']}approve/", {}, format="json")
    assert first.json()["status"] == "pending" and _entries() == before
    second = staff_api(staff_user("compliance_officer")).post(f"{response['Location']}approve/", {}, format="json")
    assert second.json()["status"] == "executed", second.content
    assert _entries() == before + 1
    assert account_balance(account_id=account.ledger_account_id).posted == balance + D("50000.00")


def test_an_adjustment_cannot_slip_through_the_bulk_path(account, bank):
    maker = token_api(role="finance", scopes=("ledger",))
    before = _entries()
    body = {"entries": [{"kind": "adjustment", "description": "x",
                         "postings": [{"account_id": bank.cash["EUR"].pk, "amount": "1.00"},
                                      {"account_id": account.ledger_account_id, "amount": "-1.00"}]}]}

    response = maker.post(f"{ENTRIES}bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="bulk-adj")

    assert assert_problem(response, status=400, code="unknown_field")["field"] == "entries[0].kind"
    assert "adjustment" in response.content.decode()
    assert _entries() == before and not ApprovalRequest.objects.exists()


def test_the_owner_of_the_makers_api_client_cannot_approve_and_tokens_decide_nothing(account):
    """Finding 5: maker and checker are compared as people; two clients of one person, or a
    client and its owner, are one person."""
    owner = staff_user("operations", username="client-owner")
    maker = token_api(role="operations", scopes=("accounts",), owner=owner)
    asked = maker.post(f"/api/v1/accounts/{account.pk}/freeze/", {"reason": "fraud engine"}, format="json")
    assert asked.status_code == 202, asked.content
    request_id = asked.json()["id"]

    assert_problem(staff_api(owner).post(f"/api/v1/approvals/{request_id}/approve/", {}, format="json"),
                   status=403, code="self_approval_forbidden")
    with pytest.raises(SelfApprovalForbidden):
        approvals.request_approve(request_id=request_id, actor=owner)
    sibling = token_api(role="operations", scopes=("approvals",), owner=owner)
    with pytest.raises((SelfApprovalForbidden, ApprovalPermissionRefused)):
        approvals.request_approve(request_id=request_id, actor=sibling.api_client.user)
    stranger = token_api(role="compliance_officer", scopes=("approvals",))
    with pytest.raises(ApprovalPermissionRefused):  # a token decides nothing, whoever owns it
        approvals.request_approve(request_id=request_id, actor=stranger.api_client.user)

    account.refresh_from_db()
    assert account.status == "active"
    assert ApprovalRequest.objects.get(pk=request_id).status == "pending"


def test_a_payment_entry_is_undone_only_by_the_payment_and_the_books_agree(account, bank, ada):
    """Finding 3: a raw reversal of a payment's entry, then the payment's return, debited the
    customer twice, and nothing noticed."""
    payer = token_api(role="api_client", scopes=("payments",))
    payment = payer.post("/api/v1/payments/", {
        "kind": "outgoing", "amount": "60.00", "currency": "EUR", "debtor_account_id": account.pk,
        "counterparty_iban": "DE89370400440532013000", "counterparty_name": "Closed Co"},
        format="json", HTTP_IDEMPOTENCY_KEY="p-1").json()
    entry_id = Payment.objects.get(pk=payment["id"]).entry_id
    before = _entries()

    for api in (token_api(role="finance", scopes=("ledger",)), staff_api(staff_user("finance"))):
        assert_problem(api.post(f"{ENTRIES}{entry_id}/reverse/", {"reason": "hostile"}, format="json",
                                HTTP_IDEMPOTENCY_KEY="rev"), status=409, code="payment_entry")
    assert _entries() == before and not ApprovalRequest.objects.exists()

    returned = staff_api(staff_user("operations")).post(f"/api/v1/payments/{payment['id']}/return/",
                                                        {"reason": "AC04"}, format="json")
    assert returned.status_code == 200, returned.content
    assert _entries() == before + 1
    assert account_balance(account_id=account.ledger_account_id).posted == D("1000.00")
    assert payments_books_check().ok


def test_the_engine_refuses_a_forged_payment_marker(account, bank):
    api = token_api(role="finance", scopes=("ledger",))
    body = {"postings": [{"account_id": bank.cash["EUR"].pk, "amount": "1.00"},
                         {"account_id": account.ledger_account_id, "amount": "-1.00"}],
            "metadata": {"payment": "PAY-FORGED"}}
    assert_problem(api.post(ENTRIES, body, format="json", HTTP_IDEMPOTENCY_KEY="forge"), status=400,
                   code="validation_error")


@pytest.mark.django_db(transaction=True)
def test_two_checkers_approving_at_once_execute_the_request_once(bank, ada, eur_product):
    account = banking.account(ada, eur_product)
    banking.fund(bank, account, "100.00")
    maker = staff_user("finance", username="maker")
    checkers = [staff_user("finance", username="checker-1"), staff_user("finance", username="checker-2")]
    request = approvals.request_create(action_type="ledger_adjustment", actor=maker, payload={
        "description": "correction", "postings": [{"account_id": bank.cash["EUR"].pk, "amount": "5.00"},
                                                  {"account_id": account.ledger_account_id, "amount": "-5.00"}]})
    before = _entries()
    barrier, outcomes = threading.Barrier(2), []

    def decide(checker):
        try:
            barrier.wait()
            outcomes.append(approvals.request_approve(request_id=request.pk, actor=checker).status)
        except DomainError as error:
            outcomes.append(error.code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=decide, args=(checker,)) for checker in checkers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["executed", "transition_not_allowed"], outcomes
    assert _entries() == before + 1
    assert account_balance(account_id=account.ledger_account_id).posted == D("105.00")


def test_a_release_above_the_policys_exemption_waits_for_a_compliance_officer(bank, ada, eur_product, settings):
    settings.CORE_BANKING_PAYMENT_CHECKS = ["tests.backoffice.approvals.test_controls.review_everything"]
    account = banking.account(ada, eur_product)
    other = banking.account(banking.customer(first_name="Bram", last_name="de Vries"), eur_product)
    banking.fund(bank, account, "80000.00")
    payer = token_api(role="api_client", scopes=("payments",))
    big = payer.post("/api/v1/payments/", {"kind": "internal_transfer", "amount": "60000.00", "currency": "EUR",
                                           "debtor_account_id": account.pk, "creditor_account_id": other.pk},
                     format="json", HTTP_IDEMPOTENCY_KEY="big").json()
    assert big["status"] == "pending_review"
    before = _entries()

    asked = staff_api(staff_user("compliance_reviewer")).post(f"/api/v1/payments/{big['id']}/release/",
                                                              {"reason": "documents checked"}, format="json")

    assert asked.status_code == 202, asked.content
    assert Payment.objects.get(pk=big["id"]).status == "pending_review" and _entries() == before
    assert asked.json()["required_approvals"] == 2  # above the 50,000 threshold: one more approval
    first = staff_api(staff_user("compliance_officer")).post(f"{asked['Location']}approve/", {}, format="json")
    assert first.json()["status"] == "pending" and _entries() == before
    decided = staff_api(staff_user("compliance_officer")).post(f"{asked['Location']}approve/", {}, format="json")
    assert decided.json()["status"] == "executed", decided.content
    assert Payment.objects.get(pk=big["id"]).status == "posted" and _entries() == before + 1
    assert payments_books_check().ok


def review_everything(intent):
    from core_banking.payments.seams import Review

    return Review(code="manual", reason="every payment is reviewed in this test")


def test_setting_kyc_outside_the_review_is_an_override_that_waits_for_an_officer(ada):
    from core_banking.customers import services as customers

    officer_maker = staff_user("compliance_officer", username="kyc-maker")
    result = customers.customer_set_kyc_status(customer_id=ada.pk, status="rejected", actor=officer_maker,
                                               reason="adverse media")
    ada.refresh_from_db()
    assert ada.kyc_status == "approved" and ApprovalRequest.objects.get(pk=result.request_id).action_type == \
        "kyc_override"
    approvals.request_approve(request_id=result.request_id, actor=staff_user("compliance_officer"))
    ada.refresh_from_db()
    assert ada.kyc_status == "rejected"
