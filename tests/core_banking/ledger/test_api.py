"""The ledger's REST API: what a client sends and gets back, and what ends up in the ledger."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core_banking.common.maker_checker import system_execution
from core_banking.ledger.models import AccountBalance, Hold, JournalEntry, LedgerAccount, Posting
from core_banking.ledger.selectors import account_balance
from core_banking.ledger.services import business_date_open, business_date_roll, entry_post, transfer
from core_banking.ledger.verify import verify_ledger
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

BASE = "/api/v1/ledger"
ENTRIES = f"{BASE}/entries/"
BULK = f"{BASE}/entries/bulk/"
ACCOUNTS = f"{BASE}/accounts/"
HOLDS = f"{BASE}/holds/"
TRIAL_BALANCE = f"{BASE}/trial-balance/"


@pytest.fixture(autouse=True)
def _roles(db):
    ensure_roles()


@pytest.fixture
def finance():
    return staff_api(staff_user("finance"))


@pytest.fixture
def support():
    return staff_api(staff_user("support_agent"))


@pytest.fixture
def partner():
    """An API client with the api_client role and the ledger scope, calling with its token. The role
    reads the ledger but does not hold ``ledger.post_entry``: it may not post."""
    return client_api(scopes=["ledger"])


@pytest.fixture
def poster():
    """An API client of the finance role (which holds ``ledger.post_entry``) with the ledger scope,
    calling with its token: the client of the posting-mechanics tests."""
    return client_api(role="finance", scopes=["ledger"])


def assert_refused_to_post(response) -> None:
    """A client of the api_client role is refused at the door: it holds exactly its role's permissions."""
    body = assert_problem(response, status=403, code="permission_denied")
    assert "ledger.post_entry" in body["detail"], body


def posted(account) -> Decimal:
    return account_balance(account_id=account.pk).posted


def post(api, body, key="key-1", url=ENTRIES):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(url, body, format="json", **headers)


def deposit(bank, amount="100.00", *, to=None, key="deposit"):
    return transfer(debit_account_id=bank.cash.pk, credit_account_id=(to or bank.alice).pk,
                    amount=Decimal(amount), idempotency_key=key).entry


def payment(bank, amount="30.00", *, ref="INV-1"):
    return {
        "postings": [
            {"account_id": bank.alice.pk, "amount": amount},
            {"account_id": bank.bob.pk, "amount": f"-{amount}", "currency": "EUR"},
        ],
        "external_ref": ref,
        "description": "Invoice 1",
        "metadata": {"channel": "app"},
    }


# --- posting an entry ----------------------------------------------------------------------


def test_posting_an_entry_returns_it_with_its_postings_and_balances(bank, finance):
    deposit(bank)

    response = post(finance, payment(bank, "30.00"))

    assert response.status_code == 201, response.content
    body = response.json()
    entry = JournalEntry.objects.get(pk=body["id"])
    assert body == {
        "id": entry.pk,
        "kind": "transfer",
        "business_date": business_date_open().isoformat(),
        "value_date": business_date_open().isoformat(),
        "created_at": body["created_at"],
        "external_ref": "INV-1",
        "description": "Invoice 1",
        "metadata": {"channel": "app"},
        "reverses": None,
        "reversed_by": None,
        "hash": entry.hash,
        "postings": [
            {"account_id": bank.alice.pk, "currency": "EUR", "amount": "30.00", "balance_after": "70.00",
             "posted_at": body["postings"][0]["posted_at"]},
            {"account_id": bank.bob.pk, "currency": "EUR", "amount": "-30.00", "balance_after": "30.00",
             "posted_at": body["postings"][1]["posted_at"]},
        ],
    }
    assert len(entry.hash) == 64
    assert entry.created_by.groups.filter(name="finance").exists()
    assert (posted(bank.alice), posted(bank.bob)) == (Decimal("70.00"), Decimal("30.00"))
    assert "Idempotent-Replayed" not in response
    assert verify_ledger().ok


def test_amounts_come_back_in_the_units_of_their_currency(account_factory, finance):
    from core_banking.ledger.models import AccountType

    yen_cash = account_factory(type=AccountType.ASSET, currency="JPY")
    yen_deposits = account_factory(currency="JPY")

    response = post(finance, {"postings": [{"account_id": yen_cash.pk, "amount": "1500"},
                                           {"account_id": yen_deposits.pk, "amount": "-1500"}]})

    assert response.status_code == 201, response.content
    assert [(p["amount"], p["balance_after"]) for p in response.json()["postings"]] == [
        ("1500", "1500"), ("-1500", "1500")
    ]


def test_a_replay_returns_the_same_entry_with_200_and_a_header(bank, finance):
    deposit(bank)
    first = post(finance, payment(bank), key="pay-123")

    replay = post(finance, payment(bank), key="pay-123")

    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert JournalEntry.objects.filter(external_ref="INV-1").count() == 1
    assert posted(bank.alice) == Decimal("70.00")


def test_the_same_key_with_another_body_is_a_conflict(bank, finance):
    deposit(bank)
    post(finance, payment(bank, "30.00"), key="pay-123")

    response = post(finance, payment(bank, "31.00"), key="pay-123")

    assert_problem(response, status=409, code="idempotency_conflict")
    assert posted(bank.alice) == Decimal("70.00")


def test_keys_are_per_client(bank, finance):
    deposit(bank)
    other = staff_api(staff_user("finance"))
    post(finance, payment(bank, "30.00"), key="pay-123")

    response = post(other, payment(bank, "31.00"), key="pay-123")

    assert response.status_code == 201
    assert posted(bank.alice) == Decimal("39.00")


def test_the_idempotency_key_header_is_required(bank, finance):
    deposit(bank)

    missing = post(finance, payment(bank), key=None)
    too_long = post(finance, payment(bank), key="k" * 129)

    body = assert_problem(missing, status=400, code="idempotency_key_required")
    assert "Idempotency-Key" in body["detail"]
    assert_problem(too_long, status=400, code="idempotency_key_invalid")
    assert JournalEntry.objects.count() == 1
    assert post(finance, payment(bank), key="k" * 128).status_code == 201


def test_an_unbalanced_entry_is_refused_and_nothing_is_written(bank, finance):
    response = post(finance, {"postings": [{"account_id": bank.cash.pk, "amount": "10.00"},
                                           {"account_id": bank.alice.pk, "amount": "-9.99"}]})

    body = assert_problem(response, status=422, code="unbalanced_entry")
    assert body["imbalance"] == {"EUR": "0.01"}
    assert JournalEntry.objects.count() == Posting.objects.count() == 0
    assert (posted(bank.cash), posted(bank.alice)) == (Decimal("0.00"), Decimal("0.00"))


def test_insufficient_funds_are_refused_and_balances_do_not_change(bank, finance):
    deposit(bank, "10.00")

    response = post(finance, payment(bank, "10.01"))

    body = assert_problem(response, status=422, code="insufficient_funds")
    assert body["accounts"] == [bank.alice.pk]
    assert (posted(bank.alice), posted(bank.bob)) == (Decimal("10.00"), Decimal("0.00"))
    assert JournalEntry.objects.count() == 1


@pytest.mark.parametrize("amount", [30.0, 30.1, 30, "30.001"])
def test_amounts_must_be_strings_that_fit_the_currency(bank, finance, amount):
    deposit(bank)
    body = payment(bank)
    body["postings"][0]["amount"] = amount

    response = post(finance, body)

    if isinstance(amount, str):
        problem = assert_problem(response, status=400, code="invalid_amount")
        assert problem["exponent"] == 2
    else:
        problem = assert_problem(response, status=400, code="validation_error")
        assert "JSON strings" in problem["errors"]["postings"]["0"]["amount"][0]
    assert posted(bank.alice) == Decimal("100.00")
    assert JournalEntry.objects.count() == 1


def test_malformed_entries_are_validation_errors(bank, finance):
    one_leg = post(finance, {"postings": [{"account_id": bank.cash.pk, "amount": "1.00"}]})
    reversal_kind = post(finance, {**payment(bank), "kind": "reversal"})
    not_an_object = post(finance, {**payment(bank), "metadata": ["a"]})

    assert assert_problem(one_leg, status=400, code="validation_error")["errors"]["postings"]
    assert assert_problem(reversal_kind, status=400, code="validation_error")["errors"]["kind"]
    assert assert_problem(not_an_object, status=400, code="validation_error")["errors"]["metadata"]


def test_unknown_accounts_and_currency_mismatches(bank, finance):
    unknown = post(finance, {"postings": [{"account_id": 987654, "amount": "1.00"},
                                          {"account_id": bank.alice.pk, "amount": "-1.00"}]}, key="a")
    mismatch = post(finance, {"postings": [{"account_id": bank.cash.pk, "amount": "1.00", "currency": "USD"},
                                           {"account_id": bank.alice.pk, "amount": "-1.00"}]}, key="b")

    assert assert_problem(unknown, status=404, code="account_not_found")["posting"] == 0
    assert_problem(mismatch, status=400, code="currency_mismatch")


def _pending(response, action_type: str) -> dict:
    """A deferred action: 202 with the pending approval request and its Location."""
    assert response.status_code == 202, response.content
    request = response.json()
    assert (request["action_type"], request["status"]) == (action_type, "pending"), request
    assert response["Location"] == f"/api/v1/approvals/{request['id']}/"
    from backoffice.approvals.models import ApprovalRequest

    assert ApprovalRequest.objects.filter(pk=request["id"], status="pending").exists()
    return request


def _approve(response, checker) -> dict:
    """A deferred action: 202 with the approval request, then a checker (a staff session: a second
    finance user or a compliance officer) approves it and it executes."""
    assert response.status_code == 202, response.content
    request = response.json()
    assert request["status"] == "pending" and response["Location"] == f"/api/v1/approvals/{request['id']}/"
    decided = checker.post(f"{response['Location']}approve/", {"comment": "checked"}, format="json")
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "executed", decided.json()
    return decided.json()


@pytest.mark.backoffice
def test_a_staff_adjustment_with_a_value_date_asks_for_approval(bank, finance):
    before = JournalEntry.objects.count()
    response = post(finance, {"postings": [{"account_id": bank.marketing.pk, "amount": "5.00"},
                                           {"account_id": bank.cash.pk, "amount": "-5.00", "currency": "EUR"}],
                              "kind": "adjustment", "value_date": "2024-01-31", "description": "Bonus booked late",
                              "metadata": {"ticket": "T-1"}})

    assert response.json()["action_type"] == "ledger_adjustment"
    assert JournalEntry.objects.count() == before  # nothing posted yet
    executed = _approve(response, staff_api(staff_user("finance")))
    entry = finance.get(f"{ENTRIES}{executed['result']['entry_id']}/").json()
    assert (entry["kind"], entry["value_date"], entry["description"]) == ("adjustment", "2024-01-31",
                                                                          "Bonus booked late")
    assert entry["metadata"] == {"ticket": "T-1", "approval_request": executed["id"]}
    assert posted(bank.marketing) == Decimal("5.00")
    assert JournalEntry.objects.get(pk=entry["id"]).created_by.username != executed["maker"]  # the checker posted
    assert verify_ledger().ok


@pytest.mark.backoffice
def test_a_staff_adjustment_is_refused_up_front_as_the_direct_route_would(bank, finance):
    from backoffice.approvals.models import ApprovalRequest

    legs = [{"account_id": bank.alice.pk, "amount": "5.00"}, {"account_id": bank.bob.pk, "amount": "-5.00"}]

    overdrawn = post(finance, {"postings": legs, "kind": "adjustment", "description": "x"})
    no_description = post(finance, {"postings": [{"account_id": bank.marketing.pk, "amount": "5.00"},
                                                 {"account_id": bank.cash.pk, "amount": "-5.00"}],
                                    "kind": "adjustment"}, key="k2")

    assert_problem(overdrawn, status=422, code="insufficient_funds")
    assert_problem(no_description, status=400, code="invalid_approval_payload")
    assert not ApprovalRequest.objects.exists() and not JournalEntry.objects.exists()


@pytest.mark.backoffice
def test_an_api_client_adjustment_asks_for_approval_like_anyone_s(bank, partner):
    """No direct route for a token: a finance client's adjustment is a pending request until a
    checker in a staff session (never the owner of the maker's client) approves it."""
    from backoffice.approvals.models import ApprovalRequest

    owner = staff_user("finance")
    client = client_api(role="finance", scopes=["ledger"], owner=owner)
    body = {"postings": [{"account_id": bank.marketing.pk, "amount": "5.00"},
                         {"account_id": bank.cash.pk, "amount": "-5.00"}],
            "kind": "adjustment", "value_date": "2024-01-31", "description": "Bonus booked late"}

    refused = post(partner, body, key="adj-0")
    response = post(client, body, key="adj-1")

    assert_refused_to_post(refused)
    request = _pending(response, "ledger_adjustment")
    assert ApprovalRequest.objects.count() == 1
    assert [(p["account_id"], Decimal(p["amount"]), p["currency"]) for p in request["payload"]["postings"]] == [
        (bank.marketing.pk, Decimal("5.00"), "EUR"), (bank.cash.pk, Decimal("-5.00"), "EUR"),
    ]
    assert not JournalEntry.objects.exists() and posted(bank.marketing) == Decimal("0.00")  # nothing posted
    # The same request again is not a ledger replay: the same action is already pending.
    assert_problem(post(client, body, key="adj-1"), status=409, code="duplicate_pending_request")
    # Neither the owner of the maker's API client nor a token (of a checker role) may decide on it.
    by_owner = staff_api(owner).post(f"{response['Location']}approve/", {}, format="json")
    by_token = client_api(role="finance", scopes=["approvals"]).post(f"{response['Location']}approve/", {},
                                                                  format="json")
    assert_problem(by_owner, status=403, code="self_approval_forbidden")
    assert "staff session" in assert_problem(by_token, status=403, code="permission_denied")["detail"]
    assert not JournalEntry.objects.exists()

    executed = _approve(response, staff_api(staff_user("compliance_officer")))
    entry = client.get(f"{ENTRIES}{executed['result']['entry_id']}/").json()
    assert (entry["kind"], entry["value_date"], entry["description"]) == ("adjustment", "2024-01-31",
                                                                          "Bonus booked late")
    assert entry["metadata"] == {"approval_request": request["id"]}
    assert [(p["account_id"], p["amount"]) for p in entry["postings"]] == [
        (bank.marketing.pk, "5.00"), (bank.cash.pk, "-5.00")
    ]
    assert (posted(bank.marketing), posted(bank.cash)) == (Decimal("5.00"), Decimal("-5.00"))
    assert JournalEntry.objects.count() == 1
    assert verify_ledger().ok


# --- reading entries -----------------------------------------------------------------------


def test_an_entry_by_id(bank, support):
    entry = deposit(bank, "12.34")

    response = support.get(f"{ENTRIES}{entry.pk}/")

    assert response.status_code == 200
    assert response.json()["postings"] == [
        {"account_id": bank.cash.pk, "currency": "EUR", "amount": "12.34", "balance_after": "12.34",
         "posted_at": response.json()["postings"][0]["posted_at"]},
        {"account_id": bank.alice.pk, "currency": "EUR", "amount": "-12.34", "balance_after": "12.34",
         "posted_at": response.json()["postings"][1]["posted_at"]},
    ]
    assert_problem(support.get(f"{ENTRIES}999999/"), status=404, code="entry_not_found")


def test_the_list_filters_entries(bank, support):
    first = deposit(bank, "100.00", key="d1")
    to_bob = deposit(bank, "5.00", to=bank.bob, key="d2")
    with system_execution():  # set-up: an adjustment outside maker-checker (tested above); the list is tested here
        pay = transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("1.00"),
                       idempotency_key="p", external_ref="REF-9", kind="adjustment").entry
    today = business_date_open().isoformat()

    def ids(**params):
        response = support.get(ENTRIES, params)
        assert response.status_code == 200, response.content
        return [e["id"] for e in response.json()["results"]]

    assert ids() == [pay.pk, to_bob.pk, first.pk]
    assert ids(account=bank.bob.pk) == [pay.pk, to_bob.pk]
    assert ids(account=bank.alice.pk) == [pay.pk, first.pk]
    assert ids(external_ref="REF-9") == [pay.pk]
    assert ids(kind="adjustment") == [pay.pk]
    assert ids(date_from=today, date_to=today) == [pay.pk, to_bob.pk, first.pk]
    assert ids(date_to="2000-01-01") == []
    assert ids(created_from=pay.created_at.isoformat()) == [pay.pk]
    assert ids(created_to=pay.created_at.isoformat()) == [to_bob.pk, first.pk]
    assert_problem(support.get(ENTRIES, {"date_from": "yesterday"}), status=400, code="validation_error")


def test_the_list_pages_with_a_cursor(bank, support):
    entries = [deposit(bank, "1.00", key=f"d{n}") for n in range(5)]

    page1 = support.get(ENTRIES, {"page_size": 2}).json()
    page2 = support.get(page1["next"]).json()
    page3 = support.get(page2["next"]).json()

    newest_first = [e.pk for e in reversed(entries)]
    assert [e["id"] for e in page1["results"] + page2["results"] + page3["results"]] == newest_first
    assert page3["next"] is None


@pytest.mark.both
def test_listing_entries_costs_the_same_queries_for_5_or_50_entries(bank, partner, django_assert_max_num_queries):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = partner.get(ENTRIES, {"page_size": 100})
        assert response.status_code == 200
        return len(queries)

    for n in range(5):
        deposit(bank, "1.00", key=f"a{n}")
    list_queries()  # the token's first use of the minute also records its last use
    few = list_queries()
    for n in range(45):  # written by the service: the partner's role reads the ledger, it does not post
        entry_post(postings=[{"account_id": bank.alice.pk, "amount": "0.01"},
                             {"account_id": bank.fees.pk, "amount": "-0.01"},
                             {"account_id": bank.cash.pk, "amount": "0.02"},
                             {"account_id": bank.bob.pk, "amount": "-0.02"}], idempotency_key=f"b{n}")

    assert list_queries() == few
    with django_assert_max_num_queries(few):
        body = partner.get(ENTRIES, {"page_size": 100}).json()
    assert len(body["results"]) == 50
    assert sum(len(e["postings"]) for e in body["results"]) == 5 * 2 + 45 * 4


# --- reversals -----------------------------------------------------------------------------


@pytest.mark.backoffice
def test_reversing_an_entry(bank, partner, poster):
    """An API client's reversal asks for approval like anyone's (the maker-checker gate is in the
    service); a checker in a staff session executes it."""
    from backoffice.approvals.models import ApprovalRequest

    deposit(bank)
    original = post(poster, payment(bank, "30.00")).json()
    url = f"{ENTRIES}{original['id']}/reverse/"

    refused = partner.post(url, {"reason": "duplicate payment"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-0")
    response = poster.post(url, {"reason": "duplicate payment"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")

    assert_refused_to_post(refused)
    request = _pending(response, "reversal")
    assert request["payload"] == {"entry_id": original["id"], "reason": "duplicate payment"}
    assert ApprovalRequest.objects.count() == 1
    assert not JournalEntry.objects.filter(kind="reversal").exists()  # nothing posted yet
    assert poster.get(f"{ENTRIES}{original['id']}/").json()["reversed_by"] is None
    assert (posted(bank.alice), posted(bank.bob)) == (Decimal("70.00"), Decimal("30.00"))
    # A replay is not a ledger replay: the same reversal is already pending.
    replay = poster.post(url, {"reason": "duplicate payment"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    assert_problem(replay, status=409, code="duplicate_pending_request")

    executed = _approve(response, staff_api(staff_user("compliance_officer")))
    reversal = poster.get(f"{ENTRIES}{executed['result']['entry_id']}/").json()
    assert (reversal["kind"], reversal["reverses"], reversal["description"]) == (
        "reversal", original["id"], "duplicate payment"
    )
    assert [(p["account_id"], p["amount"], p["balance_after"]) for p in reversal["postings"]] == [
        (bank.alice.pk, "-30.00", "100.00"), (bank.bob.pk, "30.00", "0.00")
    ]
    assert poster.get(f"{ENTRIES}{original['id']}/").json()["reversed_by"] == reversal["id"]
    assert (posted(bank.alice), posted(bank.bob)) == (Decimal("100.00"), Decimal("0.00"))

    # Once executed, the rehearsal refuses another reversal (the first key's included), writing nothing.
    before = ApprovalRequest.objects.count()
    replay = poster.post(url, {"reason": "duplicate payment"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    assert_problem(replay, status=409, code="already_reversed")
    again = poster.post(url, {"reason": "again"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-2")
    assert_problem(again, status=409, code="already_reversed")
    assert_problem(poster.post(url, {"reason": "x"}, format="json"), status=400, code="idempotency_key_required")
    assert_problem(poster.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="rev-3"), status=400,
                   code="validation_error")
    missing = poster.post(f"{ENTRIES}999999/reverse/", {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert_problem(missing, status=404, code="entry_not_found")
    assert ApprovalRequest.objects.count() == before
    assert JournalEntry.objects.filter(kind="reversal").count() == 1
    assert posted(bank.alice) == Decimal("100.00")
    assert verify_ledger().ok


@pytest.mark.both
def test_an_entry_of_a_payment_is_never_reversed_through_the_ledger(bank, finance, poster):
    deposit(bank)
    with system_execution():  # set-up: an entry as the payments engine writes it (reserved metadata)
        of_payment = transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("30.00"),
                              idempotency_key="pay", metadata={"payment": "PAY-1", "payment_kind": "transfer"}).entry
    url = f"{ENTRIES}{of_payment.pk}/reverse/"

    by_token = poster.post(url, {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    by_staff = finance.post(url, {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")

    assert assert_problem(by_token, status=409, code="payment_entry")["payment"] == "PAY-1"
    assert_problem(by_staff, status=409, code="payment_entry")
    assert no_approval_requests()
    assert not JournalEntry.objects.filter(kind="reversal").exists()
    assert (posted(bank.alice), posted(bank.bob)) == (Decimal("70.00"), Decimal("30.00"))


RESERVED_KEYS = ["payment", "payment_kind", "return_of", "approval_request"]


@pytest.mark.both
@pytest.mark.parametrize("key", RESERVED_KEYS)
def test_metadata_keys_the_engine_writes_are_refused_from_a_client(bank, poster, key):
    deposit(bank)
    entry = {**payment(bank), "metadata": {key: "PAY-1"}}
    adjustment = {**entry, "kind": "adjustment", "description": "x"}
    hold = {"debit_account_id": bank.alice.pk, "credit_account_id": bank.bob.pk, "amount": "1.00",
            "metadata": {key: "PAY-1"}}

    single = post(poster, entry, key="e")
    adjusted = post(poster, adjustment, key="a")
    held = post(poster, hold, key="h", url=HOLDS)

    assert assert_problem(single, status=400, code="validation_error")["errors"]["metadata"]
    assert assert_problem(adjusted, status=400, code="validation_error")["errors"]["metadata"]
    assert assert_problem(held, status=400, code="validation_error")["errors"]["metadata"]
    assert JournalEntry.objects.count() == 1 and not Hold.objects.exists() and no_approval_requests()
    assert posted(bank.alice) == Decimal("100.00")


@pytest.mark.parametrize("key", RESERVED_KEYS)
def test_metadata_keys_the_engine_writes_are_refused_in_a_bulk(bank, poster, key):
    items = [_bulk_item(bank, 0), {**_bulk_item(bank, 1), "metadata": {key: "PAY-1"}}]

    response = post(poster, {"entries": items}, key="b", url=BULK)

    body = assert_problem(response, status=400, code="validation_error")
    assert body["entry_index"] == 1 and body["errors"]["entries"]["1"]["metadata"]
    assert not JournalEntry.objects.exists()


@pytest.mark.backoffice
def test_a_staff_reversal_asks_for_approval_and_a_second_person_executes_it(bank, finance):
    from backoffice.approvals.models import ApprovalRequest

    deposit(bank)
    original = post(finance, payment(bank, "30.00")).json()  # a transfer: posted directly
    assert original["kind"] == "transfer"
    url = f"{ENTRIES}{original['id']}/reverse/"

    response = finance.post(url, {"reason": "duplicate payment"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")

    assert response.json()["payload"] == {"entry_id": original["id"], "reason": "duplicate payment"}
    assert finance.get(f"{ENTRIES}{original['id']}/").json()["reversed_by"] is None
    assert_problem(finance.post(url, {"reason": "again"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-2"), status=409,
                   code="duplicate_pending_request")
    executed = _approve(response, staff_api(staff_user("finance")))
    reversal = finance.get(f"{ENTRIES}{executed['result']['entry_id']}/").json()
    assert (reversal["kind"], reversal["reverses"], reversal["description"]) == (
        "reversal", original["id"], "duplicate payment")
    assert (posted(bank.alice), posted(bank.bob)) == (Decimal("100.00"), Decimal("0.00"))

    # Refused up front as the direct route refuses, with nothing written.
    before = ApprovalRequest.objects.count()
    assert_problem(finance.post(url, {"reason": "again"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-3"), status=409,
                   code="already_reversed")
    assert_problem(finance.post(f"{ENTRIES}{reversal['id']}/reverse/", {"reason": "x"}, format="json",
                                HTTP_IDEMPOTENCY_KEY="rev-4"), status=422, code="invalid_entry")
    assert_problem(finance.post(url, {"reason": "x"}, format="json"), status=400, code="idempotency_key_required")
    missing = finance.post(f"{ENTRIES}999999/reverse/", {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert_problem(missing, status=404, code="entry_not_found")
    assert ApprovalRequest.objects.count() == before
    assert verify_ledger().ok


# --- bulk ----------------------------------------------------------------------------------


def _bulk_item(bank, n: int, amount: str = "1.00") -> dict:
    return {"postings": [{"account_id": bank.cash.pk, "amount": amount},
                         {"account_id": bank.alice.pk, "amount": f"-{amount}"}],
            "external_ref": f"IMPORT-{n:03d}"}


def test_a_bulk_of_100_entries(bank, partner, poster):
    items = [_bulk_item(bank, n) for n in range(100)]
    items[7]["idempotency_key"] = "own-key-7"

    refused = post(partner, {"entries": items}, key="import-1", url=BULK)
    response = post(poster, {"entries": items}, key="import-1", url=BULK)

    assert_refused_to_post(refused)
    assert response.status_code == 201, response.content
    body = response.json()
    assert [row["external_ref"] for row in body] == [f"IMPORT-{n:03d}" for n in range(100)]
    entries = JournalEntry.objects.in_bulk([row["id"] for row in body])
    assert len(entries) == 100
    assert entries[body[0]["id"]].idempotency_key == "import-1#0"
    assert entries[body[7]["id"]].idempotency_key == "own-key-7"
    assert (posted(bank.cash), posted(bank.alice)) == (Decimal("100.00"), Decimal("100.00"))

    replay = post(poster, {"entries": items}, key="import-1", url=BULK)
    assert (replay.status_code, replay["Idempotent-Replayed"], replay.json()) == (200, "true", body)
    assert JournalEntry.objects.count() == 100
    assert verify_ledger().ok


def test_a_bulk_with_one_bad_entry_writes_nothing_and_names_it(bank, poster):
    items = [_bulk_item(bank, n) for n in range(100)]
    items[57]["postings"][1]["amount"] = -1.0

    response = post(poster, {"entries": items}, key="import-2", url=BULK)

    body = assert_problem(response, status=400, code="validation_error")
    assert body["entry_index"] == 57
    assert list(body["errors"]["entries"]) == ["57"]
    assert "JSON strings" in body["errors"]["entries"]["57"]["postings"]["1"]["amount"][0]
    assert JournalEntry.objects.count() == 0
    assert posted(bank.alice) == Decimal("0.00")


def test_a_bulk_with_an_unbalanced_entry_writes_nothing(bank, poster):
    items = [_bulk_item(bank, n) for n in range(100)]
    items[40]["postings"][1]["amount"] = "-0.99"

    response = post(poster, {"entries": items}, key="import-3", url=BULK)

    assert_problem(response, status=422, code="unbalanced_entry")
    assert JournalEntry.objects.count() == Posting.objects.count() == 0
    assert (posted(bank.cash), posted(bank.alice)) == (Decimal("0.00"), Decimal("0.00"))


def test_a_bulk_that_overdraws_writes_nothing(bank, poster):
    deposit(bank, "10.00")
    spend = [{"postings": [{"account_id": bank.alice.pk, "amount": "4.00"},
                           {"account_id": bank.bob.pk, "amount": "-4.00"}]} for _ in range(3)]

    response = post(poster, {"entries": spend}, key="spend", url=BULK)

    body = assert_problem(response, status=422, code="insufficient_funds")
    assert body["accounts"] == [bank.alice.pk]
    assert (posted(bank.alice), posted(bank.bob)) == (Decimal("10.00"), Decimal("0.00"))


def test_bulk_limits(bank, poster):
    assert_problem(post(poster, {"entries": []}, key="k", url=BULK), status=400, code="validation_error")
    too_many = post(poster, {"entries": [{}] * 10_001}, key="k", url=BULK)
    assert "10000" in str(assert_problem(too_many, status=400, code="validation_error")["errors"])
    items = [_bulk_item(bank, n) for n in range(10)]
    assert_problem(post(poster, {"entries": items}, key=None, url=BULK), status=400,
                   code="idempotency_key_required")
    # "<key>#9" must fit in 128 characters
    assert_problem(post(poster, {"entries": items}, key="k" * 127, url=BULK), status=400,
                   code="idempotency_key_invalid")
    assert post(poster, {"entries": items}, key="k" * 126, url=BULK).status_code == 201


@pytest.mark.both
def test_a_manual_adjustment_is_not_allowed_in_bulk(bank, poster):
    """An adjustment is posted alone and needs approval: a batch holding one is refused, whole, by
    the route (its items are transfers, `kind` is not one of their fields) and by the service."""
    from core_banking.ledger import exceptions as ledger_exc
    from core_banking.ledger.services import entries_post_bulk

    deposit(bank, "10.00")
    items = [_bulk_item(bank, n) for n in range(3)]
    items[1] = {**items[1], "kind": "adjustment", "description": "x"}

    with pytest.raises(ledger_exc.InvalidEntry) as refused:
        entries_post_bulk(entries=items, idempotency_key="adj", actor=poster.user)
    response = post(poster, {"entries": items}, key="adj", url=BULK)

    assert refused.value.code == "invalid_entry" and refused.value.extra["entry_index"] == 1
    body = assert_problem(response, status=400, code="unknown_field")
    assert body["entry_index"] == 1 and body["field"] == "entries[1].kind"
    assert "adjustment" in str(body["errors"]["entries"]["1"])
    assert JournalEntry.objects.count() == 1 and no_approval_requests()
    assert posted(bank.cash) == Decimal("10.00")


# --- accounts ------------------------------------------------------------------------------


def test_listing_and_reading_accounts(bank, finance):
    def codes(**params):
        response = finance.get(ACCOUNTS, params)
        assert response.status_code == 200, response.content
        return [a["code"] for a in response.json()["results"]]

    assert codes(code="2100") == ["2100-ALICE", "2100-ALICE-USD", "2100-BOB"]
    assert codes(code="2100", currency="USD") == ["2100-ALICE-USD"]
    assert codes(type="asset") == ["1000-EUR", "1000-USD"]
    assert codes(code="2100", page_size=2) == ["2100-ALICE", "2100-ALICE-USD"]

    detail = finance.get(f"{ACCOUNTS}{bank.fees.pk}/").json()
    assert detail == {
        "id": bank.fees.pk, "code": "4000-FEES", "name": "Fee income", "type": "income", "currency": "EUR",
        "parent_id": None, "is_synthetic": False, "balance_rule": "unconstrained", "overdraft_limit": "0.00",
        "shard_count": 8, "is_active": True, "external_id": "", "created_at": detail["created_at"],
    }
    assert_problem(finance.get(f"{ACCOUNTS}999999/"), status=404, code="account_not_found")


def test_opening_an_account_needs_add_ledgeraccount_and_creates_its_shards(db):
    # finance has ledger.add_ledgeraccount through its role; a support agent does not
    api = staff_api(staff_user("finance"))
    body = {"code": "2200-CAROL", "name": "Carol savings", "type": "liability", "currency": "EUR",
            "balance_rule": "overdraft_limit", "overdraft_limit": "250.00"}

    refused = staff_api(staff_user("support_agent")).post(ACCOUNTS, body, format="json")
    created = api.post(ACCOUNTS, body, format="json")
    duplicate = api.post(ACCOUNTS, body, format="json")

    assert_problem(refused, status=403, code="permission_denied")
    assert created.status_code == 201, created.content
    account = LedgerAccount.objects.get(code="2200-CAROL")
    assert created.json()["overdraft_limit"] == "250.00"
    assert list(AccountBalance.objects.filter(account=account).values_list("shard", "floor")) == [
        (0, Decimal("-250.00"))
    ]
    assert duplicate.json()["errors"] == {"code": ["A ledger account with this code already exists."]}


def test_opening_an_account_checks_the_rules(db):
    clerk = staff_user("finance")
    grant(clerk, "ledger.add_ledgeraccount")
    api = staff_api(clerk)
    base = {"name": "x", "type": "income", "currency": "EUR"}

    sharded = api.post(ACCOUNTS, {**base, "code": "A1", "shard_count": 4}, format="json")
    constrained_sharded = api.post(ACCOUNTS, {**base, "code": "A2", "shard_count": 4,
                                              "balance_rule": "non_negative"}, format="json")
    too_precise = api.post(ACCOUNTS, {**base, "code": "A3", "balance_rule": "overdraft_limit",
                                      "overdraft_limit": "1.001"}, format="json")

    assert sharded.status_code == 201
    assert AccountBalance.objects.filter(account_id=sharded.json()["id"]).count() == 4
    assert_problem(constrained_sharded, status=422, code="invalid_entry")
    assert_problem(too_precise, status=400, code="invalid_amount")
    assert not LedgerAccount.objects.filter(code__in=["A2", "A3"]).exists()


def test_balances_now_and_in_the_past(bank, finance):
    before = timezone.now()
    deposit(bank, "100.00")
    opening_day = business_date_open()
    business_date_roll()
    transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("30.00"),
             idempotency_key="pay")
    hold_response = post(finance, {"debit_account_id": bank.alice.pk, "credit_account_id": bank.bob.pk,
                                   "amount": "20.00"}, key="auth", url=HOLDS)
    assert hold_response.status_code == 201
    url = f"{ACCOUNTS}{bank.alice.pk}/balance/"

    now = finance.get(url).json()
    at_close = finance.get(url, {"business_date": opening_day.isoformat()}).json()
    before_all = finance.get(url, {"as_of": before.isoformat()}).json()

    assert now == {"account_id": bank.alice.pk, "currency": "EUR", "posted": "70.00", "held": "20.00",
                   "pending_in": "0.00", "available": "50.00", "as_of": None}
    assert (at_close["posted"], at_close["held"], at_close["available"]) == ("100.00", None, None)
    assert before_all["posted"] == "0.00"
    assert finance.get(f"{ACCOUNTS}{bank.bob.pk}/balance/").json()["pending_in"] == "20.00"
    both = finance.get(url, {"business_date": opening_day.isoformat(), "as_of": before.isoformat()})
    assert_problem(both, status=400, code="validation_error")


def test_a_statement_with_opening_closing_and_running_balance(bank, finance):
    day1 = business_date_open()
    deposit(bank, "100.00")
    day2 = business_date_roll().date
    pay = transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.bob.pk, amount=Decimal("30.00"),
                   idempotency_key="pay", external_ref="INV-7", description="Invoice 7").entry
    fee = transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.fees.pk, amount=Decimal("1.50"),
                   idempotency_key="fee").entry
    day3 = business_date_roll().date
    deposit(bank, "20.00", key="deposit-2")
    url = f"{ACCOUNTS}{bank.alice.pk}/statement/"

    middle = finance.get(url, {"date_from": day2.isoformat(), "date_to": day2.isoformat()}).json()
    everything = finance.get(url, {"date_from": day1.isoformat(), "date_to": day3.isoformat()}).json()

    assert (middle["opening_balance"], middle["closing_balance"], middle["truncated"]) == ("100.00", "68.50", False)
    assert [(line["entry_id"], line["debit"], line["credit"], line["balance"], line["external_ref"])
            for line in middle["lines"]] == [
        (pay.pk, "30.00", "0.00", "70.00", "INV-7"),
        (fee.pk, "1.50", "0.00", "68.50", ""),
    ]
    assert (everything["opening_balance"], everything["closing_balance"]) == ("0.00", "88.50")
    assert [line["balance"] for line in everything["lines"]] == ["100.00", "70.00", "68.50", "88.50"]
    backwards = finance.get(url, {"date_from": day2.isoformat(), "date_to": day1.isoformat()})
    assert_problem(backwards, status=400, code="validation_error")
    assert_problem(finance.get(url), status=400, code="validation_error")


# --- holds ---------------------------------------------------------------------------------


def test_a_hold_is_created_read_and_posted_for_less(bank, partner, poster):
    deposit(bank, "100.00")
    body = {"debit_account_id": bank.alice.pk, "credit_account_id": bank.bob.pk, "amount": "60.00",
            "external_ref": "CARD-1"}

    refused = post(partner, body, key="auth-0", url=HOLDS)
    created = post(poster, body, key="auth-1", url=HOLDS)
    replay = post(poster, body, key="auth-1", url=HOLDS)

    assert_refused_to_post(refused)
    assert created.status_code == 201, created.content
    assert Hold.objects.count() == 1
    hold = created.json()
    assert {k: hold[k] for k in ("status", "amount", "currency", "posted_amount", "entry_id", "external_ref")} == {
        "status": "pending", "amount": "60.00", "currency": "EUR", "posted_amount": None, "entry_id": None,
        "external_ref": "CARD-1",
    }
    assert (replay.status_code, replay["Idempotent-Replayed"], replay.json()) == (200, "true", hold)
    assert account_balance(account_id=bank.alice.pk).available == Decimal("40.00")
    assert poster.get(f"{HOLDS}{hold['id']}/").json() == hold

    url = f"{HOLDS}{hold['id']}/post/"
    assert_refused_to_post(partner.post(url, {"amount": "55.25"}, format="json", HTTP_IDEMPOTENCY_KEY="capture-0"))
    assert_refused_to_post(partner.post(f"{HOLDS}{hold['id']}/void/", {}, format="json"))
    assert Hold.objects.get(pk=hold["id"]).status == Hold.Status.PENDING
    captured = poster.post(url, {"amount": "55.25"}, format="json", HTTP_IDEMPOTENCY_KEY="capture-1")
    again = poster.post(url, {"amount": "55.25"}, format="json", HTTP_IDEMPOTENCY_KEY="capture-1")

    assert captured.status_code == 200, captured.content
    assert (captured.json()["status"], captured.json()["posted_amount"]) == ("posted", "55.25")
    assert "Idempotent-Replayed" not in captured
    assert (again.status_code, again["Idempotent-Replayed"]) == (200, "true")
    entry = poster.get(f"{ENTRIES}{captured.json()['entry_id']}/").json()
    assert (entry["kind"], entry["external_ref"]) == ("hold_posting", "CARD-1")
    alice = account_balance(account_id=bank.alice.pk)
    assert (alice.posted, alice.held, alice.available) == (Decimal("44.75"), Decimal("0.00"), Decimal("44.75"))
    void = poster.post(f"{HOLDS}{hold['id']}/void/", {}, format="json")
    assert_problem(void, status=409, code="hold_not_pending")
    assert verify_ledger().ok


def test_a_hold_is_voided(bank, finance):
    deposit(bank, "100.00")
    hold = post(finance, {"debit_account_id": bank.alice.pk, "credit_account_id": bank.bob.pk,
                          "amount": "60.00"}, key="auth", url=HOLDS).json()

    response = finance.post(f"{HOLDS}{hold['id']}/void/", {"reason": "merchant cancelled"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "voided"
    assert account_balance(account_id=bank.alice.pk).available == Decimal("100.00")
    assert Hold.objects.get(pk=hold["id"]).status == Hold.Status.VOIDED


def test_hold_refusals(bank, finance):
    deposit(bank, "10.00")
    base = {"debit_account_id": bank.alice.pk, "credit_account_id": bank.bob.pk}

    too_much = post(finance, {**base, "amount": "10.01"}, key="h1", url=HOLDS)
    no_key = post(finance, {**base, "amount": "1.00"}, key=None, url=HOLDS)
    past = post(finance, {**base, "amount": "1.00", "expires_at": "2001-01-01T00:00:00Z"}, key="h2", url=HOLDS)
    number = post(finance, {**base, "amount": 1}, key="h3", url=HOLDS)

    assert_problem(too_much, status=422, code="insufficient_funds")
    assert_problem(no_key, status=400, code="idempotency_key_required")
    assert assert_problem(past, status=400, code="validation_error")["errors"]["expires_at"]
    assert assert_problem(number, status=400, code="validation_error")["errors"]["amount"]
    assert Hold.objects.count() == 0
    assert_problem(finance.get(f"{HOLDS}999999/"), status=404, code="hold_not_found")
    missing = finance.post(f"{HOLDS}999999/post/", {}, format="json", HTTP_IDEMPOTENCY_KEY="p")
    assert_problem(missing, status=404, code="hold_not_found")


# --- trial balance -------------------------------------------------------------------------


def test_the_trial_balance_balances(bank, finance):
    deposit(bank, "100.00")
    transfer(debit_account_id=bank.alice.pk, credit_account_id=bank.fees.pk, amount=Decimal("2.50"),
             idempotency_key="fee")
    transfer(debit_account_id=bank.usd_cash.pk, credit_account_id=bank.alice_usd.pk, amount=Decimal("7.00"),
             idempotency_key="usd")

    everything = finance.get(TRIAL_BALANCE).json()
    euros = finance.get(TRIAL_BALANCE, {"currency": "EUR"}).json()

    assert everything["balanced"] is True
    assert everything["totals"] == [
        {"currency": "EUR", "debit": "100.00", "credit": "100.00", "balanced": True},
        {"currency": "USD", "debit": "7.00", "credit": "7.00", "balanced": True},
    ]
    assert [(r["code"], r["debit"], r["credit"]) for r in euros["rows"]] == [
        ("1000-EUR", "100.00", "0.00"), ("2100-ALICE", "0.00", "97.50"), ("4000-FEES", "0.00", "2.50"),
    ]
    assert euros["as_of"] is None


def test_the_trial_balance_at_the_close_of_a_business_date(bank, finance):
    deposit(bank, "100.00")
    day = business_date_open()
    business_date_roll()
    deposit(bank, "50.00", key="later")

    report = finance.get(TRIAL_BALANCE, {"as_of": day.isoformat()}).json()

    assert report["as_of"] == day.isoformat()
    assert report["totals"] == [{"currency": "EUR", "debit": "100.00", "credit": "100.00", "balanced": True}]


# --- who may do what -----------------------------------------------------------------------


def test_support_agents_read_entries_but_may_not_post(bank, support):
    deposit(bank)

    refused = post(support, payment(bank))

    body = assert_problem(refused, status=403, code="permission_denied")
    assert "ledger.post_entry" in body["detail"]
    assert support.get(ENTRIES).status_code == 200
    assert_problem(support.get(ACCOUNTS), status=403, code="permission_denied")
    assert_problem(support.get(TRIAL_BALANCE), status=403, code="permission_denied")
    assert_problem(support.post(HOLDS, {}, format="json", HTTP_IDEMPOTENCY_KEY="h"), status=403,
                   code="permission_denied")
    assert posted(bank.alice) == Decimal("100.00")


@pytest.mark.both
def test_an_api_client_holds_exactly_its_role_s_permissions(bank, partner, poster):
    """One permission model: a token of the api_client role reads the ledger but may not post; a
    ledger-scoped client of the finance role (which holds ledger.post_entry) posts with its token."""
    deposit(bank)

    refused = post(partner, payment(bank), key="pay-0")
    response = post(poster, payment(bank))

    assert_refused_to_post(refused)
    assert response.status_code == 201, response.content
    assert JournalEntry.objects.count() == 2  # the deposit and the finance client's entry, nothing of the partner's
    assert JournalEntry.objects.get(pk=response.json()["id"]).created_by == poster.user
    assert partner.get(f"{ACCOUNTS}{bank.alice.pk}/balance/").json()["posted"] == "70.00"
    assert partner.get(f"{ENTRIES}{response.json()['id']}/").status_code == 200
    assert_problem(partner.get(TRIAL_BALANCE), status=403, code="permission_denied")
    assert poster.get(TRIAL_BALANCE).status_code == 200


@pytest.mark.both
def test_an_api_client_without_the_ledger_scope_is_refused(bank):
    deposit(bank)
    outsider = client_api(scopes=["payments"])

    refused_post = post(outsider, payment(bank))
    refused_read = outsider.get(ENTRIES)

    assert "scope" in assert_problem(refused_post, status=403, code="permission_denied")["detail"]
    assert_problem(refused_read, status=403, code="permission_denied")
    assert posted(bank.alice) == Decimal("100.00")


@pytest.mark.backoffice
def test_anonymous_callers_are_asked_to_authenticate(bank, api_client):
    assert_problem(api_client.get(ENTRIES), status=401, code="not_authenticated")
    assert_problem(post(api_client, payment(bank)), status=401, code="not_authenticated")


def test_a_bulk_body_may_be_larger_than_a_form(bank, poster):
    """Django caps request.body at 2.5 MB (DATA_UPLOAD_MAX_MEMORY_SIZE); a batch may be bigger."""
    items = [{**_bulk_item(bank, n, "0.01"), "description": "d" * 500, "metadata": {"remittance": "r" * 2000}}
             for n in range(1_000)]
    assert len(json.dumps({"entries": items})) > 2.5 * 1024 * 1024

    response = post(poster, {"entries": items}, key="big", url=BULK)

    assert response.status_code == 201, response.content[:500]
    assert len(response.json()) == 1_000
    assert (posted(bank.cash), posted(bank.alice)) == (Decimal("10.00"), Decimal("10.00"))


def test_a_bulk_body_over_the_limit_is_refused_before_it_is_read(bank, poster, monkeypatch):
    from core_banking.ledger.api import bulk

    monkeypatch.setattr(bulk, "MAX_BODY_BYTES", 1000)
    items = [_bulk_item(bank, n) for n in range(20)]

    response = post(poster, {"entries": items}, key="big", url=BULK)
    not_json = poster.post(BULK, "{nope", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    nan = poster.post(BULK, '{"entries": NaN}', content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")

    assert_problem(response, status=413, code="payload_too_large")
    assert_problem(not_json, status=400, code="malformed_request")
    assert_problem(nan, status=400, code="malformed_request")
    assert JournalEntry.objects.count() == 0


@pytest.mark.both
def test_a_posting_carries_its_request_event_in_its_own_transaction(bank, poster):
    """The http.request audit event is written with the entry (status null: before the response),
    so a session that dies after the commit cannot lose it; a refused post gets it with its status."""
    from core_banking.audit.models import AuditEvent

    deposit(bank)
    response = post(poster, payment(bank), key="audited-1")
    assert response.status_code == 201, response.content
    [event] = AuditEvent.objects.filter(action="http.request", request_id=response["X-Request-ID"])
    assert (event.after["path"], event.after["status"], event.after["view"]) == (
        ENTRIES, None, "ledger:entry-list")
    refused = post(poster, {"postings": []}, key="audited-2")
    [event] = AuditEvent.objects.filter(action="http.request", request_id=refused["X-Request-ID"])
    assert event.after["status"] == refused.status_code == 400
