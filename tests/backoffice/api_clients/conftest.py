import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from backoffice.api_clients.models import ROLE_NAMES

from .factories import ApiClientFactory, grant, issue
from .support import bearer


@pytest.fixture(autouse=True)
def role_groups(db):
    """The role groups, whether or not the staff roles migration created them already."""
    return {name: Group.objects.get_or_create(name=name)[0] for name in ROLE_NAMES}


@pytest.fixture
def ledger_client():
    """An API client with the `api_client` role and the `ledger` scope."""
    return ApiClientFactory(name="ledger-partner", scopes=["ledger"])


@pytest.fixture
def ledger_token(ledger_client) -> str:
    return issue(ledger_client)


@pytest.fixture
def admin_api_client():
    """An API client administering API clients (permissions granted explicitly, so the test
    does not depend on what the roles catalogue gives the administrator group)."""
    client = ApiClientFactory(name="admin-tool", role="administrator", scopes=["api_clients"])
    grant(
        client.user,
        "api_clients.view_apiclient",
        "api_clients.add_apiclient",
        "api_clients.view_apitoken",
        "api_clients.add_apitoken",
        "api_clients.change_apitoken",
    )
    return client


@pytest.fixture
def admin_api(admin_api_client) -> APIClient:
    return bearer(issue(admin_api_client))


@pytest.fixture
def owner_api(ledger_client) -> APIClient:
    """The ledger client's owner in a staff session: the one person who issues its tokens."""
    owner = ledger_client.owner
    grant(owner, "api_clients.add_apitoken", "api_clients.view_apitoken")
    api = APIClient()
    api.force_authenticate(user=owner)
    return api
