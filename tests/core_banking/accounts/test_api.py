"""The products and accounts REST API: authentication, scopes and permissions, the catalogue,
opening, balances, the lifecycle and overdrafts, and every refusal as application/problem+json
with its stable code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core_banking.accounts.models import Account, Product
from core_banking.ledger import services as ledger
from core_banking.ledger.selectors import account_balance
from tests import banking
from tests.banking import account_transition
from tests.core_banking.api_auth import (
    assert_problem,
    client_api,
    ensure_roles,
    grant,
    no_approval_requests,
    staff_api,
    staff_user,
)

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
ACCOUNTS = "/api/v1/accounts/"
VIEW_PRODUCT, ADD_PRODUCT = "accounts.view_product", "accounts.add_product"
VIEW, ADD, CHANGE = "accounts.view_account", "accounts.add_account", "accounts.change_account"


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def operator():
    """An operations staff member (who may ask for freezes and closures) with every product and
    account permission, verified second factor."""
    user = staff_user("operations")
    grant(user, VIEW_PRODUCT, ADD_PRODUCT, VIEW, ADD, CHANGE)
    return staff_api(user)


@pytest.fixture
def checker():
    """A compliance officer: approves freezes, unfreezes and closures."""
    return staff_api(staff_user("compliance_officer"))


def approved(checker, response) -> dict:
    """A 202 with its approval request, then the checker's approval: the executed request."""
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and response["Location"] == f"/api/v1/approvals/{body['id']}/"
    decision = checker.post(f"{response['Location']}approve/", {"comment": "seen"}, format="json")
    assert decision.status_code == 200, decision.content
    assert decision.json()["status"] == "executed", decision.json()
    return decision.json()


@pytest.fixture
def partner():
    """An API client with the accounts scope that may view products and view and open accounts."""
    api = client_api(scopes=["accounts"])
    grant(api.user, VIEW_PRODUCT, VIEW, ADD)
    return api


def url(account, suffix: str = "") -> str:
    return f"{ACCOUNTS}{account.pk if hasattr(account, 'pk') else account}/{suffix}"


def product_body(bank, **fields) -> dict:
    return {"code": "SAV-EUR", "name": "Savings EUR", "kind": "savings", "currency": "EUR",
            "gl_account_id": bank.deposits.pk, **fields}


# --- authentication, scope and permissions -------------------------------------------------


@pytest.mark.backoffice
@pytest.mark.parametrize("path", [PRODUCTS, ACCOUNTS, f"{ACCOUNTS}1/", f"{ACCOUNTS}1/balance/"])
def test_without_credentials_the_api_answers_401_problem(api_client, path):
    assert_problem(api_client.get(path), status=401, code="not_authenticated")


@pytest.mark.both
def test_a_token_without_the_accounts_scope_is_refused(account):
    api = client_api(scopes=["customers", "ledger"])
    grant(api.user, VIEW_PRODUCT, VIEW, ADD, CHANGE)

    for response in (api.get(ACCOUNTS), api.get(PRODUCTS), api.post(url(account, "freeze/"), {"reason": "x"})):
        body = assert_problem(response, status=403, code="permission_denied")
        assert "accounts" in body["detail"]


@pytest.mark.parametrize(("perms", "method", "path", "body"), [
    ((), "get", PRODUCTS, None),
    ((VIEW_PRODUCT,), "post", PRODUCTS, {}),
    ((VIEW_PRODUCT,), "get", ACCOUNTS, None),
    ((VIEW,), "post", ACCOUNTS, {}),
    ((VIEW,), "get", "{products}", None),
    ((VIEW, ADD), "post", "{account}freeze/", {"reason": "x"}),
    ((VIEW, ADD), "post", "{account}close/", {"reason": "x"}),
    ((VIEW, ADD), "post", "{account}overdraft/", {"limit": "1.00", "reason": "x"}),
    ((VIEW_PRODUCT,), "get", "{account}balance/", None),
])
def test_each_endpoint_needs_its_model_permission(account, perms, method, path, body):
    user = staff_user()
    grant(user, *perms)
    path = path.format(account=url(account), products=f"{PRODUCTS}{account.product_id}/")

    response = getattr(staff_api(user), method)(path, body, format="json")

    problem = assert_problem(response, status=403, code="permission_denied")
    assert "Missing permission" in problem["detail"]
    account.refresh_from_db()
    assert account.status == "active"


# --- products ------------------------------------------------------------------------------


def test_a_product_is_defined_with_its_amounts_as_strings_in_the_currency_units(operator, bank):
    body = product_body(bank, overdraft_allowed=True, max_overdraft_limit="1000", default_overdraft_limit="250.5",
                        tariff_plan_code="STANDARD")

    response = operator.post(PRODUCTS, body, format="json")

    assert response.status_code == 201, response.content
    product = Product.objects.get(code="SAV-EUR")
    assert response.json() == {
        "id": product.pk, "code": "SAV-EUR", "name": "Savings EUR", "kind": "savings", "currency": "EUR",
        "gl_account_id": bank.deposits.pk, "gl_account_code": "2100", "overdraft_allowed": True,
        "max_overdraft_limit": "1000.00", "default_overdraft_limit": "250.50", "tariff_plan_code": "STANDARD",
        "limit_profile_code": "", "interest_schedule_code": "", "description": "", "is_active": True,
        "created_at": response.json()["created_at"],
    }


@pytest.mark.parametrize(("fields", "detail"), [
    ({"kind": "loan"}, "sit under a asset account"),
    ({"gl_account_id": "cash"}, "not a general-ledger header account"),
    ({"max_overdraft_limit": "10.00"}, "without overdraft"),
    ({"code": "CUR-EUR"}, "already exists"),
])
def test_a_bad_product_is_invalid_product(operator, bank, product, fields, detail):
    if fields.get("gl_account_id") == "cash":
        fields["gl_account_id"] = bank.cash["EUR"].pk

    problem = assert_problem(operator.post(PRODUCTS, product_body(bank, **fields), format="json"), status=422,
                             code="invalid_product")

    assert detail in problem["detail"]
    assert list(Product.objects.values_list("code", flat=True)) == ["CUR-EUR"]


def test_product_amounts_must_be_strings_that_fit_the_currency(operator, bank):
    number = operator.post(PRODUCTS, product_body(bank, overdraft_allowed=True, max_overdraft_limit=1000),
                           format="json")
    too_fine = operator.post(PRODUCTS, product_body(bank, overdraft_allowed=True, max_overdraft_limit="10.001"),
                             format="json")

    assert "JSON strings" in str(assert_problem(number, status=400, code="validation_error")["errors"])
    assert_problem(too_fine, status=400, code="invalid_amount")
    assert not Product.objects.exists()


@pytest.mark.parametrize(("fields", "field", "code"), [
    ({"currency": "XYZ"}, "currency", "unknown_currency"), ({"gl_account_id": 999999}, "gl_account_id", None),
    ({"kind": "crypto"}, "kind", None), ({"code": "bad code!"}, "code", None),
    ({"fee": "1.00"}, "fee", "unknown_field"),
])
def test_a_malformed_product_is_a_validation_error(operator, bank, fields, field, code):
    problem = assert_problem(operator.post(PRODUCTS, product_body(bank, **fields), format="json"), status=400,
                             code=code or "validation_error")

    assert list(problem["errors"]) == [field]


def test_products_are_listed_in_code_order_with_filters_and_read_by_id(partner, bank, product):
    usd = banking.product(bank, code="A-USD", currency="USD")
    old = banking.product(bank, code="Z-OLD", is_active=False)

    def codes(query: str = "") -> list[str]:
        response = partner.get(f"{PRODUCTS}?{query}")
        assert response.status_code == 200, response.content
        return [row["code"] for row in response.json()["results"]]

    assert codes() == ["A-USD", "CUR-EUR", "Z-OLD"]
    assert codes("is_active=true") == ["A-USD", "CUR-EUR"]
    assert codes("currency=USD") == ["A-USD"]
    detail = partner.get(f"{PRODUCTS}{usd.pk}/")
    assert (detail.status_code, detail.json()["currency"], detail.json()["max_overdraft_limit"]) == (200, "USD", "0.00")
    assert_problem(partner.get(f"{PRODUCTS}{old.pk + 1000}/"), status=404, code="product_not_found")
    assert_problem(partner.post(PRODUCTS, product_body(bank), format="json"), status=403, code="permission_denied")


# --- opening -------------------------------------------------------------------------------


@pytest.mark.both
def test_an_account_is_opened_by_product_id_with_its_iban_and_zero_balances(partner, ada, product):
    response = partner.post(ACCOUNTS, {"customer": ada.pk, "product": product.pk, "name": "Household",
                                       "overdraft_limit": "200.00"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    account = Account.objects.get(pk=body["id"])
    assert (body["iban"], body["number"], body["name"]) == (account.iban, account.number, "Household")
    assert (body["customer_id"], body["customer_number"], body["product_id"], body["product_code"]) == (
        ada.pk, ada.number, product.pk, "CUR-EUR")
    assert (body["currency"], body["status"], body["overdraft_limit"]) == ("EUR", "active", "200.00")
    assert body["balance"] == {"posted": "0.00", "held": "0.00", "available": "0.00"}
    assert body["ledger_account_id"] == account.ledger_account_id
    assert [(c["from_status"], c["to_status"], c["reason"]) for c in body["status_changes"]] == [
        ("", "active", "opened")]
    assert account.created_by.pk == partner.user.pk


def test_an_account_is_opened_by_product_code(operator, ada, product):
    response = operator.post(ACCOUNTS, {"customer": ada.pk, "product": "CUR-EUR"}, format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["product_id"], response.json()["overdraft_limit"]) == (product.pk, "0.00")


@pytest.mark.parametrize("kyc", ["not_started", "pending", "rejected", "expired"])
def test_opening_needs_approved_kyc(operator, product, kyc):
    customer = banking.customer(kyc=kyc)

    problem = assert_problem(operator.post(ACCOUNTS, {"customer": customer.pk, "product": product.pk},
                                           format="json"), status=422, code="kyc_not_approved")

    assert customer.number in problem["detail"]
    assert not Account.objects.exists()


def test_opening_refusals_come_back_with_their_codes(operator, bank, ada, product):
    old = banking.product(bank, code="OLD", is_active=False)
    suspended = banking.customer()
    suspended.status = "suspended"
    suspended.save()

    def refusal(body, status, code):
        assert_problem(operator.post(ACCOUNTS, body, format="json"), status=status, code=code)

    refusal({"customer": ada.pk, "product": "NOPE"}, 404, "product_not_found")
    refusal({"customer": ada.pk, "product": product.pk + 1000}, 404, "product_not_found")
    refusal({"customer": ada.pk + 1000, "product": product.pk}, 404, "customer_not_found")
    refusal({"customer": ada.pk, "product": old.pk}, 422, "product_not_available")
    refusal({"customer": suspended.pk, "product": product.pk}, 422, "customer_not_active")
    refusal({"customer": ada.pk, "product": product.pk, "overdraft_limit": "1000.01"}, 422, "invalid_account")
    refusal({"customer": ada.pk, "product": product.pk, "overdraft_limit": "1.001"}, 400, "invalid_amount")
    assert not Account.objects.exists()


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"product": 1}, "customer", "validation_error"),
    ({"customer": 1, "product": True}, "product", "validation_error"),
    ({"customer": 1, "product": ""}, "product", "validation_error"),
    ({"customer": 1, "product": 1, "overdraft_limit": 100}, "overdraft_limit", "validation_error"),
    ({"customer": 1, "product": 1, "status": "active"}, "status", "unknown_field"),
    ({"customer": 1, "product": 1, "iban": "NL00CBNK0000000001"}, "iban", "unknown_field"),
])
def test_a_malformed_opening_is_a_validation_error(operator, body, field, code):
    problem = assert_problem(operator.post(ACCOUNTS, body, format="json"), status=400, code=code)

    assert list(problem["errors"]) == [field]


# --- reading -------------------------------------------------------------------------------


def test_accounts_are_listed_with_balances_and_filtered(partner, bank, ada, product):
    bram = banking.customer(first_name="Bram", last_name="de Vries")
    usd = banking.product(bank, code="CUR-USD", currency="USD")
    first = banking.account(ada, product)
    second = banking.account(ada, usd)
    third = banking.account(bram, product)
    banking.fund(bank, first, "100.00")
    account_transition(account_id=third.pk, action="freeze", reason="court order")

    def ids(query: str = "") -> list[int]:
        response = partner.get(f"{ACCOUNTS}?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [third.pk, second.pk, first.pk]
    assert ids(f"customer={ada.pk}") == [second.pk, first.pk]
    assert ids("status=frozen") == [third.pk]
    assert ids("currency=USD") == [second.pk]
    assert ids(f"product={product.pk}") == [third.pk, first.pk]
    spaced = " ".join(first.iban[i:i + 4] for i in range(0, len(first.iban), 4)).lower()
    assert ids(f"iban={spaced}") == [first.pk]
    rows = {row["id"]: row for row in partner.get(ACCOUNTS).json()["results"]}
    assert rows[first.pk]["balance"] == {"posted": "100.00", "held": "0.00", "available": "100.00"}
    assert rows[second.pk]["currency"] == "USD"
    assert_problem(partner.get(f"{ACCOUNTS}?status=asleep"), status=400, code="validation_error")


def test_an_account_is_read_with_its_ledger_balance_and_history(partner, bank, account):
    banking.fund(bank, account, "100.00")
    ledger.hold_create(debit_account_id=account.ledger_account_id, credit_account_id=bank.settlement["EUR"].pk,
                       amount=Decimal("30.00"), idempotency_key="card")
    account_transition(account_id=account.pk, action="block_credits", reason="dispute")

    response = partner.get(url(account))

    assert response.status_code == 200, response.content
    body = response.json()
    ledger_balance = account_balance(account_id=account.ledger_account_id)
    assert body["balance"] == {"posted": "100.00", "held": "30.00", "available": "70.00"}
    assert (ledger_balance.posted, ledger_balance.available) == (Decimal("100.00"), Decimal("70.00"))
    assert body["status"] == "credit_blocked" and body["status_reason"] == "dispute"
    assert [c["to_status"] for c in body["status_changes"]] == ["active", "credit_blocked"]
    assert_problem(partner.get(url(account.pk + 1000)), status=404, code="account_not_found")


def test_the_balance_now_at_an_instant_and_at_a_business_date(partner, bank, account):
    before = timezone.now()
    banking.fund(bank, account, "100.00")

    now = partner.get(url(account, "balance/"))
    then = partner.get(url(account, "balance/"), {"as_of": (before - dt.timedelta(seconds=1)).isoformat()})
    today = partner.get(url(account, "balance/"), {"business_date": timezone.localdate().isoformat()})

    assert now.status_code == then.status_code == today.status_code == 200
    assert now.json() == {"account_id": account.pk, "iban": account.iban, "currency": "EUR", "posted": "100.00",
                          "held": "0.00", "pending_in": "0.00", "available": "100.00", "as_of": None}
    assert (then.json()["posted"], then.json()["held"], then.json()["available"]) == ("0.00", None, None)
    assert today.json()["posted"] == "100.00"
    both = partner.get(url(account, "balance/"), {"as_of": before.isoformat(), "business_date": "2026-01-01"})
    assert_problem(both, status=400, code="validation_error")
    assert_problem(partner.get(url(account, "balance/"), {"as_of": "yesterday"}), status=400, code="validation_error")
    assert_problem(partner.get(url(account.pk + 1000, "balance/")), status=404, code="account_not_found")


# --- the lifecycle -------------------------------------------------------------------------


@pytest.mark.backoffice
def test_the_lifecycle_through_the_action_endpoints(operator, checker, account):
    steps = [("freeze", "frozen"), ("unfreeze", "active"), ("block-debits", "debit_blocked"), ("unblock", "active"),
             ("block-credits", "credit_blocked"), ("unblock", "active")]
    for action, status in steps:
        response = operator.post(url(account, f"{action}/"), {"reason": f"step {action}"}, format="json")
        if action in ("freeze", "unfreeze"):  # maker-checker: the request, then a second person approves
            account.refresh_from_db()
            before = account.status
            pending = response.json()
            assert (pending["action_type"], pending["payload"]) == (
                f"account_{action}", {"account_id": account.pk, "reason": f"step {action}"})
            account.refresh_from_db()
            assert account.status == before  # nothing happened yet
            assert approved(checker, response)["result"]["status"] == status
            response = operator.get(url(account))
        assert response.status_code == 200, (action, response.content)
        assert (response.json()["status"], response.json()["status_reason"]) == (status, f"step {action}")

    account.refresh_from_db()
    assert account.status_changes.count() == 1 + len(steps)
    maker = operator.get(ACCOUNTS).wsgi_request.user
    assert account.status_changes.last().actor.pk == maker.pk
    frozen_by = account.status_changes.get(to_status="frozen").actor
    assert frozen_by.groups.filter(name="compliance_officer").exists() and frozen_by.pk != maker.pk


@pytest.mark.backoffice
def test_an_api_client_asks_for_freeze_and_close_like_staff_and_nothing_happens_before_approval(account, ada,
                                                                                                 product):
    """Issue 16, finding 2: a token's freeze and close used to take effect at once."""
    from backoffice.approvals.models import ApprovalRequest

    api = client_api(role="operations", scopes=["accounts"])
    empty = banking.account(ada, product)

    frozen = api.post(url(account, "freeze/"), {"reason": "fraud engine"}, format="json")
    closed = api.post(url(empty, "close/"), {"reason": "customer request"}, format="json")

    assert (frozen.status_code, frozen.json()["action_type"], frozen.json()["status"]) == (
        202, "account_freeze", "pending")
    assert (closed.status_code, closed.json()["action_type"]) == (202, "account_close")
    account.refresh_from_db()
    empty.refresh_from_db()
    assert (account.status, empty.status) == ("active", "active")
    assert account.status_changes.count() == 1 and empty.status_changes.count() == 1
    assert ApprovalRequest.objects.filter(maker=api.user).count() == 2

    officer = staff_api(staff_user("compliance_officer"))
    decided = officer.post(f"{frozen['Location']}approve/", {}, format="json")
    assert decided.json()["status"] == "executed", decided.content
    account.refresh_from_db()
    assert account.status == "frozen"


@pytest.mark.backoffice
def test_a_token_without_an_initiator_role_is_refused_and_nothing_is_written(account):
    from backoffice.approvals.models import ApprovalRequest

    api = client_api(scopes=["accounts"])
    api.user.groups.clear()
    grant(api.user, VIEW, CHANGE, "approvals.add_approvalrequest")

    assert_problem(api.post(url(account, "freeze/"), {"reason": "x"}, format="json"), status=403,
                   code="initiation_forbidden")
    account.refresh_from_db()
    assert account.status == "active" and not ApprovalRequest.objects.exists()


@pytest.mark.backoffice
def test_a_staff_member_whose_role_may_not_ask_is_refused_and_nothing_is_written(account):
    from backoffice.approvals.models import ApprovalRequest

    user = staff_user()  # the account permission, but no role that may initiate a freeze
    grant(user, VIEW, CHANGE, "approvals.add_approvalrequest")

    assert_problem(staff_api(user).post(url(account, "freeze/"), {"reason": "x"}, format="json"), status=403,
                   code="initiation_forbidden")
    account.refresh_from_db()
    assert account.status == "active" and not ApprovalRequest.objects.exists()
    assert account.status_changes.count() == 1


@pytest.mark.backoffice
def test_a_second_freeze_request_while_one_is_pending_conflicts(operator, account):
    assert operator.post(url(account, "freeze/"), {"reason": "fraud"}, format="json").status_code == 202

    assert_problem(operator.post(url(account, "freeze/"), {"reason": "again"}, format="json"), status=409,
                   code="duplicate_pending_request")


def test_a_dormant_account_is_reactivated(operator, account):
    account_transition(account_id=account.pk, action="mark_dormant", reason="no activity for 2 years")

    response = operator.post(url(account, "reactivate/"), {"reason": "customer came back"}, format="json")

    assert (response.status_code, response.json()["status"]) == (200, "active")


@pytest.mark.both
@pytest.mark.parametrize(("setup", "action"), [
    ([], "unfreeze"), ([], "unblock"), ([], "reactivate"), (["freeze"], "freeze"), (["freeze"], "block-debits"),
    (["block_debits"], "block-credits"),
])
def test_a_transition_the_state_does_not_allow_is_409(operator, account, setup, action):
    for step in setup:
        account_transition(account_id=account.pk, action=step, reason="setup")
    account.refresh_from_db()
    status = account.status

    problem = assert_problem(operator.post(url(account, f"{action}/"), {"reason": "try"}, format="json"), status=409,
                             code="transition_not_allowed")

    assert problem["status_from"] == status
    account.refresh_from_db()
    assert account.status == status
    assert no_approval_requests()  # refused up front, even when it would need approval
    assert account.status_changes.count() == 1 + len(setup)  # the rehearsal left nothing behind


def test_an_action_needs_a_reason_and_an_existing_account_and_action(operator, account):
    assert_problem(operator.post(url(account, "freeze/"), {}, format="json"), status=400, code="validation_error")
    assert_problem(operator.post(url(account, "freeze/"), {"reason": ""}, format="json"), status=400,
                   code="validation_error")
    assert_problem(operator.post(url(account.pk + 1000, "freeze/"), {"reason": "x"}, format="json"), status=404,
                   code="account_not_found")
    assert operator.post(url(account, "mark-dormant/"), {"reason": "x"}, format="json").status_code == 404
    assert operator.post(url(account, "activate/"), {"reason": "x"}, format="json").status_code == 404
    assert_problem(operator.get(url(account, "freeze/")), status=405, code="method_not_allowed")
    account.refresh_from_db()
    assert account.status == "active"


@pytest.mark.backoffice
def test_an_account_with_money_is_not_closed_and_an_empty_one_is(operator, checker, bank, ada, product, account):
    from backoffice.approvals.models import ApprovalRequest

    banking.fund(bank, account, "0.01")
    empty = banking.account(ada, product)

    problem = assert_problem(operator.post(url(account, "close/"), {"reason": "customer request"}, format="json"),
                             status=409, code="account_not_empty")
    assert not ApprovalRequest.objects.exists()
    asked = operator.post(url(empty, "close/"), {"reason": "customer request"}, format="json")
    empty.refresh_from_db()
    assert empty.status == "active"  # waiting for a checker
    approved(checker, asked)
    closed = operator.get(url(empty))

    assert problem["balance"] == "0.01"
    assert closed.status_code == 200, closed.content
    assert (closed.json()["status"], closed.json()["closed_at"] is not None) == ("closed", True)
    again = operator.post(url(empty, "close/"), {"reason": "again"}, format="json")
    assert_problem(again, status=409, code="transition_not_allowed")
    assert_problem(operator.post(url(empty, "freeze/"), {"reason": "x"}, format="json"), status=409,
                   code="transition_not_allowed")
    assert_problem(operator.post(url(empty, "overdraft/"), {"limit": "1.00", "reason": "x"}, format="json"),
                   status=422, code="account_closed")


def test_a_frozen_account_is_not_closed(operator, account):
    account_transition(account_id=account.pk, action="freeze", reason="court order")

    assert_problem(operator.post(url(account, "close/"), {"reason": "x"}, format="json"), status=409,
                   code="transition_not_allowed")


# --- overdrafts ----------------------------------------------------------------------------


def test_the_overdraft_limit_changes_within_the_products_maximum(operator, bank, ada, account):
    response = operator.post(url(account, "overdraft/"), {"limit": "500", "reason": "salary"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["overdraft_limit"] == "500.00"
    assert_problem(operator.post(url(account, "overdraft/"), {"limit": "1000.01", "reason": "x"}, format="json"),
                   status=422, code="invalid_account")
    assert_problem(operator.post(url(account, "overdraft/"), {"limit": 500, "reason": "x"}, format="json"),
                   status=400, code="validation_error")
    assert_problem(operator.post(url(account, "overdraft/"), {"limit": "5.001", "reason": "x"}, format="json"),
                   status=400, code="invalid_amount")
    plain = banking.account(ada, banking.product(bank))
    assert_problem(operator.post(url(plain, "overdraft/"), {"limit": "1.00", "reason": "x"}, format="json"),
                   status=422, code="invalid_account")
    account.refresh_from_db()
    assert account.overdraft_limit == Decimal("500.00")
