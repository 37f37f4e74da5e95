"""Products and accounts in the admin: pages render for a verified superuser, products are
validated and created through the services, accounts are never added or deleted here, their
money is read-only, and the lifecycle actions call the services and show their refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory

from core_banking.accounts.models import Account, Product
from core_banking.audit.models import AuditEvent
from tests import banking
from tests.banking import account_close, account_transition
from tests.core_banking.api_auth import ensure_roles, sign_in, staff_user

pytestmark = pytest.mark.django_db

PRODUCTS = "/admin/accounts/product/"
ACCOUNTS = "/admin/accounts/account/"


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def root(client):
    return sign_in(client, staff_user(superuser=True))


def product_post(bank, **fields) -> dict:
    return {"code": "SAV-EUR", "name": "Savings EUR", "kind": "savings", "currency": "EUR",
            "gl_account": bank.deposits.pk, "overdraft_allowed": "", "max_overdraft_limit": "0",
            "default_overdraft_limit": "0", "tariff_plan_code": "", "limit_profile_code": "",
            "interest_schedule_code": "", "description": "", "is_active": "on", **fields}


# --- products ------------------------------------------------------------------------------


def test_the_product_pages_render_with_limits_in_units(root, product):
    changelist = root.get(PRODUCTS)
    change = root.get(f"{PRODUCTS}{product.pk}/change/")
    add = root.get(f"{PRODUCTS}add/")

    assert (changelist.status_code, change.status_code, add.status_code) == (200, 200, 200)
    assert "CUR-EUR" in changelist.content.decode() and "1,000.00 EUR" in changelist.content.decode()
    content = change.content.decode()
    assert 'value="1000.00"' in content
    for fixed in ("code", "kind", "currency", "gl_account"):
        assert f'name="{fixed}"' not in content
    assert root.get(f"{PRODUCTS}{product.pk}/delete/").status_code == 403


def test_a_product_is_added_through_the_service(root, bank):
    response = root.post(f"{PRODUCTS}add/", product_post(bank, overdraft_allowed="on", max_overdraft_limit="500",
                                                         default_overdraft_limit="100"))

    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(code="SAV-EUR")
    assert (product.max_overdraft_limit, product.default_overdraft_limit) == (Decimal("500"), Decimal("100"))
    event = AuditEvent.objects.get(action="product.created", object_id=str(product.pk))
    assert event.actor.is_superuser


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "loan"}, "sit under a asset account"),
    ({"gl_account": "cash"}, "Select a valid choice"),  # not a header: not even offered
    ({"max_overdraft_limit": "10"}, "without overdraft has no overdraft limits"),
    ({"overdraft_allowed": "on", "max_overdraft_limit": "10.001"}, "more than 2 decimal places"),
])
def test_a_bad_product_is_a_form_error(root, bank, fields, message):
    if fields.get("gl_account") == "cash":
        fields["gl_account"] = bank.cash["EUR"].pk

    response = root.post(f"{PRODUCTS}add/", product_post(bank, **fields))

    assert response.status_code == 200
    content = response.content.decode()
    assert message in content
    assert not Product.objects.exists()


def test_a_product_change_keeps_what_accounts_rely_on(root, bank, product):
    post = product_post(bank, code="HACKED", kind="loan", name="Current account EUR (new)", overdraft_allowed="on",
                        max_overdraft_limit="2000.00", default_overdraft_limit="0.00")

    response = root.post(f"{PRODUCTS}{product.pk}/change/", post)

    assert response.status_code == 302, response.content.decode()[:3000]
    product.refresh_from_db()
    assert (product.code, product.kind, product.name) == ("CUR-EUR", "current", "Current account EUR (new)")
    assert product.max_overdraft_limit == Decimal("2000")
    bad = root.post(f"{PRODUCTS}{product.pk}/change/", {**post, "default_overdraft_limit": "2500"})
    assert bad.status_code == 200 and "exceeds the maximum" in bad.content.decode()


# --- accounts ------------------------------------------------------------------------------


def test_the_account_changelist_renders_balances_and_searches(root, bank, ada, product, account):
    bram = banking.customer(first_name="Bram", last_name="de Vries")
    other = banking.account(bram, product)
    banking.fund(bank, account, "100.00")

    page = root.get(ACCOUNTS)

    assert page.status_code == 200
    content = page.content.decode()
    assert account.iban in content and other.iban in content and "100.00" in content
    for query, found, missing in ((account.iban, account, other), (bram.number, other, account),
                                  ("lovel", account, other), (account.number, account, other)):
        content = root.get(ACCOUNTS, {"q": query}).content.decode()
        assert found.iban in content and missing.iban not in content, query
    filtered = root.get(ACCOUNTS, {"status__exact": "active", "currency__code__exact": "EUR",
                                   "product__id__exact": product.pk})
    assert filtered.status_code == 200 and account.iban in filtered.content.decode()


def test_the_account_page_shows_money_and_history_read_only(root, bank, account):
    banking.fund(bank, account, "100.00")
    account_transition(account_id=account.pk, action="block_debits", reason="dispute 7")

    page = root.get(f"{ACCOUNTS}{account.pk}/change/")

    assert page.status_code == 200
    content = page.content.decode()
    assert account.iban in content and "100.00" in content and "dispute 7" in content and "debit_blocked" in content
    assert 'name="name"' in content
    for fixed in ("iban", "number", "status", "overdraft_limit", "ledger_account", "customer", "product", "currency"):
        assert f'name="{fixed}"' not in content


def test_accounts_are_not_added_or_deleted_in_the_admin(root, account):
    request = RequestFactory().get("/admin/")
    request.user = root.get(ACCOUNTS).wsgi_request.user
    model_admin = admin.site._registry[Account]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request, account)
    assert root.get(f"{ACCOUNTS}add/").status_code == 403
    assert root.get(f"{ACCOUNTS}{account.pk}/delete/").status_code == 403


def test_renaming_saves_only_the_name_and_keeps_a_concurrent_freeze(root, account):
    page_status = account.status
    account_transition(account_id=account.pk, action="freeze", reason="fraud")  # after the page was read

    response = root.post(f"{ACCOUNTS}{account.pk}/change/", {
        "name": "Savings pot", "status": page_status,
        "status_changes-TOTAL_FORMS": "2", "status_changes-INITIAL_FORMS": "2",
        "status_changes-MIN_NUM_FORMS": "0", "status_changes-MAX_NUM_FORMS": "1000",
    })

    assert response.status_code == 302, response.content.decode()[:3000]
    account.refresh_from_db()
    assert (account.name, account.status) == ("Savings pot", "frozen")
    event = AuditEvent.objects.get(action="account.updated", object_id=str(account.pk))
    assert (event.changes, event.after) == (["name"], {"name": "Savings pot"})


def _approve_all(officer) -> None:
    from backoffice.approvals import services as approvals
    from backoffice.approvals.models import ApprovalRequest

    for request in ApprovalRequest.objects.filter(status="pending"):
        assert approvals.request_approve(request_id=request.pk, actor=officer).status == "executed"


@pytest.mark.backoffice
def test_the_freeze_actions_ask_for_approval_and_show_refusals(client, ada, product, account):
    from backoffice.approvals.models import ApprovalRequest

    maker = staff_user("operations")
    browser = sign_in(client, maker)
    closed = account_close(account_id=banking.account(ada, product).pk)

    frozen = browser.post(ACCOUNTS, {"action": "freeze_accounts", "_selected_action": [account.pk, closed.pk],
                                     "reason": "card fraud"}, follow=True)

    content = frozen.content.decode()
    request = ApprovalRequest.objects.get()
    assert (request.action_type, request.payload, request.maker) == (
        "account_freeze", {"account_id": account.pk, "reason": "card fraud"}, maker)
    assert f"{account.iban}: approval request #{request.pk} created" in content
    assert f"{closed.iban}: freeze is not allowed for an account that is closed" in content
    account.refresh_from_db()
    assert account.status == "active"  # not before a checker approves

    _approve_all(staff_user("compliance_officer"))
    account.refresh_from_db()
    assert account.status == "frozen"
    change = account.status_changes.last()
    assert (change.to_status, change.reason) == ("frozen", "card fraud")
    assert change.actor.groups.filter(name="compliance_officer").exists()

    again = browser.post(ACCOUNTS, {"action": "freeze_accounts", "_selected_action": [account.pk]}, follow=True)
    assert "not allowed for an account that is frozen" in again.content.decode()
    assert ApprovalRequest.objects.count() == 1
    browser.post(ACCOUNTS, {"action": "unfreeze_accounts", "_selected_action": [account.pk]}, follow=True)
    assert ApprovalRequest.objects.get(action_type="account_unfreeze").payload["reason"] == "unfrozen from the admin"
    _approve_all(staff_user("compliance_officer"))
    account.refresh_from_db()
    assert account.status == "active"


@pytest.mark.backoffice
def test_closing_from_the_admin_asks_for_approval(client, ada, product):
    from backoffice.approvals.models import ApprovalRequest

    empty = banking.account(ada, product)
    browser = sign_in(client, staff_user("operations"))

    browser.post(ACCOUNTS, {"action": "close_accounts", "_selected_action": [empty.pk], "reason": "moved abroad"})

    empty.refresh_from_db()
    assert empty.status == "active"
    assert ApprovalRequest.objects.get().action_type == "account_close"
    _approve_all(staff_user("operations"))  # another operations user is a checker of closures
    empty.refresh_from_db()
    assert (empty.status, empty.status_reason) == ("closed", "moved abroad")


def _panel(browser, account) -> list[str]:
    import re

    page = browser.get(f"{ACCOUNTS}{account.pk}/change/").content.decode()
    return re.findall(rf'action="{ACCOUNTS}{account.pk}/do/([a-z_]+)/"', page)


@pytest.mark.backoffice
def test_the_change_page_offers_only_what_the_user_may_fire(client, account):
    operations = staff_user("operations")
    assert _panel(sign_in(client, operations), account) == ["freeze", "block_debits", "block_credits", "close"]
    assert _panel(sign_in(client, staff_user("support_agent")), account) == []  # views, may not change
    assert _panel(sign_in(client, staff_user(superuser=True)), account) == ["block_debits", "block_credits"]  # no role
    account_transition(account_id=account.pk, action="freeze", reason="court order")
    assert _panel(sign_in(client, operations), account) == ["unfreeze"]


@pytest.mark.backoffice
def test_the_change_page_fires_a_transition_with_its_reason(client, account):
    from backoffice.approvals.models import ApprovalRequest

    browser = sign_in(client, staff_user("operations"))
    done = browser.post(f"{ACCOUNTS}{account.pk}/do/block_debits/", {"reason": "chargeback dispute"}, follow=True)
    assert "debit-blocked" in done.content.decode()
    account.refresh_from_db()
    assert (account.status, account.status_changes.last().reason) == ("debit_blocked", "chargeback dispute")
    event = AuditEvent.objects.get(action="account.debits_blocked", object_id=str(account.pk))
    assert (event.before, event.after, event.reason) == ({"status": "active"}, {"status": "debit_blocked"},
                                                         "chargeback dispute")

    browser.post(f"{ACCOUNTS}{account.pk}/do/freeze/", {"reason": "fraud"})
    assert ApprovalRequest.objects.get().summary == f"freeze account {account.pk}: fraud"
    refused = browser.post(f"{ACCOUNTS}{account.pk}/do/reactivate/", {"reason": "x"}, follow=True)
    assert "reactivate is not allowed for an account that is debit_blocked" in refused.content.decode()
    account.refresh_from_db()
    assert account.status == "debit_blocked"
    assert sign_in(client, staff_user("support_agent")).post(
        f"{ACCOUNTS}{account.pk}/do/unblock/", {"reason": "x"}).status_code == 403
