"""Client isolation (issue 16, item 4): a partner API client sees and acts only on what it created
(and on what hangs off it: its customers' accounts, their ledger accounts and payments); a
bank-channel client and staff see everything. Another client's object answers 404, never 403,
and is absent from lists."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.api_clients.models import ClientKind
from backoffice.api_clients.services import api_client_create, api_token_issue
from backoffice.approvals.models import ApprovalRequest
from backoffice.kyc import services as kyc
from core_banking.common.maker_checker import system_execution
from core_banking.customers import services as customers
from core_banking.ledger import services as ledger
from core_banking.ledger.models import AccountType, Hold, JournalEntry
from core_banking.payments.models import Payment
from tests import banking
from tests.core_banking.ledger.interfaces import ensure_roles, grant, staff_api, staff_user

pytestmark = pytest.mark.django_db

SCOPES = ["customers", "accounts", "payments", "ledger", "tickets", "kyc", "approvals", "deposits", "loans", "limits"]
TODAY = dt.date.today()


_names = itertools.count(1)


def _partner(kind=ClientKind.PARTNER):
    owner = staff_user("operations")
    with system_execution():
        client = api_client_create(name=f"iso-{next(_names)}", role="api_client", scopes=SCOPES, owner=owner)
    client.kind = kind
    client.save(update_fields=["kind"])
    _token, plain = api_token_issue(client=client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    api.api_client = client
    grant(client.user, "ledger.add_ledgeraccount", "ledger.post_entry", "kyc.view_kycapplication")
    return api


def _customer(api):
    c = customers.customer_create(
        type="person", actor=api.api_client.user, first_name="Iso", last_name=f"Lated{api.api_client.pk}",
        date_of_birth=dt.date(1980, 1, 1), nationality="NL", email=f"iso{api.api_client.pk}@example.test",
        addresses=[{"line1": "Teststraat 1", "city": "Amsterdam", "country": "NL"}])
    with system_execution():
        return customers.customer_set_kyc_status(customer_id=c.pk, status="approved")


class World:
    pass


@pytest.fixture
def w(db):
    ensure_roles()
    w = World()
    w.bank = banking.setup_bank()
    w.product = banking.product(w.bank)
    w.a, w.b = _partner(), _partner()
    w.channel = _partner(ClientKind.BANK_CHANNEL)
    w.staff = staff_api(staff_user(superuser=True))
    # A's objects: a customer A onboarded, two accounts staff opened for it (they are A's anyway),
    # a wallet (ledger account) A opened, a payment, a hold, a KYC application, an approval request.
    w.cust = _customer(w.a)
    w.acc1, w.acc2 = banking.account(w.cust, w.product), banking.account(w.cust, w.product)
    banking.fund(w.bank, w.acc1, "100.00")
    w.wallet = ledger.ledger_account_create(code=f"W-{w.a.api_client.pk}", name="A wallet",
                                            type=AccountType.LIABILITY, currency="EUR", created_by=w.a.api_client.user)
    r = w.a.post("/api/v1/payments/", {"kind": "internal_transfer", "amount": "10.00", "currency": "EUR",
                                       "debtor_account_id": w.acc1.pk, "creditor_account_id": w.acc2.pk},
                 format="json", HTTP_IDEMPOTENCY_KEY="a-pay")
    assert r.status_code == 201, r.content
    w.payment = Payment.objects.get(pk=r.json()["id"])
    w.entry = w.payment.entry
    r = w.a.post("/api/v1/ledger/holds/", {"debit_account_id": w.acc1.ledger_account_id,
                                           "credit_account_id": w.acc2.ledger_account_id, "amount": "5.00"},
                 format="json", HTTP_IDEMPOTENCY_KEY="a-hold")
    assert r.status_code == 201, r.content
    w.hold = Hold.objects.get(pk=r.json()["id"])
    w.kyc = kyc.application_create(customer_id=w.cust.pk, actor=None)
    w.approval = ApprovalRequest.objects.create(
        action_type="account_freeze", payload={"account_id": w.acc1.pk}, target_key=f"account:{w.acc1.pk}",
        maker=w.a.api_client.user, required_approvals=1, created_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(days=1))
    # B's own customer and account, to pay from.
    w.b_cust = _customer(w.b)
    w.b_acc = banking.account(w.b_cust, w.product)
    banking.fund(w.bank, w.b_acc, "100.00")
    return w


def _detail_urls(w) -> list[str]:
    statement = f"?date_from={TODAY - dt.timedelta(days=30)}&date_to={TODAY + dt.timedelta(days=1)}"
    return [
        f"/api/v1/customers/{w.cust.pk}/",
        f"/api/v1/accounts/{w.acc1.pk}/",
        f"/api/v1/accounts/{w.acc1.pk}/balance/",
        f"/api/v1/accounts/{w.acc1.pk}/statement/{statement}",
        f"/api/v1/payments/{w.payment.pk}/",
        f"/api/v1/ledger/accounts/{w.wallet.pk}/",
        f"/api/v1/ledger/accounts/{w.wallet.pk}/balance/",
        f"/api/v1/ledger/accounts/{w.acc1.ledger_account_id}/balance/",
        f"/api/v1/ledger/accounts/{w.acc1.ledger_account_id}/statement/{statement}",
        f"/api/v1/ledger/entries/{w.entry.pk}/",
        f"/api/v1/ledger/holds/{w.hold.pk}/",
        f"/api/v1/kyc/applications/{w.kyc.pk}/",
        f"/api/v1/approvals/{w.approval.pk}/",
        f"/api/v1/limits/accounts/{w.acc1.pk}/allowance/",
    ]


def _list_urls(w) -> dict[str, int]:
    """List URL -> the id of A's object that must (not) appear in it."""
    return {
        "/api/v1/customers/": w.cust.pk,
        "/api/v1/accounts/": w.acc1.pk,
        "/api/v1/payments/": w.payment.pk,
        "/api/v1/ledger/accounts/": w.wallet.pk,
        "/api/v1/ledger/entries/": w.entry.pk,
        "/api/v1/kyc/applications/": w.kyc.pk,
        "/api/v1/approvals/": w.approval.pk,
    }


def _ids(response) -> set[int]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row["id"] for row in rows}


def test_a_partner_sees_its_own_objects(w):
    w.a.api_client.user.refresh_from_db()
    for url in _detail_urls(w):
        if "/approvals/" in url or "/limits/" in url or "/kyc/" in url:
            continue  # scopes/permissions of the api_client role, not isolation
        assert w.a.get(url).status_code == 200, url


def test_another_partner_gets_404_on_every_detail(w):
    for url in _detail_urls(w):
        response = w.b.get(url)
        assert response.status_code == 404, (url, response.status_code, response.content)


@pytest.mark.parametrize("who", ["channel", "staff"])
def test_the_bank_channel_and_staff_see_everything(w, who):
    api = getattr(w, who)
    for url in _detail_urls(w):
        if url.startswith("/api/v1/approvals/") and who == "channel":
            continue  # a channel client is not a checker of A's requests... but sees it anyway:
        response = api.get(url)
        assert response.status_code != 404, (url, response.status_code, response.content)


def test_lists_leave_out_another_partners_objects(w):
    grant(w.b.api_client.user, "kyc.view_kycapplication")
    for url, object_id in _list_urls(w).items():
        response = w.b.get(url)
        assert response.status_code == 200, (url, response.content)
        assert object_id not in _ids(response), url
        staff = w.staff.get(url)
        if staff.status_code == 200 and url != "/api/v1/approvals/":  # approvals/ lists the caller's own
            assert object_id in _ids(staff), url
        channel = w.channel.get(url)
        if url not in ("/api/v1/approvals/",):
            assert object_id in _ids(channel), url


def test_b_sees_its_own_customer_only(w):
    assert _ids(w.b.get("/api/v1/customers/")) == {w.b_cust.pk}
    assert _ids(w.b.get("/api/v1/accounts/")) == {w.b_acc.pk}


def _counts():
    return Payment.objects.count(), JournalEntry.objects.count(), Hold.objects.count()


@pytest.mark.parametrize("body", [
    pytest.param(lambda w: {"kind": "internal_transfer", "debtor_account_id": w.acc1.pk,
                            "creditor_account_id": w.b_acc.pk}, id="from-A"),
    pytest.param(lambda w: {"kind": "internal_transfer", "debtor_account_id": w.b_acc.pk,
                            "creditor_account_id": w.acc1.pk}, id="to-A"),
    pytest.param(lambda w: {"kind": "outgoing", "debtor_account_id": w.acc1.pk,
                            "counterparty_iban": "DE89370400440532013000", "counterparty_name": "X"}, id="outgoing"),
])
def test_b_cannot_pay_from_or_to_a(w, body):
    before = _counts()
    for url in ("/api/v1/payments/", "/api/v1/payments/preview/"):
        response = w.b.post(url, {"amount": "1.00", "currency": "EUR", **body(w)}, format="json",
                            HTTP_IDEMPOTENCY_KEY="b-steal")
        assert response.status_code == 404, (url, response.content)
        assert response.json()["code"] == "account_not_found"
    assert _counts() == before


def test_b_cannot_pay_to_a_by_iban(w):
    before = _counts()
    response = w.b.post("/api/v1/payments/", {"kind": "internal_transfer", "amount": "1.00", "currency": "EUR",
                                              "debtor_account_id": w.b_acc.pk, "creditor_iban": w.acc1.iban},
                        format="json", HTTP_IDEMPOTENCY_KEY="b-iban")
    assert response.status_code == 422 and response.json()["code"] == "invalid_payment", response.content
    assert _counts() == before


def test_b_cannot_post_entries_or_holds_on_a_accounts(w):
    before = _counts()
    legs = [{"account_id": w.acc1.ledger_account_id, "amount": "1.00"},
            {"account_id": w.b_acc.ledger_account_id, "amount": "-1.00"}]
    r = w.b.post("/api/v1/ledger/entries/", {"kind": "transfer", "postings": legs}, format="json",
                 HTTP_IDEMPOTENCY_KEY="b-entry")
    assert r.status_code == 404, r.content
    r = w.b.post("/api/v1/ledger/entries/bulk/", {"entries": [{"postings": legs}]}, format="json",
                 HTTP_IDEMPOTENCY_KEY="b-bulk")
    assert r.status_code == 404, r.content
    r = w.b.post("/api/v1/ledger/holds/", {"debit_account_id": w.acc1.ledger_account_id,
                                           "credit_account_id": w.b_acc.ledger_account_id, "amount": "1.00"},
                 format="json", HTTP_IDEMPOTENCY_KEY="b-hold")
    assert r.status_code == 404, r.content
    assert _counts() == before


def test_b_cannot_act_on_a_objects(w):
    before = _counts()
    actions = [
        (f"/api/v1/ledger/holds/{w.hold.pk}/void/", {"reason": "mine now"}),
        (f"/api/v1/ledger/holds/{w.hold.pk}/post/", {}),
        (f"/api/v1/ledger/entries/{w.entry.pk}/reverse/", {"reason": "x"}),
        (f"/api/v1/payments/{w.payment.pk}/return/", {"reason": "x"}),
        (f"/api/v1/accounts/{w.acc1.pk}/freeze/", {"reason": "x"}),
        (f"/api/v1/accounts/{w.acc1.pk}/close/", {"reason": "x"}),
        (f"/api/v1/customers/{w.cust.pk}/status/", {"status": "closed"}),
        (f"/api/v1/approvals/{w.approval.pk}/cancel/", {"reason": "x"}),
        ("/api/v1/accounts/", {"customer": w.cust.pk, "product": w.product.code}),
        ("/api/v1/kyc/applications/", {"customer": w.cust.pk}),
    ]
    for url, body in actions:
        response = w.b.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="b-act")
        # 404 where the role may act at all; 403 where the role itself may not (still no leak).
        assert response.status_code in (403, 404), (url, response.status_code, response.content)
        assert response.status_code == 404 or w.a.post(url, body, format="json").status_code == 403, url
    w.hold.refresh_from_db()
    assert w.hold.status == "pending"
    assert _counts() == before


def test_a_voids_its_own_hold(w):
    r = w.a.post(f"/api/v1/ledger/holds/{w.hold.pk}/void/", {"reason": "done"}, format="json")
    assert r.status_code == 200, r.content
    w.hold.refresh_from_db()
    assert w.hold.status == "voided"


def test_the_bank_channel_pays_between_any_customers(w):
    r = w.channel.post("/api/v1/payments/", {"kind": "internal_transfer", "amount": "1.00", "currency": "EUR",
                                             "debtor_account_id": w.acc1.pk, "creditor_account_id": w.b_acc.pk},
                       format="json", HTTP_IDEMPOTENCY_KEY="channel-pay")
    assert r.status_code == 201, r.content


def test_a_new_ledger_account_is_its_creators(w):
    r = w.b.post("/api/v1/ledger/accounts/", {"code": "B-WALLET", "name": "B wallet", "type": "liability",
                                              "currency": "EUR"}, format="json")
    assert r.status_code == 201, r.content
    wallet_id = r.json()["id"]
    assert w.b.get(f"/api/v1/ledger/accounts/{wallet_id}/").status_code == 200
    assert w.a.get(f"/api/v1/ledger/accounts/{wallet_id}/").status_code == 404
    assert wallet_id in _ids(w.b.get("/api/v1/ledger/accounts/"))
    assert wallet_id not in _ids(w.a.get("/api/v1/ledger/accounts/"))


# --- every /api/v1/ URL that names an object is isolated, or is knowingly not ----------------------

#: URL keyword -> how the view isolates it (a new keyword fails the test below until it is listed).
ISOLATED = {
    "customer_id": "customers", "account_id": "accounts / ledger accounts", "payment_id": "payments",
    "entry_id": "ledger entries", "hold_id": "ledger holds", "ticket_id": "tickets",
    "application_id": "kyc", "request_id": "approvals", "deposit_id": "deposits", "loan_id": "loans",
}
#: Bank-wide configuration, not owned by a client (the same for every caller).
NOT_CLIENT_OWNED = {
    "product_id": "products (accounts, loans)", "plan_id": "tariffs", "version_id": "tariffs",
    "schedule_id": "interest rate schedules: bank configuration",
    "profile_id": "limits", "rule_id": "limits", "team_id": "a bank team (its queue is filtered per ticket)",
    "client_id": "API clients: administrators only", "prefix": "API tokens: administrators only",
    "document_id": "under application_id, which is isolated", "action": "the verb of an account route",
    "business_date": "end-of-day runs: bank-wide, and a partner's token is refused outright (eod BankInternal)",
    **dict.fromkeys(("alert_id", "case_id", "attachment_id", "hit_id", "code"),
                    "compliance: bank-internal, a partner's token is refused outright (BankInternal)"),
    **dict.fromkeys(("batch_id", "file_id"),
                    "settlement of the bank's own batches and files: a partner's token is refused (BankInternal)"),
    **dict.fromkeys(("statement_id", "break_id", "match_id"),
                    "reconciliation of the bank's own accounts: a partner's token is refused outright (BankInternal)"),
}


def _api_routes():
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p

    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith("api/v1/"):
            yield route, pattern


def test_every_api_route_that_names_an_object_is_isolated():
    uncovered = []
    for route, pattern in _api_routes():
        keywords = set(pattern.pattern.regex.groupindex)
        view = getattr(pattern.callback, "view_class", None)
        for keyword in keywords:
            if keyword in NOT_CLIENT_OWNED:
                continue
            lookups = getattr(view, "scoped_lookups", {})
            if keyword not in ISOLATED or keyword not in lookups:
                uncovered.append(f"{route} ({keyword})")
    assert not uncovered, "routes without client isolation: " + ", ".join(sorted(uncovered))


def test_the_engine_never_imports_the_back_office():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[3] / "core_banking" / "common" / "visibility.py"
    assert "backoffice" not in root.read_text().replace("back office", "")


def test_kind_is_checked_by_the_database(w):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        type(w.a.api_client).objects.filter(pk=w.a.api_client.pk).update(kind="everything")


def test_balance_of_a_partner_account_is_unchanged_by_b(w):
    from core_banking.ledger.selectors import account_balance

    assert account_balance(account_id=w.acc1.ledger_account_id).posted == Decimal("90.00")
