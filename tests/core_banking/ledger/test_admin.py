"""The ledger in the admin: configuration that goes through the services, and read-only history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from core_banking.audit.models import AuditEvent
from core_banking.ledger.models import (
    AccountBalance,
    AccountType,
    BusinessDay,
    Currency,
    Hold,
    JournalEntry,
    LedgerAccount,
    Posting,
)
from core_banking.ledger.services import hold_create, transfer
from tests.core_banking.api_auth import ensure_roles, sign_in, staff_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("maker_checker_direct")]

ADMIN = "/admin/ledger"
TRIAL_BALANCE = f"{ADMIN}/ledgeraccount/trial-balance/"


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def root(client):
    return sign_in(client, staff_user(superuser=True))


@pytest.fixture
def payment(bank):
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.alice.pk, amount=Decimal("100.00"),
             idempotency_key="deposit")
    return transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("30.00"),
                    idempotency_key="pay", external_ref="INV-42", description="Invoice 42").entry


# --- history is read-only ------------------------------------------------------------------


@pytest.mark.parametrize("model", [JournalEntry, Posting, Hold, BusinessDay])
def test_ledger_history_cannot_be_added_changed_or_deleted_even_by_a_superuser(model, django_user_model):
    request = RequestFactory().get("/admin/")
    request.user = django_user_model.objects.create_superuser("boss", "boss@example.com", "a-long-enough-password")
    model_admin = admin.site._registry[model]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)


def test_an_entry_page_is_read_only_and_shows_its_postings(root, bank, payment):
    url = f"{ADMIN}/journalentry/{payment.pk}/change/"

    page = root.get(url)
    changed = root.post(url, {"description": "edited"})

    assert page.status_code == 200
    content = page.content.decode()
    assert "_save" not in content
    assert "INV-42" in content and "2100-ALICE" in content and "2100-BOB" in content
    assert "-30.00" in content and "70.00" in content
    assert changed.status_code == 403
    assert root.get(f"{ADMIN}/journalentry/add/").status_code == 403
    assert root.get(f"{ADMIN}/journalentry/{payment.pk}/delete/").status_code == 403
    assert JournalEntry.objects.get(pk=payment.pk).description == "Invoice 42"


def test_whoever_reads_entries_sees_their_postings(client, bank, payment):
    support = sign_in(client, staff_user("support_agent"))

    page = support.get(f"{ADMIN}/journalentry/{payment.pk}/change/")
    postings = support.get(f"{ADMIN}/posting/")

    assert page.status_code == 200
    assert "2100-BOB" in page.content.decode() and "-30.00" in page.content.decode()
    assert postings.status_code == 200
    assert support.get(f"{ADMIN}/ledgeraccount/").status_code == 403


def test_entries_are_found_by_id_and_external_ref_and_filtered_by_kind(root, bank, payment):
    def listed(**params):
        response = root.get(f"{ADMIN}/journalentry/", params)
        assert response.status_code == 200
        return [entry.pk for entry in response.context["cl"].result_list]

    deposit = JournalEntry.objects.exclude(pk=payment.pk).get()

    assert listed(q="INV-42") == [payment.pk]
    assert listed(q=str(deposit.pk)) == [deposit.pk]
    assert listed(q="no-such-ref") == []
    assert listed(kind__exact="transfer") == [payment.pk, deposit.pk]
    assert listed(kind__exact="adjustment") == []
    assert listed(q=str(payment.pk)) == [payment.pk]


def test_the_entry_list_does_not_query_per_row(root, bank, payment):
    from core_banking.ledger.services import entry_reverse

    def changelist_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert root.get(f"{ADMIN}/journalentry/").status_code == 200
        return len(queries)

    few = changelist_queries()
    for n in range(10):
        entry = transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.bob.pk, amount=Decimal("1.00"),
                         idempotency_key=f"more-{n}").entry
        entry_reverse(entry_id=entry.pk, idempotency_key=f"undo-{n}", reason="test")

    assert changelist_queries() == few


def test_postings_holds_and_business_days_are_listed(root, bank, payment):
    hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("5.00"),
                idempotency_key="auth")

    postings = root.get(f"{ADMIN}/posting/", {"q": "INV-42"})
    holds = root.get(f"{ADMIN}/hold/", {"status__exact": "pending"})
    hold_page = root.get(f"{ADMIN}/hold/{Hold.objects.get().pk}/change/")
    days = root.get(f"{ADMIN}/businessday/")

    assert [p.entry_id for p in postings.context["cl"].result_list] == [payment.pk, payment.pk]
    assert len(holds.context["cl"].result_list) == 1
    assert hold_page.status_code == 200 and "5.00" in hold_page.content.decode()
    assert days.status_code == 200


# --- accounts ------------------------------------------------------------------------------


def _account_form(**overrides) -> dict:
    form = {"code": "2300-DAVE", "name": "Dave current account", "type": "liability", "currency": "EUR",
            "parent": "", "balance_rule": "non_negative", "overdraft_limit": "0", "shard_count": "1",
            "external_id": "", "_save": "Save"}
    form.update(overrides)
    return form


def test_an_account_opened_in_the_admin_has_its_balance_shards(root):
    response = root.post(f"{ADMIN}/ledgeraccount/add/", _account_form())

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else None
    account = LedgerAccount.objects.get(code="2300-DAVE")
    assert list(AccountBalance.objects.filter(account=account).values_list("shard", "floor", "balance")) == [
        (0, Decimal("0"), Decimal("0"))
    ]
    assert AuditEvent.objects.filter(action="ledger.account_opened", object_id=str(account.pk)).exists()


def test_a_hot_account_opened_in_the_admin_gets_all_its_shards(root):
    response = root.post(f"{ADMIN}/ledgeraccount/add/", _account_form(
        code="4100-FX-INCOME", type="income", balance_rule="unconstrained", shard_count="16"))

    assert response.status_code == 302
    account = LedgerAccount.objects.get(code="4100-FX-INCOME")
    assert sorted(AccountBalance.objects.filter(account=account).values_list("shard", flat=True)) == list(range(16))


def test_the_admin_refuses_what_the_ledger_would(root, bank):
    wrong_parent = root.post(f"{ADMIN}/ledgeraccount/add/", _account_form(parent=str(bank.cash.pk)))
    sharded_constrained = root.post(f"{ADMIN}/ledgeraccount/add/", _account_form(shard_count="4"))
    too_precise = root.post(f"{ADMIN}/ledgeraccount/add/", _account_form(
        balance_rule="overdraft_limit", overdraft_limit="10.005"))

    assert "cannot sit under the asset account" in str(wrong_parent.context["adminform"].form.errors)
    assert sharded_constrained.context["adminform"].form.errors
    assert "overdraft_limit" in too_precise.context["adminform"].form.errors
    assert not LedgerAccount.objects.filter(code="2300-DAVE").exists()


def test_what_the_engine_relies_on_cannot_be_changed(root, bank):
    url = f"{ADMIN}/ledgeraccount/{bank.fees.pk}/change/"

    page = root.get(url)
    response = root.post(url, {"code": "4000-FEES", "name": "Fees and commissions", "parent": "",
                               "external_id": "GL-4000", "is_active": "on", "is_synthetic": "",
                               "currency": "USD", "shard_count": "1", "type": "expense", "_save": "Save"})

    assert set(page.context["adminform"].form.fields) == {"code", "name", "parent", "is_synthetic", "external_id",
                                                          "is_active"}
    assert response.status_code == 302
    fees = LedgerAccount.objects.get(pk=bank.fees.pk)
    assert (fees.name, fees.external_id) == ("Fees and commissions", "GL-4000")
    assert (fees.currency_id, fees.shard_count, fees.type) == ("EUR", 8, AccountType.INCOME)
    assert root.get(f"{ADMIN}/ledgeraccount/{bank.fees.pk}/delete/").status_code == 403


def test_the_account_list_shows_balances_without_a_query_per_row(root, bank, payment, account_factory):
    def changelist():
        with CaptureQueriesContext(connection) as queries:
            response = root.get(f"{ADMIN}/ledgeraccount/")
        assert response.status_code == 200
        return response, len(queries)

    response, few = changelist()
    rows = {a.code: a for a in response.context["cl"].result_list}
    model_admin = admin.site._registry[LedgerAccount]
    alice = rows["2100-ALICE"]
    assert (model_admin.posted(alice), model_admin.available(alice)) == ("70.00 EUR", "70.00 EUR")
    assert model_admin.posted(rows["1000-EUR"]) == "100.00 EUR"
    for n in range(20):
        account_factory(code=f"9{n:03d}")
    hold_create(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("5.00"),
                idempotency_key="auth")

    response, many = changelist()

    assert many == few
    rows = {a.code: a for a in response.context["cl"].result_list}
    assert model_admin.available(rows["2100-ALICE"]) == "65.00 EUR"


# --- currencies ----------------------------------------------------------------------------


def test_assets_are_added_with_up_to_18_decimal_places(root):
    form = {"code": "ETH", "name": "Ether", "kind": "asset", "exponent": "18", "is_active": "on", "_save": "Save"}

    added = root.post(f"{ADMIN}/currency/add/", form)
    too_fine = root.post(f"{ADMIN}/currency/add/", {**form, "code": "XTOOFINE", "exponent": "19"})

    assert added.status_code == 302
    assert Currency.objects.get(code="ETH").exponent == 18
    assert too_fine.status_code == 200 and too_fine.context["adminform"].form.errors
    assert not Currency.objects.filter(code="XTOOFINE").exists()


def test_the_exponent_is_frozen_once_the_currency_is_in_use(root, bank, payment):
    used = root.get(f"{ADMIN}/currency/EUR/change/")
    unused = root.get(f"{ADMIN}/currency/CHF/change/")
    root.post(f"{ADMIN}/currency/EUR/change/", {"name": "Euro", "kind": "fiat", "exponent": "3", "is_active": "on",
                                                "_save": "Save"})

    assert "exponent" not in used.context["adminform"].form.fields
    assert "exponent" in unused.context["adminform"].form.fields
    assert Currency.objects.get(code="EUR").exponent == 2


# --- the trial balance page ----------------------------------------------------------------


def test_finance_sees_the_trial_balance(client, bank, payment):
    transfer(debit_account_id=bank.usd_cash.pk, credit_account_id=bank.alice_usd.pk, amount=Decimal("7.00"),
             idempotency_key="usd")
    finance = sign_in(client, staff_user("finance"))

    everything = finance.get(TRIAL_BALANCE)
    euros = finance.get(TRIAL_BALANCE, {"currency": "EUR"})
    accounts = finance.get(f"{ADMIN}/ledgeraccount/")

    assert everything.status_code == 200
    report = everything.context["report"]
    assert report.balanced
    assert everything.context["totals"] == [
        {"currency": "EUR", "debit": Decimal("100.00"), "credit": Decimal("100.00"), "balanced": True},
        {"currency": "USD", "debit": Decimal("7.00"), "credit": Decimal("7.00"), "balanced": True},
    ]
    content = everything.content.decode()
    assert "balanced" in content and "2100-ALICE" in content and "1000-USD" in content
    assert [row.code for row in euros.context["report"].rows] == ["1000-EUR", "2100-ALICE", "2100-BOB"]
    assert TRIAL_BALANCE in accounts.content.decode()


def test_the_trial_balance_as_of_a_business_date(client, bank, payment):
    from core_banking.ledger.services import business_date_open, business_date_roll

    day = business_date_open()
    business_date_roll()
    transfer(debit_account_id=bank.cash.pk, credit_account_id=bank.bob.pk, amount=Decimal("1.00"),
             idempotency_key="later")
    finance = sign_in(client, staff_user("finance"))

    response = finance.get(TRIAL_BALANCE, {"as_of": day.isoformat()})

    assert response.context["totals"][0]["debit"] == Decimal("100.00")
    assert "As of the close of" in response.content.decode()


def test_support_agents_may_not_see_the_trial_balance(client, bank):
    support = sign_in(client, staff_user("support_agent"))

    assert support.get(TRIAL_BALANCE).status_code == 403


@pytest.mark.backoffice
def test_the_trial_balance_page_needs_the_second_factor(client, bank):
    client.force_login(staff_user("finance"))

    response = client.get(TRIAL_BALANCE)

    assert response.status_code == 302
    assert "/staff/" in response["Location"]
