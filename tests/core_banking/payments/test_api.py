"""The payments API as a partner app and as staff use it."""

from decimal import Decimal

import pytest
from django.test import override_settings

from core_banking.ledger.selectors import account_balance
from core_banking.payments.models import Payment
from tests import banking
from tests.banking import account_transition
from tests.core_banking.api_auth import assert_problem, client_api, ensure_roles, staff_api, staff_user

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def app():
    return client_api(scopes=["payments"])


@pytest.fixture
def accounts(bank, eur_product, ada, bram):
    a, b = banking.account(ada, eur_product), banking.account(bram, eur_product)
    banking.fund(bank, a, "100.00")
    return a, b


def pay(api, body, key="k-1"):
    return api.post(PAYMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def transfer_body(a, b, amount="25.00", **extra):
    return {"kind": "internal_transfer", "amount": amount, "currency": "EUR", "debtor_account_id": a.pk,
            "creditor_account_id": b.pk, **extra}


@pytest.mark.both
def test_a_client_pays_and_a_retry_replays(app, accounts):
    a, b = accounts
    response = pay(app, transfer_body(a, b, remittance_info="Invoice 7"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "posted" and body["amount"] == "25.00" and body["debtor_iban"] == a.iban
    assert [c["to_status"] for c in body["status_changes"]] == ["initiated", "posted"]
    again = pay(app, transfer_body(a, b, remittance_info="Invoice 7"))
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"]
    conflict = pay(app, transfer_body(a, b, amount="26.00"))
    assert_problem(conflict, status=409, code="idempotency_conflict")
    assert account_balance(account_id=a.ledger_account_id).posted == Decimal("75.00")


@pytest.mark.parametrize(("body_change", "status", "code"), [
    ({"amount": "500.00"}, 422, "insufficient_funds"),
    ({"amount": "1.001"}, 400, "invalid_amount"),
    ({"amount": "-1.00"}, 400, "invalid_amount"),
    ({"amount": 10}, 400, "validation_error"),
    ({"currency": "USD"}, 400, "currency_mismatch"),
])
def test_refusals_are_problems_and_write_nothing(app, accounts, body_change, status, code):
    a, b = accounts
    response = pay(app, {**transfer_body(a, b), **body_change})
    assert_problem(response, status=status, code=code)
    assert not Payment.objects.exists()


def test_an_outgoing_payment_needs_a_valid_iban(app, accounts):
    a, _ = accounts
    body = {"kind": "outgoing", "amount": "5.00", "currency": "EUR", "debtor_account_id": a.pk,
            "counterparty_iban": "DE89370400440532013001", "counterparty_name": "Shop"}
    assert_problem(pay(app, body), status=422, code="invalid_iban")


def test_a_frozen_account_cannot_pay_or_be_paid(app, accounts):
    a, b = accounts
    account_transition(account_id=a.pk, action="freeze", reason="court order")
    assert_problem(pay(app, transfer_body(a, b)), status=422, code="account_frozen")
    account_transition(account_id=a.pk, action="unfreeze")
    account_transition(account_id=b.pk, action="block_credits")
    assert_problem(pay(app, transfer_body(a, b), key="k-2"), status=422, code="account_credit_blocked")


def test_the_key_header_is_required(app, accounts):
    a, b = accounts
    response = app.post(PAYMENTS, transfer_body(a, b), format="json")
    assert_problem(response, status=400, code="idempotency_key_required")


@pytest.mark.both
def test_scopes_and_permissions(accounts):
    a, b = accounts
    no_scope = client_api(scopes=["ledger"])
    assert_problem(pay(no_scope, transfer_body(a, b)), status=403, code="permission_denied")
    support = staff_api(staff_user("support_agent"))
    assert_problem(pay(support, transfer_body(a, b)), status=403, code="permission_denied")
    assert support.get(PAYMENTS).status_code == 200


@override_settings(CORE_BANKING_FEE_POLICY="tests.core_banking.payments.test_worked_examples.flat_fee")
def test_preview_shows_the_fee_and_writes_nothing(app, accounts):
    a, b = accounts
    response = app.post(f"{PAYMENTS}preview/", transfer_body(a, b), format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["fee_total"] == "0.50" and body["total_debit"] == "25.50"
    assert body["fees"][0]["code"] == "TEST/flat"
    assert not Payment.objects.exists()


def test_support_finds_a_payment_by_iban_reference_and_amount(app, accounts):
    a, b = accounts
    first = pay(app, transfer_body(a, b, amount="10.00"), key="a").json()
    pay(app, transfer_body(a, b, amount="20.00"), key="b")
    support = staff_api(staff_user("support_agent"))
    by_ref = support.get(PAYMENTS, {"reference": first["reference"]}).json()["results"]
    assert [p["id"] for p in by_ref] == [first["id"]]
    by_iban = support.get(PAYMENTS, {"iban": b.iban}).json()["results"]
    assert len(by_iban) == 2
    by_amount = support.get(PAYMENTS, {"amount_min": "15.00", "amount_max": "25.00"}).json()["results"]
    assert [p["amount"] for p in by_amount] == ["20.00"]
    by_customer = support.get(PAYMENTS, {"customer": a.customer_id}).json()["results"]
    assert len(by_customer) == 2


@override_settings(CORE_BANKING_PAYMENT_CHECKS=["tests.core_banking.payments.test_worked_examples.review_large"])
def test_only_a_reviewer_releases_a_held_payment(app, bank, accounts):
    a, b = accounts
    banking.fund(bank, a, "2000.00")
    held = pay(app, transfer_body(a, b, amount="1500.00")).json()
    assert held["status"] == "pending_review" and held["hold_id"]
    url = f"{PAYMENTS}{held['id']}/release/"
    assert_problem(app.post(url, {}, format="json"), status=403, code="permission_denied")
    reviewer = staff_api(staff_user("compliance_reviewer"))
    released = reviewer.post(url, {"reason": "documents checked"}, format="json")
    assert released.status_code == 200, released.content
    assert released.json()["status"] == "posted"
    again = reviewer.post(url, {}, format="json")
    assert_problem(again, status=409, code="payment_state_refused")


def test_fx_rates_and_quotes(app, bank, ada, eur_product):
    ops = staff_api(staff_user("operations"))
    created = ops.post("/api/v1/fx/rates/", {"base": "EUR", "quote": "USD", "mid_rate": "1.0850",
                                             "spread": "0.004"}, format="json")
    assert created.status_code == 201, created.content
    assert [r["quote"] for r in ops.get("/api/v1/fx/rates/").json()] == ["USD"]
    quote = app.post("/api/v1/fx/quotes/", {"sell_currency": "EUR", "buy_currency": "USD",
                                            "sell_amount": "100.00"}, format="json")
    assert quote.status_code == 201, quote.content
    assert quote.json()["buy_amount"] == "108.07"  # 100 * 1.0850 * 0.996 = 108.066
    assert_problem(app.post("/api/v1/fx/quotes/", {"sell_currency": "EUR", "buy_currency": "JPY",
                                                   "sell_amount": "1.00"}, format="json"),
                   status=422, code="fx_rate_unavailable")


@pytest.mark.both
@pytest.mark.django_db(transaction=True)
def test_a_committed_payment_is_answered_201_even_if_the_session_dies_after_the_commit(app, accounts, monkeypatch):
    """The response body is rendered inside the payment's transaction; the database session is
    terminated right after the commit, and the client still gets its 201 with the payment."""
    import psycopg
    from django.db import connection, transaction

    from core_banking.audit.models import AuditEvent
    from core_banking.payments.services import create

    def kill_after_commit():
        pid = connection.connection.info.backend_pid
        settings = connection.settings_dict
        with psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None, user=settings["USER"],
                             dbname=settings["NAME"], autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", [pid])

    original = create.audit_record

    def audit_then_arm(**kwargs):
        transaction.on_commit(kill_after_commit)
        return original(**kwargs)

    monkeypatch.setattr(create, "audit_record", audit_then_arm)
    a, b = accounts
    response = pay(app, transfer_body(a, b), key="dies-after-commit")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "posted" and body["amount"] == "25.00"
    connection.close()
    monkeypatch.setattr(create, "audit_record", original)
    assert Payment.objects.get(pk=body["id"]).status == "posted"
    assert AuditEvent.objects.filter(action="http.request", request_id=response["X-Request-ID"]).exists()
    replay = pay(app, transfer_body(a, b), key="dies-after-commit")  # the client's retry, if it never got the 201
    assert replay.status_code == 200 and replay.json()["id"] == body["id"]
