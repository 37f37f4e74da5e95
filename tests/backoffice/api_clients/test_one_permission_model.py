"""Issue 16, items 1 and 5: one permission model for API clients, each finding a regression test
through the real HTTP stack that also asserts nothing was written.

1. A role is the whole grant: a client's user is in its role group only, so only a role holding
   `ledger.post_entry` (finance) can post raw ledger entries, whatever its scopes.
5. Creating or widening an API client is maker-checker: an administrator asks (202, an approval
   request), a compliance officer decides; every client has an owning staff member.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as global_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection

from backoffice.api_clients.exceptions import InvalidOwner
from backoffice.api_clients.models import ApiClient
from backoffice.api_clients.selectors import person_of
from backoffice.api_clients.services import api_client_create
from backoffice.approvals import services as approvals
from backoffice.approvals.models import ApprovalRequest
from backoffice.staff.roles import API_CLIENT, STAFF_ROLE_NAMES, sync_role_groups
from core_banking.ledger.models import AccountType, BalanceRule, JournalEntry, Posting
from core_banking.ledger.services import ledger_account_create
from tests.core_banking.ledger.interfaces import staff_api, staff_user

from .factories import ApiClientFactory, StaffUserFactory, issue
from .support import assert_problem, bearer

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/api-clients/"
ENTRIES = "/api/v1/ledger/entries/"
ALL_ROLES = (*STAFF_ROLE_NAMES, API_CLIENT)


@pytest.fixture(autouse=True)
def catalogue(db):
    """The role groups with the catalogue's permissions (and nothing else of the old marker)."""
    sync_role_groups()


def groups_of(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def holds_post_entry(role: str) -> bool:
    return Group.objects.get(name=role).permissions.filter(
        content_type__app_label="ledger", codename="post_entry").exists()


def nothing_changed(before: dict) -> bool:
    return before == counts()


def counts() -> dict:
    return {"clients": ApiClient.objects.count(), "users": get_user_model().objects.count(),
            "entries": JournalEntry.objects.count(), "postings": Posting.objects.count()}


# --- 1. a role is the whole grant -------------------------------------------------------------


def test_only_the_finance_role_may_post_raw_ledger_entries():
    assert {role for role in ALL_ROLES if holds_post_entry(role)} == {"finance"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_ledger_scoped_token_posts_an_entry_only_if_its_role_holds_post_entry(role):
    client = ApiClientFactory(name=f"ledger-{role.replace('_', '-')}", role=role, scopes=["ledger"])
    ApiClient.objects.filter(pk=client.pk).update(kind="bank_channel")  # every account visible
    assert groups_of(client.user) == [role]
    debit, credit = (ledger_account_create(code=f"T-{role}-{n}", name=f"{role} {n}", type=AccountType.LIABILITY,
                                           currency="EUR", balance_rule=BalanceRule.UNCONSTRAINED)
                     for n in (1, 2))
    before = counts()

    response = bearer(issue(client)).post(
        ENTRIES, {"kind": "transfer", "description": "hostile tester",
                  "postings": [{"account_id": debit.pk, "amount": "10.00"},
                               {"account_id": credit.pk, "amount": "-10.00"}]},
        format="json", HTTP_IDEMPOTENCY_KEY=f"issue16-{role}")

    if role == "finance":
        assert response.status_code == 201, response.content
        assert JournalEntry.objects.count() == before["entries"] + 1
    else:
        body = assert_problem(response, status=403, code="permission_denied")
        assert "ledger.post_entry" in body["detail"]
        assert nothing_changed(before)


def test_a_client_user_is_in_its_role_group_and_no_other():
    for role in ALL_ROLES:
        client = ApiClientFactory(name=f"only-{role.replace('_', '-')}", role=role)
        assert groups_of(client.user) == [role]
        assert client.owner.is_staff


# --- the migration ------------------------------------------------------------------------------


def test_the_migration_leaves_each_client_user_in_exactly_one_group_and_backfills_owners():
    creator = StaffUserFactory(username="old-admin")
    ops = ApiClientFactory(name="old-ops", role="operations")
    partner = ApiClientFactory(name="old-partner", role="api_client")
    marker = Group.objects.get(name="api_client")
    post_entry = Permission.objects.get(content_type__app_label="ledger", codename="post_entry")
    # The state before the fix: every client user in the marker group too, which posts entries;
    # and a client created before owners existed.
    ops.user.groups.add(marker)
    marker.permissions.add(post_entry)
    ApiClient.objects.filter(pk=ops.pk).update(owner=None, created_by=creator)
    ApiClient.objects.filter(pk=partner.pk).update(owner=None, created_by=None)
    assert groups_of(ops.user) == ["api_client", "operations"]

    migration = importlib.import_module("backoffice.api_clients.migrations.0004_one_role_group_and_owner_backfill")
    migration.forwards(global_apps, SimpleNamespace(connection=connection))

    assert groups_of(ops.user) == ["operations"]
    assert groups_of(partner.user) == ["api_client"]
    assert not holds_post_entry("api_client")
    ops.refresh_from_db()
    partner.refresh_from_db()
    assert ops.owner == creator
    assert partner.owner is None  # nobody known to backfill it with
    assert not get_user_model().objects.get(pk=ops.user.pk).has_perm("ledger.post_entry")


# --- 5. owners ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("maker_checker_direct")  # the service's own check, as an approved request runs it
def test_an_owner_is_required_and_must_be_an_active_staff_person():
    machine = ApiClientFactory(name="a-machine")
    inactive = StaffUserFactory(username="gone", is_active=False)
    customer = get_user_model().objects.create(username="not-staff", is_staff=False)
    before = counts()

    for owner in (None, machine.user, inactive, customer, 999_999):
        with pytest.raises(InvalidOwner) as refusal:
            api_client_create(name="x-client", role="api_client", scopes=[], owner=owner)
        assert refusal.value.code == "invalid_owner"
    assert nothing_changed(before)


def test_person_of_is_the_owner_for_a_client_user_and_the_user_itself_otherwise():
    owner = StaffUserFactory(username="the-owner")
    client = ApiClientFactory(name="owned", owner=owner)

    assert person_of(client.user) == owner
    assert person_of(owner) == owner
    assert person_of(None) is None


# --- 5. maker-checker on creating and widening --------------------------------------------------


@pytest.fixture
def administrator():
    return staff_user("administrator")


@pytest.fixture
def officer():
    return staff_user("compliance_officer")


def new_client_body(owner, name="minted") -> dict:
    return {"name": name, "role": "finance", "scopes": ["ledger"], "owner": owner.pk, "reason": "new connector"}


def test_an_administrator_session_asks_for_a_client_and_a_compliance_officer_creates_it(administrator, officer):
    before = counts()

    response = staff_api(administrator).post(CLIENTS, new_client_body(administrator), format="json")

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["action_type"], body["status"]) == ("api_client_create", "pending")
    assert response["Location"].endswith(f"/{body['id']}/")
    assert body["payload"] == {"name": "minted", "role": "finance", "scopes": ["ledger"], "owner_id": administrator.pk}
    assert nothing_changed(before)
    assert not get_user_model().objects.filter(username="api:minted").exists()

    request = approvals.request_approve(request_id=body["id"], actor=officer)

    assert request.status == ApprovalRequest.Status.EXECUTED, request.execution_error
    client = ApiClient.objects.get(name="minted")
    assert client.owner == administrator
    assert client.created_by == administrator
    assert groups_of(client.user) == ["finance"]


def test_an_administrator_token_asks_too(admin_api, admin_api_client):
    owner = StaffUserFactory(username="token-owner")
    before = counts()

    response = admin_api.post(CLIENTS, new_client_body(owner, "by-token"), format="json")

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending"
    assert ApprovalRequest.objects.get(pk=response.json()["id"]).maker == admin_api_client.user
    assert nothing_changed(before)


def test_the_administrator_cannot_approve_and_the_officer_cannot_ask(administrator, officer):
    request_id = staff_api(administrator).post(CLIENTS, new_client_body(administrator), format="json").json()["id"]

    with pytest.raises(Exception) as refusal:  # noqa: PT011 - the code is asserted below
        approvals.request_approve(request_id=request_id, actor=administrator)
    assert refusal.value.code in {"self_approval_forbidden", "permission_denied", "checker_role_required"}
    other_admin = staff_user("administrator")
    with pytest.raises(Exception) as refusal:  # noqa: PT011
        approvals.request_approve(request_id=request_id, actor=other_admin)
    assert refusal.value.code in {"permission_denied", "checker_role_required"}

    before = counts()
    response = staff_api(officer).post(CLIENTS, new_client_body(officer, "officer-made"), format="json")
    assert response.status_code == 403, response.content
    assert nothing_changed(before)
    assert not ApprovalRequest.objects.filter(target_key="api_client:officer-made").exists()


def test_refusals_are_given_when_asking_and_nothing_is_written(administrator):
    ApiClientFactory(name="taken")
    api = staff_api(administrator)
    before = counts()

    assert_problem(api.post(CLIENTS, new_client_body(administrator, "taken"), format="json"), status=409,
                   code="duplicate_client")
    machine = ApiClient.objects.get(name="taken").user
    assert_problem(api.post(CLIENTS, {**new_client_body(administrator), "owner": machine.pk}, format="json"),
                   status=400, code="invalid_owner")
    assert_problem(api.post(CLIENTS, {**new_client_body(administrator), "role": "wizard"}, format="json"),
                   status=400, code="unknown_role")
    assert nothing_changed(before)
    assert not ApprovalRequest.objects.exists()


def test_widening_a_client_is_asked_for_and_narrowing_applies_at_once(administrator, officer):
    client = ApiClientFactory(name="to-change", role="api_client", scopes=["customers", "payments"])
    api = staff_api(administrator)
    url = f"{CLIENTS}{client.pk}/"

    narrowed = api.patch(url, {"scopes": ["payments"]}, format="json")

    assert narrowed.status_code == 200, narrowed.content
    assert narrowed.json()["scopes"] == ["payments"]
    assert narrowed.json()["owner"] == {"id": client.owner.pk, "username": client.owner.username}

    widened = api.patch(url, {"scopes": ["payments", "ledger"]}, format="json")

    assert widened.status_code == 202, widened.content
    assert widened.json()["action_type"] == "api_client_change"
    client.refresh_from_db()
    assert client.scopes == ["payments"]
    approvals.request_approve(request_id=widened.json()["id"], actor=officer)
    client.refresh_from_db()
    assert client.scopes == ["ledger", "payments"]

    assert api.patch(url, {"is_active": False}, format="json").status_code == 200
    reactivate = api.patch(url, {"is_active": True}, format="json")
    assert reactivate.status_code == 202, reactivate.content
    client.refresh_from_db()
    assert client.is_active is False
