import pytest
from rest_framework.test import APIClient

from backoffice.api_clients.models import ApiClient, ApiToken
from backoffice.approvals.models import ApprovalRequest
from backoffice.staff.roles import sync_role_groups

from .factories import ApiClientFactory, StaffUserFactory, issue
from .support import assert_problem, bearer

CLIENTS = "/api/v1/api-clients/"


def tokens_url(client) -> str:
    return f"/api/v1/api-clients/{client.pk}/tokens/"


# --- /me/ -----------------------------------------------------------------------------------


def test_me_describes_a_token_client(ledger_client, ledger_token):
    response = bearer(ledger_token).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json() == {
        "username": "api:ledger-partner",
        "authentication": "token",
        "client": "ledger-partner",
        "token": ledger_token.split(".")[0],
        "token_expires_at": None,
        "roles": ["api_client"],
        "scopes": ["ledger"],
        "permissions": sorted(ledger_client.user.get_all_permissions()),
    }


def test_me_describes_a_staff_session(db):
    staff = StaffUserFactory(username="alice")
    api = APIClient()
    api.force_authenticate(user=staff)

    body = api.get("/api/v1/me/").json()

    assert body["username"] == "alice"
    assert body["authentication"] == "session"
    assert body["client"] is None and body["token"] is None
    assert body["scopes"] is None


def test_method_not_allowed_is_a_problem(ledger_token):
    assert_problem(bearer(ledger_token).delete("/api/v1/me/"), status=405, code="method_not_allowed")


def test_an_unknown_api_url_is_a_problem(db):
    body = assert_problem(APIClient().get("/api/v1/no-such-thing/"), status=404, code="not_found")

    assert body["type"] == "https://corebank.dev/problems/not-found"
    assert body["request_id"]


# --- administration: clients ---------------------------------------------------------------


def test_only_administrators_manage_clients(ledger_token):
    api = bearer(ledger_token)

    assert_problem(api.get(CLIENTS), status=403, code="permission_denied")
    assert_problem(
        api.post(CLIENTS, {"name": "sneaky", "role": "administrator"}),
        status=403,
        code="permission_denied",
    )
    assert not ApiClient.objects.filter(name="sneaky").exists()


def test_list_is_cursor_paginated(admin_api):
    for n in range(3):
        ApiClientFactory(name=f"paged-{n}")

    first = admin_api.get(CLIENTS, {"page_size": 2})

    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"next", "previous", "results"}  # no count: cursor pagination
    assert [c["name"] for c in body["results"]] == ["paged-2", "paged-1"]
    assert body["previous"] is None
    rest = admin_api.get(body["next"]).json()
    assert [c["name"] for c in rest["results"]] == ["paged-0", "admin-tool"]
    assert rest["next"] is None


def test_create_client_asks_for_approval(admin_api, admin_api_client):
    """Creating a client is maker-checker (see test_one_permission_model.py for the approval)."""
    sync_role_groups()  # the administrator role initiates
    owner = StaffUserFactory(username="owner")

    response = admin_api.post(
        CLIENTS, {"name": "new-partner", "role": "api_client", "scopes": ["ledger"], "owner": owner.pk},
        format="json",
    )

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["action_type"] == "api_client_create"
    assert body["payload"] == {"name": "new-partner", "role": "api_client", "scopes": ["ledger"],
                               "owner_id": owner.pk}
    assert ApprovalRequest.objects.get(pk=body["id"]).maker == admin_api_client.user
    assert not ApiClient.objects.filter(name="new-partner").exists()


def test_client_output_names_its_owner(admin_api, ledger_client):
    body = admin_api.get(CLIENTS).json()["results"]
    listed = next(c for c in body if c["name"] == "ledger-partner")

    assert listed["owner"] == {"id": ledger_client.owner.pk, "username": ledger_client.owner.username}


def test_create_client_refusals_are_problems_with_stable_codes(admin_api):
    sync_role_groups()
    ApiClientFactory(name="taken")
    owner = StaffUserFactory(username="owner").pk

    assert_problem(
        admin_api.post(CLIENTS, {"name": "taken", "role": "api_client", "owner": owner}),
        status=409,
        code="duplicate_client",
    )
    assert_problem(
        admin_api.post(CLIENTS, {"name": "fresh", "role": "wizard", "owner": owner}),
        status=400,
        code="unknown_role",
    )
    assert_problem(
        admin_api.post(CLIENTS, {"name": "fresh", "role": "api_client"}),
        status=400,
        code="validation_error",
    )
    invalid = assert_problem(admin_api.post(CLIENTS, {"role": "api_client"}), status=400, code="validation_error")
    assert "name" in invalid["errors"]
    assert not ApiClient.objects.filter(name="fresh").exists()


def test_a_malformed_body_is_a_problem(admin_api):
    response = admin_api.post(CLIENTS, data="{not json", content_type="application/json")

    assert_problem(response, status=400, code="malformed_request")


# --- administration: tokens ----------------------------------------------------------------


def test_issue_token_shows_it_once_and_it_works(owner_api, admin_api, ledger_client):
    response = owner_api.post(tokens_url(ledger_client), {"expires_in_days": 30})

    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["client"] == "ledger-partner"
    assert body["expires_at"] is not None
    plain = body["token"]
    assert plain.startswith(body["prefix"] + ".")
    assert bearer(plain).get("/api/v1/me/").json()["client"] == "ledger-partner"

    listing = admin_api.get(tokens_url(ledger_client))
    assert listing.status_code == 200
    assert body["prefix"] in [t["prefix"] for t in listing.json()["results"]]
    assert plain.split(".")[1] not in listing.content.decode()
    assert "token" not in listing.json()["results"][0]


def test_issue_token_without_expiry(owner_api, ledger_client):
    response = owner_api.post(tokens_url(ledger_client), {})

    assert response.status_code == 201, response.content
    assert response.json()["expires_at"] is None


@pytest.mark.parametrize("days", [0, -1, "soon"])
def test_issue_token_validates_the_lifetime(owner_api, ledger_client, days):
    response = owner_api.post(tokens_url(ledger_client), {"expires_in_days": days})

    body = assert_problem(response, status=400, code="validation_error")
    assert "expires_in_days" in body["errors"]
    assert not ApiToken.objects.filter(client=ledger_client).exists()


def test_issue_token_for_an_unknown_client_is_404(owner_api):
    assert_problem(owner_api.post("/api/v1/api-clients/999999/tokens/", {}), status=404, code="not_found")


def test_only_the_owner_issues_a_token_not_an_administrator_nor_a_machine(admin_api, ledger_client):
    """Issue 16: an administrator who manages clients cannot mint a client's token and use it."""
    administrator = StaffUserFactory(username="the-admin")
    from .factories import grant

    grant(administrator, "api_clients.add_apitoken")
    session = APIClient()
    session.force_authenticate(user=administrator)

    for api in (admin_api, session):
        assert_problem(api.post(tokens_url(ledger_client), {}), status=403, code="token_issue_forbidden")
    assert not ApiToken.objects.filter(client=ledger_client).exists()


def test_a_token_without_the_api_clients_scope_manages_nothing(ledger_client):
    tool = ApiClientFactory(name="tickets-only", role="administrator", scopes=["tickets"])
    from .factories import grant

    grant(tool.user, "api_clients.view_apiclient", "api_clients.add_apitoken")
    api = bearer(issue(tool))
    assert_problem(api.get(CLIENTS), status=403, code="permission_denied")
    assert_problem(api.post(tokens_url(ledger_client), {}), status=403, code="permission_denied")


def test_revoke_token(admin_api, admin_api_client, ledger_client):
    plain = issue(ledger_client)
    prefix = plain.split(".")[0]

    response = admin_api.post(f"/api/v1/api-tokens/{prefix}/revoke/")

    assert response.status_code == 200, response.content
    assert response.json()["revoked_at"] is not None
    assert response.json()["revoked_by"] == admin_api_client.user.username
    assert bearer(plain).get("/api/v1/me/").json()["detail"] == "token revoked"
    assert_problem(
        admin_api.post(f"/api/v1/api-tokens/{prefix}/revoke/"),
        status=409,
        code="token_already_revoked",
    )
    assert_problem(admin_api.post("/api/v1/api-tokens/zzzzzzzz/revoke/"), status=404, code="not_found")


def test_token_administration_needs_its_permissions(ledger_client, ledger_token):
    api = bearer(ledger_token)
    prefix = ledger_token.split(".")[0]

    assert_problem(api.post(tokens_url(ledger_client), {}), status=403, code="permission_denied")
    assert_problem(api.post(f"/api/v1/api-tokens/{prefix}/revoke/"), status=403, code="permission_denied")
    assert ApiToken.objects.filter(client=ledger_client, revoked_at__isnull=True).count() == 1
