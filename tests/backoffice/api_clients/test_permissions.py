from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from core_banking.common.api.permissions import HasScope, RequiresPermissions, require_perms

from .factories import ApiClientFactory, StaffUserFactory, grant, issue
from .support import assert_problem, bearer

pytestmark = pytest.mark.urls("tests.backoffice.api_clients.urls")


def client_api(*, scopes, perms=()):
    client = ApiClientFactory(scopes=scopes)
    grant(client.user, *perms)
    return bearer(issue(client))


def session_api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user=user)  # session-like: request.auth is None
    return api


# --- scopes ---------------------------------------------------------------------------------


def test_a_token_with_the_scope_passes(db):
    response = client_api(scopes=["ledger"]).get("/scoped/")

    assert response.status_code == 200, response.content


def test_a_token_without_the_scope_is_refused(db):
    response = client_api(scopes=["payments"]).get("/scoped/")

    body = assert_problem(response, status=403, code="permission_denied")
    assert body["detail"] == "The token lacks the required scope(s): ledger."


def test_every_required_scope_is_needed(db):
    assert client_api(scopes=["ledger", "payments"]).get("/two-scopes/").status_code == 200
    body = assert_problem(client_api(scopes=["ledger"]).get("/two-scopes/"), status=403, code="permission_denied")
    assert "payments" in body["detail"]


def test_staff_sessions_pass_the_scope_check(db):
    response = session_api(StaffUserFactory()).get("/scoped/")

    assert response.status_code == 200, response.content


def test_non_staff_sessions_fail_the_scope_check(db):
    user = StaffUserFactory(username="not-staff", is_staff=False)

    assert_problem(session_api(user).get("/scoped/"), status=403, code="permission_denied")


def test_anonymous_requests_get_401_not_403(db):
    assert_problem(APIClient().get("/scoped/"), status=401, code="not_authenticated")


def test_a_credential_without_scopes_fails_closed():
    request = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, is_staff=True), auth=object())
    view = SimpleNamespace(required_scopes=["ledger"])

    assert HasScope().has_permission(request, view) is False


def test_views_without_required_scopes_are_not_scope_restricted():
    request = SimpleNamespace(user=None, auth=None)

    assert HasScope().has_permission(request, SimpleNamespace()) is True


# --- role permissions -----------------------------------------------------------------------


def test_missing_permission_is_403_problem(db):
    response = client_api(scopes=["ledger"]).post("/post-entry/")

    body = assert_problem(response, status=403, code="permission_denied")
    assert body["detail"] == "Missing permission(s): api_clients.view_apitoken."


def test_granted_permission_passes(db):
    response = client_api(scopes=["ledger"], perms=["api_clients.view_apitoken"]).post("/post-entry/")

    assert response.status_code == 200, response.content


def test_scope_is_checked_even_with_the_permission(db):
    api = client_api(scopes=[], perms=["api_clients.view_apitoken"])

    assert_problem(api.post("/post-entry/"), status=403, code="permission_denied")


def test_per_method_permissions(db):
    api = client_api(scopes=[], perms=["api_clients.view_apiclient"])

    assert api.get("/per-method/").status_code == 200
    assert api.head("/per-method/").status_code == 200
    body = assert_problem(api.post("/per-method/"), status=403, code="permission_denied")
    assert body["detail"] == "Missing permission(s): api_clients.add_apiclient."
    # Implemented but not declared: refused, whatever the user's permissions.
    assert_problem(api.put("/per-method/"), status=403, code="permission_denied")
    # Not implemented: the honest 405.
    assert_problem(api.delete("/per-method/"), status=405, code="method_not_allowed")


def test_require_perms_builds_a_named_permission_class():
    permission_class = require_perms("ledger.post_entry", "ledger.view_journalentry")

    assert issubclass(permission_class, RequiresPermissions)
    assert permission_class.perms == ("ledger.post_entry", "ledger.view_journalentry")


@pytest.mark.parametrize("perms", [(), ("post_entry",), (None,)])
def test_require_perms_rejects_malformed_permissions(perms):
    with pytest.raises(ValueError):
        require_perms(*perms)
